"""The list's mbox file: writing one entry, reading all of them.

Entries are written mboxrd style: a "From " separator line, the message
with every line matching ^>*From  given one more '>', and a blank line.
Reading splits at "From " lines that start the file or follow a blank line,
and takes one '>' off quoted lines again.  bin/cleanarch repairs files in
which bodies carry unquoted "From " lines.
"""

import io
import mmap
import os
import re
import time
from email.generator import BytesGenerator

MBOX_DIR_MODE = 0o2775
MBOX_FILE_MODE = 0o660
_FROM_LINE = re.compile(rb'^(>*From )', re.MULTILINE)
_QUOTED_FROM = re.compile(rb'^>(>*From )', re.MULTILINE)
_SEPARATOR = re.compile(rb'(?:\A|\n\n)(From )')


def envelope_sender(msg):
    unixfrom = msg.get_unixfrom() or ''
    parts = unixfrom.split()
    if len(parts) >= 2 and parts[0] == 'From':
        sender = parts[1]
    else:
        try:
            sender = msg.get_sender()
        except Exception:
            sender = ''
    sender = ''.join(str(sender or '').split())
    return sender or 'MAILER-DAEMON'


def message_bytes(msg):
    """MSG flattened to bytes with LF line ends, without a From_ line."""
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0).flatten(
            msg, unixfrom=False)
        text = buffer.getvalue()
    except Exception:
        text = msg.as_string(unixfrom=False).encode('utf-8',
                                                    'surrogateescape')
    return text.replace(b'\r\n', b'\n')


def mbox_entry(msg, msgdata):
    """MSG as an mboxrd entry: the 'From ' line, the message with every
    line matching ^>*From quoted with one more '>', and a blank line."""
    received = msgdata.get('received_time')
    if not isinstance(received, (int, float)):
        received = time.time()
    separator = 'From %s %s\n' % (envelope_sender(msg),
                                  time.asctime(time.localtime(received)))
    text = _FROM_LINE.sub(rb'>\1', message_bytes(msg))
    if not text.endswith(b'\n'):
        text += b'\n'
    return separator.encode('utf-8', 'replace') + text + b'\n'


def append_to_mbox(path, msg, msgdata):
    """Append MSG to the mbox file PATH (made 0660 in a 02775 directory).
    Returns the offset at which its "From " line starts."""
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
    return st.st_size + len(prefix)


def unquote(body):
    """An mboxrd entry's text with one '>' taken off each quoted From."""
    return _QUOTED_FROM.sub(rb'\1', body)


def entries(path, start=0):
    """(offset, from_line, text) for every entry of the mbox PATH from byte
    START on; TEXT is the message without its From_ line, unquoted."""
    try:
        f = open(path, 'rb')
    except FileNotFoundError:
        return
    with f:
        size = os.fstat(f.fileno()).st_size
        if size <= start:
            return
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            starts = [m.start(1) for m in _SEPARATOR.finditer(data, start)]
            if not starts or starts[0] != start and \
                    data[start:starts[0]].strip():
                # Text before the first separator: a message without one.
                starts.insert(0, start)
            starts.append(size)
            for begin, end in zip(starts, starts[1:]):
                chunk = data[begin:end]
                if chunk.startswith(b'From '):
                    newline = chunk.find(b'\n')
                    if newline < 0:
                        newline = len(chunk)
                    from_line = chunk[:newline].decode('latin-1')
                    chunk = chunk[newline + 1:]
                else:
                    from_line = ''
                if chunk.endswith(b'\n\n'):
                    chunk = chunk[:-1]
                yield begin, from_line, unquote(chunk)


def count(path):
    """How many entries the mbox PATH holds (for progress displays)."""
    try:
        f = open(path, 'rb')
    except FileNotFoundError:
        return 0
    with f:
        if not os.fstat(f.fileno()).st_size:
            return 0
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            found = sum(1 for _ in _SEPARATOR.finditer(data))
            if data[:5] != b'From ':
                found += 1
            return found
