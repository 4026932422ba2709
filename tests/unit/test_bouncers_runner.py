"""BounceRunner on messages that must not change any member: a bounce
naming no member, forged bounces, a bounce for another list's member, an
auto-reply, a spam "bounce" (backscatter), a DMARC rejection, a blocklist
refusal and a delay warning; and, as controls, the real bounces and VERP
bounces that must count."""

import email
import re
import shutil
import uuid
from pathlib import Path

import pytest

from unithelp import log_text, queued

HOST = 'lists.example.com'
CORPUS = Path(__file__).resolve().parents[1] / 'data' / 'bounces'


def make_list(members):
    from Mailman import Passwords
    from Mailman.MailList import MailList
    m = MailList()
    m.Create('brun-' + uuid.uuid4().hex[:10], 'owner@example.com',
             Passwords.hash_password('adminpw'))
    for address in members:
        m.addNewMember(address)
    m.Save()
    m.Unlock()
    return m


@pytest.fixture
def lists():
    from Mailman import mm_cfg
    made = [make_list(['ann@example.com', 'bob@example.net']),
            make_list(['carol@example.org'])]
    queued(mm_cfg.VIRGINQUEUE_DIR, remove=True)
    yield made
    for m in made:
        shutil.rmtree(m.fullpath(), ignore_errors=True)
    queued(mm_cfg.VIRGINQUEUE_DIR, remove=True)


def post_headers(listname, subject='[Demo] hello'):
    """Headers of a post as LISTNAME sent it."""
    return (f'Return-Path: <{listname}-bounces@{HOST}>\n'
            f'Received: from {HOST} by mx.example.net; '
            f'Fri, 27 Nov 2026 10:00:00 +0000\n'
            f'From: Poster <poster@example.org>\n'
            f'To: {listname}@{HOST}\n'
            f'Subject: {subject}\n'
            f'Message-ID: <post-{uuid.uuid4().hex}@example.org>\n'
            f'List-Id: <{listname}.{HOST}>\n'
            f'X-BeenThere: {listname}@{HOST}\n')


def dsn(to, recipient, returned, diagnostic='smtp; 550 5.1.1 <{r}>: '
        'Recipient address rejected: User unknown', action='failed',
        status='5.1.1', sender='MAILER-DAEMON@mx.example.net'):
    from Mailman.Message import Message
    diagnostic = diagnostic.format(r=recipient)
    text = (
        f'From: Mail Delivery System <{sender}>\n'
        f'To: {to}\n'
        f'Subject: Undelivered Mail Returned to Sender\n'
        f'Message-ID: <{uuid.uuid4().hex}@mx.example.net>\n'
        f'MIME-Version: 1.0\n'
        f'Content-Type: multipart/report; report-type=delivery-status; '
        f'boundary="BB"\n\n'
        f'--BB\nContent-Type: text/plain\n\n'
        f'Your message could not be delivered to {recipient}.\n\n'
        f'--BB\nContent-Type: message/delivery-status\n\n'
        f'Reporting-MTA: dns; mx.example.net\n\n'
        f'Final-Recipient: rfc822; {recipient}\n'
        f'Action: {action}\nStatus: {status}\n'
        f'Diagnostic-Code: {diagnostic}\n\n'
        f'--BB\nContent-Type: text/rfc822-headers\n\n{returned}\n'
        f'--BB--\n')
    return email.message_from_string(text, _class=Message)


def process(mlist, msg):
    """Run the bounce runner on MSG for MLIST and register its events."""
    from Mailman.MailList import MailList
    from Mailman.Queue.BounceRunner import BounceRunner
    runner = BounceRunner()
    fresh = MailList(mlist.internal_name(), lock=0)
    assert runner._dispose(fresh, msg, {}) is False
    runner._register_bounces()


def state(mlist):
    """Every member's (delivery status, bounce info) of MLIST, re-read."""
    from Mailman.MailList import MailList
    fresh = MailList(mlist.internal_name(), lock=0)
    return {member: (fresh.getDeliveryStatus(member),
                     repr(fresh.getBounceInfo(member)))
            for member in fresh.getMembers()}


def score(mlist, member):
    from Mailman.MailList import MailList
    info = MailList(mlist.internal_name(), lock=0).getBounceInfo(member)
    return info.score if info else None


def owner_mail(mlist):
    from Mailman import mm_cfg
    return [str(msg['subject']) for msg, data in
            queued(mm_cfg.VIRGINQUEUE_DIR, mlist.internal_name(),
                   remove=True)]


def bounces_address(mlist):
    return mlist.GetBouncesEmail()


# ---------------------------------------------------------------- controls
def test_real_bounce_of_a_member_counts(lists):
    one, _two = lists
    name = one.internal_name()
    process(one, dsn(bounces_address(one), 'bob@example.net',
                     post_headers(name)))
    assert score(one, 'bob@example.net') == 1.0
    assert score(one, 'ann@example.com') is None


def test_verp_address_decides(lists):
    one, _two = lists
    name = one.internal_name()
    verp = f'{name}-bounces+ann=example.com@{HOST}'
    # The notice names the address mail was forwarded to; VERP names the
    # member.
    process(one, dsn(verp, 'ann.forwarded@elsewhere.example',
                     post_headers(name)))
    assert score(one, 'ann@example.com') == 1.0
    assert score(one, 'bob@example.net') is None


# ------------------------------------------------- must change no member
def unchanged(lists, msg, target=0):
    before = [state(m) for m in lists]
    process(lists[target], msg)
    assert [state(m) for m in lists] == before
    assert all(info == 'None' for m in lists
               for _status, info in state(m).values())


def test_bounce_naming_no_member(lists):
    one, _two = lists
    unchanged(lists, dsn(bounces_address(one), 'stranger@example.com',
                         post_headers(one.internal_name())))


def test_forged_bounce_returning_another_lists_post(lists):
    one, two = lists
    # Someone sends a bounce-shaped message naming bob, built around a post
    # of some other list.
    unchanged(lists, dsn(bounces_address(one), 'bob@example.net',
                         post_headers(two.internal_name()),
                         sender='mallory@example.com'))
    assert 'did not send' in log_text('bounce')


def test_forged_bounce_returning_a_message_no_list_sent(lists):
    one, _two = lists
    returned = ('Received: from evil.example by mx.example.net\n'
                'From: mallory@example.com\nTo: bob@example.net\n'
                'Subject: hi\nMessage-ID: <forged@evil.example>\n')
    unchanged(lists, dsn(bounces_address(one), 'bob@example.net', returned,
                         sender='mallory@example.com'))


def test_bounce_for_another_lists_member(lists):
    one, two = lists
    # carol is on list two only; the bounce of list two's post came to
    # list one's bounce address.
    unchanged(lists, dsn(bounces_address(one), 'carol@example.org',
                         post_headers(two.internal_name())))
    # And a bounce of list one's post naming her changes nothing either.
    unchanged(lists, dsn(bounces_address(one), 'carol@example.org',
                         post_headers(one.internal_name())))


def test_auto_reply(lists):
    from Mailman.Message import Message
    one, _two = lists
    msg = email.message_from_string(
        f'From: Bob <bob@example.net>\nTo: {bounces_address(one)}\n'
        f'Subject: Out of office: [Demo] hello\n'
        f'Auto-Submitted: auto-replied\n\n'
        f'I am away.  Mail to bob@example.net is read from Monday.\n',
        _class=Message)
    unchanged(lists, msg)
    assert owner_mail(one) == []        # not forwarded as unrecognised
    assert 'auto-reply' in log_text('bounce')


def test_spam_backscatter(lists):
    one, _two = lists
    name = one.internal_name()
    # Spam sent in the list's name (envelope sender forged as the list's
    # bounce address) bounced at a member's server.
    returned = (f'Return-Path: <{name}-bounces@{HOST}>\n'
                'Received: from botnet.example by mx.example.net\n'
                f'From: "Cheap Pills" <{name}-bounces@{HOST}>\n'
                'To: ann@example.com\nSubject: Cheap pills\n'
                'Message-ID: <spam-1@botnet.example>\n')
    unchanged(lists, dsn(bounces_address(one), 'ann@example.com', returned))


def test_dmarc_rejection(lists):
    one, _two = lists
    name = one.internal_name()
    diagnostic = ('smtp; 550-5.7.26 Unauthenticated email from example.org '
                  'is not accepted due\n 550-5.7.26 to domain\'s DMARC '
                  'policy.  Please contact the administrator')
    unchanged(lists, dsn(bounces_address(one), 'ann@example.com',
                         post_headers(name), diagnostic=diagnostic,
                         status='5.7.26'))
    assert 'refusal caused by the list' in log_text('bounce')
    assert 'reason: dmarc' in log_text('bounce')


def test_dmarc_rejection_through_verp(lists):
    one, _two = lists
    name = one.internal_name()
    verp = f'{name}-bounces+ann=example.com@{HOST}'
    diagnostic = ('smtp; 550 5.7.509 Access denied, sending domain '
                  'example.org does not pass DMARC verification')
    unchanged(lists, dsn(verp, 'ann@example.com', post_headers(name),
                         diagnostic=diagnostic, status='5.7.509'))


def test_blocklisted_list_server(lists):
    one, _two = lists
    diagnostic = ('smtp; 554 5.7.1 Service unavailable; Client host '
                  '[192.0.2.25] blocked using zen.spamhaus.org')
    unchanged(lists, dsn(bounces_address(one), 'bob@example.net',
                         post_headers(one.internal_name()),
                         diagnostic=diagnostic, status='5.7.1'))


def test_delay_warning(lists):
    one, _two = lists
    unchanged(lists, dsn(bounces_address(one), 'bob@example.net',
                         post_headers(one.internal_name()),
                         action='delayed', status='4.4.1',
                         diagnostic='smtp; 421 4.4.1 try again later'))


def test_real_postfix_dmarc_and_blocklist_notices(lists):
    """The notices real Postfix wrote (tests/data/bounces) for a member."""
    from Mailman.Message import Message
    one, _two = lists
    for name in ('postfix_real_error_dmarc.txt',
                 'postfix_real_error_blocklist.txt',
                 'postfix_real_delay_warning.txt'):
        raw = (CORPUS / name).read_bytes()
        raw = raw.replace(b'member@dmarc.example.net', b'bob@example.net')
        raw = raw.replace(b'member@rbl.example.net', b'bob@example.net')
        raw = raw.replace(b'member@slow.example.net', b'bob@example.net')
        unchanged(lists, email.message_from_bytes(raw, _class=Message))


def test_unrecognised_goes_to_the_owner(lists):
    from Mailman.Message import Message
    one, _two = lists
    msg = email.message_from_string(
        f'From: postmaster@example.net\nTo: {bounces_address(one)}\n'
        f'Subject: a problem\n\nSomething went wrong somewhere.\n',
        _class=Message)
    unchanged(lists, msg)
    assert owner_mail(one) == ['Uncaught bounce notification']


def test_smtp_refusals_caused_by_the_list_are_not_scored(lists):
    """Permanent refusals at delivery time (OutgoingRunner): a DMARC or
    blocklist reply is the list's problem; a dead address is a bounce."""
    from Mailman import Errors
    from Mailman.MailList import MailList
    from Mailman.Message import Message
    from Mailman.Queue.OutgoingRunner import OutgoingRunner
    one, _two = lists
    one_fresh = MailList(one.internal_name(), lock=0)
    failure = Errors.SomeRecipientsFailed(
        [], ['ann@example.com', 'bob@example.net'])
    failure.replies = {
        'ann@example.com': (550, b'5.7.26 Unauthenticated email from '
                                 b'example.org is not accepted due to '
                                 b"domain's DMARC policy"),
        'bob@example.net': (550, b'5.1.1 <bob@example.net>: User unknown'),
    }
    msg = email.message_from_string('Message-ID: <post@example.org>\n\nx\n',
                                    _class=Message)
    runner = OutgoingRunner()
    runner._handle_failures(one_fresh, msg, {}, failure)
    runner._register_bounces()
    assert score(one, 'ann@example.com') is None
    assert score(one, 'bob@example.net') == 1.0
    assert 'ann@example.com refusal caused by the list' in log_text('bounce')


def send_probe(mlist, address):
    """One bounce for ADDRESS at a threshold of 1.0 (VERP_PROBES on):
    returns the probe message and its queue data."""
    from Mailman import mm_cfg
    from Mailman.MailList import MailList
    name = mlist.internal_name()
    m = MailList(name)
    try:
        m.bounce_score_threshold = 1.0
        m.registerBounce(address, dsn(bounces_address(mlist), address,
                                      post_headers(name)))
        m.Save()
    finally:
        m.Unlock()
    (probe, data), = queued(mm_cfg.VIRGINQUEUE_DIR, name, remove=True)
    return probe, data


def test_verp_probes(lists, monkeypatch):
    """With VERP_PROBES, reaching the threshold sends a probe; only the
    bounce of that probe (its secret token) disables the member."""
    from Mailman import MemberAdaptor
    from Mailman import Pending
    from Mailman import mm_cfg
    from Mailman.MailList import MailList
    one, _two = lists
    name = one.internal_name()
    monkeypatch.setattr(mm_cfg, 'VERP_PROBES', True)
    probe, data = send_probe(one, 'bob@example.net')
    assert data['recips'] == ['bob@example.net']
    assert 'probe message' in str(probe['subject'])
    match = re.fullmatch(rf'{name}-bounces\+([0-9a-f]{{40}})@{HOST}',
                         data['envsender'])
    token = match.group(1)
    assert score(one, 'bob@example.net') == 0
    assert MailList(name, lock=0).getDeliveryStatus('bob@example.net') == \
        MemberAdaptor.ENABLED

    # A made-up token disables nobody: it is an ordinary bounce.
    forged = dsn(f'{name}-bounces+{"ab" * 20}@{HOST}', 'bob@example.net',
                 post_headers(name))
    process(one, forged)
    assert MailList(name, lock=0).getDeliveryStatus('bob@example.net') == \
        MemberAdaptor.ENABLED

    # The probe's own bounce disables bob at once.
    process(one, dsn(data['envsender'], 'bob@example.net',
                     post_headers(name)))
    fresh = MailList(name, lock=0)
    assert fresh.getDeliveryStatus('bob@example.net') == \
        MemberAdaptor.BYBOUNCE
    assert fresh.getDeliveryStatus('ann@example.com') == \
        MemberAdaptor.ENABLED
    subjects = [str(msg['subject']) for msg, _d in
                queued(mm_cfg.VIRGINQUEUE_DIR, name, remove=True)]
    assert any(re.fullmatch(r'confirm [0-9a-f]{40}', s) for s in subjects)
    fresh.Lock()
    try:
        assert fresh.pend_confirm(token, expunge=False) is None
        assert [e[0] for e in fresh.pend_cookies().values()] == \
            [Pending.RE_ENABLE]
    finally:
        fresh.Unlock()


def test_probe_refused_at_delivery_disables(lists, monkeypatch):
    from Mailman import Errors
    from Mailman import MemberAdaptor
    from Mailman import mm_cfg
    from Mailman.MailList import MailList
    from Mailman.Queue.OutgoingRunner import OutgoingRunner
    one, _two = lists
    name = one.internal_name()
    monkeypatch.setattr(mm_cfg, 'VERP_PROBES', True)
    probe, data = send_probe(one, 'bob@example.net')
    failure = Errors.SomeRecipientsFailed([], ['bob@example.net'])
    failure.replies = {'bob@example.net': (550, b'5.1.1 User unknown')}
    runner = OutgoingRunner()
    runner._handle_failures(MailList(name, lock=0), probe, data, failure)
    runner._register_bounces()
    fresh = MailList(name, lock=0)
    assert fresh.getDeliveryStatus('bob@example.net') == \
        MemberAdaptor.BYBOUNCE
    assert fresh.getDeliveryStatus('ann@example.com') == \
        MemberAdaptor.ENABLED
