"""Issue: build and install exactly as the installation manual says.

Each test configures and installs a fresh copy of the source tree into its
own temporary prefix, then checks the installed tree the way an admin would:
bin/check_perms, bin/version, the wrappers.
"""

import grp
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from mmtest import need
from installs import (root_install, build_and_install, configure, copy_source,
                      current_group, current_user, ensure_user,
                      prepare_directory, run, interpreter_under_test,
                      world_reachable_directory)

VERSION = '2.2.0a1'
CGI_PAGES = ['admin', 'admindb', 'confirm', 'create', 'edithtml', 'listinfo',
             'options', 'private', 'rmlist', 'roster', 'search', 'subscribe']
VAR_DIRS = ['logs', 'archives', 'lists', 'locks', 'data', 'spam', 'qfiles',
            'archives/private', 'archives/public']
PREFIX_DIRS = ['bin', 'templates', 'scripts', 'cron', 'pythonlib', 'Mailman',
               'messages', 'icons'] + [
    'Mailman/' + d for d in ('Cgi', 'Logging', 'Archiver', 'Handlers', 'Queue',
                             'Bouncers', 'MTA', 'Gui', 'Commands')]
BUILD_USER = 'mmbuild'


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def group_of(path):
    return grp.getgrgid(os.lstat(path).st_gid).gr_name


def assert_complete_tree(install, group):
    for name in PREFIX_DIRS:
        path = install.prefix / name
        assert path.is_dir(), path
        assert mode_of(path) == 0o2775, (path, oct(mode_of(path)))
    for name in VAR_DIRS:
        path = install.var_prefix / name
        assert path.is_dir(), path
        expected = 0o2771 if name == 'archives/private' else 0o2775
        assert mode_of(path) == expected, (path, oct(mode_of(path)))
        assert group_of(path) == group
    wrapper = install.exec_prefix / 'mail' / 'mailman'
    assert mode_of(wrapper) == 0o2755 and group_of(wrapper) == group
    for page in CGI_PAGES:
        assert mode_of(install.exec_prefix / 'cgi-bin' / page) == 0o2755
    for program in ('check_perms', 'version', 'mmsitepass', 'mailman-config'):
        assert mode_of(install.prefix / 'bin' / program) == 0o755
    for script in ('driver', 'post', 'admin', 'bounces', 'confirm', 'join',
                   'leave', 'owner', 'request', 'subscribe', 'unsubscribe'):
        assert mode_of(install.prefix / 'scripts' / script) == 0o644
    for name in ('Defaults.py', 'mm_cfg.py', 'mm_cfg.py.dist', 'Utils.py'):
        assert (install.prefix / 'Mailman' / name).is_file()
    assert (install.prefix / 'pythonlib' / 'passlib').is_dir()
    assert (install.prefix / 'pythonlib' / 'dns').is_dir()


def check_perms(install, *args):
    return install.bin('check_perms', *args)


def assert_clean(result):
    """check_perms found no problem.  The one warning a default install
    draws (archives/private is o+x, as in 2.1) is not a problem."""
    lines = result.stdout.strip().splitlines()
    assert lines and lines[-1] == 'No problems found', result.stdout
    assert all(line.startswith('Warning: ') for line in lines[:-1]), result.stdout
    assert result.returncode == 0


# ---------------------------------------------------------------- 1
@pytest.fixture
def reachable_tmp():
    path = world_reachable_directory('build')
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_unprivileged_install(tmp_path, reachable_tmp):
    """Manual sections 2.2 to 4 as an ordinary user who owns the prefix:
    configure with the user's own names and groups, make install, and the
    tree is complete, check_perms is clean and bin/version answers."""
    owner = None
    if os.geteuid() == 0:
        # Root would pass every permission check; build as a real user.
        ensure_user(BUILD_USER, BUILD_USER)
        tmp_path = reachable_tmp
        owner = BUILD_USER
        user, group = BUILD_USER, BUILD_USER
        python = '/usr/bin/python3'    # pyenv's interpreters are under /root
        need(os.access(python, os.X_OK), f'{python} is needed to build as {user}')
    else:
        user, group = current_user(), current_group()
        python = None
    prefix = tmp_path / 'mm'
    prepare_directory(prefix, group)
    if owner:
        shutil.chown(prefix, user=owner)
    install = build_and_install(
        tmp_path, f'--with-username={user}', f'--with-groupname={group}',
        f'--with-mail-gid={group}', f'--with-cgi-gid={group}',
        prefix=prefix, python=python, owner=owner)
    assert 'Mailman 2.2.0a1 is configured' in install.configure_output
    assert_complete_tree(install, group)

    assert_clean(check_perms(install))

    version = install.bin('version')
    assert version.returncode == 0
    assert version.stdout.strip() == f'Using Mailman version: {VERSION}'


# ---------------------------------------------------------------- 2
@pytest.fixture(scope='module')
def mailman_install(tmp_path_factory):
    """As root, with a real mailman user and group (manual 2.1) and a
    prefix prepared as manual 2.2 says, with permission checks on."""
    install, workdir = root_install('root', mail_gid='mail')
    yield install
    shutil.rmtree(workdir, ignore_errors=True)


def test_root_install_is_clean(mailman_install):
    assert_complete_tree(mailman_install, 'mailman')
    assert_clean(check_perms(mailman_install))


def test_check_perms_reports_and_fixes(mailman_install):
    """Break modes and groups on purpose: each is reported, -f fixes them
    all, and a second run is clean."""
    prefix = mailman_install.prefix
    assert mailman_install.bin('mmsitepass', 'site-secret').returncode == 0
    broken = {
        prefix / 'lists': lambda p: p.chmod(0o755),
        prefix / 'Mailman' / 'Utils.py': lambda p: p.chmod(0o600),
        prefix / 'mail' / 'mailman': lambda p: p.chmod(0o755),
        prefix / 'cgi-bin' / 'listinfo': lambda p: p.chmod(0o755),
        prefix / 'data' / 'adm.pw': lambda p: p.chmod(0o644),
        prefix / 'archives' / 'private': lambda p: p.chmod(0o2775),
        prefix / 'bin' / 'version': lambda p: shutil.chown(p, group='root'),
        prefix / 'logs': lambda p: shutil.chown(p, group='root'),
    }
    for path, damage in broken.items():
        damage(path)

    report = check_perms(mailman_install)
    assert report.returncode == 1
    for path in broken:
        assert str(path) in report.stdout, (path, report.stdout)
    assert f'Problems found: {len(broken)}' in report.stdout

    fixed = check_perms(mailman_install, '-f')
    assert fixed.returncode == 0, fixed.stdout
    assert 'All problems were fixed' in fixed.stdout

    assert_clean(check_perms(mailman_install))
    assert mode_of(prefix / 'mail' / 'mailman') == 0o2755
    assert mode_of(prefix / 'data' / 'adm.pw') == 0o640
    assert group_of(prefix / 'logs') == 'mailman'


def test_mmsitepass_stores_a_salted_hash(mailman_install):
    install = mailman_install
    assert install.bin('mmsitepass', 'first').returncode == 0
    assert install.bin('mmsitepass', '-c', 'creator').returncode == 0
    site = (install.prefix / 'data' / 'adm.pw').read_text()
    creator = (install.prefix / 'data' / 'creator.pw').read_text()
    assert site.startswith('$pbkdf2-sha256$') and 'first' not in site
    assert creator.startswith('$pbkdf2-sha256$') and site != creator
    assert mode_of(install.prefix / 'data' / 'creator.pw') == 0o640


# ---------------------------------------------------------------- 3
def run_as(install, user, group, command, env=None):
    """Run COMMAND with the real and effective ids of USER and GROUP and no
    supplementary groups, as an MTA or a web server would."""
    environment = {'PATH': '/usr/bin:/bin'}
    environment.update(env or {})
    return subprocess.run(
        ['setpriv', f'--reuid={user}', f'--regid={group}', '--clear-groups',
         *command], capture_output=True, input=b'From: a@example.com\n\nhi\n',
        env=environment, cwd='/')


def error_log(install):
    path = install.var_prefix / 'logs' / 'error'
    return path.read_text() if path.exists() else ''


def test_mail_wrapper_group_mismatch_runs_no_python(mailman_install):
    before = error_log(mailman_install)
    wrapper = str(mailman_install.exec_prefix / 'mail' / 'mailman')
    result = run_as(mailman_install, 'nobody', 'nogroup',
                    [wrapper, 'post', 'nosuchlist'])
    assert result.returncode == 2
    assert b'Group mismatch' in result.stderr
    assert b'--with-mail-gid' in result.stderr
    assert error_log(mailman_install) == before     # no Python ran


def test_mail_wrapper_from_mail_group_reaches_scripts(mailman_install):
    wrapper = str(mailman_install.exec_prefix / 'mail' / 'mailman')
    result = run_as(mailman_install, 'nobody', 'mail',
                    [wrapper, 'post', 'nosuchlist'],
                    env={'PYTHONVERBOSE': '1', 'PYTHONPATH': '/nonexistent'})
    # scripts/post ran: EX_NOUSER for an unknown list, logged as mailman.
    assert result.returncode == 67, result.stderr
    assert b"no such list: 'nosuchlist'" in result.stderr
    assert "post to a nonexistent list: 'nosuchlist'" in error_log(mailman_install)
    log = mailman_install.var_prefix / 'logs' / 'error'
    assert group_of(log) == 'mailman'
    # The environment was scrubbed: a leaked PYTHONVERBOSE would trace imports.
    assert b'import ' not in result.stderr


def test_mail_wrapper_unknown_command(mailman_install):
    wrapper = str(mailman_install.exec_prefix / 'mail' / 'mailman')
    result = run_as(mailman_install, 'nobody', 'mail', [wrapper, 'bogus', 'x'])
    assert result.returncode == 6
    assert b'Illegal command: bogus' in result.stderr
    assert run_as(mailman_install, 'nobody', 'mail', [wrapper]).returncode == 5


def test_cgi_wrapper_group_check(mailman_install):
    cgi = str(mailman_install.exec_prefix / 'cgi-bin' / 'listinfo')
    refused = run_as(mailman_install, 'nobody', 'nogroup', [cgi],
                     env={'REQUEST_METHOD': 'PUT'})
    assert refused.returncode == 2
    assert b'Mailman CGI error!!!' in refused.stdout
    assert b'Group mismatch' in refused.stdout

    # From the web server's group the driver runs and answers the request.
    allowed = run_as(mailman_install, 'www-data', 'www-data', [cgi],
                     env={'REQUEST_METHOD': 'PUT'})
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.startswith(b'Status: 405')


# ---------------------------------------------------------------- 4
@pytest.fixture(scope='module')
def split_install(tmp_path_factory):
    """--with-var-prefix and --with-cgi-ext, as the current user."""
    workdir = tmp_path_factory.mktemp('split')
    group = current_group()
    var_prefix = workdir / 'var'
    prepare_directory(var_prefix, group)
    return build_and_install(
        workdir, f'--with-username={current_user()}', f'--with-groupname={group}',
        f'--with-mail-gid={group}', f'--with-cgi-gid={group}',
        '--with-cgi-ext=.cgi', var_prefix=var_prefix)


def test_var_prefix_holds_the_data(split_install):
    for name in ('lists', 'data', 'archives', 'qfiles', 'logs', 'locks'):
        assert (split_install.var_prefix / name).is_dir()
        assert not (split_install.prefix / name).exists()
    defaults = (split_install.prefix / 'Mailman' / 'Defaults.py').read_text()
    assert f"VAR_PREFIX = '{split_install.var_prefix}'" in defaults
    assert_clean(check_perms(split_install))


def test_cgi_extension_names_the_wrappers(split_install):
    cgi_bin = split_install.exec_prefix / 'cgi-bin'
    assert sorted(p.name for p in cgi_bin.iterdir()) == sorted(
        page + '.cgi' for page in CGI_PAGES)


def test_reinstall_keeps_edited_mm_cfg(split_install):
    mm_cfg = split_install.prefix / 'Mailman' / 'mm_cfg.py'
    edited = mm_cfg.read_text() + "\nDEFAULT_EMAIL_HOST = 'lists.example.org'\n"
    mm_cfg.write_text(edited)
    split_install.make('install')
    assert mm_cfg.read_text() == edited
    # And the installed code sees the setting.
    probe = run([str(split_install.prefix / 'bin' / 'mailman-config')])
    assert probe.returncode == 0
    check = subprocess.run(
        [interpreter_under_test(), '-S', '-c',
         'import paths; from Mailman import mm_cfg; print(mm_cfg.DEFAULT_EMAIL_HOST)'],
        cwd=split_install.prefix / 'bin', capture_output=True, text=True)
    assert check.stdout.strip() == 'lists.example.org', check.stderr


def test_destdir_staging(tmp_path):
    group = current_group()
    prefix = Path('/opt/mailman-staged-test')
    staging = tmp_path / 'stage'
    install = build_and_install(
        tmp_path, f'--with-username={current_user()}', f'--with-groupname={group}',
        f'--with-mail-gid={group}', f'--with-cgi-gid={group}',
        '--without-permcheck', prefix=prefix,
        make_args=[f'DESTDIR={staging}'])
    assert not prefix.exists(), 'DESTDIR install wrote outside the staging dir'
    staged = staging / prefix.relative_to('/')
    assert (staged / 'mail' / 'mailman').is_file()
    assert mode_of(staged / 'mail' / 'mailman') == 0o2755
    assert (staged / 'Mailman' / 'mm_cfg.py').is_file()
    assert (staged / 'lists').is_dir()
    # Paths inside the staged tree name the final prefix, not the stage.
    defaults = (staged / 'Mailman' / 'Defaults.py').read_text()
    assert f"PREFIX = '{prefix}'" in defaults
    assert str(staging) not in defaults
    assert str(staging).encode() not in (staged / 'mail' / 'mailman').read_bytes()
    assert install.make_output


# ---------------------------------------------------------------- 5
def test_configure_refuses_source_dir_as_prefix(tmp_path):
    source = copy_source(tmp_path / 'src')
    result = configure(source, f'--prefix={source}', '--without-permcheck',
                       check=False)
    assert result.returncode != 0
    assert 'is the source directory' in result.stderr
    assert not (source / 'Makefile').exists()


def test_configure_refuses_old_python(tmp_path):
    fake = tmp_path / 'python'
    fake.write_text('#!/bin/sh\necho 3.8.0\nexit 1\n')
    fake.chmod(0o755)
    source = copy_source(tmp_path / 'src')
    result = configure(source, f'--prefix={tmp_path}/mm', f'--with-python={fake}',
                       '--without-permcheck', check=False)
    assert result.returncode != 0
    assert 'Python 3.11 or newer is required' in result.stderr


def test_configure_checks_the_var_prefix(tmp_path):
    """With permission checks on, an unprepared var prefix is refused with
    the manual's instructions; --without-permcheck skips the check."""
    source = copy_source(tmp_path / 'src')
    group = current_group()
    unprepared = tmp_path / 'var'
    unprepared.mkdir(mode=0o755)
    unprepared.chmod(0o755)
    common = [f'--prefix={tmp_path}/mm', f'--with-var-prefix={unprepared}',
              f'--with-username={current_user()}', f'--with-groupname={group}',
              f'--with-mail-gid={group}', f'--with-cgi-gid={group}']
    refused = configure(source, *common, check=False)
    assert refused.returncode != 0
    assert 'is not ready' in refused.stderr and 'chmod a+rx,g+ws' in refused.stderr
    assert configure(source, *common, '--without-permcheck').returncode == 0


def test_configure_first_existing_group_wins(tmp_path):
    source = copy_source(tmp_path / 'src')
    group = current_group()
    result = configure(source, f'--prefix={tmp_path}/mm', '--without-permcheck',
                       f'--with-mail-gid=nosuchgroup-1 {group} other',
                       f'--with-cgi-gid=nosuchgroup-2,{os.getgid()}')
    makefile = (source / 'src' / 'Makefile').read_text()
    assert f'MAIL_GROUP = {group}' in makefile
    assert f'CGI_GROUP = {group}' in makefile
    assert result.returncode == 0
