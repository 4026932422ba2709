"""Manual section 6.1: MTA = 'Postfix' in an installed Mailman.

One root install (mail gid mailman, as 6.1.1 says), with MTA = 'Postfix'
and one virtual alias domain in mm_cfg.py.  Lists are created the way an
admin would, bin/genaliases rebuilds the maps, and Postfix's own tools must
then answer with 2.1's pipe commands for every list address.  No Postfix
daemon is needed: postalias and postmap read the tables directly.
"""

import os
import pwd
import shlex
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from mmtest import need, need_root
from installs import root_install, run

POSTALIAS = '/usr/sbin/postalias'
POSTMAP = '/usr/sbin/postmap'
PYTHON = '/usr/bin/python3'
VIRTUAL_DOMAIN = 'lists.virtual.test'
LOCAL_DOMAIN = 'lists.local.test'
COMMANDS = ['admin', 'bounces', 'confirm', 'join', 'leave', 'owner',
            'request', 'subscribe', 'unsubscribe']

CREATE_SNIPPET = """\
import sys
import paths
from Mailman import Passwords
from Mailman.MailList import MailList
from Mailman.MTA import Postfix
name, host = sys.argv[1], sys.argv[2]
mlist = MailList()
mlist.Create(name, 'owner@example.com', Passwords.hash_password('pw'),
             emailhost=host)
try:
    mlist.Save()
    Postfix.create(mlist)
finally:
    mlist.Unlock()
"""

REMOVE_SNIPPET = """\
import shutil
import sys
import paths
from Mailman.MailList import MailList
from Mailman.MTA import Postfix
mlist = MailList(sys.argv[1])
try:
    Postfix.remove(mlist)
    shutil.rmtree(mlist.fullpath())
finally:
    mlist.Unlock()
"""


@pytest.fixture(scope='module')
def postfix_install():
    need_root()
    need(os.access(POSTALIAS, os.X_OK) and os.access(POSTMAP, os.X_OK),
         'Postfix is not installed (postalias and postmap are needed)')
    install, workdir = root_install('postfix',
                                    f'--with-mailhost={LOCAL_DOMAIN}')
    try:
        mm_cfg = install.prefix / 'Mailman' / 'mm_cfg.py'
        with open(mm_cfg, 'a') as f:
            f.write("\nMTA = 'Postfix'\n"
                    f"POSTFIX_STYLE_VIRTUAL_DOMAINS = ['{VIRTUAL_DOMAIN}']\n")
        yield install
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def python_snippet(install, code, *args):
    return run([PYTHON, '-S', '-c', code, *args],
               cwd=install.prefix / 'bin')


def create_list(install, name, host):
    """bin/newlist if it is there, else the list core called directly."""
    if (install.prefix / 'bin' / 'newlist').exists():
        result = install.bin('newlist', '-q', '-e', host, name,
                             'owner@example.com', 'pw')
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        python_snippet(install, CREATE_SNIPPET, name, host)


def wrapper(install):
    return install.exec_prefix / 'mail' / 'mailman'


def aliases(install):
    return install.var_prefix / 'data' / 'aliases'


def virtual(install):
    return install.var_prefix / 'data' / 'virtual-mailman'


def postalias_query(install, key):
    result = subprocess.run([POSTALIAS, '-q', key, str(aliases(install))],
                            capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def postmap_query(install, key):
    result = subprocess.run([POSTMAP, '-q', key, f'hash:{virtual(install)}'],
                            capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def expected_aliases(install, name):
    """2.1's alias -> pipe command pairs for list NAME."""
    pairs = {name: f'"|{wrapper(install)} post {name}"'}
    for command in COMMANDS:
        pairs[f'{name}-{command}'] = f'"|{wrapper(install)} {command} {name}"'
    return pairs


@pytest.fixture(scope='module')
def lists(postfix_install):
    local = 'pl' + uuid.uuid4().hex[:8]
    remote = 'pv' + uuid.uuid4().hex[:8]
    create_list(postfix_install, local, LOCAL_DOMAIN)
    create_list(postfix_install, remote, VIRTUAL_DOMAIN)
    result = postfix_install.bin('genaliases')
    assert result.returncode == 0, result.stdout + result.stderr
    return local, remote


def test_postalias_answers_every_list_address(postfix_install, lists):
    for name in lists:
        for alias, command in expected_aliases(postfix_install, name).items():
            assert postalias_query(postfix_install, alias) == command, alias
    assert postalias_query(postfix_install, 'mailman-loop') == \
        str(postfix_install.var_prefix / 'data' / 'owner-bounces.mbox')


def test_postmap_maps_virtual_addresses(postfix_install, lists):
    local, remote = lists
    for alias in expected_aliases(postfix_install, remote):
        assert postmap_query(postfix_install,
                             f'{alias}@{VIRTUAL_DOMAIN}') == alias
        # ... and the local alias it maps to is a pipe into Mailman.
        assert postalias_query(postfix_install, alias).startswith(
            f'"|{wrapper(install=postfix_install)} ')
    assert postmap_query(postfix_install, f'mailman-loop@{VIRTUAL_DOMAIN}') \
        == 'mailman-loop'
    # Lists outside POSTFIX_STYLE_VIRTUAL_DOMAINS are not in the virtual map.
    assert postmap_query(postfix_install, f'{local}@{LOCAL_DOMAIN}') is None
    assert postmap_query(postfix_install, f'{local}@{VIRTUAL_DOMAIN}') is None
    assert local not in virtual(postfix_install).read_text()


def test_tables_belong_to_mailman(postfix_install, lists):
    """Postfix runs pipe aliases as the owner of aliases.db (6.1.1): as
    root, genaliases must leave the tables to mailman:mailman, 0664, and
    check_perms must find nothing to complain about."""
    mailman = pwd.getpwnam('mailman')
    for path in (aliases(postfix_install), virtual(postfix_install)):
        for target in (path, Path(f'{path}.db')):
            st = os.stat(target)
            assert (st.st_uid, st.st_gid) == (mailman.pw_uid, mailman.pw_gid), \
                target
            assert st.st_mode & 0o777 == 0o664, (target, oct(st.st_mode))
    report = postfix_install.bin('check_perms')
    assert report.returncode == 0, report.stdout
    assert 'aliases' not in report.stdout and 'virtual' not in report.stdout


def test_pipe_command_reaches_mailman(postfix_install, lists):
    """Run a list's alias command as Postfix would (as the .db owner):
    the wrapper accepts the group and the script finds the list."""
    name = lists[0]
    command = postalias_query(postfix_install, f'{name}-request')
    argv = shlex.split(command.strip('"').lstrip('|'))
    result = subprocess.run(
        ['setpriv', '--reuid=mailman', '--regid=mailman', '--clear-groups',
         *argv], input=b'From: a@example.com\nSubject: help\n\nhelp\n',
        capture_output=True, env={'PATH': '/usr/bin:/bin'}, cwd='/')
    # 0 once queued; 75 (EX_TEMPFAIL) while the queues are not installed.
    # Never 2 (group mismatch) nor 67 (no such list).
    assert result.returncode in (0, 75), result.stderr


def test_genaliases_help_and_quiet(postfix_install, lists):
    helped = postfix_install.bin('genaliases', '--help')
    assert helped.returncode == 0 and '--quiet' in helped.stdout
    quiet = postfix_install.bin('genaliases', '-q')
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == ''


def test_removed_list_leaves_the_tables(postfix_install, lists):
    name = 'pr' + uuid.uuid4().hex[:8]
    create_list(postfix_install, name, VIRTUAL_DOMAIN)
    assert postalias_query(postfix_install, f'{name}-owner') is not None
    assert postmap_query(postfix_install, f'{name}@{VIRTUAL_DOMAIN}') == name
    if (postfix_install.prefix / 'bin' / 'rmlist').exists():
        result = postfix_install.bin('rmlist', name)
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        python_snippet(postfix_install, REMOVE_SNIPPET, name)
    for alias in expected_aliases(postfix_install, name):
        assert postalias_query(postfix_install, alias) is None
        assert postmap_query(postfix_install, f'{alias}@{VIRTUAL_DOMAIN}') is None
    # The other lists are still there.
    assert postalias_query(postfix_install, lists[0]) is not None
    assert postmap_query(postfix_install, f'{lists[1]}@{VIRTUAL_DOMAIN}') \
        == lists[1]


def test_genaliases_reports_a_missing_postalias(postfix_install, lists):
    mm_cfg = postfix_install.prefix / 'Mailman' / 'mm_cfg.py'
    original = mm_cfg.read_text()
    mm_cfg.write_text(original + "POSTFIX_ALIAS_CMD = '/nonexistent/postalias'\n")
    try:
        result = postfix_install.bin('genaliases')
    finally:
        mm_cfg.write_text(original)
    assert result.returncode != 0
    message = result.stderr.strip()
    assert '\n' not in message and '/nonexistent/postalias not found' in message
    error_log = (postfix_install.var_prefix / 'logs' / 'error').read_text()
    assert '/nonexistent/postalias not found' in error_log
    # Put the tables back for whatever runs next.
    assert postfix_install.bin('genaliases').returncode == 0
