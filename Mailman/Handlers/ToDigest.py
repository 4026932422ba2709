"""Collect posts for the digest, and build and send digests.

process() appends each post to lists/<list>/digest.mbox (an mbox with
"From " lines quoted).  The caller holds the list lock, which also guards
that file.  Once the file reaches digest_size_threshhold kilobytes (0: size
never triggers a digest), the digest is sent at once; cron/senddigests
sends what has collected on lists with digest_send_periodic, and an
administrator can send it from the web.

send_digests() builds two digests from the collected posts and queues them
in qfiles/virgin with isdigest set:

* the MIME digest, a multipart/mixed of the masthead, the digest header,
  a table of contents, a multipart/digest holding each post as a
  message/rfc822 part (with only MIME_DIGEST_KEEP_HEADERS), and the
  digest footer;
* the plain digest in RFC 1153 format: masthead and header, "Today's
  Topics", each post as plain text with PLAIN_DIGEST_KEEP_HEADERS,
  separated by lines of dashes, the footer as a last pseudo-message, and
  the "End of ..." line.

Its recipients are the digest members with delivery enabled plus those
owed one last digest, each getting the MIME or the plain one as their
DisableMime option says.  Before it is sent the volume number may be
bumped: when digest_volume_frequency's period (year, calendar quarter,
month, week, day) has changed since the last digest.
"""

import copy
import email
import email.message
import mailbox
import os
import re
import textwrap
import time
import traceback
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.utils import formatdate

from Mailman import Errors
from Mailman import Utils
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.Handlers.CookHeaders import (address_pairs, encode_text_header,
                                          list_charset, oneline, pick_charset,
                                          strip_prefix)
from Mailman.Handlers.Decorate import _body_charset, decorate, text_part
from Mailman.Logging.Syslog import syslog
from Mailman.MemberAdaptor import ENABLED
from Mailman.Message import Message
from Mailman.Queue.Switchboard import Switchboard

DIGEST_MBOX = 'digest.mbox'
MBOX_MODE = 0o660


def _(text):
    return i18n._(text)


def digest_path(mlist):
    return os.path.join(mlist.fullpath(), DIGEST_MBOX)


# ------------------------------------------------------------------ collect
def process(mlist, msg, msgdata):
    if not mlist.digestable or msgdata.get('isdigest'):
        return
    path = digest_path(mlist)
    append_to_mbox(path, msg, msgdata)
    threshold = mlist.digest_size_threshhold
    if threshold > 0 and os.path.getsize(path) / 1024.0 >= threshold:
        # A failure here must not stop regular delivery of the post: it is
        # logged, the posts stay collected, and cron tries again.
        try:
            send_digests(mlist, path)
        except Exception as error:
            syslog('error', 'list %s: sending the digest failed: %s\n%s',
                   mlist.internal_name(), error, traceback.format_exc())


def append_to_mbox(path, msg, msgdata=None):
    """Append MSG to the mbox file PATH, synced to disk."""
    # The From: sender, not the envelope one: on anonymous lists that is
    # the list itself.
    sender = re.sub(r'\s', '', msg.get_sender() or '') or 'MAILER-DAEMON'
    fromline = f'From {sender} {time.asctime()}\n'.encode('ascii', 'replace')
    body = _message_bytes(msg)
    body = re.sub(rb'(?m)^(>*From )', rb'>\1', body)
    if not body.endswith(b'\n'):
        body += b'\n'
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, MBOX_MODE)
    with os.fdopen(fd, 'ab') as out:
        out.write(fromline + body + b'\n')
        out.flush()
        os.fsync(out.fileno())


def _message_bytes(msg):
    from email.generator import BytesGenerator
    from io import BytesIO
    buffer = BytesIO()
    BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0).flatten(
        msg, unixfrom=False)
    return buffer.getvalue().replace(b'\r\n', b'\n')


def read_mbox(path):
    """The messages collected in the mbox file PATH; parts that cannot be
    parsed are skipped (and logged)."""
    box = mailbox.mbox(path, factory=None, create=False)
    messages = []
    try:
        for key in box.iterkeys():
            try:
                # Undo the quoting of "From " lines done when appending.
                data = re.sub(rb'(?m)^>(>*From )', rb'\1',
                              box.get_bytes(key))
                messages.append(email.message_from_bytes(data,
                                                         _class=Message))
            except Exception as error:
                syslog('error', '%s: skipped unparseable message %s: %s',
                       path, key, error)
    finally:
        box.close()
    return messages


# ------------------------------------------------------------------ volumes
def _period(when, frequency):
    t = time.localtime(when)
    if frequency == 0:
        return (t.tm_year,)
    if frequency == 1:
        return (t.tm_year, t.tm_mon)
    if frequency == 2:
        # Calendar quarters: Jan-Mar, Apr-Jun, Jul-Sep, Oct-Dec.
        return (t.tm_year, (t.tm_mon - 1) // 3)
    if frequency == 3:
        return (t.tm_year, int(time.strftime('%W', t)))
    if frequency == 4:
        return (t.tm_year, t.tm_yday)
    return None


def volume_due(last_sent, now, frequency):
    """True when a digest sent at NOW starts a new volume, the last one
    having been sent at LAST_SENT (0: never)."""
    if not last_sent:
        return False
    before, current = _period(last_sent, frequency), _period(now, frequency)
    return before is not None and before != current


# ------------------------------------------------------------------ send
def send_digests(mlist, path=None, now=None):
    """Build and queue the digests of the posts collected in PATH (the
    list's digest.mbox by default), then remove the file.  Returns True if
    digests were queued.  The caller holds the list lock and saves the
    list afterwards."""
    path = path or digest_path(mlist)
    now = time.time() if now is None else now
    try:
        messages = read_mbox(path)
    except (FileNotFoundError, mailbox.NoSuchMailboxError):
        return False
    if not messages:
        _remove(path)
        return False
    if volume_due(mlist.digest_last_sent_at, now,
                  mlist.digest_volume_frequency):
        mlist.bump_digest_volume()
    mlist.digest_last_sent_at = now
    saved = i18n.get_language()
    i18n.set_language(mlist.preferred_language)
    try:
        mimemsg, plainmsg = build_digests(mlist, messages)
    finally:
        i18n.set_language(saved)
    mlist.next_digest_number += 1
    mimerecips, plainrecips = digest_recipients(mlist)
    mlist.one_last_digest.clear()
    virgin = Switchboard(mm_cfg.VIRGINQUEUE_DIR)
    for digest, recips in ((mimemsg, mimerecips), (plainmsg, plainrecips)):
        if recips:
            virgin.enqueue(digest, recips=recips,
                           listname=mlist.internal_name(), isdigest=True,
                           received_time=now)
    _remove(path)
    return True


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def digest_recipients(mlist):
    """(MIME recipients, plain recipients)."""
    mime, plain = [], []
    seen = set()
    keys = list(mlist.getDigestMemberKeys()) + list(mlist.one_last_digest)
    for key in keys:
        if key.lower() in seen:
            continue
        seen.add(key.lower())
        try:
            address = mlist.getMemberCPAddress(key)
            if mlist.getDeliveryStatus(key) != ENABLED:
                continue
            wants_plain = mlist.getMemberOption(key, mm_cfg.DisableMime)
        except Errors.NotAMemberError:
            # Left the list since asking for the last digest.
            continue
        (plain if wants_plain else mime).append(address)
    return mime, plain


def build_digests(mlist, messages):
    """The (MIME digest, plain digest) messages for MESSAGES."""
    lcset = list_charset(mlist)
    digestid = _('%(realname)s Digest, Vol %(volume)d, Issue %(issue)d') % {
        'realname': mlist.real_name, 'volume': mlist.volume,
        'issue': mlist.next_digest_number}
    subject = encode_text_header(digestid, mlist, 'Subject')
    masthead = Utils.maketext('masthead.txt', {
        'real_name': mlist.real_name,
        'got_list_email': mlist.GetListEmail(),
        'got_listinfo_url': mlist.GetScriptURL('listinfo', absolute=1),
        'got_request_email': mlist.GetRequestEmail(),
        'got_owner_email': mlist.GetOwnerEmail(),
    }, mlist=mlist)
    header = decorate(mlist, mlist.digest_header, 'digest header')
    footer = decorate(mlist, mlist.digest_footer, 'digest footer')

    # The table of contents.
    toc = [_("Today's Topics:"), '']
    for number, msg in enumerate(messages, 1):
        toc.extend(_toc_entry(mlist, number, msg, lcset))
    toctext = '\n'.join(toc) + '\n'

    # MIME digest.
    mimemsg = Message()
    _digest_headers(mlist, mimemsg, subject)
    mimemsg['Content-Type'] = 'multipart/mixed'
    mimemsg['MIME-Version'] = '1.0'
    part = text_part(mlist, masthead)
    del part['Content-Disposition']
    part['Content-Description'] = encode_text_header(digestid, mlist)
    mimemsg.attach(part)
    if header:
        part = text_part(mlist, header)
        part['Content-Description'] = _('Digest Header')
        mimemsg.attach(part)
    part = text_part(mlist, toctext)
    part['Content-Description'] = _("Today's Topics (%(msgcount)d "
                                     "messages)") % {
        'msgcount': len(messages)}
    mimemsg.attach(part)
    container = MIMEBase('multipart', 'digest')
    mime_keepers = _keepers(mm_cfg.MIME_DIGEST_KEEP_HEADERS
                            + mm_cfg.PLAIN_DIGEST_KEEP_HEADERS)
    for number, msg in enumerate(messages, 1):
        kept = _keep_headers(copy.deepcopy(msg), mime_keepers, number)
        container.attach(MIMEMessage(kept))
    mimemsg.attach(container)
    if footer:
        part = text_part(mlist, footer)
        part['Content-Description'] = _('Digest Footer')
        mimemsg.attach(part)
    signoff = _('End of ') + digestid
    mimemsg.epilogue = signoff

    # RFC 1153 digest.
    separator70 = '-' * 70
    separator30 = '-' * 30
    out = [masthead, '']
    if header:
        out.extend([header, ''])
    out.extend([toctext, '', separator70, ''])
    plain_keepers = _keepers(mm_cfg.PLAIN_DIGEST_KEEP_HEADERS)
    for number, msg in enumerate(messages, 1):
        if number > 1:
            out.extend([separator30, ''])
        out.extend(_plain_message(mlist, msg, number, plain_keepers, lcset))
    if footer:
        out.extend([separator30, '', 'Subject: ' + _('Digest Footer'), '',
                    footer, ''])
    out.extend([separator30, '', signoff, '*' * len(signoff), ''])
    plaintext = '\n'.join(out)
    plaintext = re.sub(r'\n{3,}', '\n\n', plaintext)
    plainmsg = Message()
    _digest_headers(mlist, plainmsg, subject)
    plainmsg['MIME-Version'] = '1.0'
    charset = pick_charset(plaintext, lcset)
    plainmsg.set_payload(plaintext, _body_charset(charset, None, plaintext))
    return mimemsg, plainmsg


def _digest_headers(mlist, msg, subject):
    msg['From'] = mlist.GetRequestEmail()
    msg['Subject'] = subject
    msg['To'] = mlist.GetListEmail()
    msg['Reply-To'] = mlist.GetListEmail()
    msg['Date'] = formatdate(localtime=True)
    msg['Message-ID'] = Utils.unique_message_id(mlist)


def _toc_entry(mlist, number, msg, lcset):
    subject = oneline(msg.get('subject'), lcset) or _('(no subject)')
    # The list's prefix is noise in a list of the list's own posts.
    subject = re.sub(r'\s+', ' ', strip_prefix(mlist, subject)).strip() \
        or _('(no subject)')
    author = ''
    pairs = address_pairs(msg.get_all('from', []), lcset)
    if pairs:
        author = pairs[0][0] or pairs[0][1]
    if author:
        author = f' ({author})'
    lines = textwrap.wrap(f'{number:2d}. {subject}', 65,
                          drop_whitespace=False) or ['']
    lines = [lines[0].rstrip()] + [line.strip() for line in lines[1:]]
    if len(lines[-1]) + len(author) > 70:
        lines.append(author.strip())
    else:
        lines[-1] += author
    return ['  ' + lines[0]] + ['      ' + line.lstrip() for line in lines[1:]]


def _keepers(names):
    result = []
    for name in names:
        if name.lower() not in (n.lower() for n in result):
            result.append(name)
    return result


def _keep_headers(msg, keepers, number):
    """MSG with only the KEEPERS headers, in that order; a 'Message' keeper
    stands for the post's number in the digest."""
    saved = [(name, msg.get_all(name, [])) for name in keepers]
    for name in {name.lower() for name in msg.keys()}:
        del msg[name]
    for name, values in saved:
        if name.lower() == 'message':
            values = [str(number)]
        for value in values:
            msg[name] = value
    return msg


def _plain_message(mlist, msg, number, keepers, lcset):
    """The lines of one post in the plain digest."""
    scrubbed = _scrub(mlist, msg)
    if scrubbed is None:
        return [_('[Message discarded by content filter]'), '']
    lines = []
    for name in keepers:
        if name.lower() == 'message':
            values = [str(number)]
        else:
            values = msg.get_all(name, [])
        for value in values:
            text = oneline(value, lcset)
            wrapped = Utils.wrap(f'{name}: {text}')
            lines.append('\n\t'.join(wrapped.split('\n')))
    lines.append('')
    body = plain_text(scrubbed, lcset).rstrip('\n')
    lines.append(body)
    lines.append('')
    return lines


def _scrub(mlist, msg):
    """MSG turned into plain text by the Scrubber (which keeps attachments
    in the archive and leaves links) when the site has it; a copy of MSG
    otherwise.  None when the content filter discards it."""
    msg = copy.deepcopy(msg)
    try:
        from Mailman.Handlers import Scrubber
    except ImportError:
        return msg
    scrub = getattr(Scrubber, 'scrub', None) or Scrubber.process
    try:
        result = scrub(mlist, msg, {})
    except Errors.DiscardMessage:
        return None
    except Exception as error:
        syslog('error', 'list %s: the scrubber failed on a digest message '
               '(%s); it is shown without scrubbing', mlist.internal_name(),
               error)
        return msg
    return result if isinstance(result, email.message.Message) else msg


def _decoded_text(part, fallback):
    data = part.get_payload(decode=True)
    if data is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ''
    charset = part.get_content_charset()
    if charset:
        try:
            return data.decode(charset, 'replace')
        except (LookupError, UnicodeError):     # idna and punycode raise
            pass
    for candidate in ('utf-8', fallback):
        if candidate:
            try:
                return data.decode(candidate)
            except (LookupError, UnicodeError):
                pass
    return data.decode('latin-1')


def plain_text(msg, fallback=None):
    """The text of MSG for a plain-text reader: text/plain parts decoded,
    the first alternative of a multipart/alternative that has text, other
    parts named in a one-line note."""
    if msg.is_multipart():
        parts = msg.get_payload()
        if msg.get_content_type() == 'multipart/alternative':
            for part in parts:
                if part.get_content_type() == 'text/plain':
                    return plain_text(part, fallback)
        if msg.get_content_type() == 'message/rfc822':
            inner = parts[0] if parts else None
            if inner is None:
                return ''
            head = []
            for name in ('From', 'Date', 'Subject'):
                if inner.get(name):
                    head.append(f'{name}: {oneline(inner[name], fallback)}')
            return '\n'.join(head) + '\n\n' + plain_text(inner, fallback)
        texts = [plain_text(part, fallback) for part in parts]
        return '\n'.join(text.rstrip('\n') for text in texts if text.strip())
    ctype = msg.get_content_type()
    disposition = (msg.get('content-disposition') or '').lower()
    if ctype == 'text/plain' and not disposition.startswith('attachment'):
        return _decoded_text(msg, fallback)
    name = msg.get_filename() or ''
    if name:
        name = oneline(name, fallback)
    size = len(msg.get_payload(decode=True) or b'')
    description = f'{name}, ' if name else ''
    return _('[Attachment not included in the plain digest: '
             '%(description)s%(ctype)s, %(size)d bytes]') % {
        'description': description, 'ctype': ctype, 'size': size}
