"""The archive queue (qfiles/archive): posts on their way to the archive.

Under the list lock, the message's date is settled first, as
ARCHIVER_CLOBBER_DATE_POLICY says:

  0  keep the Date: header;
  1  always replace it with the time the message was received;
  2  replace it only when it is missing, unreadable, or more than
     ARCHIVER_ALLOWABLE_SANE_DATE_SKEW away from the time of receipt.

A replaced date is kept in X-Original-Date.  X-List-Received-Date always
records the time of receipt.  Then the list archives the message
(mlist.ArchiveMail, the HTML archiver).  A list without an archiver gets the
message appended to its mbox, archives/private/<list>.mbox/<list>.mbox, from
which bin/arch can build the HTML archive later.
"""

import email.utils
import io
import os
import re
import time
from email.generator import BytesGenerator

from Mailman import mm_cfg
from Mailman.Queue.Runner import Runner, lock_list

MBOX_DIR_MODE = 0o2775
MBOX_FILE_MODE = 0o660
_FROM_LINE = re.compile(rb'^(>*From )', re.MULTILINE)


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
                archive(msg)
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


def _envelope_sender(msg):
    unixfrom = msg.get_unixfrom() or ''
    parts = unixfrom.split()
    if len(parts) >= 2 and parts[0] == 'From':
        sender = parts[1]
    else:
        try:
            sender = msg.get_sender()
        except Exception:
            sender = ''
    sender = ''.join(sender.split())
    return sender or 'MAILER-DAEMON'


def mbox_entry(msg, msgdata):
    """MSG as an mboxrd entry: the 'From ' line, the message with every
    line matching ^>*From quoted with one more '>', and a blank line."""
    received = msgdata.get('received_time')
    if not isinstance(received, (int, float)):
        received = time.time()
    separator = 'From %s %s\n' % (_envelope_sender(msg),
                                  time.asctime(time.localtime(received)))
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0).flatten(
            msg, unixfrom=False)
        text = buffer.getvalue()
    except Exception:
        text = msg.as_string(unixfrom=False).encode('utf-8',
                                                    'surrogateescape')
    text = text.replace(b'\r\n', b'\n')
    text = _FROM_LINE.sub(rb'>\1', text)
    if not text.endswith(b'\n'):
        text += b'\n'
    return separator.encode('utf-8', 'replace') + text + b'\n'


def append_to_mbox(path, msg, msgdata):
    """Append MSG to the mbox file PATH (made 0660 in a 02775 directory)."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, MBOX_DIR_MODE)
    entry = mbox_entry(msg, msgdata)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, MBOX_FILE_MODE)
    try:
        st = os.fstat(fd)
        if st.st_mode & 0o777 != MBOX_FILE_MODE:
            try:
                os.fchmod(fd, MBOX_FILE_MODE)
            except PermissionError:
                pass
        prefix = b''
        if st.st_size:
            # Each separator needs a blank line before it: mend a file that
            # does not end with one (written by something else, or cut).
            tail = os.pread(fd, 2, max(0, st.st_size - 2))
            if not tail.endswith(b'\n'):
                prefix = b'\n\n'
            elif tail != b'\n\n' and st.st_size >= 2:
                prefix = b'\n'
        data = prefix + entry
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    finally:
        os.close(fd)
