"""Issue: a list from Mailman 2.0 that was never saved again keeps only its
marshal file config.db.  The installed tools read it: check_db checks it,
dumpdb prints it, and update turns it into config.pck, leaving config.db
in place.  The fixtures were written by a real Python 2.7
(tests/data/py2marshal/make_fixtures.py)."""

import pickle
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / 'data' / 'py2marshal'


def install_20_list(install, name, version=1):
    directory = install.var_prefix / 'lists' / name
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    shutil.copy(DATA / f'config-v21-m{version}.db', directory / 'config.db')
    return directory


def test_check_db_and_dumpdb_read_config_db(site_install):
    directory = install_20_list(site_install, 'mm20-check')
    (directory / 'config.db.last').write_bytes(
        (directory / 'config.db').read_bytes()[:50])

    report = site_install.bin('check_db', '-v', 'mm20-check')
    assert report.returncode == 0, report.stdout + report.stderr
    assert 'config.db: okay (' in report.stdout
    assert 'config.db.last: damaged' in report.stdout
    assert 'truncated' in report.stdout

    dump = site_install.bin('dumpdb', str(directory / 'config.db'))
    assert dump.returncode == 0, dump.stderr
    assert "'real_name': 'Oldies'" in dump.stdout
    assert 'Caf\u00e9-Freunde' in dump.stdout
    forced = site_install.bin('dumpdb', '-m', '-n',
                              str(directory / 'config.db.last'))
    assert forced.returncode != 0
    assert 'truncated' in forced.stderr


def test_update_turns_config_db_into_config_pck(site_install):
    directory = install_20_list(site_install, 'mm20-update', version=2)
    original = (directory / 'config.db').read_bytes()
    # -f: make install already ran update.  Other tests' lists are updated
    # too; only ours is judged here.
    result = site_install.bin('update', '-f')
    assert 'Updating mailing list: mm20-update' in result.stdout
    assert 'mm20-update' not in result.stderr, result.stderr

    state = pickle.loads((directory / 'config.pck').read_bytes())
    assert state['real_name'] == 'Oldies'
    assert state['passwords']['alice@example.com'].startswith(
        '$pbkdf2-sha256$')
    assert (directory / 'config.db').read_bytes() == original
    check = site_install.python(
        'import sys\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList(sys.argv[1], lock=0)\n'
        'print(bool(m.authenticateMember("alice@example.com", "alicepw")),'
        ' m.getDigestMemberKeys())\n', 'mm20-update')
    assert check.stdout.split() == ['True', "['carol@example.net']"]
