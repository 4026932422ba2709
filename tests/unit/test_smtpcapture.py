"""tests/smtpcapture.py: the strict SMTP server the delivery tests use.

The checks are only worth something if the server really catches what a
careless client does, so these tests talk to it with raw bytes over a
socket, breaking the rules on purpose.
"""

import base64
import smtplib
import socket
import ssl
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smtpcapture import SMTPCaptureServer  # noqa: E402


class Raw:
    """A bare SMTP client: send bytes, read replies."""

    def __init__(self, server):
        self.sock = socket.create_connection((server.host, server.port), 10)
        self.file = self.sock.makefile('rb')
        self.greeting = self.reply()

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                return None, lines
            lines.append(line.rstrip(b'\r\n').decode())
            if line[3:4] != b'-':
                return int(line[:3]), lines

    def code(self, data):
        self.send(data)
        return self.reply()[0]

    def close(self):
        self.file.close()
        self.sock.close()


@pytest.fixture
def server():
    with SMTPCaptureServer(extensions=('8BITMIME', 'PIPELINING', 'SIZE')) as s:
        yield s


def kinds(server):
    return [v.kind for v in server.violations]


def envelope(c, sender=b'a@example.com', rcpt=b'b@example.com', opts=b''):
    assert c.code(b'EHLO client.example\r\n') == 250
    assert c.code(b'MAIL FROM:<' + sender + b'>' + opts + b'\r\n') == 250
    assert c.code(b'RCPT TO:<' + rcpt + b'>\r\n') == 250
    assert c.code(b'DATA\r\n') == 354


# ---------------------------------------------------------------- recording
def test_a_clean_transaction_is_recorded_exactly(server):
    c = Raw(server)
    assert c.greeting[0] == 220
    envelope(c)
    text = b'Subject: x\r\n\r\n..leading dot\r\nline\r\n...two\r\n'
    assert c.code(text + b'.\r\n') == 250
    assert c.code(b'QUIT\r\n') == 221
    [txn] = server.accepted()
    assert txn.mail_from == 'a@example.com'
    assert txn.rcpt_tos == ['b@example.com']
    assert txn.wire == text
    assert txn.data == b'Subject: x\r\n\r\n.leading dot\r\nline\r\n..two\r\n'
    assert txn.helo == 'client.example'
    assert server.violations == []


def test_empty_message(server):
    c = Raw(server)
    envelope(c)
    assert c.code(b'.\r\n') == 250
    assert server.accepted()[0].data == b''
    assert server.violations == []


def test_smtplib_works_against_it(server):
    with smtplib.SMTP(server.host, server.port) as client:
        refused = client.sendmail('a@example.com', ['b@example.com'],
                                  b'Subject: hi\r\n\r\nbody\r\n')
    assert refused == {}
    assert server.accepted()[0].data == b'Subject: hi\r\n\r\nbody\r\n'


# ---------------------------------------------------------------- line ends
def test_bare_lf_in_a_command(server):
    c = Raw(server)
    assert c.code(b'EHLO x\n') == 500
    assert kinds(server) == ['bare-lf']
    # The session goes on.
    assert c.code(b'EHLO x\r\n') == 250


def test_bare_cr_in_a_command(server):
    c = Raw(server)
    assert c.code(b'EHLO x\rNOOP\r\n') == 500
    assert kinds(server) == ['bare-cr']


def test_bare_lf_in_message_text(server):
    c = Raw(server)
    envelope(c)
    assert c.code(b'Subject: x\r\n\r\none\ntwo\r\n.\r\n') == 554
    assert kinds(server) == ['bare-lf']
    [txn] = server.transactions
    assert not txn.accepted and txn.violations[0].kind == 'bare-lf'
    assert server.accepted() == []


def test_bare_cr_in_message_text(server):
    c = Raw(server)
    envelope(c)
    assert c.code(b'Subject: x\r\n\r\none\rtwo\r\n.\r\n') == 554
    assert kinds(server) == ['bare-cr']


def test_bare_lf_end_of_data_does_not_hang(server):
    """A client that ends the text with LF.LF is recorded (and refused)
    rather than left waiting."""
    c = Raw(server)
    envelope(c)
    assert c.code(b'Subject: x\n\nbody\n.\n') == 554
    assert 'bare-lf' in kinds(server)


# ---------------------------------------------------------------- line length
def test_998_octets_is_the_limit(server):
    c = Raw(server)
    envelope(c)
    assert c.code(b'Subject: x\r\n\r\n' + b'a' * 998 + b'\r\n.\r\n') == 250
    envelope(c)
    assert c.code(b'Subject: x\r\n\r\n' + b'a' * 999 + b'\r\n.\r\n') == 554
    assert kinds(server) == ['line-too-long']


def test_long_command_line(server):
    c = Raw(server)
    assert c.code(b'EHLO ' + b'x' * 600 + b'\r\n') == 500
    assert kinds(server) == ['command-too-long']


# ---------------------------------------------------------------- dots
def test_unstuffed_dot_is_a_violation(server):
    c = Raw(server)
    envelope(c)
    assert c.code(b'Subject: x\r\n\r\n.hidden\r\n.\r\n') == 554
    assert kinds(server) == ['dot-not-stuffed']
    # ... and the RFC's unstuffing is still what is recorded.
    assert server.transactions[0].data.endswith(b'\r\nhidden\r\n')


def test_lone_dot_line_inside_text_must_be_doubled(server):
    c = Raw(server)
    envelope(c)
    assert c.code(b'Subject: x\r\n\r\nbefore\r\n..\r\nafter\r\n.\r\n') == 250
    assert server.accepted()[0].data.endswith(b'before\r\n.\r\nafter\r\n')


# ---------------------------------------------------------------- 8-bit
def test_8bit_needs_body_8bitmime(server):
    c = Raw(server)
    envelope(c)
    assert c.code(b'Subject: x\r\n\r\ncaf\xc3\xa9\r\n.\r\n') == 554
    assert kinds(server) == ['8bit-without-8bitmime']
    envelope(c, opts=b' BODY=8BITMIME')
    assert c.code(b'Subject: x\r\n\r\ncaf\xc3\xa9\r\n.\r\n') == 250
    assert len(kinds(server)) == 1


def test_8bitmime_when_not_offered():
    with SMTPCaptureServer(extensions=()) as server:
        c = Raw(server)
        assert c.code(b'EHLO x\r\n') == 250
        assert c.code(b'MAIL FROM:<a@example.com> BODY=8BITMIME\r\n') == 555
        assert kinds(server) == ['parameter-not-offered']


def test_parameters_after_helo(server):
    c = Raw(server)
    assert c.code(b'HELO x\r\n') == 250
    assert c.code(b'MAIL FROM:<a@example.com> BODY=8BITMIME\r\n') == 555


def test_non_ascii_headers_need_smtputf8(server):
    c = Raw(server)
    envelope(c, opts=b' BODY=8BITMIME')
    assert c.code('Subject: Zürich\r\n\r\nx\r\n.\r\n'.encode()) == 554
    assert kinds(server) == ['8bit-header-without-smtputf8']


def test_smtputf8():
    with SMTPCaptureServer(extensions=('8BITMIME', 'SMTPUTF8')) as server:
        c = Raw(server)
        # Without SMTPUTF8 a non-ASCII address is refused.
        assert c.code(b'EHLO x\r\n') == 250
        assert c.code('MAIL FROM:<jörg@example.de>\r\n'.encode()) == 553
        assert kinds(server) == ['non-ascii-command']
        assert c.code('MAIL FROM:<jörg@example.de> SMTPUTF8 BODY=8BITMIME\r\n'
                      .encode()) == 250
        assert c.code('RCPT TO:<zoë@example.fr>\r\n'.encode()) == 250
        assert c.code(b'DATA\r\n') == 354
        assert c.code('Subject: Zürich\r\n\r\nx\r\n.\r\n'.encode()) == 250
        [txn] = server.accepted()
        assert txn.mail_from == 'jörg@example.de'
        assert txn.rcpt_tos == ['zoë@example.fr']
        assert len(kinds(server)) == 1


# ---------------------------------------------------------------- pipelining
def test_pipelining_when_not_offered():
    with SMTPCaptureServer(extensions=('8BITMIME',)) as server:
        c = Raw(server)
        assert c.code(b'EHLO x\r\n') == 250
        c.send(b'MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n')
        assert c.reply()[0] == 250 and c.reply()[0] == 250
        assert kinds(server) == ['pipelining-not-offered']


def test_pipelining_when_offered(server):
    c = Raw(server)
    assert c.code(b'EHLO x\r\n') == 250
    c.send(b'MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n'
           b'RCPT TO:<c@example.com>\r\nDATA\r\n')
    assert [c.reply()[0] for _ in range(4)] == [250, 250, 250, 354]
    # The text, its end and the next envelope may form one group.
    c.send(b'Subject: 1\r\n\r\nx\r\n.\r\nMAIL FROM:<a@example.com>\r\n'
           b'RCPT TO:<d@example.com>\r\nDATA\r\n')
    assert [c.reply()[0] for _ in range(4)] == [250, 250, 250, 354]
    assert c.code(b'Subject: 2\r\n\r\ny\r\n.\r\n') == 250
    assert [t.rcpt_tos for t in server.accepted()] == [
        ['b@example.com', 'c@example.com'], ['d@example.com']]
    assert server.violations == []


def test_text_sent_before_the_354(server):
    c = Raw(server)
    assert c.code(b'EHLO x\r\n') == 250
    c.send(b'MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n'
           b'DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n')
    assert [c.reply()[0] for _ in range(4)] == [250, 250, 354, 250]
    assert kinds(server) == ['pipelining-after-data']


def test_starttls_injection_is_caught_and_ignored():
    with SMTPCaptureServer(extensions=('STARTTLS', 'PIPELINING')) as server:
        c = Raw(server)
        assert c.code(b'EHLO x\r\n') == 250
        c.send(b'STARTTLS\r\nMAIL FROM:<evil@example.com>\r\n')
        assert c.reply()[0] == 220
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        tls = context.wrap_socket(c.sock, server_hostname='localhost')
        tls.sendall(b'EHLO x\r\n')
        reply = tls.recv(4096)
        # The injected MAIL was thrown away, not answered after the
        # handshake.
        assert reply.startswith(b'250')
        tls.sendall(b'RCPT TO:<b@example.com>\r\n')
        assert tls.recv(4096).startswith(b'503')
        assert kinds(server) == ['pipelining-after-starttls']


# ---------------------------------------------------------------- grammar
def test_command_order(server):
    c = Raw(server)
    assert c.code(b'MAIL FROM:<a@example.com>\r\n') == 503
    assert c.code(b'EHLO x\r\n') == 250
    assert c.code(b'RCPT TO:<b@example.com>\r\n') == 503
    assert c.code(b'DATA\r\n') == 503
    assert c.code(b'MAIL FROM:<a@example.com>\r\n') == 250
    assert c.code(b'MAIL FROM:<a@example.com>\r\n') == 503
    assert c.code(b'DATA\r\n') == 554
    assert c.code(b'RSET\r\n') == 250
    assert c.code(b'FROB\r\n') == 500
    assert c.code(b'MAIL FROM:a@example.com\r\n') == 501
    assert c.code(b'QUIT\r\n') == 221


def test_size_limit():
    with SMTPCaptureServer(extensions=('SIZE',), size_limit=100) as server:
        c = Raw(server)
        assert c.code(b'EHLO x\r\n') == 250
        assert c.code(b'MAIL FROM:<a@example.com> SIZE=101\r\n') == 552
        assert c.code(b'MAIL FROM:<a@example.com> SIZE=50\r\n') == 250
        assert c.code(b'RCPT TO:<b@example.com>\r\n') == 250
        assert c.code(b'DATA\r\n') == 354
        assert c.code(b'X: ' + b'y' * 200 + b'\r\n.\r\n') == 552
        assert kinds(server) == ['size-exceeded']


# ---------------------------------------------------------------- TLS, AUTH
def test_starttls_and_auth_with_smtplib():
    with SMTPCaptureServer(extensions=('STARTTLS', 'AUTH'),
                           credentials={'u': 'pw'}, auth_needs_tls=True,
                           auth_required=True) as server:
        with smtplib.SMTP(server.host, server.port) as client:
            client.ehlo('me')
            assert not client.has_extn('auth')
            client.starttls()
            client.ehlo('me')
            assert client.has_extn('auth')
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login('u', 'wrong')
            client.login('u', 'pw')
            client.sendmail('a@example.com', ['b@example.com'], b'X: y\r\n\r\nz\r\n')
        [txn] = server.accepted()
        assert txn.tls and txn.auth == 'u'


@pytest.mark.parametrize('mechanism', ['PLAIN', 'LOGIN'])
def test_auth_mechanisms(mechanism):
    with SMTPCaptureServer(extensions=('AUTH',), credentials={'u': 'pw'},
                           auth_required=True) as server:
        c = Raw(server)
        assert c.code(b'EHLO x\r\n') == 250
        assert c.code(b'MAIL FROM:<a@example.com>\r\n') == 530
        if mechanism == 'PLAIN':
            assert c.code(b'AUTH PLAIN\r\n') == 334
            assert c.code(base64.b64encode(b'\0u\0bad') + b'\r\n') == 535
            assert c.code(b'AUTH PLAIN ' + base64.b64encode(b'\0u\0pw') +
                          b'\r\n') == 235
        else:
            assert c.code(b'AUTH LOGIN\r\n') == 334
            assert c.code(base64.b64encode(b'u') + b'\r\n') == 334
            assert c.code(base64.b64encode(b'pw') + b'\r\n') == 235
        assert c.code(b'MAIL FROM:<a@example.com>\r\n') == 250


def test_tls_required():
    with SMTPCaptureServer(extensions=('STARTTLS',), tls_required=True) as server:
        c = Raw(server)
        assert c.code(b'EHLO x\r\n') == 250
        assert c.code(b'MAIL FROM:<a@example.com>\r\n') == 530


# ---------------------------------------------------------------- failures
def test_rejected_recipient(server):
    server.reject_recipient('No@Example.com', 550, '5.1.1 Gone')
    with smtplib.SMTP(server.host, server.port) as client:
        refused = client.sendmail('a@example.com', ['no@example.com',
                                                    'yes@example.com'], b'X: y\r\n\r\n')
    assert refused == {'no@example.com': (550, b'5.1.1 Gone')}
    [txn] = server.accepted()
    assert txn.rcpt_tos == ['yes@example.com']
    assert txn.refused == {'no@example.com': (550, '5.1.1 Gone')}


@pytest.mark.parametrize('stage,error', [
    ('mail', smtplib.SMTPSenderRefused),
    ('rcpt', smtplib.SMTPRecipientsRefused),
    ('data', smtplib.SMTPDataError)])
def test_fail_next_then_recover(server, stage, error):
    server.fail_next(2, 451, stage=stage)
    with smtplib.SMTP(server.host, server.port) as client:
        for _ in range(2):
            with pytest.raises(error):
                client.sendmail('a@example.com', ['b@example.com'], b'X: y\r\n\r\n')
            client.rset()
        assert client.sendmail('a@example.com', ['b@example.com'],
                               b'X: y\r\n\r\n') == {}
    assert len(server.accepted()) == 1


def test_fail_after(server):
    """after=N lets N transactions through before failing."""
    server.fail_next(1, 451, stage='data', after=2)
    with smtplib.SMTP(server.host, server.port) as client:
        for _ in range(2):
            client.sendmail('a@example.com', ['b@example.com'], b'X: y\r\n\r\n')
        with pytest.raises(smtplib.SMTPDataError):
            client.sendmail('a@example.com', ['b@example.com'], b'X: y\r\n\r\n')
        client.sendmail('a@example.com', ['b@example.com'], b'X: y\r\n\r\n')
    assert [t.reply[0] for t in server.transactions] == [250, 250, 451, 250]


def test_disconnect(server):
    server.fail_next(1, stage='disconnect-data')
    with pytest.raises(smtplib.SMTPServerDisconnected):
        with smtplib.SMTP(server.host, server.port) as client:
            client.sendmail('a@example.com', ['b@example.com'], b'X: y\r\n\r\n')
    assert server.transactions[0].reply == (-1, 'disconnected')


def test_refuse_connections(server):
    server.refuse_connections(1, 421)
    with pytest.raises(smtplib.SMTPConnectError):
        smtplib.SMTP(server.host, server.port)
    with smtplib.SMTP(server.host, server.port) as client:
        assert client.noop()[0] == 250


def test_max_recipients():
    with SMTPCaptureServer(max_recipients=2) as server:
        with smtplib.SMTP(server.host, server.port) as client:
            refused = client.sendmail('a@example.com',
                                      ['b@x.com', 'c@x.com', 'd@x.com'], b'X: y\r\n\r\n')
        assert list(refused) == ['d@x.com'] and refused['d@x.com'][0] == 452


def test_stop_closes_the_port():
    server = SMTPCaptureServer().start()
    port = server.port
    server.stop()
    with pytest.raises(OSError):
        socket.create_connection(('127.0.0.1', port), 2)
