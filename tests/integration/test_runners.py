"""The mail path as installed: the mail wrapper's commands, the queues, the
queue runners, mailmanctl and the queue tools (inject, unshunt,
show_qfiles).

The tests run against the session's site install.  They give the runners
small pipelines of test handlers (tests/data/runners/handlers, copied into
the installed Mailman/Handlers for the duration of this module) through
each list's own `pipeline' attribute, and a few settings through a block
appended to the installed mm_cfg.py that only processes started here see
(MMTEST_RUNNERS=1 in their environment).  Everything is removed again at
the end of the module.  Each test uses its own lists.
"""

import os
import pickle
import shutil
import signal
import socket
import subprocess
import time
from email import message_from_bytes
from pathlib import Path

import pytest

from mmtest import need_root

DATA = Path(__file__).resolve().parents[1] / 'data' / 'runners'
OWNER = 'owner@example.com'
HOST = 'lists.example.com'


def wait_for(condition, timeout=20.0, step=0.05):
    """Poll CONDITION until it returns something true; returns that, or
    None after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(step)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): look at its state.
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def children(pid):
    """PIDs of the live children of PID."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != 'Z':
            found.append(int(entry))
    return sorted(found)


def cmdline(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return f.read().replace(b'\0', b' ').decode()
    except OSError:
        return ''


class Site:
    def __init__(self, install):
        self.install = install
        self.prefix = install.prefix
        self.var = install.var_prefix
        self.qfiles = self.var / 'qfiles'
        self.data = self.var / 'data'
        self.logs = self.var / 'logs'
        self.env = dict(os.environ, MMTEST_RUNNERS='1', MMTEST_SLEEP='0.2')

    # ------------------------------------------------------------ programs
    def run(self, program, *args, input=None, env=None, timeout=60):
        environment = dict(self.env, **(env or {}))
        return subprocess.run(
            [str(self.prefix / 'bin' / program), *map(str, args)],
            input=input, capture_output=True, env=environment,
            cwd=self.prefix, timeout=timeout)

    def qrunner(self, *names, env=None, expect=0):
        args = []
        for name in names:
            args += ['-r', name]
        result = self.run('qrunner', *args, '-o', env=env)
        if expect is not None:
            assert result.returncode == expect, result.stderr.decode()
        return result

    def mail(self, command, listname, message):
        """The MTA's view: pipe MESSAGE into mail/mailman COMMAND LIST."""
        return subprocess.run(
            [str(self.install.exec_prefix / 'mail' / 'mailman'), command,
             listname], input=message, capture_output=True, timeout=60)

    def python(self, code, env=None):
        result = subprocess.run(
            [self.install.configured_python(), '-S', '-c',
             'import paths\n' + code],
            cwd=self.prefix / 'bin', capture_output=True, text=True,
            env=dict(self.env, **(env or {})), timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    # ------------------------------------------------------------ lists
    def newlist(self, name, pipeline=None, **attributes):
        result = self.install.bin('newlist', '-q', name, OWNER, 'pw')
        assert result.returncode == 0, result.stderr
        if pipeline is not None:
            attributes['pipeline'] = pipeline
        if attributes:
            self.python(
                'from Mailman.MailList import MailList\n'
                f'm = MailList({name!r})\n'
                'try:\n'
                f'    for k, v in {attributes!r}.items():\n'
                '        setattr(m, k, v)\n'
                '    m.Save()\n'
                'finally:\n'
                '    m.Unlock()\n')
        return name

    def enqueue(self, queue, message, **metadata):
        """Queue MESSAGE (bytes) in QUEUE with METADATA, as Mailman does."""
        return self.python(
            'import sys\n'
            'from Mailman import mm_cfg\n'
            'from Mailman.Queue.Switchboard import Switchboard\n'
            f'sb = Switchboard(mm_cfg.QUEUE_DIR + "/" + {queue!r})\n'
            f'print(sb.enqueue({message!r}, {metadata!r}))\n').strip()

    # ------------------------------------------------------------ queues
    def entries(self, queue, listname=None, ext='.pck'):
        """[(path, stored message, metadata)] of QUEUE, for LISTNAME."""
        found = []
        directory = self.qfiles / queue
        if not directory.exists():
            return found
        for path in sorted(directory.iterdir()):
            if path.suffix != ext:
                continue
            try:
                with open(path, 'rb') as f:
                    stored = pickle.load(f)
                    metadata = pickle.load(f)
            except (OSError, EOFError, pickle.UnpicklingError):
                continue
            if listname is None or metadata.get('listname') == listname:
                found.append((path, stored, metadata))
        return found

    def counted(self, listname):
        path = self.data / f'mmtest-count-{listname}'
        return path.read_text().splitlines() if path.exists() else []

    def log(self, name):
        path = self.logs / name
        return path.read_text(errors='replace') if path.exists() else ''

    def clear_dead_locks(self):
        """Remove list locks that processes killed by these tests left
        (they would otherwise block those lists for hours)."""
        self.python(
            'import glob, os\n'
            'from Mailman import mm_cfg\n'
            'from Mailman.LockFile import LockFile\n'
            'for path in glob.glob(os.path.join(mm_cfg.LOCK_DIR,\n'
            '                                   "rt-*.lock")):\n'
            '    lock = LockFile(path)\n'
            '    lock.lock(timeout=5)\n'
            '    lock.unlock()\n')

    def flag(self, name, present=True, content=''):
        path = self.data / name
        if present:
            path.write_text(content)
        elif path.exists():
            path.unlink()


@pytest.fixture(scope='module')
def site(site_install):
    site = Site(site_install)
    handlers = site.prefix / 'Mailman' / 'Handlers'
    installed = []
    for source in sorted((DATA / 'handlers').glob('*.py')):
        shutil.copy(source, handlers / source.name)
        installed.append(handlers / source.name)
    for source in sorted((DATA / 'standins').glob('*.py')):
        target = handlers / source.name
        if not target.exists():
            shutil.copy(source, target)
            installed.append(target)
    mm_cfg = site.prefix / 'Mailman' / 'mm_cfg.py'
    original = mm_cfg.read_text()
    mm_cfg.write_text(original + (DATA / 'mm_cfg_overrides.py').read_text())
    had_site_list = (site.var / 'lists' / 'mailman').exists()
    try:
        yield site
    finally:
        site.clear_dead_locks()
        mm_cfg.write_text(original)
        for path in installed:
            path.unlink()
        pycache = handlers / '__pycache__'
        if pycache.exists():
            for compiled in pycache.glob('MMTest*'):
                compiled.unlink()
        if not had_site_list and (site.var / 'lists' / 'mailman').exists():
            site_install.bin('rmlist', 'mailman')


# ====================================================================
# mail/mailman: the MTA's entry points
# ====================================================================
POST = (b'From sender@example.com  Mon Jan  1 00:00:00 2024\n'
        b'From: Sender <sender@example.com>\n'
        b'To: rt-post@lists.example.com\n'
        b'Subject: first post\n'
        b'Message-ID: <rt-post-1@example.com>\n'
        b'\n'
        b'Hello,\n'
        b'From the body, a line that starts with From.\n')


def test_post_queues_exact_bytes_with_flags(site):
    site.newlist('rt-post')
    result = site.mail('post', 'rt-post', POST)
    assert result.returncode == 0, result.stderr
    # Mixed case on the command line is the same list.
    without_unixfrom = POST.split(b'\n', 1)[1]
    result = site.mail('post', 'RT-Post', without_unixfrom)
    assert result.returncode == 0, result.stderr
    entries = site.entries('in', 'rt-post')
    assert sorted(stored for _p, stored, _m in entries) == \
        sorted([POST, without_unixfrom])
    for path, _stored, metadata in entries:
        assert metadata['tolist'] == 1
        assert metadata['listname'] == 'rt-post'
        assert isinstance(metadata['received_time'], float)
        assert metadata['version'] == 3
        assert not {'toowner', 'torequest', 'tojoin', 'toleave',
                    'toconfirm', 'pipeline'} & set(metadata)
        assert path.stat().st_mode & 0o777 == 0o660
        # The file name starts with the time of receipt (FIFO order).
        assert path.name.startswith(repr(metadata['received_time']) + '+')


def test_unknown_list_is_refused_with_ex_nouser(site):
    before = len(site.entries('in'))
    result = site.mail('post', 'rt-no-such-list', POST)
    assert result.returncode == 67
    assert b'rt-no-such-list' in result.stderr
    assert len(site.entries('in')) == before
    assert 'rt-no-such-list' in site.log('error')


@pytest.mark.parametrize('command, queue, flags', [
    ('owner', 'in', {'toowner': 1}),
    ('bounces', 'bounces', {}),
    ('admin', 'bounces', {}),
    ('request', 'commands', {'torequest': 1}),
    ('join', 'commands', {'tojoin': 1}),
    ('subscribe', 'commands', {'tojoin': 1}),
    ('leave', 'commands', {'toleave': 1}),
    ('unsubscribe', 'commands', {'toleave': 1}),
    ('confirm', 'commands', {'toconfirm': 1}),
])
def test_each_command_uses_its_queue_and_flags(site, command, queue, flags):
    listname = site.newlist(f'rt-cmd-{command}')
    message = (b'From: someone@example.com\nSubject: ' + command.encode()
               + b'\n\nbody\n')
    result = site.mail(command, listname, message)
    assert result.returncode == 0, result.stderr
    entries = site.entries(queue, listname)
    assert [stored for _p, stored, _m in entries] == [message]
    assert entries[0][0].stat().st_mode & 0o777 == 0o660
    assert (site.qfiles / queue).stat().st_mode & 0o7777 == 0o2770
    metadata = entries[0][2]
    flag_names = {'tolist', 'toowner', 'torequest', 'tojoin', 'toleave',
                  'toconfirm'}
    assert {k: v for k, v in metadata.items() if k in flag_names} == flags
    if command == 'owner':
        assert metadata['envsender'] == f'mailman-bounces@{HOST}'
        owner_pipeline = site.python(
            'from Mailman import mm_cfg; print(mm_cfg.OWNER_PIPELINE)')
        assert repr(metadata['pipeline']) == owner_pipeline.strip()
    else:
        assert 'pipeline' not in metadata and 'envsender' not in metadata
    # Nothing went anywhere else.
    for other in ('in', 'bounces', 'commands'):
        if other != queue:
            assert site.entries(other, listname) == []


DIFFICULT = {
    'no-from-line': b'Subject: no From: header and no Unix From\n\nbody\n',
    'empty': b'',
    'long-line': (b'From: a@example.com\nMessage-ID: <long@example.com>\n\n'
                  + b'x' * 100000 + b'\n'),
    'eight-bit-headers': (b'From: J\xf6rg <joerg@example.com>\n'
                          b'Subject: Gr\xfc\xdfe \xe2\x82\xac\n'
                          b'Message-ID: <8bit@example.com>\n\n'
                          b'K\xe4se\n'),
    'broken-mime': (b'From: a@example.com\nMessage-ID: <mime@example.com>\n'
                    b'MIME-Version: 1.0\n'
                    b'Content-Type: multipart/mixed; boundary="never"\n\n'
                    b'--nope\nContent-Transfer-Encoding: base64\n\n'
                    b'!!!not base64!!!\n'),
    'binary-junk': b'\x00\xff\xfe\r\n\r\n\x80\x81 garbage\n' * 10,
}


def test_difficult_messages_are_queued_and_processed(site):
    listname = site.newlist('rt-difficult', pipeline=['MMTestCount'])
    for name, message in DIFFICULT.items():
        result = site.mail('post', listname, message)
        assert result.returncode == 0, (name, result.stderr)
    stored = sorted(s for _p, s, _m in site.entries('in', listname))
    assert stored == sorted(DIFFICULT.values())
    site.qrunner('Incoming')
    assert site.entries('in', listname) == []
    assert site.entries('shunt', listname) == []
    assert len(site.counted(listname)) == len(DIFFICULT)


def test_queue_write_failure_is_a_temporary_failure(site):
    listname = site.newlist('rt-tempfail')
    queue = site.qfiles / 'commands'
    queue.mkdir(exist_ok=True)
    mode = queue.stat().st_mode
    # The wrapper runs as root here, so a permission change would not stop
    # it: make the queue directory a file for a moment instead.
    moved = queue.with_name('commands.rt-moved')
    queue.rename(moved)
    queue.write_text('not a directory')
    try:
        result = site.mail('request', listname, b'Subject: help\n\n')
    finally:
        queue.unlink()
        moved.rename(queue)
        queue.chmod(mode & 0o7777)
    assert result.returncode == 75
    assert b'cannot queue' in result.stderr


# ====================================================================
# Runners
# ====================================================================
def test_inject_and_qrunner_process_an_entry(site):
    listname = site.newlist('rt-inject', pipeline=['MMTestCount'])
    message = b'From: a@example.com\nMessage-ID: <inject-1@example.com>\n\nx\n'
    result = site.run('inject', '-l', listname, input=message)
    assert result.returncode == 0, result.stderr
    entries = site.entries('in', listname)
    assert [(s, m['tolist']) for _p, s, m in entries] == [(message, 1)]
    site.qrunner('Incoming')
    assert site.counted(listname) == ['<inject-1@example.com>']
    assert site.entries('in', listname) == []
    # Errors: no such list, no such queue, no list given.
    result = site.run('inject', '-l', 'rt-nope', input=message)
    assert result.returncode == 1 and b'no such list' in result.stderr
    result = site.run('inject', '-l', listname, '-q', 'nowhere',
                      input=message)
    assert result.returncode == 1 and b'bad queue' in result.stderr
    assert site.run('inject', input=message).returncode == 2


def test_qrunner_lists_runners_and_checks_specs(site):
    listing = site.run('qrunner', '-l')
    assert listing.returncode == 0
    for name in ('Incoming', 'Outgoing', 'Virgin', 'Retry', 'Bounce',
                 'Arch'):
        assert f' {name} - ' in listing.stdout.decode()
    result = site.run('qrunner', '-r', 'NoSuch', '-o')
    assert result.returncode == 1 and b'no such runner' in result.stderr
    result = site.run('qrunner', '-r', 'Incoming:2:2', '-o')
    assert result.returncode == 2 and b'bad runner spec' in result.stderr
    assert site.run('qrunner').returncode == 2


def test_sliced_runners_share_the_queue(site):
    listname = site.newlist('rt-slices', pipeline=['MMTestCount'])
    for n in range(8):
        site.mail('post', listname,
                  f'Message-ID: <slice-{n}@example.com>\n\n{n}\n'.encode())
    lower_half = set()
    for path, stored, _m in site.entries('in', listname):
        if int(path.stem.split('+')[1], 16) < 2 ** 159:
            lower_half.add(message_from_bytes(stored)['message-id'])
    site.qrunner('Incoming:0:2')
    assert set(site.counted(listname)) == lower_half
    site.qrunner('Incoming:1:2')
    counted = site.counted(listname)
    assert sorted(counted) == sorted(f'<slice-{n}@example.com>'
                                     for n in range(8))
    assert site.entries('in', listname) == []


def test_failing_handler_shunts_then_unshunt_resumes(site):
    listname = site.newlist(
        'rt-shunt', pipeline=['MMTestCount', 'MMTestBoom', 'MMTestCount'])
    message = (b'From: a@example.com\nMessage-ID: <boom@example.com>\n'
               b'Subject: boom\n\nbody\n')
    assert site.mail('post', listname, message).returncode == 0
    site.qrunner('Incoming')
    assert site.entries('in', listname) == []
    shunted = site.entries('shunt', listname)
    assert len(shunted) == 1
    path, stored, metadata = shunted[0]
    assert metadata['whichq'] == str(site.qfiles / 'in')
    # It resumes at the handler that failed.
    assert metadata['pipeline'] == ['MMTestBoom', 'MMTestCount']
    assert message_from_bytes(stored)['message-id'] == '<boom@example.com>'
    error_log = site.log('error')
    assert 'MMTestBoom: deliberate failure' in error_log
    assert 'Traceback' in error_log and path.stem in error_log
    assert site.counted(listname) == ['<boom@example.com>']
    shown = site.run('show_qfiles', path)
    assert shown.returncode == 0
    assert shown.stdout.startswith(f'====================> {path}\n'.encode())
    assert b'Subject: boom' in shown.stdout
    quiet = site.run('show_qfiles', '-q', path)
    assert quiet.stdout == stored

    site.flag(f'mmtest-boom-ok-{listname}')
    result = site.run('unshunt')
    assert result.returncode == 0, result.stderr
    assert site.entries('shunt', listname) == []
    assert len(site.entries('in', listname)) == 1
    site.qrunner('Incoming')
    # The first handler is not run again.
    assert site.counted(listname) == ['<boom@example.com>'] * 2
    assert site.entries('in', listname) == []
    assert site.entries('shunt', listname) == []


def test_runner_killed_mid_message_loses_nothing(site):
    listname = site.newlist('rt-kill', pipeline=['MMTestSleep',
                                                 'MMTestCount'])
    site.flag(f'mmtest-sleep-{listname}')
    message = b'Message-ID: <killed@example.com>\n\nbody\n'
    assert site.mail('post', listname, message).returncode == 0
    runner = subprocess.Popen(
        [str(site.prefix / 'bin' / 'qrunner'), '-r', 'Incoming'],
        env=site.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        sleeping = site.data / f'mmtest-sleeping-{listname}'
        assert wait_for(sleeping.exists), 'the handler never ran'
        # The message is in process: a .bak file, nothing counted yet.
        assert len(site.entries('in', listname, ext='.bak')) == 1
    finally:
        runner.kill()
        runner.wait()
    assert runner.returncode == -signal.SIGKILL
    assert site.counted(listname) == []
    assert len(site.entries('in', listname, ext='.bak')) == 1
    # The runner died holding the list lock; a new one must not wait
    # hours for it to expire.
    site.flag(f'mmtest-sleep-{listname}', present=False)
    site.qrunner('Incoming')
    assert site.counted(listname) == ['<killed@example.com>']
    assert site.entries('in', listname) == []
    assert site.entries('in', listname, ext='.bak') == []
    assert site.entries('shunt', listname) == []
    # A second pass finds nothing more to do.
    site.qrunner('Incoming')
    assert site.counted(listname) == ['<killed@example.com>']


def test_sigterm_finishes_the_message_in_hand(site):
    listname = site.newlist('rt-term', pipeline=['MMTestSleep',
                                                 'MMTestCount'])
    site.flag(f'mmtest-sleep-{listname}', content='1.5')
    for n in (1, 2):
        message = f'Message-ID: <term-{n}@example.com>\n\n'.encode()
        assert site.mail('post', listname, message).returncode == 0
    runner = subprocess.Popen(
        [str(site.prefix / 'bin' / 'qrunner'), '-r', 'Incoming'],
        env=site.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        sleeping = site.data / f'mmtest-sleeping-{listname}'
        assert wait_for(sleeping.exists), 'the handler never ran'
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=30) == signal.SIGTERM
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    # The first message was finished, the second left for later.
    assert site.counted(listname) == ['<term-1@example.com>']
    assert site.entries('in', listname, ext='.bak') == []
    assert len(site.entries('in', listname)) == 1
    assert 'caught SIGTERM' in site.log('qrunner')
    site.flag(f'mmtest-sleep-{listname}', present=False)
    site.qrunner('Incoming')
    assert site.counted(listname) == ['<term-1@example.com>',
                                      '<term-2@example.com>']


def test_unreadable_queue_file_is_kept_in_bad(site):
    listname = site.newlist('rt-corrupt')
    name = site.enqueue('in', b'Message-ID: <corrupt@example.com>\n\n',
                        listname=listname)
    path = site.qfiles / 'in' / f'{name}.pck'
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    site.qrunner('Incoming')
    assert not path.exists()
    kept = site.qfiles / 'bad' / f'{name}.psv'
    assert kept.read_bytes() == data[:len(data) // 2]
    assert f'preserving unparseable message: {name}' in site.log('error')


def test_message_that_kills_the_runner_is_set_aside(site):
    listname = site.newlist('rt-poison', pipeline=['MMTestKill'])
    assert site.mail('post', listname,
                     b'Message-ID: <poison@example.com>\n\n').returncode == 0
    for attempt in range(3):
        result = site.qrunner('Incoming', expect=None)
        assert result.returncode == -signal.SIGKILL, attempt
        assert len(site.entries('in', listname, ext='.bak')) == 1
    # The third recovery gives up on it: kept in qfiles/bad, not retried.
    site.qrunner('Incoming')
    assert site.entries('in', listname, ext='.bak') == []
    assert site.entries('in', listname) == []
    kept = site.entries('bad', listname, ext='.psv')
    assert len(kept) == 1
    assert kept[0][2]['_bak_count'] == 3
    assert 'preserved in qfiles/bad' in site.log('error')
    # The last killed runner held the list lock: nobody else may be
    # blocked by it.
    lock = site.var / 'locks' / f'{listname}.lock'
    assert lock.exists()
    site.clear_dead_locks()
    assert not lock.exists()
    assert list((site.var / 'locks').glob(f'{listname}.lock*')) == []


def test_discard_hold_and_reject(site):
    listname = site.newlist('rt-verdict', pipeline=['MMTestVerdict',
                                                    'MMTestCount'])
    for verdict in ('discard', 'hold', 'reject', 'accept'):
        message = (f'From: Poster <poster@example.com>\n'
                   f'Subject: verdict {verdict}\n'
                   f'Message-ID: <{verdict}@example.com>\n'
                   f'X-MMTest-Verdict: {verdict}\n\n'
                   f'please {verdict} me\n').encode()
        assert site.mail('post', listname, message).returncode == 0
    site.qrunner('Incoming')
    assert site.counted(listname) == ['<accept@example.com>']
    assert site.entries('in', listname) == []
    assert site.entries('shunt', listname) == []
    vette = site.log('vette')
    assert f'{listname}: message discarded' in vette
    assert '<discard@example.com>' in vette
    assert 'held by MMTestVerdict' in vette and '<hold@example.com>' in vette
    assert '<reject@example.com>' in vette
    notices = [message_from_bytes(s) for _p, s, m in
               site.entries('virgin', listname)
               if m.get('recips') == ['poster@example.com']]
    assert len(notices) == 1
    notice = notices[0]
    assert notice['To'] == 'poster@example.com'
    assert notice['From'] == f'{listname}-owner@{HOST}'
    assert notice['Subject'] == 'verdict reject'
    assert notice.get_content_type() == 'multipart/mixed'
    text, original = notice.get_payload()
    assert 'Rejected by MMTestVerdict: no thanks.' in \
        text.get_payload(decode=True).decode()
    assert original.get_content_type() == 'message/rfc822'
    assert original.get_payload(0)['Message-ID'] == '<reject@example.com>'


def test_list_lock_timeout_requeues(site):
    listname = site.newlist('rt-locked', pipeline=['MMTestCount'])
    assert site.mail('post', listname,
                     b'Message-ID: <locked@example.com>\n\n').returncode == 0
    holder = subprocess.Popen(
        [site.install.configured_python(), '-S', '-c',
         'import paths, sys\n'
         'from Mailman.MailList import MailList\n'
         f'm = MailList({listname!r})\n'
         'print("locked", flush=True)\n'
         'sys.stdin.readline()\n'
         'm.Unlock()\n'],
        cwd=site.prefix / 'bin', stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        site.qrunner('Incoming', env={'MMTEST_LOCK_TIMEOUT': '0.5'})
        assert site.counted(listname) == []
        assert len(site.entries('in', listname)) == 1
        assert 'is locked' in site.log('qrunner')
    finally:
        holder.stdin.write('\n')
        holder.stdin.close()
        holder.wait(timeout=30)
    site.qrunner('Incoming')
    assert site.counted(listname) == ['<locked@example.com>']


def test_virgin_runner_sends_notices_on(site):
    listname = site.newlist('rt-virgin')
    site.python(
        'from Mailman.MailList import MailList\n'
        'from Mailman.Message import UserNotification\n'
        f'm = MailList({listname!r}, lock=0)\n'
        'n = UserNotification("someone@example.com", m.GetOwnerEmail(),\n'
        '                     "a notice", "notice text")\n'
        'n["Message-ID"] = "<virgin@example.com>"\n'
        'n.send(m)\n')
    assert len(site.entries('virgin', listname)) == 1
    site.qrunner('Virgin')
    assert site.entries('virgin', listname) == []
    assert site.entries('shunt', listname) == []
    out = site.entries('out', listname)
    assert len(out) == 1
    _path, stored, metadata = out[0]
    assert metadata['recips'] == ['someone@example.com']
    assert message_from_bytes(stored)['Message-ID'] == '<virgin@example.com>'


# ====================================================================
# Delivery, retries and bounces
# ====================================================================
DELIVERY = {'MMTEST_DELIVERY': 'MMTestDeliver'}


def delivered(site):
    path = site.data / 'mmtest-delivered'
    return path.read_text().splitlines() if path.exists() else []


def test_outgoing_failures_retry_and_bounces(site):
    listname = site.newlist('rt-out')
    msg = b'From: a@example.com\nMessage-ID: <out-a@example.com>\n\nbody\n'
    site.enqueue('out', msg, listname=listname,
                 recips=['ok-a@example.com', 'temp-a@example.com',
                         'perm-a@example.com'])
    site.qrunner('Outgoing', env=DELIVERY)
    assert 'ok-a@example.com <out-a@example.com>' in delivered(site)
    assert site.entries('out', listname) == []
    # The permanent failure is a bounce; the temporary one waits in retry.
    assert f'{listname}: perm-a@example.com' in site.log('bounce')
    retry = site.entries('retry', listname)
    assert len(retry) == 1
    metadata = retry[0][2]
    assert metadata['recips'] == ['temp-a@example.com']
    assert metadata['deliver_after'] >= time.time() + 3000   # an hour
    assert metadata['last_recip_count'] == 1
    # Not due yet: RetryRunner leaves it alone.
    site.qrunner('Retry')
    assert [e[0] for e in site.entries('retry', listname)] == [retry[0][0]]

    # A retry that is due goes back to out, and is delivered this time.
    msg_b = msg.replace(b'out-a', b'out-b')
    site.enqueue('out', msg_b, listname=listname,
                 recips=['temp-b@example.com'])
    site.qrunner('Outgoing', env=dict(DELIVERY, MMTEST_RETRY_WAIT='0'))
    assert len(site.entries('retry', listname)) == 2
    site.qrunner('Retry')
    assert len(site.entries('retry', listname)) == 1
    assert [m['recips'] for _p, _s, m in site.entries('out', listname)] == \
        [['temp-b@example.com']]
    site.flag('mmtest-ok-temp-b@example.com')
    site.qrunner('Outgoing', env=DELIVERY)
    assert 'temp-b@example.com <out-b@example.com>' in delivered(site)
    assert site.entries('out', listname) == []


def test_outgoing_gives_up_after_the_retry_period(site):
    listname = site.newlist('rt-giveup')
    msg = b'Message-ID: <giveup@example.com>\n\nbody\n'
    site.enqueue('out', msg, listname=listname,
                 recips=['temp-c@example.com'])
    env = dict(DELIVERY, MMTEST_RETRY_WAIT='0', MMTEST_RETRY_PERIOD='0')
    site.qrunner('Outgoing', env=env)
    assert len(site.entries('retry', listname)) == 1
    site.qrunner('Retry', env=env)
    assert len(site.entries('out', listname)) == 1
    site.qrunner('Outgoing', env=env)
    # No progress and the period is over: given up, and said so.
    assert site.entries('out', listname) == []
    assert site.entries('retry', listname) == []
    assert site.entries('shunt', listname) == []
    failure_log = site.log('smtp-failure')
    assert 'giving up' in failure_log and 'temp-c@example.com' in failure_log


def test_outgoing_keeps_messages_while_the_mta_is_down(site):
    listname = site.newlist('rt-down')
    site.enqueue('out', b'Message-ID: <down@example.com>\n\nbody\n',
                 listname=listname, recips=['ok-d@example.com'])
    site.flag(f'mmtest-down-{listname}')
    site.qrunner('Outgoing', env=DELIVERY)
    assert len(site.entries('out', listname)) == 1
    assert 'Cannot connect to SMTP server' in site.log('error')
    assert 'ok-d@example.com <down@example.com>' not in delivered(site)
    site.flag(f'mmtest-down-{listname}', present=False)
    site.qrunner('Outgoing', env=DELIVERY)
    assert site.entries('out', listname) == []
    assert 'ok-d@example.com <down@example.com>' in delivered(site)


def test_bounce_runner_verp_unrecognized_and_junk(site):
    listname = site.newlist('rt-bounce')
    verp = (f'To: {listname}-bounces+alice=example.org@{HOST}\n'
            'From: MAILER-DAEMON@example.org\n'
            'Subject: Undelivered Mail Returned to Sender\n'
            'Message-ID: <verp-bounce@example.org>\n\n'
            'Your message could not be delivered.\n').encode()
    unknown = (b'From: someone@example.net\nSubject: hello\n'
               b'Message-ID: <unknown-bounce@example.net>\n\nhi there\n')
    for message in (verp, unknown, b'', b'\xff\xfe\x00junk\n\n\x80'):
        assert site.mail('bounces', listname, message).returncode == 0
    site.qrunner('Bounce')
    assert site.entries('bounces', listname) == []
    assert site.entries('shunt', listname) == []
    bounce_log = site.log('bounce')
    assert f'{listname}: alice@example.org' in bounce_log
    forwarded = [message_from_bytes(s) for _p, s, m in
                 site.entries('virgin', listname)]
    subjects = [m['Subject'] for m in forwarded]
    assert 'Uncaught bounce notification' in subjects
    notice = forwarded[subjects.index('Uncaught bounce notification')]
    assert notice['To'] == f'{listname}-owner@{HOST}'
    inner = [part for part in notice.walk()
             if part.get('Message-ID') == '<unknown-bounce@example.net>']
    assert inner, 'the unrecognized bounce is attached'


# ====================================================================
# Archiving
# ====================================================================
def test_arch_runner_appends_a_correct_mbox(site):
    listname = site.newlist('rt-arch')
    old = (b'From: a@example.com\nSubject: old date\n'
           b'Date: Mon, 01 Jan 1990 00:00:00 +0000\n'
           b'Message-ID: <arch-1@example.com>\n\n'
           b'From here on\n>From there\nnot From\n>>From deep\nlast line')
    now = time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())
    sane = (f'From: b@example.com\nSubject: sane date\nDate: {now}\n'
            'Message-ID: <arch-2@example.com>\n\nbody two\n').encode()
    site.enqueue('archive', old, listname=listname)
    site.enqueue('archive', sane, listname=listname)
    site.qrunner('Arch')
    assert site.entries('archive', listname) == []
    assert site.entries('shunt', listname) == []
    mbox_dir = site.var / 'archives' / 'private' / f'{listname}.mbox'
    mbox = mbox_dir / f'{listname}.mbox'
    assert mbox.stat().st_mode & 0o777 == 0o660
    assert mbox_dir.stat().st_mode & 0o7777 == 0o2775
    content = mbox.read_bytes()
    lines = content.split(b'\n')
    separators = [i for i, line in enumerate(lines)
                  if line.startswith(b'From ')]
    assert len(separators) == 2 and separators[0] == 0
    assert lines[separators[1] - 1] == b''
    assert lines[0].startswith(b'From a@example.com ')
    assert lines[separators[1]].startswith(b'From b@example.com ')
    assert content.endswith(b'\n\n')
    first = b'\n'.join(lines[:separators[1]])
    assert b'\n>From here on\n>>From there\nnot From\n>>>From deep\n' \
        b'last line\n' in first
    # Policy 2: the 1990 date was replaced, the fresh one kept.
    assert b'\nX-Original-Date: Mon, 01 Jan 1990 00:00:00 +0000\n' in first
    assert b'\nDate: Mon, 01 Jan 1990' not in first
    second = b'\n'.join(lines[separators[1]:])
    assert f'\nDate: {now}\n'.encode() in second
    assert b'X-Original-Date' not in second
    assert content.count(b'\nX-List-Received-Date: ') == 2
    # More messages are appended, not written over.
    site.enqueue('archive', sane.replace(b'arch-2', b'arch-3'),
                 listname=listname)
    site.qrunner('Arch')
    again = mbox.read_bytes()
    assert again.startswith(content)
    assert again.count(b'\nFrom b@example.com ') == 2


# ====================================================================
# Queue files written by Mailman 2.1
# ====================================================================
def test_queue_files_from_mailman_21(site):
    listname = site.newlist('rt-py21', pipeline=['MMTestCount'])
    shunt = site.qfiles / 'shunt'
    shunt.mkdir(exist_ok=True)
    for name in ('py21-object.pck', 'py21-plaintext.pck'):
        shutil.copy(DATA / name, shunt / name)
    shown = site.run('show_qfiles', '-q', shunt / 'py21-plaintext.pck')
    assert shown.returncode == 0
    assert b'\n\nCaf\xe9 body line\n' in shown.stdout
    result = site.run('unshunt')
    assert result.returncode == 0, result.stderr
    assert not (shunt / 'py21-object.pck').exists()
    assert sorted(s for _p, s, _m in site.entries('in', listname)) == sorted(
        [b'From: old-site@example.com\nTo: rt-py21@lists.example.com\n'
         b'Subject: written by Mailman 2.1 (%s)\n'
         b'Message-ID: <py21-%s@example.com>\n\nCaf\xe9 body line\n'
         % (kind, kind) for kind in (b'object', b'plaintext')])
    site.qrunner('Incoming')
    assert sorted(site.counted(listname)) == [
        '<py21-object@example.com>', '<py21-plaintext@example.com>']


# ====================================================================
# mailmanctl
# ====================================================================
CONTROL_ENV = {'MMTEST_QRUNNERS': 'IncomingRunner,VirginRunner,ArchRunner'}


def runner_kids(pid, count=3):
    """The runner processes of master PID once there are COUNT of them and
    all have exec'd qrunner, else None."""
    kids = children(pid)
    if len(kids) == count and all('--runner=' in cmdline(k) for k in kids):
        return kids
    return None


def master_pid(site):
    try:
        return int((site.data / 'master-qrunner.pid').read_text())
    except (OSError, ValueError):
        return None


def stop_master(site):
    pid = master_pid(site)
    if pid and pid_alive(pid):
        kids = children(pid)
        os.kill(pid, signal.SIGTERM)
        if not wait_for(lambda: not pid_alive(pid), timeout=20):
            for kid in kids:
                if pid_alive(kid):
                    os.kill(kid, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)


def test_mailmanctl_needs_the_site_list(site):
    result = site.run('mailmanctl', 'start',
                      env={'MMTEST_SITE_LIST': 'rt-no-site-list'})
    assert result.returncode == 1
    assert b'Site list is missing: rt-no-site-list' in result.stderr
    assert master_pid(site) is None


def test_mailmanctl_refuses_other_users(site):
    need_root()
    # Run as nobody inside one process, since the test install is not
    # readable by other users: load what is needed, then drop privileges.
    script = (site.prefix / 'bin' / 'mailmanctl').read_text()
    code = (
        'import contextlib, io, os, sys\n'
        f'code = compile({script!r}, "mailmanctl", "exec")\n'
        '# Once as root, so that everything it imports is loaded.\n'
        'argv, sys.argv = sys.argv, ["mailmanctl", "--help"]\n'
        'with contextlib.redirect_stdout(io.StringIO()):\n'
        '    try:\n'
        '        exec(code, {"__name__": "__main__"})\n'
        '    except SystemExit:\n'
        '        pass\n'
        'sys.argv = argv\n'
        'os.setgroups([]); os.setgid(65534); os.setuid(65534)\n'
        'sys.argv = ["mailmanctl"] + sys.argv[1:]\n'
        'exec(code, {"__name__": "__main__"})\n')
    python = site.install.configured_python()
    refused = subprocess.run(
        [python, '-S', '-c', 'import paths\n' + code, 'stop'],
        cwd=site.prefix / 'bin', capture_output=True, text=True,
        env=site.env)
    assert refused.returncode == 1
    assert 'run this program as root or as the' in refused.stderr
    assert 'use -u' in refused.stderr
    allowed = subprocess.run(
        [python, '-S', '-c', 'import paths\n' + code, '-u', 'stop'],
        cwd=site.prefix / 'bin', capture_output=True, text=True,
        env=site.env)
    assert 'use -u' not in allowed.stderr
    assert 'PID unreadable' in allowed.stderr


def test_mailmanctl_start_restart_reopen_stop(site):
    if not (site.var / 'lists' / 'mailman').exists():
        site.newlist('mailman')
    listname = site.newlist('rt-ctl', pipeline=['MMTestCount'])
    try:
        result = site.run('mailmanctl', 'start', env=CONTROL_ENV)
        assert result.returncode == 0, result.stderr
        assert b"Starting Mailman's master qrunner." in result.stdout
        pid = master_pid(site)
        assert pid and pid_alive(pid)
        assert (site.var / 'locks' / 'master-qrunner').exists()
        kids = wait_for(lambda: runner_kids(pid))
        assert kids, children(pid)
        names = sorted(cmdline(kid).split('--runner=')[1].split(':')[0]
                       for kid in kids)
        assert names == ['ArchRunner', 'IncomingRunner', 'VirginRunner']

        again = site.run('mailmanctl', 'start', env=CONTROL_ENV)
        assert again.returncode == 1
        assert b'already running' in again.stderr

        # Mail flows through the running system.
        site.mail('post', listname, b'Message-ID: <ctl-1@example.com>\n\n')
        assert wait_for(lambda: site.counted(listname))
        assert site.counted(listname) == ['<ctl-1@example.com>']

        # A runner that dies is started again.
        incoming = [k for k in kids if 'IncomingRunner' in cmdline(k)][0]
        os.kill(incoming, signal.SIGKILL)
        replaced = wait_for(lambda: [
            k for k in children(pid)
            if 'IncomingRunner' in cmdline(k) and k != incoming])
        assert replaced, 'the master did not restart the runner'
        assert '[restarting]' in site.log('qrunner')
        kids = wait_for(lambda: runner_kids(pid))
        assert kids

        # restart: new runners, same master.
        assert site.run('mailmanctl', '-q', 'restart').returncode == 0
        assert wait_for(lambda: runner_kids(pid)
                        and not set(runner_kids(pid) or ()) & set(kids))
        assert pid_alive(pid) and master_pid(site) == pid
        site.mail('post', listname, b'Message-ID: <ctl-2@example.com>\n\n')
        assert wait_for(lambda: len(site.counted(listname)) == 2)

        # reopen: the logs are opened again (after rotation, say).
        rotated = site.logs / 'qrunner.rt-rotated'
        (site.logs / 'qrunner').rename(rotated)
        assert site.run('mailmanctl', 'reopen').returncode == 0
        assert wait_for(lambda: 'Master watcher caught SIGHUP'
                        in site.log('qrunner'))
        assert wait_for(lambda: site.log('qrunner').count(
            'reopened its log files') == 3)
        rotated.unlink()

        # stop: everything goes away, lock and pid file included.
        kids = children(pid)
        result = site.run('mailmanctl', 'stop')
        assert result.returncode == 0
        assert wait_for(lambda: not pid_alive(pid))
        assert not any(pid_alive(kid) for kid in kids)
        assert master_pid(site) is None
        assert not (site.var / 'locks' / 'master-qrunner').exists()
        result = site.run('mailmanctl', 'stop')
        assert result.returncode == 1 and b'PID unreadable' in result.stderr
    finally:
        stop_master(site)


def dead_pid():
    process = subprocess.Popen(['true'])
    process.wait()
    return process.pid


def test_mailmanctl_stale_lock_and_no_restart(site):
    if not (site.var / 'lists' / 'mailman').exists():
        site.newlist('mailman')
    # A master lock left by a process of this host that is gone.
    lock = site.var / 'locks' / 'master-qrunner'
    claim = Path(f'{lock}.{socket.gethostname()}.{dead_pid()}.0')
    claim.write_text(str(claim))
    os.link(claim, lock)
    env = dict(CONTROL_ENV, MMTEST_QRUNNERS='IncomingRunner')
    try:
        # 2.1 refused to start until given -s.  The lock's owner is a
        # process of this host that is gone, so the lock is broken at once,
        # with or without -s.
        result = site.run('mailmanctl', '-n', '-q', 'start', env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == b''
        assert not claim.exists()
        pid = master_pid(site)
        kids = wait_for(lambda: runner_kids(pid, 1))
        assert kids
        # With -n a runner that dies stays dead; the master, with nothing
        # left to watch, exits and releases everything.
        os.kill(kids[0], signal.SIGKILL)
        assert wait_for(lambda: not pid_alive(pid))
        assert master_pid(site) is None
        assert not lock.exists()
    finally:
        stop_master(site)
        for path in (lock, claim):
            if path.exists():
                path.unlink()
