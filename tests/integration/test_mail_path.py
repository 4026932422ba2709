"""Issue: the mail path end to end through the real parts.

Postfix receives a post (from its sendmail and over SMTP), pipes it through
the alias bin/genaliases wrote into the setgid mail/mailman wrapper, the
script queues it, the runners started by bin/mailmanctl run the pipeline,
and SMTPDirect delivers one copy per member to a strict SMTP capture
server on loopback.
"""

import os
import re
import shutil
import subprocess
import smtplib
import sys
import time
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path

import pytest

from mmtest import need
from installs import root_install
import postfix

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smtpcapture import SMTPCaptureServer  # noqa: E402

MAIL_DOMAIN = 'lists.example.com'
MEMBERS = ['ann@example.com', 'bob@example.net', 'cy@example.org']
PYTHON = '/usr/bin/python3'


def settings_file(install):
    return install.prefix / 'Mailman' / 'mm_cfg.py'


@pytest.fixture(scope='module')
def mail_site():
    need(postfix.available(), 'Postfix is not installed')
    install, workdir = root_install(
        'mailpath', f'--with-mailhost={MAIL_DOMAIN}',
        '--with-urlhost=www.example.com')
    capture = SMTPCaptureServer(extensions=('8BITMIME', 'PIPELINING', 'SIZE'))
    capture.start()
    base_settings = settings_file(install).read_text()
    settings_file(install).write_text(
        base_settings +
        "\nMTA = 'Postfix'\n"
        f"SMTPHOST = '127.0.0.1'\nSMTPPORT = {capture.port}\n"
        "QRUNNER_SLEEP_TIME = 0.2\n"
        # Retries come due at once; the tests run the retry pass by hand.
        "DELIVERY_RETRY_WAIT = 1\n")
    for name, owner in (('mailman', 'siteowner@example.com'),
                        ('e2e', 'owner@example.com')):
        result = install.bin('newlist', '-q', name, owner, 'pw')
        assert result.returncode == 0, result.stderr
    members = workdir / 'members.txt'
    members.write_text('\n'.join(MEMBERS) + '\n')
    added = install.bin('add_members', '-r', members, '-w', 'n', '-a', 'n',
                        'e2e')
    assert added.returncode == 0, added.stdout + added.stderr
    assert install.bin('genaliases', '-q').returncode == 0
    mta = postfix.Postfix(MAIL_DOMAIN, install.var_prefix / 'data' / 'aliases')
    mta.start()
    started = install.bin('mailmanctl', 'start')
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield install, capture, mta, base_settings
    finally:
        install.bin('mailmanctl', 'stop')
        capture.stop()
        mta.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def post_text(subject, sender='ann@example.com'):
    return (f'From: Ann <{sender}>\r\n'
            f'To: e2e@{MAIL_DOMAIN}\r\n'
            f'Subject: {subject}\r\n'
            f'Message-ID: <{subject.replace(" ", "-")}@example.com>\r\n'
            '\r\n'
            'Hello list.\r\n'
            '.A line that starts with a dot.\r\n').encode('ascii')


def deliveries(capture, subject):
    found = []
    for txn in capture.accepted():
        message = txn.message()
        if subject in str(message.get('Subject', '')):
            found.append((txn, message))
    return found


def wait_for_copies(install, capture, subject, count=len(MEMBERS)):
    """Wait until COUNT recipients got the post (in one transaction or
    several); returns [(transaction, message)]."""
    def delivered():
        found = deliveries(capture, subject)
        return found if len(recipients(found)) >= count else None
    got = postfix.wait_for(delivered, timeout=90)
    if not got:
        logs = install.var_prefix / 'logs'
        detail = {p.name: p.read_text()[-2000:] for p in logs.iterdir()}
        raise AssertionError(f'no delivery of {subject!r}; logs: {detail}; '
                             f'postfix: {postfix.Postfix.log_since(0)[-3000:]}')
    return got


def recipients(found):
    return sorted(r for txn, _ in found for r in txn.rcpt_tos)


def check_list_copy(message, subject):
    assert message['Subject'] == f'[E2e] {subject}'
    assert message['List-Id'] == f'<e2e.{MAIL_DOMAIN}>'
    assert message['X-BeenThere'] == f'e2e@{MAIL_DOMAIN}'
    body = message.get_payload(decode=True).decode()
    assert 'Hello list.' in body
    assert '.A line that starts with a dot.' in body
    assert 'http://www.example.com/mailman/listinfo/e2e' in body   # footer


def test_post_through_postfix_sendmail(mail_site):
    install, capture, mta, _ = mail_site
    subject = 'via sendmail'
    mta.sendmail('ann@example.com', [f'e2e@{MAIL_DOMAIN}'], post_text(subject))
    found = wait_for_copies(install, capture, subject)
    assert recipients(found) == sorted(MEMBERS)
    for txn, message in found:
        assert txn.mail_from == f'e2e-bounces@{MAIL_DOMAIN}'
        check_list_copy(message, subject)
    assert capture.violations == []


def test_post_through_postfix_smtp(mail_site):
    install, capture, _, _ = mail_site
    subject = 'via smtp'
    with smtplib.SMTP('127.0.0.1', 25, timeout=30) as client:
        client.sendmail('bob@example.net', [f'e2e@{MAIL_DOMAIN}'],
                        post_text(subject, sender='bob@example.net'))
    found = wait_for_copies(install, capture, subject)
    assert recipients(found) == sorted(MEMBERS)
    for _, message in found:
        check_list_copy(message, subject)
    assert capture.violations == []


def test_verp_envelopes(mail_site):
    install, capture, mta, base_settings = mail_site
    text = settings_file(install).read_text()
    settings_file(install).write_text(text + 'VERP_DELIVERY_INTERVAL = 1\n')
    try:
        assert install.bin('mailmanctl', 'restart').returncode == 0
        time.sleep(3)      # the runners restart with the new settings
        subject = 'verp post'
        mta.sendmail('cy@example.org', [f'e2e@{MAIL_DOMAIN}'],
                     post_text(subject, sender='cy@example.org'))
        found = wait_for_copies(install, capture, subject)
        envelopes = sorted(txn.mail_from for txn, _ in found)
        assert envelopes == sorted(
            f'e2e-bounces+{m.replace("@", "=")}@{MAIL_DOMAIN}' for m in MEMBERS)
        assert all(len(txn.rcpt_tos) == 1 for txn, _ in found)
    finally:
        settings_file(install).write_text(text)
        install.bin('mailmanctl', 'restart')


def test_unknown_list_is_refused_by_postfix(mail_site):
    """No alias, no list: Postfix refuses the address at RCPT time."""
    with smtplib.SMTP('127.0.0.1', 25, timeout=30) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail('ann@example.com', [f'nolist@{MAIL_DOMAIN}'],
                            post_text('to nowhere'))
    [(code, _)] = refused.value.recipients.values()
    assert code == 550


# ---------------------------------------------------------------- moderation
def held_requests(install):
    """{subject: request id} of the posts held for e2e."""
    result = install.python(
        'from Mailman.MailList import MailList\n'
        'm = MailList("e2e", lock=0)\n'
        'for i in m.GetHeldMessageIds():\n'
        '    print(i, m.GetRecord(i)[2])\n')
    held = {}
    for line in result.stdout.splitlines():
        request_id, _, subject = line.partition(' ')
        held[subject] = int(request_id)
    return held


def decide(install, request_id, action, comment=''):
    result = install.python(
        'import sys\n'
        'from Mailman import mm_cfg\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList("e2e")\n'
        'try:\n'
        '    m.HandleRequest(int(sys.argv[1]), getattr(mm_cfg, sys.argv[2]),\n'
        '                    comment=sys.argv[3] or None)\n'
        '    m.Save()\n'
        'finally:\n'
        '    m.Unlock()\n', request_id, action, comment)
    assert result.returncode == 0, result.stderr


def hold_a_post(install, mta, subject):
    """A non-member's post, held by the list's default nonmember action."""
    mta.sendmail('stranger@example.com', [f'e2e@{MAIL_DOMAIN}'],
                 post_text(subject, sender='stranger@example.com'))
    held = postfix.wait_for(lambda: held_requests(install).get(subject),
                            timeout=60)
    assert held, f'{subject!r} was not held'
    return held


def messages_to(capture, address, containing):
    return [message for txn in capture.accepted() if address in txn.rcpt_tos
            for message in [txn.message()] if containing in message.as_string()]


def test_held_post_approved_through_the_api_is_delivered(mail_site):
    install, capture, mta, _ = mail_site
    request_id = hold_a_post(install, mta, 'held then approved')
    assert not deliveries(capture, 'held then approved')
    decide(install, request_id, 'APPROVE')
    found = wait_for_copies(install, capture, 'held then approved')
    assert recipients(found) == sorted(MEMBERS)


def test_held_post_approved_by_email_is_delivered(mail_site):
    install, capture, mta, _ = mail_site
    subject = 'held then approved by mail'
    hold_a_post(install, mta, subject)
    notices = postfix.wait_for(
        lambda: messages_to(capture, 'owner@example.com', subject), timeout=60)
    assert notices, 'the owner got no notice of the held post'
    cookie = re.search(r'confirm ([0-9a-f]{40})', notices[-1].as_string())
    assert cookie, notices[-1].as_string()
    reply = (f'From: owner@example.com\r\nTo: e2e-request@{MAIL_DOMAIN}\r\n'
             f'Subject: confirm {cookie.group(1)}\r\nApproved: pw\r\n'
             '\r\n\r\n').encode()
    mta.sendmail('owner@example.com', [f'e2e-request@{MAIL_DOMAIN}'], reply)
    found = wait_for_copies(install, capture, subject)
    assert recipients(found) == sorted(MEMBERS)


def test_discarded_post_is_not_delivered_and_rejected_one_goes_back(mail_site):
    install, capture, mta, _ = mail_site
    discard_id = hold_a_post(install, mta, 'held then discarded')
    reject_id = hold_a_post(install, mta, 'held then rejected')
    decide(install, discard_id, 'DISCARD')
    decide(install, reject_id, 'REJECT', 'Off topic for this list')
    notice = postfix.wait_for(
        lambda: messages_to(capture, 'stranger@example.com',
                            'Off topic for this list'), timeout=60)
    assert notice, 'the rejection did not reach the sender'
    time.sleep(2)       # give a wrongly approved post time to show up
    assert not deliveries(capture, 'held then discarded')
    assert not deliveries(capture, 'held then rejected')
    assert set(held_requests(install)).isdisjoint(
        {'held then discarded', 'held then rejected'})


# ---------------------------------------------------------------- faults
def test_temporary_smtp_failure_goes_to_retry_and_is_delivered(mail_site):
    install, capture, mta, _ = mail_site
    subject = 'delivered after a 451'
    # Bulk delivery makes one transaction per group of top-level domains:
    # .com, and .net with .org.  Both are refused.
    capture.fail_next(count=2, code=451, stage='mail')
    mta.sendmail('ann@example.com', [f'e2e@{MAIL_DOMAIN}'], post_text(subject))
    retry = install.var_prefix / 'qfiles' / 'retry'
    assert postfix.wait_for(lambda: retry.exists() and any(retry.glob('*.pck')),
                            timeout=60), 'nothing reached the retry queue'
    assert not deliveries(capture, subject)
    time.sleep(1.5)     # DELIVERY_RETRY_WAIT is 1 s in this site
    moved = install.bin('qrunner', '-r', 'Retry', '-o')
    assert moved.returncode == 0, moved.stderr
    found = wait_for_copies(install, capture, subject)
    assert recipients(found) == sorted(MEMBERS)


def test_50_megabyte_post_is_held_not_lost(mail_site):
    install, capture, _, _ = mail_site
    subject = 'a very large post'
    message = EmailMessage()
    message['From'] = 'ann@example.com'
    message['To'] = f'e2e@{MAIL_DOMAIN}'
    message['Subject'] = subject
    message.set_content('See the attachment.')
    message.add_attachment(os.urandom(50 * 1024 * 1024),
                           maintype='application', subtype='octet-stream',
                           filename='big.bin')
    with smtplib.SMTP('127.0.0.1', 25, timeout=120) as client:
        client.send_message(message, 'ann@example.com', [f'e2e@{MAIL_DOMAIN}'])
    held = postfix.wait_for(lambda: held_requests(install).get(subject),
                            timeout=180)
    assert held, 'the large post was neither delivered nor held'
    held_file = install.var_prefix / 'data' / f'heldmsg-e2e-{held}.pck'
    assert held_file.stat().st_size > 50 * 1024 * 1024
    assert not deliveries(capture, subject)


# ---------------------------------------------------------------- hostile input
MALFORMED = {
    'broken-mime': (b'From: ann@example.com\r\nTo: e2e@lists.example.com\r\n'
                    b'Subject: broken-mime\r\nMIME-Version: 1.0\r\n'
                    b'Content-Type: multipart/mixed; boundary="nope"\r\n\r\n'
                    b'no boundary ever appears\r\n--wrong\r\n'),
    'eight-bit-headers': (b'From: ann@example.com\r\n'
                          b'To: e2e@lists.example.com\r\n'
                          b'Subject: eight-bit-headers \xe9\xff\xfe caf\xc3\xa9\r\n'
                          b'X-Odd: \x80\x81\r\n\r\nbody\r\n'),
    'unknown-charset': (b'From: ann@example.com\r\nTo: e2e@lists.example.com\r\n'
                        b'Subject: unknown-charset =?x-no-such?q?abc?=\r\n'
                        b'Content-Type: text/plain; charset="x-no-such-charset"\r\n'
                        b'\r\nbody \xa4\xa4\r\n'),
    'long-line': (b'From: ann@example.com\r\nTo: e2e@lists.example.com\r\n'
                  b'Subject: long-line\r\n\r\n' + b'x' * 100000 + b'\r\n'),
}


def accounted_for(install, capture, subject):
    """Where the post SUBJECT ended: delivered, held, shunted or kept in
    qfiles/bad.  None while it is still on its way."""
    # Headers with 8-bit bytes reach members RFC 2047-encoded: decode them.
    for txn in capture.accepted():
        raw = txn.message().get('Subject', '')
        try:
            decoded = str(make_header(decode_header(raw)))
        except (ValueError, LookupError, UnicodeError):
            decoded = raw
        if subject in decoded or subject.encode() in txn.data:
            return 'delivered'
    if any(subject in key for key in held_requests(install)):
        return 'held'
    for queue in ('shunt', 'bad'):
        directory = install.var_prefix / 'qfiles' / queue
        if directory.exists():
            for path in directory.iterdir():
                if subject.encode() in path.read_bytes():
                    return queue
    return None


@pytest.mark.parametrize('name', sorted(MALFORMED))
def test_malformed_posts_are_never_lost(mail_site, name):
    install, capture, mta, _ = mail_site
    qrunner_log = install.var_prefix / 'logs' / 'qrunner'
    log_start = qrunner_log.stat().st_size
    mta.sendmail('ann@example.com', [f'e2e@{MAIL_DOMAIN}'], MALFORMED[name])
    where = postfix.wait_for(lambda: accounted_for(install, capture, name),
                             timeout=90)
    if not where:
        qfiles = {d.name: sorted(p.name for p in d.iterdir())
                  for d in (install.var_prefix / 'qfiles').iterdir()}
        logs = {p.name: p.read_text(errors='replace')[-1500:]
                for p in (install.var_prefix / 'logs').iterdir()
                if p.name in ('error', 'vette', 'post', 'smtp-failure')}
        raise AssertionError(f'{name}: not delivered, held, shunted or kept; '
                             f'queues {qfiles}; logs {logs}; postfix '
                             f'{postfix.Postfix.log_since(0)[-1500:]}')
    # No runner died on it.
    with qrunner_log.open() as f:
        f.seek(log_start)
        assert 'detected subprocess exit' not in f.read()


def outcomes(install, capture):
    """How many posts are held, shunted or kept in qfiles/bad.  (A post
    with no sender cannot be delivered: it is held as a non-member's.)"""
    count = len(held_requests(install))
    for queue in ('shunt', 'bad'):
        directory = install.var_prefix / 'qfiles' / queue
        if directory.exists():
            count += sum(1 for _ in directory.iterdir())
    return count


def test_empty_message_is_never_lost(mail_site):
    install, capture, _, _ = mail_site
    before = outcomes(install, capture)
    wrapper = install.exec_prefix / 'mail' / 'mailman'
    result = subprocess.run(['setpriv', '--reuid=mailman', '--regid=mailman',
                             '--clear-groups', str(wrapper), 'post', 'e2e'],
                            input=b'', capture_output=True)
    assert result.returncode == 0, result.stderr
    assert postfix.wait_for(lambda: outcomes(install, capture) > before,
                            timeout=60), 'the empty message vanished'
