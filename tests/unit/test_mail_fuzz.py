"""Odd mail for the email command interface, the confirmation flows and
the bounce/cron code: random (but seeded, so repeatable) command messages
in every shape a mail client or a robot produces, plus focused tests for
the bugs such messages found.

What must hold for every message: process_commands returns normally (no
exception: the message is answered or dropped by policy, never lost to a
traceback), every reply goes to the sender (or the member a command
named) and has a readable text part ending in `- Done.', and a message
that carries no password and no valid cookie changes no member's state.
"""

import base64
import email
import os
import random
import shutil
import sys
import uuid
from pathlib import Path

import pytest

from test_commands import MODPW, Reply, add_member, drain_virgin
from test_commands import make_command_list, remove_command_list
from test_commands import load, make_msg, text_of

# FUZZSEED and FUZZN (rounds) let a run explore further; the default is
# the one the suite runs.
SEED = int(os.environ.get('FUZZSEED', 20261127))
MEMBERS = ('ann@example.org', 'bob@example.org', 'dig@example.org')
MEMBERPW = 'memberpw'

# ---------------------------------------------------------------- generator
WORDS = ['help', 'info', 'lists', 'who', 'subscribe', 'unsubscribe', 'join',
         'leave', 'remove', 'password', 'set', 'confirm', 'echo', 'end',
         'stop', 'thanks', 'HELP', 'Who', 'nosuchcommand', 'x', '>',
         'Re:', 'import', 'cmd_help', '__init__', 'os', '..', 'set.py']
SET_OPTIONS = ['ack', 'digest', 'delivery', 'nomail', 'myposts', 'notmetoo',
               'hide', 'duplicates', 'nodupes', 'reminders', 'noremind',
               'show', 'help', 'authenticate', 'bogus', '']
SET_VALUES = ['on', 'off', 'plain', 'mime', 'ON', 'maybe', '', 'on off']
ADDRESSES = ['address=ann@example.org', 'address=<bob@example.org>',
             'address=', 'address=nobody', 'address=x@y@z',
             'address=stranger@example.net', 'ADDRESS=dig@example.org',
             'address=caf\xe9@example.org']
NOISE = ['', ' ', '\t', '> confirm 0123456789abcdef', '-- ', '--', '---',
         'Sent from my phone', 'On Fri, someone wrote:', '\xe9t\xe9',
         'x' * 300, '\u2603 snow', '=?utf-8?q?help?=', 'confirm',
         'confirm ' + 'a' * 40, 'confirm a b c', 'confirm ../../etc',
         'password x', 'who wrongpw', 'subscribe pw digest extra',
         'subscribe pw bogus', 'unsubscribe wrongpw']
PREFIXES = ['', 'Re: ', 'RE:', 'Fwd: ', 'Fwd: Re: ', 'AW: ', 'Re: Re: ',
            '[list] ', 'SV: ', '\u041e\u0442\u0432\u0435\u0442: ']
ROBOT_HEADERS = ['Precedence: bulk', 'Precedence: junk', 'Precedence: list',
                 'Auto-Submitted: auto-replied', 'X-BeenThere: x@y',
                 'Precedence: bulk\nX-Ack: yes', 'Auto-Submitted: no']
CHARSETS = ['us-ascii', 'utf-8', 'iso-8859-1', 'x-unknown', 'idna',
            'punycode', 'undefined', 'base64', 'utf-16', 'utf-7', '']


def command_line(rng):
    word = rng.choice(WORDS)
    if word == 'set':
        parts = ['set', rng.choice(SET_OPTIONS), rng.choice(SET_VALUES)]
    elif word == 'confirm':
        parts = ['confirm', rng.choice(['', uuid.uuid4().hex * 2,
                                        'DEADBEEF', 'x y'])]
    else:
        parts = [word]
        for _ in range(rng.randrange(3)):
            parts.append(rng.choice(['pw', 'wrongpw', 'digest', 'nodigest',
                                     'x', 'on']))
    if rng.random() < 0.3:
        parts.append(rng.choice(ADDRESSES))
    return ' '.join(part for part in parts if part)


def encoded_subject(rng, text):
    """TEXT as a Subject: value, sometimes as encoded words."""
    form = rng.randrange(5)
    if form == 0:
        data = text.encode('utf-8')
        return '=?utf-8?b?' + base64.b64encode(data).decode() + '?='
    if form == 1:
        return '=?utf-8?q?' + text.replace(' ', '_') + '?='
    if form == 2:
        return rng.choice(['=?x-bogus?q?', '=?idna?q?', '=?punycode?b?']) \
            + text.replace(' ', '_') + '?='
    if form == 3:
        return '=?iso-8859-1?q?broken=ZZ?= ' + text
    return text


def body_part(rng, lines):
    """(headers, body bytes) of a body carrying LINES, in one of many
    forms."""
    text = '\n'.join(lines) + '\n'
    charset = rng.choice(CHARSETS)
    try:
        data = text.encode(charset if charset not in ('', 'x-unknown',
                                                      'undefined', 'base64',
                                                      'idna', 'punycode')
                           else 'utf-8')
    except (UnicodeError, LookupError):
        data = text.encode('utf-8')
    params = f'; charset="{charset}"' if charset else ''
    form = rng.randrange(7)
    if form == 0:
        return (f'Content-Type: text/plain{params}\n'
                'Content-Transfer-Encoding: base64\n',
                base64.encodebytes(data))
    if form == 1:
        return (f'Content-Type: text/html{params}\n',
                b'<html><body><p>' + data + b'</p></body></html>\n')
    if form == 2:
        return ('Content-Type: multipart/alternative; boundary="zz"\n',
                b'--zz\nContent-Type: text/html\n\n<b>help</b>\n--zz\n'
                b'Content-Type: text/plain' + params.encode() + b'\n\n' +
                data + b'--zz--\n')
    if form == 3:
        return ('Content-Type: multipart/mixed; boundary="zz"\n',
                b'--zz\nContent-Type: message/rfc822\n\nSubject: help\n\n'
                b'who\n--zz--\n')
    if form == 4:
        # A broken multipart: no closing boundary, bad base64.
        return ('Content-Type: multipart/mixed; boundary="zz"\n',
                b'--zz\nContent-Type: text/plain\n'
                b'Content-Transfer-Encoding: base64\n\n!!!not base64\n')
    if form == 5:
        return (f'Content-Type: text/plain{params}\n'
                'Content-Transfer-Encoding: quoted-printable\n',
                data.replace(b'=', b'=3D') + b'=\n=E9=ZZ\n')
    return (f'Content-Type: text/plain{params}\n'
            'Content-Transfer-Encoding: 8bit\n', data)


def random_message(rng):
    sender = rng.choice(list(MEMBERS) + [
        'stranger@example.net', 'Ann <ANN@Example.ORG>',
        '=?utf-8?q?J=C3=B6rg?= <jorg@example.org>', 'no-at-sign',
        '"weird, name" <w@example.org>', 'bob@example.org (Bob)',
        '=?x-bogus?q?J=F6rg?= <jb@example.org>',
        '=?idna?q?=FF?= <idna@example.org>', '<>', ''])
    subject = rng.choice(PREFIXES) + rng.choice(
        [command_line(rng), rng.choice(NOISE), ''])
    lines = []
    for _ in range(rng.randrange(0, 32)):
        lines.append(command_line(rng) if rng.random() < 0.6
                     else rng.choice(NOISE))
    headers, body = body_part(rng, lines)
    head = (f'From: {sender}\nTo: list-request@lists.example.com\n'
            f'Subject: {encoded_subject(rng, subject)}\n'
            f'Message-ID: <{rng.randrange(10**9)}@fuzz>\nMIME-Version: 1.0\n'
            + headers)
    if rng.random() < 0.1:
        head += 'Approved: wrongpw\n'
    if rng.random() < 0.15:
        head += rng.choice(ROBOT_HEADERS) + '\n'
    if rng.random() < 0.1:
        head = head.replace('From: ', 'Sender: ', 1)
    if rng.random() < 0.05:
        head = head.replace('From: ', 'From: a@example.org, ', 1)
    raw = head.encode('utf-8') + b'\n' + body
    flags = rng.choice([{'torequest': 1}] * 5 +
                       [{'tojoin': 1}, {'toleave': 1}, {'toconfirm': 1}])
    return raw, flags


# ---------------------------------------------------------------- fixtures
@pytest.fixture
def fuzzlist(monkeypatch):
    from Mailman import mm_cfg
    monkeypatch.setattr(mm_cfg, 'MAX_AUTORESPONSES_PER_DAY', 0)
    monkeypatch.setattr(mm_cfg, 'DISCARD_MESSAGE_WITH_NO_COMMAND', 0)
    listname = make_command_list('fuzz')
    for address in MEMBERS:
        add_member(listname, address, MEMBERPW,
                   digest=address.startswith('dig'))
    drain_virgin()
    try:
        yield listname
    finally:
        remove_command_list(listname)
        drain_virgin()


def member_state(listname):
    """Everything about the members a stranger's mail must not change."""
    from Mailman import Passwords
    mlist = load(listname)
    state = {}
    for key in sorted(mlist.getMembers()):
        password = mlist.getMemberPassword(key)
        state[key] = ([mlist.getMemberOption(key, flag)
                       for flag in (1, 2, 4, 8, 16, 32, 64, 128, 256)],
                      mlist.getDeliveryStatus(key),
                      Passwords.verify(MEMBERPW, password)
                      if password else None)
    return state


def process(listname, raw, flags):
    from Mailman.Message import Message
    from Mailman.MailList import MailList
    from Mailman.Queue.CommandRunner import process_commands
    msg = email.message_from_bytes(raw, _class=Message)
    msgdata = dict(flags, listname=listname)
    mlist = MailList(listname, lock=0)
    assert process_commands(mlist, msg, msgdata) is False
    return msg, drain_virgin()


def check_replies(listname, msg, found):
    sender = msg.get_sender()
    members = {address.lower() for address in MEMBERS}
    for out, data in found:
        recips = data.get('recips') or [str(out['to'])]
        assert recips and all('@' in r for r in recips), (recips, out)
        if str(out['subject']) == 'The results of your email commands':
            reply = Reply(out, data)
            assert reply.text.rstrip().endswith('- Done.')
            assert [r.lower() for r in recips] == [sender] or \
                set(r.lower() for r in recips) <= members, recips
        else:
            # Confirmation requests and notices: readable text somewhere.
            texts = [text_of(part) for part in out.walk()
                     if part.get_content_maintype() == 'text']
            assert any(t.strip() for t in texts), out


# ---------------------------------------------------------------- the fuzz
def test_random_command_mail_never_crashes(fuzzlist):
    from Mailman.Queue.CommandRunner import unanswerable
    rng = random.Random(SEED)
    before = member_state(fuzzlist)
    for round_ in range(int(os.environ.get('FUZZN', 220))):
        raw, flags = random_message(rng)
        try:
            msg, found = process(fuzzlist, raw, flags)
        except Exception as error:
            raise AssertionError(
                f'round {round_}: {type(error).__name__}: {error}\n'
                f'{flags}\n{raw.decode("utf-8", "replace")}') from error
        check_replies(fuzzlist, msg, found)
        if unanswerable(load(fuzzlist), msg):
            assert found == [], raw
    # No message had a right password or a live cookie: nobody's
    # membership, options or password changed.
    assert member_state(fuzzlist) == before


# ---------------------------------------------------------------- helpers
def pend(listname, *record):
    from Mailman.MailList import MailList
    mlist = MailList(listname)
    try:
        cookie = mlist.pend_new(*record)
        mlist.Save()
    finally:
        mlist.Unlock()
    return cookie


def answer(listname, sender, subject='', body='', flags=None, headers=None):
    """Process one message; the one command reply, to SENDER."""
    msg = make_msg(sender=sender, subject=subject, body=body,
                   headers=headers)
    raw = msg.as_bytes()
    msg, found = process(listname, raw, flags or {'torequest': 1})
    check_replies(listname, msg, found)
    replies = [Reply(m, d) for m, d in found
               if str(m['subject']) == 'The results of your email commands']
    assert len(replies) == 1, [str(m['subject']) for m, d in found]
    return replies[0]


def pending_ops(listname):
    return {cookie: entry[0]
            for cookie, entry in load(listname).pend_cookies().items()}


# ---------------------------------------------------------------- probes
def test_set_show_for_a_stranger_answers_the_sender(fuzzlist):
    r = answer(fuzzlist, 'ann@example.org',
               subject='set show address=victim@example.net')
    assert r.data['recips'] == ['ann@example.org']
    assert r.said('not a member')


def hold_post(listname, sender='ann@example.org'):
    """Hold a post from SENDER; (request id, its HELD_MESSAGE cookie)."""
    from Mailman import Pending
    from Mailman.MailList import MailList
    mlist = MailList(listname)
    try:
        mlist.admin_immed_notify = 0
        mlist.respond_to_post_requests = 0
        request_id = mlist.HoldMessage(
            make_msg(sender=sender, subject='a post', body='hi\n'), 'test')
        mlist.Save()
        (cookie,) = [c for c, e in mlist.pend_cookies().items()
                     if e[0] == Pending.HELD_MESSAGE and e[1] == request_id]
    finally:
        mlist.Unlock()
    drain_virgin()
    return request_id, cookie


def test_confirm_held_message_with_password_argument(fuzzlist):
    need_hold(fuzzlist)
    request_id, cookie = hold_post(fuzzlist)
    r = answer(fuzzlist, 'mod@example.org', subject=f'confirm {cookie} nope')
    assert r.said('Wrong approval password')
    assert request_id in load(fuzzlist).GetHeldMessageIds()
    assert cookie in load(fuzzlist).pend_cookies()
    r = answer(fuzzlist, 'mod@example.org', subject=f'confirm {cookie} {MODPW}')
    assert r.said('Confirmation succeeded')
    assert request_id not in load(fuzzlist).GetHeldMessageIds()
    r = answer(fuzzlist, 'mod@example.org', subject=f'confirm {cookie}')
    assert r.said('Invalid confirmation string')


def test_withdraw_a_post_the_moderator_already_handled(fuzzlist):
    need_hold(fuzzlist)
    from Mailman import mm_cfg
    from Mailman.MailList import MailList
    request_id, cookie = hold_post(fuzzlist)
    mlist = MailList(fuzzlist)
    try:
        mlist.HandleRequest(request_id, mm_cfg.DISCARD)
        mlist.Save()
    finally:
        mlist.Unlock()
    drain_virgin()
    r = answer(fuzzlist, 'ann@example.org',
               subject=f'Re: confirm {cookie}')
    assert r.said('Invalid confirmation string') or \
        r.said('Confirmation succeeded')


def need_hold(listname):
    from mmtest import need
    need(hasattr(load(listname), 'HoldMessage'), 'no HoldMessage yet')


def test_confirm_password_reset_by_mail(fuzzlist):
    from Mailman import Passwords
    r = answer(fuzzlist, 'bob@example.org', subject='password')
    cookies = [c for c, op in pending_ops(fuzzlist).items() if op == 'R']
    assert len(cookies) == 1
    r = answer(fuzzlist, 'bob@example.org', subject=f'confirm {cookies[0]}')
    assert r.said('confirm ' + cookies[0] + ' <new-password>')
    r = answer(fuzzlist, 'bob@example.org',
               subject=f'Re: confirm {cookies[0]} n3w-pass')
    assert r.said('Your password has been changed')
    stored = load(fuzzlist).getMemberPassword('bob@example.org')
    assert Passwords.verify('n3w-pass', stored)


def test_confirm_reenable_after_the_member_left(fuzzlist):
    from Mailman import Pending
    from Mailman.MailList import MailList
    cookie = pend(fuzzlist, Pending.RE_ENABLE, fuzzlist, 'bob@example.org')
    mlist = MailList(fuzzlist)
    try:
        mlist.ApprovedDeleteMember('bob@example.org', admin_notif=0,
                                   userack=0)
        mlist.Save()
    finally:
        mlist.Unlock()
    drain_virgin()
    r = answer(fuzzlist, 'bob@example.org', subject=f'confirm {cookie}')
    assert r.said('not currently a member')


def test_confirm_subscription_kinds(fuzzlist):
    from Mailman import Pending
    from Mailman.UserDesc import UserDesc
    # Already a member by the time of the confirmation.
    cookie = pend(fuzzlist, Pending.SUBSCRIPTION,
                  UserDesc('ann@example.org', '', 'pw', False, 'en'))
    r = answer(fuzzlist, 'ann@example.org', subject=f'confirm {cookie}')
    assert r.said('already subscribed')
    # A new member, choosing a password in the confirm line.
    cookie = pend(fuzzlist, Pending.SUBSCRIPTION,
                  UserDesc('new@example.org', '', None, False, 'en'))
    r = answer(fuzzlist, 'new@example.org',
               subject=f'Re: Re: confirm {cookie} chosen')
    assert load(fuzzlist).isMember('new@example.org')


def test_confirm_unsubscription_needing_approval(fuzzlist):
    from Mailman import Pending
    from test_commands import configure
    configure(fuzzlist, unsubscribe_policy=1)
    cookie = pend(fuzzlist, Pending.UNSUBSCRIPTION, 'bob@example.org')
    r = answer(fuzzlist, 'bob@example.org', subject=f'confirm {cookie}')
    assert r.said('forwarded to the list moderator')
    assert load(fuzzlist).isMember('bob@example.org')


def test_confirm_change_to_a_banned_or_member_address(fuzzlist):
    from Mailman import Pending
    from test_commands import configure
    configure(fuzzlist, ban_list=['banned@example.org'])
    cookie = pend(fuzzlist, Pending.CHANGE_OF_ADDRESS, 'ann@example.org',
                  'banned@example.org', False)
    r = answer(fuzzlist, 'banned@example.org', subject=f'confirm {cookie}')
    assert r.said('banned')
    assert load(fuzzlist).isMember('ann@example.org')
    cookie = pend(fuzzlist, Pending.CHANGE_OF_ADDRESS, 'ann@example.org',
                  'bob@example.org', True)
    r = answer(fuzzlist, 'bob@example.org', subject=f'confirm {cookie}')
    assert r.said('Confirmation succeeded')
    assert not load(fuzzlist).isMember('ann@example.org')


def test_confirm_probe_and_odd_records(fuzzlist):
    from Mailman import Pending
    cookie = pend(fuzzlist, Pending.PROBE_BOUNCE, 'ann@example.org', None)
    r = answer(fuzzlist, 'ann@example.org', subject=f'Fwd: confirm {cookie}')
    assert r.said('probe')
    assert cookie in load(fuzzlist).pend_cookies()
    # Records as an older or broken writer may have left them.
    for record in ((Pending.RE_ENABLE, 'bob@example.org'),
                   (Pending.UNSUBSCRIPTION,),
                   (Pending.CHANGE_OF_ADDRESS, 'ann@example.org'),
                   (Pending.HELD_MESSAGE,),
                   (Pending.PASSWORD_RESET,),
                   (Pending.PROBE_BOUNCE,),
                   (Pending.SUBSCRIPTION, 'not a userdesc')):
        cookie = pend(fuzzlist, *record)
        r = answer(fuzzlist, 'ann@example.org', subject=f'confirm {cookie}')
        assert r.said('>>>> confirm ' + cookie), record


def test_confirm_address_with_cookie_and_quoted_reply(fuzzlist):
    from Mailman import Pending
    cookie = pend(fuzzlist, Pending.UNSUBSCRIPTION, 'bob@example.org')
    body = (f'yes please\n\n> confirm {cookie}\n> -- \n> the list\n')
    r = answer(fuzzlist, 'bob@example.org', body=body,
               subject=f'=?utf-8?q?AW=3A_confirm_{cookie}?=',
               flags={'toconfirm': 1},
               headers={'Delivered-To':
                        f'list-confirm+{cookie}@lists.example.com'})
    assert not load(fuzzlist).isMember('bob@example.org')
    assert r.said('Confirmation succeeded')


# ---------------------------------------------------------------- bounces
BOUNCE_CORPUS = Path(__file__).resolve().parents[1] / 'data' / 'bounces'


def mutate(rng, raw, listname):
    """RAW (a bounce) damaged in one of the ways bounces are."""
    form = rng.randrange(8)
    if form == 0:
        return raw[:rng.randrange(len(raw) + 1)]
    if form == 1:
        data = bytearray(raw)
        for _ in range(rng.randrange(1, 20)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if form == 2:
        return raw.replace(b'charset=', b'charset=idna; x=', 3)
    if form == 3:
        return raw.replace(b'text/plain', b'text/html')
    bounces = f'{listname}-bounces'
    to = rng.choice([
        f'{bounces}+ann=example.org@lists.example.com',
        f'{bounces}+=@lists.example.com',
        f'{bounces}+a b=c d@lists.example.com',
        f'{bounces}+{"0" * 40}@lists.example.com',
        f'{bounces}+{uuid.uuid4().hex}{uuid.uuid4().hex[:8]}@x',
        f'"{bounces}+x=y"@lists.example.com',
        '=?utf-8?q?=FF?= <@>', '<>', ''])
    return f'To: {to}\nDelivered-To: {to}\n'.encode() + raw


def test_damaged_bounces_never_crash(fuzzlist):
    from Mailman.MailList import MailList
    from Mailman.Message import Message
    from Mailman.Queue.BounceRunner import BounceRunner
    from test_commands import configure
    configure(fuzzlist, bounce_unrecognized_goes_to_list_owner=1)
    rng = random.Random(SEED)
    corpus = sorted(p for p in BOUNCE_CORPUS.glob('*.txt'))
    runner = BounceRunner()
    try:
        for round_ in range(int(os.environ.get('FUZZN', 220))):
            path = rng.choice(corpus)
            raw = mutate(rng, path.read_bytes(), fuzzlist)
            msg = email.message_from_bytes(raw, _class=Message)
            mlist = MailList(fuzzlist, lock=0)
            try:
                assert runner._dispose(mlist, msg, {}) in (False, True)
            except Exception as error:
                raise AssertionError(
                    f'round {round_} ({path.name}): '
                    f'{type(error).__name__}: {error}') from error
        runner._register_bounces()
    finally:
        runner._remove_events_file()
    for out, data in drain_virgin():
        assert data.get('recips') or out['to'], out


def test_probe_bounce_with_odd_records(fuzzlist):
    from Mailman import MemberAdaptor, Pending
    from Mailman.MailList import MailList
    from Mailman.Message import Message
    from Mailman.Queue.BounceRunner import BounceRunner
    runner = BounceRunner()
    for record in ((Pending.PROBE_BOUNCE,),
                   (Pending.PROBE_BOUNCE, 'gone@example.org', b'\xff junk'),
                   (Pending.PROBE_BOUNCE, 'ann@example.org', 'text')):
        cookie = pend(fuzzlist, *record)
        msg = email.message_from_string(
            f'To: {fuzzlist}-bounces+{cookie}@lists.example.com\n'
            f'From: MAILER-DAEMON@example.net\nSubject: failure\n\n'
            f'gone\n', _class=Message)
        assert runner._dispose(MailList(fuzzlist, lock=0), msg, {}) is False
        assert cookie not in load(fuzzlist).pend_cookies()
    runner._remove_events_file()
    # The last one was a member's live probe: she is disabled.
    assert load(fuzzlist).getDeliveryStatus('ann@example.org') == \
        MemberAdaptor.BYBOUNCE
    drain_virgin()


def test_member_with_an_unknown_language(fuzzlist):
    from Mailman.MailList import MailList
    mlist = MailList(fuzzlist)
    try:
        mlist.setMemberLanguage('ann@example.org', 'zz-bogus')
        mlist.Save()
    finally:
        mlist.Unlock()
    r = answer(fuzzlist, 'ann@example.org', subject='help',
               body='info\nset show\nwho\n')
    assert r.echoed[:2] == ['help', 'info']


def test_lists_with_a_broken_list_beside(fuzzlist):
    from Mailman import Utils
    from Mailman.MailList import MailList
    broken = 'fuzzbroken-' + uuid.uuid4().hex[:8]
    mlist = MailList()
    mlist.Create(broken, 'owner@example.com', 'x')
    mlist.Save()
    mlist.Unlock()
    path = mlist.fullpath()
    try:
        for name in ('config.pck', 'config.pck.last'):
            with open(os.path.join(path, name), 'wb') as f:
                f.write(b'\x80\x04garbage')
        assert broken in Utils.list_names()
        r = answer(fuzzlist, 'ann@example.org', subject='lists')
        assert r.said(fuzzlist)
    finally:
        shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- regressions
@pytest.mark.parametrize('charset', ['idna', 'punycode', 'undefined'])
def test_body_in_a_codec_that_cannot_replace(fuzzlist, charset):
    # Such codecs raise UnicodeError even with errors='replace'.
    raw = (f'From: ann@example.org\nSubject: info\n'
           f'Content-Type: text/plain; charset={charset}\n\n').encode() + \
        b'lists\n\xff\xfe\n'
    msg, found = process(fuzzlist, raw, {'torequest': 1})
    (r,) = [Reply(m, d) for m, d in found]
    # The Subject's command always runs.  The body is read as ASCII with
    # replacement characters when the codec fails; Python 3.13's punycode
    # codec instead decodes it to other text, which holds no command.
    assert r.echoed[0] == 'info'
    if (charset, sys.version_info[:2] >= (3, 13)) != ('punycode', True):
        assert r.echoed == ['info', 'lists']


def test_approval_line_in_a_codec_that_cannot_replace(fuzzlist):
    need_hold(fuzzlist)
    request_id, cookie = hold_post(fuzzlist)
    raw = (f'From: mod@example.org\nSubject: Re: confirm {cookie}\n'
           f'Content-Type: text/plain; charset=idna\n\n').encode() + \
        f'Approved: {MODPW}\n'.encode() + b'\xff\n'
    msg, found = process(fuzzlist, raw, {'torequest': 1})
    (r,) = [Reply(m, d) for m, d in found]
    assert r.said('Confirmation succeeded')
    assert request_id not in load(fuzzlist).GetHeldMessageIds()


def test_decode_bytes_in_a_codec_that_cannot_replace():
    from Mailman import Utils
    assert Utils.decode_bytes(b'ok \xff', 'idna') == 'ok \xff'


@pytest.mark.parametrize('prefix', ['Re: Re: ', 'Fwd: Re: ', 'Fwd:Re: ',
                                    '[list] Re: ', 'AW: WG: '])
def test_subject_command_behind_several_prefixes(fuzzlist, prefix):
    r = answer(fuzzlist, 'ann@example.org', subject=prefix + 'info')
    assert r.output(prefix + 'info')[0].startswith('List name:')


def test_checkdbs_forgets_unreadable_autoresponse_counts(fuzzlist):
    from Mailman import CheckDbs
    from Mailman.MailList import MailList
    mlist = MailList(fuzzlist)
    try:
        mlist.hold_and_cmd_autoresponses = {
            'a@example.org': (5, 1), 'b@example.org': (),
            'c@example.org': None, 'd@example.org': ((2001, 1, 1), 2)}
        mlist.Save()
    finally:
        mlist.Unlock()
    assert CheckDbs.run([fuzzlist]) == []
    assert load(fuzzlist).hold_and_cmd_autoresponses == {}


def test_random_mail_through_the_queue_runner(fuzzlist):
    """The same mail, through qfiles/commands and the real runner: every
    entry is used up, none is shunted."""
    from Mailman import mm_cfg
    from Mailman.Queue.CommandRunner import CommandRunner
    from Mailman.Queue.Switchboard import Switchboard
    from unithelp import queued
    commands = Switchboard(mm_cfg.CMDQUEUE_DIR)
    for filebase in commands.files():           # left by other tests
        commands.dequeue(filebase)
        commands.finish(filebase)
    shunted = len(queued(mm_cfg.SHUNTQUEUE_DIR, fuzzlist))
    rng = random.Random(SEED + 1)
    for _ in range(40):
        raw, flags = random_message(rng)
        commands.enqueue(raw, dict(flags), listname=fuzzlist)
    runner = CommandRunner()
    while runner.run_once():
        pass
    assert commands.files() == []
    assert len(queued(mm_cfg.SHUNTQUEUE_DIR, fuzzlist)) == shunted
    for out, data in drain_virgin():
        assert data.get('recips'), out


@pytest.mark.parametrize('approve', [False, True])
def test_confirm_held_message_whose_file_is_gone(fuzzlist, approve):
    need_hold(fuzzlist)
    request_id, cookie = hold_post(fuzzlist)
    os.unlink(load(fuzzlist).GetHeldMessagePath(request_id))
    subject = f'confirm {cookie} {MODPW}' if approve else f'confirm {cookie}'
    r = answer(fuzzlist, 'ann@example.org', subject=subject)
    assert r.said('>>>> ' + subject)
    assert request_id not in load(fuzzlist).GetHeldMessageIds()


@pytest.mark.parametrize('subject', ['=?x-bogus?q?AW:?= info',
                                     '=?utf-8?b?!!!?= info',
                                     '=?idna?q?=FF?= info',
                                     '=?punycode?b?AW:_?= info'])
def test_subject_with_undecodable_encoded_words(fuzzlist, subject):
    raw = f'From: ann@example.org\nSubject: {subject}\n\n'.encode()
    msg, found = process(fuzzlist, raw, {'torequest': 1})
    (r,) = [Reply(m, d) for m, d in found]
    assert r.results[1].startswith('List name:'), r.text


def test_subscribe_from_an_undecodable_real_name(fuzzlist):
    raw = (b'From: =?punycode?b?AW:_?= <newbie@example.org>\n'
           b'Subject: subscribe\n\n')
    msg, found = process(fuzzlist, raw, {'torequest': 1})
    # The confirmation request went out (and is the only answer).
    (out,) = [m for m, d in found]
    assert 'newbie@example.org' in str(out['to'])
    assert any(entry[0] == 'S' and entry[1].address == 'newbie@example.org'
               for entry in load(fuzzlist).pend_cookies().values()
               if len(entry) > 1 and hasattr(entry[1], 'address'))


def test_every_set_option_and_value(fuzzlist):
    """Each set line after authentication, with each value: answered, and
    only the authenticated member changes."""
    others = {k: v for k, v in member_state(fuzzlist).items()
              if k != 'bob@example.org'}
    for option in SET_OPTIONS:
        for value in SET_VALUES:
            line = f'set {option} {value}'.strip()
            r = answer(fuzzlist, 'stranger@example.net',
                       body=f'set authenticate {MEMBERPW} '
                            f'address=bob@example.org\n{line}\nset show '
                            f'address=bob@example.org\n')
            assert r.echoed[:2] == [
                f'set authenticate {MEMBERPW} address=bob@example.org',
                line], r.text
    assert {k: v for k, v in member_state(fuzzlist).items()
            if k != 'bob@example.org'} == others
    assert load(fuzzlist).isMember('bob@example.org')


# ------------------------------------------------ codecs that fail on 'replace'
# idna and punycode raise UnicodeError even when asked to replace what they
# cannot read; the posting path must read such text anyway.
def _idna_post():
    from Mailman.Message import Message
    msg = Message()
    msg['From'] = 'poster@example.com'
    msg['Subject'] = '=?idna?q?=FF?= subject'
    msg['Content-Type'] = 'text/plain; charset="idna"'
    msg.set_payload(b'Subject: \xff topics\n\nbody \xff\n')
    return msg


def test_posting_path_reads_text_in_failing_codecs():
    from Mailman.Handlers import CookHeaders, Hold, Tagger, ToDigest
    msg = _idna_post()
    assert CookHeaders.header_parts(msg['Subject'])
    assert isinstance(Tagger.scanbody(msg), list)
    assert any('body' in line for line in Hold._text_lines(msg))
    assert 'body' in ToDigest._decoded_text(msg, 'us-ascii')


def test_unreadable_autoresponse_record_is_replaced():
    import uuid
    from Mailman import Passwords
    from Mailman.MailList import MailList
    m = MailList()
    m.Create('fz-' + uuid.uuid4().hex[:8], 'owner@example.com',
             Passwords.hash_password('pw'))
    try:
        for junk in ((5, 1), (), None, ('x',)):
            m.hold_and_cmd_autoresponses['someone@example.com'] = junk
            assert m.autorespondToSender('someone@example.com', 'en') in \
                (True, False)
            assert m.hold_and_cmd_autoresponses['someone@example.com'][1] == 1
    finally:
        m.Unlock()
        shutil.rmtree(m.fullpath(), ignore_errors=True)
