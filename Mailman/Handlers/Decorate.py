"""Add the list's header (msg_header) and footer (msg_footer) to a post.

This is not a pipeline step: the delivery module calls process() once per
message, or once per recipient when the list personalises, just before the
message goes to the MTA.  Digests and Mailman's own messages (isdigest,
nodecorate) are left alone.

How the texts are added, least intrusive first:

* a single text/plain part whose charset can be decoded gets them as text,
  before and after the body; the result is encoded in the message's own
  charset when it can hold the texts, else the list's, else UTF-8, with
  the original transfer encoding kept where possible;
* a multipart/mixed message gets them as inline text/plain parts, first and
  last;
* anything else (multipart/alternative, multipart/signed, HTML, a body in
  an unknown charset, ...) is wrapped: the original content becomes the
  middle part of a new multipart/mixed, untouched, so signatures stay
  valid.
"""

import re
import string
from email import charset as email_charset
from email.mime.text import MIMEText

from Mailman import Errors
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Handlers.CookHeaders import list_charset, pick_charset
from Mailman.Logging.Syslog import syslog
from Mailman.Message import Message


def process(mlist, msg, msgdata):
    if msgdata.get('isdigest') or msgdata.get('nodecorate'):
        return
    extra = {}
    if msgdata.get('personalize'):
        extra = personal_substitutions(mlist, msgdata.get('recips') or [])
    extra.update(msgdata.get('decoration-data', {}))
    header = decorate(mlist, mlist.msg_header, 'non-digest header', extra)
    footer = decorate(mlist, mlist.msg_footer, 'non-digest footer', extra)
    if not header and not footer:
        return
    if not msg.is_multipart() and msg.get_content_type() == 'text/plain' \
            and not _is_attachment(msg):
        if _add_to_text(mlist, msg, header, footer):
            return
    elif msg.is_multipart() and msg.get_content_type() == 'multipart/mixed':
        parts = msg.get_payload()
        if header:
            parts.insert(0, text_part(mlist, header))
        if footer:
            parts.append(text_part(mlist, footer))
        return
    _wrap(mlist, msg, header, footer)


def personal_substitutions(mlist, recips):
    """The user_* values for a message to one member."""
    if len(recips) != 1:
        return {}
    member = recips[0].lower()
    values = {'user_address': member}
    try:
        values['user_delivered_to'] = mlist.getMemberCPAddress(member)
        # Passwords are stored as one-way hashes: there is nothing to show.
        values['user_password'] = _(
            '(hidden; you can set a new one on your options page)')
        values['user_language'] = mlist.getMemberLanguage(member)
        values['user_name'] = mlist.getMemberName(member) or member
        values['user_optionsurl'] = mlist.GetOptionsURL(member, absolute=1)
    except Errors.NotAMemberError:
        pass
    return values


def _(text):
    from Mailman.i18n import _ as translate
    return translate(text)


def decorate(mlist, template, what, extradict=None):
    """TEMPLATE with the list's values (and EXTRADICT's) filled in; '' for a
    blank template.  WHAT names the template in the error log."""
    if not template or not template.strip():
        return ''
    # Only these names: a template must not be able to reach other list
    # attributes (passwords, member tables).
    values = Utils.SafeDict({
        'real_name': mlist.real_name,
        'list_name': mlist.internal_name(),
        '_internal_name': mlist.internal_name(),
        'host_name': mlist.host_name,
        'web_page_url': mlist.web_page_url,
        'description': mlist.description,
        'info': mlist.info,
        'cgiext': mm_cfg.CGIEXT,
    })
    if extradict:
        values.update(extradict)
    try:
        if getattr(mlist, 'use_dollar_strings', 0):
            text = string.Template(template).safe_substitute(values)
        else:
            text = template % values
    except (ValueError, TypeError, KeyError) as error:
        syslog('error', 'list %s: cannot interpolate the %s: %s',
               mlist.internal_name(), what, error)
        text = template
    text = text.replace('\r\n', '\n')
    if not text.endswith('\n'):
        text += '\n'
    # Trailing blanks go, except in the signature separator "-- ".
    return re.sub(r'(?m)(?<!^--) +(?=\n)', '', text)


def text_part(mlist, text):
    """An inline text/plain part holding TEXT."""
    charset = pick_charset(text, list_charset(mlist))
    part = MIMEText(text, 'plain', _body_charset(charset, None, text))
    part['Content-Disposition'] = 'inline'
    return part


def _body_charset(name, encoding, text=None):
    """An email Charset for NAME whose body encoding is ENCODING
    ('base64', 'quoted-printable', '8bit'), or the most readable safe one
    when ENCODING is None."""
    charset = email_charset.Charset(name)
    if encoding == 'base64':
        charset.body_encoding = email_charset.BASE64
    elif encoding == 'quoted-printable':
        charset.body_encoding = email_charset.QP
    elif encoding == '8bit':
        charset.body_encoding = None
    elif text is not None and _encodes_to_ascii(text, charset):
        charset.body_encoding = None        # 7bit
    else:
        charset.body_encoding = email_charset.QP
    return charset


def _encodes_to_ascii(text, charset):
    try:
        return text.encode(charset.output_codec or 'ascii').isascii()
    except (LookupError, UnicodeError):
        return False


def _is_attachment(part):
    return (part.get('content-disposition') or '').strip().lower() \
        .startswith('attachment')


def _add_to_text(mlist, msg, header, footer):
    """Put HEADER and FOOTER around a single text/plain body; False when the
    body cannot be decoded (then the caller wraps instead)."""
    mcset = (msg.get_content_charset() or 'us-ascii').lower()
    try:
        data = msg.get_payload(decode=True)
        if data is None:
            data = b''
        body = data.decode(email_charset.Charset(mcset).input_codec or mcset)
    except (LookupError, UnicodeError, ValueError):
        return False
    if header and not header.endswith('\n'):
        header += '\n'
    if footer and body and not body.endswith('\n'):
        body += '\n'
    text = header + body + footer
    charset = pick_charset(text, mcset, list_charset(mlist))
    if charset == 'us-ascii' and mcset not in ('us-ascii', 'ascii'):
        charset = mcset         # keep the declared charset of ASCII text
    cte = (msg.get('content-transfer-encoding') or '').strip().lower()
    if cte not in ('base64', 'quoted-printable', '8bit'):
        cte = None
    if cte == '8bit' and not _encodable(text, charset):
        return False
    # Other Content-Type parameters (format=flowed, delsp) stay: only the
    # charset parameter is replaced.
    del msg['content-transfer-encoding']
    try:
        msg.set_payload(text, _body_charset(charset, cte, text))
    except (LookupError, UnicodeError):
        # Cannot happen after pick_charset, but never lose the body.
        msg.set_payload(text, _body_charset('utf-8', cte, text))
    return True


def _encodable(text, charset):
    try:
        text.encode(email_charset.Charset(charset).output_codec or charset)
        return True
    except (LookupError, UnicodeError):
        return False


def _wrap(mlist, msg, header, footer):
    """Make MSG a multipart/mixed of [header,] its old content[, footer].
    MSG stays the same object (callers hold references to it)."""
    inner = Message()
    copied = False
    for name, value in msg.items():
        if name.lower().startswith('content-'):
            inner[name] = value
            copied = True
    # The payload as stored: get_payload() would replace undecodable bytes.
    inner.set_payload(msg._payload)
    inner.preamble = msg.preamble
    inner.epilogue = msg.epilogue
    inner.set_default_type(msg.get_default_type())
    if not copied:
        inner['Content-Type'] = msg.get_content_type()
    parts = [inner]
    if header:
        parts.insert(0, text_part(mlist, header))
    if footer:
        parts.append(text_part(mlist, footer))
    for name in {name.lower() for name in msg.keys()
                 if name.lower().startswith('content-')}:
        del msg[name]
    if msg['mime-version'] is None:
        msg['MIME-Version'] = '1.0'
    msg.preamble = None
    msg.epilogue = None
    msg.set_payload(parts)
    msg['Content-Type'] = 'multipart/mixed'
