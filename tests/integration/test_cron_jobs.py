"""cron/cull_bad_shunt on an installed site."""

import os
import time


def make_entry(directory, name, age_days):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(b'queued message')
    stamp = time.time() - age_days * 86400
    os.utime(path, (stamp, stamp))
    return path


def test_cull_bad_shunt_removes_only_stale_entries(site_install):
    qfiles = site_install.var_prefix / 'qfiles'
    old_bad = make_entry(qfiles / 'bad', '1.0+old.psv', 8)
    old_shunt = make_entry(qfiles / 'shunt', '2.0+old.pck', 30)
    fresh = make_entry(qfiles / 'shunt', '3.0+fresh.pck', 1)
    result = site_install.run_cron('cull_bad_shunt')
    assert result.returncode == 0, result.stderr
    assert not old_bad.exists() and not old_shunt.exists()
    assert fresh.exists()
    log = (site_install.var_prefix / 'logs' / 'error').read_text()
    assert str(old_shunt) in log
    fresh.unlink()


def test_cull_bad_shunt_archives_when_asked(site_install, tmp_path):
    qfiles = site_install.var_prefix / 'qfiles'
    old = make_entry(qfiles / 'shunt', '4.0+old.pck', 9)
    archive = tmp_path / 'culled'
    settings = site_install.prefix / 'Mailman' / 'mm_cfg.py'
    original = settings.read_text()
    settings.write_text(original + f'\nBAD_SHUNT_ARCHIVE_DIRECTORY = {str(archive)!r}\n')
    try:
        result = site_install.run_cron('cull_bad_shunt')
    finally:
        settings.write_text(original)
    assert result.returncode == 0, result.stderr
    assert not old.exists()
    assert (archive / 'shunt' / '4.0+old.pck').read_bytes() == b'queued message'
