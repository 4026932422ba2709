"""What bin/qrunner, bin/mailmanctl, bin/inject, bin/unshunt and
bin/show_qfiles do; the programs only parse their options and call here.

mailmanctl's master
    `mailmanctl start` takes the master lock (locks/<MASTER_LOCK_FILE>),
    forks, and hands the lock to the child, which becomes the master: it
    leaves the terminal (setsid, stdio on /dev/null, cwd PREFIX, umask 007),
    writes data/master-qrunner.pid and starts one `qrunner -s` process per
    slice of every runner in QRUNNERS.  It then waits for them:

    * a runner that exits is started again, unless mailmanctl ran with -n,
      or the runner stopped because of SIGTERM (exit status 15, or killed
      by the signal), or it has already been restarted MAX_RESTARTS times;
      a runner that exits with status 2 (it got SIGINT: a restart was asked
      for) is started again without counting;
    * SIGTERM (mailmanctl stop): passed on to the runners, which finish
      the message in hand and exit; then the master releases the lock,
      removes the pid file and exits;
    * SIGINT (mailmanctl restart): passed on; the runners exit and are
      started again, loading new code; the master stays;
    * SIGHUP (mailmanctl reopen): the master and the runners reopen their
      log files;
    * SIGALRM, once a day: the master lock (lifetime 30 hours) is
      refreshed.
"""

import errno
import grp
import importlib
import os
import pwd
import signal
import socket
import sys
import time
import traceback

from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog

MAX_RESTARTS = 10
MASTER_LOCK_LIFETIME = mm_cfg.days(1) + mm_cfg.hours(6)
# How often the master refreshes its lock.
LOCK_REFRESH_INTERVAL = mm_cfg.days(1)

# Exit statuses of a runner process: stopped by SIGTERM (do not restart),
# stopped by SIGINT (restart, and do not count it).
EXIT_SIGTERM = signal.SIGTERM.value
EXIT_SIGINT = signal.SIGINT.value


class ControlError(Exception):
    """A failure to report in one line; STATUS is the exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


# ====================================================================
# Runners by name
# ====================================================================
def runner_class_name(name):
    """'Incoming' or 'IncomingRunner' -> 'IncomingRunner'."""
    return name if name.endswith('Runner') else name + 'Runner'


def load_runner_class(name):
    """The class Mailman.Queue.<name>.<name>; ImportError if there is no
    such runner."""
    if not name.isidentifier():
        raise ImportError(f'bad runner name: {name!r}')
    module = importlib.import_module('Mailman.Queue.' + name)
    try:
        return getattr(module, name)
    except AttributeError:
        raise ImportError(f'Mailman.Queue.{name} has no class {name}') \
            from None


def known_runners():
    """Names of the runners: those in QRUNNERS, then every other
    Mailman/Queue/*Runner.py, sorted."""
    names = [name for name, _count in mm_cfg.QRUNNERS]
    directory = os.path.dirname(os.path.abspath(__file__))
    for entry in sorted(os.listdir(directory)):
        stem, ext = os.path.splitext(entry)
        if ext == '.py' and stem.endswith('Runner') and stem != 'Runner' \
                and stem not in names:
            names.append(stem)
    return names


def parse_runner_spec(spec):
    """'Name[:slice:range]' -> [(class name, slice, range)], 'All' giving
    every runner of QRUNNERS."""
    parts = spec.split(':')
    if len(parts) == 1:
        name, slice_, range_ = parts[0], 0, 1
    elif len(parts) == 3:
        name = parts[0]
        try:
            slice_, range_ = int(parts[1]), int(parts[2])
        except ValueError:
            raise ControlError(f'bad runner spec: {spec}', 2) from None
        if range_ < 1 or not 0 <= slice_ < range_:
            raise ControlError(f'bad runner spec: {spec} (the slice must be '
                               f'from 0 to range-1)', 2)
    else:
        raise ControlError(f'bad runner spec: {spec}', 2)
    if not name:
        raise ControlError(f'bad runner spec: {spec}', 2)
    if name.lower() == 'all':
        return [(runner, slice_, range_) for runner, _count in
                mm_cfg.QRUNNERS]
    return [(runner_class_name(name), slice_, range_)]


class CompositeRunner:
    """Several runners in one process, taking turns pass by pass."""

    def __init__(self, runners):
        self.runners = runners
        self._stop = False

    def stop(self):
        self._stop = True
        for runner in self.runners:
            runner.stop()

    def run_once(self):
        total = 0
        try:
            for runner in self.runners:
                total += runner._oneloop()
                runner._doperiodic()
        finally:
            self._cleanup()
        return total

    def run(self):
        try:
            while not self._stop:
                total = 0
                for runner in self.runners:
                    if self._stop:
                        break
                    total += runner._oneloop()
                    runner._doperiodic()
                if self._stop:
                    break
                if not total:
                    self.runners[0]._snooze(0)
        finally:
            self._cleanup()

    def _cleanup(self):
        for runner in self.runners:
            try:
                runner._cleanup()
            except Exception:
                syslog('error', 'cleanup of %s failed:\n%s', runner,
                       traceback.format_exc().rstrip())


# ====================================================================
# bin/qrunner
# ====================================================================
def qrunner(specs, once=False, verbose=False, subproc=False, out=None):
    """Run the runners named by SPECS; returns the exit status."""
    from Mailman.Queue.Runner import install_signal_handlers
    out = out or sys.stderr
    wanted = []
    for spec in specs:
        wanted.extend(parse_runner_spec(spec))
    runners = []
    for name, slice_, range_ in wanted:
        try:
            cls = load_runner_class(name)
        except ImportError as error:
            syslog('error', 'cannot import runner %s: %s', name, error)
            if subproc:
                # Exit as if stopped by SIGTERM: mailmanctl must not keep
                # restarting a runner that does not exist.
                return EXIT_SIGTERM
            raise ControlError(f'no such runner: {name} ({error})') from None
        try:
            runners.append(cls(slice_, range_))
        except Exception as error:
            syslog('error', 'cannot start runner %s: %s\n%s', name, error,
                   traceback.format_exc().rstrip())
            raise ControlError(f'cannot start runner {name}: {error}') \
                from None
        if verbose:
            print(f'qrunner: {name} slice {slice_}/{range_} ready', file=out)
    runner = runners[0] if len(runners) == 1 else CompositeRunner(runners)
    state = install_signal_handlers(runner)
    names = ', '.join(f'{name}:{s}:{r}' for name, s, r in wanted)
    syslog('qrunner', '%s qrunner started.', names)
    try:
        if once:
            count = runner.run_once()
            if verbose:
                print(f'qrunner: one pass over {count} entr'
                      f'{"y" if count == 1 else "ies"}', file=out)
        else:
            runner.run()
    except Exception as error:
        syslog('error', '%s qrunner crashed: %s\n%s', names, error,
               traceback.format_exc().rstrip())
        raise ControlError(f'runner crashed: {error} (see logs/error)') \
            from None
    if state['signal'] is not None:
        syslog('qrunner', '%s qrunner caught %s.  Stopping.', names,
               signal.Signals(state['signal']).name)
    syslog('qrunner', '%s qrunner exiting.', names)
    if state['signal'] == signal.SIGINT:
        return EXIT_SIGINT
    if state['signal'] == signal.SIGTERM:
        return EXIT_SIGTERM
    return 0


def describe_runners():
    """Text for qrunner -l."""
    lines = ['Available queue runners:']
    for name in known_runners():
        short = name[:-len('Runner')] if name.endswith('Runner') else name
        try:
            cls = load_runner_class(name)
            doc = (cls.__doc__ or '').strip().splitlines()
            text = doc[0] if doc else ''
        except Exception as error:
            text = f'(cannot be loaded: {error})'
        lines.append(f'{short:>10} - {text}')
    lines.append('')
    lines.append('All runs every runner named in QRUNNERS (mm_cfg.py).')
    return '\n'.join(lines)


# ====================================================================
# bin/mailmanctl
# ====================================================================
def master_lock_path():
    return os.path.join(mm_cfg.LOCK_DIR, mm_cfg.MASTER_LOCK_FILE)


def check_privileges(run_as_user=False):
    """As root, become MAILMAN_USER:MAILMAN_GROUP; as anyone but that user,
    refuse unless RUN_AS_USER (-u)."""
    if run_as_user:
        return
    try:
        uid = pwd.getpwnam(mm_cfg.MAILMAN_USER).pw_uid
        gid = grp.getgrnam(mm_cfg.MAILMAN_GROUP).gr_gid
    except KeyError as error:
        raise ControlError(f'MAILMAN_USER {mm_cfg.MAILMAN_USER!r} or '
                           f'MAILMAN_GROUP {mm_cfg.MAILMAN_GROUP!r} does not '
                           f'exist ({error})') from None
    myuid = os.getuid()
    if myuid == 0:
        groups = [g.gr_gid for g in grp.getgrall()
                  if mm_cfg.MAILMAN_USER in g.gr_mem]
        if gid not in groups:
            groups.append(gid)
        os.setgroups(groups)
        os.setgid(gid)
        os.setuid(uid)
    elif myuid != uid:
        name = pwd.getpwuid(myuid).pw_name if _has_user(myuid) else myuid
        raise ControlError(f'run this program as root or as the '
                           f'{mm_cfg.MAILMAN_USER} user, or use -u '
                           f'(you are {name})')


def _has_user(uid):
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


def check_site_list():
    from Mailman import Utils
    if not Utils.list_exists(mm_cfg.MAILMAN_SITE_LIST):
        raise ControlError(
            f'Site list is missing: {mm_cfg.MAILMAN_SITE_LIST}.  Create it '
            f'first (bin/newlist {mm_cfg.MAILMAN_SITE_LIST}); see the '
            f'installation manual.')


def _lock_owner():
    from Mailman.LockFile import lock_owner
    return lock_owner(master_lock_path())


def _this_host():
    return socket.gethostname().replace('/', '_') or 'localhost'


def acquire_master_lock(force=False):
    """The master lock, or ControlError saying why not."""
    from Mailman.LockFile import LockFile, TimeOutError, pid_alive
    path = master_lock_path()
    lock = LockFile(path, lifetime=MASTER_LOCK_LIFETIME)
    try:
        lock.lock(timeout=0.1)
        return lock
    except TimeOutError:
        pass
    owner = _lock_owner()
    if owner is not None and owner[0] == _this_host() and pid_alive(owner[1]):
        raise ControlError('The master qrunner lock could not be acquired '
                           'because it appears as though another master '
                           f'qrunner is already running (pid {owner[1]}).')
    if not force:
        if owner is None or owner[0] == _this_host():
            raise ControlError('The master qrunner lock could not be '
                               'acquired.  It appears as though there is a '
                               'stale master qrunner lock.  Try re-running '
                               'mailmanctl with the -s flag.')
        raise ControlError('The master qrunner lock could not be acquired, '
                           'because it appears as if some process on some '
                           f'other host ({owner[0]}) may have acquired it.  '
                           'We can\'t test for stale locks across host '
                           'boundaries, so you\'ll have to do this '
                           'manually.  Or, if you know the lock is stale, '
                           're-run mailmanctl with the -s flag.')
    _break_master_lock(path)
    try:
        lock.lock(timeout=0.1)
    except TimeOutError:
        raise ControlError('The master qrunner lock could not be acquired, '
                           'even after removing the stale one.') from None
    return lock


def _break_master_lock(path):
    try:
        with open(path, 'rb') as f:
            claim = os.fsdecode(f.read(4096))
    except OSError:
        claim = ''
    for victim in (path, claim):
        if victim and (victim == path or (
                victim.startswith(path + '.')
                and os.path.dirname(victim) == os.path.dirname(path))):
            try:
                os.unlink(victim)
            except OSError:
                pass
    syslog('qrunner', 'mailmanctl -s: removed the stale master lock')


def read_pid():
    with open(mm_cfg.PIDFILE) as f:
        return int(f.read().strip())


def signal_master(sig):
    """Send SIG to the running master; ControlError if there is none."""
    try:
        pid = read_pid()
    except (OSError, ValueError) as error:
        raise ControlError(f'PID unreadable in: {mm_cfg.PIDFILE} ({error}).  '
                           'Is the master qrunner even running?') from None
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        try:
            os.unlink(mm_cfg.PIDFILE)
        except OSError:
            pass
        raise ControlError(f'No master qrunner with pid {pid}: stale pid '
                           'file removed.') from None
    except PermissionError as error:
        raise ControlError(f'cannot signal pid {pid}: {error}') from None


def _write_pid_file(pid):
    from Mailman import Utils
    Utils.write_file_atomically(mm_cfg.PIDFILE, f'{pid}\n', 0o664)


def start(no_restart=False, force=False, quiet=False, out=None):
    """mailmanctl start: returns in the parent once the master is up."""
    out = out or sys.stdout
    check_site_list()
    lock = acquire_master_lock(force)
    ready_r, ready_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        os.close(ready_w)
        lock._transfer_to(pid)
        # Wait until the master has taken the lock and is ready for
        # signals, so that a stop or restart right after start works.
        with os.fdopen(ready_r, 'rb') as ready:
            answer = ready.read(1)
        if answer != b'1':
            raise ControlError('the master qrunner failed to start; see '
                               'logs/error')
        if not quiet:
            print("Starting Mailman's master qrunner.", file=out)
        return 0
    # The child: the master.
    os.close(ready_r)
    status = 1
    try:
        status = Master(lock, no_restart, ready_w).run()
    except BaseException:
        try:
            syslog('error', 'master qrunner died:\n%s',
                   traceback.format_exc().rstrip())
        except BaseException:
            pass
    finally:
        os._exit(status)


class Master:
    """The master qrunner: starts the runners and watches over them.

    Signal handlers only forward the signal to the runners (a system call)
    and note it; logging, reopening the logs and refreshing the lock happen
    in the main loop, which a wake-up pipe (signal.set_wakeup_fd) rouses
    for every signal, SIGCHLD included."""

    def __init__(self, lock, no_restart, ready_fd):
        self.lock = lock
        self.restart = not no_restart
        self.ready_fd = ready_fd
        self.kids = {}          # pid -> [name, slice, count, restarts]
        self.stopping = False
        self.pending = []
        self._wakeup = None

    # ------------------------------------------------------------ setup
    def _daemonize(self):
        os.setsid()
        os.chdir(mm_cfg.PREFIX)
        os.umask(0o007)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        if devnull > 2:
            os.close(devnull)

    def _install_handlers(self):
        reader, writer = os.pipe()
        os.set_blocking(reader, False)
        os.set_blocking(writer, False)
        self._wakeup = reader
        signal.set_wakeup_fd(writer)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGHUP, self._on_signal)
        signal.signal(signal.SIGALRM, self._on_signal)
        signal.signal(signal.SIGCHLD, self._on_signal)
        signal.alarm(LOCK_REFRESH_INTERVAL)

    def _signal_kids(self, sig):
        for pid in list(self.kids):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def _on_signal(self, signum, frame):
        if signum == signal.SIGCHLD:
            return              # the wake-up pipe has done its job
        if signum == signal.SIGTERM:
            self.stopping = True
            self.restart = False
        if signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            self._signal_kids(signum)
        self.pending.append(signum)

    def _act(self):
        while self.pending:
            signum = self.pending.pop(0)
            if signum == signal.SIGTERM:
                syslog('qrunner', 'Master watcher caught SIGTERM.  Exiting.')
                # Also reaches a runner started just before the signal.
                self._signal_kids(signal.SIGTERM)
            elif signum == signal.SIGINT:
                syslog('qrunner', 'Master watcher caught SIGINT.  '
                       'Restarting.')
            elif signum == signal.SIGHUP:
                syslog.reopen()
                syslog('qrunner', 'Master watcher caught SIGHUP.  '
                       'Re-opening log files.')
            elif signum == signal.SIGALRM:
                try:
                    self.lock.refresh()
                except Exception as error:
                    syslog('error', 'master lock refresh failed: %s', error)
                signal.alarm(LOCK_REFRESH_INTERVAL)

    # ------------------------------------------------------------ runners
    def start_runner(self, name, slice_, count):
        qrunner_path = os.path.join(mm_cfg.BIN_DIR, 'qrunner')
        python = getattr(mm_cfg, 'PYTHON', None) or sys.executable
        if not os.path.exists(python):
            python = sys.executable
        argv = [python, '-S', qrunner_path,
                f'--runner={name}:{slice_}:{count}', '-s']
        pid = os.fork()
        if pid:
            return pid
        try:
            signal.set_wakeup_fd(-1)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP,
                        signal.SIGALRM, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            self.lock._disown()
            os.execv(python, argv)
        except BaseException:
            pass
        os._exit(1)

    def start_all(self):
        for name, count in mm_cfg.QRUNNERS:
            for slice_ in range(count):
                pid = self.start_runner(name, slice_, count)
                self.kids[pid] = [name, slice_, count, 0]

    # ------------------------------------------------------------ main
    def run(self):
        self._install_handlers()
        self._daemonize()
        self.lock._take_possession()
        _write_pid_file(os.getpid())
        os.write(self.ready_fd, b'1')
        os.close(self.ready_fd)
        syslog('qrunner', 'Master qrunner started (pid %d).', os.getpid())
        try:
            if not self.stopping:
                self.start_all()
            self._watch()
        finally:
            self._signal_kids(signal.SIGTERM)
            self._reap_all()
            try:
                self.lock.unlock(unconditionally=True)
            except Exception:
                pass
            self._remove_pid_file()
            syslog('qrunner', 'Master qrunner exited.')
        return 0

    def _watch(self):
        import select
        while True:
            self._reap()
            self._act()
            if not self.kids:
                break
            try:
                select.select([self._wakeup], [], [], 5.0)
            except InterruptedError:
                pass
            try:
                while os.read(self._wakeup, 512):
                    pass
            except (BlockingIOError, InterruptedError):
                pass

    def _reap(self):
        """Deal with every runner that has exited."""
        while self.kids:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.kids.clear()
                return
            if pid == 0:
                return
            if pid in self.kids:
                self._exited(pid, status)

    def _exited(self, pid, status):
        name, slice_, count, restarts = self.kids.pop(pid)
        killsig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        exitstatus = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        by_sigterm = killsig == signal.SIGTERM or exitstatus == EXIT_SIGTERM
        restarting = self.restart and not self.stopping and not by_sigterm
        if exitstatus != EXIT_SIGINT:
            restarts += 1
        if restarting and restarts > MAX_RESTARTS:
            syslog('qrunner', 'Qrunner %s reached maximum restart limit of '
                   '%d, not restarting.', name, MAX_RESTARTS)
            restarting = False
        syslog('qrunner', 'Master qrunner detected subprocess exit\n'
               '(pid: %d, sig: %s, sts: %s, class: %s, slice: %d/%d) %s',
               pid, killsig, exitstatus, name, slice_ + 1, count,
               '[restarting]' if restarting else '')
        if restarting:
            newpid = self.start_runner(name, slice_, count)
            self.kids[newpid] = [name, slice_, count, restarts]

    def _reap_all(self):
        while True:
            try:
                pid, _status = os.wait()
            except ChildProcessError:
                break
            self.kids.pop(pid, None)

    def _remove_pid_file(self):
        try:
            if read_pid() == os.getpid():
                os.unlink(mm_cfg.PIDFILE)
        except (OSError, ValueError):
            pass


def mailmanctl(command, no_restart=False, run_as_user=False, force=False,
               quiet=False, out=None):
    out = out or sys.stdout
    check_privileges(run_as_user)
    if command == 'start':
        return start(no_restart, force, quiet, out)
    if command == 'stop':
        if not quiet:
            print("Shutting down Mailman's master qrunner", file=out)
        signal_master(signal.SIGTERM)
    elif command == 'restart':
        if not quiet:
            print("Restarting Mailman's master qrunner", file=out)
        signal_master(signal.SIGINT)
    elif command == 'reopen':
        if not quiet:
            print('Re-opening all log files', file=out)
        signal_master(signal.SIGHUP)
    else:
        raise ControlError(f'no such command: {command} (use start, stop, '
                           'restart or reopen)', 2)
    return 0


# ====================================================================
# bin/inject, bin/unshunt, bin/show_qfiles
# ====================================================================
def queue_directory(name):
    """A queue given by name (in, out, ...) or path."""
    path = os.path.join(mm_cfg.QUEUE_DIR, name)
    if not os.path.isdir(path):
        raise ControlError(f'bad queue directory: {path}')
    return path


def inject(listname, text, queue='in'):
    """Queue TEXT (bytes) for LISTNAME as a post; returns the entry's
    name."""
    from Mailman import Utils
    from Mailman.Queue.Switchboard import Switchboard
    qdir = queue_directory(queue)
    listname = listname.lower()
    if not Utils.list_exists(listname):
        raise ControlError(f'no such list: {listname}')
    return Switchboard(qdir).enqueue(text, listname=listname, tolist=1,
                                     received_time=time.time())


def _original_queue(whichq):
    """The queue directory a shunted entry came from (a path recorded by
    this site or by 2.1, or a bare queue name)."""
    if not whichq:
        return mm_cfg.INQUEUE_DIR
    whichq = str(whichq)
    if os.path.isabs(whichq) and os.path.isdir(whichq):
        return whichq
    candidate = os.path.join(mm_cfg.QUEUE_DIR, os.path.basename(
        whichq.rstrip('/')))
    if os.path.isdir(candidate):
        return candidate
    raise ControlError(f'unknown queue {whichq!r}')


def unshunt(qdir=None, err=None):
    """Move every entry of QDIR (qfiles/shunt) back to the queue it came
    from.  Returns (moved, failed)."""
    from Mailman.Queue.Switchboard import Switchboard
    err = err or sys.stderr
    qdir = qdir or mm_cfg.SHUNTQUEUE_DIR
    if not os.path.isdir(qdir):
        raise ControlError(f'no such directory: {qdir}')
    board = Switchboard(qdir)
    board.recover_backup_files()
    moved = failed = 0
    for filebase in board.files():
        try:
            raw, msgdata = board.dequeue(filebase, parse=False)
        except FileNotFoundError:
            continue
        except Exception as error:
            print(f'Cannot unshunt message {filebase}, skipping: {error}',
                  file=err)
            failed += 1
            continue
        try:
            target = Switchboard(_original_queue(msgdata.get('whichq')))
            target.enqueue(raw, msgdata)
        except Exception as error:
            # Put it back as it was, for another try.
            os.rename(os.path.join(qdir, filebase + '.bak'),
                      os.path.join(qdir, filebase + '.pck'))
            print(f'Cannot unshunt message {filebase}, skipping: {error}',
                  file=err)
            failed += 1
            continue
        board.finish(filebase)
        moved += 1
    return moved, failed


def show_qfiles(paths, quiet=False, out=None):
    """Write the message of each queue file to OUT (binary)."""
    from Mailman.Queue.Switchboard import load_entry, message_bytes
    out = out or sys.stdout.buffer
    status = 0
    for path in paths:
        if not quiet:
            out.write(f'====================> {path}\n'.encode(
                'utf-8', 'surrogateescape'))
        try:
            stored, _data = load_entry(path)
            data = message_bytes(stored)
        except Exception as error:
            out.flush()
            print(f'show_qfiles: {path}: {error}', file=sys.stderr)
            status = 1
            continue
        out.write(data)
        if data and not data.endswith(b'\n'):
            out.write(b'\n')
    out.flush()
    return status


def errno_name(code):
    return errno.errorcode.get(code, str(code))
