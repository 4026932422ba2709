"""Subscription and membership flows of MailList, end to end at the API
level: the mails they queue in qfiles/virgin are read back, and their
confirmation cookies followed."""

import email
import os
import re
import shutil
import uuid

import pytest

from mmtest import need

PASSWORD = 'Clear-Text-Secret-7q'


# ---------------------------------------------------------------- helpers
def drain_virgin():
    """Every message queued in qfiles/virgin, as (message, metadata);
    the queue is left empty."""
    from Mailman import mm_cfg
    from Mailman.Queue.Switchboard import Switchboard
    switchboard = Switchboard(mm_cfg.VIRGINQUEUE_DIR)
    found = []
    for filebase in switchboard.files():
        msg, data = switchboard.dequeue(filebase)
        switchboard.finish(filebase)
        found.append((msg, data))
    return found


def mails_to(found, address):
    return [msg for msg, data in found
            if address.lower() in [r.lower() for r in data['recips']]]


def cookie_of(msg):
    """The confirmation cookie a mail carries (subject or body)."""
    for text in (str(msg.get('subject', '')), body_of(msg)):
        match = re.search(r'\b([0-9a-f]{40})\b', text)
        if match:
            return match.group(1)
    raise AssertionError(f'no cookie in {msg}')


def body_of(msg):
    if msg.is_multipart():
        return '\n'.join(body_of(part) for part in msg.get_payload()
                         if not part.is_multipart()
                         and part.get_content_maintype() == 'text')
    payload = msg.get_payload(decode=True) or b''
    return payload.decode(msg.get_content_charset('utf-8'), 'replace')


def confirming_mail(cookie, sender, extra=''):
    from Mailman.Message import Message
    return email.message_from_string(
        f'From: {sender}\nTo: x-request@lists.example.com\n'
        f'Subject: Re: confirm {cookie}\n{extra}\nthanks\n', _class=Message)


@pytest.fixture
def mlist():
    from Mailman import Passwords
    from Mailman.MailList import MailList
    name = 'sub-' + uuid.uuid4().hex[:10]
    m = MailList()
    m.Create(name, 'owner@example.com', Passwords.hash_password('adminpw'))
    m.Save()
    drain_virgin()
    try:
        yield m
    finally:
        if m.Locked():
            m.Unlock()
        shutil.rmtree(m.fullpath(), ignore_errors=True)
        drain_virgin()


def userdesc(address, password=PASSWORD, digest=None, name='A Person'):
    from Mailman.UserDesc import UserDesc
    return UserDesc(address, name, password, digest, 'en')


def raw_state(m):
    """The bytes of the list's state files on disk."""
    data = b''
    for name in ('config.pck', 'pending.pck', 'request.pck'):
        path = os.path.join(m.fullpath(), name)
        if os.path.exists(path):
            with open(path, 'rb') as f:
                data += f.read()
    return data


# ---------------------------------------------------------------- policies
def test_open_policy_needs_site_permission(mlist, monkeypatch):
    from Mailman import Errors, mm_cfg
    mlist.subscribe_policy = 0
    monkeypatch.setattr(mm_cfg, 'ALLOW_OPEN_SUBSCRIBE', 0)
    with pytest.raises(Errors.MMSubscribeNeedsConfirmation):
        mlist.AddMember(userdesc('anne@example.org'))
    assert not mlist.isMember('anne@example.org')
    assert mails_to(drain_virgin(), 'anne@example.org')


def test_open_policy_subscribes_at_once(mlist, monkeypatch):
    from Mailman import mm_cfg
    monkeypatch.setattr(mm_cfg, 'ALLOW_OPEN_SUBSCRIBE', 1)
    mlist.subscribe_policy = 0
    mlist.send_welcome_msg = 1
    mlist.AddMember(userdesc('anne@example.org'), 'web 192.0.2.1')
    assert mlist.isMember('anne@example.org')
    assert mlist.authenticateMember('anne@example.org', PASSWORD)
    welcome = mails_to(drain_virgin(), 'anne@example.org')
    assert len(welcome) == 1
    assert 'Welcome' in str(welcome[0]['subject'])


def test_confirm_policy_end_to_end(mlist):
    from Mailman import Errors, Pending
    mlist.subscribe_policy = 1
    mlist.send_welcome_msg = 1
    with pytest.raises(Errors.MMSubscribeNeedsConfirmation):
        mlist.AddMember(userdesc('Bob@Example.ORG', digest=True),
                        'bob@example.org')
    assert not mlist.isMember('bob@example.org')
    found = drain_virgin()
    verify = mails_to(found, 'Bob@example.org')
    assert len(verify) == 1 and len(found) == 1
    msg = verify[0]
    cookie = cookie_of(msg)
    assert str(msg['subject']) == f'confirm {cookie}'
    assert str(msg['from']) == mlist.GetRequestEmail()
    assert str(msg['reply-to']) == mlist.GetRequestEmail()
    text = body_of(msg)
    assert f'confirm {cookie}' in text
    assert mlist.GetScriptURL('confirm') + '/' + cookie in text
    assert 'Bob@example.org' in text          # domain lower-cased
    # Not stored in clear anywhere, not even in the pending database.
    mlist.Save()
    assert PASSWORD.encode() not in raw_state(mlist)
    result = mlist.ProcessConfirmation(cookie, confirming_mail(
        cookie, 'bob@example.org'))
    assert result[0] == Pending.SUBSCRIPTION
    assert result[1] == 'Bob@example.org'
    assert mlist.isMember('bob@example.org')
    assert mlist.getMemberCPAddress('bob@example.org') == 'Bob@example.org'
    assert mlist.getMemberOption('bob@example.org', 0)       # Digests
    assert mlist.getMemberName('bob@example.org') == 'A Person'
    assert mlist.authenticateMember('bob@example.org', PASSWORD)
    mlist.Save()
    assert PASSWORD.encode() not in raw_state(mlist)
    welcome = mails_to(drain_virgin(), 'Bob@example.org')
    assert len(welcome) == 1 and 'Digest' in str(welcome[0]['subject'])
    # A cookie is good once.
    with pytest.raises(Errors.MMBadConfirmation):
        mlist.ProcessConfirmation(cookie)


def test_web_confirmation_may_override_choices(mlist):
    from Mailman.UserDesc import UserDesc
    mlist.subscribe_policy = 1
    try:
        mlist.AddMember(userdesc('carl@example.org', digest=False))
    except Exception:
        pass
    cookie = cookie_of(drain_virgin()[0][0])
    mlist.ProcessConfirmation(cookie, UserDesc(
        address='evil@example.org', fullname='Carl C', password='newpass1',
        digest=True))
    assert mlist.isMember('carl@example.org')
    assert not mlist.isMember('evil@example.org')
    assert mlist.getMemberName('carl@example.org') == 'Carl C'
    assert mlist.getMemberOption('carl@example.org', 0)
    assert mlist.authenticateMember('carl@example.org', 'newpass1')
    assert not mlist.authenticateMember('carl@example.org', PASSWORD)
    mlist.Save()
    assert b'newpass1' not in raw_state(mlist)


def test_no_password_when_none_given(mlist):
    mlist.subscribe_policy = 1
    mlist.send_welcome_msg = 1
    try:
        mlist.AddMember(userdesc('dora@example.org', password=None))
    except Exception:
        pass
    cookie = cookie_of(drain_virgin()[0][0])
    mlist.ProcessConfirmation(cookie)
    assert mlist.isMember('dora@example.org')
    assert not mlist.getMemberPassword('dora@example.org')
    assert not mlist.authenticateMember('dora@example.org', '')
    (welcome,) = mails_to(drain_virgin(), 'dora@example.org')
    assert 'set one' in body_of(welcome)
    # The reset sets the first password.
    from Mailman.UserDesc import UserDesc
    cookie = mlist.SendPasswordReset('dora@example.org')
    mlist.ProcessConfirmation(cookie, UserDesc(password='first'))
    assert mlist.authenticateMember('dora@example.org', 'first')


def need_listadmin():
    from Mailman.MailList import MailList
    need(hasattr(MailList, 'HoldSubscription') and
         hasattr(MailList, 'HandleRequest'),
         'ListAdmin.HoldSubscription/HandleRequest are not written yet')


def test_approval_policy_holds_with_hashed_password(mlist):
    need_listadmin()
    from Mailman import Errors, mm_cfg
    mlist.subscribe_policy = 2
    mlist.admin_immed_notify = 0
    with pytest.raises(Errors.MMNeedApproval):
        mlist.AddMember(userdesc('erin@example.org'))
    assert not mlist.isMember('erin@example.org')
    ids = mlist.GetSubscriptionIds()
    assert len(ids) == 1
    record = mlist.GetRecord(ids[0])
    assert record[1] == 'erin@example.org'
    assert record[3] != PASSWORD
    mlist.Save()
    assert PASSWORD.encode() not in raw_state(mlist)
    # No confirmation mail for policy 2.
    assert not mails_to(drain_virgin(), 'erin@example.org')
    mlist.HandleRequest(ids[0], mm_cfg.SUBSCRIBE)
    assert mlist.isMember('erin@example.org')
    # The hash went in as it was: the chosen password still works.
    assert mlist.authenticateMember('erin@example.org', PASSWORD)


def test_auto_approval_entries(mlist):
    from Mailman import Passwords
    from Mailman.MailList import MailList
    from Mailman.UserDesc import UserDesc
    other = MailList()
    other_name = 'sub-other-' + uuid.uuid4().hex[:8]
    other.Create(other_name, 'owner@example.com', Passwords.hash_password('x'))
    try:
        other.ApprovedAddMember(UserDesc('member@example.net'), ack=0,
                                admin_notif=0)
        other.Save()
    finally:
        other.Unlock()
    try:
        mlist.subscribe_policy = 2
        mlist.subscribe_auto_approval = [
            'plain@example.org', r'^.*@trusted\.example$', '@' + other_name]
        for address in ('plain@example.org', 'x@trusted.example',
                        'member@example.net'):
            mlist.AddMember(userdesc(address))
            assert mlist.isMember(address)
            assert mlist.authenticateMember(address, PASSWORD)
    finally:
        shutil.rmtree(other.fullpath(), ignore_errors=True)


def test_confirm_then_approve_policy(mlist):
    need_listadmin()
    from Mailman import Errors, mm_cfg
    mlist.subscribe_policy = 3
    mlist.admin_immed_notify = 0
    with pytest.raises(Errors.MMSubscribeNeedsConfirmation):
        mlist.AddMember(userdesc('fred@example.org'))
    cookie = cookie_of(mails_to(drain_virgin(), 'fred@example.org')[0])
    with pytest.raises(Errors.MMNeedApproval):
        mlist.ProcessConfirmation(cookie, confirming_mail(
            cookie, 'fred@example.org'))
    assert not mlist.isMember('fred@example.org')
    (request_id,) = mlist.GetSubscriptionIds()
    mlist.Save()
    assert PASSWORD.encode() not in raw_state(mlist)
    mlist.HandleRequest(request_id, mm_cfg.APPROVE)
    assert mlist.authenticateMember('fred@example.org', PASSWORD)


def test_refuse_second_pending(mlist, monkeypatch):
    from Mailman import Errors, mm_cfg
    mlist.subscribe_policy = 1
    with pytest.raises(Errors.MMSubscribeNeedsConfirmation):
        mlist.AddMember(userdesc('gina@example.org'))
    monkeypatch.setattr(mm_cfg, 'REFUSE_SECOND_PENDING', 0)
    with pytest.raises(Errors.MMSubscribeNeedsConfirmation):
        mlist.AddMember(userdesc('gina@example.org'))
    monkeypatch.setattr(mm_cfg, 'REFUSE_SECOND_PENDING', 1)
    with pytest.raises(Errors.MMAlreadyPending):
        mlist.AddMember(userdesc('GINA@example.org'))
    assert len(mails_to(drain_virgin(), 'gina@example.org')) == 2


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize('address', [
    'no-at-sign', 'two words@example.org', 'x@localhost', '', 'a@b@c'])
def test_bad_addresses(mlist, address):
    from Mailman import Errors
    with pytest.raises(Errors.EmailAddressError):
        mlist.AddMember(userdesc(address))
    assert not drain_virgin()


@pytest.mark.parametrize('address', [
    'evil|cmd@example.org', 'x@exa;mple.org', '-x@example.org',
    'a<b>@example.org'])
def test_hostile_addresses(mlist, address):
    from Mailman import Errors
    with pytest.raises(Errors.MMHostileAddress):
        mlist.AddMember(userdesc(address))


def test_list_cannot_subscribe_itself(mlist):
    from Mailman import Errors
    for address in (mlist.GetListEmail(), mlist.GetRequestEmail(),
                    mlist.GetOwnerEmail().upper(), mlist.GetBouncesEmail(),
                    mlist.GetConfirmEmail('a' * 40)):
        with pytest.raises(Errors.MMBadEmailError):
            mlist.AddMember(userdesc(address))
    assert not drain_virgin()


def test_bans(mlist, monkeypatch):
    from Mailman import Errors, mm_cfg
    mlist.subscribe_policy = 1
    mlist.ban_list = ['banned@example.org', r'^.*@spam\.example$']
    monkeypatch.setattr(mm_cfg, 'GLOBAL_BAN_LIST', ['^site-banned@'])
    for address in ('Banned@Example.org', 'x@spam.example',
                    'site-banned@example.org'):
        with pytest.raises(Errors.MembershipIsBanned):
            mlist.AddMember(userdesc(address))
    assert not drain_virgin()
    # A ban added after the request still stops the confirmation.
    with pytest.raises(Errors.MMSubscribeNeedsConfirmation):
        mlist.AddMember(userdesc('late@example.org'))
    cookie = cookie_of(drain_virgin()[0][0])
    mlist.ban_list.append('late@example.org')
    with pytest.raises(Errors.MembershipIsBanned):
        mlist.ProcessConfirmation(cookie)
    assert not mlist.isMember('late@example.org')


def test_already_member(mlist):
    from Mailman import Errors
    mlist.ApprovedAddMember(userdesc('hal@example.org'), ack=0,
                            admin_notif=0)
    with pytest.raises(Errors.MMAlreadyAMember):
        mlist.AddMember(userdesc('HAL@example.org'))
    # Two requests pending; the second confirmation finds a member.
    mlist.subscribe_policy = 1
    for _ in range(2):
        with pytest.raises(Errors.MMSubscribeNeedsConfirmation):
            mlist.AddMember(userdesc('ida@example.org'))
    first, second = [cookie_of(m) for m, d in drain_virgin()]
    mlist.ProcessConfirmation(first)
    with pytest.raises(Errors.MMAlreadyAMember):
        mlist.ProcessConfirmation(second)


def test_digest_choices(mlist):
    from Mailman import Errors
    mlist.digestable = 0
    with pytest.raises(Errors.CantDigestError):
        mlist.AddMember(userdesc('jo@example.org', digest=True))
    mlist.digestable = 1
    mlist.nondigestable = 0
    with pytest.raises(Errors.MustDigestError):
        mlist.AddMember(userdesc('jo@example.org', digest=False))


# ---------------------------------------------------------------- leaving
def test_unsubscribe_confirmation_flow(mlist):
    from Mailman import Errors, Pending
    mlist.ApprovedAddMember(userdesc('Kim@example.org'), ack=0,
                            admin_notif=0)
    mlist.send_goodbye_msg = 1
    mlist.unsubscribe_policy = 0
    mlist.ConfirmUnsubscription('kim@example.org', remote='kim@example.org')
    assert mlist.isMember('kim@example.org')
    (msg,) = mails_to(drain_virgin(), 'Kim@example.org')
    cookie = cookie_of(msg)
    assert str(msg['subject']) == f'confirm {cookie}'
    assert mlist.GetScriptURL('confirm') + '/' + cookie in body_of(msg)
    assert 'removed' in body_of(msg)
    result = mlist.ProcessConfirmation(cookie, confirming_mail(
        cookie, 'kim@example.org'))
    assert result == (Pending.UNSUBSCRIPTION, 'Kim@example.org')
    assert not mlist.isMember('kim@example.org')
    goodbye = mails_to(drain_virgin(), 'Kim@example.org')
    assert len(goodbye) == 1
    assert 'unsubscribed' in str(goodbye[0]['subject'])
    with pytest.raises(Errors.NotAMemberError):
        mlist.ConfirmUnsubscription('kim@example.org')


def test_unsubscribe_confirmation_of_a_gone_member(mlist):
    from Mailman import Errors
    mlist.ApprovedAddMember(userdesc('lee@example.org'), ack=0,
                            admin_notif=0)
    cookie = mlist.ConfirmUnsubscription('lee@example.org')
    mlist.ApprovedDeleteMember('lee@example.org', userack=False,
                               admin_notif=0)
    with pytest.raises(Errors.NotAMemberError):
        mlist.ProcessConfirmation(cookie)


def test_delete_member_policies(mlist):
    from Mailman import Errors
    for address in ('mo@example.org', 'ned@example.org'):
        mlist.ApprovedAddMember(userdesc(address), ack=0, admin_notif=0)
    mlist.unsubscribe_policy = 0
    mlist.DeleteMember('mo@example.org', 'test')
    assert not mlist.isMember('mo@example.org')
    with pytest.raises(Errors.NotAMemberError):
        mlist.DeleteMember('mo@example.org')
    need_listadmin()
    mlist.unsubscribe_policy = 1
    mlist.admin_immed_notify = 0
    with pytest.raises(Errors.MMNeedApproval):
        mlist.DeleteMember('ned@example.org', 'test')
    assert mlist.isMember('ned@example.org')
    assert [mlist.GetRecord(i) for i in mlist.GetUnsubscriptionIds()] == \
        ['ned@example.org']


def test_unsubscribe_policy_after_confirmation(mlist):
    need_listadmin()
    from Mailman import Errors, mm_cfg
    mlist.ApprovedAddMember(userdesc('ona@example.org'), ack=0,
                            admin_notif=0)
    mlist.unsubscribe_policy = 1
    mlist.admin_immed_notify = 0
    cookie = mlist.ConfirmUnsubscription('ona@example.org')
    with pytest.raises(Errors.MMNeedApproval):
        mlist.ProcessConfirmation(cookie)
    assert mlist.isMember('ona@example.org')
    (request_id,) = mlist.GetUnsubscriptionIds()
    mlist.HandleRequest(request_id, mm_cfg.UNSUBSCRIBE)
    assert not mlist.isMember('ona@example.org')


# ---------------------------------------------------------------- invitations
def test_invitation_skips_approval(mlist):
    from Mailman import Pending
    mlist.subscribe_policy = 3
    mlist.send_welcome_msg = 0
    cookie = mlist.InviteNewMember(userdesc('pat@example.org'),
                                   text='Come and join us!\n\n')
    (msg,) = mails_to(drain_virgin(), 'pat@example.org')
    assert cookie_of(msg) == cookie
    assert str(msg['subject']) == f'confirm {cookie}'
    text = body_of(msg)
    assert text.startswith('Come and join us!')
    assert 'invite' in text and mlist.GetScriptURL('confirm') in text
    assert not mlist.isMember('pat@example.org')
    mlist.Save()
    assert PASSWORD.encode() not in raw_state(mlist)
    result = mlist.ProcessConfirmation(cookie, confirming_mail(
        cookie, 'pat@example.org'))
    assert result[0] == Pending.SUBSCRIPTION
    assert mlist.isMember('pat@example.org')
    assert mlist.authenticateMember('pat@example.org', PASSWORD)


def test_invitation_refusals(mlist):
    from Mailman import Errors
    mlist.ban_list = ['quinn@example.org']
    with pytest.raises(Errors.MembershipIsBanned):
        mlist.InviteNewMember(userdesc('quinn@example.org'))
    mlist.ApprovedAddMember(userdesc('rae@example.org'), ack=0,
                            admin_notif=0)
    with pytest.raises(Errors.MMAlreadyAMember):
        mlist.InviteNewMember(userdesc('rae@example.org'))
    with pytest.raises(Errors.MMBadEmailError):
        mlist.InviteNewMember(userdesc('nobody'))
    assert not drain_virgin()


def test_invitation_to_another_list_is_hostile(mlist):
    from Mailman import Pending
    from Mailman.Errors import HostileSubscriptionError
    desc = userdesc('sam@example.org')
    desc.invitation = 'some-other-list'
    cookie = mlist.pend_new(Pending.SUBSCRIPTION, desc)
    with pytest.raises(HostileSubscriptionError):
        mlist.ProcessConfirmation(cookie)
    assert not mlist.isMember('sam@example.org')
    notices = mails_to(drain_virgin(), 'owner@example.com')
    assert notices and 'sam@example.org' in body_of(notices[0])


# ---------------------------------------------------------------- addresses
def test_change_of_address(mlist):
    from Mailman import Errors, Pending
    mlist.ApprovedAddMember(userdesc('old@example.org', digest=True),
                            ack=0, admin_notif=0)
    mlist.setMemberOption('old@example.org', 4, 1)      # ack
    mlist.admin_notify_mchanges = 1
    cookie = mlist.ChangeMemberAddress('old@example.org', 'New@Example.ORG',
                                       False)
    (msg,) = mails_to(drain_virgin(), 'New@example.org')
    assert cookie_of(msg) == cookie
    assert mlist.isMember('old@example.org')
    result = mlist.ProcessConfirmation(cookie)
    assert result == (Pending.CHANGE_OF_ADDRESS, 'old@example.org',
                      'New@example.org')
    assert not mlist.isMember('old@example.org')
    assert mlist.getMemberCPAddress('new@example.org') == 'New@example.org'
    assert mlist.getMemberOption('new@example.org', 0)
    assert mlist.getMemberOption('new@example.org', 4)
    assert mlist.authenticateMember('new@example.org', PASSWORD)
    notices = mails_to(drain_virgin(), 'owner@example.com')
    assert len(notices) == 1
    text = body_of(notices[0])
    assert 'old@example.org' in text and 'New@example.org' in text
    assert 'address change' in str(notices[0]['subject'])
    # Refusals.
    with pytest.raises(Errors.NotAMemberError):
        mlist.ChangeMemberAddress('old@example.org', 'x@example.org')
    mlist.ban_list = ['^bad@']
    with pytest.raises(Errors.MembershipIsBanned):
        mlist.ChangeMemberAddress('new@example.org', 'bad@example.org')
    mlist.ApprovedAddMember(userdesc('taken@example.org'), ack=0,
                            admin_notif=0)
    with pytest.raises(Errors.MMAlreadyAMember):
        mlist.ChangeMemberAddress('new@example.org', 'taken@example.org')
    with pytest.raises(Errors.MMBadEmailError):
        mlist.ChangeMemberAddress('new@example.org', mlist.GetListEmail())
    with pytest.raises(Errors.MMHostileAddress):
        mlist.ChangeMemberAddress('new@example.org', 'a|b@example.org')


def test_global_change_of_address(mlist):
    from Mailman import Passwords
    from Mailman.MailList import MailList
    names = []
    try:
        for host in ('lists.example.com', 'other.example.net'):
            other = MailList()
            name = 'sub-glob-' + uuid.uuid4().hex[:8]
            other.Create(name, 'owner@example.com',
                         Passwords.hash_password('x'), emailhost=host)
            other.ApprovedAddMember(userdesc('uma@example.org'), ack=0,
                                    admin_notif=0)
            other.Save()
            other.Unlock()
            names.append(name)
        mlist.ApprovedAddMember(userdesc('uma@example.org'), ack=0,
                                admin_notif=0)
        cookie = mlist.ChangeMemberAddress('uma@example.org',
                                           'uma2@example.org', True)
        mlist.ProcessConfirmation(cookie)
        assert mlist.isMember('uma2@example.org')
        same_host = MailList(names[0], lock=0)
        other_host = MailList(names[1], lock=0)
        assert same_host.isMember('uma2@example.org')
        assert not same_host.isMember('uma@example.org')
        assert other_host.isMember('uma@example.org')
        assert not other_host.isMember('uma2@example.org')
    finally:
        for name in names:
            shutil.rmtree(os.path.join(mlist.fullpath(), '..', name),
                          ignore_errors=True)


# ---------------------------------------------------------------- other ops
def test_reenable_and_probe_cookies(mlist):
    from Mailman import MemberAdaptor, Pending
    mlist.ApprovedAddMember(userdesc('vic@example.org'), ack=0,
                            admin_notif=0)
    mlist.setDeliveryStatus('vic@example.org', MemberAdaptor.BYBOUNCE)
    cookie = mlist.pend_new(Pending.RE_ENABLE, mlist.internal_name(),
                            'vic@example.org')
    assert mlist.ProcessConfirmation(cookie) == (Pending.RE_ENABLE,
                                                 'vic@example.org')
    assert mlist.getDeliveryStatus('vic@example.org') == \
        MemberAdaptor.ENABLED
    probe = mlist.pend_new(Pending.PROBE_BOUNCE, 'vic@example.org', None)
    assert mlist.ProcessConfirmation(probe) == (Pending.PROBE_BOUNCE,
                                                'vic@example.org')
    # The bounce runner still finds the probe's cookie.
    assert mlist.pend_confirm(probe, expunge=False)[0] == \
        Pending.PROBE_BOUNCE


def test_held_message_cookie(mlist):
    need(hasattr(mlist, 'HoldMessage') and hasattr(mlist, 'HandleRequest'),
         'ListAdmin.HoldMessage/HandleRequest are not written yet')
    from Mailman import Errors, Pending
    from Mailman.Message import Message
    mlist.mod_password = __import__('Mailman.Passwords').Passwords \
        .hash_password('modpw')
    mlist.admin_immed_notify = 0
    mlist.respond_to_post_requests = 0
    post = email.message_from_string(
        'From: wes@example.org\nSubject: hi\n\nbody\n', _class=Message)
    ids = []
    for _ in range(3):
        ids.append(mlist.HoldMessage(post, 'test hold'))
    cookies = {}
    for cookie, entry in mlist.pend_cookies().items():
        if entry[0] == Pending.HELD_MESSAGE:
            cookies[entry[1]] = cookie
    drain_virgin()
    # 1: the sender withdraws the post (no password).
    mlist.ProcessConfirmation(cookies[ids[0]], confirming_mail(
        cookies[ids[0]], 'wes@example.org'))
    assert ids[0] not in mlist.GetHeldMessageIds()
    # 2: a wrong password keeps it held, and the cookie.
    with pytest.raises(Errors.MMBadPasswordError):
        mlist.ProcessConfirmation(cookies[ids[1]], confirming_mail(
            cookies[ids[1]], 'mod@example.org', 'Approved: wrong\n'))
    assert ids[1] in mlist.GetHeldMessageIds()
    # ... the moderator password approves it (header or body line).
    mlist.ProcessConfirmation(cookies[ids[1]], confirming_mail(
        cookies[ids[1]], 'mod@example.org', 'Approved: modpw\n'))
    assert ids[1] not in mlist.GetHeldMessageIds()
    from Mailman.Message import Message as M
    body = email.message_from_string(
        f'From: mod@example.org\nSubject: Re: confirm {cookies[ids[2]]}\n\n'
        '\nApprove: adminpw\n\nrest\n', _class=M)
    mlist.ProcessConfirmation(cookies[ids[2]], body)
    assert ids[2] not in mlist.GetHeldMessageIds()
    posted = [m for m, d in drain_virgin()]
    assert posted is not None


# ---------------------------------------------------------------- passwords
def test_password_reset_flow(mlist):
    from Mailman import Errors, Pending
    from Mailman.UserDesc import UserDesc
    mlist.ApprovedAddMember(userdesc('Xena@example.org'), ack=0,
                            admin_notif=0)
    first = mlist.SendPasswordReset('xena@example.org', remote='someone')
    second = mlist.SendPasswordReset('xena@example.org')
    mails = mails_to(drain_virgin(), 'Xena@example.org')
    assert [cookie_of(m) for m in mails] == [first, second]
    msg = mails[0]
    assert not str(msg['subject']).lower().startswith('confirm')
    text = body_of(msg)
    assert mlist.GetScriptURL('confirm') + '/' + first in text
    assert f'confirm {first}' in text
    assert PASSWORD not in text
    # Without a new password nothing happens and the cookie stays good.
    with pytest.raises(Errors.PasswordError):
        mlist.ProcessConfirmation(first, confirming_mail(
            first, 'xena@example.org'))
    assert mlist.authenticateMember('xena@example.org', PASSWORD)
    result = mlist.ProcessConfirmation(first, UserDesc(password='brand-new'))
    assert result == (Pending.PASSWORD_RESET, 'Xena@example.org')
    assert mlist.authenticateMember('xena@example.org', 'brand-new')
    assert not mlist.authenticateMember('xena@example.org', PASSWORD)
    # Used once; and the other reset cookie went with it.
    for cookie in (first, second):
        with pytest.raises(Errors.MMBadConfirmation):
            mlist.ProcessConfirmation(cookie, UserDesc(password='again'))
    mlist.Save()
    assert b'brand-new' not in raw_state(mlist)
    with pytest.raises(Errors.NotAMemberError):
        mlist.SendPasswordReset('stranger@example.org')


def test_approved_add_member_takes_a_hash(mlist):
    from Mailman import Passwords
    desc = userdesc('yan@example.org', password=Passwords.hash_password('h1'))
    desc.password_hashed = True
    mlist.ApprovedAddMember(desc, ack=0, admin_notif=0)
    assert mlist.authenticateMember('yan@example.org', 'h1')
    # A clear password is still hashed.
    mlist.ApprovedAddMember(userdesc('zed@example.org', password='plain1'),
                            ack=0, admin_notif=0)
    assert mlist.getMemberPassword('zed@example.org') != 'plain1'
    assert mlist.authenticateMember('zed@example.org', 'plain1')


def test_unknown_cookies(mlist):
    from Mailman import Errors
    for cookie in ('0' * 40, 'not-a-cookie', '', 'a' * 41):
        with pytest.raises(Errors.MMBadConfirmation):
            mlist.ProcessConfirmation(cookie)


def test_change_of_address_case_and_taken(mlist):
    mlist.ApprovedAddMember(userdesc('case@example.org'), ack=0,
                            admin_notif=0)
    cookie = mlist.ChangeMemberAddress('case@example.org', 'Case@example.org')
    mlist.ProcessConfirmation(cookie)
    assert mlist.getMemberCPAddress('case@example.org') == 'Case@example.org'
    assert mlist.authenticateMember('case@example.org', PASSWORD)
    # Taken by the time it is confirmed: the old membership just goes.
    mlist.ApprovedAddMember(userdesc('one@example.org'), ack=0,
                            admin_notif=0)
    cookie = mlist.ChangeMemberAddress('one@example.org', 'two@example.org')
    mlist.ApprovedAddMember(userdesc('Two@example.org', password='twopw'),
                            ack=0, admin_notif=0)
    mlist.ProcessConfirmation(cookie)
    assert not mlist.isMember('one@example.org')
    assert mlist.authenticateMember('two@example.org', 'twopw')


def test_request_pended_by_21_with_clear_password(mlist):
    need_listadmin()
    from Mailman import Errors, Pending
    from Mailman.UserDesc import UserDesc
    mlist.subscribe_policy = 3
    mlist.admin_immed_notify = 0
    old = UserDesc('legacy@example.org', 'Leg Acy', PASSWORD, 0, 'en')
    cookie = mlist.pend_new(Pending.SUBSCRIPTION, old)
    with pytest.raises(Errors.MMNeedApproval):
        mlist.ProcessConfirmation(cookie)
    mlist.Save()
    assert PASSWORD.encode() not in raw_state(mlist)
    (request_id,) = mlist.GetSubscriptionIds()
    from Mailman import mm_cfg
    mlist.HandleRequest(request_id, mm_cfg.APPROVE)
    assert mlist.authenticateMember('legacy@example.org', PASSWORD)
