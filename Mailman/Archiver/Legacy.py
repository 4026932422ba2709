"""Taking over an archive built by Mailman 2.1's pipermail.

2.1 numbered messages 000000, 000001, ... in mbox order and wrote one
<volume>/NNNNNN.html page per message.  A rebuild must hand every
Message-ID the number it had, so that every URL keeps working.  Two
records say which number that was:

* 2.1's own index, `database/<volume>-article`: a Python 2 marshal dict
  from the bare Message-ID to a pickled Article whose `sequence` is the
  number.  `pipermail.pck` beside it holds the archiver's state, with the
  next number to hand out in `sequence`.
* The article pages: 2.1's carry the Message-ID in the reply link
  (mailto:...&In-Reply-To=<id>), ours in <meta name="message-id">.  These
  still count when the database was lost or only some pages remain.

Both are read with the safe Python 2 readers (Py2Marshal, Py2Pickle): an
archive is data, and loading it never runs code.
"""

import os
import pickle
import re
import urllib.parse

from Mailman import Py2Marshal
from Mailman import Py2Pickle

_PAGE_NAME = re.compile(r'^(\d{6})\.html$')
_OUR_META = re.compile(rb'<meta name="message-id" content="([^"]*)"')
_REPLY_LINK = re.compile(rb'In-Reply-To=([^"&\s>]+)', re.IGNORECASE)
# The Message-ID is near the top of a page; no need to read all of it.
HEAD_BYTES = 8192


def _message_id(head):
    match = _OUR_META.search(head)
    if match:
        value = match.group(1).decode('utf-8', 'replace')
        value = (value.replace('&lt;', '<').replace('&gt;', '>')
                 .replace('&quot;', '"').replace('&#x27;', "'")
                 .replace('&amp;', '&'))
    else:
        match = _REPLY_LINK.search(head)
        if not match:
            return ''
        value = urllib.parse.unquote(match.group(1).decode('latin-1'))
    return value.strip().strip('<>').strip()


def numbers_from_pages(archive_dir):
    """{Message-ID: number} from the article pages under ARCHIVE_DIR; the
    lowest number wins for an ID found on several pages."""
    found = {}
    try:
        volumes = os.listdir(archive_dir)
    except FileNotFoundError:
        return found
    for volume in volumes:
        directory = os.path.join(archive_dir, volume)
        if volume == 'attachments' or os.path.islink(directory) or \
                not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            match = _PAGE_NAME.match(name)
            if not match:
                continue
            try:
                with open(os.path.join(directory, name), 'rb') as f:
                    head = f.read(HEAD_BYTES)
            except OSError:
                continue
            msgid = _message_id(head)
            num = int(match.group(1))
            if msgid and (msgid not in found or num < found[msgid]):
                found[msgid] = num
    return found


# What loading a damaged or hostile pickle raises.
_BAD_PICKLE = (pickle.UnpicklingError, EOFError, ValueError, MemoryError)


def _sequence(loaded):
    """The `sequence` number of a loaded 2.1 object (an Article, or the
    archiver's state dict), or None when it has no sensible one."""
    state = loaded if isinstance(loaded, dict) else \
        getattr(loaded, '__dict__', None)
    number = state.get('sequence') if isinstance(state, dict) else None
    if isinstance(number, int) and not isinstance(number, bool) \
            and number >= 0:
        return number
    return None


def _article_sequence(pickled):
    """The `sequence` of a pickled 2.1 Article, or None.

    Py2Marshal hands Python 2 byte strings back as text, so the pickle's
    bytes are recovered the ways Py2Pickle.possible_bytes knows."""
    for data in Py2Pickle.possible_bytes(pickled):
        try:
            number = _sequence(Py2Pickle.loads(data))
        except _BAD_PICKLE:
            continue
        if number is not None:
            return number
    return None


def numbers_from_database(archive_dir):
    """{Message-ID: number} from 2.1's `database/*-article` files under
    ARCHIVE_DIR.  Unreadable files and entries are skipped; 2.1 keyed a
    message with no Message-ID by its number, and those keys are left out
    because nothing in the mbox can be matched to them."""
    found = {}
    directory = os.path.join(archive_dir, 'database')
    try:
        names = sorted(os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return found
    for name in names:
        if not name.endswith('-article'):
            continue
        try:
            with open(os.path.join(directory, name), 'rb') as f:
                index = Py2Marshal.load(f)
        except (OSError, Py2Marshal.Py2MarshalError):
            continue
        if not isinstance(index, dict):
            continue
        for msgid, pickled in index.items():
            if not isinstance(msgid, str) or not isinstance(pickled, str):
                continue
            number = _article_sequence(pickled)
            if number is None or msgid == str(number):
                continue
            msgid = msgid.strip().strip('<>').strip()
            if msgid and (msgid not in found or number < found[msgid]):
                found[msgid] = number
    return found


def next_sequence(archive_dir):
    """The next number 2.1 would have handed out, from pipermail.pck, or
    0 when that file is missing or unreadable."""
    try:
        with open(os.path.join(archive_dir, 'pipermail.pck'), 'rb') as f:
            number = _sequence(Py2Pickle.load(f))
    except (OSError,) + _BAD_PICKLE:
        return 0
    return 0 if number is None else number


def taken_over_numbers(archive_dir):
    """({Message-ID: number}, first free number) for a 2.1 archive in
    ARCHIVE_DIR.  The database is 2.1's own record and wins; the pages
    fill in what it lacks, but never with a number it gives another
    message."""
    database = numbers_from_database(archive_dir)
    taken = set(database.values())
    numbers = {msgid: num for msgid, num in
               numbers_from_pages(archive_dir).items() if num not in taken}
    numbers.update(database)
    first_free = max(numbers.values(), default=-1) + 1
    return numbers, max(first_free, next_sequence(archive_dir))
