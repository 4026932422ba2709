"""Topic tagging of posts.

When the list has topics_enabled, each topic's pattern (several lines of
a pattern are alternatives) is searched, ignoring case, in the Subject:
and Keywords: headers, and in "Subject:" or "Keywords:" lines among the
first topics_bodylines_limit non-blank lines of the body (of the body
itself when it is text/plain, or of the text/plain alternative of a
multipart/alternative body; a negative limit means the whole body, 0 none).
The names of the topics found go to msgdata['topichits'] and to an
X-Topics: header; CalcRecips uses them to pick recipients.
"""

import re
from email.header import Header

from Mailman.ListAdmin import oneline
from Mailman.Logging.Syslog import syslog

_PSEUDO_HEADER = re.compile(r'^(subject|keywords)[ \t]*:(.*)$', re.IGNORECASE)


def _body_part(msg):
    ctype = msg.get_content_type()
    if ctype == 'text/plain' and not msg.is_multipart():
        return msg
    if ctype == 'multipart/alternative' and msg.is_multipart():
        for part in msg.get_payload():
            if part.get_content_type() == 'text/plain' and \
                    not part.is_multipart():
                return part
    return None


def scanbody(msg, numlines=None):
    """Values of Subject: and Keywords: lines among the first NUMLINES
    non-blank body lines (all lines when NUMLINES is None)."""
    part = _body_part(msg)
    if part is None:
        return []
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        return []
    charset = part.get_content_charset() or 'us-ascii'
    try:
        text = data.decode(charset, 'replace')
    except (LookupError, UnicodeError):     # idna and punycode raise
        text = data.decode('latin-1')
    values = []
    seen = 0
    current = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if numlines is not None and seen >= numlines:
            break
        seen += 1
        if line[:1] in ' \t' and current is not None:
            values[current] += ' ' + line.strip()
            continue
        match = _PSEUDO_HEADER.match(line)
        if match:
            values.append(match.group(2).strip())
            current = len(values) - 1
        else:
            current = None
    return values


def process(mlist, msg, msgdata):
    if not mlist.topics_enabled or not mlist.topics:
        return
    lines = []
    for header in ('subject', 'keywords'):
        for value in msg.get_all(header, []):
            lines.append(oneline(value))
    limit = mlist.topics_bodylines_limit
    if limit < 0:
        lines.extend(scanbody(msg))
    elif limit > 0:
        lines.extend(scanbody(msg, limit))
    lines = [line for line in lines if line]
    hits = []
    for name, pattern, _desc, _emptyflag in mlist.topics:
        alternatives = [p for p in (pattern or '').splitlines() if p.strip()]
        if not alternatives:
            continue
        try:
            regexp = re.compile('|'.join(alternatives), re.IGNORECASE)
        except re.error:
            syslog('error', '%s: bad regexp for topic %s: %r',
                   mlist.internal_name(), name, pattern)
            continue
        if any(regexp.search(line) for line in lines) and name not in hits:
            hits.append(name)
    if hits:
        msgdata['topichits'] = hits
        value = ', '.join(hits)
        del msg['X-Topics']
        if value.isascii():
            msg['X-Topics'] = value
        else:
            msg['X-Topics'] = Header(value, 'utf-8', header_name='X-Topics')
