"""A queue directory: qfiles/<queue>/<time>+<sha1>.pck files.

Each queue file holds two pickles: the message (its bytes, or for files from
older releases a message object) and its metadata dict.  A file is written
under a temporary name, flushed, fsynced and renamed, so a reader never sees
half of one.  While a runner works on an entry it is renamed to .bak; a
crash leaves the .bak, which recover_backup_files() puts back in the queue.

Queues are split into hash-space slices: the sha1 in each name, read as a
160-bit number, decides which of N runners owns the entry.
"""

import email
import hashlib
import io
import os
import pickle
import time

from Mailman import mm_cfg
from Mailman.Message import Message

QUEUE_DIR_MODE = 0o770
QUEUE_FILE_MODE = 0o660
HASH_SPACE = 2 ** 160


def message_bytes(msg):
    """The wire form of MSG (bytes, str or a message object)."""
    if isinstance(msg, bytes):
        return msg
    if isinstance(msg, str):
        return msg.encode('utf-8', 'surrogateescape')
    return msg.as_bytes(unixfrom=False)


def parse_message(data):
    """A Message from the bytes stored in a queue file."""
    return email.message_from_bytes(data, _class=Message)


class Switchboard:
    def __init__(self, whichq, slice=None, numslices=1, recover=False):
        self.__whichq = whichq
        os.makedirs(whichq, mode=QUEUE_DIR_MODE, exist_ok=True)
        if slice is None:
            self.__lower = self.__upper = None
        else:
            self.__lower = (HASH_SPACE * slice) // numslices
            self.__upper = (HASH_SPACE * (slice + 1)) // numslices
        if recover:
            self.recover_backup_files()

    @property
    def whichq(self):
        return self.__whichq

    def enqueue(self, _msg, _metadata=None, **_kws):
        """Store a message and its metadata; returns the entry's name."""
        data = dict(_metadata or {})
        data.update(_kws)
        raw = message_bytes(_msg)
        listname = data.get('listname', '--nolist--')
        now = time.time()
        digest = hashlib.sha1(raw + listname.encode('utf-8', 'replace')
                              + repr(now).encode('ascii')).hexdigest()
        filebase = f'{now!r}+{digest}'
        path = os.path.join(self.__whichq, filebase + '.pck')
        temporary = path + '.tmp'
        data.setdefault('_parsemsg', True)
        buffer = io.BytesIO()
        pickle.dump(raw, buffer, protocol=4)
        pickle.dump(data, buffer, protocol=4)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                     QUEUE_FILE_MODE)
        try:
            with os.fdopen(fd, 'wb') as out:
                out.write(buffer.getvalue())
                out.flush()
                # Always synced (2.1 made it optional): a queued message
                # must survive a crash, since the MTA has been told 'done'.
                os.fsync(out.fileno())
            os.rename(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass
            raise
        return filebase

    def dequeue(self, filebase):
        """Take an entry for processing: returns (message, metadata).  The
        file stays on disk as .bak until finish()."""
        path = os.path.join(self.__whichq, filebase + '.pck')
        backup = os.path.join(self.__whichq, filebase + '.bak')
        os.rename(path, backup)
        with open(backup, 'rb') as f:
            stored = pickle.load(f)
            data = pickle.load(f)
        if isinstance(stored, (bytes, str)):
            msg = parse_message(message_bytes(stored))
        else:
            msg = stored
        return msg, data

    def finish(self, filebase, preserve=False):
        """Done with an entry: remove its .bak, or with PRESERVE keep it in
        qfiles/bad for inspection."""
        backup = os.path.join(self.__whichq, filebase + '.bak')
        if preserve:
            os.makedirs(mm_cfg.BADQUEUE_DIR, mode=QUEUE_DIR_MODE,
                        exist_ok=True)
            os.rename(backup, os.path.join(mm_cfg.BADQUEUE_DIR,
                                           filebase + '.psv'))
        else:
            os.unlink(backup)

    def files(self, extension='.pck'):
        """Entries of this slice, oldest first."""
        found = []
        for name in os.listdir(self.__whichq):
            filebase, ext = os.path.splitext(name)
            if ext != extension:
                continue
            if self.__lower is not None:
                try:
                    value = int(filebase.rsplit('+', 1)[1], 16)
                except (IndexError, ValueError):
                    continue
                if not self.__lower <= value < self.__upper:
                    continue
            found.append(filebase)
        found.sort(key=_entry_time)
        return found

    def recover_backup_files(self):
        """Put entries left in process by a crash back in the queue."""
        for filebase in self.files('.bak'):
            os.rename(os.path.join(self.__whichq, filebase + '.bak'),
                      os.path.join(self.__whichq, filebase + '.pck'))


def _entry_time(filebase):
    try:
        return float(filebase.split('+', 1)[0])
    except ValueError:
        return 0.0
