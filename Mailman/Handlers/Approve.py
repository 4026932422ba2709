"""Pre-approval of posts by password, and loop detection.

A post carrying the list's poster, moderator or administrator password is
approved (msgdata['approved'] and ['adminapproved']): later steps then let
it through without moderation.  The password is taken from the first of
the headers Approved:, Approve:, X-Approved:, X-Approve:, or else from the
first non-blank line of the first text/plain part when that line reads
"Approved: password" (any of the four names).  In the second form the
line is removed, so that the password does not go out to the members, and
so is the same text in every other text part (the HTML alternative of the
body, typically); if it shows in a part only once the markup is ignored,
it cannot be cut out safely and the post is rejected.  The headers are
removed later, by Cleanse.  The site password is deliberately not
accepted here.

A post whose X-BeenThere: headers already name this list has been through
it before: it is a mail loop and is discarded.
"""

import re

from Mailman import Errors
from Mailman import i18n
from Mailman import mm_cfg

HEADERS = ('approved', 'approve', 'x-approved', 'x-approve')


def _(text):
    return text


REJECT = _('Message rejected.\n'
           'It appears that this message contains an HTML part with the\n'
           'Approved: password line, but due to the way it is coded in the\n'
           'HTML it can\'t be safely removed.\n')

del _
_ = i18n._


# The post has already been through this list.
LoopError = Errors.LoopError


def _text_parts(msg, subtype=None):
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != 'text':
            continue
        if subtype and part.get_content_subtype() != subtype:
            continue
        yield part


def _part_text(part):
    """The decoded text of PART and the charset to write it back in."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        return None, None
    charset = part.get_content_charset() or 'us-ascii'
    try:
        return payload.decode(charset), charset
    except (LookupError, UnicodeError):
        pass
    try:
        return payload.decode('utf-8'), 'utf-8'
    except UnicodeError:
        return payload.decode('latin-1'), 'latin-1'


def reset_payload(part, text, charset):
    """Give PART the text TEXT, keeping its type and its format= and
    delsp= parameters (RFC 3676)."""
    ctype = part.get_content_type()
    fmt = part.get_param('format')
    delsp = part.get_param('delsp')
    try:
        text.encode(charset)
    except (UnicodeError, LookupError):
        charset = 'utf-8'
    del part['content-transfer-encoding']
    del part['content-type']
    part.set_payload(text, charset)
    part.set_type(ctype)
    if fmt:
        part.set_param('Format', fmt)
    if delsp:
        part.set_param('DelSp', delsp)


def _password_from_body(msg):
    """Find and remove an 'Approved: password' first body line; returns
    the password or None."""
    first = next(_text_parts(msg, 'plain'), None)
    if first is None:
        return None
    text, charset = _part_text(first)
    if text is None:
        return None
    lines = text.splitlines(keepends=True)
    for lineno, line in enumerate(lines):
        if line.strip():
            break
    else:
        return None
    name, colon, value = line.partition(':')
    if not colon or name.strip().lower() not in HEADERS:
        return None
    password = value.strip()
    del lines[lineno]
    reset_payload(first, ''.join(lines), charset)
    # The same line in the other text parts (the HTML alternative...).
    pattern = re.escape(name.strip()) + r':(\xa0|\s|&nbsp;)*' + \
        re.escape(password)
    for part in _text_parts(msg):
        if part is first:
            continue
        text, charset = _part_text(part)
        if text is None:
            continue
        if re.search(pattern, text):
            reset_payload(part, re.sub(pattern, '', text), charset)
        elif re.search(pattern, re.sub(r'(?s)<.*?>', '', text)):
            raise Errors.RejectMessage(_(REJECT))
    return password


def process(mlist, msg, msgdata):
    # No short cut for posts that are already approved: a post held before
    # this step and approved by a moderator must still lose its password.
    password = None
    for header in HEADERS:
        value = msg.get(header)
        if value is not None:
            password = str(value).strip()
            break
    else:
        password = _password_from_body(msg)
    if password and mlist.Authenticate(
            (mm_cfg.AuthListPoster, mm_cfg.AuthListModerator,
             mm_cfg.AuthListAdmin), password) != mm_cfg.UnAuthorized:
        msgdata['approved'] = 1
        # Emergency moderation only yields to this.
        msgdata['adminapproved'] = 1
    beentheres = [str(value).strip().lower()
                  for value in msg.get_all('x-beenthere', [])]
    if mlist.GetListEmail().lower() in beentheres:
        raise LoopError
