"""One archived message: its headers decoded, its body as safe HTML.

Everything here is pure computation on a parsed message; the caller scrubs
attachments out first (the body is then one text part).
"""

import calendar
import email
import email.utils
import hashlib
import html
import re
import time
from dataclasses import dataclass, field

from Mailman import Utils
from Mailman.ListAdmin import oneline
from Mailman.Message import Message

# Dates before this, or more than a day in the future, are not believed.
EARLIEST_SANE = calendar.timegm((1980, 1, 1, 0, 0, 0))
FUTURE_SLACK = 86400

_ANGLE_ID = re.compile(r'<([^<>\s]+)>')
_RE_PREFIX = re.compile(r'^\s*((re|aw|sv|fwd?|antw|odp|r)(\[\d+\])?:\s*)+',
                        re.IGNORECASE)
_BRACKET_PREFIX = re.compile(r'^\s*\[[^\]]{1,60}\]\s*')
# The '@' of an address: anchored on the '@' so that the search is quick.
_ADDRESS_AT = re.compile(r'(?<=[\w.+=-])@(?=(?:[\w-]+\.)+[\w-])')
# "user at host (Name)": the From: of pipermail's own text volumes, which
# sites re-import when the mbox is gone.
_OBSCURED_FROM = re.compile(
    r'^\s*([^\s@<>()",]+) at ((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})\s*'
    r'(?:\((.*)\))?\s*$')
_URL = re.compile(r'(?:https?|ftp)://[^\s<>"]+')
_URL_TRAILER = re.compile(r'(?:&quot;|&lt;|&gt;|&#x27;).*$|[.,;:!?)\]}\'*]+$')
_QUOTED_LINE = re.compile(r'^(&gt;.*)$', re.MULTILINE)
_FROM_LINE_DATE = re.compile(
    r'(\w{3})\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}:\d\d(?::\d\d)?)\s+(\d{4})')


@dataclass
class Article:
    msgid: str                  # without angle brackets; '' when missing
    key: str                    # identity for numbering (see number_key)
    date: float
    author: str
    email: str
    subject: str
    in_reply_to: list = field(default_factory=list)   # ids, best first
    body: str = ''
    num: int = -1
    volume: str = ''
    offset: int = -1


def parse_bytes(data):
    return email.message_from_bytes(data, _class=Message)


def decode_header(value):
    if value is None:
        return ''
    return oneline(value, 'utf-8')


def message_ids(value):
    return _ANGLE_ID.findall(str(value or ''))


def _sane(when, now):
    return when is not None and EARLIEST_SANE <= when <= now + FUTURE_SLACK


def _header_date(value):
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_tz(str(value))
        if not parsed:
            return None
        return float(email.utils.mktime_tz(parsed))
    except (ValueError, OverflowError, TypeError, IndexError):
        return None


def _from_line_date(from_line):
    match = _FROM_LINE_DATE.search(from_line or '')
    if not match:
        return None
    clock = match.group(4)
    if clock.count(':') == 1:
        clock += ':00'
    text = '%s %s %s %s %s' % (match.group(1), match.group(2),
                               match.group(3), clock, match.group(5))
    try:
        return time.mktime(time.strptime(text, '%a %b %d %H:%M:%S %Y'))
    except (ValueError, OverflowError):
        return None


def message_date(msg, from_line='', fallback=None, now=None):
    """The time MSG was sent: its Date:, else the list's receipt stamp,
    else its From_ line, else FALLBACK (the previous message's date when
    rebuilding) or now.  Missing and absurd dates are passed over."""
    now = time.time() if now is None else now
    for when in (lambda: _header_date(msg.get('date')),
                 lambda: _header_date(msg.get('x-list-received-date')),
                 lambda: _from_line_date(from_line)):
        when = when()
        if _sane(when, now):
            return when
    return fallback if _sane(fallback, now) else now


def number_key(msgid, occurrence, raw=b''):
    """What a message is known by when numbers are handed out: its
    Message-ID, or a digest of its text when it has none; with '#N' for
    the Nth repeat of the same ID or the same text."""
    if not msgid:
        # Trailing blank lines depend on where the message sat in its mbox.
        text = raw.replace(b'\r\n', b'\n').rstrip()
        msgid = 'sha1:' + hashlib.sha1(text).hexdigest()
    return msgid if occurrence == 0 else '%s#%d' % (msgid, occurrence)


def thread_subject(subject):
    """SUBJECT without reply markers and list tags, for subject threading
    and sorting."""
    previous = None
    text = subject
    while text != previous:
        previous = text
        text = _RE_PREFIX.sub('', text)
        text = _BRACKET_PREFIX.sub('', text)
    return ' '.join(text.split()).lower()


def from_message(msg, from_line='', fallback_date=None, now=None):
    """An Article (without body, number or volume) for MSG."""
    ids = message_ids(msg.get('message-id'))
    msgid = ids[0] if ids else ''
    sender = decode_header(msg.get('from'))
    obscured = _OBSCURED_FROM.match(sender)
    if obscured:
        address = '%s@%s' % obscured.group(1, 2)
        name = obscured.group(3) or ''
        if _OBSCURED_FROM.match(name):
            name = ''
    else:
        name, address = email.utils.parseaddr(sender)
    if ' ' in address:
        # "Real Name user@host" without angle brackets (old mailers).
        words = address.split()
        found = [w for w in words if '@' in w]
        if found:
            address = found[-1]
            name = name or ' '.join(w for w in words if w != address)
    if not address:
        sender = from_line.split()[1] if len(from_line.split()) > 1 else ''
        address = sender if sender != 'MAILER-DAEMON' else ''
    subject = decode_header(msg.get('subject')).strip() or 'No subject'
    parents = message_ids(msg.get('in-reply-to'))[:1]
    parents += reversed(message_ids(msg.get('references')))
    seen = set()
    unique = [p for p in parents if p != msgid and not
              (p in seen or seen.add(p))]
    return Article(msgid=msgid, key='', date=message_date(
        msg, from_line, fallback_date, now), author=name.strip() or address
        or 'Unknown sender', email=address, subject=subject,
        in_reply_to=unique)


# ------------------------------------------------------------------ body
def body_text(msg):
    """The text of a scrubbed MSG: its text parts joined."""
    texts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        maintype = part.get_content_maintype()
        if maintype == 'text':
            texts.append(Utils.part_text(part))
    return '\n'.join(texts).replace('\r\n', '\n')


def obscure_addresses(text):
    """TEXT with user@example.com written as 'user at example.com'."""
    if '@' not in text:
        return text
    return _ADDRESS_AT.sub(' at ', text)


def _link(match):
    url = match.group(0)
    trailer = _URL_TRAILER.search(url)
    rest = ''
    if trailer:
        rest = url[trailer.start():]
        url = url[:trailer.start()]
    if len(url) < 10:
        return match.group(0)
    return '<a href="%s" rel="nofollow">%s</a>%s' % (url, url, rest)


def body_html(text, obscure):
    """TEXT as the inside of a <pre>: escaped, links clickable, quoted
    lines in italics, addresses disguised when OBSCURE."""
    if obscure:
        text = obscure_addresses(text)
    escaped = html.escape(text, quote=True)
    escaped = _URL.sub(_link, escaped)
    return _QUOTED_LINE.sub(r'<i>\1</i>', escaped)
