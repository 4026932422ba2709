"""Mailman/LockFile.py: NFS-safe lock files shared by every Mailman process.

The tests use real files and real processes (fork() and subprocesses); no
file system call is mocked.  Waiting is bounded by lock timeouts and join
timeouts only, which are generous guards against hangs, never measurements.
CLOCK_SLOP is made small where a test needs a lock to go stale, which works
because lock() reads it from the module each time.
"""

import os
import select
import signal
import socket
import stat
import subprocess
import sys
import time
import traceback

import pytest

import Mailman
from Mailman import LockFile as lockfile_module
from Mailman.LockFile import (AlreadyLockedError, LockError, LockFile,
                              NotLockedError, TimeOutError)

SHADOW_DIR = os.path.dirname(os.path.dirname(Mailman.__file__))


# ---------------------------------------------------------------- helpers
def _fork(child):
    """Run child() in a forked process; its exit code is 0 when it returned
    and 1 when it raised.  The child never returns into pytest."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            child()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def _wait(pid, timeout=20):
    """The exit code of pid; kill it and fail if it runs past timeout."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f'child {pid} hung')
        time.sleep(0.02)


def _read_pipe(fd, timeout=10):
    """Bytes from a pipe, or b'' if nothing came within timeout."""
    ready, _, _ = select.select([fd], [], [], timeout)
    return os.read(fd, 100) if ready else b''


def _claims(lockpath):
    """The claim files next to a lock file."""
    prefix = lockpath.name + '.'
    return sorted(p for p in os.listdir(lockpath.parent)
                  if p.startswith(prefix))


def _make_stale(path):
    past = time.time() - 1000
    os.utime(path, (past, past))


@pytest.fixture
def lockpath(tmp_path):
    locks = tmp_path / 'locks'
    locks.mkdir()
    return locks / 'test.lock'


# ---------------------------------------------------------------- basics
def test_api_constants_and_exceptions():
    assert lockfile_module.DEFAULT_LOCK_LIFETIME == 15
    assert lockfile_module.CLOCK_SLOP == 10
    for error in (AlreadyLockedError, NotLockedError, TimeOutError):
        assert issubclass(error, LockError)
    assert issubclass(LockError, Exception)


def test_lock_and_unlock(lockpath):
    """While held, the lock file has two links (it and our claim) and names
    our claim; unlock removes both files."""
    lock = LockFile(lockpath)
    assert not lock.locked()
    lock.lock()
    assert lock.locked()
    claims = _claims(lockpath)
    assert len(claims) == 1
    claim = lockpath.parent / claims[0]
    host, pid, number = claims[0][len(lockpath.name) + 1:].rsplit('.', 2)
    assert host == socket.gethostname()
    assert int(pid) == os.getpid()
    assert number.isdigit()
    assert os.stat(lockpath).st_nlink == 2
    assert os.path.samefile(lockpath, claim)
    assert lockpath.read_text() == str(claim)
    lock.unlock()
    assert not lock.locked()
    assert os.listdir(lockpath.parent) == []


def test_lock_accepts_path_objects_and_strings(lockpath):
    for name in (lockpath, str(lockpath)):
        lock = LockFile(name)
        lock.lock()
        assert lock.locked()
        lock.unlock()
    assert os.listdir(lockpath.parent) == []


def test_lock_can_be_taken_again_after_unlock(lockpath):
    lock = LockFile(lockpath)
    for _ in range(3):
        lock.lock()
        assert lock.locked()
        lock.unlock()
    assert os.listdir(lockpath.parent) == []


def test_relock_raises_already_locked(lockpath):
    lock = LockFile(lockpath)
    lock.lock()
    with pytest.raises(AlreadyLockedError):
        lock.lock()
    with pytest.raises(AlreadyLockedError):
        lock.lock(timeout=0.2)
    assert lock.locked()
    lock.unlock()
    assert os.listdir(lockpath.parent) == []


def test_unlock_and_refresh_when_not_held(lockpath):
    lock = LockFile(lockpath)
    with pytest.raises(NotLockedError):
        lock.unlock()
    with pytest.raises(NotLockedError):
        lock.refresh()
    # Unconditionally, neither complains, and nothing appears.
    lock.unlock(unconditionally=True)
    lock.refresh(unconditionally=True)
    assert os.listdir(lockpath.parent) == []
    lock.lock()
    lock.unlock()
    with pytest.raises(NotLockedError):
        lock.unlock()


def test_unconditional_unlock_by_a_non_holder_leaves_the_lock(lockpath):
    holder = LockFile(lockpath)
    holder.lock()
    other = LockFile(lockpath)
    other.unlock(unconditionally=True)
    assert holder.locked()
    holder.unlock()


def test_lock_files_are_group_writable_whatever_the_umask(lockpath):
    old = os.umask(0o077)
    try:
        lock = LockFile(lockpath)
        lock.lock()
        assert stat.S_IMODE(os.stat(lockpath).st_mode) == 0o664
        lock.unlock()
    finally:
        os.umask(old)


def test_lifetime_sets_the_expiry(lockpath):
    """The lock file's mtime is when the lifetime runs out; refresh() with a
    new lifetime moves it."""
    lock = LockFile(lockpath, lifetime=100)
    assert lock.get_lifetime() == 100
    lock.lock()
    assert os.stat(lockpath).st_mtime > time.time() + 50
    lock.refresh(1000)
    assert lock.get_lifetime() == 1000
    assert os.stat(lockpath).st_mtime > time.time() + 900
    lock.set_lifetime(5)
    assert lock.get_lifetime() == 5
    lock.refresh()
    assert os.stat(lockpath).st_mtime < time.time() + 100
    lock.unlock()


def test_locked_refreshes(lockpath):
    lock = LockFile(lockpath, lifetime=1000)
    lock.lock()
    _make_stale(lockpath)
    assert lock.locked()
    assert os.stat(lockpath).st_mtime > time.time() + 900
    lock.unlock()


def test_two_objects_in_one_process_get_distinct_claims(lockpath):
    first, second = LockFile(lockpath), LockFile(lockpath)
    first.lock()
    with pytest.raises(TimeOutError):
        second.lock(timeout=0.3)
    first.unlock()
    second.lock()
    assert not first.locked()
    assert second.locked()
    second.unlock()


def test_second_object_times_out_while_first_holds(lockpath):
    first = LockFile(lockpath)
    first.lock()
    second = LockFile(lockpath)
    with pytest.raises(TimeOutError):
        second.lock(timeout=0.5)
    assert not second.locked()
    assert first.locked()
    # The loser's claim file is gone; only the holder's files remain.
    assert len(_claims(lockpath)) == 1
    assert sorted(os.listdir(lockpath.parent)) == sorted(
        [lockpath.name] + _claims(lockpath))
    first.unlock()
    second.lock(timeout=5)
    assert second.locked()
    second.unlock()


def test_context_manager(lockpath):
    with LockFile(lockpath) as lock:
        assert isinstance(lock, LockFile)
        assert lock.locked()
        assert lockpath.exists()
    assert not lock.locked()
    assert os.listdir(lockpath.parent) == []


def test_context_manager_releases_on_error(lockpath):
    with pytest.raises(ZeroDivisionError):
        with LockFile(lockpath) as lock:
            1 / 0
    assert not lock.locked()
    assert os.listdir(lockpath.parent) == []


def test_context_manager_reports_a_lock_lost_while_held(lockpath):
    with pytest.raises(NotLockedError):
        with LockFile(lockpath):
            os.unlink(lockpath)     # as a breaker would
    assert os.listdir(lockpath.parent) == []


def test_context_manager_allows_explicit_unlock(lockpath):
    with LockFile(lockpath) as lock:
        lock.unlock()
    assert os.listdir(lockpath.parent) == []


def test_del_releases_a_held_lock(lockpath):
    lock = LockFile(lockpath)
    lock.lock()
    del lock
    assert os.listdir(lockpath.parent) == []


def test_disown_forgets_without_removing(lockpath):
    lock = LockFile(lockpath)
    lock.lock()
    lock._disown()
    assert not lock.locked()
    with pytest.raises(NotLockedError):
        lock.unlock()
    del lock
    assert lockpath.exists()
    assert len(_claims(lockpath)) == 1
    with pytest.raises(TimeOutError):
        LockFile(lockpath).lock(timeout=0.3)


def test_logging_goes_to_the_locks_log(lockpath):
    from Mailman import mm_cfg
    log = os.path.join(mm_cfg.LOG_DIR, 'locks')
    quiet = LockFile(str(lockpath) + '-quiet')
    quiet.lock()
    quiet.unlock()
    lock = LockFile(lockpath, withlogging=True)
    lock.lock()
    lock.unlock()
    with open(log, encoding='utf-8') as fp:
        lines = [line for line in fp if str(lockpath) in line]
    assert any('acquired' in line for line in lines)
    assert any('unlocked' in line for line in lines)
    assert not any(str(lockpath) + '-quiet' in line for line in lines)


# ---------------------------------------------------------------- processes
_COUNTER_SCRIPT = r'''
import sys, time
sys.path.insert(0, sys.argv[1])
from Mailman.LockFile import LockFile
lockpath, counter, rounds = sys.argv[2], sys.argv[3], int(sys.argv[4])
lock = LockFile(lockpath, lifetime=60)
for _ in range(rounds):
    lock.lock(timeout=60)
    try:
        with open(counter) as fp:
            value = int(fp.read())
        time.sleep(0.001)       # widen the window a lost update would need
        with open(counter, 'w') as fp:
            fp.write(str(value + 1))
    finally:
        lock.unlock()
'''


def test_mutual_exclusion_across_processes(lockpath):
    """Eight processes each add 1 fifty times under the lock: none of the
    read-modify-write cycles may overlap, so no update is lost."""
    counter = lockpath.parent.parent / 'counter'
    counter.write_text('0')
    processes, rounds = 8, 50
    children = [
        subprocess.Popen([sys.executable, '-c', _COUNTER_SCRIPT, SHADOW_DIR,
                          str(lockpath), str(counter), str(rounds)],
                         stderr=subprocess.PIPE)
        for _ in range(processes)]
    try:
        for child in children:
            _, errors = child.communicate(timeout=60)
            assert child.returncode == 0, errors.decode()
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert int(counter.read_text()) == processes * rounds
    assert os.listdir(lockpath.parent) == []


def test_waiting_without_timeout_gets_the_lock_when_released(lockpath):
    holder = LockFile(lockpath)
    holder.lock()
    read_end, write_end = os.pipe()

    def child():
        waiter = LockFile(lockpath)
        waiter.lock()           # no timeout: waits as long as it takes
        os.write(write_end, b'got')
        waiter.unlock()

    pid = _fork(child)
    try:
        assert _read_pipe(read_end, 0.5) == b''
        holder.unlock()
        assert _read_pipe(read_end, 15) == b'got'
        assert _wait(pid) == 0
    finally:
        os.close(read_end)
        os.close(write_end)
    assert os.listdir(lockpath.parent) == []


def test_stale_lock_of_a_killed_process_is_broken(lockpath, monkeypatch):
    monkeypatch.setattr(lockfile_module, 'CLOCK_SLOP', 0.5)
    read_end, write_end = os.pipe()

    def child():
        lock = LockFile(lockpath, lifetime=1)
        lock.lock(timeout=5)
        os.write(write_end, b'held')
        time.sleep(60)

    pid = _fork(child)
    try:
        assert _read_pipe(read_end) == b'held'
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_end)
        os.close(write_end)
    dead_claims = _claims(lockpath)
    assert len(dead_claims) == 1
    # The dead holder's lifetime and the slop run out; we break the lock.
    lock = LockFile(lockpath, lifetime=30)
    lock.lock(timeout=15)
    assert lock.locked()
    # The dead holder's claim file went with its lock.
    assert dead_claims[0] not in _claims(lockpath)
    assert len(_claims(lockpath)) == 1
    lock.unlock()
    assert os.listdir(lockpath.parent) == []


def test_a_holder_that_refreshes_is_not_broken(lockpath, monkeypatch):
    """A lifetime of 1 s plus a slop of 0.5 s is shorter than the contender's
    2.5 s timeout; the holder's refreshes keep its lock anyway."""
    monkeypatch.setattr(lockfile_module, 'CLOCK_SLOP', 0.5)
    held_r, held_w = os.pipe()
    stop_r, stop_w = os.pipe()

    def child():
        lock = LockFile(lockpath, lifetime=1)
        lock.lock(timeout=5)
        os.write(held_w, b'held')
        deadline = time.monotonic() + 30
        while not select.select([stop_r], [], [], 0.1)[0]:
            lock.refresh()      # raises NotLockedError if it was broken
            if time.monotonic() > deadline:
                raise RuntimeError('never told to stop')
        assert lock.locked()
        lock.unlock()

    pid = _fork(child)
    try:
        assert _read_pipe(held_r) == b'held'
        contender = LockFile(lockpath, lifetime=30)
        with pytest.raises(TimeOutError):
            contender.lock(timeout=2.5)
        os.write(stop_w, b'stop')
        assert _wait(pid) == 0
    finally:
        for fd in (held_r, held_w, stop_r, stop_w):
            os.close(fd)
    contender.lock(timeout=5)
    contender.unlock()
    assert os.listdir(lockpath.parent) == []


def test_transfer_to_a_forked_child(lockpath):
    """The parent hands its lock to a child, which then owns it under its own
    pid and releases it; the parent can no longer release it."""
    lock = LockFile(lockpath, lifetime=60)
    lock.lock()
    own_r, own_w = os.pipe()
    go_r, go_w = os.pipe()

    def child():
        lock._take_possession(timeout=10)
        assert lock.locked()
        claim = _claims(lockpath)
        assert claim == [os.path.basename(lockpath.read_text())]
        assert f'.{os.getpid()}.' in claim[0]
        os.write(own_w, b'own')
        assert _read_pipe(go_r, 10) == b'go'
        assert lock.locked()
        lock.unlock()
        assert not lockpath.exists()

    pid = _fork(child)
    try:
        lock._transfer_to(pid)
        assert not lock.locked()
        assert _read_pipe(own_r) == b'own'
        # Nothing the parent does with its object releases the child's lock.
        with pytest.raises(NotLockedError):
            lock.unlock()
        with pytest.raises(NotLockedError):
            lock.refresh()
        lock.unlock(unconditionally=True)
        lock.__del__()
        assert os.stat(lockpath).st_nlink == 2
        with pytest.raises(TimeOutError):
            LockFile(lockpath).lock(timeout=0.3)
        os.write(go_w, b'go')
        assert _wait(pid) == 0
    finally:
        for fd in (own_r, own_w, go_r, go_w):
            os.close(fd)
    assert os.listdir(lockpath.parent) == []


def test_a_forked_copy_does_not_release_the_parents_lock(lockpath):
    lock = LockFile(lockpath)
    lock.lock()

    def child():
        lock.__del__()
        assert not lock.locked()
        with pytest.raises(NotLockedError):
            lock.unlock()
        lock.unlock(unconditionally=True)
        # The child may take the lock for itself only after the parent.
        with pytest.raises(TimeOutError):
            lock.lock(timeout=0.3)

    assert _wait(_fork(child)) == 0
    assert lock.locked()
    assert len(_claims(lockpath)) == 1
    lock.unlock()
    assert os.listdir(lockpath.parent) == []


# ---------------------------------------------------------------- breaking
GARBAGE = [b'', b'\xff\xfe\x00\x01garbage', b'just some text\n',
           b'/nonexistent/directory/test.lock.host.1.2', b'x' * 20000]
GARBAGE_IDS = ['empty', 'binary', 'text', 'foreign-path', 'oversized']


@pytest.mark.parametrize('content', GARBAGE, ids=GARBAGE_IDS)
def test_stale_garbage_lock_is_broken(lockpath, content):
    lockpath.write_bytes(content)
    _make_stale(lockpath)
    lock = LockFile(lockpath)
    lock.lock(timeout=10)
    assert lock.locked()
    lock.unlock()
    assert os.listdir(lockpath.parent) == []


@pytest.mark.parametrize('content', GARBAGE, ids=GARBAGE_IDS)
def test_fresh_garbage_lock_is_respected(lockpath, content):
    lockpath.write_bytes(content)
    future = time.time() + 600
    os.utime(lockpath, (future, future))
    lock = LockFile(lockpath)
    with pytest.raises(TimeOutError):
        lock.lock(timeout=0.3)
    assert lockpath.read_bytes() == content
    assert os.listdir(lockpath.parent) == [lockpath.name]


def test_stale_claim_of_another_host_is_cleaned_up(lockpath):
    """A dead holder's claim file, named in the lock file, goes with it."""
    claim = lockpath.parent / f'{lockpath.name}.otherhost.4242.7'
    claim.write_text(str(claim))
    os.link(claim, lockpath)
    _make_stale(lockpath)
    lock = LockFile(lockpath)
    lock.lock(timeout=10)
    assert not claim.exists()
    lock.unlock()
    assert os.listdir(lockpath.parent) == []


def _targets(tmp_path, lockpath):
    """Files a forged lock file might name, none of which are claim files of
    this lock in its directory."""
    precious = tmp_path / 'precious.txt'
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    # Named like a claim of this lock, but in another directory.
    lookalike = elsewhere / f'{lockpath.name}.host.1.2'
    # In the lock's directory, but not a claim name of this lock.
    neighbour = lockpath.parent / 'other.lock'
    neighbour_claim = lockpath.parent / 'other.lock.host.1.2'
    files = [precious, lookalike, neighbour, neighbour_claim]
    for path in files:
        path.write_text('keep me')
    names = [str(precious), str(lookalike), str(neighbour),
             str(neighbour_claim),
             str(lockpath.parent / '..' / 'precious.txt'),
             str(lockpath.parent / '..' / 'elsewhere' / lookalike.name),
             os.path.relpath(precious), 'precious.txt',
             f'{lockpath}.host.1.2/../../precious.txt',
             f'{lockpath}.host.1.2\x00']
    return files, names


def test_breaker_never_removes_what_the_lock_file_names_elsewhere(
        tmp_path, lockpath):
    files, names = _targets(tmp_path, lockpath)
    for name in names:
        lockpath.write_bytes(os.fsencode(name))
        _make_stale(lockpath)
        lock = LockFile(lockpath)
        lock.lock(timeout=10)
        lock.unlock()
        for path in files:
            assert path.read_text() == 'keep me', name
    assert sorted(os.listdir(lockpath.parent)) == [
        'other.lock', 'other.lock.host.1.2']


def test_breaker_leaves_a_lock_renewed_since_judged_stale(lockpath):
    """If the stale lock file was replaced (released and taken again) between
    the staleness check and the break, the new lock survives."""
    lockpath.write_text('old')
    _make_stale(lockpath)
    seen = os.stat(lockpath)
    os.unlink(lockpath)
    holder = LockFile(lockpath)
    holder.lock()
    LockFile(lockpath)._break(seen)
    assert holder.locked()
    holder.unlock()


def start_holder(path):
    """Another process that takes the lock PATH for an hour and waits."""
    holder = subprocess.Popen(
        [sys.executable, '-c',
         'import sys, time\n'
         f'sys.path[:0] = {sys.path!r}\n'
         'from Mailman.LockFile import LockFile\n'
         f'lock = LockFile({path!r}, lifetime=3600)\n'
         'lock.lock()\n'
         'print("locked", flush=True)\n'
         'time.sleep(3600)\n'], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == 'locked'
    return holder


def test_lock_of_a_dead_process_on_this_host_is_broken_at_once(tmp_path):
    """A holder killed with SIGKILL leaves its lock behind; its lifetime
    may be hours.  Its pid is gone on this host, so a waiter breaks it at
    once instead of waiting for the lifetime to run out."""
    path = str(tmp_path / 'dead.lock')
    holder = start_holder(path)
    holder.kill()
    holder.wait()
    waiter = LockFile(path, lifetime=60)
    waiter.lock(timeout=10)      # would time out if it waited for 3600 s
    assert waiter.locked()
    waiter.unlock()


def test_lock_of_a_live_process_is_not_broken(tmp_path):
    holder = start_holder(str(tmp_path / 'live.lock'))
    try:
        waiter = LockFile(str(tmp_path / 'live.lock'), lifetime=60)
        with pytest.raises(TimeOutError):
            waiter.lock(timeout=1)
    finally:
        holder.kill()
        holder.wait()
