"""Set the headers a list puts on every post it distributes.

In order: the subject prefix (with an optional post number), X-BeenThere,
X-Mailman-Version, Precedence, the From: rewrite for from_is_list or DMARC
mitigation, Reply-To: and Cc: per the list's reply settings, and the RFC 2369
and RFC 2919 List-* headers.

Changes to From:, Reply-To: and Cc: are not made here: they are recorded in
msgdata['add_header'] and applied by WrapMessage, after the digest, archive
and news copies have been taken, so that those keep the poster's headers.
When the post is to be wrapped (from_is_list or the DMARC action says
"wrap"), every change is recorded there instead, for the outer message.

The header helpers at the top (decoding a header to text, encoding a
display name or a header for the wire) are used by other handlers too.
"""

import re
from email.charset import Charset
from email.header import Header, decode_header
from email.utils import formataddr, getaddresses

from Mailman import Utils
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog

COMMASPACE = ', '
CONTINUATION = ',\n\t'
MAXLINELEN = 78

_UNKNOWN_CHARSETS = ('unknown-8bit', 'x-unknown', 'unknown')
# Charsets that are no good for text sent by mail (not ASCII-compatible).
_NOT_FOR_MAIL = ('utf-16', 'utf-32', 'utf-7', 'ucs-2', 'ucs-4')
_NUMBER = re.compile(r'%\d*d')
_REPLY = re.compile(r'(\s*(RE|AW|SV|VS)\s*(\[\d+\])?\s*:\s*)+', re.IGNORECASE)
_EMAIL_LIKE = re.compile(r'@([^ .]+\.)+[^ .]+$')


# ------------------------------------------------------------------ text
def _guess_decode(data, fallback=None):
    """Decode bytes whose charset nobody declared."""
    for charset in ('ascii', 'utf-8', fallback):
        if not charset:
            continue
        try:
            return data.decode(charset)
        except (LookupError, UnicodeError):
            continue
    return data.decode('latin-1')


def header_parts(value, fallback=None):
    """[(text, charset)] for a header VALUE (a str, possibly with RFC 2047
    encoded words, or an email.header.Header); charset is None for text
    that was not encoded.  Never raises."""
    if value is None:
        return []
    try:
        parts = decode_header(value)
    except Exception:
        return [(str(value), None)]
    result = []
    for text, charset in parts:
        if isinstance(text, str):
            result.append((text, None))
            continue
        charset = (charset or '').lower() or None
        if charset and charset not in _UNKNOWN_CHARSETS:
            try:
                result.append((text.decode(charset, 'replace'), charset))
                continue
            except (LookupError, UnicodeError):
                # Unknown, or a codec (idna, punycode) that fails even
                # when told to replace what it cannot read.
                pass
        result.append((_guess_decode(text, fallback), None))
    return result


def header_to_unicode(value, fallback=None):
    """The decoded text of a header value."""
    return ''.join(text for text, charset in header_parts(value, fallback))


def oneline(value, fallback=None):
    """The decoded text of a header value, unfolded to one line."""
    return re.sub(r'[\r\n]+', '', header_to_unicode(value, fallback))


def _codec(charset):
    try:
        return Charset(charset).output_codec or charset
    except Exception:
        return charset


def can_encode(text, charset):
    if not charset:
        return False
    try:
        text.encode(_codec(charset))
        return True
    except (LookupError, UnicodeError):
        return False


def pick_charset(text, *candidates):
    """The first of CANDIDATES that can represent TEXT; us-ascii for plain
    ASCII text; utf-8 when none of them can."""
    if text.isascii():
        return 'us-ascii'
    for charset in candidates:
        if not charset:
            continue
        lowered = charset.lower()
        if lowered in ('us-ascii', 'ascii') or lowered in _UNKNOWN_CHARSETS \
                or lowered.startswith(_NOT_FOR_MAIL):
            continue
        if can_encode(text, charset):
            return lowered
    return 'utf-8'


def list_charset(mlist):
    return Utils.GetCharSet(mlist.preferred_language)


def encode_chunks(chunks, header_name=None):
    """A header value from [(text, charset)] chunks: plain text when every
    chunk is us-ascii, otherwise RFC 2047 encoded words (folded)."""
    merged = []
    for text, charset in chunks:
        if not text:
            continue
        if merged and merged[-1][1] == charset:
            merged[-1] = (merged[-1][0] + text, charset)
        else:
            merged.append((text, charset))
    if all(charset == 'us-ascii' for _, charset in merged):
        return ''.join(text for text, _ in merged)
    header = Header(header_name=header_name)
    for text, charset in merged:
        header.append(text, charset)
    return header.encode()


def encode_text_header(text, mlist, header_name=None):
    """TEXT as a header value: as is when ASCII, else encoded in the list's
    charset (or UTF-8)."""
    return encode_chunks([(text, pick_charset(text, list_charset(mlist)))],
                         header_name)


def format_address(name, address, mlist=None, charset=None):
    """'name <address>' for a header, with a non-ASCII NAME encoded."""
    name = name or ''
    if name.isascii():
        return formataddr((name, address))
    if charset is None and mlist is not None:
        charset = list_charset(mlist)
    return formataddr((name, address), charset=pick_charset(name, charset))


def address_pairs(values, fallback=None):
    """(decoded name, address) pairs of header VALUES; names given as
    encoded words are decoded after the address list is split, so commas
    inside them do no harm."""
    texts = []
    for value in values or []:
        if isinstance(value, Header):
            value = header_to_unicode(value, fallback)
        texts.append(str(value))
    pairs = []
    for name, address in getaddresses(texts):
        if not address and not name:
            continue
        pairs.append((header_to_unicode(name, fallback) if '=?' in name
                      else name, address))
    return pairs


# ------------------------------------------------------------------ policy
def from_is_list(mlist, msgdata):
    """What happens to From: for this post: 0 nothing, 1 munge, 2 wrap.
    A DMARC action recorded in msgdata by SpamDetect beats the list's own
    setting."""
    return msgdata.get('from_is_list') or mlist.from_is_list or 0


def _fasttrack(msgdata):
    # Mailman's own messages (VirginRunner): '_fasttrack' is 2.1's name,
    # 'fasttrack' the form that survives a queue file.
    return msgdata.get('_fasttrack') or msgdata.get('fasttrack')


def wrapping(mlist, msgdata):
    return from_is_list(mlist, msgdata) == 2 and not _fasttrack(msgdata)


def change_header(name, value, mlist, msg, msgdata, delete=True, repl=True):
    """Set header NAME to VALUE, or record the change for WrapMessage (see
    the module docstring).  With REPL false an existing header is kept;
    with DELETE false an existing one is kept and VALUE is added."""
    if wrapping(mlist, msgdata) or name.lower() in ('from', 'reply-to', 'cc'):
        msgdata.setdefault('add_header', {})[name] = value
    elif repl or name not in msg:
        if delete:
            del msg[name]
        msg[name] = value


# ------------------------------------------------------------------ process
def process(mlist, msg, msgdata):
    if msgdata.get('noack'):
        change_header('X-Ack', 'no', mlist, msg, msgdata)
    # Later handlers (Acknowledge, the delivery logs) want the poster even
    # after From: has been rewritten.
    if 'original_sender' not in msgdata:
        msgdata['original_sender'] = msg.get_sender()
    fasttrack = _fasttrack(msgdata)
    if not msgdata.get('isdigest') and not fasttrack:
        try:
            prefix_subject(mlist, msg, msgdata)
        except (UnicodeError, LookupError, ValueError) as error:
            syslog('error', 'list %s: subject prefix not added: %s',
                   mlist.internal_name(), error)
    change_header('X-BeenThere', mlist.GetListEmail(), mlist, msg, msgdata,
                  delete=False)
    change_header('X-Mailman-Version', mm_cfg.VERSION, mlist, msg, msgdata,
                  repl=False)
    change_header('Precedence', 'list', mlist, msg, msgdata, repl=False)
    original_from = None
    if from_is_list(mlist, msgdata) and not fasttrack:
        original_from = munge_from(mlist, msg, msgdata)
    if not fasttrack:
        reply_headers(mlist, msg, msgdata, original_from)
    list_headers(mlist, msg, msgdata)


def munge_from(mlist, msg, msgdata):
    """From: becomes 'Poster via List <list address>'; returns the poster's
    (name, address), which goes to Reply-To: or Cc:."""
    fallback = list_charset(mlist)
    pairs = [pair for pair in address_pairs(msg.get_all('from', []), fallback)
             if pair[1].find('@') > 0]
    if len(pairs) == 1:
        name, address = pairs[0]
    else:
        name, address = '', msgdata.get('original_sender') or msg.get_sender()
    original = (name, address)
    if not name:
        name = address
        try:
            if mlist.isMember(address):
                name = mlist.getMemberName(address) or address
        except Exception:
            pass
    # An address in the display name would put a second domain in From:.
    name = _EMAIL_LIKE.sub('---', name)
    saved = i18n.get_language()
    i18n.set_language(mlist.preferred_language)
    try:
        via = i18n._('%(realname)s via %(lrn)s')
    finally:
        i18n.set_language(saved)
    display = via.replace('%(realname)s', name).replace(
        '%(lrn)s', mlist.real_name)
    change_header('From', format_address(display, mlist.GetListEmail(), mlist),
                  mlist, msg, msgdata)
    return original


def reply_headers(mlist, msg, msgdata, original_from):
    fallback = list_charset(mlist)
    new = []
    seen = set()

    def add(pair):
        key = pair[1].lower()
        if not pair[1] or key in seen:
            return
        seen.add(key)
        new.append(pair)

    if mlist.reply_goes_to_list == 2 and mlist.reply_to_address.strip():
        for pair in address_pairs([mlist.reply_to_address], fallback):
            add(pair)
    had_reply_to = False
    if not mlist.first_strip_reply_to:
        for pair in address_pairs(msg.get_all('reply-to', []), fallback):
            add(pair)
            had_reply_to = True
    # With From: munged, the poster must stay reachable: in Reply-To: when
    # replies go to the poster, otherwise in Cc:.
    if original_from and mlist.reply_goes_to_list == 0:
        if had_reply_to:
            if original_from[1].lower() in seen:
                original_from = None
        else:
            add(original_from)
            original_from = None
    if mlist.reply_goes_to_list == 1:
        add((mlist.description or '', mlist.GetListEmail()))
    if new:
        change_header('Reply-To', COMMASPACE.join(
            format_address(name, address, mlist) for name, address in new),
            mlist, msg, msgdata)
    elif not wrapping(mlist, msgdata):
        # (A wrapped original keeps its headers.)
        del msg['reply-to']
    # Fully personalised posts carry the member's address in To:, so the
    # list address goes to Cc: for "reply all" to reach the list.
    add_list = (mlist.personalize == 2 and mlist.reply_goes_to_list != 1
                and not mlist.anonymous_list)
    if add_list or original_from:
        new = []
        seen = set()
        if original_from:
            add(original_from)
        pending = msgdata.get('add_header', {}).get('Cc')
        if pending is not None:
            current = [pending]
        else:
            current = msg.get_all('cc', [])
        for pair in address_pairs(current, fallback):
            add(pair)
        if add_list:
            add((mlist.description or '', mlist.GetListEmail()))
        change_header('Cc', COMMASPACE.join(
            format_address(name, address, mlist) for name, address in new),
            mlist, msg, msgdata)


def list_headers(mlist, msg, msgdata):
    """List-Id and, unless the message is Mailman's own, the other RFC 2369
    headers (or X-List-Administrivia for reduced headers)."""
    if msgdata.get('_nolist') or not mlist.include_rfc2369_headers:
        return
    listid = f'{mlist.internal_name()}.{mlist.host_name}'
    description = (mlist.description or '').strip()
    if description:
        value = format_address(description, listid, mlist)
    else:
        value = f'<{listid}>'
    change_header('List-Id', value, mlist, msg, msgdata)
    headers = []
    if msgdata.get('reduced_list_headers'):
        headers.append(('X-List-Administrivia', 'yes'))
    else:
        request = mlist.GetRequestEmail()
        listinfo = mlist.GetScriptURL('listinfo', absolute=1)
        options = mlist.GetScriptURL('options', absolute=1)
        headers.append(('List-Unsubscribe',
                        f'<{options}>, <mailto:{request}?subject=unsubscribe>'))
        if mlist.archive:
            headers.append(('List-Archive',
                            f'<{mlist.GetBaseArchiveURL()}>'))
        if mlist.include_list_post_header:
            headers.append(('List-Post', f'<mailto:{mlist.GetListEmail()}>'))
        headers.append(('List-Help', f'<mailto:{request}?subject=help>'))
        headers.append(('List-Subscribe',
                        f'<{listinfo}>, <mailto:{request}?subject=subscribe>'))
    for name, value in headers:
        if len(name) + 2 + len(value) > MAXLINELEN:
            value = CONTINUATION.join(value.split(', '))
        change_header(name, value, mlist, msg, msgdata)


# ------------------------------------------------------------------ subject
def _prefix_pattern(prefix):
    """A regex matching PREFIX in a subject (a %d in it matches any
    number), and whether the prefix is numbered."""
    escaped = re.escape(prefix)
    if _NUMBER.search(prefix):
        return _NUMBER.sub(lambda m: r'\s*\d+\s*', escaped), True
    return escaped, False


def strip_prefix(mlist, subject):
    """SUBJECT without the list's prefix (used for tables of contents)."""
    prefix = (mlist.subject_prefix or '').strip()
    if not prefix:
        return subject
    pattern, numbered = _prefix_pattern(prefix)
    return re.sub(pattern, '', subject, count=1)


def prefix_subject(mlist, msg, msgdata):
    prefix = (mlist.subject_prefix or '').strip()
    raw = msg.get('subject', '')
    fallback = list_charset(mlist)
    msgdata['origsubj'] = raw if isinstance(raw, str) \
        else header_to_unicode(raw, fallback)
    if not prefix:
        return
    parts = header_parts(raw, fallback)
    subject = re.sub(r'[\r\n]+', '', ''.join(text for text, _ in parts))
    declared = [charset for _, charset in parts if charset]
    cset = declared[0] if declared else None
    pattern, numbered = _prefix_pattern(prefix)
    old_style = False if numbered else mm_cfg.OLD_STYLE_PREFIXING
    subject = re.sub(pattern, '', subject)
    match = _REPLY.match(subject)
    recolon = ''
    if match:
        subject = subject[match.end():]
        recolon = 'Re:'
    subject = subject.strip()
    if not subject:
        saved = i18n.get_language()
        i18n.set_language(mlist.preferred_language)
        try:
            subject = i18n._('(no subject)')
        finally:
            i18n.set_language(saved)
    try:
        prefix = prefix % int(mlist.post_id)
    except (TypeError, ValueError, OverflowError):
        pass
    if recolon and old_style:
        head = f'{recolon} {prefix}'
    elif recolon:
        head = f'{prefix} {recolon}'
    else:
        head = prefix
    subject_charset = pick_charset(subject, cset, fallback)
    mode = getattr(mlist, 'encode_ascii_prefixes', 0)
    if not head.isascii():
        head_charset = pick_charset(head, fallback, cset)
    elif mode == 1:
        # Always encoded: in the list's charset, else the subject's.
        head_charset = next((c for c in (fallback, cset, 'utf-8')
                             if c and c.lower() not in ('us-ascii', 'ascii')),
                            'utf-8').lower()
    elif mode == 2 and subject_charset != 'us-ascii':
        head_charset = subject_charset if can_encode(head, subject_charset) \
            else 'utf-8'
    else:
        head_charset = 'us-ascii'
    if head_charset == 'us-ascii' or subject_charset != 'us-ascii':
        # The separating space belongs to the head: as plain text it keeps
        # the encoded word apart, and inside an encoded word it survives
        # the removal of white space between encoded words.
        chunks = [(head + ' ', head_charset), (subject, subject_charset)]
    else:
        # An encoded head followed by plain text: the space between them is
        # kept by decoders.
        chunks = [(head, head_charset), (' ' + subject, subject_charset)]
    change_header('Subject', encode_chunks(chunks, 'Subject'),
                  mlist, msg, msgdata)
    msgdata['stripped_subject'] = f'{recolon} {subject}' if recolon \
        else subject
