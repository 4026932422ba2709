"""The base of every queue runner.

A runner owns one slice of one queue directory (its QDIR).  Each pass takes
the entries of its slice oldest first: dequeue (the entry becomes a .bak
file), hand the message to _dispose(mlist, msg, msgdata), then finish (the
.bak is removed).  Nothing is ever lost on the way:

* an entry that cannot be read or parsed is kept in qfiles/bad;
* an exception in _dispose is logged with its traceback in logs/error and
  the message goes to qfiles/shunt with its queue recorded in 'whichq', so
  that bin/unshunt can put it back;
* _dispose returning true means "not now": the entry is queued again (for
  instance when the list lock could not be had within LIST_LOCK_TIMEOUT);
* a runner that dies in the middle of a message leaves the .bak, which is
  put back in the queue when a runner for that slice starts again (see
  Switchboard.recover_backup_files).

stop() asks the runner to finish the message in hand and return from run();
bin/qrunner calls it on SIGTERM and SIGINT.  Between passes that found
nothing to do the runner sleeps QRUNNER_SLEEP_TIME (or its SLEEPTIME).
"""

import os
import signal
import time
import traceback

from Mailman import Errors
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog
from Mailman.Queue.Switchboard import Switchboard, load_entry

# The longest single sleep while snoozing, so that stop() is noticed soon
# even by runners that sleep for minutes between passes.
_SNOOZE_STEP = 0.25


class Runner:
    """Subclasses set QDIR and implement _dispose()."""

    QDIR = None
    # Seconds to sleep after a pass that found nothing; None means
    # QRUNNER_SLEEP_TIME.
    SLEEPTIME = None

    def __init__(self, slice=None, numslices=1):
        self._slice = slice
        self._numslices = numslices
        self._kids = {}
        self._stop = False
        self._switchboard = Switchboard(self.QDIR, slice, numslices,
                                        recover=True)
        self._shunt = Switchboard(mm_cfg.SHUNTQUEUE_DIR)

    def __repr__(self):
        return (f'<{self.__class__.__name__} at {id(self):#x} '
                f'{self._switchboard.whichq} slice {self._slice}/'
                f'{self._numslices}>')

    # ------------------------------------------------------------ control
    def stop(self):
        """Finish the message in hand, then leave run()."""
        self._stop = True

    def stopping(self):
        return self._stop

    def run(self):
        """Work the queue until stop() is called (or _shortcircuit says
        so)."""
        try:
            while True:
                filecnt = self._oneloop()
                self._doperiodic()
                if self._shortcircuit():
                    break
                self._snooze(filecnt)
                if self._shortcircuit():
                    break
        finally:
            self._cleanup()

    def run_once(self):
        """One pass over the queue, then clean up (bin/qrunner -o)."""
        try:
            count = self._oneloop()
            self._doperiodic()
            return count
        finally:
            self._cleanup()

    # ------------------------------------------------------------ one pass
    def _oneloop(self):
        """Process every entry of our slice that is there now; returns how
        many were taken up (entries left waiting do not count, so that a
        queue holding only those does not keep the runner awake)."""
        count = 0
        for filebase in self._switchboard.files():
            reopen_logs_if_asked()
            if self._stop:
                break
            if self._process_entry(filebase):
                count += 1
        reopen_logs_if_asked()
        return count

    def _process_entry(self, filebase):
        """Dequeue, dispose of and finish one entry; False if there was
        nothing to do for it."""
        try:
            msg, msgdata = self._switchboard.dequeue(filebase)
        except FileNotFoundError:
            # Taken by someone else (a manual qrunner, bin/unshunt...).
            return False
        except Exception as error:
            self._log(error)
            self._keep_bad(filebase)
            return True
        try:
            self._onefile(msg, msgdata)
            self._switchboard.finish(filebase)
        except Exception as error:
            # _dispose() must deal with what it can; anything that gets here
            # is a bug or an unexpected condition.  Keep the message for a
            # human, with the queue it came from, so it can be put back.
            self._log(error)
            msgdata['whichq'] = str(self._switchboard.whichq)
            try:
                new_filebase = self._shunt.enqueue(msg, msgdata)
                syslog('error', 'SHUNTING: %s', new_filebase)
                self._switchboard.finish(filebase)
            except Exception as error2:
                self._log(error2)
                syslog('error', 'SHUNTING FAILED, preserving original '
                       'entry: %s', filebase)
                try:
                    self._switchboard.finish(filebase, preserve=True)
                except OSError as error3:
                    # The .bak stays where it is; the next start recovers it.
                    syslog('error', 'cannot preserve %s: %s', filebase,
                           error3)
        return True

    def _keep_bad(self, filebase):
        if mm_cfg.QRUNNER_SAVE_BAD_MESSAGES:
            syslog('error', 'Skipping and preserving unparseable message: %s',
                   filebase)
            try:
                self._switchboard.finish(filebase, preserve=True)
            except OSError as error:
                syslog('error', 'cannot preserve %s: %s', filebase, error)
        else:
            syslog('error', 'Ignoring unparseable message: %s', filebase)
            try:
                self._switchboard.finish(filebase)
            except OSError:
                pass

    def _onefile(self, msg, msgdata):
        listname = msgdata.get('listname') or mm_cfg.MAILMAN_SITE_LIST
        mlist = self._open_list(listname)
        if mlist is None:
            syslog('error', 'Dequeuing message destined for missing list: %s',
                   listname)
            msgdata['whichq'] = str(self._switchboard.whichq)
            self._shunt.enqueue(msg, msgdata)
            return
        # Texts made for this message are in the sender's language when the
        # sender is a member, else in the list's.
        language = mlist.preferred_language
        try:
            sender = msg.get_sender()
            if sender and mlist.isMember(sender):
                language = mlist.getMemberLanguage(sender)
        except Exception:
            pass
        msgdata['lang'] = language
        with i18n.using(language):
            keepqueued = self._dispose(mlist, msg, msgdata)
        kids = msgdata.pop('_kids', None)
        if kids:
            self._kids.update(kids)
        if keepqueued:
            self._switchboard.enqueue(msg, msgdata)

    def _open_list(self, listname):
        """The list, loaded without its lock, or None if it does not
        exist.  A fresh object per message: nothing is cached between
        messages, so changes made by other processes are always seen."""
        from Mailman.MailList import MailList
        try:
            return MailList(listname, lock=0)
        except Errors.MMListError as error:
            syslog('error', 'error opening list %s: %s', listname, error)
            return None

    def _log(self, exc):
        syslog('error', 'Uncaught runner exception: %s', exc)
        syslog('error', '%s', traceback.format_exc().rstrip())

    # ------------------------------------------------------------ hooks
    def _dispose(self, mlist, msg, msgdata):
        """Process one message.  Return true to have it queued again."""
        raise NotImplementedError

    def _doperiodic(self):
        """Called after each pass."""

    def _shortcircuit(self):
        """True to leave run()."""
        return self._stop

    def _snooze(self, filecnt):
        """Sleep between passes, unless the last one found work."""
        seconds = self.SLEEPTIME
        if seconds is None:
            seconds = mm_cfg.QRUNNER_SLEEP_TIME
        if filecnt or seconds <= 0:
            return
        self._sleep(seconds)

    def _sleep(self, seconds):
        """Sleep SECONDS, or less if stop() is called meanwhile."""
        deadline = time.monotonic() + seconds
        while not self._stop:
            reopen_logs_if_asked()
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(left, _SNOOZE_STEP))

    def _cleanup(self):
        """Called once when run() or run_once() ends."""
        self._reap_kids()

    def _reap_kids(self):
        for pid in list(self._kids):
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            self._kids.pop(pid, None)


# ---------------------------------------------------------------- timing
def entry_is_due(switchboard, filebase):
    """False if the queue entry FILEBASE has a deliver_after in the future
    (read without taking the entry); True otherwise, also when it cannot be
    read (the normal path deals with that)."""
    path = os.path.join(switchboard.whichq, filebase + '.pck')
    try:
        _stored, msgdata = load_entry(path)
    except Exception:
        return True
    return metadata_is_due(msgdata)


def metadata_is_due(msgdata):
    deliver_after = msgdata.get('deliver_after', 0)
    return not (isinstance(deliver_after, (int, float))
                and not isinstance(deliver_after, bool)
                and time.time() < deliver_after)


# ---------------------------------------------------------------- locking
def lock_list(mlist, timeout=None):
    """Lock MLIST, waiting at most TIMEOUT seconds (LIST_LOCK_TIMEOUT by
    default).  Returns False on timeout.  (A lock left by a killed process
    of this host is broken by LockFile at once.)"""
    from Mailman.LockFile import TimeOutError
    if timeout is None:
        timeout = mm_cfg.LIST_LOCK_TIMEOUT
    try:
        mlist.Lock(timeout=timeout)
    except TimeOutError:
        return False
    return True


# ---------------------------------------------------------------- signals
# Signal handlers only set flags: writing a log line (or closing the log
# files) from a handler could interrupt a write to the same file.  The
# runner acts on them between messages and while it sleeps.
_reopen_requested = False


def reopen_logs_if_asked():
    """Reopen the log files if SIGHUP asked for it since the last call."""
    global _reopen_requested
    if not _reopen_requested:
        return False
    _reopen_requested = False
    syslog.reopen()
    syslog('qrunner', 'runner %d reopened its log files (SIGHUP)',
           os.getpid())
    return True


def install_signal_handlers(runner):
    """SIGTERM: finish the current message and exit; SIGINT: the same, for
    a restart by mailmanctl; SIGHUP: reopen the log files.  Returns a dict
    that records which signal stopped the runner ('signal')."""
    state = {'signal': None}

    def stop(signum, frame):
        state['signal'] = signum
        runner.stop()

    def hup(signum, frame):
        global _reopen_requested
        _reopen_requested = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, hup)
    return state
