"""Posting an article to a news server (RFC 3977), for the Usenet gateway.

Python 3.13 has no nntplib; posting needs only a few commands, so they are
here: the greeting, optional AUTHINFO USER/PASS (RFC 4643), POST with the
article dot-stuffed and in CRLF lines, QUIT.
"""

import socket

DEFAULT_PORT = 119
TIMEOUT = 60


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
        _expect(connection.command('POST'), '340')
        connection.send(article_bytes(msg_bytes))
        _expect(connection.reply(), '240')
        try:
            connection.command('QUIT')
        except (OSError, NNTPError):
            pass
    finally:
        connection.close()
