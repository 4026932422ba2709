"""Hand a message to the MTA over SMTP: the default DELIVERY_MODULE.

process(mlist, msg, msgdata) delivers MSG to msgdata['recips'].

How the recipients are split:

* bulk: the recipients are grouped by top-level domain (.com; .net and
  .org; .edu, .us and .ca; everything else) and each group is cut into
  chunks of at most SMTP_MAX_RCPTS; one SMTP transaction per chunk, all
  carrying the same bytes, built once;
* per recipient, when the message is VERPed (msgdata['verp']) or
  personalised (msgdata['personalize'], or the list's personalize
  setting, unless msgdata['personalize'] is explicitly false): one
  transaction per recipient.  With VERP the envelope sender names the
  recipient (VERP_FORMAT, e.g. list-bounces+user=example.com@host).  A
  personalised message is copied and decorated for each recipient; a VERP
  message whose header and footer say nothing about the reader is
  decorated once, and only its envelope and a few trailing headers
  differ from one recipient to the next.

Connections: SMTPHOST:SMTPPORT, EHLO as SMTP_HELO_HOST, STARTTLS when
SMTP_USE_TLS, AUTH with SMTP_USER/SMTP_PASSWD when SMTP_AUTH; a connection
carries at most SMTP_MAX_SESSIONS_PER_CONNECTION transactions (0: no
limit); with MAX_DELIVERY_THREADS > 0 that many threads deliver at once,
each on its own connection.  When the server offers PIPELINING the
envelope commands go out in groups (RFC 2920), and the reply to a
message's text is collected after the next envelope has been sent.  A
reused connection found dead before a message's text went out is
replaced once, so a server that hangs up between messages costs nothing.

What goes on the wire is legal SMTP whatever the message: CRLF line ends
only, dot-stuffing, no line over 998 octets (an offending body part is
re-encoded quoted-printable or base64, an offending header refolded),
BODY=8BITMIME for 8-bit data when offered (otherwise the 8-bit parts are
re-encoded), SMTPUTF8 for non-ASCII headers or addresses when offered.

Results: a recipient refused with 4xx (or 552) is a temporary failure, with
any other 5xx a permanent one.  When the server drops the connection,
cannot be reached or refuses the session (greeting, EHLO, STARTTLS, AUTH,
or a 4xx to MAIL FROM / DATA), the recipients concerned fail temporarily.
A 5xx to MAIL FROM or to the message text itself is about the message, not
the recipients: it is logged and nobody is blamed (as in 2.1).  Failures
are raised at the end as Errors.SomeRecipientsFailed(temp, perm).  Any
other exception leaves the recipients not yet attempted in
msgdata['undelivered'] (a list of chunks), where the next attempt resumes.

Logging: SMTP_LOG_EVERY_MESSAGE, SMTP_LOG_SUCCESS (posts to the list only),
SMTP_LOG_REFUSED and SMTP_LOG_EACH_FAILURE, each a (log name, format) pair
with the keys Defaults.py describes; problems go to logs/smtp-failure.
"""

import base64
import copy
import importlib
import quopri
import re
import smtplib
import threading
import time
from email.generator import BytesGenerator
from email.header import Header
from email.utils import formataddr, getaddresses
from io import BytesIO

from Mailman import Errors
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog

# RFC 5321 4.5.3.2.7 suggests ten minutes for the reply to the end of data;
# no single step should take longer than that.
TIMEOUT = 600
# Envelope commands written before their replies are read, when pipelining.
PIPELINE_WINDOW = 100
# Longest text line we send, CRLF excluded (RFC 5321 4.5.3.1.6).
MAX_LINE = 998

_TLD_GROUPS = {'com': 1, 'net': 2, 'org': 2, 'edu': 3, 'us': 3, 'ca': 3}
_ANY_EOL = re.compile(rb'\r\n|\r|\n')
_ANY_EOL_TEXT = re.compile(r'\r\n|\r|\n')
_LEADING_DOT = re.compile(rb'(?m)^\.')
# Characters that may not appear in an address put into an SMTP command.
_BAD_PATH_CHARS = re.compile(r'[\x00-\x20<>\x7f]')
_ADDRESS_HEADERS = {'from', 'to', 'cc', 'bcc', 'reply-to', 'sender',
                    'resent-from', 'resent-to', 'resent-cc', 'resent-bcc',
                    'resent-sender', 'return-receipt-to',
                    'disposition-notification-to', 'errors-to'}


def _cfg(name, default):
    return getattr(mm_cfg, name, default)


# ---------------------------------------------------------------- recipients
def chunkify(recips, chunksize):
    """Split RECIPS into lists of at most CHUNKSIZE, grouped by top-level
    domain as 2.1 does, so that one transaction mostly goes one way."""
    buckets = {0: [], 1: [], 2: [], 3: []}
    for recip in recips:
        tld = recip.rpartition('.')[2].lower() if '.' in recip else ''
        buckets[_TLD_GROUPS.get(tld, 0)].append(recip)
    chunks = []
    for group in buckets.values():
        for i in range(0, len(group), chunksize):
            chunks.append(group[i:i + chunksize])
    return chunks


def _decorate_module():
    return importlib.import_module('Mailman.Handlers.Decorate')


def _mentions_reader(mlist):
    """True if the list's header or footer uses a per-reader value."""
    for name in ('msg_header', 'msg_footer'):
        if 'user_' in (getattr(mlist, name, '') or ''):
            return True
    return False


# ---------------------------------------------------------------- the bytes
class Prepared:
    """A message flattened for the wire: HEAD (the header lines, each ending
    in CRLF) and BODY (what follows the blank line), CRLF line ends,
    dot-stuffed, no line too long.  MSG is the message it came from, used
    to make a 7-bit version for servers without 8BITMIME or SMTPUTF8."""

    __slots__ = ('head', 'body', 'msg', 'eight_head', 'eight_body', '_variants')

    def __init__(self, data, msg):
        if data.startswith(b'\r\n'):
            self.head, self.body = b'', data[2:]
        else:
            cut = data.find(b'\r\n\r\n')
            if cut < 0:
                self.head, self.body = data, b''
            else:
                self.head, self.body = data[:cut + 2], data[cut + 4:]
        self.msg = msg
        self.eight_head = not self.head.isascii()
        self.eight_body = not self.body.isascii()
        self._variants = {}

    def size(self, tail=b''):
        return len(self.head) + len(tail) + 2 + len(self.body)

    def variant(self, headers, body):
        """This message with its 8-bit headers (HEADERS) and/or its 8-bit
        body parts (BODY) made 7-bit; made once, then cached."""
        key = (headers, body)
        if key not in self._variants:
            msg = _downgrade(self.msg, headers, body)
            self._variants[key] = prepare(msg)
        return self._variants[key]


class _Generator(BytesGenerator):
    """BytesGenerator that remembers how it folded each header, so that the
    copies of one message made for each recipient (which mostly share their
    headers) do not fold the same header again and again."""

    def __init__(self, out, policy, cache):
        super().__init__(out, mangle_from_=False, policy=policy)
        self._cache = cache

    def clone(self, fp):
        return self.__class__(fp, self.policy, self._cache)

    def _write_lines(self, lines):
        # The same output as the email package's line-by-line loop: every
        # line end made the policy's, in one pass.
        if lines:
            self.write(_ANY_EOL_TEXT.sub(self._NL, lines))

    def _write_headers(self, msg):
        # The same as BytesGenerator's, plus the cache.
        cache = self._cache
        for name, value in msg.raw_items():
            key = (name, value) if isinstance(value, str) else None
            folded = cache.get(key) if key is not None else None
            if folded is None:
                folded = self.policy.fold_binary(name, value)
                if key is not None and len(cache) < 10000:
                    cache[key] = folded
            self._fp.write(folded)
        self.write(self._NL)


def _generate(msg, cache=None):
    out = BytesIO()
    policy = msg.policy.clone(linesep='\r\n')
    generator = _Generator(out, policy, {} if cache is None else cache)
    generator.flatten(msg, unixfrom=False)
    return out.getvalue()


def _too_long(data):
    return len(data) > MAX_LINE and \
        max(map(len, data.split(b'\r\n'))) > MAX_LINE


def _wire_form(data):
    """DATA with CRLF line ends only, dot-stuffed, ending in CRLF."""
    crlf = data.count(b'\r\n')
    if data.count(b'\n') != crlf or data.count(b'\r') != crlf:
        data = _ANY_EOL.sub(b'\r\n', data)
    if data.startswith(b'.') or b'\n.' in data:
        data = _LEADING_DOT.sub(b'..', data)
    if data and not data.endswith(b'\r\n'):
        data += b'\r\n'
    return data


def prepare(msg, cache=None):
    """The Prepared form of MSG (which is not changed).  CACHE, a dict,
    may be shared by calls for copies of one message."""
    try:
        data = _generate(msg, cache)
    except UnicodeEncodeError:
        # A handler stored non-ASCII text as a payload without encoding it.
        msg = _encode_raw_text(msg)
        data = _generate(msg)
    data = _wire_form(data)
    if _too_long(data):
        msg = _shorten_lines(msg)
        data = _wire_form(_generate(msg))
        if _too_long(data):
            data = _hard_fold(data)
    return Prepared(data, msg)


def _leaves(msg):
    for part in msg.walk():
        if not part.is_multipart():
            yield part


def _raw_payload(part):
    # get_payload() without decode=True turns bytes that came in 8-bit (kept
    # as surrogates) into replacement characters; the stored value has them.
    return part._payload


def _payload_bytes(part):
    """The decoded content of a leaf PART as bytes."""
    cte = (part.get('content-transfer-encoding') or '').strip().lower()
    payload = _raw_payload(part)
    if isinstance(payload, bytes):
        return payload
    if payload is None:
        return b''
    if cte in ('base64', 'quoted-printable', 'x-uuencode', 'uuencode',
               'x-uue', 'uue'):
        return part.get_payload(decode=True) or b''
    try:
        return payload.encode('ascii', 'surrogateescape')
    except UnicodeEncodeError:
        charset = part.get_content_charset() or 'utf-8'
        try:
            return payload.encode(charset, 'surrogateescape')
        except (LookupError, UnicodeEncodeError):
            if part.get_content_maintype() == 'text':
                part.set_param('charset', 'utf-8')
            return payload.encode('utf-8', 'surrogateescape')


def _reencode(part):
    """Give the leaf PART a 7-bit transfer encoding with short lines:
    quoted-printable for text, base64 for anything else."""
    data = _payload_bytes(part)
    del part['Content-Transfer-Encoding']
    if part.get_content_maintype() == 'text':
        data = data.replace(b'\r\n', b'\n').replace(b'\r', b'\n')
        part.set_payload(quopri.encodestring(data).decode('ascii'))
        part['Content-Transfer-Encoding'] = 'quoted-printable'
    else:
        part.set_payload(base64.encodebytes(data).decode('ascii'))
        part['Content-Transfer-Encoding'] = 'base64'


def _text_lines_too_long(part):
    payload = _raw_payload(part)
    if not isinstance(payload, str):
        return False
    return any(len(line) > MAX_LINE - 8 for line in payload.splitlines())


def _has_8bit(part):
    payload = _raw_payload(part)
    return isinstance(payload, (bytes, str)) and not payload.isascii()


def _header_text(value):
    """A header value as text (bytes smuggled in as surrogates decoded as
    UTF-8 when they are UTF-8)."""
    if isinstance(value, Header):
        return None
    value = str(value)
    raw = value.encode('utf-8', 'surrogateescape')
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        return raw.decode('latin-1')


def _encode_header(name, value):
    """VALUE with its non-ASCII text as RFC 2047 encoded words."""
    text = _header_text(value)
    if text is None or text.isascii():
        return value
    if name.lower() in _ADDRESS_HEADERS:
        pairs = []
        for display, address in getaddresses([text]):
            if display and not display.isascii():
                display = Header(display, 'utf-8').encode()
                pairs.append(f'{display} <{address}>' if address else display)
            else:
                pairs.append(formataddr((display, address)) if display
                             else address)
        return ', '.join(pairs)
    return Header(text, 'utf-8', header_name=name).encode()


def _fold(name, value):
    """VALUE folded at white space so that no line is too long; a word that
    is longer than a line by itself is cut."""
    if isinstance(value, Header):
        return value
    words = re.split(r'\s+', str(value).strip())
    lines, current = [], ''
    limit = 76 - len(name)
    for word in words:
        while len(word) > MAX_LINE - 10:
            if current:
                lines.append(current)
                current = ''
            lines.append(word[:MAX_LINE - 10])
            word = word[MAX_LINE - 10:]
        if current and len(current) + 1 + len(word) > limit:
            lines.append(current)
            current = word
            limit = 76
        else:
            current = f'{current} {word}' if current else word
    if current:
        lines.append(current)
    return '\n '.join(lines)


def _replace_headers(part, change):
    # compat32 keeps headers as a list of (name, value) pairs; rewriting the
    # list in place keeps their order and repeated names.
    part._headers = [(name, change(name, value)) for name, value in part._headers]


def _shorten_lines(msg):
    """A copy of MSG with no line over MAX_LINE octets."""
    msg = copy.deepcopy(msg)
    for part in msg.walk():
        _replace_headers(part, lambda name, value: _fold(name, value)
                         if any(len(line) + len(name) + 2 > MAX_LINE - 8
                                for line in str(value).splitlines() or [''])
                         else value)
        if not part.is_multipart() and _text_lines_too_long(part):
            _reencode(part)
    return msg


def _downgrade(msg, headers, body):
    """A copy of MSG with 7-bit headers (HEADERS) and/or body (BODY)."""
    msg = copy.deepcopy(msg)
    for part in msg.walk():
        if headers:
            _replace_headers(part, _encode_header)
        if body and not part.is_multipart() and _has_8bit(part):
            _reencode(part)
    return msg


def _encode_raw_text(msg):
    """A copy of MSG whose non-ASCII str payloads carry a charset encoding."""
    msg = copy.deepcopy(msg)
    for part in _leaves(msg):
        payload = _raw_payload(part)
        if isinstance(payload, str) and not payload.isascii() and \
                not _has_surrogates(payload):
            charset = part.get_content_charset() or 'utf-8'
            del part['Content-Transfer-Encoding']
            try:
                part.set_payload(payload, charset)
            except (LookupError, UnicodeError):
                part.set_payload(payload, 'utf-8')
    return msg


def _has_surrogates(text):
    try:
        text.encode('utf-8')
        return False
    except UnicodeEncodeError:
        return True


def _hard_fold(data):
    """Last resort: cut every line still over MAX_LINE octets."""
    out = []
    for line in data.split(b'\r\n'):
        while len(line) > MAX_LINE:
            out.append(line[:MAX_LINE])
            line = b' ' + line[MAX_LINE:]
        out.append(line)
    return b'\r\n'.join(out)


# ---------------------------------------------------------------- headers
def _sender_header(mlist, envsender):
    name = mlist.real_name or mlist.internal_name()
    if name.isascii() and '"' not in name and '\\' not in name:
        return f'"{name}" <{envsender}>'
    return formataddr((name, envsender), charset='utf-8')


def _tail(mlist, msgdata, recip, envsender):
    """The header lines added per recipient, after the message's own, in
    2.1's order."""
    lines = []
    if recip is not None:
        if recip in msgdata.get('add-dup-header', {}):
            lines.append(b'X-Mailman-Copy: yes\r\n')
        rcpt_header = _cfg('RCPT_BASE64_HEADER_NAME', '')
        if rcpt_header:
            encoded = base64.b64encode(recip.encode('utf-8')).decode('ascii')
            lines.append(f'{rcpt_header}: {encoded}\r\n'.encode('ascii'))
    if mlist.include_sender_header:
        lines.append(f'Sender: {_sender_header(mlist, envsender)}\r\n'
                     .encode('utf-8'))
    lines.append(f'Errors-To: {envsender}\r\n'.encode('utf-8'))
    return b''.join(lines)


def _strip_tail_headers(mlist, msg, per_recipient):
    if mlist.include_sender_header:
        del msg['Sender']
    del msg['Errors-To']
    if per_recipient:
        del msg['X-Mailman-Copy']
        name = _cfg('RCPT_BASE64_HEADER_NAME', '')
        if name:
            del msg[name]


def _verp_sender(envsender, recip):
    """The VERPed envelope sender for RECIP, or None if RECIP has no
    domain to put in it."""
    bmailbox, bdomain = Utils.ParseEmail(envsender)
    rmailbox, rdomain = Utils.ParseEmail(recip)
    if not rdomain or not bdomain:
        return None
    local = _cfg('VERP_FORMAT', '%(bounces)s+%(mailbox)s=%(host)s') % {
        'bounces': bmailbox, 'mailbox': rmailbox, 'host': '.'.join(rdomain)}
    return f'{local}@{".".join(bdomain)}'


# ---------------------------------------------------------------- SMTP
class _SessionFailure(Exception):
    """The server refused the transaction as a whole (MAIL FROM, DATA or
    the message text).  REFUSED holds recipients refused before that."""

    def __init__(self, code, text, stage, refused=None):
        super().__init__(code, text, stage)
        self.code = code
        self.text = text
        self.stage = stage
        self.refused = refused or {}


class _ConnectFailure(Exception):
    """No usable session could be opened (connection, greeting, EHLO,
    STARTTLS or AUTH failed)."""

    def __init__(self, code, text):
        super().__init__(code, text)
        self.code = code
        self.text = text

    def __str__(self):
        return f'{self.code} {self.text}' if self.code > 0 else self.text


def _text(reply):
    return reply.decode('utf-8', 'replace') if isinstance(reply, bytes) \
        else str(reply)


class _Client(smtplib.SMTP):
    """smtplib's client (connection, EHLO, STARTTLS, AUTH) with our own
    transactions: pipelined when offered, bytes sent exactly as given.

    With PIPELINING the reply to the end of a message is not waited for:
    it is read when the next transaction's commands have gone out (RFC
    2920 3.1 lets the message text and the next envelope share a group),
    or at QUIT.  So the next message is being prepared while the server
    works on the last one."""

    _pending = None
    text_sent = False

    def _print_debug(self, *args):
        syslog('error', 'SMTP debug: %s', ' '.join(map(str, args)))

    def _reply(self):
        code, text = self.getreply()
        return code, _text(text)

    def _rset_quietly(self):
        try:
            self.putcmd('rset')
            self._reply()
        except (OSError, smtplib.SMTPException):
            pass

    def settle(self):
        """Read the reply to the last message's text if it is still due,
        and report it.  A connection error is reported, then raised."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        try:
            reply = self._reply()
        except BaseException as error:
            pending(error)
            raise
        pending(reply)

    def abandon(self, error):
        """The connection is going: the last message's fate is unknown."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending(error)

    def transaction(self, sender, recips, pieces, options, utf8, done):
        """Send one message.  Problems before the text is sent raise
        _SessionFailure, or OSError / smtplib.SMTPException when the
        connection fails; otherwise done(refused, error) is called, now or
        later, exactly once: REFUSED maps the recipients refused to their
        (code, text), ERROR is None when the text was accepted."""
        self.text_sent = False
        encoding = 'utf-8' if utf8 else 'ascii'
        mail = f'MAIL FROM:<{sender}>' + ''.join(' ' + o for o in options)
        refused = {}
        accepted = []
        pipelining = 'pipelining' in self.esmtp_features
        if pipelining:
            commands = [mail] + [f'RCPT TO:<{r}>' for r in recips] + ['DATA']
            replies = []
            for start in range(0, len(commands), PIPELINE_WINDOW):
                window = commands[start:start + PIPELINE_WINDOW]
                self.send(('\r\n'.join(window) + '\r\n').encode(encoding))
                # The reply to the previous message comes first.
                self.settle()
                replies.extend(self._reply() for _ in window)
            mail_reply, data_reply = replies[0], replies[-1]
            for recip, (code, text) in zip(recips, replies[1:-1]):
                if code in (250, 251):
                    accepted.append(recip)
                else:
                    refused[recip] = (code, text)
            if data_reply[0] == 354 and (mail_reply[0] != 250 or not accepted):
                # The server took DATA although nothing can be delivered
                # (RFC 2920 3.1): end the empty message.
                self.send(b'.\r\n')
                self._reply()
            if mail_reply[0] != 250:
                raise _SessionFailure(*mail_reply, 'MAIL FROM')
            if not accepted:
                self._rset_quietly()
                done(refused, None)
                return
            if data_reply[0] != 354:
                self._rset_quietly()
                raise _SessionFailure(*data_reply, 'DATA', refused)
        else:
            self.settle()
            self.send((mail + '\r\n').encode(encoding))
            code, text = self._reply()
            if code != 250:
                raise _SessionFailure(code, text, 'MAIL FROM')
            for recip in recips:
                self.send(f'RCPT TO:<{recip}>\r\n'.encode(encoding))
                code, text = self._reply()
                if code in (250, 251):
                    accepted.append(recip)
                else:
                    refused[recip] = (code, text)
                    if code == 421:
                        raise _SessionFailure(code, text, 'RCPT TO', refused)
            if not accepted:
                self._rset_quietly()
                done(refused, None)
                return
            self.send(b'DATA\r\n')
            code, text = self._reply()
            if code != 354:
                self._rset_quietly()
                raise _SessionFailure(code, text, 'DATA', refused)

        def finished(reply):
            if isinstance(reply, BaseException):
                done(refused, reply)
            elif reply[0] != 250:
                done(refused, _SessionFailure(*reply, 'end of data', refused))
            else:
                done(refused, None)

        self._pending = finished
        self.text_sent = True
        self.send(b''.join(pieces) + b'.\r\n')
        if not pipelining:
            self.settle()


class Connection:
    """One SMTP connection, opened on first use, closed after
    SMTP_MAX_SESSIONS_PER_CONNECTION transactions, reopened as needed.
    Once opening it has failed, it stays failed (the caller fails the
    rest of its recipients at once rather than knock again and again)."""

    def __init__(self):
        self._client = None
        self._used = 0
        self.failure = None

    def _connect(self):
        host = _cfg('SMTPHOST', 'localhost')
        port = int(_cfg('SMTPPORT', 0) or 25)
        client = _Client(local_hostname=_cfg('SMTP_HELO_HOST', None) or None,
                         timeout=TIMEOUT)
        client.set_debuglevel(_cfg('SMTPLIB_DEBUG_LEVEL', 0))
        stage = 'connect'
        try:
            client.connect(host, port)
            stage = 'EHLO'
            client.ehlo_or_helo_if_needed()
            if _cfg('SMTP_USE_TLS', False):
                stage = 'STARTTLS'
                client._host = host         # the name TLS is started for
                client.starttls()
                stage = 'EHLO after STARTTLS'
                client.ehlo()
            if _cfg('SMTP_AUTH', False):
                stage = 'AUTH'
                client.login(_cfg('SMTP_USER', ''), _cfg('SMTP_PASSWD', ''))
        except smtplib.SMTPResponseException as error:
            client.close()
            raise _ConnectFailure(error.smtp_code, f'{stage} failed at '
                                  f'{host}:{port}: {_text(error.smtp_error)}')
        except (OSError, smtplib.SMTPException) as error:
            client.close()
            raise _ConnectFailure(-1, f'{stage} failed at {host}:{port}: '
                                  f'{error or type(error).__name__}')
        self._client = client
        self._used = 0

    def close(self, error=None):
        client, self._client = self._client, None
        if client is not None:
            client.abandon(error or smtplib.SMTPServerDisconnected(
                'connection closed before the reply to the message text'))
            client.close()

    def quit(self):
        client = self._client
        if client is None:
            return
        try:
            client.settle()
            client.quit()
        except (OSError, smtplib.SMTPException):
            pass
        self.close()

    def send(self, sender, recips, prepared, tail, done):
        """One transaction; see _Client.transaction.  Raises
        _ConnectFailure when no session can be had.  A reused connection
        that turns out to be dead before the message text went out (the
        server hung up after the last message, or its reply to it never
        came) is replaced by a new one, once."""
        if self.failure is not None:
            raise self.failure
        for attempt in (1, 2):
            if self._client is None:
                try:
                    self._connect()
                except _ConnectFailure as failure:
                    self.failure = failure
                    raise
            client = self._client
            reused = self._used > 0
            try:
                self._attempt(client, sender, recips, prepared, tail, done)
                break
            except _SessionFailure as failure:
                if failure.code == 421:
                    self.close()
                raise
            except (OSError, smtplib.SMTPException) as error:
                self.close(error)
                if attempt == 1 and reused and not client.text_sent:
                    continue
                raise
            finally:
                self._used += 1
        limit = _cfg('SMTP_MAX_SESSIONS_PER_CONNECTION', 0)
        if limit > 0 and self._used >= limit:
            self.quit()

    def _attempt(self, client, sender, recips, prepared, tail, done):
        features = client.esmtp_features
        utf8 = False
        if not (sender.isascii() and all(r.isascii() for r in recips)) \
                or prepared.eight_head:
            utf8 = 'smtputf8' in features
        local = {}
        if not utf8:
            # RFC 6531: a non-ASCII address can only travel with SMTPUTF8.
            if not sender.isascii():
                raise _SessionFailure(451, 'the envelope sender needs '
                                      'SMTPUTF8, which the server does not '
                                      'offer', 'MAIL FROM')
            for recip in recips:
                if not recip.isascii():
                    local[recip] = (553, 'the address needs SMTPUTF8, '
                                    'which the server does not offer')
            if local:
                recips = [r for r in recips if r not in local]
                if not recips:
                    done(local, None)
                    return
        downgrade_head = prepared.eight_head and not utf8
        downgrade_body = prepared.eight_body and '8bitmime' not in features
        if downgrade_head or downgrade_body:
            prepared = prepared.variant(downgrade_head, downgrade_body)
        options = []
        if (prepared.eight_head or prepared.eight_body) and \
                '8bitmime' in features:
            options.append('BODY=8BITMIME')
        if utf8:
            options.append('SMTPUTF8')
        if 'size' in features:
            options.append(f'SIZE={prepared.size(tail)}')
        pieces = (prepared.head, tail, b'\r\n', prepared.body)

        def finished(refused, error):
            refused = {**local, **refused}
            if isinstance(error, _SessionFailure):
                error.refused = refused
                if error.code == 421:
                    self.close()
            done(refused, error)

        try:
            client.transaction(sender, recips, pieces, options, utf8, finished)
        except _SessionFailure as failure:
            failure.refused.update(local)
            raise


# ---------------------------------------------------------------- delivery
class _Delivery:
    """The state of one process() call."""

    def __init__(self, mlist, msg, msgdata, envsender):
        self.mlist = mlist
        self.msg = msg
        self.msgdata = msgdata
        self.envsender = envsender
        self.msgid = msg.get('message-id', 'n/a')
        self.failures = {}          # recip -> (code, text, temporary)
        self.lock = threading.Lock()
        self.size = None
        self._logged_failure = None

    def _fail(self, recips, code, text, temporary):
        with self.lock:
            for recip in recips:
                self.failures[recip] = (code, text, temporary)

    def _note_size(self, size):
        if self.size is None:
            self.size = size

    def deliver(self, conn, sender, recips, prepared, tail=b''):
        """One transaction, with its outcome recorded in self.failures."""
        good = []
        for recip in recips:
            if not recip or _BAD_PATH_CHARS.search(recip) or '@' not in recip:
                self._fail([recip], 553, 'address not usable in SMTP', False)
                syslog('smtp-failure', 'Not an address SMTP can carry: %r, '
                       'msgid: %s', recip, self.msgid)
            else:
                good.append(recip)
        if not good:
            return
        if _BAD_PATH_CHARS.search(sender):
            syslog('smtp-failure', 'Envelope sender not usable in SMTP: %r, '
                   'msgid: %s', sender, self.msgid)
            self._fail(good, -1, 'bad envelope sender', True)
            return
        self._note_size(prepared.size(tail))

        def done(refused, error):
            self._record(good, refused, error)
        try:
            conn.send(sender, good, prepared, tail, done)
        except (_ConnectFailure, _SessionFailure, OSError,
                smtplib.SMTPException) as error:
            self._record(good, getattr(error, 'refused', {}), error)

    def _record(self, recips, refused, error):
        """The outcome of one transaction to RECIPS."""
        self._refused(refused)
        rest = [r for r in recips if r not in refused]
        if error is None:
            if refused and not rest:
                syslog('smtp-failure', 'All recipients refused: %s, '
                       'msgid: %s', refused, self.msgid)
        elif isinstance(error, _ConnectFailure):
            with self.lock:
                first = error is not self._logged_failure
                self._logged_failure = error
            if first:
                syslog('smtp-failure', 'Cannot deliver: %s, msgid: %s',
                       error, self.msgid)
            self._fail(rest, error.code, error.text, True)
        elif isinstance(error, _SessionFailure):
            syslog('smtp-failure', 'SMTP session failure: %s, %s (%s), '
                   'msgid: %s', error.code, error.text, error.stage,
                   self.msgid)
            if error.code < 500 or error.code == 552:
                self._fail(rest, error.code, error.text, True)
        else:
            text = str(error) or type(error).__name__
            syslog('smtp-failure', 'Low level smtp error: %s, msgid: %s',
                   text, self.msgid)
            self._fail(rest, -1, text, True)

    def _refused(self, refused):
        for recip, (code, text) in refused.items():
            # A 552 to RCPT means "too many recipients" (RFC 5321 4.5.3.1.10
            # says servers should use 452): try again later.
            temporary = code < 500 or code == 552
            self._fail([recip], code, text, temporary)

    # ------------------------------------------------------------ running
    def run(self, chunks, work):
        """Call work(conn, chunk) for every chunk, on one connection or in
        MAX_DELIVERY_THREADS threads.  On an unexpected exception the chunks
        not done are left in msgdata['undelivered'] and it is raised."""
        nthreads = min(int(_cfg('MAX_DELIVERY_THREADS', 0) or 0), len(chunks))
        if nthreads <= 1:
            conn = Connection()
            index = 0
            try:
                for index, chunk in enumerate(chunks):
                    work(conn, chunk)
            except BaseException:
                self.msgdata['undelivered'] = chunks[index:]
                raise
            finally:
                conn.quit()
            self.msgdata.pop('undelivered', None)
            return
        state = {'next': 0, 'errors': [], 'stop': False}
        lock = threading.Lock()

        def worker():
            conn = Connection()
            try:
                while True:
                    with lock:
                        if state['stop'] or state['next'] >= len(chunks):
                            return
                        index = state['next']
                        state['next'] += 1
                    try:
                        work(conn, chunks[index])
                    except BaseException as error:
                        with lock:
                            state['errors'].append((index, error))
                            state['stop'] = True
                        return
            finally:
                conn.quit()

        threads = [threading.Thread(target=worker, name=f'smtp-{i}', daemon=True)
                   for i in range(nthreads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if state['errors']:
            failed = sorted(index for index, _ in state['errors'])
            self.msgdata['undelivered'] = [chunks[i] for i in failed] + \
                chunks[state['next']:]
            raise state['errors'][0][1]
        self.msgdata.pop('undelivered', None)


def process(mlist, msg, msgdata):
    recips = msgdata.get('recips')
    if not recips:
        return
    envsender = msgdata.get('envsender')
    if envsender is None:
        envsender = mlist.GetBouncesEmail()
    verp = bool(msgdata.get('verp'))
    per_recipient = bool(msgdata.get('personalize', True)) and bool(
        verp or msgdata.get('personalize') or mlist.personalize)
    max_rcpts = int(_cfg('SMTP_MAX_RCPTS', 500) or 0)
    if msgdata.get('undelivered'):
        chunks = [list(chunk) for chunk in msgdata['undelivered']]
    elif per_recipient:
        chunks = [[recip] for recip in recips]
    elif max_rcpts <= 0:
        chunks = [list(recips)]
    else:
        chunks = chunkify(recips, max_rcpts)
    # The sender for the log, taken before anything changes the message.
    origsender = msgdata.get('original_sender', msg.get_sender())
    delivery = _Delivery(mlist, msg, msgdata, envsender)
    decorate = not msgdata.get('decorated') and not msgdata.get('nodecorate')
    t0 = time.time()
    if not per_recipient:
        if decorate:
            _decorate_module().process(mlist, msg, msgdata)
            msgdata['decorated'] = True
        # Bounces go to the envelope sender, and to nothing older MTAs
        # might prefer.
        if mlist.include_sender_header:
            del msg['Sender']
            msg['Sender'] = _sender_header(mlist, envsender)
        del msg['Errors-To']
        msg['Errors-To'] = envsender
        prepared = prepare(msg)

        def work(conn, chunk):
            delivery.deliver(conn, envsender, chunk, prepared)
    elif not (msgdata.get('personalize') or mlist.personalize
              or (decorate and _mentions_reader(mlist))):
        # VERP only: the same text for everyone, decorated once.
        base = copy.deepcopy(msg)
        if decorate:
            _decorate_module().process(mlist, base, dict(msgdata))
        _strip_tail_headers(mlist, base, True)
        prepared = prepare(base)

        def work(conn, chunk):
            for recip in chunk:
                sender = _envelope(delivery, recip, verp)
                if sender is not None:
                    delivery.deliver(conn, sender, [recip], prepared,
                                     _tail(mlist, msgdata, recip, sender))
    else:
        # personalize 2 ("full") also addresses To: to the member.
        full = mlist.personalize == 2 or msgdata.get('personalize') == 2
        folded = {}

        def work(conn, chunk):
            for recip in chunk:
                sender = _envelope(delivery, recip, verp)
                if sender is None:
                    continue
                copied = _copy(msg)
                if decorate:
                    data = dict(msgdata)
                    data['recips'] = [recip]
                    data['personalize'] = 1
                    _decorate_module().process(mlist, copied, data)
                if full:
                    _address_to(mlist, copied, recip)
                _strip_tail_headers(mlist, copied, True)
                delivery.deliver(conn, sender, [recip], prepare(copied, folded),
                                 _tail(mlist, msgdata, recip, sender))
    delivery.run(chunks, work)
    t1 = time.time()
    _log(delivery, recips, origsender, t1 - t0)


def _copy(msg):
    """A copy of MSG for one recipient, much cheaper than deepcopy: every
    message object of the tree is new, with its own header list and its
    own list of parts, so whatever a handler adds, removes or replaces in
    the copy leaves MSG alone.  Strings are immutable; header values that
    are Header objects are shared, as nothing changes one in place."""
    new = copy.copy(msg)
    new._headers = list(msg._headers)
    payload = msg._payload
    if isinstance(payload, list):
        new._payload = [_copy(part) if hasattr(part, '_headers')
                        else copy.deepcopy(part) for part in payload]
    elif not isinstance(payload, (str, bytes, type(None))):
        new._payload = copy.deepcopy(payload)
    return new


def _envelope(delivery, recip, verp):
    if not verp:
        return delivery.envsender
    sender = _verp_sender(delivery.envsender, recip)
    if sender is None:
        # Without a domain there is no VERP address to make, and no
        # delivery the MTA could make either.
        syslog('smtp', 'Skipping VERP delivery to unqual recip: %s', recip)
    return sender


def _address_to(mlist, msg, recip):
    """To: the recipient, by name when the list knows it (personalize 2)."""
    del msg['To']
    name = None
    if mlist.isMember(recip):
        name = mlist.getMemberName(recip)
    if name:
        charset = Utils.GetCharSet(mlist.getMemberLanguage(recip))
        if name.isascii():
            msg['To'] = formataddr((name, recip))
        else:
            try:
                msg['To'] = formataddr((name, recip), charset=charset)
            except (LookupError, UnicodeError):
                msg['To'] = formataddr((name, recip), charset='utf-8')
    else:
        msg['To'] = recip


# ---------------------------------------------------------------- logging
class _LogDict(dict):
    """Values for the SMTP_LOG_* formats: msg_<header> and allmsg_<header>
    come from the message; unknown keys stay as written."""

    def __init__(self, msg, values):
        super().__init__(values)
        self._msg = msg

    def __missing__(self, key):
        if key.startswith('msg_'):
            return _one_line(self._msg.get(key[4:], 'n/a'))
        if key.startswith('allmsg_'):
            values = self._msg.get_all(key[7:])
            if not values:
                return 'n/a'
            return ', '.join(_one_line(v) for v in values)
        return '%(' + key + ')s'


def _one_line(value):
    return ' '.join(str(value).split())


def _write_log(setting, values):
    entry = _cfg(setting, None)
    if not entry:
        return
    try:
        logname, fmt = entry
        text = fmt % values
    except (TypeError, ValueError, KeyError) as error:
        syslog('error', 'Bad %s setting %r: %s', setting, entry, error)
        return
    syslog(logname, '%s', text)


def _log(delivery, recips, origsender, elapsed):
    msg, mlist, msgdata = delivery.msg, delivery.mlist, delivery.msgdata
    failures = delivery.failures
    values = _LogDict(msg, {
        'time': elapsed,
        'size': delivery.size or 0,
        '#recips': len(recips),
        '#refused': len(failures),
        'listname': mlist.internal_name(),
        'sender': origsender,
        'msgid': _one_line(msg.get('message-id', 'n/a')),
    })
    _write_log('SMTP_LOG_EVERY_MESSAGE', values)
    if failures:
        _write_log('SMTP_LOG_REFUSED', values)
    elif msgdata.get('tolist'):
        # Only posts to the list; not mail to the owners or from Mailman.
        _write_log('SMTP_LOG_SUCCESS', values)
    tempfailures, permfailures = [], []
    for recip, (code, text, temporary) in failures.items():
        (tempfailures if temporary else permfailures).append(recip)
        values.update({'recipient': recip, 'recip': recip,
                       'failcode': code, 'smtpcode': code,
                       'failmsg': _one_line(text), 'smtpmsg': _one_line(text)})
        _write_log('SMTP_LOG_EACH_FAILURE', values)
    if tempfailures or permfailures:
        failure = Errors.SomeRecipientsFailed(tempfailures, permfailures)
        # The servers' replies let the bounce code tell a refusal caused by
        # the list (a DMARC policy, a blocklist) from a dead address.
        failure.replies = {recip: (code, text) for recip, (code, text, _t)
                           in failures.items()}
        raise failure
