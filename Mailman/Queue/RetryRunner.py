"""The retry queue (qfiles/retry): deliveries that failed temporarily.

OutgoingRunner puts a message here, with only the recipients that failed,
and deliver_after set to when the next attempt is due.  This runner looks
every 15 minutes and moves the entries that are due back to qfiles/out; the
others stay where they are.
"""

from Mailman import mm_cfg
from Mailman.Queue.Runner import Runner, entry_is_due, metadata_is_due
from Mailman.Queue.Switchboard import Switchboard


class RetryRunner(Runner):
    """Moves temporary delivery failures back to the outgoing queue when
    they are due."""

    QDIR = mm_cfg.RETRYQUEUE_DIR
    SLEEPTIME = mm_cfg.minutes(15)

    def __init__(self, slice=None, numslices=1):
        Runner.__init__(self, slice, numslices)
        self._outq = Switchboard(mm_cfg.OUTQUEUE_DIR)

    def _process_entry(self, filebase):
        # An entry that is not due is left alone rather than taken out and
        # written back.
        if not entry_is_due(self._switchboard, filebase):
            return False
        return super()._process_entry(filebase)

    def _onefile(self, msg, msgdata):
        # Moving a message needs no list: even one for a list deleted
        # meanwhile goes back to the outgoing queue, which deals with it.
        if self._dispose(None, msg, msgdata):
            self._switchboard.enqueue(msg, msgdata)

    def _dispose(self, mlist, msg, msgdata):
        if not metadata_is_due(msgdata):
            return True
        self._outq.enqueue(msg, msgdata)
        return False

    def _snooze(self, filecnt):
        # Always wait between passes: the entries left are not due yet.
        self._sleep(self.SLEEPTIME)

