"""A queue directory: qfiles/<queue>/<time>+<sha1>.pck files.

Each queue file holds two pickles: the message (its bytes; files written by
Mailman 2.1 hold a message object or a string instead) and its metadata
dict.  A file is written under a temporary name, flushed, fsynced and
renamed, and the directory is synced, so a reader never sees half of one
and an entry the MTA was told about survives a crash.

While a runner works on an entry it is renamed to .bak; a crash leaves the
.bak, which recover_backup_files() puts back in the queue when the runner
starts again.  Each recovery is counted in the entry's metadata; an entry
that has been tried MAX_BAK_COUNT times (it probably kills the runner) is
moved to qfiles/bad as <name>.psv instead, so it can neither loop forever
nor be lost.

Queues are split into hash-space slices: the sha1 in each name, read as a
160-bit number, decides which of N runners owns the entry.
"""

import email
import email.message
import hashlib
import io
import os
import pickle
import time

from Mailman import mm_cfg
from Mailman.Message import Message
from Mailman.Utils import sync_directory

QUEUE_DIR_MODE = 0o2770
QUEUE_FILE_MODE = 0o660
HASH_SPACE = 2 ** 160
# How many times an entry left in process by a crash is put back in its
# queue before it is set aside in qfiles/bad.
MAX_BAK_COUNT = 3
# The version of the metadata layout (2.1 wrote 3 as well).
METADATA_VERSION = 3
# Metadata keys starting with '_' are private to one process and are not
# stored, except these.
_KEPT_PRIVATE_KEYS = ('_parsemsg',)
# The recovery counter is written by recover_backup_files() itself.
_BAK_COUNT = '_bak_count'


class QueueFileError(Exception):
    """A queue file cannot be read (truncated, damaged, unknown format)."""


class _QueuePath(str):
    """A queue's directory.  2.1 code calls switchboard.whichq(); ours reads
    switchboard.whichq; both give the path."""

    def __call__(self):
        return str(self)


def message_bytes(msg):
    """The wire form of MSG (bytes, str or a message object)."""
    if isinstance(msg, bytes):
        return msg
    if isinstance(msg, bytearray):
        return bytes(msg)
    if isinstance(msg, str):
        return msg.encode('utf-8', 'surrogateescape')
    try:
        return msg.as_bytes(unixfrom=False)
    except Exception:
        # Some damaged structures defeat the bytes generator; the text one
        # keeps raw bytes as surrogate escapes.
        text = msg.as_string(unixfrom=False)
        return text.encode('utf-8', 'surrogateescape')


def parse_message(data):
    """A Message from the bytes stored in a queue file."""
    return email.message_from_bytes(data, _class=Message)


def _as_mailman_message(stored):
    """The message an entry holds, as a Mailman.Message.Message."""
    if isinstance(stored, (bytes, bytearray, str)):
        return parse_message(message_bytes(stored))
    if isinstance(stored, Message):
        return stored
    if isinstance(stored, email.message.Message):
        # A 2.1 entry: the plain email class adds no state of its own, so
        # the object can take Mailman's subclass as it is.
        stored.__class__ = Message
        return stored
    raise QueueFileError(f'unexpected message type {type(stored).__name__}')


class _PlainUnpickler(pickle.Unpickler):
    """Loads plain values only: no class or function is ever resolved."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f'{module}.{name} not allowed here')


def _is_python3_pickle(data):
    return len(data) >= 2 and data[0] == 0x80 and data[1] >= 3


def load_entry(path):
    """Read a queue file (.pck, .bak or .psv): returns (stored message,
    metadata) where the stored message is bytes (ours), or a str or a
    message object (2.1's).  Raises QueueFileError if it cannot be read."""
    with open(path, 'rb') as f:
        data = f.read()
    return _loads_entry(data, path)


def _loads_entry(data, name):
    stream = io.BytesIO(data)
    try:
        if _is_python3_pickle(data):
            stored = pickle.load(stream)
            metadata = pickle.load(stream)
        else:
            # Written by Mailman 2.1 under Python 2.  Its raw text comes
            # back as the very bytes it was; a message object goes through
            # Py2Pickle, which maps 2.1's classes to ours.
            from Mailman import Py2Pickle
            start = stream.tell()
            try:
                stored = _PlainUnpickler(stream, encoding='bytes').load()
                if not isinstance(stored, (bytes, str)):
                    raise pickle.UnpicklingError('not a string')
            except Exception:
                stream.seek(start)
                stored = Py2Pickle.load(stream)
            metadata = Py2Pickle.load(stream)
    except Exception as error:
        raise QueueFileError(f'{name}: cannot be read: '
                             f'{type(error).__name__}: {error}') from error
    if not isinstance(metadata, dict):
        raise QueueFileError(f'{name}: the metadata is not a dictionary')
    return stored, metadata


def _dump_entry(raw, metadata):
    buffer = io.BytesIO()
    pickle.dump(raw, buffer, protocol=4)
    pickle.dump(metadata, buffer, protocol=4)
    return buffer.getvalue()


def make_queue_dir(path):
    """Create the queue directory PATH (02770, whatever the umask of the
    process: the MTA's may be restrictive) unless it exists."""
    if os.path.isdir(path):
        return
    os.makedirs(path, mode=0o770, exist_ok=True)
    try:
        os.chmod(path, QUEUE_DIR_MODE)
    except OSError:
        pass


def _create(path, flags):
    """os.open with QUEUE_FILE_MODE, regardless of the umask."""
    fd = os.open(path, flags, QUEUE_FILE_MODE)
    try:
        os.fchmod(fd, QUEUE_FILE_MODE)
    except OSError:
        pass
    return fd


def _write_file(path, data):
    """Write DATA to PATH through a temporary file: fsync, rename, sync the
    directory."""
    temporary = path + '.tmp'
    fd = _create(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        with os.fdopen(fd, 'wb') as out:
            out.write(data)
            out.flush()
            # Always synced (2.1 made it optional): a queued message must
            # survive a crash, since the MTA has been told 'done'.
            os.fsync(out.fileno())
        os.rename(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    sync_directory(os.path.dirname(path))


class Switchboard:
    def __init__(self, whichq, slice=None, numslices=1, recover=False):
        self.__whichq = _QueuePath(whichq)
        make_queue_dir(whichq)
        if slice is None or numslices <= 1:
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
        """Store a message and its metadata; returns the entry's name.

        The message may be bytes (stored exactly as given), a str or a
        message object.  Metadata keys starting with '_' are not stored
        (except _parsemsg); 'received_time' defaults to now and gives the
        entry its place in the queue."""
        data = dict(_metadata or {})
        data.update(_kws)
        data = {key: value for key, value in data.items()
                if not (isinstance(key, str) and key.startswith('_'))
                or key in _KEPT_PRIVATE_KEYS}
        raw = message_bytes(_msg)
        listname = data.get('listname') or '--nolist--'
        now = time.time()
        received = data.setdefault('received_time', now)
        data['_parsemsg'] = True
        data['version'] = METADATA_VERSION
        digest = hashlib.sha1(raw + str(listname).encode('utf-8', 'replace')
                              + repr(now).encode('ascii')).hexdigest()
        try:
            stamp = repr(float(received))
        except (TypeError, ValueError):
            stamp = repr(now)
        filebase = f'{stamp}+{digest}'
        path = os.path.join(self.__whichq, filebase + '.pck')
        _write_file(path, _dump_entry(raw, data))
        return filebase

    def dequeue(self, filebase, parse=True):
        """Take an entry for processing: returns (message, metadata).  The
        file stays on disk as .bak until finish().  With PARSE false the
        message comes back as the stored bytes.  Raises QueueFileError (the
        .bak left in place) when the entry cannot be read or parsed."""
        path = os.path.join(self.__whichq, filebase + '.pck')
        backup = os.path.join(self.__whichq, filebase + '.bak')
        os.rename(path, backup)
        stored, data = load_entry(backup)
        if not parse:
            if isinstance(stored, (bytes, bytearray, str)):
                return message_bytes(stored), data
            return message_bytes(_as_mailman_message(stored)), data
        try:
            msg = _as_mailman_message(stored)
        except QueueFileError:
            raise
        except Exception as error:
            raise QueueFileError(f'{backup}: message cannot be parsed: '
                                 f'{type(error).__name__}: {error}') from error
        return msg, data

    def finish(self, filebase, preserve=False):
        """Done with an entry: remove its .bak, or with PRESERVE keep it in
        qfiles/bad (as <name>.psv) for inspection."""
        backup = os.path.join(self.__whichq, filebase + '.bak')
        if preserve:
            make_queue_dir(mm_cfg.BADQUEUE_DIR)
            os.rename(backup, os.path.join(mm_cfg.BADQUEUE_DIR,
                                           filebase + '.psv'))
            sync_directory(mm_cfg.BADQUEUE_DIR)
        else:
            os.unlink(backup)

    def files(self, extension='.pck'):
        """Entries of this slice, oldest first."""
        found = []
        try:
            names = os.listdir(self.__whichq)
        except FileNotFoundError:
            return found
        for name in names:
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
        """Put entries left in process by a crash back in the queue, counting
        the attempts; after MAX_BAK_COUNT of them the entry goes to
        qfiles/bad.  Returns the names of the entries put back."""
        from Mailman.Logging.Syslog import syslog
        recovered = []
        for filebase in self.files('.bak'):
            backup = os.path.join(self.__whichq, filebase + '.bak')
            try:
                stored, data = load_entry(backup)
            except FileNotFoundError:
                continue
            except QueueFileError as error:
                syslog('error', 'unreadable entry left in process, '
                       'preserved in qfiles/bad: %s (%s)', filebase, error)
                self._preserve_quietly(filebase)
                continue
            count = data.get(_BAK_COUNT, 0)
            if not isinstance(count, int):
                count = 0
            count += 1
            data[_BAK_COUNT] = count
            raw = stored
            if not isinstance(raw, (bytes, bytearray)):
                try:
                    raw = message_bytes(_as_mailman_message(stored))
                except Exception:
                    raw = stored
            # Record the attempt in the entry itself first.
            try:
                temporary = backup + '.count'
                fd = _create(temporary,
                             os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                with os.fdopen(fd, 'wb') as out:
                    out.write(_dump_entry(raw, data))
                    out.flush()
                    os.fsync(out.fileno())
                os.rename(temporary, backup)
            except OSError as error:
                syslog('error', 'cannot count the attempts of entry %s: %s',
                       filebase, error)
            if count >= MAX_BAK_COUNT:
                syslog('error', 'entry %s was left in process %d times; '
                       'preserved in qfiles/bad', filebase, count)
                self._preserve_quietly(filebase)
                continue
            try:
                os.rename(backup, os.path.join(self.__whichq,
                                               filebase + '.pck'))
            except OSError as error:
                syslog('error', 'cannot recover entry %s: %s', filebase, error)
                continue
            recovered.append(filebase)
        if recovered:
            sync_directory(self.__whichq)
        return recovered

    def _preserve_quietly(self, filebase):
        from Mailman.Logging.Syslog import syslog
        try:
            self.finish(filebase, preserve=True)
        except OSError as error:
            syslog('error', 'cannot preserve %s: %s', filebase, error)


def get_switchboard(qdir):
    """A Switchboard for the queue directory QDIR (2.1's helper)."""
    return Switchboard(qdir)


def _entry_time(filebase):
    try:
        return float(filebase.split('+', 1)[0])
    except ValueError:
        return 0.0
