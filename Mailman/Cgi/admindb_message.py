"""What the moderation page shows of a held post: its header lines and an
excerpt of its text, made safe to print whatever the message contains.

Held posts are often spam, so anything goes: 8-bit bytes in headers,
unknown or missing charsets, broken MIME structure, bad base64, control
characters.  Nothing here raises on such input; when the message cannot
be taken apart, the stored bytes themselves are shown.  The results are
plain text: the page escapes them.
"""

import os
import re

from Mailman import Utils
from Mailman import mm_cfg

# Characters of header text shown at most (a spam run can carry thousands
# of Received: lines).
HEADER_LIMIT = 20000
# Bytes of the stored file shown when the message cannot be read at all.
RAW_LIMIT = 8192
_CONTROL = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]')


def clean(value):
    """VALUE as text that can be written to a page: bytes decoded (UTF-8,
    else Latin-1), control characters replaced."""
    if value is None:
        return ''
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'surrogateescape')
    elif not isinstance(value, str):
        value = str(value)
    try:
        data = value.encode('utf-8', 'surrogateescape')
    except UnicodeEncodeError:
        data = value.encode('utf-8', 'replace')
    try:
        value = data.decode('utf-8')
    except UnicodeDecodeError:
        # Raw 8-bit text in a header is most often Latin-1.
        value = data.decode('latin-1')
    return _CONTROL.sub('\ufffd', value)


def _limit(text, limit):
    """TEXT cut to LIMIT characters (a negative or zero LIMIT: no cut)."""
    if limit > 0 and len(text) > limit:
        return text[:limit] + f'\n[... {len(text) - limit} more characters ' \
                              'not shown]'
    return text


def header_text(msg):
    lines = []
    for name, value in msg.raw_items():
        lines.append(f'{name}: {value}')
    return _limit(clean('\n'.join(lines)), HEADER_LIMIT)


def _part_note(part):
    try:
        filename = part.get_filename()
    except Exception:
        filename = None
    payload = part.get_payload(decode=True) or b''
    what = part.get_content_type()
    if filename:
        what += f', {filename}'
    return f'[{what}, {len(payload)} bytes]\n'


def body_excerpt(msg, limit=None):
    """The text parts of MSG, decoded, at most LIMIT characters
    (ADMINDB_PAGE_TEXT_LIMIT; negative: everything); other parts are
    named in one line each."""
    if limit is None:
        limit = mm_cfg.ADMINDB_PAGE_TEXT_LIMIT
    pieces = []
    size = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_maintype() == 'text':
            payload = part.get_payload(decode=True)
            if payload is None:
                # A text part whose payload is not a string (a broken
                # message/* nesting): show its source.
                payload = str(part.get_payload()).encode('utf-8',
                                                         'surrogateescape')
            text = Utils.decode_bytes(payload, part.get_content_charset())
        else:
            text = _part_note(part)
        pieces.append(text)
        size += len(text)
        if limit > 0 and size > limit:
            break
    return _limit(clean(''.join(pieces)), limit)


def raw_excerpt(path, limit=RAW_LIMIT):
    """The first bytes of the file at PATH, as printable text."""
    try:
        with open(path, 'rb') as f:
            data = f.read(limit + 1)
    except OSError as error:
        return f'[the file cannot be read: {error.strerror}]'
    text = clean(data[:limit])
    if len(data) > limit:
        text += '\n[... more not shown]'
    return text


class HeldView:
    """One held post, ready to show: HEADERS and BODY texts, or, when the
    message could not be read, PROBLEM (why) and the raw bytes in BODY.
    LOST is true when its file is gone."""

    def __init__(self, headers='', body='', problem='', lost=False):
        self.headers = headers
        self.body = body
        self.problem = problem
        self.lost = lost


def view(mlist, request_id):
    from Mailman import Errors
    from Mailman import ListAdmin
    try:
        path = mlist.GetHeldMessagePath(request_id)
    except (KeyError, IndexError, TypeError):
        return HeldView(problem='This request has no message file.',
                        lost=True)
    if not os.path.exists(path):
        return HeldView(problem='The message file is missing; the post '
                                'was probably handled already.', lost=True)
    try:
        msg = ListAdmin.readMessage(path)
    except Errors.LostHeldMessage:
        return HeldView(problem='The message file is missing.', lost=True)
    except Exception as error:
        return HeldView(body=raw_excerpt(path),
                        problem='The stored message cannot be read '
                                f'({clean(type(error).__name__)}); its raw '
                                'contents follow.')
    try:
        return HeldView(header_text(msg), body_excerpt(msg))
    except Exception as error:
        # The parser accepted it but taking it apart failed: show the text
        # as it was received.
        try:
            raw = clean(ListAdmin.message_to_bytes(msg)[:RAW_LIMIT])
        except Exception:
            raw = raw_excerpt(path)
        return HeldView(body=raw,
                        problem='The message is malformed '
                                f'({clean(type(error).__name__)}); its raw '
                                'text follows.')
