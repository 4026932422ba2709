"""Mailman.MTA.Postfix, Manual and Utils, and bin/genaliases, in process.

The map files are compiled with the real postalias and postmap when they
are installed (they are in CI); without them those tests skip and say why.
"""

import os
import re
import runpy
import shutil
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from mmtest import need

from Mailman import LockFile
from Mailman import Passwords
from Mailman import mm_cfg
from Mailman.MailList import MailList
from Mailman.MTA import Manual
from Mailman.MTA import Postfix
from Mailman.MTA.Utils import makealiases

REPO = Path(__file__).resolve().parents[2]
POSTALIAS = '/usr/sbin/postalias'
POSTMAP = '/usr/sbin/postmap'
COMMANDS = ['admin', 'bounces', 'confirm', 'join', 'leave', 'owner',
            'request', 'subscribe', 'unsubscribe']


def unique(prefix='pf'):
    return f'{prefix}{uuid.uuid4().hex[:10]}'


def wrapper():
    return os.path.join(mm_cfg.WRAPPER_DIR, 'mailman')


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def need_postfix_tools():
    need(os.access(POSTALIAS, os.X_OK) and os.access(POSTMAP, os.X_OK),
         f'Postfix is not installed ({POSTALIAS} and {POSTMAP} are missing)')


@pytest.fixture
def postfix(monkeypatch):
    """The Postfix MTA module with the real tools, and data/ cleaned of
    map files afterwards so that other tests start from nothing."""
    need_postfix_tools()
    monkeypatch.setattr(mm_cfg, 'MTA', 'Postfix', raising=False)
    monkeypatch.setattr(mm_cfg, 'POSTFIX_ALIAS_CMD', POSTALIAS)
    monkeypatch.setattr(mm_cfg, 'POSTFIX_MAP_CMD', POSTMAP)
    monkeypatch.setattr(mm_cfg, 'POSTFIX_STYLE_VIRTUAL_DOMAINS', [])
    monkeypatch.setattr(mm_cfg, 'VIRTUAL_MAILMAN_LOCAL_DOMAIN', None)
    yield Postfix
    remove_map_files()


def remove_map_files():
    for base in ('aliases', 'virtual-mailman'):
        for suffix in ('', '.db', '.lmdb', '.cdb'):
            path = os.path.join(mm_cfg.DATA_DIR, base + suffix)
            if os.path.exists(path):
                os.unlink(path)


@pytest.fixture
def make_list():
    """Create lists with unique names; they are removed at the end."""
    made = []

    def make(emailhost=None, name=None, keep_locked=False):
        mlist = MailList()
        mlist.Create(name or unique(), 'owner@example.com',
                     Passwords.hash_password('x'), emailhost=emailhost)
        mlist.Save()
        made.append(mlist)
        if not keep_locked:
            mlist.Unlock()
        return mlist

    yield make
    for mlist in made:
        if mlist.Locked():
            mlist.Unlock()
        shutil.rmtree(mlist.fullpath(), ignore_errors=True)


def aliases_text():
    return Path(mm_cfg.DATA_DIR, 'aliases').read_text()


def virtual_text():
    return Path(mm_cfg.DATA_DIR, 'virtual-mailman').read_text()


def postalias_query(key):
    result = subprocess.run(
        [POSTALIAS, '-q', key, os.path.join(mm_cfg.DATA_DIR, 'aliases')],
        capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def postmap_query(key):
    result = subprocess.run(
        [POSTMAP, '-q', key,
         'hash:' + os.path.join(mm_cfg.DATA_DIR, 'virtual-mailman')],
        capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def stanza(text, name):
    """The lines of NAME's stanza, START and END markers included."""
    match = re.search(rf'^# STANZA START: {re.escape(name)}\n.*?'
                      rf'^# STANZA END: {re.escape(name)}\n', text,
                      re.MULTILINE | re.DOTALL)
    return match.group(0).splitlines() if match else None


def expected_alias_stanza(name, created=None):
    pad = len(name) + len('-unsubscribe')
    lines = [f'# STANZA START: {name}', created]
    lines.append(f'{name}: {" " * (pad - len(name))}'
                 f'"|{wrapper()} post {name}"')
    for command in COMMANDS:
        alias = f'{name}-{command}'
        lines.append(f'{alias}: {" " * (pad - len(alias))}'
                     f'"|{wrapper()} {command} {name}"')
    lines.append(f'# STANZA END: {name}')
    return lines


# ---------------------------------------------------------------- Utils
def test_makealiases_order_and_commands():
    pairs = makealiases('mylist')
    assert [alias for alias, _ in pairs] == ['mylist'] + [
        f'mylist-{c}' for c in COMMANDS]
    assert pairs[0][1] == f'"|{wrapper()} post mylist"'
    assert dict(pairs)['mylist-request'] == f'"|{wrapper()} request mylist"'
    assert dict(pairs)['mylist-admin'] == f'"|{wrapper()} admin mylist"'


def test_makealiases_maildir(monkeypatch):
    monkeypatch.setattr(mm_cfg, 'USE_MAILDIR', True)
    pairs = makealiases('mylist')
    assert len(pairs) == 10
    assert {dest for _, dest in pairs} == {mm_cfg.MAILDIR_DIR.rstrip('/') + '/'}


# ---------------------------------------------------------------- Postfix
def test_aliases_file_exact_format(postfix, make_list):
    # The caller holds the list lock, as bin/newlist and the create page
    # do: create() must neither lock nor reload the list.
    mlist = make_list(keep_locked=True)
    name = mlist.internal_name()
    postfix.create(mlist)
    text = aliases_text()
    lines = text.splitlines()
    # A comment block first, then the loop stopper, then the stanzas.
    header_end = lines.index('')
    assert header_end > 0 and all(l.startswith('#') for l in lines[:header_end])
    loop = f'mailman-loop: {mm_cfg.DATA_DIR}/owner-bounces.mbox'
    assert loop in lines
    assert lines.index(loop) < lines.index(f'# STANZA START: {name}')
    got = stanza(text, name)
    assert re.fullmatch(r'# CREATED: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}',
                        got[1]), got[1]
    assert got == expected_alias_stanza(name, got[1])
    # The bare name has 13 spaces after the colon: as wide as -unsubscribe.
    assert f'{name}:             "|' in text
    assert text.endswith(f'# STANZA END: {name}\n\n') or \
        f'# STANZA END: {name}\n\n# STANZA START:' in text
    for suffix in ('', '.db'):
        path = os.path.join(mm_cfg.DATA_DIR, 'aliases' + suffix)
        assert mode_of(path) == 0o664, (path, oct(mode_of(path)))
    assert mlist.Locked()


def test_postalias_answers_the_pipe_commands(postfix, make_list):
    mlist = make_list()
    name = mlist.internal_name()
    postfix.create(mlist)
    assert postalias_query(f'{name}-request') == \
        f'"|{wrapper()} request {name}"'
    assert postalias_query(name) == f'"|{wrapper()} post {name}"'
    for command in COMMANDS:
        assert postalias_query(f'{name}-{command}') == \
            f'"|{wrapper()} {command} {name}"'
    assert postalias_query('mailman-loop') == \
        os.path.join(mm_cfg.DATA_DIR, 'owner-bounces.mbox')


def test_remove_drops_the_list(postfix, make_list):
    keep, gone = make_list(), make_list()
    postfix.create(keep)
    postfix.create(gone)
    assert postalias_query(gone.internal_name()) is not None
    # rmlist calls remove() while the list is still on disk and locked.
    gone.Lock()
    try:
        postfix.remove(gone)
    finally:
        gone.Unlock()
    text = aliases_text()
    assert stanza(text, gone.internal_name()) is None
    assert gone.internal_name() + ':' not in text
    assert stanza(text, keep.internal_name()) is not None
    for alias, _ in makealiases(gone.internal_name()):
        assert postalias_query(alias) is None
    assert postalias_query(keep.internal_name() + '-owner') is not None


def test_regenerate_covers_every_list_and_keeps_created(postfix, make_list):
    first, second = make_list(), make_list()
    postfix.regenerate()
    text = aliases_text()
    created = stanza(text, first.internal_name())[1]
    assert stanza(text, second.internal_name()) is not None
    time.sleep(1.1)
    postfix.regenerate()
    assert stanza(aliases_text(), first.internal_name())[1] == created
    # Rewritten, not appended to: each stanza appears once.
    assert aliases_text().count(f'# STANZA START: {first.internal_name()}\n') == 1


def test_no_virtual_file_without_virtual_domains(postfix, make_list):
    postfix.create(make_list())
    assert not os.path.exists(os.path.join(mm_cfg.DATA_DIR, 'virtual-mailman'))


def test_virtual_domains(postfix, make_list, monkeypatch):
    domain = unique('v') + '.example.org'
    monkeypatch.setattr(mm_cfg, 'POSTFIX_STYLE_VIRTUAL_DOMAINS', [domain])
    local = make_list()                     # DEFAULT_EMAIL_HOST: not virtual
    mlist = make_list(emailhost=domain)
    name = mlist.internal_name()
    postfix.create(mlist)
    text = virtual_text()
    assert mode_of(os.path.join(mm_cfg.DATA_DIR, 'virtual-mailman')) == 0o664
    assert mode_of(os.path.join(mm_cfg.DATA_DIR, 'virtual-mailman.db')) == 0o664
    lines = text.splitlines()
    loop_block = lines[lines.index('# LOOP ADDRESSES START') + 1:
                       lines.index('# LOOP ADDRESSES END')]
    assert loop_block == [f'mailman-loop@{domain}\tmailman-loop']
    site_block = lines[lines.index('# SITE ADDRESSES START') + 1:
                       lines.index('# SITE ADDRESSES END')]
    assert site_block == [f'mailman@{domain}\tmailman']
    got = stanza(text, name)
    width = len(name) + len('-unsubscribe')
    expected = [f'# STANZA START: {name}', got[1],
                f'{name}@{domain} {" " * (width - len(name))} {name}']
    for command in COMMANDS:
        alias = f'{name}-{command}'
        expected.append(f'{alias}@{domain} {" " * (width - len(alias))} {alias}')
    expected.append(f'# STANZA END: {name}')
    assert got == expected
    assert local.internal_name() not in text
    # Every list address maps to the local alias Postfix pipes to Mailman.
    for alias, command in makealiases(name):
        assert postmap_query(f'{alias}@{domain}') == alias
        assert postalias_query(alias) == command
    assert postmap_query(f'mailman-loop@{domain}') == 'mailman-loop'
    assert postmap_query(f'{local.internal_name()}@{domain}') is None
    # The virtual list is in data/aliases too.
    assert stanza(aliases_text(), name) is not None

    postfix.remove(mlist)
    assert stanza(virtual_text(), name) is None
    assert postmap_query(f'{name}@{domain}') is None
    assert f'mailman-loop@{domain}' not in virtual_text()


def test_virtual_local_domain(postfix, make_list, monkeypatch):
    domain = unique('v') + '.example.net'
    monkeypatch.setattr(mm_cfg, 'POSTFIX_STYLE_VIRTUAL_DOMAINS', [domain])
    monkeypatch.setattr(mm_cfg, 'VIRTUAL_MAILMAN_LOCAL_DOMAIN', 'localhost')
    mlist = make_list(emailhost=domain)
    name = mlist.internal_name()
    postfix.create(mlist)
    assert postmap_query(f'{name}-request@{domain}') == \
        f'{name}-request@localhost'
    assert postmap_query(f'{name}@{domain}') == f'{name}@localhost'
    assert postmap_query(f'mailman-loop@{domain}') == 'mailman-loop@localhost'
    assert f'{name}-unsubscribe@{domain}  {name}-unsubscribe@localhost' in \
        virtual_text()


def test_site_list_in_virtual_domain_not_doubled(postfix, make_list,
                                                 monkeypatch):
    domain = unique('v') + '.example.com'
    site = unique('site')
    monkeypatch.setattr(mm_cfg, 'POSTFIX_STYLE_VIRTUAL_DOMAINS', [domain])
    monkeypatch.setattr(mm_cfg, 'MAILMAN_SITE_LIST', site)
    postfix.create(make_list(emailhost=domain, name=site))
    text = virtual_text()
    assert text.count(f'\n{site}@{domain} ') + \
        text.count(f'\n{site}@{domain}\t') == 1
    assert postmap_query(f'{site}-loop@{domain}') == f'{site}-loop'


def test_create_honours_nolock(postfix, make_list):
    """nolock=True: the caller holds locks/creator (as 2.1's genaliases
    did); create() must not wait for it."""
    mlist = make_list()
    lock = postfix.makelock()
    lock.lock()
    try:
        postfix.create(mlist, nolock=True)
    finally:
        lock.unlock()
    assert stanza(aliases_text(), mlist.internal_name()) is not None


def test_creator_lock_is_held_while_writing(postfix, make_list, monkeypatch):
    seen = []
    real = postfix._write_aliases

    def spy(lists):
        probe = LockFile.LockFile(os.path.join(mm_cfg.LOCK_DIR, 'creator'))
        with pytest.raises(LockFile.TimeOutError):
            probe.lock(timeout=0.1)
        seen.append(True)
        real(lists)

    monkeypatch.setattr(postfix, '_write_aliases', spy)
    postfix.create(make_list())
    assert seen
    assert not os.path.exists(os.path.join(mm_cfg.LOCK_DIR, 'creator'))


def error_log():
    path = Path(mm_cfg.LOG_DIR, 'error')
    return path.read_text() if path.exists() else ''


def test_missing_command_is_reported(monkeypatch, make_list):
    monkeypatch.setattr(mm_cfg, 'POSTFIX_ALIAS_CMD', '/nonexistent/postalias')
    try:
        with pytest.raises(Postfix.PostfixError) as info:
            Postfix.create(make_list())
        assert '/nonexistent/postalias not found' in str(info.value)
        assert 'POSTFIX_ALIAS_CMD' in str(info.value)
        assert '/nonexistent/postalias not found' in error_log()
    finally:
        remove_map_files()


def test_failing_command_raises_with_its_stderr(monkeypatch, make_list):
    monkeypatch.setattr(mm_cfg, 'POSTFIX_ALIAS_CMD',
                        '/bin/sh -c "echo postalias: fatal: boom >&2; exit 3" sh')
    try:
        with pytest.raises(Postfix.PostfixError) as info:
            Postfix.create(make_list())
        message = str(info.value)
        assert 'exit status 3' in message and 'postalias: fatal: boom' in message
        assert 'postalias: fatal: boom' in error_log()
        # The lock was released despite the failure.
        assert not os.path.exists(os.path.join(mm_cfg.LOCK_DIR, 'creator'))
    finally:
        remove_map_files()


def test_unreadable_list_keeps_its_aliases(postfix, make_list):
    mlist = make_list()
    name = mlist.internal_name()
    Path(mlist.fullpath(), 'config.pck').write_bytes(b'not a pickle')
    last = Path(mlist.fullpath(), 'config.pck.last')
    if last.exists():
        last.unlink()
    postfix.regenerate()
    assert postalias_query(f'{name}-bounces') == \
        f'"|{wrapper()} bounces {name}"'
    assert f'cannot load list {name}' in error_log()


# ---------------------------------------------------------------- checkperms
class FakeReport:
    def __init__(self, fix=False):
        self.fix = fix
        self.problems = []
        self.notes = []

    def problem(self, text, repair=None):
        self.problems.append(text)
        if self.fix and repair is not None:
            repair()

    def warn(self, text):
        self.notes.append(text)

    def note(self, text):
        self.notes.append(text)


def test_checkperms_modes(postfix, make_list):
    postfix.create(make_list())
    db = os.path.join(mm_cfg.DATA_DIR, 'aliases.db')
    report = FakeReport()
    postfix.checkperms(report)
    assert report.problems == []
    os.chmod(db, 0o644)
    report = FakeReport()
    postfix.checkperms(report)
    assert len(report.problems) == 1 and db in report.problems[0]
    fixed = FakeReport(fix=True)
    postfix.checkperms(fixed)
    assert mode_of(db) & 0o660 == 0o660
    report = FakeReport()
    postfix.checkperms(report)
    assert report.problems == []


def test_checkperms_owner_of_db(postfix, make_list):
    need(os.geteuid() == 0, 'changing a file owner needs root')
    postfix.create(make_list())
    db = os.path.join(mm_cfg.DATA_DIR, 'aliases.db')
    os.chown(db, 65534, -1)     # nobody
    report = FakeReport()
    postfix.checkperms(report)
    assert len(report.problems) == 1
    assert f'must be {mm_cfg.MAILMAN_USER}:{mm_cfg.MAILMAN_GROUP}' in \
        report.problems[0]
    postfix.checkperms(FakeReport(fix=True))
    assert os.stat(db).st_uid == os.geteuid()


def test_check_perms_runs_the_postfix_check(postfix, make_list):
    from Mailman import CheckPerms
    postfix.create(make_list())
    db = os.path.join(mm_cfg.DATA_DIR, 'aliases.db')
    os.chmod(db, 0o600)
    lines = []
    report = CheckPerms.check(out=lines.append)
    assert any(db in line for line in lines), lines
    report = CheckPerms.check(fix=True, out=lines.append)
    assert mode_of(db) & 0o660 == 0o660


# ---------------------------------------------------------------- Manual
def test_manual_create_prints_etc_aliases_lines(make_list, capsys):
    mlist = make_list()
    name = mlist.internal_name()
    assert Manual.create(mlist) is None
    out = capsys.readouterr().out
    assert '/etc/aliases' in out
    assert f'## {name} mailing list' in out
    pad = len(name) + len('-unsubscribe')
    for alias, command in makealiases(name):
        assert f'{alias}: {" " * (pad - len(alias))} {command}\n' in out
    Manual.create(mlist, quiet=True)
    quiet = capsys.readouterr().out
    assert quiet.startswith(f'## {name} mailing list\n')


def test_manual_cgi_returns_text(make_list, capsys):
    mlist = make_list()
    text = Manual.create(mlist, cgi=True)
    assert capsys.readouterr().out == ''
    assert f'"|{wrapper()} post {mlist.internal_name()}"' in text
    removal = Manual.remove(mlist, cgi=True)
    assert 'Remove' in removal and mlist.internal_name() + '-owner:' in removal


def test_manual_remove_prints(make_list, capsys):
    mlist = make_list()
    Manual.remove(mlist)
    out = capsys.readouterr().out
    assert 'Remove' in out
    assert f'{mlist.internal_name()}-unsubscribe:  "|' in out


# ---------------------------------------------------------------- bin/genaliases
def run_genaliases(monkeypatch, *args):
    monkeypatch.setitem(sys.modules, 'paths', type(sys)('paths'))
    monkeypatch.setattr(sys, 'argv', ['genaliases', *args])
    with pytest.raises(SystemExit) as info:
        runpy.run_path(str(REPO / 'bin' / 'genaliases'), run_name='__main__')
    return info.value.code


def test_genaliases_postfix(postfix, make_list, monkeypatch, capsys):
    mlist = make_list()
    assert run_genaliases(monkeypatch, '-q') in (0, None)
    assert postalias_query(mlist.internal_name() + '-join') == \
        f'"|{wrapper()} join {mlist.internal_name()}"'


def test_genaliases_manual(make_list, monkeypatch, capsys):
    monkeypatch.setattr(mm_cfg, 'MTA', 'Manual', raising=False)
    mlist = make_list()
    assert run_genaliases(monkeypatch) in (0, None)
    out = capsys.readouterr().out
    assert f'## {mlist.internal_name()} mailing list' in out
    assert f'mailman-loop: {mm_cfg.DATA_DIR}/owner-bounces.mbox' in out
    assert not os.path.exists(os.path.join(mm_cfg.DATA_DIR, 'aliases'))


def test_genaliases_error_is_one_line(make_list, monkeypatch, capsys):
    monkeypatch.setattr(mm_cfg, 'MTA', 'Postfix', raising=False)
    monkeypatch.setattr(mm_cfg, 'POSTFIX_ALIAS_CMD', '/nonexistent/postalias')
    make_list()
    try:
        code = run_genaliases(monkeypatch)
    finally:
        remove_map_files()
    assert isinstance(code, str) and '\n' not in code
    assert code.startswith('genaliases: /nonexistent/postalias not found')


def test_genaliases_help(monkeypatch, capsys):
    assert run_genaliases(monkeypatch, '--help') == 0
    out = capsys.readouterr().out
    assert '-q, --quiet' in out
