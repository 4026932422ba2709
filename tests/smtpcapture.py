"""A strict SMTP server for tests: it records what it receives and refuses
what a careful real receiver would refuse.

    with SMTPCaptureServer(extensions=('8BITMIME', 'PIPELINING')) as server:
        ... deliver to server.host, server.port ...
        [txn] = server.accepted()
        assert txn.rcpt_tos == ['a@example.com']
        assert server.violations == []

It runs an asyncio event loop in a background thread, so synchronous tests
(and code under test that blocks on sockets) can use it.  It listens on
127.0.0.1 on a port the kernel picks.

What it checks, beyond the command grammar (RFC 5321, 2920, 3207, 4954,
6152, 6531):
  * every line, command or message text, ends in CRLF: a bare LF or a bare
    CR is a violation;
  * no command line is longer than 512 octets and no text line longer than
    998 octets (both without the CRLF);
  * lines of message text that start with a dot are dot-stuffed: a text
    line that starts with one dot followed by anything but a second dot
    means the client forgot to stuff it;
  * 8-bit octets in the message only with BODY=8BITMIME (or SMTPUTF8), and
    non-ASCII headers or envelope addresses only with SMTPUTF8; a parameter
    for an extension the server did not offer is refused;
  * commands sent before the previous reply was read only when PIPELINING
    was offered, and even then never past DATA, STARTTLS, AUTH or EHLO.
Each problem is recorded as a Violation; a transaction with a violation in
its message text is refused with a 5xx reply (and recorded, refused).

The server can also be told to misbehave: refuse chosen recipients with a
chosen reply, fail the next N transactions at MAIL, RCPT or end of data,
hang up on them, or refuse the next N connections at the greeting.
"""

import asyncio
import base64
import binascii
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

__all__ = ['SMTPCaptureServer', 'Transaction', 'Violation', 'Session',
           'self_signed_certificate']

COMMAND_LINE_LIMIT = 512          # RFC 5321 4.5.3.1.4, CRLF included
TEXT_LINE_LIMIT = 998             # RFC 5321 4.5.3.1.6, CRLF excluded
BUFFER_LIMIT = 64 * 1024 * 1024   # give up on a peer that sends no line end

_EIGHT_BIT = re.compile(rb'[\x80-\xff]')
_BARE_LF = re.compile(rb'(?<!\r)\n')
_BARE_CR = re.compile(rb'\r(?!\n)')
_LONG_LINE = re.compile(rb'[^\r\n]{%d}' % (TEXT_LINE_LIMIT + 1))
_UNSTUFFED_DOT = re.compile(rb'(?m)^\.(?!\.)')
# The end of the message text: a line holding just a dot.  A bare LF is
# accepted as a line end here only so that a broken client is recorded
# rather than left hanging; it is a violation all the same.
_END_OF_DATA = re.compile(rb'(?:^|\n)\.\r?\n')
_PATH = re.compile(r'^(?:FROM|TO):\s*<([^<>]*)>(.*)$', re.IGNORECASE | re.DOTALL)

_CERT_LOCK = threading.Lock()
_CERT = None


def self_signed_certificate():
    """(certfile, keyfile) of a throw-away certificate for localhost, made
    once per process with the openssl command."""
    global _CERT
    with _CERT_LOCK:
        if _CERT is None:
            openssl = shutil.which('openssl')
            if openssl is None:
                raise RuntimeError('the openssl command is needed for STARTTLS')
            directory = tempfile.mkdtemp(prefix='smtpcapture-tls-')
            cert = os.path.join(directory, 'cert.pem')
            key = os.path.join(directory, 'key.pem')
            subprocess.run(
                [openssl, 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key,
                 '-out', cert, '-days', '2', '-subj', '/CN=localhost',
                 '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
                check=True, capture_output=True)
            _CERT = (cert, key)
        return _CERT


@dataclass
class Violation:
    session: int
    kind: str
    detail: str = ''


@dataclass
class Transaction:
    session: int
    helo: str
    tls: bool
    auth: str | None
    mail_from: str
    mail_options: list
    rcpt_tos: list = field(default_factory=list)     # accepted recipients
    refused: dict = field(default_factory=dict)      # recipient -> (code, text)
    wire: bytes = b''         # message text as it came over the wire
    data: bytes = b''         # the same, dot-unstuffed (CRLF line ends kept)
    reply: tuple = (0, '')    # the final reply given to the message text
    violations: list = field(default_factory=list)

    @property
    def accepted(self):
        return self.reply[0] == 250

    def message(self):
        """The received message parsed with the email package."""
        import email
        import email.policy
        return email.message_from_bytes(self.data, policy=email.policy.compat32)


@dataclass
class Session:
    number: int
    peer: tuple
    helo: str = ''
    esmtp: bool = False
    tls: bool = False
    auth: str | None = None
    commands: list = field(default_factory=list)   # command lines (bytes)
    transactions: int = 0
    closed: bool = False


class _Disconnect(Exception):
    pass


class SMTPCaptureServer:
    """The server.  EXTENSIONS names what EHLO offers, from 8BITMIME,
    SMTPUTF8, PIPELINING, SIZE, STARTTLS, AUTH, ENHANCEDSTATUSCODES.
    CREDENTIALS maps user names to passwords for AUTH PLAIN and LOGIN.
    MAX_RECIPIENTS answers 452 to RCPTs beyond that many in a transaction;
    DATA_DELAY (seconds) holds back each reply to the message text."""

    def __init__(self, extensions=('8BITMIME', 'PIPELINING', 'SIZE'), *,
                 hostname='capture.test', size_limit=50 * 1024 * 1024,
                 credentials=None, auth_required=False, tls_required=False,
                 auth_needs_tls=False, max_recipients=None, data_delay=0):
        self.extensions = {e.upper() for e in extensions}
        unknown = self.extensions - {'8BITMIME', 'SMTPUTF8', 'PIPELINING', 'SIZE',
                                     'STARTTLS', 'AUTH', 'ENHANCEDSTATUSCODES'}
        if unknown:
            raise ValueError(f'unsupported extensions: {sorted(unknown)}')
        self.hostname = hostname
        self.size_limit = size_limit
        self.credentials = dict(credentials or {})
        self.auth_required = auth_required
        self.tls_required = tls_required
        self.auth_needs_tls = auth_needs_tls
        self.max_recipients = max_recipients
        self.data_delay = data_delay
        self.host = '127.0.0.1'
        self.port = None
        self._lock = threading.Lock()
        self._transactions = []
        self._violations = []
        self._sessions = []
        self._recipient_replies = {}
        self._failures = []            # [stage, code, text, remaining]
        self._refuse_connections = []  # [code, text, remaining]
        self._loop = None
        self._thread = None
        self._server = None
        self._tasks = set()
        self._writers = set()
        self._ssl_context = None

    # ------------------------------------------------------------ control
    def start(self):
        if self._thread is not None:
            return self
        if 'STARTTLS' in self.extensions:
            cert, key = self_signed_certificate()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            self._ssl_context = context
        ready = threading.Event()
        failure = []

        def run():
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(asyncio.start_server(
                    self._serve, self.host, 0, limit=BUFFER_LIMIT))
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as error:          # pragma: no cover
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                # Sessions first: from Python 3.12 on, wait_closed() waits
                # for every open connection.
                self._server.close()
                for writer in list(self._writers):
                    # abort(): a TLS transport would otherwise wait for the
                    # peer's close_notify.
                    writer.transport.abort()
                for task in list(self._tasks):
                    task.cancel()
                if self._tasks:
                    loop.run_until_complete(asyncio.gather(
                        *self._tasks, return_exceptions=True))
                loop.run_until_complete(self._server.wait_closed())
                loop.close()

        self._thread = threading.Thread(target=run, name='smtpcapture',
                                         daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]
        return self

    def stop(self):
        if self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reject_recipient(self, address, code=550,
                         text='5.1.1 No such user here'):
        """Answer CODE TEXT to every RCPT TO naming ADDRESS (until clear())."""
        with self._lock:
            self._recipient_replies[address.lower()] = (code, text)

    def fail_next(self, count=1, code=451, text=None, stage='mail', after=0):
        """Fail the next COUNT transactions (after letting AFTER through).
        STAGE is 'mail' (reply CODE to MAIL FROM), 'rcpt' (to every RCPT
        TO), 'data' (to the end of the message text), or 'disconnect' /
        'disconnect-data' (hang up instead of answering MAIL FROM / the end
        of the message text)."""
        if stage not in ('mail', 'rcpt', 'data', 'disconnect', 'disconnect-data'):
            raise ValueError(stage)
        if text is None:
            text = ('4.3.0 Try again later' if code < 500
                    else '5.7.1 Refused by policy')
        with self._lock:
            self._failures.append([stage, code, text, count, after])

    def refuse_connections(self, count=1, code=421,
                           text='4.3.2 Service not available, closing channel'):
        """Greet the next COUNT connections with CODE TEXT and close them."""
        with self._lock:
            self._refuse_connections.append([code, text, count])

    def clear(self):
        """Forget what was recorded and every failure still scheduled."""
        with self._lock:
            self._transactions.clear()
            self._violations.clear()
            self._sessions.clear()
            self._recipient_replies.clear()
            self._failures.clear()
            self._refuse_connections.clear()

    # ------------------------------------------------------------ results
    @property
    def transactions(self):
        """Every transaction that reached the message text, in order."""
        with self._lock:
            return list(self._transactions)

    def accepted(self):
        return [t for t in self.transactions if t.accepted]

    @property
    def violations(self):
        with self._lock:
            return list(self._violations)

    @property
    def sessions(self):
        with self._lock:
            return list(self._sessions)

    def wait_for(self, count, timeout=10):
        """Wait until COUNT transactions are recorded; returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.transactions
            if len(found) >= count:
                return found
            time.sleep(0.01)
        return self.transactions

    def wait_closed(self, timeout=10):
        """Wait until every session has ended (the client said QUIT or hung
        up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(s.closed for s in self.sessions):
                return True
            time.sleep(0.01)
        return False

    # ------------------------------------------------------------ internals
    def _take_failure(self, stages):
        with self._lock:
            chosen = None
            for entry in self._failures:
                if entry[0] not in stages or entry[3] <= 0:
                    continue
                if entry[4] > 0:
                    entry[4] -= 1       # one more let through
                elif chosen is None:
                    chosen = entry
            if chosen is not None:
                chosen[3] -= 1
                return chosen[0], chosen[1], chosen[2]
        return None

    def _violation(self, session, kind, detail=''):
        v = Violation(session.number, kind, detail)
        with self._lock:
            self._violations.append(v)
        return v

    async def _serve(self, reader, writer):
        task = asyncio.current_task()
        self._tasks.add(task)
        self._writers.add(writer)
        with self._lock:
            session = Session(len(self._sessions) + 1,
                              writer.get_extra_info('peername'))
            self._sessions.append(session)
        handler = _Handler(self, session, reader, writer)
        try:
            await handler.run()
        except (_Disconnect, ConnectionError, asyncio.IncompleteReadError,
                ssl.SSLError, asyncio.CancelledError):
            pass
        finally:
            session.closed = True
            self._tasks.discard(task)
            self._writers.discard(writer)
            try:
                writer.close()
            except Exception:                           # pragma: no cover
                pass


class _Handler:
    """One SMTP session."""

    def __init__(self, server, session, reader, writer):
        self.server = server
        self.session = session
        self.reader = reader
        self.writer = writer
        self.buffer = bytearray()
        self.reset()

    def reset(self):
        self.txn = None

    # -------------------------------------------------------------- I/O
    async def fill(self):
        chunk = await self.reader.read(256 * 1024)
        if not chunk:
            raise _Disconnect()
        self.buffer += chunk
        if len(self.buffer) > BUFFER_LIMIT:
            self.server._violation(self.session, 'line-too-long',
                                   'no line end in 64 MB')
            raise _Disconnect()

    async def read_line(self):
        """The next command line, without its line end, and a list of
        problems with it ('bare-lf', 'bare-cr')."""
        while True:
            lf = self.buffer.find(b'\n')
            if lf >= 0:
                break
            await self.fill()
        raw = bytes(self.buffer[:lf + 1])
        del self.buffer[:lf + 1]
        problems = []
        if not raw.endswith(b'\r\n'):
            problems.append('bare-lf')
            line = raw[:-1]
        else:
            line = raw[:-2]
        if b'\r' in line:
            problems.append('bare-cr')
        return raw, line, problems

    async def reply(self, code, text):
        lines = text.split('\n')
        out = []
        for i, line in enumerate(lines):
            sep = ' ' if i == len(lines) - 1 else '-'
            out.append(f'{code}{sep}{line}\r\n')
        self.writer.write(''.join(out).encode('utf-8'))
        await self.writer.drain()

    def pipelined(self, command, must_be_last=False):
        """Check that nothing follows COMMAND in the input when it must not."""
        if not self.buffer:
            return
        if 'PIPELINING' not in self.server.extensions:
            self.server._violation(self.session, 'pipelining-not-offered',
                                   f'input after {command} before its reply')
        elif must_be_last:
            self.server._violation(self.session, 'pipelining-after-' + command.lower(),
                                   f'input after {command}, which must end a group')

    # ---------------------------------------------------------- session
    async def run(self):
        server = self.server
        refusal = None
        with server._lock:
            for entry in server._refuse_connections:
                if entry[2] > 0:
                    entry[2] -= 1
                    refusal = entry
                    break
        if refusal:
            await self.reply(refusal[0], refusal[1])
            return
        await self.reply(220, f'{server.hostname} ESMTP smtpcapture')
        while True:
            raw, line, problems = await self.read_line()
            self.session.commands.append(raw)
            if problems:
                for p in problems:
                    server._violation(self.session, p, repr(raw[:80]))
                await self.reply(500, '5.5.2 Line ends must be CRLF')
                continue
            if len(raw) > COMMAND_LINE_LIMIT:
                server._violation(self.session, 'command-too-long', repr(raw[:80]))
                await self.reply(500, '5.5.2 Line too long')
                continue
            try:
                text = line.decode('ascii')
            except UnicodeDecodeError:
                utf8_ok = (self.txn is not None and self.txn.get('smtputf8')) or (
                    'SMTPUTF8' in server.extensions
                    and line[:10].upper().startswith(b'MAIL FROM:')
                    and b'SMTPUTF8' in line.upper())
                try:
                    text = line.decode('utf-8')
                except UnicodeDecodeError:
                    utf8_ok = False
                    text = None
                if not utf8_ok:
                    server._violation(self.session, 'non-ascii-command',
                                      repr(line[:80]))
                    await self.reply(553, '5.6.7 Non-ASCII needs SMTPUTF8')
                    continue
            verb, _, arg = text.partition(' ')
            verb = verb.upper()
            method = getattr(self, 'do_' + verb, None)
            if method is None:
                await self.reply(500, '5.5.1 Command unrecognized')
                continue
            if await method(arg) == 'quit':
                return

    async def do_HELO(self, arg):
        self.pipelined('HELO', must_be_last=True)
        if not arg.strip():
            await self.reply(501, '5.5.4 HELO needs a domain')
            return
        self.session.helo = arg.strip()
        self.session.esmtp = False
        self.reset()
        await self.reply(250, self.server.hostname)

    async def do_EHLO(self, arg):
        self.pipelined('EHLO', must_be_last=True)
        if not arg.strip():
            await self.reply(501, '5.5.4 EHLO needs a domain')
            return
        self.session.helo = arg.strip()
        self.session.esmtp = True
        self.reset()
        ext = self.server.extensions
        lines = [self.server.hostname]
        for name in ('PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES'):
            if name in ext:
                lines.append(name)
        if 'SIZE' in ext:
            lines.append(f'SIZE {self.server.size_limit}')
        if 'STARTTLS' in ext and not self.session.tls:
            lines.append('STARTTLS')
        if self.auth_offered():
            lines.append('AUTH PLAIN LOGIN')
        await self.reply(250, '\n'.join(lines))

    def auth_offered(self):
        return ('AUTH' in self.server.extensions
                and (self.session.tls or not self.server.auth_needs_tls))

    async def do_STARTTLS(self, arg):
        if 'STARTTLS' not in self.server.extensions or not self.session.esmtp:
            await self.reply(502, '5.5.1 STARTTLS not offered')
            return
        if self.session.tls:
            await self.reply(503, '5.5.1 TLS already active')
            return
        if arg.strip():
            await self.reply(501, '5.5.4 STARTTLS takes no argument')
            return
        if self.buffer:
            # RFC 3207 section 4.2 and the STARTTLS command injection
            # attacks: nothing sent in the clear may be read after TLS.
            self.server._violation(self.session, 'pipelining-after-starttls',
                                   repr(bytes(self.buffer[:80])))
            self.buffer.clear()
        await self.reply(220, '2.0.0 Ready to start TLS')
        await self.writer.start_tls(self.server._ssl_context)
        self.session.tls = True
        self.session.helo = ''
        self.session.esmtp = False
        self.session.auth = None
        self.reset()

    async def do_AUTH(self, arg):
        self.pipelined('AUTH', must_be_last=True)
        if not self.auth_offered() or not self.session.esmtp:
            await self.reply(503, '5.5.1 AUTH not available')
            return
        if self.session.auth is not None:
            await self.reply(503, '5.5.1 Already authenticated')
            return
        if self.txn is not None:
            await self.reply(503, '5.5.1 AUTH not allowed in a transaction')
            return
        mechanism, _, initial = arg.strip().partition(' ')
        mechanism = mechanism.upper()
        try:
            if mechanism == 'PLAIN':
                if not initial:
                    await self.reply(334, '')
                    initial = await self.auth_response()
                parts = _b64(initial).split(b'\0')
                if len(parts) != 3:
                    raise ValueError('bad PLAIN response')
                user, password = parts[1], parts[2]
            elif mechanism == 'LOGIN':
                if not initial:
                    await self.reply(334, 'VXNlcm5hbWU6')
                    initial = await self.auth_response()
                user = _b64(initial)
                await self.reply(334, 'UGFzc3dvcmQ6')
                password = _b64(await self.auth_response())
            else:
                await self.reply(504, '5.5.4 Unrecognized authentication type')
                return
        except _Cancelled:
            await self.reply(501, '5.7.0 Authentication cancelled')
            return
        except (ValueError, binascii.Error):
            await self.reply(501, '5.5.2 Cannot decode response')
            return
        user = user.decode('utf-8', 'replace')
        password = password.decode('utf-8', 'replace')
        if self.server.credentials.get(user) == password and user:
            self.session.auth = user
            await self.reply(235, '2.7.0 Authentication successful')
        else:
            await self.reply(535, '5.7.8 Authentication credentials invalid')

    async def auth_response(self):
        raw, line, problems = await self.read_line()
        if problems:
            for p in problems:
                self.server._violation(self.session, p, 'in AUTH response')
        if line.strip() == b'*':
            raise _Cancelled()
        return line.strip().decode('ascii', 'replace')

    async def do_MAIL(self, arg):
        server = self.server
        if not self.session.helo:
            await self.reply(503, '5.5.1 Send HELO or EHLO first')
            return
        if self.txn is not None:
            await self.reply(503, '5.5.1 Nested MAIL command')
            return
        if server.tls_required and not self.session.tls:
            await self.reply(530, '5.7.0 Must issue a STARTTLS command first')
            return
        if server.auth_required and self.session.auth is None:
            await self.reply(530, '5.7.0 Authentication required')
            return
        match = _PATH.match(arg)
        if not match or not arg[:5].upper() == 'FROM:':
            await self.reply(501, '5.5.4 Syntax: MAIL FROM:<address>')
            return
        address, params = match.group(1), match.group(2).split()
        options = {}
        if params and not self.session.esmtp:
            server._violation(self.session, 'parameter-not-offered',
                              'MAIL parameters after HELO')
            await self.reply(555, '5.5.4 No parameters without EHLO')
            return
        for param in params:
            key, _, value = param.partition('=')
            options[key.upper()] = value
        for key, value in options.items():
            if key == 'BODY':
                if not self.session.esmtp or value.upper() not in ('7BIT', '8BITMIME') or (
                        value.upper() == '8BITMIME' and '8BITMIME' not in server.extensions):
                    server._violation(self.session, 'parameter-not-offered', param)
                    await self.reply(555, f'5.5.4 Unsupported BODY={value}')
                    return
            elif key == 'SMTPUTF8':
                if 'SMTPUTF8' not in server.extensions or value:
                    server._violation(self.session, 'parameter-not-offered', 'SMTPUTF8')
                    await self.reply(555, '5.5.4 SMTPUTF8 not offered')
                    return
            elif key == 'SIZE':
                if 'SIZE' not in server.extensions or not value.isdigit():
                    server._violation(self.session, 'parameter-not-offered', 'SIZE')
                    await self.reply(555, '5.5.4 SIZE not offered')
                    return
                if int(value) > server.size_limit:
                    await self.reply(552, '5.3.4 Message size exceeds fixed limit')
                    return
            else:
                server._violation(self.session, 'parameter-not-offered', key)
                await self.reply(555, f'5.5.4 Unsupported parameter {key}')
                return
        self.pipelined('MAIL')
        failure = server._take_failure(('mail', 'disconnect', 'rcpt', 'data',
                                        'disconnect-data'))
        if failure and failure[0] == 'disconnect':
            raise _Disconnect()
        if failure and failure[0] == 'mail':
            await self.reply(failure[1], failure[2])
            return
        self.txn = {'from': address, 'options': params, 'rcpts': [],
                    'refused': {}, 'failure': failure,
                    'smtputf8': 'SMTPUTF8' in options,
                    'body': options.get('BODY', '7BIT').upper()}
        await self.reply(250, '2.1.0 Ok')

    async def do_RCPT(self, arg):
        server = self.server
        self.pipelined('RCPT')
        if self.txn is None:
            await self.reply(503, '5.5.1 Need MAIL before RCPT')
            return
        match = _PATH.match(arg)
        if not match or not arg[:3].upper() == 'TO:' or not match.group(1):
            await self.reply(501, '5.5.4 Syntax: RCPT TO:<address>')
            return
        address = match.group(1)
        if match.group(2).strip():
            server._violation(self.session, 'parameter-not-offered',
                              match.group(2).strip())
            await self.reply(555, '5.5.4 Unsupported RCPT parameter')
            return
        failure = self.txn['failure']
        with server._lock:
            planned = server._recipient_replies.get(address.lower())
        if failure and failure[0] == 'rcpt':
            planned = (failure[1], failure[2])
        if planned is None and server.max_recipients is not None and (
                len(self.txn['rcpts']) >= server.max_recipients):
            planned = (452, '4.5.3 Too many recipients')
        if planned is not None:
            self.txn['refused'][address] = planned
            await self.reply(*planned)
            return
        self.txn['rcpts'].append(address)
        await self.reply(250, '2.1.5 Ok')

    async def do_DATA(self, arg):
        server = self.server
        self.pipelined('DATA', must_be_last=True)
        if self.txn is None:
            await self.reply(503, '5.5.1 Need MAIL command')
            return
        if not self.txn['rcpts']:
            await self.reply(554, '5.5.1 No valid recipients')
            return
        await self.reply(354, 'End data with <CR><LF>.<CR><LF>')
        # Collect the text up to the line holding a lone dot.
        start = 0
        while True:
            match = _END_OF_DATA.search(self.buffer, max(0, start - 4))
            if match:
                break
            start = len(self.buffer)
            await self.fill()
        found = match.group()
        if found.startswith(b'\n'):
            end, terminator = match.start() + 1, found[1:]
        else:
            end, terminator = match.start(), found
        wire = bytes(self.buffer[:end])
        del self.buffer[:match.end()]
        txn = self.txn
        self.txn = None
        session = self.session
        problems = []
        if terminator != b'.\r\n' or (wire and not wire.endswith(b'\r\n')):
            problems.append(('bare-lf', 'in the end-of-data line'))
        for kind, pattern in (('bare-lf', _BARE_LF), ('bare-cr', _BARE_CR),
                              ('line-too-long', _LONG_LINE),
                              ('dot-not-stuffed', _UNSTUFFED_DOT)):
            found = pattern.search(wire)
            if found:
                line_start = wire.rfind(b'\n', 0, found.start()) + 1
                problems.append((kind, f'at octet {found.start()}: '
                                 f'{wire[line_start:line_start + 60]!r}'))
        data = re.sub(rb'(?m)^\.', b'', wire)
        if _EIGHT_BIT.search(data) and txn['body'] != '8BITMIME' \
                and not txn['smtputf8']:
            problems.append(('8bit-without-8bitmime', ''))
        head = data.split(b'\r\n\r\n', 1)[0]
        if _EIGHT_BIT.search(head) and not txn['smtputf8']:
            problems.append(('8bit-header-without-smtputf8', ''))
        if len(data) > server.size_limit and 'SIZE' in server.extensions:
            problems.append(('size-exceeded', str(len(data))))
        self.pipelined('end of data')   # legal with PIPELINING (RFC 2920 3.1)
        record = Transaction(
            session=session.number, helo=session.helo, tls=session.tls,
            auth=session.auth, mail_from=txn['from'],
            mail_options=txn['options'], rcpt_tos=txn['rcpts'],
            refused=txn['refused'], wire=wire, data=data)
        for kind, detail in problems:
            record.violations.append(server._violation(session, kind, detail))
        failure = txn['failure']
        if failure and failure[0] == 'disconnect-data':
            record.reply = (-1, 'disconnected')
            with server._lock:
                server._transactions.append(record)
            raise _Disconnect()
        if problems:
            kind = problems[0][0]
            code, text = (552, '5.3.4 Message too big') if kind == 'size-exceeded' \
                else (554, f'5.6.0 Refused: {kind}')
        elif failure and failure[0] == 'data':
            code, text = failure[1], failure[2]
        else:
            code, text = 250, f'2.0.0 Ok: queued as {session.number}.{session.transactions + 1}'
        if server.data_delay:
            await asyncio.sleep(server.data_delay)
        record.reply = (code, text)
        session.transactions += 1
        with server._lock:
            server._transactions.append(record)
        await self.reply(code, text)

    async def do_RSET(self, arg):
        self.pipelined('RSET')
        self.reset()
        await self.reply(250, '2.0.0 Ok')

    async def do_NOOP(self, arg):
        self.pipelined('NOOP', must_be_last=True)
        await self.reply(250, '2.0.0 Ok')

    async def do_VRFY(self, arg):
        self.pipelined('VRFY', must_be_last=True)
        await self.reply(252, '2.0.0 Cannot VRFY user')

    async def do_QUIT(self, arg):
        await self.reply(221, '2.0.0 Bye')
        return 'quit'


class _Cancelled(Exception):
    pass


def _b64(text):
    return base64.b64decode(text.encode('ascii'), validate=True)
