"""Issue: the membership commands of bin/, run as installed.

One install per module (as the current user, no permission checks); each
test makes its own lists, named after the test, with a Python snippet run
by the installed interpreter, and then drives the real programs:
add_members, list_members, remove_members, sync_members, find_member,
clone_member, change_pw, list_lists, list_admins, list_owners.
"""

import json
import os
import pickle
import pty
import shutil
import subprocess
import threading
import time

import pytest

from installs import (build_and_install, current_group, current_user,
                      interpreter_under_test)

PROGRAMS = ['add_members', 'list_members', 'remove_members', 'sync_members',
            'find_member', 'clone_member', 'change_pw', 'list_lists',
            'list_admins', 'list_owners']
OWNER = 'owner@example.com'


class Site:
    def __init__(self, install):
        self.install = install
        self.prefix = install.prefix
        self.virgin = install.var_prefix / 'qfiles' / 'virgin'

    def bin(self, program, *args, input=None, **kwargs):
        return self.install.bin(program, *args, input=input, **kwargs)

    def ok(self, program, *args, input=None):
        """Run PROGRAM, insist on success, return its stdout lines."""
        result = self.bin(program, *args, input=input)
        assert result.returncode == 0, (program, args, result.stdout,
                                        result.stderr)
        return result.stdout.splitlines()

    def py(self, code):
        """Run CODE with the installed interpreter and Mailman; returns
        what it printed."""
        result = subprocess.run(
            [interpreter_under_test(), '-S', '-c', 'import paths\n' + code],
            cwd=self.prefix / 'bin', capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def new_list(self, name, owner=OWNER, **attributes):
        self.py(f"""
from Mailman.MailList import MailList
from Mailman import Passwords
m = MailList()
m.Create({name!r}, {owner!r}, Passwords.hash_password('x'))
for k, v in {attributes!r}.items():
    setattr(m, k, v)
m.Save()
m.Unlock()
""")
        return name

    def with_list(self, name, body):
        """Run BODY (Python, with `m` the locked list) and save."""
        self.py(f"""
from Mailman.MailList import MailList
from Mailman import mm_cfg, MemberAdaptor
from Mailman.UserDesc import UserDesc
m = MailList({name!r})
try:
{_indent(body)}
    m.Save()
finally:
    m.Unlock()
""")

    def read(self, name, expression):
        """Evaluate EXPRESSION with `m` the unlocked list; JSON result."""
        return json.loads(self.py(f"""
import json
from Mailman.MailList import MailList
from Mailman import mm_cfg, MemberAdaptor
m = MailList({name!r}, lock=0)
print(json.dumps({expression}))
"""))

    def queued(self):
        """{filebase: (message text, metadata)} of the virgin queue."""
        entries = {}
        if not self.virgin.is_dir():
            return entries
        for path in self.virgin.glob('*.pck'):
            with open(path, 'rb') as f:
                raw = pickle.load(f)
                data = pickle.load(f)
            if isinstance(raw, bytes):
                raw = raw.decode('utf-8', 'replace')
            entries[path.stem] = (raw, data)
        return entries

    def new_mail(self, before):
        after = self.queued()
        return [after[k] for k in sorted(after) if k not in before]


def _indent(text):
    return '\n'.join('    ' + line for line in text.strip().splitlines())


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('members')
    group = current_group()
    install = build_and_install(
        workdir, f'--with-username={current_user()}',
        f'--with-groupname={group}', f'--with-mail-gid={group}',
        f'--with-cgi-gid={group}', '--without-permcheck')
    yield Site(install)
    shutil.rmtree(workdir, ignore_errors=True)


def write(path, lines):
    path.write_text(''.join(line + '\n' for line in lines))
    return path


# ---------------------------------------------------------------- add_members
def test_add_members_ten_thousand_and_digest_from_stdin(site, tmp_path):
    name = site.new_list('bulk')
    addresses = [f'user{i:05d}@example.com' for i in range(10000)]
    lines = ['# exported from the old list', ''] + addresses[:9998] + [
        'Jo Smith <' + addresses[9998] + '>', '   ', addresses[9999]]
    regular = write(tmp_path / 'regular.txt', lines)

    started = time.monotonic()
    result = site.bin('add_members', '-r', regular, '-w', 'n', '-a', 'n',
                      name)
    elapsed = time.monotonic() - started
    print(f'\nadd_members: 10,000 addresses in {elapsed:.2f} s')
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert len(out) == 10000
    assert all(line.startswith('Subscribed: ') for line in out)
    assert f'Subscribed: Jo Smith <{addresses[9998]}>' in out
    assert result.stderr == ''      # not a terminal: no progress display

    digest_input = '\n'.join([
        'Digest.Reader@Example.COM',
        'not-an-address',
        'evil;rm@example.com',
        addresses[0],
        'Ann Other <ann@example.org>',
    ]) + '\n'
    result = site.bin('add_members', '-d', '-', '-w', 'n', '-a', 'n', name,
                      input=digest_input)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        'Subscribed: Digest.Reader@Example.COM',
        'Bad/Invalid email address: not-an-address',
        'Hostile address (illegal characters): evil;rm@example.com',
        f'Already a member: {addresses[0]}',
        'Subscribed: Ann Other <ann@example.org>',
    ]

    assert site.ok('list_members', '-r', name) == addresses
    assert site.ok('list_members', '-d', name) == [
        'ann@example.org', 'digest.reader@example.com']
    assert len(site.ok('list_members', name)) == 10002
    # No passwords were made up for the new members; the name was kept.
    assert site.read(name, "[m.getMemberPassword('user00000@example.com'),"
                           f" m.getMemberName({addresses[9998]!r})]") == \
        [None, 'Jo Smith']


def test_add_members_notices_and_nomail(site, tmp_path):
    name = site.new_list('notices')
    before = site.queued()
    people = write(tmp_path / 'people', ['a@example.com', 'b@example.com',
                                         'bad address'])
    result = site.bin('add_members', '-r', people, '-a', 'y', '-w', 'y',
                      '-n', name)
    assert result.returncode == 0, result.stderr
    mail = site.new_mail(before)
    # One welcome each, and one notice for the owners with every result.
    welcomes = [m for m in mail if 'Welcome to' in m[0]]
    assert sorted(m[1]['recips'][0] for m in welcomes) == [
        'a@example.com', 'b@example.com']
    notices = [m for m in mail if 'subscription notification' in m[0]]
    assert len(notices) == 1 and len(mail) == 3
    text, data = notices[0]
    assert data['recips'] == [OWNER]
    for line in ('Subscribed: a@example.com', 'Subscribed: b@example.com',
                 'Bad/Invalid email address: bad address'):
        assert line in text
    # -n: delivery disabled by the administrator.
    assert site.ok('list_members', '-n', 'byadmin', name) == [
        'a@example.com', 'b@example.com']

    # -w n -a n: no mail at all.
    before = site.queued()
    more = write(tmp_path / 'more', ['c@example.com'])
    site.ok('add_members', '-r', more, '-w', 'n', '-a', 'n', name)
    assert site.new_mail(before) == []
    assert site.ok('list_members', '-n', 'enabled', name) == ['c@example.com']


def test_add_members_banned_and_invite(site, tmp_path):
    name = site.new_list('invites', ban_list=['^.*@spam\\.example$'])
    before = site.queued()
    people = write(tmp_path / 'people', ['x@spam.example', 'guest@example.com'])
    preamble = tmp_path / 'preamble'
    preamble.write_text('Dear friend, we would like you to join.\n')
    result = site.bin('add_members', '-i', '-m', preamble, '-r', people,
                      '-a', 'n', name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ['Banned address: x@spam.example',
                                          'Invited: guest@example.com']
    # Invited, not subscribed.
    assert site.ok('list_members', name) == []
    (text, data), = site.new_mail(before)
    assert data['recips'] == ['guest@example.com']
    assert 'Dear friend, we would like you to join.' in text
    assert f'/listinfo/{name}' in text
    assert f'{name}-request@' in text

    result = site.bin('add_members', '-r', people, '-w', 'n', '-a', 'n', name)
    assert result.stdout.splitlines() == ['Banned address: x@spam.example',
                                          'Subscribed: guest@example.com']


def test_add_members_usage_errors(site, tmp_path):
    name = site.new_list('addusage')
    people = write(tmp_path / 'people', ['a@example.com'])
    for args in ([name], ['-r', '-', '-d', '-', name],
                 ['-m', people, '-r', people, name],
                 ['-w', 'maybe', '-r', people, name]):
        result = site.bin('add_members', *args)
        assert result.returncode != 0, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    result = site.bin('add_members', '-r', tmp_path / 'missing', name)
    assert result.returncode == 1
    assert 'missing' in result.stderr and \
        len(result.stderr.strip().splitlines()) == 1
    assert site.ok('list_members', name) == []


def read_all(fd, sink):
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        sink.append(chunk)


def test_progress_display_on_a_terminal(site, tmp_path):
    name = site.new_list('progress')
    people = write(tmp_path / 'people',
                   [f'p{i}@example.com' for i in range(1500)])
    master, slave = pty.openpty()
    received = []
    reader = threading.Thread(target=read_all, args=(master, received))
    reader.start()
    try:
        result = subprocess.run(
            [str(site.prefix / 'bin' / 'add_members'), '-r', str(people),
             '-w', 'n', '-a', 'n', name],
            stdout=subprocess.PIPE, stderr=slave, text=True)
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 1500
    shown = b''.join(received).decode()
    assert 'Adding to progress: 1500/1500 (100%)' in shown

    # A small input shows nothing, even on a terminal.
    few = write(tmp_path / 'few', ['q@example.com'])
    master, slave = pty.openpty()
    received = []
    reader = threading.Thread(target=read_all, args=(master, received))
    reader.start()
    try:
        subprocess.run([str(site.prefix / 'bin' / 'add_members'), '-r',
                        str(few), '-w', 'n', '-a', 'n', name],
                       stdout=subprocess.PIPE, stderr=slave)
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    assert b''.join(received) == b''


# ---------------------------------------------------------------- list_members
@pytest.fixture(scope='module')
def roster(site):
    """A list with one member of each kind list_members can select."""
    name = site.new_list('roster')
    site.with_list(name, """
def add(address, name=None, digest=0):
    m.ApprovedAddMember(UserDesc(address, name, None, digest), ack=0,
                        admin_notif=0)
add('Mixed.Case@Example.com', 'Mixed Case')
add('plain@example.com', 'Smith, John')
add('byuser@example.com')
add('byadmin@example.com')
add('bybounce@example.com')
add('unknown@example.com')
add('moderated@example.com')
add('mime@example.com', None, 1)
add('plaindigest@example.com', None, 1)
m.setMemberOption('mime@example.com', mm_cfg.DisableMime, 0)
m.setMemberOption('plaindigest@example.com', mm_cfg.DisableMime, 1)
m.setMemberOption('moderated@example.com', mm_cfg.Moderate, 1)
m.setDeliveryStatus('byuser@example.com', MemberAdaptor.BYUSER)
m.setDeliveryStatus('byadmin@example.com', MemberAdaptor.BYADMIN)
m.setDeliveryStatus('bybounce@example.com', MemberAdaptor.BYBOUNCE)
m.setDeliveryStatus('unknown@example.com', MemberAdaptor.UNKNOWN)
m.setDeliveryStatus('plaindigest@example.com', MemberAdaptor.BYUSER)
# Old data can hold addresses that are no longer accepted.
m.members['broken address@example.com'] = 0
""")
    return name


REGULAR = ['broken address@example.com', 'byadmin@example.com',
           'bybounce@example.com', 'byuser@example.com',
           'mixed.case@example.com', 'moderated@example.com',
           'plain@example.com', 'unknown@example.com']
DIGEST = ['mime@example.com', 'plaindigest@example.com']


@pytest.mark.parametrize('args, expected', [
    ([], REGULAR + DIGEST),
    (['-r'], REGULAR),
    (['--regular'], REGULAR),
    (['-d'], DIGEST),
    (['--digest'], DIGEST),
    (['-d', 'mime'], ['mime@example.com']),
    (['--digest=plain'], ['plaindigest@example.com']),
    (['-r', '-d'], REGULAR + DIGEST),
    (['-n'], ['byadmin@example.com', 'bybounce@example.com',
              'byuser@example.com', 'unknown@example.com',
              'plaindigest@example.com']),
    (['-n', 'byadmin'], ['byadmin@example.com']),
    (['-n', 'byuser'], ['byuser@example.com', 'plaindigest@example.com']),
    (['--nomail=bybounce'], ['bybounce@example.com']),
    (['-n', 'unknown'], ['unknown@example.com']),
    (['-n', 'enabled', '-r'], ['broken address@example.com',
                               'mixed.case@example.com',
                               'moderated@example.com', 'plain@example.com']),
    (['-n', 'byuser', '-d', 'plain'], ['plaindigest@example.com']),
    (['-m'], ['moderated@example.com']),
    (['--moderated'], ['moderated@example.com']),
    (['-M', '-d'], DIGEST),
    (['--non-moderated', '-r'], [a for a in REGULAR
                                 if a != 'moderated@example.com']),
    (['-i'], ['broken address@example.com']),
    (['--invalid'], ['broken address@example.com']),
    (['-u', '-d'], DIGEST),
    (['-p', '-r', '-n', 'enabled'], ['Mixed.Case@Example.com',
                                     'broken address@example.com',
                                     'moderated@example.com',
                                     'plain@example.com']),
    (['-f', '-r', '-n', 'enabled'], ['broken address@example.com',
                                     'Mixed Case <mixed.case@example.com>',
                                     'moderated@example.com',
                                     '"Smith, John" <plain@example.com>']),
    (['--fullnames', '--preserve', '-m'], ['moderated@example.com']),
    (['-f', '-p', '-n', 'enabled', '-r'], [
        'Mixed Case <Mixed.Case@Example.com>',
        'broken address@example.com', 'moderated@example.com',
        '"Smith, John" <plain@example.com>']),
])
def test_list_members_selectors(site, roster, args, expected):
    assert site.ok('list_members', *args, roster) == expected


def test_list_members_output_file_and_errors(site, roster, tmp_path):
    out = tmp_path / 'out.txt'
    assert site.ok('list_members', '-o', out, '-d', roster) == []
    assert out.read_text().splitlines() == DIGEST
    assert site.ok('list_members', '--output', out, '-m', roster) == []
    assert out.read_text() == 'moderated@example.com\n'
    for args in (['-m', '-M'], ['-i', '-u'], ['--digest=html'],
                 ['--nomail=sleeping']):
        result = site.bin('list_members', *args, roster)
        assert result.returncode == 2, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    result = site.bin('list_members', '-o', tmp_path / 'no' / 'such', roster)
    assert result.returncode == 1
    assert result.stderr.startswith('list_members: Could not open file')


# ---------------------------------------------------------------- remove_members
def test_remove_members(site, tmp_path):
    name = site.new_list('removals', send_goodbye_msg=0)
    other = site.new_list('removals2')
    people = write(tmp_path / 'people',
                   [f'r{i}@example.com' for i in range(6)] +
                   ['Shared <shared@example.com>'])
    site.ok('add_members', '-r', people, '-w', 'n', '-a', 'n', name)
    site.ok('add_members', '-r', people, '-w', 'n', '-a', 'n', other)

    assert site.ok('remove_members', name, 'r0@example.com', 'R1@Example.com',
                   'nobody@example.com') == [
        'No such member: nobody@example.com']
    gone = write(tmp_path / 'gone', ['# these left', 'r2@example.com', '',
                                     'r3@example.com'])
    assert site.ok('remove_members', '-f', gone, name) == []
    assert site.ok('remove_members', '-f', '-', name,
                   input='r4@example.com\n') == []
    assert site.ok('list_members', name) == ['r5@example.com',
                                             'shared@example.com']

    # Goodbye messages follow the list's setting unless -n.
    before = site.queued()
    site.ok('remove_members', '-N', other, 'r0@example.com')
    (text, data), = site.new_mail(before)
    assert data['recips'] == ['r0@example.com']
    before = site.queued()
    site.ok('remove_members', '-n', '-N', other, 'r1@example.com')
    assert site.new_mail(before) == []

    # --fromall: from every list that has the address.
    out = site.ok('remove_members', '--fromall', '-n', '-N',
                  'shared@example.com')
    assert out == [
        f"User `shared@example.com' removed from list: {name}.",
        f"User `shared@example.com' removed from list: {other}."]
    assert 'shared@example.com' not in site.ok('list_members', other)

    site.ok('remove_members', '-a', '-n', '-N', other)
    assert site.ok('list_members', other) == []

    result = site.bin('remove_members', '-a', '--fromall', name)
    assert result.returncode == 2
    result = site.bin('remove_members')
    assert result.returncode == 2


# ---------------------------------------------------------------- sync_members
def test_sync_members(site, tmp_path):
    name = site.new_list('syncing')
    site.ok('add_members', '-r', '-', '-w', 'n', '-a', 'n', name,
            input='keep@example.com\nKeep.Case@Example.com\n'
                  'drop1@example.com\nDrop2@Example.com\n')
    wanted = write(tmp_path / 'wanted', [
        '# the new roster', 'keep@example.com', 'keep.case@example.com', '',
        'New Person <new1@example.com>', 'new2@example.com',
        'NEW2@example.com'])

    before = site.ok('list_members', '-p', name)
    out = site.ok('sync_members', '-n', '-f', wanted, name)
    assert out[0] == 'Dry run mode'
    assert [line for line in out if not line.startswith('Ignore')][1:] == [
        'Added  : New Person <new1@example.com>',
        'Added  : new2@example.com',
        'Removed: Drop2@Example.com',
        'Removed: drop1@example.com']
    assert site.ok('list_members', '-p', name) == before

    queued = site.queued()
    out = site.ok('sync_members', '-w=no', '-g=n', '-a=no', '-f', wanted,
                  name)
    assert [line for line in out if line[:5] in ('Added', 'Remov')] == [
        'Added  : New Person <new1@example.com>',
        'Added  : new2@example.com',
        'Removed: Drop2@Example.com',
        'Removed: drop1@example.com']
    assert site.new_mail(queued) == []
    assert site.ok('list_members', '-p', '-f', name) == [
        'Keep.Case@Example.com', 'keep@example.com',
        'New Person <new1@example.com>', 'new2@example.com']
    assert site.ok('sync_members', '-f', wanted, name)[-1] == 'Nothing to do.'

    # Digest option (bare flag means yes), from stdin.
    out = site.ok('sync_members', '-d', '-w=n', '-g=n', '-a=n', '-f', '-',
                  name, input='keep@example.com\nd@example.com\n')
    assert site.ok('list_members', '-d', name) == ['d@example.com']
    assert site.ok('list_members', '-r', name) == ['keep@example.com']

    # An invalid address: reported, and nothing changes.
    broken = write(tmp_path / 'broken', ['keep@example.com', 'what is this',
                                         'ok@example.com'])
    result = site.bin('sync_members', '-f', broken, name)
    assert result.returncode == 1
    assert 'Invalid :' in result.stdout and 'what is this' in result.stdout
    assert result.stderr.strip() == ('sync_members: You must fix the '
                                     'preceding invalid addresses first.')
    assert site.ok('list_members', name) == ['keep@example.com',
                                             'd@example.com']

    # -f is required; y/n values are checked.
    assert site.bin('sync_members', name).returncode == 2
    assert site.bin('sync_members', '-w=maybe', '-f', wanted,
                    name).returncode == 2


# ---------------------------------------------------------------- find_member
def test_find_member(site):
    one = site.new_list('findone', owner='boss@corp.example')
    two = site.new_list('findtwo')
    site.with_list(one, """
m.ApprovedAddMember(UserDesc('Alice@Corp.example', None, None, 0), ack=0,
                    admin_notif=0)
m.ApprovedAddMember(UserDesc('bob@corp.example', None, None, 0), ack=0,
                    admin_notif=0)
""")
    site.with_list(two, """
m.ApprovedAddMember(UserDesc('alice@corp.example', None, None, 1), ack=0,
                    admin_notif=0)
""")
    out = site.ok('find_member', '-l', one, '-l', two, 'ALICE@')
    assert out == ['Alice@Corp.example found in:', f'     {one}',
                   'alice@corp.example found in:', f'     {two}']
    out = site.ok('find_member', '-l', one, '-l', two, '-x', two, 'alice')
    assert out == ['Alice@Corp.example found in:', f'     {one}']
    out = site.ok('find_member', '-w', '-l', one, '-l', two, 'corp\\.example$')
    assert 'boss@corp.example found in:' in out
    assert f'     {one} (as owner)' in out
    assert 'bob@corp.example found in:' in out
    assert site.ok('find_member', '-l', one, 'nobody-here') == []
    # Without -l every list is searched.
    assert f'     {two}' in site.ok('find_member', '^alice@corp')
    assert site.ok('find_member', '-l', one, '-x', one, 'x') == [
        'No lists to search']
    result = site.bin('find_member', 'a(')
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert site.bin('find_member').returncode == 2


# ---------------------------------------------------------------- clone_member
def test_clone_member(site):
    name = site.new_list('cloning', owner='old@example.com')
    site.with_list(name, """
m.ApprovedAddMember(UserDesc('old@example.com', 'Old Name', 'secret', 1),
                    ack=0, admin_notif=0)
m.setMemberOption('old@example.com', mm_cfg.Moderate, 1)
m.ApprovedAddMember(UserDesc('taken@example.com', None, None, 0), ack=0,
                    admin_notif=0)
""")
    out = site.ok('clone_member', '-n', '-q', '-l', name, 'old@example.com',
                  'new@example.com')
    assert out == [f'processing mailing list: {name}',
                   '    clone address added: new@example.com']
    assert 'new@example.com' not in site.ok('list_members', name)

    out = site.ok('clone_member', '-l', name, 'old@example.com',
                  'New@Example.com')
    assert out[-1] == '    clone address added: New@Example.com'
    state = site.read(name, """[
        m.getMemberCPAddress('new@example.com'),
        m.getMemberName('new@example.com'),
        m.getMemberOption('new@example.com', mm_cfg.Moderate),
        m.getMemberOption('new@example.com', mm_cfg.Digests),
        m.getMemberPassword('new@example.com') ==
            m.getMemberPassword('old@example.com'),
        m.authenticateMember('new@example.com', 'secret'),
        m.isMember('old@example.com')]""")
    assert state == ['New@Example.com', 'Old Name', True, True, True, True,
                     True]

    # Already a member: reported, and the old address is kept even with -r.
    out = site.ok('clone_member', '-r', '-l', name, 'old@example.com',
                  'taken@example.com')
    assert out[-1] == ('    clone address is already a member: '
                       'taken@example.com')
    assert site.read(name, "m.isMember('old@example.com')") is True

    # -r -a: the address moves, among the owners too.
    out = site.ok('clone_member', '-r', '-a', '-l', name, 'old@example.com',
                  'moved@example.com')
    assert '    new list owners: moved@example.com' in out
    assert out[-1] == '    original address removed: old@example.com'
    assert site.read(name, "[m.owner, m.isMember('old@example.com'), "
                           "m.isMember('moved@example.com')]") == [
        ['moved@example.com'], False, True]

    assert site.ok('clone_member', '-q', '-l', name, 'ghost@example.com',
                   'x@example.com') == []
    out = site.ok('clone_member', '-l', name, 'ghost@example.com',
                  'x@example.com')
    assert out[-1] == '    address not found: ghost@example.com'
    result = site.bin('clone_member', '-l', name, 'moved@example.com', 'bad')
    assert result.returncode == 1
    assert 'Not a valid email address: bad' in result.stderr


# ---------------------------------------------------------------- change_pw
def authenticates(site, name, password):
    return site.read(name, f"""m.Authenticate([mm_cfg.AuthListAdmin],
                                    {password!r}) == mm_cfg.AuthListAdmin""")


def test_change_pw(site):
    name = site.new_list('passwords')
    other = site.new_list('passwords2', host_name='lists.other.example')
    old_hash = site.read(name, 'm.password')

    before = site.queued()
    assert site.ok('change_pw', '-l', name, '-p', 'n3w-secret') == [
        f'New {name} password: n3w-secret']
    new_hash = site.read(name, 'm.password')
    assert new_hash != old_hash and 'n3w-secret' not in new_hash
    assert authenticates(site, name, 'n3w-secret') is True
    assert authenticates(site, name, 'x') is False
    (text, data), = site.new_mail(before)
    assert data['recips'] == [OWNER]
    assert 'n3w-secret' in text and f'/admin/{name}' in text

    # Random password, printed; -q mails nothing.
    before = site.queued()
    out = site.ok('change_pw', '-q', '--listname', name)
    password = out[0].rsplit(': ', 1)[1]
    assert len(password) == 10
    assert authenticates(site, name, password) is True
    assert site.new_mail(before) == []

    # -d picks lists by mail host.
    out = site.ok('change_pw', '-q', '-d', 'lists.other.example', '-p', 'dom')
    assert out == [f'New {other} password: dom']
    assert authenticates(site, other, 'dom') is True

    assert site.bin('change_pw', '-l', name, '-p', '').returncode == 2
    result = site.bin('change_pw', '-l', 'nosuchlist', '-p', 'y')
    assert result.returncode == 1
    assert result.stderr.strip() == 'change_pw: No such list: nosuchlist'
    result = site.bin('change_pw')
    assert result.returncode == 0 and 'Nothing to do.' in result.stderr


# ---------------------------------------------------------------- listings
def test_list_lists(site):
    site.new_list('zz-described', description='A list with a description')
    site.new_list('zz-hidden', advertised=0)
    site.new_list('zz-public', archive_private=0)
    site.new_list('zz-private', archive_private=1)
    site.new_list('zz-vhost', web_page_url='http://lists.vhost.example/mailman/')

    bare = site.ok('list_lists', '-b')
    assert bare == sorted(bare)
    assert {'zz-described', 'zz-hidden', 'zz-vhost'} <= set(bare)
    assert 'zz-hidden' not in site.ok('list_lists', '-a', '-b')
    public = site.ok('list_lists', '-p', '-b')
    assert 'zz-public' in public and 'zz-private' not in public
    assert site.ok('list_lists', '-b', '-V', 'lists.vhost.example') == [
        'zz-vhost']

    out = site.ok('list_lists')
    assert out[0] == f'{len(bare)} matching mailing lists found:'
    width = max(len(name) for name in bare)
    assert ('    ' + 'Zz-described'.rjust(width) +
            ' - A list with a description') in out
    assert ('    ' + 'Zz-hidden'.rjust(width) +
            ' - [no description available]') in out
    assert site.ok('list_lists', '-V', 'lists.vhost.example') == [
        '1 matching mailing lists found:',
        '    Zz-vhost - [no description available]']
    assert site.ok('list_lists', '-V', 'nowhere.example') == [
        'No matching mailing lists found']


def test_list_admins_and_owners(site):
    one = site.new_list('ownedone', owner='o1@example.com')
    two = site.new_list('ownedtwo', owner='o2@example.com',
                        host_name='lists.admins.example')
    site.with_list(one, """
m.owner.append('o2@example.com')
m.moderator.append('mod@example.com')
""")
    assert site.ok('list_admins', one, two) == [
        f'List: {one}, \tOwners: o1@example.com, o2@example.com',
        f'List: {two}, \tOwners: o2@example.com']
    assert site.ok('list_admins', '-v', 'lists.admins.example') == [
        f'List: {two}, \tOwners: o2@example.com']
    assert site.ok('list_admins', '--all-vhost=lists.admins.example') == [
        f'List: {two}, \tOwners: o2@example.com']
    everything = site.ok('list_admins', '-a')
    assert f'List: {two}, \tOwners: o2@example.com' in everything
    assert len(everything) == len(site.ok('list_lists', '-b'))

    assert site.ok('list_owners', one, two) == ['o1@example.com',
                                                'o2@example.com']
    assert site.ok('list_owners', '-m', one) == [
        'mod@example.com', 'o1@example.com', 'o2@example.com']
    assert site.ok('list_owners', '-w', '-m', one, two) == [
        one, '\t mod@example.com', '\t o1@example.com', '\t o2@example.com',
        two, '\t o2@example.com']
    assert 'o2@example.com' in site.ok('list_owners')

    result = site.bin('list_admins', one, 'nosuchlist')
    assert result.returncode == 1
    assert result.stdout.startswith(f'List: {one},')
    assert result.stderr.strip() == 'list_admins: No such list: nosuchlist'


# ---------------------------------------------------------------- errors, help
@pytest.mark.parametrize('program, args', [
    ('add_members', ['-r', '/dev/null', 'nosuchlist']),
    ('list_members', ['nosuchlist']),
    ('remove_members', ['nosuchlist', 'a@example.com']),
    ('sync_members', ['-f', '/dev/null', 'nosuchlist']),
    ('find_member', ['-l', 'nosuchlist', 'x']),
    ('clone_member', ['-l', 'nosuchlist', 'a@example.com', 'b@example.com']),
    ('change_pw', ['-l', 'nosuchlist']),
    ('list_admins', ['nosuchlist']),
    ('list_owners', ['nosuchlist']),
])
def test_unknown_list(site, program, args):
    result = site.bin(program, *args)
    assert result.returncode == 1
    assert result.stderr == f'{program}: No such list: nosuchlist\n'
    assert not (site.install.var_prefix / 'lists' / 'nosuchlist').exists()


@pytest.mark.parametrize('program', PROGRAMS)
def test_help(site, program):
    result = site.bin(program, '--help')
    assert result.returncode == 0
    assert result.stdout.startswith(f'usage: {program}')
    assert result.stderr == ''
    bogus = site.bin(program, '--no-such-option')
    assert bogus.returncode == 2
    assert len(bogus.stderr.strip().splitlines()) == 1
