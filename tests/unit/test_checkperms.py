"""Mailman/CheckPerms.py: the rules of 2.1's bin/check_perms.

Each test starts from a small installation laid out the way 2.1's
`make install` leaves it (directories 02775, archives/private 02771, queue
directories 02770, wrappers 02755, adm.pw 0640, config.pck 0660), breaks
one rule, and checks that exactly one problem is reported for that path,
that check(fix=True) repairs it, and that a following check finds nothing.
"""

import grp
import os
import re
import shutil
import stat
from types import SimpleNamespace

import pytest

from Mailman import CheckPerms
from Mailman import mm_cfg


# ---------------------------------------------------------------- the tree
def _snapshot(root):
    """Every path under ROOT (ROOT included) with its mode and group, or
    None if ROOT does not exist."""
    if not os.path.lexists(root):
        return None
    seen = {}
    for directory, subdirs, files in os.walk(root):
        for name in [''] + subdirs + files:
            path = os.path.join(directory, name) if name else directory
            st = os.lstat(path)
            seen[path] = (st.st_mode, st.st_gid)
    return seen


def _restore(root, before):
    """Put ROOT back as _snapshot() found it: remove what was added,
    restore group and mode of what was there."""
    if before is None:
        shutil.rmtree(root, ignore_errors=True)
        return
    for directory, subdirs, files in os.walk(root, topdown=False):
        for name in subdirs + files:
            path = os.path.join(directory, name)
            if path in before:
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
    for path, (mode, gid) in before.items():
        if os.path.lexists(path) and not stat.S_ISLNK(mode):
            if os.lstat(path).st_gid != gid:
                os.chown(path, -1, gid)
            os.chmod(path, stat.S_IMODE(mode))


def _mkdir(path, mode):
    os.makedirs(path, exist_ok=True)
    os.chmod(path, mode)
    return path


def _mkfile(path, mode, data=b'x\n'):
    with open(path, 'wb') as f:
        f.write(data)
    os.chmod(path, mode)
    return path


@pytest.fixture
def install():
    """A fake installation under mm_cfg.PREFIX (== EXEC_PREFIX here) and
    mm_cfg.VAR_PREFIX, with 2.1's modes; undone afterwards."""
    prefix = os.path.normpath(mm_cfg.PREFIX)
    var = os.path.normpath(mm_cfg.VAR_PREFIX)
    assert os.path.normpath(mm_cfg.EXEC_PREFIX) == prefix
    assert not var.startswith(prefix + os.sep) and var != prefix
    before = {root: _snapshot(root) for root in (prefix, var)}

    d = 0o2775
    t = SimpleNamespace(prefix=prefix, var=var)
    # $prefix and $exec_prefix
    _mkdir(prefix, d)
    for name in ('bin', 'scripts', 'cron', 'templates', 'Mailman'):
        _mkdir(os.path.join(prefix, name), d)
    t.bin = os.path.join(prefix, 'bin')
    t.py = _mkfile(os.path.join(prefix, 'Mailman', 'Utils.py'), 0o644)
    t.cgi_dir = _mkdir(os.path.join(mm_cfg.EXEC_PREFIX, 'cgi-bin'), d)
    t.listinfo = _mkfile(os.path.join(t.cgi_dir, 'listinfo'), 0o2755)
    t.mail_dir = _mkdir(mm_cfg.WRAPPER_DIR, d)
    t.wrapper = _mkfile(os.path.join(mm_cfg.WRAPPER_DIR, 'mailman'), 0o2755)
    # $var_prefix
    _mkdir(var, d)
    for name in ('logs', 'locks', 'spam', 'archives'):
        _mkdir(os.path.join(var, name), d)
    t.private = _mkdir(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR, d)
    os.chmod(t.private, 0o2771)            # make install: chmod o-r
    t.public = _mkdir(mm_cfg.PUBLIC_ARCHIVE_FILE_DIR, d)
    t.private_foo = _mkdir(os.path.join(t.private, 'foo'), d)
    t.mbox_dir = _mkdir(os.path.join(t.private, 'foo.mbox'), d)
    t.mbox = _mkfile(os.path.join(t.mbox_dir, 'foo.mbox'), 0o660)
    t.public_foo = os.path.join(t.public, 'foo')
    os.symlink(os.path.join('..', 'private', 'foo'), t.public_foo)
    t.lists = _mkdir(mm_cfg.LIST_DATA_DIR, d)
    t.list_foo = _mkdir(os.path.join(t.lists, 'foo'), d)
    t.config = _mkfile(os.path.join(t.list_foo, 'config.pck'), 0o660)
    t.data = _mkdir(mm_cfg.DATA_DIR, d)
    t.adm_pw = _mkfile(mm_cfg.SITE_PW_FILE, 0o640)
    t.qfiles = _mkdir(mm_cfg.QUEUE_DIR, d)
    t.qin = _mkdir(os.path.join(mm_cfg.QUEUE_DIR, 'in'), 0o2770)
    yield t
    for root, snapshot in before.items():
        _restore(root, snapshot)


def _check(fix=False, verbose=False):
    lines = []
    report = CheckPerms.check(fix=fix, verbose=verbose, out=lines.append)
    return report, lines


def _mentioning(lines, path):
    """Lines that name PATH itself (not merely a path below it)."""
    pattern = re.compile(re.escape(str(path)) + r'(?![\w./-])')
    return [line for line in lines if pattern.search(line)]


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def _one_problem_then_fixed(path):
    """Exactly one problem, naming PATH; -f repairs it; then all is clean."""
    report, lines = _check()
    assert report.problems == 1, lines
    assert _mentioning(lines, path), lines
    report, lines = _check(fix=True)
    assert report.problems == 1, lines
    assert report.unfixed == 0, lines
    assert _mentioning(lines, path), lines
    report, lines = _check()
    assert report.problems == 0, lines


# ---------------------------------------------------------------- clean tree
def test_clean_installation_has_no_problems(install):
    """A tree laid out as make install leaves it passes every rule."""
    report, lines = _check()
    assert report.problems == 0, lines
    assert report.unfixed == 0


def test_clean_installation_fix_changes_nothing(install):
    """check(fix=True) on a clean tree changes no mode."""
    before = _snapshot(install.var), _snapshot(install.prefix)
    report, lines = _check(fix=True)
    assert report.problems == 0, lines
    assert (_snapshot(install.var), _snapshot(install.prefix)) == before


# ---------------------------------------------------------------- directories
def test_directory_without_setgid_and_group_write(install):
    """Directories must be at least 02775 (setgid, rwxrwxr-x)."""
    os.chmod(install.bin, 0o755)
    _one_problem_then_fixed(install.bin)
    assert _mode(install.bin) & 0o2775 == 0o2775


def test_var_directory_without_setgid(install):
    """The rule holds under $var_prefix too (lists/<name>/ here)."""
    os.chmod(install.list_foo, 0o775)
    _one_problem_then_fixed(install.list_foo)
    assert _mode(install.list_foo) == 0o2775


def test_queue_directory_needs_02770(install):
    """Under qfiles/, directories need setgid plus rwxrwx---."""
    os.chmod(install.qin, 0o2700)
    _one_problem_then_fixed(install.qin)
    assert _mode(install.qin) & 0o2770 == 0o2770


def test_queue_directory_needs_no_other_bits(install):
    """A queue directory at 02770 is fine: no o bits are needed."""
    os.chmod(install.qin, 0o2770)
    report, lines = _check()
    assert report.problems == 0, lines
    _check(fix=True)
    assert _mode(install.qin) == 0o2770


# ---------------------------------------------------------------- private archives
def test_private_archives_other_readable(install):
    """archives/private must not be o+r (make install does chmod o-r)."""
    os.chmod(install.private, 0o2775)
    _one_problem_then_fixed(install.private)
    assert _mode(install.private) == 0o2771


def test_private_archives_other_executable_is_not_a_problem(install):
    """archives/private o+x is only a warning, and -f leaves it alone."""
    os.chmod(install.private, 0o2771)
    report, lines = _check()
    assert report.problems == 0, lines
    report, lines = _check(fix=True)
    assert report.problems == 0, lines
    assert _mode(install.private) == 0o2771


def test_private_archives_other_executable_draws_a_warning(install):
    """2.1 prints a warning about an o+x archives/private on every run
    (not only with -v): other local users can reach private archives."""
    os.chmod(install.private, 0o2771)
    report, lines = _check()
    assert report.problems == 0, lines
    assert _mentioning(lines, install.private), lines


def test_private_archives_without_other_bits(install):
    """archives/private at 02770 (no o bits at all) is fine."""
    os.chmod(install.private, 0o2770)
    report, lines = _check()
    assert report.problems == 0, lines


def test_private_archives_mkdir_default_fixed_in_one_run(install):
    """archives/private made by hand (0755: no setgid, no g+w, o+r) is
    repaired by one check(fix=True): setgid and rwxrwx--- added, o+r
    removed, so the next check is clean."""
    os.chmod(install.private, 0o755)
    report, lines = _check()
    assert report.problems >= 1, lines
    assert all(_mentioning([line], install.private) for line in lines), lines
    report, lines = _check(fix=True)
    assert report.unfixed == 0, lines
    mode = _mode(install.private)
    assert mode & 0o2770 == 0o2770, oct(mode)
    assert not mode & stat.S_IROTH, oct(mode)
    report, lines = _check()
    assert report.problems == 0, lines


def test_private_archive_mbox_file(install):
    """*.mbox files must be at least 0660."""
    os.chmod(install.mbox, 0o644)
    _one_problem_then_fixed(install.mbox)
    assert _mode(install.mbox) & 0o660 == 0o660


# ---------------------------------------------------------------- files
def test_python_file_not_world_readable(install):
    """*.py files must be at least 0644."""
    os.chmod(install.py, 0o600)
    _one_problem_then_fixed(install.py)
    assert _mode(install.py) & 0o644 == 0o644


def test_adm_pw_must_be_exactly_0640(install):
    """adm.pw and creator.pw must be exactly 0640: not world-readable."""
    os.chmod(install.adm_pw, 0o644)
    _one_problem_then_fixed(install.adm_pw)
    assert _mode(install.adm_pw) == 0o640


def test_creator_pw_too_open_and_too_closed(install):
    """creator.pw follows the same exact-0640 rule, both ways: 0660 and
    0600 are both wrong."""
    creator = _mkfile(mm_cfg.LISTCREATOR_PW_FILE, 0o660)
    _one_problem_then_fixed(creator)
    assert _mode(creator) == 0o640
    os.chmod(creator, 0o600)
    _one_problem_then_fixed(creator)
    assert _mode(creator) == 0o640


def test_config_pck_group_writable(install):
    """config.pck (and the other list files) must be at least 0660."""
    os.chmod(install.config, 0o640)
    _one_problem_then_fixed(install.config)
    assert _mode(install.config) & 0o660 == 0o660


# ---------------------------------------------------------------- wrappers
def test_mail_wrapper_must_be_setgid(install):
    """mail/mailman must be setgid."""
    os.chmod(install.wrapper, 0o755)
    _one_problem_then_fixed(install.wrapper)
    assert _mode(install.wrapper) & stat.S_ISGID


def test_cgi_program_must_be_setgid(install):
    """cgi-bin programs that are g+x must be setgid."""
    os.chmod(install.listinfo, 0o755)
    _one_problem_then_fixed(install.listinfo)
    assert _mode(install.listinfo) & stat.S_ISGID


# ---------------------------------------------------------------- symlinks
def test_symlinks_are_not_followed(install, tmp_path):
    """Symlinks (archives/public/<list> -> ../private/<list>) are neither
    checked nor followed, and -f never changes what they point at."""
    outside = tmp_path / 'outside'
    outside.mkdir()
    os.chmod(outside, 0o700)
    bad_py = outside / 'bad.py'
    bad_py.write_text('x = 1\n')
    os.chmod(bad_py, 0o600)
    os.symlink(outside, os.path.join(install.public, 'elsewhere'))
    os.symlink(bad_py, os.path.join(install.public, 'link.py'))
    os.symlink(os.path.join(install.var, 'no-such-target'),
               os.path.join(install.public, 'dangling'))
    report, lines = _check()
    assert report.problems == 0, lines
    report, lines = _check(fix=True)
    assert report.problems == 0, lines
    assert _mode(outside) == 0o700
    assert _mode(bad_py) == 0o600
    assert os.path.islink(install.public_foo)


# ---------------------------------------------------------------- group
def _other_gid():
    """A group other than MAILMAN_GROUP that this process may chgrp to."""
    mailman_gid = grp.getgrnam(mm_cfg.MAILMAN_GROUP).gr_gid
    others = sorted(g for g in os.getgroups() if g != mailman_gid)
    if others:
        return others[0]
    if os.geteuid() == 0:   # root may give a file any group
        for entry in sorted(grp.getgrall(), key=lambda e: e.gr_gid):
            if entry.gr_gid != mailman_gid:
                return entry.gr_gid
    pytest.skip('the group rule needs a second group: this process belongs '
                'to no group besides MAILMAN_GROUP and is not root')


def test_file_with_wrong_group(install):
    """Every file must belong to MAILMAN_GROUP; -f chgrps it back."""
    gid = _other_gid()
    os.chown(install.py, -1, gid)
    assert os.stat(install.py).st_gid == gid
    _one_problem_then_fixed(install.py)
    assert os.stat(install.py).st_gid == grp.getgrnam(
        mm_cfg.MAILMAN_GROUP).gr_gid
    assert _mode(install.py) == 0o644


def test_setgid_wrapper_with_wrong_group_keeps_setgid(install):
    """chgrp of a wrapper clears its setgid bit; -f must restore the group
    and keep the wrapper setgid, in one run."""
    gid = _other_gid()
    os.chown(install.wrapper, -1, gid)
    os.chmod(install.wrapper, 0o2755)
    _one_problem_then_fixed(install.wrapper)
    assert os.stat(install.wrapper).st_gid == grp.getgrnam(
        mm_cfg.MAILMAN_GROUP).gr_gid
    assert _mode(install.wrapper) == 0o2755
