"""Mailman/Handlers/SMTPDirect.py (and Sendmail.py): delivery to the MTA.

Every test delivers over a real socket to tests/smtpcapture.py, which
records each transaction and refuses what a strict receiver would refuse
(bare CR or LF, lines over 998 octets, unstuffed dots, 8-bit data without
BODY=8BITMIME, commands pipelined without PIPELINING).  The handler reads
its settings from mm_cfg when it runs, so tests set them on mm_cfg.
"""

import base64
import email
import os
import re
import shutil
import socket
import sys
import textwrap
import types
import uuid
from pathlib import Path

import pytest

from Mailman import Errors
from Mailman import Passwords
from Mailman import mm_cfg
from Mailman.Handlers import SMTPDirect
from Mailman.MailList import MailList
from Mailman.Message import Message

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smtpcapture import SMTPCaptureServer  # noqa: E402

HOST = 'lists.example.com'


# ---------------------------------------------------------------- fixtures
@pytest.fixture
def mlist():
    name = 'smtp-' + uuid.uuid4().hex[:10]
    m = MailList()
    m.Create(name, 'owner@example.com', Passwords.hash_password('x'))
    m.real_name = 'Test List'
    m.msg_header = ''
    m.msg_footer = ''
    m.Save()
    try:
        yield m
    finally:
        m.Unlock()
        shutil.rmtree(m.fullpath(), ignore_errors=True)


@pytest.fixture
def capture(monkeypatch):
    """Start a capture server (keyword arguments as SMTPCaptureServer's)
    and point mm_cfg at it."""
    servers = []

    def start(**kwargs):
        server = SMTPCaptureServer(**kwargs).start()
        servers.append(server)
        monkeypatch.setattr(mm_cfg, 'SMTPHOST', server.host)
        monkeypatch.setattr(mm_cfg, 'SMTPPORT', server.port)
        return server

    # A client that waits for a reply that never comes fails the test
    # rather than hangs it.
    monkeypatch.setattr(SMTPDirect, 'TIMEOUT', 10)
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 500)
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_SESSIONS_PER_CONNECTION', 0)
    monkeypatch.setattr(mm_cfg, 'MAX_DELIVERY_THREADS', 0)
    monkeypatch.setattr(mm_cfg, 'SMTP_AUTH', 0)
    monkeypatch.setattr(mm_cfg, 'SMTP_USE_TLS', 0)
    monkeypatch.setattr(mm_cfg, 'RCPT_BASE64_HEADER_NAME', '')
    yield start
    for server in servers:
        server.stop()


def make_message(body='Hello.\n', subject='Test', extra='', charset=None,
                 cte=None, msgid=None):
    msgid = msgid or f'<{uuid.uuid4().hex}@example.com>'
    headers = ['From: Anne Person <anne@example.com>',
               f'To: list@{HOST}', f'Subject: {subject}',
               f'Message-ID: {msgid}', 'MIME-Version: 1.0']
    if charset:
        headers.append(f'Content-Type: text/plain; charset="{charset}"')
    if cte:
        headers.append(f'Content-Transfer-Encoding: {cte}')
    if extra:
        headers.append(extra)
    raw = ('\n'.join(headers) + '\n\n').encode('utf-8')
    raw += body.encode('utf-8') if isinstance(body, str) else body
    return email.message_from_bytes(raw, _class=Message)


def no_violations(server):
    assert server.violations == []


def log_lines(name, needle):
    path = os.path.join(mm_cfg.LOG_DIR, name)
    if not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as f:
        return [line.rstrip('\n') for line in f if needle in line]


def closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# ---------------------------------------------------------------- bulk
def test_no_recipients_means_no_connection(mlist, capture):
    server = capture()
    SMTPDirect.process(mlist, make_message(), {'recips': []})
    SMTPDirect.process(mlist, make_message(), {})
    assert server.sessions == []


def test_bulk_chunks_by_top_level_domain(mlist, capture, monkeypatch):
    """SMTP_MAX_RCPTS=3: .com, .net/.org, .edu/.us/.ca and the rest are
    chunked separately; one transaction per chunk, on one connection, all
    with the same bytes and the list's -bounces envelope sender."""
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 3)
    recips = ['a@x.com', 'i@de.de', 'b@y.com', 'e@n.net', 'c@z.COM',
              'g@u.edu', 'd@w.com', 'f@o.org', 'h@ca.ca', 'j@fr.fr',
              'k@nodots']
    SMTPDirect.process(mlist, make_message(), {'recips': recips})
    txns = server.accepted()
    got = sorted(sorted(t.rcpt_tos) for t in txns)
    assert got == sorted([
        ['i@de.de', 'j@fr.fr', 'k@nodots'],
        ['a@x.com', 'b@y.com', 'c@z.COM'], ['d@w.com'],
        ['e@n.net', 'f@o.org'], ['g@u.edu', 'h@ca.ca']])
    assert {t.mail_from for t in txns} == {mlist.GetBouncesEmail()}
    assert len({t.data for t in txns}) == 1
    assert len(server.sessions) == 1
    no_violations(server)


def test_chunkify_matches_2_1_grouping():
    chunks = SMTPDirect.chunkify(
        ['1@a.com', '2@b.org', '3@c.net', '4@d.us', '5@e.fr', '6@f.com'], 2)
    assert chunks == [['5@e.fr'], ['1@a.com', '6@f.com'],
                      ['2@b.org', '3@c.net'], ['4@d.us']]


def test_unlimited_rcpts_is_one_transaction(mlist, capture, monkeypatch):
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 0)
    recips = [f'u{i}@example.{tld}' for i in range(40)
              for tld in ('com', 'org')]
    SMTPDirect.process(mlist, make_message(), {'recips': recips})
    [txn] = server.accepted()
    assert sorted(txn.rcpt_tos) == sorted(recips)


def test_server_limit_on_recipients_is_respected(mlist, capture, monkeypatch):
    """A server that takes at most 3 recipients per transaction refuses
    nobody when SMTP_MAX_RCPTS is 3 (and pipelines 250 RCPTs correctly)."""
    server = capture(max_recipients=3)
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 3)
    recips = [f'user{i}@example.com' for i in range(250)]
    SMTPDirect.process(mlist, make_message(), {'recips': recips})
    delivered = [r for t in server.accepted() for r in t.rcpt_tos]
    assert sorted(delivered) == sorted(recips)
    assert all(not t.refused for t in server.transactions)


def test_too_many_recipients_is_a_temporary_failure(mlist, capture,
                                                    monkeypatch):
    server = capture(max_recipients=3)
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 5)
    recips = [f'user{i}@example.com' for i in range(5)]
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, make_message(), {'recips': recips})
    assert sorted(info.value.tempfailures) == recips[3:]
    assert info.value.permfailures == []
    assert server.accepted()[0].rcpt_tos == recips[:3]


def test_connection_reuse_limit(mlist, capture, monkeypatch):
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 1)
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_SESSIONS_PER_CONNECTION', 2)
    recips = [f'u{i}@example.com' for i in range(5)]
    SMTPDirect.process(mlist, make_message(), {'recips': recips})
    assert server.wait_closed()
    sessions = server.sessions
    assert [s.transactions for s in sessions] == [2, 2, 1]
    # Each connection ends politely.
    assert all(s.commands[-1].upper() == b'QUIT\r\n' for s in sessions)


def test_unlimited_reuse_is_one_connection(mlist, capture, monkeypatch):
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 1)
    recips = [f'u{i}@example.com' for i in range(7)]
    SMTPDirect.process(mlist, make_message(), {'recips': recips})
    assert [s.transactions for s in server.sessions] == [7]


def test_delivery_threads(mlist, capture, monkeypatch):
    """MAX_DELIVERY_THREADS=3: three connections deliver at once (the
    server holds each reply back a little, so all three get work); every
    recipient gets exactly one copy."""
    server = capture(data_delay=0.3)
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 2)
    monkeypatch.setattr(mm_cfg, 'MAX_DELIVERY_THREADS', 3)
    recips = [f'u{i}@example.com' for i in range(18)]
    SMTPDirect.process(mlist, make_message(), {'recips': recips})
    delivered = [r for t in server.accepted() for r in t.rcpt_tos]
    assert sorted(delivered) == sorted(recips)
    assert len(server.sessions) == 3
    assert all(s.transactions >= 1 for s in server.sessions)


def test_threads_collect_failures(mlist, capture, monkeypatch):
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 1)
    monkeypatch.setattr(mm_cfg, 'MAX_DELIVERY_THREADS', 4)
    server.reject_recipient('u3@example.com', 550)
    server.reject_recipient('u5@example.com', 451)
    recips = [f'u{i}@example.com' for i in range(10)]
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, make_message(), {'recips': recips})
    assert info.value.permfailures == ['u3@example.com']
    assert info.value.tempfailures == ['u5@example.com']
    assert len(server.accepted()) == 8


# ---------------------------------------------------------------- VERP
def test_verp_envelope_senders(mlist, capture):
    server = capture()
    recips = ['user@example.com', 'Other.Person@Sub.Example.ORG']
    msg = make_message()
    SMTPDirect.process(mlist, msg, {'recips': recips, 'verp': 1})
    txns = server.accepted()
    name = mlist.internal_name()
    assert [(t.mail_from, t.rcpt_tos) for t in txns] == [
        (f'{name}-bounces+user=example.com@{HOST}', ['user@example.com']),
        (f'{name}-bounces+Other.Person=sub.example.org@{HOST}',
         ['Other.Person@Sub.Example.ORG'])]
    for txn in txns:
        received = txn.message()
        assert received['Errors-To'] == txn.mail_from
        assert received['Sender'] == f'"Test List" <{txn.mail_from}>'
        assert received.get_all('Sender') == [received['Sender']]
    # Only the envelope and the trailing headers differ.
    bodies = {t.data.split(b'\r\n\r\n', 1)[1] for t in txns}
    assert len(bodies) == 1
    assert len(server.sessions) == 1
    no_violations(server)


def test_verp_format_setting(mlist, capture, monkeypatch):
    server = capture()
    monkeypatch.setattr(mm_cfg, 'VERP_FORMAT', '%(bounces)s-%(mailbox)s-at-%(host)s')
    SMTPDirect.process(mlist, make_message(),
                       {'recips': ['bob@example.net'], 'verp': 1})
    [txn] = server.accepted()
    assert txn.mail_from == \
        f'{mlist.internal_name()}-bounces-bob-at-example.net@{HOST}'


def test_verp_skips_unqualified_recipient(mlist, capture):
    server = capture()
    SMTPDirect.process(mlist, make_message(),
                       {'recips': ['nodomain', 'ok@example.com'], 'verp': 1})
    assert [t.rcpt_tos for t in server.accepted()] == [['ok@example.com']]
    assert log_lines('smtp', 'Skipping VERP delivery to unqual recip: nodomain')


def test_explicit_personalize_false_means_bulk(mlist, capture):
    """OwnerRecips turns personalisation off: such mail goes in bulk even
    when VERP was decided (as 2.1)."""
    server = capture()
    mlist.personalize = 1
    SMTPDirect.process(mlist, make_message(),
                       {'recips': ['a@example.com', 'b@example.com'],
                        'verp': 1, 'personalize': False})
    [txn] = server.accepted()
    assert txn.mail_from == mlist.GetBouncesEmail()
    assert sorted(txn.rcpt_tos) == ['a@example.com', 'b@example.com']


def test_rcpt_base64_header_and_copy_flag(mlist, capture, monkeypatch):
    server = capture()
    monkeypatch.setattr(mm_cfg, 'RCPT_BASE64_HEADER_NAME', 'X-Mailman-R')
    msg = make_message(extra='X-Mailman-Copy: stale')
    recips = ['a@example.com', 'b@example.com']
    SMTPDirect.process(mlist, msg, {'recips': recips, 'verp': 1,
                                    'add-dup-header': {'b@example.com': 1}})
    got = {t.rcpt_tos[0]: t.message() for t in server.accepted()}
    for recip in recips:
        assert got[recip]['X-Mailman-R'] == \
            base64.b64encode(recip.encode()).decode()
    assert got['a@example.com'].get_all('X-Mailman-Copy') is None
    assert got['b@example.com'].get_all('X-Mailman-Copy') == ['yes']


# ---------------------------------------------------------------- personalised
def add_member(mlist, address, name=''):
    mlist.ApprovedAddMember(_userdesc(address, name), ack=False,
                            admin_notif=False)


def _userdesc(address, name):
    from Mailman.UserDesc import UserDesc
    return UserDesc(address, name, 'pw', 0)


def test_personalised_copies_are_decorated_per_member(mlist, capture):
    server = capture()
    mlist.personalize = 1
    mlist.msg_footer = 'Footer for %(user_address)s\n'
    recips = ['alice@example.com', 'bob@example.org']
    for r in recips:
        add_member(mlist, r)
    msg = make_message(body='The body.\n')
    before = msg.as_bytes()
    SMTPDirect.process(mlist, msg, {'recips': recips, 'tolist': 1})
    txns = server.accepted()
    assert [t.rcpt_tos for t in txns] == [[r] for r in recips]
    for txn in txns:
        recip = txn.rcpt_tos[0]
        received = txn.message()
        assert text_of(received) == f'The body.\nFooter for {recip}\n'
        # Personalised without VERP: the plain envelope sender.
        assert txn.mail_from == mlist.GetBouncesEmail()
        # personalize=1 leaves To: alone.
        assert received['To'] == f'list@{HOST}'
    # The queued message itself is not changed by per-member copies.
    assert msg.as_bytes() == before
    no_violations(server)


def test_personalised_multipart_leaves_the_original_alone(mlist, capture):
    """Decoration adds parts to each member's copy of a multipart/mixed
    post; the queued message keeps its own parts."""
    server = capture()
    mlist.personalize = 1
    mlist.msg_footer = 'Footer for %(user_address)s\n'
    raw = (b'From: a@example.com\nTo: l@example.com\nSubject: parts\n'
           b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n'
           b'--B\nContent-Type: text/plain\n\nfirst\n'
           b'--B\nContent-Type: text/plain\n\nsecond\n--B--\n')
    msg = email.message_from_bytes(raw, _class=Message)
    before = msg.as_bytes()
    recips = ['alice@example.com', 'bob@example.com']
    SMTPDirect.process(mlist, msg, {'recips': recips})
    assert msg.as_bytes() == before and len(msg.get_payload()) == 2
    for txn in server.accepted():
        parts = parse(txn).get_payload()
        assert len(parts) == 3
        assert text_of(parts[-1]) == f'Footer for {txn.rcpt_tos[0]}\n'


def test_per_member_copies_are_independent(mlist, capture, monkeypatch):
    """Whatever decoration does to a member's copy (add headers, change
    parts in place) stays in that copy."""
    server = capture()
    mlist.personalize = 1

    def decorate(mlist, msg, msgdata):
        msg['X-Decorated-For'] = msgdata['recips'][0]
        for part in msg.walk():
            if not part.is_multipart():
                part.set_payload(part.get_payload() + msgdata['recips'][0] + '\n')
        msg.get_payload().append(Message())
    monkeypatch.setitem(sys.modules, 'Mailman.Handlers.Decorate',
                        types.SimpleNamespace(process=decorate))
    raw = (b'From: a@example.com\nSubject: parts\nMIME-Version: 1.0\n'
           b'Content-Type: multipart/mixed; boundary="B"\n\n'
           b'--B\nContent-Type: text/plain\n\nfirst\n--B--\n')
    msg = email.message_from_bytes(raw, _class=Message)
    before = msg.as_bytes()
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com', 'b@example.com']})
    assert msg.as_bytes() == before
    for txn in server.accepted():
        received = parse(txn)
        assert received.get_all('X-Decorated-For') == txn.rcpt_tos
        assert text_of(received.get_payload(0)) == f'first{txn.rcpt_tos[0]}\n'


def test_full_personalisation_sets_to(mlist, capture):
    server = capture()
    mlist.personalize = 2
    add_member(mlist, 'alice@example.com', 'Alice Liddell')
    add_member(mlist, 'bob@example.com')
    SMTPDirect.process(mlist, make_message(),
                       {'recips': ['alice@example.com', 'bob@example.com']})
    got = {t.rcpt_tos[0]: t.message()['To'] for t in server.accepted()}
    assert got == {'alice@example.com': 'Alice Liddell <alice@example.com>',
                   'bob@example.com': 'bob@example.com'}


def test_personalised_verp(mlist, capture):
    server = capture()
    mlist.personalize = 1
    mlist.msg_footer = 'You are %(user_address)s\n'
    add_member(mlist, 'carol@example.com')
    SMTPDirect.process(mlist, make_message(body='x\n'),
                       {'recips': ['carol@example.com'], 'verp': 1})
    [txn] = server.accepted()
    assert txn.mail_from == \
        f'{mlist.internal_name()}-bounces+carol=example.com@{HOST}'
    assert b'You are carol@example.com' in txn.data


def test_verp_with_reader_footer_decorates_per_recipient(mlist, capture):
    """A VERP delivery whose footer names the reader is decorated for each
    recipient, as 2.1 does for every VERP delivery."""
    server = capture()
    mlist.msg_footer = 'Sent to %(user_address)s\n'
    recips = ['dan@example.com', 'eve@example.com']
    for r in recips:
        add_member(mlist, r)
    SMTPDirect.process(mlist, make_message(body='x\n'),
                       {'recips': recips, 'verp': 1})
    for txn in server.accepted():
        assert f'Sent to {txn.rcpt_tos[0]}'.encode() in txn.data


def test_bulk_decorates_once(mlist, capture, monkeypatch):
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 1)
    mlist.msg_footer = 'List footer\n'
    msg = make_message(body='x\n')
    msgdata = {'recips': ['a@example.com', 'b@example.com']}
    SMTPDirect.process(mlist, msg, msgdata)
    assert msgdata['decorated']
    for txn in server.accepted():
        assert txn.data.count(b'List footer') == 1
    # A second attempt (a retry) does not add a second footer.
    server.clear()
    SMTPDirect.process(mlist, msg, msgdata)
    for txn in server.accepted():
        assert txn.data.count(b'List footer') == 1


def test_nodecorate(mlist, capture):
    server = capture()
    mlist.msg_footer = 'List footer\n'
    SMTPDirect.process(mlist, make_message(body='x\n'),
                       {'recips': ['a@example.com'], 'nodecorate': 1})
    assert b'List footer' not in server.accepted()[0].data


# ---------------------------------------------------------------- failures
def test_refusals_4xx_temporary_5xx_permanent(mlist, capture):
    server = capture()
    server.reject_recipient('soft@example.com', 450, '4.2.1 Mailbox busy')
    server.reject_recipient('hard@example.com', 550, '5.1.1 Unknown user')
    server.reject_recipient('toomany@example.com', 552, '5.5.3 Too many')
    msg = make_message()
    recips = ['ok@example.com', 'soft@example.com', 'hard@example.com',
              'toomany@example.com']
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, msg, {'recips': recips, 'tolist': 1})
    assert sorted(info.value.tempfailures) == ['soft@example.com',
                                               'toomany@example.com']
    assert info.value.permfailures == ['hard@example.com']
    assert server.accepted()[0].rcpt_tos == ['ok@example.com']
    failures = log_lines('smtp-failure', 'hard@example.com')
    assert any(line.endswith('delivery to hard@example.com failed with code '
                             '550: 5.1.1 Unknown user') for line in failures)
    refused = log_lines('post', msg['message-id'])
    assert len(refused) == 1 and refused[0].endswith(', 3 failures')


def test_connection_refused_is_temporary_for_all(mlist, capture, monkeypatch):
    capture()
    monkeypatch.setattr(mm_cfg, 'SMTPPORT', closed_port())
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 2)
    recips = [f'u{i}@example.com' for i in range(5)]
    msg = make_message()
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, msg, {'recips': recips})
    assert sorted(info.value.tempfailures) == recips
    assert info.value.permfailures == []
    lines = log_lines('smtp-failure', msg['message-id'])
    # One line for the connection problem, not one per chunk.
    assert len([l for l in lines if 'Cannot deliver' in l]) == 1
    assert len(log_lines('smtp-failure', 'failed with code -1')) >= 5


def test_refused_greeting_is_temporary(mlist, capture):
    server = capture()
    server.refuse_connections(1, 554, '5.3.2 No service for you')
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, make_message(),
                           {'recips': ['a@example.com', 'b@example.com']})
    assert sorted(info.value.tempfailures) == ['a@example.com', 'b@example.com']
    assert info.value.permfailures == []
    # The next attempt finds the server working again.
    SMTPDirect.process(mlist, make_message(), {'recips': ['a@example.com']})
    assert len(server.accepted()) == 1


def test_mail_from_4xx_then_recovery(mlist, capture, monkeypatch):
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 1)
    server.fail_next(1, 451, stage='mail')
    recips = ['a@example.com', 'b@example.com', 'c@example.com']
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, make_message(), {'recips': recips})
    assert info.value.tempfailures == ['a@example.com']
    assert [t.rcpt_tos for t in server.accepted()] == [['b@example.com'],
                                                       ['c@example.com']]
    assert len(server.sessions) == 1


def test_content_refused_with_5xx_blames_nobody(mlist, capture):
    """A 5xx to the message text is about the message: logged, and no
    recipient gets a bounce score for it (2.1)."""
    server = capture()
    server.fail_next(1, 554, '5.7.1 Looks like spam', stage='data')
    msg = make_message()
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    assert server.accepted() == []
    lines = log_lines('smtp-failure', msg['message-id'])
    assert any('SMTP session failure: 554, 5.7.1 Looks like spam' in l
               for l in lines)


def test_content_4xx_is_temporary(mlist, capture):
    server = capture()
    server.fail_next(1, 452, '4.3.1 Insufficient storage', stage='data')
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, make_message(),
                           {'recips': ['a@example.com', 'b@example.com']})
    assert sorted(info.value.tempfailures) == ['a@example.com', 'b@example.com']


def test_all_recipients_refused_then_next_transaction(mlist, capture,
                                                      monkeypatch):
    """When every RCPT of a pipelined transaction is refused, the client
    resets and the next transaction on the same connection works."""
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 2)
    server.reject_recipient('x1@example.com', 550)
    server.reject_recipient('x2@example.com', 550)
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, make_message(), {
            'recips': ['x1@example.com', 'x2@example.com', 'ok@example.com']})
    assert sorted(info.value.permfailures) == ['x1@example.com', 'x2@example.com']
    assert [t.rcpt_tos for t in server.accepted()] == [['ok@example.com']]
    assert len(server.sessions) == 1
    no_violations(server)


def test_dropped_connection_is_temporary_and_reconnects(mlist, capture,
                                                        monkeypatch):
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 1)
    server.fail_next(1, stage='disconnect-data')
    recips = ['a@example.com', 'b@example.com']
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, make_message(), {'recips': recips})
    assert info.value.tempfailures == ['a@example.com']
    assert [t.rcpt_tos for t in server.accepted()] == [['b@example.com']]
    assert len(server.sessions) == 2


def test_replies_to_message_text_are_matched_to_their_transaction(
        mlist, capture, monkeypatch):
    """The reply to a message's text is read after the next envelope has
    gone out (pipelining); each reply still counts for its own
    recipients."""
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 1)
    server.fail_next(1, 452, '4.3.1 Full', stage='data', after=1)
    server.fail_next(1, 554, '5.7.1 No', stage='data', after=2)
    recips = [f'u{i}@example.com' for i in range(5)]
    msg = make_message()
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, msg, {'recips': recips})
    assert info.value.tempfailures == ['u1@example.com']
    assert info.value.permfailures == []
    assert [t.rcpt_tos[0] for t in server.accepted()] == [
        'u0@example.com', 'u3@example.com', 'u4@example.com']
    assert [t.reply[0] for t in server.transactions] == [250, 452, 554, 250, 250]
    [line] = [l for l in log_lines('smtp-failure', msg['message-id'])
              if '554' in l]
    assert 'SMTP session failure: 554, 5.7.1 No (end of data)' in line
    assert len(server.sessions) == 1


@pytest.mark.parametrize('verp', [0, 1])
def test_lost_reply_to_the_last_message_is_temporary(mlist, capture, verp):
    server = capture()
    server.fail_next(1, stage='disconnect-data')
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, make_message(),
                           {'recips': ['a@example.com'], 'verp': verp})
    assert info.value.tempfailures == ['a@example.com']


def test_server_hanging_up_between_messages(mlist, capture, monkeypatch):
    """A server that closes the connection after a message (idle limits,
    per-connection limits) costs nothing: the next message goes over a
    new connection."""
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 1)
    server.fail_next(1, stage='disconnect', after=1)
    recips = ['a@example.com', 'b@example.com', 'c@example.com']
    SMTPDirect.process(mlist, make_message(), {'recips': recips})
    assert [t.rcpt_tos[0] for t in server.accepted()] == recips
    assert len(server.sessions) == 2


def test_addresses_that_could_inject_commands_are_refused(mlist, capture):
    server = capture()
    evil = 'x@example.com>\r\nRCPT TO:<victim@example.com'
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, make_message(),
                           {'recips': [evil, 'ok@example.com']})
    assert info.value.permfailures == [evil]
    assert [t.rcpt_tos for t in server.accepted()] == [['ok@example.com']]
    no_violations(server)


def test_undelivered_chunks_resume(mlist, capture):
    server = capture()
    msgdata = {'recips': ['a@example.com', 'b@example.com', 'c@example.com'],
               'undelivered': [['c@example.com']]}
    SMTPDirect.process(mlist, make_message(), msgdata)
    assert [t.rcpt_tos for t in server.accepted()] == [['c@example.com']]
    assert 'undelivered' not in msgdata


def test_unexpected_error_leaves_the_rest_undelivered(mlist, capture,
                                                      monkeypatch):
    """If something other than SMTP goes wrong (here: decoration of the
    third member's copy), the members not yet served are kept in
    msgdata['undelivered'] and the error propagates (the runner shunts)."""
    server = capture()
    mlist.personalize = 1

    def boom(mlist, msg, msgdata):
        if msgdata['recips'] == ['c@example.com']:
            raise RuntimeError('decoration failed')
    standin = types.ModuleType('Mailman.Handlers.Decorate')
    standin.process = boom
    monkeypatch.setitem(sys.modules, 'Mailman.Handlers.Decorate', standin)
    recips = ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com']
    msgdata = {'recips': recips}
    with pytest.raises(RuntimeError):
        SMTPDirect.process(mlist, make_message(), msgdata)
    assert msgdata['undelivered'] == [['c@example.com'], ['d@example.com']]
    assert msgdata['recips'] == recips
    monkeypatch.setitem(sys.modules, 'Mailman.Handlers.Decorate',
                        types.SimpleNamespace(process=lambda *a: None))
    SMTPDirect.process(mlist, make_message(), msgdata)
    assert [t.rcpt_tos for t in server.accepted()] == [
        ['a@example.com'], ['b@example.com'], ['c@example.com'],
        ['d@example.com']]


# ---------------------------------------------------------------- TLS, AUTH
def test_starttls_and_auth(mlist, capture, monkeypatch):
    server = capture(extensions=('STARTTLS', 'AUTH', 'PIPELINING', '8BITMIME'),
                     credentials={'mailman': 's3cret'}, tls_required=True,
                     auth_required=True, auth_needs_tls=True)
    monkeypatch.setattr(mm_cfg, 'SMTP_USE_TLS', 1)
    monkeypatch.setattr(mm_cfg, 'SMTP_AUTH', 1)
    monkeypatch.setattr(mm_cfg, 'SMTP_USER', 'mailman')
    monkeypatch.setattr(mm_cfg, 'SMTP_PASSWD', 's3cret')
    monkeypatch.setattr(mm_cfg, 'SMTP_HELO_HOST', 'helo.example.com')
    SMTPDirect.process(mlist, make_message(), {'recips': ['a@example.com']})
    [txn] = server.accepted()
    assert txn.tls and txn.auth == 'mailman'
    assert txn.helo == 'helo.example.com'
    no_violations(server)


def test_bad_credentials_are_temporary(mlist, capture, monkeypatch):
    server = capture(extensions=('AUTH',), credentials={'mailman': 's3cret'},
                     auth_required=True)
    monkeypatch.setattr(mm_cfg, 'SMTP_AUTH', 1)
    monkeypatch.setattr(mm_cfg, 'SMTP_USER', 'mailman')
    monkeypatch.setattr(mm_cfg, 'SMTP_PASSWD', 'wrong')
    msg = make_message()
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    assert info.value.tempfailures == ['a@example.com']
    assert server.transactions == []
    [line] = [l for l in log_lines('smtp-failure', msg['message-id'])
              if 'Cannot deliver' in l]
    assert 'AUTH' in line and 'wrong' not in line


def test_tls_wanted_but_not_offered_sends_nothing(mlist, capture, monkeypatch):
    server = capture(extensions=('PIPELINING',))
    monkeypatch.setattr(mm_cfg, 'SMTP_USE_TLS', 1)
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, make_message(), {'recips': ['a@example.com']})
    assert info.value.tempfailures == ['a@example.com']
    assert server.wait_closed()
    commands = [c.split()[0].upper() for s in server.sessions for c in s.commands]
    assert b'MAIL' not in commands


# ---------------------------------------------------------------- the bytes
def parse(txn):
    return txn.message()


def text_of(part, charset='utf-8'):
    """The decoded text of PART with the wire's CRLFs made newlines."""
    return part.get_payload(decode=True).decode(charset).replace('\r\n', '\n')


def test_eight_bit_body_uses_8bitmime(mlist, capture):
    server = capture(extensions=('8BITMIME', 'PIPELINING'))
    text = 'Grüße aus Köln — ça va?\n'
    msg = make_message(body=text, charset='utf-8', cte='8bit')
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    [txn] = server.accepted()
    assert 'BODY=8BITMIME' in txn.mail_options
    assert text_of(parse(txn)) == text
    no_violations(server)


def test_eight_bit_body_without_8bitmime_is_reencoded(mlist, capture):
    server = capture(extensions=('PIPELINING',))
    text = 'Grüße aus Köln — ça va?\nline two\n'
    msg = make_message(body=text, charset='utf-8', cte='8bit')
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    [txn] = server.accepted()
    assert not re.search(rb'[\x80-\xff]', txn.data)
    assert not any(o.upper().startswith('BODY=8') for o in txn.mail_options)
    received = parse(txn)
    assert received['Content-Transfer-Encoding'] == 'quoted-printable'
    assert text_of(received) == text
    no_violations(server)


def test_eight_bit_attachment_without_8bitmime(mlist, capture):
    server = capture(extensions=())
    blob = bytes(range(256)) * 4
    raw = (b'From: a@example.com\nTo: l@example.com\nSubject: bin\n'
           b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n'
           b'--B\nContent-Type: text/plain\n\nhi\n'
           b'--B\nContent-Type: application/octet-stream\n'
           b'Content-Transfer-Encoding: binary\n\n' +
           blob.replace(b'\r', b'').replace(b'\n', b'') + b'\n--B--\n')
    msg = email.message_from_bytes(raw, _class=Message)
    original = msg.get_payload(1).get_payload(decode=True)
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    [txn] = server.accepted()
    part = parse(txn).get_payload(1)
    assert part['Content-Transfer-Encoding'] == 'base64'
    assert part.get_payload(decode=True) == original
    no_violations(server)


def test_utf8_headers_with_smtputf8(mlist, capture):
    server = capture(extensions=('8BITMIME', 'SMTPUTF8', 'PIPELINING'))
    msg = make_message(subject='Zürich über alles', body='x\n')
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    [txn] = server.accepted()
    assert 'SMTPUTF8' in txn.mail_options
    assert 'Subject: Zürich über alles'.encode() in txn.data
    no_violations(server)


def test_utf8_headers_without_smtputf8_are_encoded(mlist, capture):
    server = capture(extensions=('8BITMIME', 'PIPELINING'))
    msg = make_message(subject='Zürich über alles', body='x\n',
                       extra='Cc: Jürgen Müller <jm@example.com>')
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    [txn] = server.accepted()
    assert not re.search(rb'[\x80-\xff]', txn.data)
    received = parse(txn)
    from email.header import decode_header, make_header
    assert str(make_header(decode_header(received['Subject']))) == \
        'Zürich über alles'
    assert str(make_header(decode_header(received['Cc']))) == \
        'Jürgen Müller <jm@example.com>'
    no_violations(server)


def test_non_ascii_address(mlist, capture):
    server = capture(extensions=('8BITMIME', 'PIPELINING'))
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        SMTPDirect.process(mlist, make_message(),
                           {'recips': ['jörg@example.de', 'a@example.com']})
    assert info.value.permfailures == ['jörg@example.de']
    assert [t.rcpt_tos for t in server.accepted()] == [['a@example.com']]
    server.stop()
    server = capture(extensions=('8BITMIME', 'SMTPUTF8', 'PIPELINING'))
    SMTPDirect.process(mlist, make_message(), {'recips': ['jörg@example.de']})
    [txn] = server.accepted()
    assert txn.rcpt_tos == ['jörg@example.de'] and 'SMTPUTF8' in txn.mail_options
    no_violations(server)


@pytest.mark.parametrize('extensions', [('8BITMIME', 'PIPELINING'), ()])
def test_long_lines_are_reencoded(mlist, capture, extensions):
    server = capture(extensions=extensions)
    long_line = 'word ' * 600 + 'end'
    text = f'short line\n{long_line}\n{"é" * 1500}\nlast\n'
    msg = make_message(body=text, charset='utf-8', cte='8bit')
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    [txn] = server.accepted()
    assert max(len(l) for l in txn.wire.split(b'\r\n')) <= 998
    assert text_of(parse(txn)) == text
    no_violations(server)


def test_long_base64_line_is_rewrapped(mlist, capture):
    server = capture()
    blob = os.urandom(3000)
    raw = (b'From: a@example.com\nTo: l@example.com\nSubject: b\n'
           b'MIME-Version: 1.0\nContent-Type: application/octet-stream\n'
           b'Content-Transfer-Encoding: base64\n\n' +
           base64.b64encode(blob) + b'\n')
    SMTPDirect.process(mlist, email.message_from_bytes(raw, _class=Message),
                       {'recips': ['a@example.com']})
    [txn] = server.accepted()
    assert parse(txn).get_payload(decode=True) == blob
    no_violations(server)


def test_long_header_is_folded(mlist, capture):
    server = capture()
    refs = ' '.join(f'<{uuid.uuid4().hex}@example.com>' for _ in range(60))
    token = 'x' * 1500
    msg = make_message(extra=f'References: {refs}\nX-Long: {token}')
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    [txn] = server.accepted()
    received = parse(txn)
    assert received['References'].split() == refs.split()
    assert ''.join(received['X-Long'].split()) == token
    no_violations(server)


def test_dot_stuffing(mlist, capture):
    server = capture()
    body = '.starts with a dot\n..two dots\n.\nafter a lone dot\n. \nend\n'
    msg = make_message(body=body)
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    [txn] = server.accepted()
    assert b'\r\n..starts with a dot\r\n...two dots\r\n..\r\n' in txn.wire
    assert text_of(parse(txn), 'ascii') == body
    no_violations(server)


def test_message_starting_with_a_dot_line(mlist, capture):
    """Dot-stuffing applies to the first line too (a header-less message)."""
    server = capture()
    msg = Message()
    msg.set_payload('.\nfoo\n')
    prepared = SMTPDirect.prepare(msg)
    assert (prepared.head + b'\r\n' + prepared.body).startswith(b'\r\n..\r\nfoo')
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    no_violations(server)


def test_bare_cr_and_lf_are_normalised(mlist, capture):
    """Whatever line ends the message object holds (a body with CR, LF and
    CRLF; a folded 8-bit header, which the email package writes back
    untouched with its original LF) go out as CRLF."""
    server = capture(extensions=('8BITMIME', 'SMTPUTF8'))
    raw = (b'From: a@example.com\nX-8bit: caf\xc3\xa9\n continued\n'
           b'Subject: x\n\nbody\n')
    msg = email.message_from_bytes(raw, _class=Message)
    msg.set_payload('one\rtwo\nthree\r\nfour\n')
    msg['X-Folded'] = 'a\n b'
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    [txn] = server.accepted()
    assert b'one\r\ntwo\r\nthree\r\nfour\r\n' in txn.data
    assert b'X-8bit: caf\xc3\xa9\r\n continued\r\n' in txn.data
    no_violations(server)


def test_from_lines_are_not_mangled(mlist, capture):
    server = capture()
    SMTPDirect.process(mlist, make_message(body='From here on\n'),
                       {'recips': ['a@example.com']})
    assert b'\r\nFrom here on\r\n' in server.accepted()[0].data


def test_no_pipelining_when_not_offered(mlist, capture, monkeypatch):
    server = capture(extensions=('8BITMIME',))
    monkeypatch.setattr(mm_cfg, 'SMTP_MAX_RCPTS', 4)
    server.reject_recipient('bad@example.com')
    recips = [f'u{i}@example.com' for i in range(9)] + ['bad@example.com']
    with pytest.raises(Errors.SomeRecipientsFailed):
        SMTPDirect.process(mlist, make_message(), {'recips': recips})
    assert sum(len(t.rcpt_tos) for t in server.accepted()) == 9
    no_violations(server)


def test_size_parameter(mlist, capture):
    server = capture(extensions=('SIZE', 'PIPELINING'))
    SMTPDirect.process(mlist, make_message(), {'recips': ['a@example.com']})
    [txn] = server.accepted()
    [size] = [o for o in txn.mail_options if o.upper().startswith('SIZE=')]
    assert int(size[5:]) == len(txn.wire)


# ---------------------------------------------------------------- headers
def test_sender_and_errors_to(mlist, capture):
    server = capture()
    msg = make_message(extra='Sender: someone@else.example\nErrors-To: x@y.example')
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com']})
    received = parse(server.accepted()[0])
    bounces = mlist.GetBouncesEmail()
    assert received.get_all('Sender') == [f'"Test List" <{bounces}>']
    assert received.get_all('Errors-To') == [bounces]
    server.clear()
    mlist.include_sender_header = 0
    msg = make_message(extra='Sender: someone@else.example')
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com'],
                                    'envsender': 'other-bounces@example.com'})
    [txn] = server.accepted()
    received = parse(txn)
    assert received.get_all('Sender') == ['someone@else.example']
    assert received.get_all('Errors-To') == ['other-bounces@example.com']
    assert txn.mail_from == 'other-bounces@example.com'


# ---------------------------------------------------------------- logs
def test_log_lines_follow_the_formats(mlist, capture):
    server = capture()
    msg = make_message()
    msgid = msg['message-id']
    SMTPDirect.process(mlist, msg, {'recips': ['a@example.com', 'b@example.com'],
                                    'tolist': 1})
    size = len(server.accepted()[0].wire)
    [smtp] = log_lines('smtp', msgid)
    assert re.search(re.escape(msgid) + r' smtp to ' + mlist.internal_name() +
                     r' for 2 recips, completed in \d+\.\d{3} seconds$', smtp)
    [post] = log_lines('post', msgid)
    assert post.endswith(f'post to {mlist.internal_name()} from '
                         f'anne@example.com, size={size}, '
                         f'message-id={msgid}, success')
    # Not a post to the list: no post line.
    msg2 = make_message()
    SMTPDirect.process(mlist, msg2, {'recips': ['a@example.com']})
    assert log_lines('post', msg2['message-id']) == []
    assert len(log_lines('smtp', msg2['message-id'])) == 1


def test_custom_log_formats(mlist, capture, monkeypatch):
    server = capture()
    server.reject_recipient('no@example.com', 550, '5.1.1 Gone')
    monkeypatch.setattr(mm_cfg, 'SMTP_LOG_EVERY_MESSAGE', (
        'smtp', 'EVERY %(msgid)s %(listname)s %(#recips)s %(size)s '
                '%(allmsg_received)s %(msg_subject)s %(nokey)s'))
    monkeypatch.setattr(mm_cfg, 'SMTP_LOG_EACH_FAILURE', (
        'smtp-failure', 'EACH %(recip)s %(smtpcode)s %(smtpmsg)s %(msgid)s'))
    monkeypatch.setattr(mm_cfg, 'SMTP_LOG_REFUSED', None)
    msg = make_message(subject='Hello there')
    msgid = msg['message-id']
    with pytest.raises(Errors.SomeRecipientsFailed):
        SMTPDirect.process(mlist, msg, {'recips': ['no@example.com',
                                                   'a@example.com']})
    [every] = log_lines('smtp', 'EVERY ' + msgid)
    assert every.endswith(f'EVERY {msgid} {mlist.internal_name()} 2 '
                          f'{server.accepted()[0].wire.__len__()} n/a '
                          'Hello there %(nokey)s')
    [each] = log_lines('smtp-failure', 'EACH ')
    assert each.endswith(f'EACH no@example.com 550 5.1.1 Gone {msgid}')
    assert log_lines('post', msgid) == []


def test_bad_log_format_does_not_break_delivery(mlist, capture, monkeypatch):
    server = capture()
    monkeypatch.setattr(mm_cfg, 'SMTP_LOG_EVERY_MESSAGE', ('smtp', '%(time)d %('))
    SMTPDirect.process(mlist, make_message(), {'recips': ['a@example.com']})
    assert len(server.accepted()) == 1


# ---------------------------------------------------------------- Sendmail
@pytest.fixture
def fake_sendmail(tmp_path, monkeypatch):
    """A program in SENDMAIL_CMD's place that records its arguments and
    input, and exits with the status written in tmp_path/status."""
    script = tmp_path / 'sendmail'
    script.write_text(textwrap.dedent(f'''\
        #!{sys.executable}
        import json, sys, os
        d = {str(tmp_path)!r}
        n = len([f for f in os.listdir(d) if f.startswith('call')])
        data = sys.stdin.buffer.read()
        with open(os.path.join(d, f'call{{n}}.json'), 'w') as f:
            json.dump({{'argv': sys.argv[1:], 'data': data.decode('latin-1')}}, f)
        status = os.path.join(d, 'status')
        sys.exit(int(open(status).read()) if os.path.exists(status) else 0)
        '''))
    script.chmod(0o755)
    monkeypatch.setattr(mm_cfg, 'SENDMAIL_CMD', f'{script} -oem')

    def calls():
        import json
        return [json.loads((tmp_path / f'call{i}.json').read_text())
                for i in range(len(list(tmp_path.glob('call*.json'))))]
    calls.status = tmp_path / 'status'
    return calls


def test_sendmail_argv_and_data(mlist, fake_sendmail):
    from Mailman.Handlers import Sendmail
    msg = make_message(body='.hidden dot line\nbody\n')
    Sendmail.process(mlist, msg, {'recips': ['a@example.com', 'b@example.com']})
    [call] = fake_sendmail()
    assert call['argv'] == ['-oem', '-oi', '-f', mlist.GetBouncesEmail(), '--',
                            'a@example.com', 'b@example.com']
    data = call['data']
    assert '\r' not in data and '\n.hidden dot line\n' in data
    assert f'Errors-To: {mlist.GetBouncesEmail()}' in data


def test_sendmail_refuses_option_like_addresses(mlist, fake_sendmail):
    from Mailman.Handlers import Sendmail
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        Sendmail.process(mlist, make_message(), {
            'recips': ['-oQ/tmp/x@example.com', 'ok@example.com', '']})
    assert info.value.permfailures == ['-oQ/tmp/x@example.com', '']
    [call] = fake_sendmail()
    assert call['argv'][-1] == 'ok@example.com'
    assert not any(a.startswith('-oQ') for a in call['argv'])


def test_sendmail_failure_is_temporary(mlist, fake_sendmail):
    from Mailman.Handlers import Sendmail
    fake_sendmail.status.write_text('75')
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        Sendmail.process(mlist, make_message(), {'recips': ['a@example.com']})
    assert info.value.tempfailures == ['a@example.com']


def test_sendmail_missing_program(mlist, monkeypatch, tmp_path):
    from Mailman.Handlers import Sendmail
    monkeypatch.setattr(mm_cfg, 'SENDMAIL_CMD', str(tmp_path / 'nothing'))
    with pytest.raises(Errors.SomeRecipientsFailed) as info:
        Sendmail.process(mlist, make_message(), {'recips': ['a@example.com']})
    assert info.value.tempfailures == ['a@example.com']


def test_sendmail_chunks_long_command_lines(mlist, fake_sendmail, monkeypatch):
    from Mailman.Handlers import Sendmail
    recips = [f'user{i:04d}@example.com' for i in range(400)]
    Sendmail.process(mlist, make_message(), {'recips': recips})
    calls = fake_sendmail()
    assert len(calls) > 1
    got = [a for c in calls for a in c['argv'][c['argv'].index('--') + 1:]]
    assert got == recips
