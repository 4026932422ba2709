"""Talking to a news server (RFC 3977), for the Usenet gateway.

Python 3.13 has no nntplib; the gateway needs only a few commands, so they
are here.  Posting (NewsRunner): the greeting, optional AUTHINFO USER/PASS
(RFC 4643), POST with the article dot-stuffed and in CRLF lines, QUIT.
Reading (cron/gate_news): Reader, with MODE READER, GROUP, HEAD and BODY.
"""

import socket

DEFAULT_PORT = 119
TIMEOUT = 60
# Articles may carry long lines; a line longer than this is cut up.
MAX_LINE = 1 << 20


class NNTPError(Exception):
    """The server refused.  temporary says whether trying later may help."""

    def __init__(self, reply, temporary):
        super().__init__(reply)
        self.reply = reply
        self.temporary = temporary


def split_host(hostspec):
    """'host' or 'host:port' -> (host, port)."""
    host, colon, port = hostspec.rpartition(':')
    if colon and port.isdigit() and ']' not in port:
        return host.strip('[]'), int(port)
    return hostspec, DEFAULT_PORT


def article_bytes(msg_bytes):
    """The article as NNTP sends it: CRLF lines, leading dots doubled,
    ended by a line with a single dot."""
    lines = msg_bytes.replace(b'\r\n', b'\n').replace(b'\r', b'\n')
    if lines.endswith(b'\n'):
        lines = lines[:-1]
    out = []
    for line in lines.split(b'\n'):
        out.append(b'.' + line if line.startswith(b'.') else line)
    return b'\r\n'.join(out) + b'\r\n.\r\n'


class _Connection:
    def __init__(self, host, port, timeout):
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._file = self._sock.makefile('rb')

    def reply(self):
        line = self._file.readline(4096)
        if not line:
            raise NNTPError('connection closed by the server', True)
        return line.rstrip(b'\r\n').decode('utf-8', 'replace')

    def raw_line(self):
        """One line of a multi-line answer, as bytes without its CRLF."""
        line = self._file.readline(MAX_LINE)
        if not line:
            raise NNTPError('connection closed by the server', True)
        return line.rstrip(b'\r\n')

    def command(self, text):
        self._sock.sendall(text.encode('utf-8') + b'\r\n')
        return self.reply()

    def send(self, data):
        self._sock.sendall(data)

    def close(self):
        try:
            self._file.close()
        finally:
            self._sock.close()


def _expect(reply, *codes):
    if reply[:3] in codes:
        return
    # 4xx may succeed later; 5xx will not.  441 "posting failed" is the
    # server's verdict on this article, so it counts as final.
    temporary = reply.startswith('4') and not reply.startswith('441')
    raise NNTPError(reply, temporary)


def post(hostspec, msg_bytes, username=None, password=None,
         timeout=TIMEOUT):
    """Post the article MSG_BYTES.  Raises NNTPError or OSError."""
    host, port = split_host(hostspec)
    connection = _Connection(host, port, timeout)
    try:
        greeting = connection.reply()
        _expect(greeting, '200', '201')
        if username:
            _expect(connection.command(f'AUTHINFO USER {username}'),
                    '281', '381')
            if password is not None:
                _expect(connection.command(f'AUTHINFO PASS {password}'),
                        '281')
        reply = connection.command('POST')
        if reply.startswith('401'):
            # A transit-mode server (INN's innd) takes posts from readers
            # only after MODE READER.
            connection.command('MODE READER')
            reply = connection.command('POST')
        _expect(reply, '340')
        connection.send(article_bytes(msg_bytes))
        _expect(connection.reply(), '240')
        try:
            connection.command('QUIT')
        except (OSError, NNTPError):
            pass
    finally:
        connection.close()


class Reader:
    """A reading session: GROUP, then HEAD and BODY by article number.
    Use it as a context manager, or call close()."""

    def __init__(self, hostspec, username=None, password=None,
                 timeout=TIMEOUT):
        host, port = split_host(hostspec)
        self._connection = _Connection(host, port, timeout)
        try:
            _expect(self._connection.reply(), '200', '201')
            # Servers that are readers only answer 5xx; that is fine.
            self._connection.command('MODE READER')
            if username:
                reply = self._connection.command(f'AUTHINFO USER {username}')
                _expect(reply, '281', '381')
                if reply.startswith('381') and password is not None:
                    _expect(self._connection.command(
                        f'AUTHINFO PASS {password}'), '281')
        except BaseException:
            self._connection.close()
            raise

    def group(self, name):
        """Select newsgroup NAME: (count, first, last) article numbers."""
        reply = self._connection.command(f'GROUP {name}')
        _expect(reply, '211')
        fields = reply.split()
        try:
            return int(fields[1]), int(fields[2]), int(fields[3])
        except (IndexError, ValueError):
            raise NNTPError(f'unreadable GROUP reply: {reply}', False) \
                from None

    def head(self, number):
        """The header lines (bytes, without line ends) of article NUMBER,
        or None when the server has no such article."""
        return self._fetch('HEAD', number, '221')

    def body(self, number):
        """The body lines of article NUMBER, or None when it is gone."""
        return self._fetch('BODY', number, '222')

    def _fetch(self, verb, number, code):
        reply = self._connection.command(f'{verb} {int(number)}')
        # 423: no article with that number (expired or cancelled).
        if reply.startswith(('423', '430')):
            return None
        _expect(reply, code)
        return self._read_block()

    def _read_block(self):
        """A multi-line block: lines up to the lone dot, dots undoubled."""
        lines = []
        while True:
            line = self._connection.raw_line()
            if line == b'.':
                return lines
            lines.append(line[1:] if line.startswith(b'.') else line)

    def close(self):
        try:
            self._connection.command('QUIT')
        except (OSError, NNTPError):
            pass
        finally:
            self._connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
