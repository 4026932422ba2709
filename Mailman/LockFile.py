"""NFS-safe lock files, with the interface of Mailman 2.1's LockFile.

Every write to a list's or the site's state happens under one of these
locks, taken by queue runners, CGI pages, cron jobs and admin commands alike,
possibly on several hosts sharing the var prefix over NFS.  So the technique
relies only on operations that are atomic over NFS: link(), unlink() and
stat().

Claiming a lock
    Each claim has a private file next to the lock,
    ``<lockfile>.<hostname>.<pid>.<counter>``, whose content is its own name
    and whose mtime is set to *now + lifetime*.  The claimant link()s that
    file to ``<lockfile>``.  The lock belongs to whoever's name is in the
    lock file while the lock file has exactly two links (the lock name and
    the owner's private name).

Expiry
    The lock file's mtime is the moment the owner's lifetime runs out.  A
    waiter that sees *now > mtime + CLOCK_SLOP* takes the owner for dead
    (CLOCK_SLOP allows for clocks that differ between hosts) and breaks the
    lock: it removes the lock file and the dead owner's private file.  An
    owner that works for longer than its lifetime keeps its lock alive with
    refresh() (or locked(), which refreshes as a side effect).

Hand-off across fork()
    A process may pass a lock it holds to a child: the parent calls
    _transfer_to(child_pid), which renames the claim after the child's pid,
    and the child calls _take_possession(), which waits for that and adopts
    the claim.  _disown() makes an object forget a lock without removing any
    file, so that a forked copy of it cannot release the parent's lock.

Breaking is inherently a little racy: two waiters may decide at the same
moment that a lock is stale.  The breaker re-checks, on the very file it is
about to remove, that it is still the stale one it judged (same inode, same
mtime) and pushes the mtime forward first, which shrinks the window to a few
system calls.  Lifetimes should therefore be comfortably longer than the
work done under the lock, or that work should refresh the lock.
"""

import errno
import itertools
import os
import random
import re
import socket
import time

__all__ = [
    'AlreadyLockedError', 'CLOCK_SLOP', 'DEFAULT_LOCK_LIFETIME', 'LockError',
    'LockFile', 'NotLockedError', 'TimeOutError',
]

# Seconds a lock lives unless refreshed.
DEFAULT_LOCK_LIFETIME = 15
# Seconds of grace past a lock's expiry before a waiter breaks it, for
# clocks that disagree between NFS clients.  lock() reads this at call time.
CLOCK_SLOP = 10

# Waiters sleep a random time between attempts, so that they do not all
# wake together.  2.1 always slept 0.01 to 2.01 s, which made a busy list
# (runners, web pages and cron at once) wait seconds for locks held for
# milliseconds; we start short and double the range up to 2.01 s.
_SLEEP_MIN = 0.01
_SLEEP_MAX = 2.01
_SLEEP_FIRST_MAX = 0.05
# How often _take_possession() looks for the parent's hand-off.
_POSSESSION_POLL = 0.05
# Lock files are group-writable, as 2.1 made them with umask 002.
_LOCK_FILE_MODE = 0o664
# More than any path a claim file could have.
_MAX_CONTENT = 16384

# The only process-wide state: numbers claims so that two LockFile objects
# in one process (or a claim renewed after a failure) never share a name.
_claim_numbers = itertools.count()

# The part after "<lockfile>." in a claim file name: host, pid, counter.
# 2.1 wrote no counter; accept its names too so that its claims get cleaned.
_CLAIM_SUFFIX = re.compile(r'[^/\x00]+\.[0-9]+(?:\.[0-9]+)?\Z')


class LockError(Exception):
    """Base class of every lock error."""


class AlreadyLockedError(LockError):
    """lock() was called on an object that already holds the lock."""


class NotLockedError(LockError):
    """unlock() or refresh() was called by an object not holding the lock."""


class TimeOutError(LockError):
    """lock() gave up waiting after its timeout."""


def _hostname():
    # A slash would make the claim a path into another directory.
    return socket.gethostname().replace('/', '_') or 'localhost'


class LockFile:
    """One lock, named by a path; see the module documentation.

    ``with LockFile(path) as lock:`` waits for the lock as long as it takes
    and releases it at the end of the block.
    """

    def __init__(self, lockfile, lifetime=DEFAULT_LOCK_LIFETIME,
                 withlogging=False):
        self._lockfile = os.fspath(lockfile)
        self._lifetime = lifetime
        self._withlogging = withlogging
        # The name of our current claim file, and the pid it was made for.
        # A claim counts as ours only in the process whose pid it carries,
        # so a copy of this object inherited through fork() owns nothing.
        self._claimfile = None
        self._claim_pid = None

    def __repr__(self):
        if self._claim_pid == os.getpid() and self._is_ours():
            state = 'locked'
        else:
            state = 'unlocked'
        return f'<LockFile {self._lockfile!r} [{state}: {self._lifetime}s]>'

    # ------------------------------------------------------------ lifetime
    def set_lifetime(self, lifetime):
        """Set the lifetime used by the next claim or refresh."""
        self._lifetime = lifetime

    def get_lifetime(self):
        return self._lifetime

    def refresh(self, newlifetime=None, unconditionally=False):
        """Push the lock's expiry to now + lifetime (changed to newlifetime
        when given).  Raises NotLockedError if we do not hold the lock,
        unless unconditionally is true."""
        if newlifetime is not None:
            self.set_lifetime(newlifetime)
        # locked() does the refreshing.
        if not self.locked():
            if not unconditionally:
                raise NotLockedError(self._lockfile)
            return
        self._log('refreshed')

    # ------------------------------------------------------------ locking
    def lock(self, timeout=0):
        """Acquire the lock, waiting for it if another claim holds it.

        timeout is in seconds; 0 (the default) waits as long as it takes,
        otherwise TimeOutError is raised once timeout seconds have passed.
        Raises AlreadyLockedError if this object already holds the lock.
        """
        if self.locked():
            raise AlreadyLockedError(self._lockfile)
        self._forget_claim()
        deadline = time.monotonic() + timeout if timeout and timeout > 0 \
            else None
        self._claimfile = self._claim_name(os.getpid())
        self._claim_pid = os.getpid()
        acquired = False
        longest_pause = _SLEEP_FIRST_MAX
        try:
            self._write_claim()
            while True:
                if self._try_link():
                    acquired = True
                    self._touch(self._claimfile)
                    self._log('acquired')
                    return
                if deadline is not None and time.monotonic() >= deadline:
                    self._log('timed out')
                    raise TimeOutError(self._lockfile)
                try:
                    seen = os.stat(self._lockfile)
                except FileNotFoundError:
                    # Released between our link() and now: try again at once.
                    continue
                if time.time() > seen.st_mtime + CLOCK_SLOP or \
                        self._owner_died_here():
                    self._break(seen)
                    continue
                pause = random.uniform(_SLEEP_MIN, longest_pause)
                longest_pause = min(_SLEEP_MAX, longest_pause * 2)
                if deadline is not None:
                    pause = min(pause, max(0.0, deadline - time.monotonic()))
                time.sleep(pause)
        finally:
            if not acquired:
                self._forget_claim()

    def unlock(self, unconditionally=False):
        """Release the lock.  Raises NotLockedError if this object does not
        hold it, unless unconditionally is true (then only our own claim
        file, if any, is cleaned up)."""
        held = self.locked()
        if not held and not unconditionally:
            raise NotLockedError(self._lockfile)
        if held:
            _unlink_quietly(self._lockfile)
            self._log('unlocked')
        self._forget_claim()

    def locked(self):
        """True if this object, in this process, holds the lock.  Holding
        it, this also refreshes it (pushes its expiry forward)."""
        if self._claimfile is None or self._claim_pid != os.getpid():
            return False
        # Touch our own claim file rather than the lock file: if the lock
        # was broken and taken by someone else meanwhile, we must not extend
        # their lock.  While we hold it, both names are the same file.
        try:
            self._touch(self._claimfile)
        except (FileNotFoundError, PermissionError):
            return False
        return self._is_ours()

    def finalize(self):
        """Release the lock if held, as 2.1's finalize() did."""
        self.unlock(unconditionally=True)

    def __del__(self):
        # Only the process the claim was made for may release it: a copy of
        # this object in a forked child must leave the parent's lock alone.
        try:
            if self._claim_pid is not None and self._claim_pid == os.getpid():
                self.unlock(unconditionally=True)
        except Exception:
            # Nothing sensible to do at garbage collection or exit; an
            # unreleased lock expires by itself.
            pass

    def __enter__(self):
        self.lock()
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._claimfile is None or self._claim_pid != os.getpid():
            # Released, transferred or disowned inside the block on purpose.
            return False
        if self.locked():
            self.unlock()
            return False
        self.unlock(unconditionally=True)
        if exc_type is None:
            # The lock was broken while the block ran: say so rather than
            # pretend the block ran under it.
            raise NotLockedError(f'{self._lockfile}: lock lost while held')
        return False

    # ------------------------------------------------------------ hand-off
    def _transfer_to(self, pid):
        """Hand the lock we hold to process pid, which must then call
        _take_possession().  Afterwards this process no longer holds it."""
        if not self.locked():
            raise NotLockedError(self._lockfile)
        old = self._claimfile
        new = self._claim_name(pid)
        # Add the child's name to the lock file's inode, write it into the
        # shared content, then drop our name: the lock never looks free and
        # the child sees two links and its own name only when we are done.
        os.link(old, new)
        try:
            self._write_content(new, create=False)
            self._touch(new)
        except BaseException:
            _unlink_quietly(new)
            raise
        os.unlink(old)
        self._claimfile = new
        self._claim_pid = pid
        self._log(f'transferred to pid {pid}')

    def _take_possession(self, timeout=0):
        """In the child a lock was transferred to, wait until the parent's
        _transfer_to() is complete and adopt the claim.  timeout (seconds,
        0 = forever) bounds the wait; TimeOutError when it runs out."""
        pid = os.getpid()
        prefix = f'{self._lockfile}.{_hostname()}.{pid}.'
        deadline = time.monotonic() + timeout if timeout and timeout > 0 \
            else None
        while True:
            try:
                links = os.stat(self._lockfile).st_nlink
            except FileNotFoundError:
                links = 0
            if links == 2:
                content = self._read(self._lockfile)
                if (content is not None and content.startswith(prefix)
                        and content[len(prefix):].isdigit()):
                    self._claimfile = content
                    self._claim_pid = pid
                    self._touch(content)
                    self._log('took possession')
                    return
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeOutError(self._lockfile)
            time.sleep(_POSSESSION_POLL)

    def _disown(self):
        """Forget the lock without touching any file (after fork(), in the
        process that must not release it)."""
        self._claimfile = None
        self._claim_pid = None

    # ------------------------------------------------------------ internals
    def _claim_name(self, pid):
        return f'{self._lockfile}.{_hostname()}.{pid}.{next(_claim_numbers)}'

    def _forget_claim(self):
        """Remove our claim file (if this process made it) and forget it."""
        if self._claimfile is not None and self._claim_pid == os.getpid():
            _unlink_quietly(self._claimfile)
        self._claimfile = None
        self._claim_pid = None

    def _write_content(self, path, create):
        flags = os.O_WRONLY | os.O_TRUNC
        if create:
            flags |= os.O_CREAT
        fd = os.open(path, flags, _LOCK_FILE_MODE)
        try:
            if create:
                # Group-writable whatever the process umask is, without
                # changing the umask (which is process-wide).
                try:
                    os.fchmod(fd, _LOCK_FILE_MODE)
                except PermissionError:
                    pass
            data = os.fsencode(self._claimfile if create else path)
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)

    def _write_claim(self):
        self._write_content(self._claimfile, create=True)
        self._touch(self._claimfile)

    def _try_link(self):
        """One attempt to claim the lock; True if we hold it now."""
        try:
            # Freshen the claim first: after a long wait its expiry may
            # already be in the past.
            self._touch(self._claimfile)
        except FileNotFoundError:
            # Someone removed our claim file (a breaker misled by a forged
            # lock file?): make it again.
            self._write_claim()
        try:
            os.link(self._claimfile, self._lockfile)
            return True
        except FileExistsError:
            pass
        except FileNotFoundError:
            # The claim file vanished between touch and link; next round.
            return False
        except OSError as error:
            # Over NFS a link() that worked may still report an error when
            # the server's reply was lost.  Trust the link count instead.
            if error.errno not in (errno.EIO, errno.ESTALE, errno.EINTR):
                raise
        # lock() raised AlreadyLockedError if we held the lock before this
        # attempt, so if it is ours now, this attempt got it.
        return self._is_ours()

    def _is_ours(self):
        if self._claimfile is None:
            return False
        try:
            links = os.stat(self._lockfile).st_nlink
        except FileNotFoundError:
            return False
        return links == 2 and self._read(self._lockfile) == self._claimfile

    @staticmethod
    def _read(path):
        """The name a lock or claim file holds, or None when unreadable.
        Garbage is returned as it decodes; it never equals a claim name."""
        try:
            with open(path, 'rb') as fp:
                data = fp.read(_MAX_CONTENT)
        except OSError:
            return None
        return os.fsdecode(data)

    def _owner_died_here(self):
        """True if the lock's claim names a process of this host that no
        longer exists.  Such a lock (its owner was killed) is broken at
        once rather than after its lifetime, which for a list is hours.
        Only this host's processes can be checked; others' locks wait for
        their lifetime as before."""
        owner = claim_owner(self._lockfile, self._read(self._lockfile))
        if owner is None:
            return False
        host, pid = owner
        return host == _hostname() and pid != os.getpid() and \
            not pid_alive(pid)

    def _touch(self, path):
        expiry = time.time() + self._lifetime
        os.utime(path, (expiry, expiry))

    def _break(self, seen):
        """Break the lock judged stale from the stat result seen."""
        try:
            fd = os.open(self._lockfile, os.O_RDONLY)
        except FileNotFoundError:
            return
        except OSError:
            fd = None
        try:
            now = os.fstat(fd) if fd is not None else os.stat(self._lockfile)
            if (now.st_dev, now.st_ino, now.st_mtime_ns) != \
                    (seen.st_dev, seen.st_ino, seen.st_mtime_ns):
                # Released, refreshed or already broken and re-taken since
                # we looked: not the stale lock we judged.
                return
            winner = None
            if fd is not None:
                data = os.read(fd, _MAX_CONTENT)
                winner = os.fsdecode(data)
        except FileNotFoundError:
            return
        finally:
            if fd is not None:
                os.close(fd)
        # Push the expiry forward so that other waiters leave it alone while
        # we remove it.  Not being the file's owner may forbid this.
        try:
            self._touch(self._lockfile)
        except (FileNotFoundError, PermissionError):
            pass
        _unlink_quietly(self._lockfile)
        victim = self._sibling_claim(winner)
        if victim is not None:
            _unlink_quietly(victim)
        self._log(f'broken (held by {winner!r})')

    def _sibling_claim(self, name):
        """The path of the dead owner's claim file named in a lock file, or
        None unless name looks like a claim file of this very lock in this
        very directory.  The content of a lock file is not to be trusted:
        it must never lead us to remove anything else."""
        if not name or '\x00' in name:
            return None
        lockdir, lockbase = os.path.split(self._lockfile)
        namedir, namebase = os.path.split(name)
        if not namebase.startswith(lockbase + '.'):
            return None
        if not _CLAIM_SUFFIX.match(namebase[len(lockbase) + 1:]):
            return None
        try:
            same_dir = os.path.samestat(os.stat(namedir or '.'),
                                        os.stat(lockdir or '.'))
        except OSError:
            return None
        if not same_dir:
            return None
        return os.path.join(lockdir, namebase)

    def _log(self, message):
        if not self._withlogging:
            return
        try:
            # Imported here: the logger needs mm_cfg, and LockFile must be
            # usable before (and without) a configured site.
            from Mailman.Logging.Syslog import syslog
        except Exception:
            return
        syslog('locks', '%s %s', self._lockfile, message)


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def pid_alive(pid):
    """True if a process PID exists on this host (perhaps another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_owner(lockfile, content):
    """(host, pid) named by CONTENT, the claim name a lock file holds, or
    None when it is not a claim of LOCKFILE."""
    if not content:
        return None
    prefix = lockfile + '.'
    if not content.startswith(prefix):
        return None
    # <host>.<pid>.<counter>; the host name may itself contain dots.
    parts = content[len(prefix):].split('.')
    if len(parts) >= 3 and parts[-1].isdigit() and parts[-2].isdigit():
        return '.'.join(parts[:-2]), int(parts[-2])
    return None


def lock_owner(lockfile):
    """(host, pid) of the process holding LOCKFILE, or None."""
    return claim_owner(lockfile, LockFile._read(lockfile))
