"""The email command interface: every command with its variants, run by
CommandRunner.process_commands on a real list; the replies (and the
other mails) are read back from qfiles/virgin and checked."""

import email
import re
import os
import shutil
import uuid

import pytest

from mmtest import need

ADMINPW = 'admin-secret'
MODPW = 'moderator-secret'


# ---------------------------------------------------------------- helpers
def drain_virgin():
    from Mailman import mm_cfg
    from Mailman.Queue.Switchboard import Switchboard
    switchboard = Switchboard(mm_cfg.VIRGINQUEUE_DIR)
    found = []
    for filebase in switchboard.files():
        msg, data = switchboard.dequeue(filebase)
        switchboard.finish(filebase)
        found.append((msg, data))
    return found


def text_of(msg):
    payload = msg.get_payload(decode=True) or b''
    return payload.decode(msg.get_content_charset('utf-8'), 'replace')


def cookie_of(msg):
    for text in (str(msg.get('subject', '')), text_of(msg)):
        match = re.search(r'\b([0-9a-f]{40})\b', text)
        if match:
            return match.group(1)
    raise AssertionError('no cookie')


class Reply:
    """A command reply taken apart."""

    def __init__(self, msg, data):
        self.msg = msg
        self.data = data
        assert msg.get_content_type() == 'multipart/mixed', msg
        assert str(msg['subject']) == 'The results of your email commands'
        parts = msg.get_payload()
        assert len(parts) == 2
        self.text = text_of(parts[0])
        self.original = parts[1]
        self.sections = {}
        current = None
        for line in self.text.splitlines():
            if line in ('- Results:', '- Unprocessed:', '- Ignored:',
                        '- Done.'):
                current = line[2:-1]
                self.sections[current] = []
                continue
            if current and line:
                assert line.startswith('    '), line
                self.sections[current].append(line[4:])
        assert 'Done' in self.sections, self.text

    @property
    def results(self):
        return self.sections.get('Results', [])

    @property
    def unprocessed(self):
        return self.sections.get('Unprocessed', [])

    @property
    def ignored(self):
        return self.sections.get('Ignored', [])

    @property
    def echoed(self):
        return [line[5:] for line in self.results if line.startswith('>>>> ')]

    def output(self, command):
        """The result lines of the (first) echoed COMMAND line."""
        lines = self.results
        start = lines.index('>>>> ' + command) + 1
        out = []
        for line in lines[start:]:
            if line.startswith('>>>> '):
                break
            out.append(line)
        return out

    def said(self, text):
        return text in self.text


def make_msg(text=None, sender='user@example.org', subject='', body='',
             headers=None):
    from Mailman.Message import Message
    if text is None:
        head = f'From: {sender}\nTo: cmd@lists.example.com\n'
        head += f'Subject: {subject}\nMessage-ID: <{uuid.uuid4().hex}@t>\n'
        for name, value in (headers or {}).items():
            head += f'{name}: {value}\n'
        text = head + '\n' + body
    if isinstance(text, bytes):
        return email.message_from_bytes(text, _class=Message)
    return email.message_from_string(text, _class=Message)


def run(name, msg=None, flags=None, **kws):
    """Process one command message for list NAME; returns the mails
    queued as a result: [(message, metadata)]."""
    from Mailman.MailList import MailList
    from Mailman.Queue.CommandRunner import process_commands
    if msg is None:
        msg = make_msg(**kws)
    msgdata = dict(flags or {'torequest': 1})
    msgdata['listname'] = name
    mlist = MailList(name, lock=0)
    assert process_commands(mlist, msg, msgdata) is False
    return drain_virgin()


def reply(name, sender='user@example.org', **kws):
    """Run the commands and return the one reply to SENDER."""
    found = run(name, sender=sender, **kws)
    replies = [Reply(m, d) for m, d in found
               if str(m['subject']) == 'The results of your email commands']
    assert len(replies) == 1, [str(m['subject']) for m, d in found]
    assert replies[0].data['recips'] == [sender]
    return replies[0]


def configure(name, **attributes):
    from Mailman.MailList import MailList
    mlist = MailList(name)
    try:
        for key, value in attributes.items():
            setattr(mlist, key, value)
        mlist.Save()
    finally:
        mlist.Unlock()


def add_member(name, address, password='memberpw', digest=False,
               realname=''):
    from Mailman.MailList import MailList
    from Mailman.UserDesc import UserDesc
    mlist = MailList(name)
    try:
        mlist.ApprovedAddMember(UserDesc(address, realname, password, digest),
                                ack=0, admin_notif=0)
        mlist.Save()
    finally:
        mlist.Unlock()


def load(name):
    from Mailman.MailList import MailList
    return MailList(name, lock=0)


def make_command_list(prefix='cmd'):
    """A new list for the command tests; returns its name.  Members start
    with no option set, so that each option test starts from a known
    state, and get no welcome or goodbye messages."""
    from Mailman import Passwords
    from Mailman.MailList import MailList
    listname = f'{prefix}-' + uuid.uuid4().hex[:10]
    mlist = MailList()
    mlist.Create(listname, 'owner@example.com',
                 Passwords.hash_password(ADMINPW))
    mlist.mod_password = Passwords.hash_password(MODPW)
    mlist.send_welcome_msg = 0
    mlist.send_goodbye_msg = 0
    mlist.new_member_options = 0
    mlist.Save()
    mlist.Unlock()
    return listname


def remove_command_list(listname):
    from Mailman import mm_cfg
    shutil.rmtree(os.path.join(mm_cfg.LIST_DATA_DIR, listname),
                  ignore_errors=True)


@pytest.fixture
def name():
    listname = make_command_list()
    drain_virgin()
    try:
        yield listname
    finally:
        remove_command_list(listname)
        drain_virgin()


# ---------------------------------------------------------------- reading
@pytest.mark.parametrize('subject', ['help', 'Re: help', 'Re:help',
                                     'AW: Help', 'please help'])
def test_help_in_subject(name, subject):
    r = reply(name, subject=subject)
    assert r.echoed == [subject]
    help_text = '\n'.join(r.output(subject))
    for command in ('confirm', 'echo', 'end', 'help', 'info', 'join',
                    'leave', 'lists', 'password', 'remove', 'set', 'stop',
                    'subscribe', 'unsubscribe', 'who', 'thanks'):
        assert f'\n    {command}' in '\n' + help_text, command
    assert load(name).GetRequestEmail() in help_text
    assert not r.unprocessed


def test_help_in_body_and_member_url(name):
    add_member(name, 'Member@example.org')
    r = reply(name, sender='member@example.org', subject='no command here',
              body='help\n')
    assert r.echoed == ['help']
    assert load(name).GetOptionsURL('Member@example.org') in r.results


def test_commands_run_in_order_and_stop_at_a_bad_line(name):
    r = reply(name, subject='info', body='lists\nno such command\nwho\n')
    assert r.echoed == ['info', 'lists']
    assert r.unprocessed == ['no such command', 'who']
    # who did not run
    assert not r.said('Non-digest') and not r.said('not allowed')


def test_echo_returns_its_words_and_stops(name):
    r = reply(name, body='echo hello   world\ninfo\n')
    assert r.output('echo hello   world') == ['echo hello world']
    assert r.unprocessed == ['info']


@pytest.mark.parametrize('word', ['end', 'stop', 'thanks', 'END'])
def test_end_stop_thanks(name, word):
    r = reply(name, body=f'info\n{word}\nlists\nwho\n')
    assert r.echoed == ['info', word]
    assert r.output(word) == []
    assert r.unprocessed == ['lists', 'who']
    assert not r.said('Public mailing lists')


def test_signature_ends_the_commands(name):
    for separator in ('-- ', '--'):
        r = reply(name, body=f'info\n{separator}\nJoe Bloggs\nwho\n')
        assert r.echoed == ['info']
        assert r.unprocessed == [] and r.ignored == []


def test_max_lines(name, monkeypatch):
    from Mailman import mm_cfg
    assert mm_cfg.DEFAULT_MAIL_COMMANDS_MAX_LINES == 25
    r = reply(name, body='\n' * 24 + 'info\nlists\nwho\n')
    assert r.echoed == ['info']
    assert r.ignored == ['lists', 'who']
    monkeypatch.setattr(mm_cfg, 'DEFAULT_MAIL_COMMANDS_MAX_LINES', 2)
    r = reply(name, body='info\nlists\necho 3\necho 4\n')
    assert r.echoed == ['info', 'lists']
    assert r.ignored == ['echo 3', 'echo 4']


def test_no_command_is_discarded_or_answered(name, monkeypatch):
    from Mailman import mm_cfg
    monkeypatch.setattr(mm_cfg, 'DISCARD_MESSAGE_WITH_NO_COMMAND', 1)
    assert run(name, subject='hello', body='just chatting\n') == []
    monkeypatch.setattr(mm_cfg, 'DISCARD_MESSAGE_WITH_NO_COMMAND', 0)
    r = reply(name, subject='hello', body='')
    assert r.said('No commands were found in this message')


@pytest.mark.parametrize('headers', [
    {'Precedence': 'bulk'}, {'Precedence': 'junk'}, {'Precedence': 'list'},
    {'Auto-Submitted': 'auto-replied'}, {'Auto-Submitted': 'auto-generated'}])
def test_robots_get_no_answer(name, headers):
    assert run(name, subject='subscribe', body='help\n',
               headers=headers) == []
    assert not load(name).pend_cookies()


@pytest.mark.parametrize('sender', ['', 'MAILER-DAEMON@example.org'])
def test_bounces_get_no_answer(name, sender):
    msg = make_msg(sender=sender or 'x', subject='help')
    if not sender:
        del msg['From']
    assert run(name, msg) == []


def test_mail_from_the_list_itself_gets_no_answer(name):
    assert run(name, sender=load(name).GetBouncesEmail(),
               subject='help') == []


def test_x_ack_yes_overrides_precedence(name):
    r = reply(name, subject='info',
              headers={'Precedence': 'bulk', 'X-Ack': 'yes'})
    assert r.echoed == ['info']


def test_response_include_levels(name, monkeypatch):
    from Mailman import mm_cfg
    body = 'info\nbogus\n' + 'x\n' * 30
    monkeypatch.setattr(mm_cfg, 'RESPONSE_INCLUDE_LEVEL', 2)
    r = reply(name, subject='ask', body=body)
    assert r.unprocessed[0] == 'bogus' and r.ignored
    original = r.original.get_payload()[0]
    assert original['Subject'] == 'ask'
    assert 'bogus' in text_of(original)
    monkeypatch.setattr(mm_cfg, 'RESPONSE_INCLUDE_LEVEL', 1)
    r = reply(name, subject='ask', body=body)
    assert r.unprocessed == [] and r.ignored == []
    original = r.original.get_payload()[0]
    assert original['Subject'] == 'ask'
    assert 'bogus' not in text_of(original)
    monkeypatch.setattr(mm_cfg, 'RESPONSE_INCLUDE_LEVEL', 0)
    r = reply(name, subject='ask', body=body)
    assert r.original.get_content_type() == 'text/plain'
    assert 'bogus' not in text_of(r.original) and 'ask' not in \
        text_of(r.original)
    assert r.echoed == ['info']


def test_autoresponse_limit(name, monkeypatch):
    from Mailman import mm_cfg
    monkeypatch.setattr(mm_cfg, 'MAX_AUTORESPONSES_PER_DAY', 2)
    for _ in range(2):
        reply(name, sender='chatty@example.org', subject='info')
    found = run(name, sender='chatty@example.org', subject='info')
    assert len(found) == 1
    assert 'Last autoresponse' in str(found[0][0]['subject'])
    assert run(name, sender='chatty@example.org', subject='info') == []
    # Others are still answered.
    reply(name, sender='quiet@example.org', subject='info')


def test_html_only_and_8bit_messages(name):
    raw = (b'From: user@example.org\nSubject: info\n'
           b'Content-Type: text/html; charset=iso-8859-1\n'
           b'Content-Transfer-Encoding: 8bit\n\n<p>caf\xe9 help</p>\n')
    r = reply(name, msg=make_msg(raw))
    assert r.results[0] == 'Ignoring non-text/plain MIME parts'
    assert r.echoed == ['info']
    raw = (b'From: user@example.org\nSubject: =?utf-8?q?caf=C3=A9?=\n'
           b'Content-Type: text/plain; charset=iso-8859-1\n'
           b'Content-Transfer-Encoding: 8bit\n\necho caf\xe9\n')
    r = reply(name, msg=make_msg(raw))
    assert r.output('echo caf\xe9') == ['echo caf\xe9']
    raw = (b'From: user@example.org\nSubject: x\nContent-Type: '
           b'multipart/alternative; boundary="b"\n\n--b\n'
           b'Content-Type: text/plain\n\nlists\n--b\n'
           b'Content-Type: text/html\n\n<b>who</b>\n--b--\n')
    r = reply(name, msg=make_msg(raw))
    assert r.echoed == ['lists']


# ---------------------------------------------------------------- info, lists
def test_info(name):
    configure(name, description='A test list', info='Line one\nLine two')
    r = reply(name, subject='info')
    out = r.output('info')
    mlist = load(name)
    assert f'List name: {mlist.real_name}' in out
    assert 'Description: A test list' in out
    assert f'Postings to: {mlist.GetListEmail()}' in out
    assert f'List Helpbot: {mlist.GetRequestEmail()}' in out
    assert f'List Owners: {mlist.GetOwnerEmail()}' in out
    assert 'Line two' in out
    r = reply(name, subject='info please')
    assert r.said('Usage:')


def test_lists(name):
    from Mailman import Passwords
    from Mailman.MailList import MailList
    extra = []
    try:
        for suffix, advertised, host in (('pub', 1, 'lists.example.com'),
                                         ('hid', 0, 'lists.example.com'),
                                         ('far', 1, 'far.example.net')):
            other = MailList()
            other_name = f'{name}-{suffix}'
            other.Create(other_name, 'o@example.com',
                         Passwords.hash_password('x'), emailhost=host)
            other.advertised = advertised
            other.description = f'the {suffix} list'
            other.Save()
            other.Unlock()
            extra.append(other)
        configure(name, advertised=0)
        text = '\n'.join(reply(name, subject='lists').output('lists'))
        assert 'the pub list' in text
        assert 'the hid list' not in text
        assert 'the far list' not in text
        # The list asked is always shown, advertised or not.
        assert load(name).GetRequestEmail() in text
    finally:
        for other in extra:
            shutil.rmtree(other.fullpath(), ignore_errors=True)


# ---------------------------------------------------------------- subscribe
def test_subscribe_sends_a_confirmation_and_no_reply(name):
    found = run(name, sender='"Ann Example" <ann@example.org>',
                subject='subscribe')
    assert len(found) == 1
    msg, data = found[0]
    assert data['recips'] == ['ann@example.org']
    cookie = cookie_of(msg)
    # Reply to the confirmation: the Subject: carries the command.
    add = run(name, sender='ann@example.org', subject=f'Re: confirm {cookie}')
    mlist = load(name)
    assert mlist.isMember('ann@example.org')
    assert mlist.getMemberName('ann@example.org') == 'Ann Example'
    assert add and 'confirm' not in str(add[0][0]['subject'])


@pytest.mark.parametrize('command, digest, password', [
    ('subscribe secret1 digest', True, 'secret1'),
    ('subscribe secret1 nodigest', False, 'secret1'),
    ('subscribe digest', True, None),
    ('subscribe nodigest', False, None),
    ('join secret2', False, 'secret2'),
    ('subscribe secret1 DIGEST address=other@example.org', True, 'secret1'),
])
def test_subscribe_variants(name, command, digest, password):
    address = 'other@example.org' if 'address=' in command \
        else 'user@example.org'
    found = run(name, body=command + '\n')
    (msg,) = [m for m, d in found if d['recips'] == [address]]
    r = reply(name, body=f'confirm {cookie_of(msg)}\n')
    assert r.output(f'confirm {cookie_of(msg)}') == ['Confirmation succeeded']
    mlist = load(name)
    assert mlist.isMember(address)
    assert bool(mlist.getMemberOption(address, 0)) == digest
    if password:
        assert mlist.authenticateMember(address, password)


@pytest.mark.parametrize('command, expected', [
    ('subscribe a b c', 'Usage:'),
    ('subscribe secret maybe', 'Bad digest specifier: maybe'),
    ('subscribe address=not-an-address', 'will not accept that address'),
    ('subscribe address=bad|x@example.org', 'not allowed'),
])
def test_subscribe_bad_syntax(name, command, expected):
    r = reply(name, body=command + '\n')
    assert r.said(expected)
    assert not load(name).pend_cookies()


def test_subscribe_refusals(name):
    configure(name, ban_list=['^.*@banned\\.example$'], digestable=0)
    add_member(name, 'member@example.org')
    r = reply(name, sender='x@banned.example', subject='subscribe')
    assert r.said('banned')
    r = reply(name, sender='member@example.org', subject='subscribe')
    assert r.output('subscribe') == ['You are already subscribed!']
    r = reply(name, subject='subscribe digest')
    assert r.said('No one can subscribe to the digest')
    mlist = load(name)
    r = reply(name, body=f'subscribe address={mlist.GetListEmail()}\n')
    assert r.said('will not accept that address')
    assert not load(name).pend_cookies()


def test_subscribe_needing_approval(name):
    need(hasattr(load(name), 'HoldSubscription'), 'no HoldSubscription yet')
    configure(name, subscribe_policy=2, admin_immed_notify=0)
    r = reply(name, subject='subscribe')
    assert r.said('forwarded to the list')
    assert len(load(name).GetSubscriptionIds()) == 1


def test_join_address(name):
    found = run(name, sender='joiner@example.org', subject='whatever',
                body='random text\n', flags={'tojoin': 1})
    (msg,) = [m for m, d in found if d['recips'] == ['joiner@example.org']]
    cookie = cookie_of(msg)
    assert load(name).pend_cookies()[cookie][1].address == \
        'joiner@example.org'


def test_join_address_for_a_member_answers(name):
    add_member(name, 'joiner@example.org')
    r = reply(name, sender='joiner@example.org', flags={'tojoin': 1})
    assert r.echoed == ['join']
    assert r.output('join') == ['You are already subscribed!']
    assert r.unprocessed == []


# ---------------------------------------------------------------- confirm
def test_confirm_variants(name, monkeypatch):
    from Mailman import mm_cfg
    r = reply(name, subject='confirm ' + 'f' * 40)
    assert r.said('Invalid confirmation string')
    r = reply(name, subject='confirm')
    assert r.said('Usage:')
    # The -confirm address with a VERP'd cookie.
    monkeypatch.setattr(mm_cfg, 'VERP_CONFIRMATIONS', 1)
    found = run(name, sender='verp@example.org', subject='subscribe')
    (msg,) = [m for m, d in found]
    cookie = cookie_of(msg)
    confirm_address = load(name).GetConfirmEmail(cookie)
    # (the header may be folded before the long address)
    assert str(msg['reply-to']).strip() == confirm_address
    assert str(msg['from']).strip() == confirm_address
    answer = make_msg(
        f'From: verp@example.org\nTo: "List" <{confirm_address}>\n'
        'Subject: Re: something else\n\nyes please\n')
    r = reply(name, sender='verp@example.org', msg=answer,
              flags={'toconfirm': 1})
    assert r.echoed == [f'confirm {cookie}']
    assert r.output(f'confirm {cookie}') == ['Confirmation succeeded']
    assert load(name).isMember('verp@example.org')


def test_confirm_address_without_cookie_reads_the_subject(name, monkeypatch):
    from Mailman import mm_cfg
    found = run(name, sender='plain@example.org', subject='subscribe')
    cookie = cookie_of(found[0][0])
    answer = make_msg(
        f'From: plain@example.org\nTo: {load(name).getListAddress("confirm")}'
        f'\nSubject: Re: confirm {cookie}\n\n> quoted\n')
    r = reply(name, sender='plain@example.org', msg=answer,
              flags={'toconfirm': 1})
    assert r.output(f'Re: confirm {cookie}') == ['Confirmation succeeded']
    assert load(name).isMember('plain@example.org')
    # Nothing to confirm and no cookie: dropped.
    monkeypatch.setattr(mm_cfg, 'DISCARD_MESSAGE_WITH_NO_COMMAND', 1)
    assert run(name, subject='hello', flags={'toconfirm': 1}) == []


def test_confirm_repeats_are_not_unprocessed(name):
    found = run(name, sender='rep@example.org', subject='subscribe')
    cookie = cookie_of(found[0][0])
    r = reply(name, sender='rep@example.org', subject=f'Re: confirm {cookie}',
              body=f'confirm {cookie}\n')
    assert r.unprocessed == []


def test_confirm_with_welcome_sends_only_the_welcome(name):
    configure(name, send_welcome_msg=1)
    found = run(name, sender='wel@example.org', subject='subscribe')
    cookie = cookie_of(found[0][0])
    found = run(name, sender='wel@example.org', subject=f'confirm {cookie}')
    assert len(found) == 1
    assert 'Welcome' in str(found[0][0]['subject'])


def test_confirm_each_pending_op(name):
    from Mailman import MemberAdaptor, Pending
    from Mailman.MailList import MailList
    add_member(name, 'op@example.org')
    mlist = MailList(name)
    try:
        mlist.setDeliveryStatus('op@example.org', MemberAdaptor.BYBOUNCE)
        reenable = mlist.pend_new(Pending.RE_ENABLE, name, 'op@example.org')
        probe = mlist.pend_new(Pending.PROBE_BOUNCE, 'op@example.org', None)
        change = mlist.ChangeMemberAddress('op@example.org',
                                           'op2@example.org', False)
        mlist.Save()
    finally:
        mlist.Unlock()
    drain_virgin()
    r = reply(name, sender='op@example.org', subject=f'confirm {reenable}')
    assert r.output(f'confirm {reenable}') == ['Confirmation succeeded']
    assert load(name).getDeliveryStatus('op@example.org') == \
        MemberAdaptor.ENABLED
    r = reply(name, sender='op@example.org', subject=f'confirm {probe}')
    assert r.said('probe')
    r = reply(name, sender='op2@example.org', subject=f'confirm {change}')
    assert r.output(f'confirm {change}') == ['Confirmation succeeded']
    assert load(name).isMember('op2@example.org')
    assert not load(name).isMember('op@example.org')
    # Unsubscription: see test_unsubscribe_*; password reset: below.


def test_confirm_held_message(name):
    need(hasattr(load(name), 'HoldMessage'), 'no HoldMessage yet')
    from Mailman import Pending
    from Mailman.MailList import MailList
    configure(name, admin_immed_notify=0, respond_to_post_requests=0)
    mlist = MailList(name)
    try:
        post = make_msg(subject='a post', body='hello\n')
        ids = [mlist.HoldMessage(post, 'test'), mlist.HoldMessage(post, 'x')]
        mlist.Save()
        cookies = {entry[1]: cookie
                   for cookie, entry in mlist.pend_cookies().items()
                   if entry[0] == Pending.HELD_MESSAGE}
    finally:
        mlist.Unlock()
    drain_virgin()
    r = reply(name, sender='mod@example.org',
              subject=f'Re: confirm {cookies[ids[0]]}',
              headers={'Approved': 'wrong'})
    assert r.said('Wrong approval password')
    assert ids[0] in load(name).GetHeldMessageIds()
    r = reply(name, sender='mod@example.org',
              subject=f'Re: confirm {cookies[ids[0]]}',
              body=f'Approved: {MODPW}\n')
    assert r.said('Confirmation succeeded')
    assert ids[0] not in load(name).GetHeldMessageIds()
    # The poster cancels the other one.
    r = reply(name, subject=f'confirm {cookies[ids[1]]}')
    assert r.said('Confirmation succeeded')
    assert load(name).GetHeldMessageIds() == []


# ---------------------------------------------------------------- unsubscribe
@pytest.mark.parametrize('word', ['unsubscribe', 'leave', 'remove'])
def test_unsubscribe_with_confirmation(name, word):
    add_member(name, 'Leaver@example.org')
    found = run(name, sender='leaver@example.org', subject=word)
    assert len(found) == 1          # the request, no reply
    msg, data = found[0]
    assert data['recips'] == ['Leaver@example.org']
    assert load(name).isMember('leaver@example.org')
    r = reply(name, sender='leaver@example.org',
              subject=f'Re: confirm {cookie_of(msg)}')
    assert r.said('Confirmation succeeded')
    assert not load(name).isMember('leaver@example.org')


def test_unsubscribe_with_passwords(name):
    add_member(name, 'a@example.org', password='apw')
    add_member(name, 'b@example.org', password='bpw')
    r = reply(name, sender='a@example.org', body='unsubscribe wrong\n')
    assert r.output('unsubscribe wrong') == ['You gave the wrong password']
    assert load(name).isMember('a@example.org')
    r = reply(name, sender='a@example.org', body='unsubscribe apw\n')
    assert r.output('unsubscribe apw') == ['Unsubscription request succeeded.']
    assert not load(name).isMember('a@example.org')
    r = reply(name, sender='x@example.org',
              body='leave bpw address=b@example.org\n')
    assert r.said('Unsubscription request succeeded.')
    assert not load(name).isMember('b@example.org')
    r = reply(name, sender='x@example.org', body='unsubscribe\n')
    assert r.said('x@example.org is not a member')
    r = reply(name, body='unsubscribe a b\n')
    assert r.said('Usage:')


def test_unsubscribe_needing_approval(name):
    need(hasattr(load(name), 'HoldUnsubscription'),
         'no HoldUnsubscription yet')
    configure(name, unsubscribe_policy=1, admin_immed_notify=0)
    add_member(name, 'stay@example.org', password='spw')
    r = reply(name, sender='stay@example.org', body='unsubscribe spw\n')
    assert r.said('forwarded to the list')
    mlist = load(name)
    assert mlist.isMember('stay@example.org')
    assert [mlist.GetRecord(i) for i in mlist.GetUnsubscriptionIds()] == \
        ['stay@example.org']


def test_leave_address(name):
    add_member(name, 'goer@example.org')
    found = run(name, sender='goer@example.org', subject='bye',
                flags={'toleave': 1})
    assert len(found) == 1 and found[0][1]['recips'] == ['goer@example.org']
    assert 'confirm' in str(found[0][0]['subject'])


# ---------------------------------------------------------------- password
def test_password_reset_by_mail(name):
    add_member(name, 'pw@example.org', password='oldpw')
    found = run(name, sender='pw@example.org', subject='password')
    replies = [Reply(m, d) for m, d in found
               if 'results' in str(m['subject'])]
    resets = [m for m, d in found if 'reset' in str(m['subject'])]
    assert len(replies) == 1 and len(resets) == 1
    assert replies[0].said('link to choose a new password')
    assert 'oldpw' not in replies[0].text
    reset = resets[0]
    assert reset['To'] == 'pw@example.org'
    cookie = cookie_of(reset)
    assert 'oldpw' not in text_of(reset)
    # A reply with the cookie but no password changes nothing.
    r = reply(name, sender='pw@example.org', body=f'confirm {cookie}\n')
    assert r.said(f'confirm {cookie} <new-password>')
    assert load(name).authenticateMember('pw@example.org', 'oldpw')
    r = reply(name, sender='pw@example.org',
              subject=f'Re: {reset["subject"]}',
              body=f'confirm {cookie} n3wpass\n')
    assert r.output(f'confirm {cookie} n3wpass') == \
        ['Your password has been changed.']
    mlist = load(name)
    assert mlist.authenticateMember('pw@example.org', 'n3wpass')
    assert not mlist.authenticateMember('pw@example.org', 'oldpw')


def test_password_reset_for_another_address(name):
    add_member(name, 'real@example.org')
    found = run(name, sender='elsewhere@example.org',
                body='password address=real@example.org\n')
    resets = [d['recips'] for m, d in found if 'reset' in str(m['subject'])]
    assert resets == [['real@example.org']]
    r = reply(name, sender='stranger@example.org', subject='password')
    assert r.said('not a member')


def test_password_change(name):
    add_member(name, 'ch@example.org', password='one')
    r = reply(name, sender='ch@example.org', body='password bad two\n')
    assert r.said('You did not give the correct old password')
    assert load(name).authenticateMember('ch@example.org', 'one')
    r = reply(name, sender='ch@example.org', body='password one two\n')
    assert r.output('password one two') == ['Password successfully changed.']
    assert load(name).authenticateMember('ch@example.org', 'two')
    # The list administrator's password works as the old one; the answer
    # then goes to the member.
    found = run(name, sender='admin@example.org',
                body=f'password {ADMINPW} three address=ch@example.org\n')
    (answer,) = [Reply(m, d) for m, d in found]
    assert answer.data['recips'] == ['ch@example.org']
    assert load(name).authenticateMember('ch@example.org', 'three')
    r = reply(name, sender='ch@example.org', body='password a b c\n')
    assert r.said('Usage:')


# ---------------------------------------------------------------- who
def roster_members(r, command):
    return [line.strip() for line in r.output(command)
            if re.match(r'    \S+@\S+', line)]


def setup_roster(name, level):
    configure(name, private_roster=level)
    add_member(name, 'visible@example.org', password='vpw',
               realname='Vis Ible')
    add_member(name, 'digester@example.org', password='dpw', digest=True)
    add_member(name, 'hidden@example.org', password='hpw')
    from Mailman.MailList import MailList
    mlist = MailList(name)
    try:
        mlist.setMemberOption('hidden@example.org', 16, 1)
        mlist.Save()
    finally:
        mlist.Unlock()


def test_who_public(name):
    setup_roster(name, 0)
    r = reply(name, sender='anyone@example.org', subject='who')
    members = roster_members(r, 'who')
    assert 'visible@example.org (Vis Ible)' in members
    assert 'digester@example.org' in members
    assert 'hidden@example.org' not in members
    assert r.output('who').index('Digest members:') > \
        r.output('who').index('Non-digest (regular) members:')
    r = reply(name, sender='anyone@example.org', subject=f'who {ADMINPW}')
    assert 'hidden@example.org' in roster_members(r, f'who {ADMINPW}')


def test_who_members_only(name):
    setup_roster(name, 1)
    r = reply(name, sender='visible@example.org', subject='who')
    assert r.said('not allowed') and not roster_members(r, 'who')
    r = reply(name, sender='visible@example.org', subject='who wrong')
    assert r.said('not allowed') and not roster_members(r, 'who wrong')
    r = reply(name, sender='visible@example.org', subject='who vpw')
    assert 'digester@example.org' in roster_members(r, 'who vpw')
    r = reply(name, sender='other@example.org',
              subject='who dpw address=digester@example.org')
    assert 'visible@example.org (Vis Ible)' in roster_members(
        r, 'who dpw address=digester@example.org')
    r = reply(name, sender='nonmember@example.org', subject=f'who {MODPW}')
    members = roster_members(r, f'who {MODPW}')
    assert 'hidden@example.org' in members
    r = reply(name, sender='x@example.org', subject='who a b')
    assert r.said('Usage:')


def test_who_admins_only(name):
    setup_roster(name, 2)
    r = reply(name, sender='visible@example.org', subject='who vpw')
    assert r.said('not allowed') and not roster_members(r, 'who vpw')
    for password in (ADMINPW, MODPW):
        r = reply(name, sender='x@example.org', subject=f'who {password}')
        assert len(roster_members(r, f'who {password}')) == 3


def test_who_empty(name):
    configure(name, private_roster=0)
    r = reply(name, subject='who')
    assert r.output('who') == ['This list has no members.']


# ---------------------------------------------------------------- set
def test_set_show_and_help(name):
    add_member(name, 'opt@example.org', password='opw')
    r = reply(name, sender='opt@example.org', body='set show\n')
    assert r.output('set show') == [
        'Your current option settings:', '    ack off', '    digest off',
        '    delivery on', '    myposts on', '    hide off',
        '    duplicates on', '    reminders on']
    r = reply(name, sender='opt@example.org', body='set help\nset\n')
    assert r.said('set authenticate <password>')
    r = reply(name, sender='stranger@example.org', body='set show\n')
    assert r.said('not a member')
    found = run(name, sender='elsewhere@example.org',
                body='set show address=opt@example.org\n')
    assert [d['recips'] for m, d in found] == [['opt@example.org']]


def test_set_needs_authentication(name):
    add_member(name, 'opt@example.org', password='opw')
    r = reply(name, sender='opt@example.org', body='set ack on\n')
    assert r.said('Not authenticated')
    r = reply(name, sender='opt@example.org',
              body='set authenticate wrong\nset ack on\n')
    assert r.said('You did not give the correct password')
    assert r.unprocessed == ['set ack on']
    assert not load(name).getMemberOption('opt@example.org', 4)
    r = reply(name, sender='opt@example.org',
              body='set bogus on\n')
    assert r.said('Bad set command: bogus')


OPTION_CASES = [
    # command, flag, expected value of the flag afterwards
    ('set ack on', 4, True), ('set ack off', 4, False),
    ('set myposts off', 2, True), ('set myposts on', 2, False),
    ('set notmetoo on', 2, True),
    ('set hide on', 16, True), ('set hide off', 16, False),
    ('set duplicates off', 256, True), ('set duplicates on', 256, False),
    ('set nodupes on', 256, True),
    ('set reminders off', 32, True), ('set reminders on', 32, False),
    ('set noremind on', 32, True),
]


@pytest.mark.parametrize('command, flag, expected', OPTION_CASES)
def test_set_options(name, command, flag, expected):
    add_member(name, 'opt@example.org', password='opw')
    if not expected:
        from Mailman.MailList import MailList
        mlist = MailList(name)
        try:
            mlist.setMemberOption('opt@example.org', flag, 1)
            mlist.Save()
        finally:
            mlist.Unlock()
    r = reply(name, sender='opt@example.org',
              body=f'set authenticate opw\n{command}\n')
    assert r.echoed == ['set authenticate opw', command]
    assert r.output(command)[0].endswith('set')
    assert load(name).getMemberOption('opt@example.org', flag) == expected


def test_set_digest_and_delivery(name):
    from Mailman import MemberAdaptor
    add_member(name, 'dig@example.org', password='dpw')
    r = reply(name, sender='x@example.org', body=(
        'set authenticate dpw address=dig@example.org\nset digest plain\n'))
    assert r.output('set digest plain') == ['digest option set']
    mlist = load(name)
    assert mlist.getMemberOption('dig@example.org', 0)
    assert mlist.getMemberOption('dig@example.org', 8)
    reply(name, sender='dig@example.org',
          body=f'set authenticate {ADMINPW}\nset digest mime\n')
    mlist = load(name)
    assert mlist.getMemberOption('dig@example.org', 0)
    assert not mlist.getMemberOption('dig@example.org', 8)
    r = reply(name, sender='dig@example.org',
              body='set authenticate dpw\nset digest off\nset delivery off\n'
                   'set show\n')
    assert 'delivery disabled by user' in r.output('set delivery off')
    assert any('delivery off (by you' in line for line in r.output('set show'))
    mlist = load(name)
    assert not mlist.getMemberOption('dig@example.org', 0)
    assert 'dig@example.org' in mlist.one_last_digest
    assert mlist.getDeliveryStatus('dig@example.org') == MemberAdaptor.BYUSER
    reply(name, sender='dig@example.org',
          body='set authenticate dpw\nset delivery on\n')
    assert load(name).getDeliveryStatus('dig@example.org') == \
        MemberAdaptor.ENABLED
    reply(name, sender='dig@example.org',
          body='set authenticate dpw\nset nomail on\n')
    assert load(name).getDeliveryStatus('dig@example.org') == \
        MemberAdaptor.BYUSER
    r = reply(name, sender='dig@example.org',
              body='set authenticate dpw\nset digest sometimes\n')
    assert r.said('Bad argument: sometimes')
    configure(name, digestable=0)
    r = reply(name, sender='dig@example.org',
              body='set authenticate dpw\nset digest mime\n')
    assert r.said('does not offer digests')
    r = reply(name, sender='dig@example.org',
              body='set authenticate dpw\nset ack maybe\n')
    assert r.said('Bad argument: maybe')


# ---------------------------------------------------------------- the runner
def test_command_runner_works_the_queue(name, monkeypatch):
    from Mailman import mm_cfg
    from Mailman.MailList import MailList
    from Mailman.Queue.CommandRunner import CommandRunner
    from Mailman.Queue.Switchboard import Switchboard
    commands = Switchboard(mm_cfg.CMDQUEUE_DIR)
    for filebase in commands.files():           # left by other tests
        commands.dequeue(filebase)
        commands.finish(filebase)
    raw = (b'From: queued@example.org\nTo: x-request@lists.example.com\n'
           b'Subject: info\nMessage-ID: <q1@t>\n\nlists\n')
    commands.enqueue(raw, listname=name, torequest=1)
    runner = CommandRunner()
    assert runner.run_once() == 1
    assert commands.files() == []
    (found,) = [Reply(m, d) for m, d in drain_virgin()]
    assert found.data['recips'] == ['queued@example.org']
    assert found.echoed == ['info', 'lists']
    # With the list locked elsewhere, the message waits in the queue.
    monkeypatch.setattr(mm_cfg, 'LIST_LOCK_TIMEOUT', 0.2)
    holder = MailList(name)
    try:
        commands.enqueue(raw, listname=name, torequest=1)
        assert CommandRunner().run_once() == 1
        assert len(commands.files()) == 1
        assert drain_virgin() == []
    finally:
        holder.Unlock()
    assert CommandRunner().run_once() == 1
    assert commands.files() == []
    assert len(drain_virgin()) == 1


def test_raw_8bit_headers(name):
    raw = (b'From: J\xf6rg <jorg@example.org>\nSubject: caf\xe9 info\n'
           b'X-BeenThere: \xff\xfe\nPrecedence: \xe9\n'
           b'Content-Type: text/plain\n\n\xe9\xe9\nlists\n')
    r = reply(name, sender='jorg@example.org', msg=make_msg(raw))
    # `caf' is not a command; the next word of the Subject: is.
    assert r.echoed[0] == 'caf info'
    assert r.unprocessed == ['\ufffd\ufffd', 'lists']
    found = run(name, msg=make_msg(
        b'From: J\xf6rg <jorg@example.org>\nSubject: subscribe\n\n'))
    (msg,) = [m for m, d in found]
    cookie = cookie_of(msg)
    assert load(name).pend_cookies()[cookie][1].address == 'jorg@example.org'
