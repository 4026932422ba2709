"""The archive queue (qfiles/archive): posts on their way to the archive.

Under the list lock, the message's date is settled first, as
ARCHIVER_CLOBBER_DATE_POLICY says:

  0  keep the Date: header;
  1  always replace it with the time the message was received;
  2  replace it only when it is missing, unreadable, or more than
     ARCHIVER_ALLOWABLE_SANE_DATE_SKEW away from the time of receipt.

A replaced date is kept in X-Original-Date.  X-List-Received-Date always
records the time of receipt.  Then the list archives the message
(mlist.ArchiveMail: the mbox, then the HTML archive or an external
archiver, as ARCHIVE_TO_MBOX and the *_EXTERNAL_ARCHIVER settings say).
"""

import email.utils
import time

from Mailman import mm_cfg
from Mailman.Archiver.Mbox import append_to_mbox, mbox_entry  # noqa: F401
from Mailman.Queue.Runner import Runner, lock_list


class ArchRunner(Runner):
    """Archiving: date policy, then the list's archiver (or its mbox)."""

    QDIR = mm_cfg.ARCHQUEUE_DIR

    def _dispose(self, mlist, msg, msgdata):
        if not lock_list(mlist):
            return True
        try:
            clobber_date(msg, msgdata)
            archive = getattr(mlist, 'ArchiveMail', None)
            if archive is not None:
                archive(msg, msgdata)
            elif mm_cfg.ARCHIVE_TO_MBOX != -1:
                append_to_mbox(mlist.ArchiveFileName(), msg, msgdata)
            mlist.Save()
        finally:
            mlist.Unlock()
        return False


def clobber_date(msg, msgdata):
    """Apply ARCHIVER_CLOBBER_DATE_POLICY to MSG and add
    X-List-Received-Date."""
    received = msgdata.get('received_time')
    if not isinstance(received, (int, float)):
        received = time.time()
    received_date = email.utils.formatdate(received, localtime=True)
    original = msg.get('date')
    original = str(original) if original is not None else None
    policy = mm_cfg.ARCHIVER_CLOBBER_DATE_POLICY
    clobber = False
    if not original or not original.strip():
        clobber = True
    elif policy == 1:
        clobber = True
    elif policy == 2:
        try:
            parsed = email.utils.parsedate_tz(original)
            if not parsed:
                clobber = True
            else:
                sent = email.utils.mktime_tz(parsed)
                skew = abs(received - sent)
                clobber = skew > mm_cfg.ARCHIVER_ALLOWABLE_SANE_DATE_SKEW
        except (ValueError, OverflowError, TypeError, IndexError):
            # A year like 0102 or other nonsense: replace it.
            clobber = True
    if clobber:
        del msg['date']
        del msg['x-original-date']
        msg['Date'] = received_date
        if original:
            msg['X-Original-Date'] = original
    del msg['x-list-received-date']
    msg['X-List-Received-Date'] = received_date
