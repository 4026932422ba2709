"""The moderation page (Mailman.Cgi.admindb), in process: logins, the
summary and detail views of held posts and membership requests, every
decision a moderator can make, and that forged forms and hostile messages
change and run nothing."""

import os
import time
import urllib.parse
import uuid

import pytest

from webhelp import (SCRIPT, Client, call, drain_virgin,  # noqa: F401
                     lists, reload)
from unithelp import queued

ADMIN_PW = 'adminpw'
MOD_PW = 'modpw-123'
NONMEMBER = 'Post by non-member to a members-only list'


# ------------------------------------------------------------------ helpers
@pytest.fixture
def mlist(lists):
    from Mailman import Passwords, mm_cfg
    m = lists(mod_password=Passwords.hash_password(MOD_PW, quick=True))
    yield m
    name = m.internal_name()
    for directory in (mm_cfg.DATA_DIR, mm_cfg.SPAM_DIR):
        for entry in os.listdir(directory):
            if f'-{name}-' in entry:
                os.unlink(os.path.join(directory, entry))
    queued(mm_cfg.INQUEUE_DIR, name, remove=True)


def raw_post(mlist, sender='poster@example.org', subject='Hello',
             body='Hi there.\n', extra=''):
    return (f'From: {sender}\nTo: {mlist.GetListEmail()}\n'
            f'Subject: {subject}\n'
            f'Message-ID: <{uuid.uuid4().hex}@example.org>\n'
            f'{extra}\n{body}').encode('utf-8')


def hold(mlist, raw=None, reason=NONMEMBER, sender=None, **kws):
    """Hold a post on MLIST as the pipeline would; its request id."""
    import email
    from Mailman.MailList import MailList
    from Mailman.Message import Message
    msg = email.message_from_bytes(raw or raw_post(mlist, **kws),
                                   _class=Message)
    msgdata = {'listname': mlist.internal_name(),
               'pipeline': ['ToOutgoing'],
               'received_time': time.time()}
    if sender:
        msgdata['sender'] = sender
    m = MailList(mlist.internal_name(), lock=1)
    try:
        request_id = m.HoldMessage(msg, reason, msgdata, notify=False)
        m.Save()
    finally:
        m.Unlock()
    return request_id


def hold_subscription(mlist, address, name='Joining Person'):
    from Mailman.MailList import MailList
    m = MailList(mlist.internal_name(), lock=1)
    try:
        m.admin_immed_notify = 0
        request_id = m.HoldSubscription(address, name, 'pw', 0, 'en')
        m.Save()
    finally:
        m.Unlock()
    return request_id


def path(mlist, *rest):
    return '/' + '/'.join((mlist.internal_name(),) + rest)


def logged_in(mlist, password=ADMIN_PW):
    client = Client()
    r = client.post('admindb', path(mlist), {'adminpw': password,
                                             'admlogin': 'Let me in...'})
    assert r.status == 200, r.text
    assert r.hidden('adminpw') is None
    return client


def submit(client, mlist, fields, page=None):
    """Post FIELDS with the CSRF token of the page just seen."""
    page = page or client.get('admindb', path(mlist))
    form = dict(fields, csrf_token=page.hidden('csrf_token'))
    return client.post('admindb', path(mlist), form)


def held_ids(mlist):
    return reload(mlist).GetHeldMessageIds()


def incoming(mlist):
    from Mailman import mm_cfg
    return queued(mm_cfg.INQUEUE_DIR, mlist.internal_name(), remove=True)


def refusals():
    return [m for m, d in drain_virgin() if 'rejected' in str(m['Subject'])]


def body_text(msg):
    return '\n'.join(part.get_payload(decode=True).decode('utf-8', 'replace')
                     for part in msg.walk()
                     if part.get_content_maintype() == 'text')


def q(sender):
    return urllib.parse.quote_plus(sender)


# ------------------------------------------------------------------ logins
def test_login_as_admin_then_cookie(mlist):
    from Mailman import mm_cfg
    request_id = hold(mlist, subject='Waiting')
    r = call('admindb', path(mlist))
    assert r.status == 200 and r.hidden('adminpw') is None
    assert 'adminpw' in r.text and 'Waiting' not in r.text
    r = call('admindb', path(mlist), 'POST', {'adminpw': 'wrong'})
    assert r.status == 401 and 'Waiting' not in r.text
    client = Client()
    r = client.post('admindb', path(mlist), {'adminpw': ADMIN_PW})
    assert any(c.startswith(f'{mlist.internal_name()}+admin=')
               for c in r.set_cookies)
    assert 'Waiting' in r.text and 'List configuration' in r.text
    r = client.get('admindb', path(mlist))
    assert 'Waiting' in r.text and r.hidden('csrf_token')
    assert r.inputs()[str(request_id)] == str(mm_cfg.DEFER)


def test_login_as_moderator(mlist):
    hold(mlist, subject='For the moderator')
    client = logged_in(mlist, MOD_PW)
    r = client.get('admindb', path(mlist))
    assert 'For the moderator' in r.text
    assert 'List configuration' not in r.text     # no admin link
    assert any(name.endswith('+moderator') for name, _ in client.jar)
    assert not any(name.endswith('+admin') for name, _ in client.jar)


def test_login_as_site_admin(mlist):
    from Mailman import Utils, mm_cfg
    hold(mlist, subject='For the site admin')
    Utils.set_global_password('site-pw-1')
    try:
        client = logged_in(mlist, 'site-pw-1')
        assert any(name.endswith('+siteadmin') for name, _ in client.jar)
        r = client.get('admindb', path(mlist))
        assert 'For the site admin' in r.text and r.hidden('csrf_token')
    finally:
        os.unlink(mm_cfg.SITE_PW_FILE)


def test_login_carries_the_query_through(mlist):
    request_id = hold(mlist, subject='Linked from a notice')
    r = call('admindb', path(mlist), query=f'msgid={request_id}')
    assert r.hidden('msgid') == str(request_id)
    client = Client()
    r = client.post('admindb', path(mlist),
                    {'adminpw': ADMIN_PW, 'msgid': str(request_id)})
    assert 'Posting held for approval' in r.text
    assert 'Hi there.' in r.text


def test_logout(mlist):
    client = logged_in(mlist)
    assert client.jar
    r = client.get('admindb', path(mlist, 'logout'))
    assert 'logged out' in r.text
    assert not client.jar
    assert client.get('admindb', path(mlist)).hidden('csrf_token') is None


def test_another_lists_cookie_is_refused(lists, mlist):
    other = lists()
    request_id = hold(other, subject='Other list post')
    client = logged_in(mlist)
    (name, cookie_path), value = next(
        ((key, value) for key, value in client.jar.items()
         if '/admindb/' in key[1]))
    moved = f'{other.internal_name()}+admin={value}'
    r = call('admindb', path(other), cookie=moved)
    assert r.hidden('csrf_token') is None and 'Other list post' not in r.text
    token = client.get('admindb', path(mlist)).hidden('csrf_token')
    r = call('admindb', path(other), 'POST',
             {str(request_id): '3', 'csrf_token': token}, cookie=moved)
    assert r.hidden('csrf_token') is None
    assert held_ids(other) == [request_id]


# ------------------------------------------------------------------ held posts
def test_approve_sends_the_post_on(mlist):
    from Mailman import mm_cfg
    request_id = hold(mlist, subject='Approve me')
    client = logged_in(mlist)
    page = client.get('admindb', path(mlist))
    r = submit(client, mlist, {str(request_id): str(mm_cfg.APPROVE)}, page)
    assert r.status == 200, r.text
    assert 'Approved the post "Approve me"' in r.plain
    assert held_ids(mlist) == []
    [(msg, data)] = incoming(mlist)
    assert msg['Subject'] == 'Approve me'
    assert msg['X-Mailman-Approved-At']
    assert data['approved'] == 1 and data['adminapproved'] == 1
    assert data['pipeline'] == ['ToOutgoing']
    # The same form again (another tab, another moderator) does nothing.
    r = submit(client, mlist, {str(request_id): str(mm_cfg.APPROVE)}, page)
    assert 'no longer pending' in r.plain
    assert incoming(mlist) == []


def test_reject_from_the_detail_view_sends_the_comment(mlist):
    from Mailman import mm_cfg
    request_id = hold(mlist, subject='Bad idea')
    drain_virgin()
    client = logged_in(mlist)
    page = client.get('admindb', path(mlist), query=f'msgid={request_id}')
    assert 'Bad idea' in page.text and NONMEMBER in page.text
    r = submit(client, mlist, {str(request_id): str(mm_cfg.REJECT),
                               f'comment-{request_id}': 'Off topic here.'},
               page)
    assert 'Rejected the post' in r.plain
    [refusal] = refusals()
    assert refusal['To'] == 'poster@example.org'
    assert 'Off topic here.' in body_text(refusal)
    assert held_ids(mlist) == [] and incoming(mlist) == []


def test_discard_and_defer(mlist):
    from Mailman import mm_cfg
    kept = hold(mlist, subject='Keep me')
    dropped = hold(mlist, subject='Drop me')
    path_of_dropped = reload(mlist).GetHeldMessagePath(dropped)
    client = logged_in(mlist)
    r = submit(client, mlist, {str(kept): str(mm_cfg.DEFER),
                               str(dropped): str(mm_cfg.DISCARD)})
    assert 'Discarded the post "Drop me"' in r.plain
    assert held_ids(mlist) == [kept]
    assert not os.path.exists(path_of_dropped)
    assert incoming(mlist) == [] and refusals() == []
    # The summary that follows lists only what is left.
    assert f'?msgid={kept}"' in r.text and f'?msgid={dropped}"' not in r.text


def test_preserve_and_forward(mlist):
    from Mailman import mm_cfg
    request_id = hold(mlist, subject='Evidence')
    drain_virgin()
    client = logged_in(mlist)
    page = client.get('admindb', path(mlist), query='details=all')
    r = submit(client, mlist, {
        str(request_id): str(mm_cfg.DISCARD),
        f'preserve-{request_id}': 'on', f'forward-{request_id}': 'on',
        f'forward-addr-{request_id}': 'abuse@example.net'}, page)
    assert 'kept for the site administrator' in r.plain
    spam = os.path.join(mm_cfg.SPAM_DIR,
                        f'spam-{mlist.internal_name()}-{request_id}.msg')
    with open(spam, 'rb') as f:
        assert b'Subject: Evidence' in f.read()
    [forward] = [m for m, d in drain_virgin()
                 if m['Subject'] == 'Forward of moderated message']
    assert forward['To'] == 'abuse@example.net'
    assert forward.get_payload(0)['Subject'] == 'Evidence'


def test_forward_to_a_bad_address_changes_nothing(mlist):
    from Mailman import mm_cfg
    request_id = hold(mlist)
    client = logged_in(mlist)
    r = submit(client, mlist, {
        str(request_id): str(mm_cfg.APPROVE), f'forward-{request_id}': 'on',
        f'forward-addr-{request_id}': 'not an address'})
    assert 'cannot forward' in r.plain
    assert held_ids(mlist) == [request_id] and incoming(mlist) == []


def test_sender_action_filters_and_ban(mlist):
    from Mailman import mm_cfg
    spammer = 'spammer@example.net'
    first = hold(mlist, sender=spammer, subject='Buy one')
    second = hold(mlist, sender=spammer, subject='Buy two')
    other = hold(mlist, subject='Unrelated')
    client = logged_in(mlist)
    page = client.get('admindb', path(mlist))
    names = {name for tag, attrs in page.parser.tags
             for name in [attrs.get('name')] if name}
    for field in ('senderaction-', 'senderpreserve-', 'senderforward-',
                  'senderforwardto-', 'senderfilterp-', 'senderfilter-',
                  'senderbanp-'):
        assert field + q(spammer) in names, field
    # A post that arrives after the page was drawn is not covered.
    late = hold(mlist, sender=spammer, subject='Buy three')
    fields = page.inputs()
    fields.pop('csrf_token')
    fields.update({f'senderaction-{q(spammer)}': str(mm_cfg.DISCARD),
                   f'senderfilterp-{q(spammer)}': '1',
                   f'senderfilter-{q(spammer)}': str(mm_cfg.DISCARD),
                   f'senderbanp-{q(spammer)}': '1'})
    r = submit(client, mlist, fields, page)
    assert r.status == 200, r.text
    assert held_ids(mlist) == [other, late]
    fresh = reload(mlist)
    assert fresh.discard_these_nonmembers == [spammer]
    assert spammer in fresh.ban_list
    assert 'Banned spammer@example.net' in r.plain
    assert first not in held_ids(mlist) and second not in held_ids(mlist)


def test_accept_filter_and_per_message_choice_wins(mlist):
    from Mailman import mm_cfg
    friend = 'friend@example.net'
    approve = hold(mlist, sender=friend, subject='Good one')
    reject = hold(mlist, sender=friend, subject='Bad one')
    client = logged_in(mlist)
    r = submit(client, mlist, {
        str(approve): str(mm_cfg.DEFER), str(reject): str(mm_cfg.REJECT),
        f'senderaction-{q(friend)}': str(mm_cfg.APPROVE),
        f'senderfilterp-{q(friend)}': '1',
        f'senderfilter-{q(friend)}': str(mm_cfg.ACCEPT)})
    assert 'Added friend@example.net to accept_these_nonmembers' \
        in r.plain
    assert held_ids(mlist) == []
    assert [m['Subject'] for m, d in incoming(mlist)] == ['Good one']
    assert [r['To'] for r in refusals()] == [friend]
    assert reload(mlist).accept_these_nonmembers == [friend]


def test_filter_needs_a_choice_and_a_valid_address(mlist):
    bad_sender = 'no-at-sign'
    hold(mlist, sender=bad_sender)
    hold(mlist, sender='someone@example.net')
    client = logged_in(mlist)
    r = submit(client, mlist, {
        f'senderfilterp-{q("someone@example.net")}': '1',
        f'senderfilterp-{q(bad_sender)}': '1',
        f'senderfilter-{q(bad_sender)}': '6'})
    assert 'choose which sender filter' in r.plain
    assert 'bad/invalid email address' in r.plain
    fresh = reload(mlist)
    assert fresh.accept_these_nonmembers == []
    assert fresh.discard_these_nonmembers == []


def test_clear_a_members_moderation_flag(mlist):
    from Mailman import mm_cfg
    from Mailman.MailList import MailList
    from Mailman.UserDesc import UserDesc
    m = MailList(mlist.internal_name(), lock=1)
    try:
        m.ApprovedAddMember(UserDesc('member@example.org', 'M', 'pw', 0),
                            ack=0, admin_notif=0)
        m.setMemberOption('member@example.org', mm_cfg.Moderate, 1)
        m.Save()
    finally:
        m.Unlock()
    hold(mlist, sender='member@example.org')
    client = logged_in(mlist)
    page = client.get('admindb', path(mlist))
    assert f'senderclearmodp-{q("member@example.org")}' in page.text
    assert f'senderfilterp-{q("member@example.org")}' not in page.text
    submit(client, mlist, {f'senderclearmodp-{q("member@example.org")}': '1'},
           page)
    assert not reload(mlist).getMemberOption('member@example.org',
                                              mm_cfg.Moderate)


def test_discard_all_deferred(mlist):
    from Mailman import mm_cfg
    ids = [hold(mlist, subject=f'Spam {n}') for n in range(3)]
    client = logged_in(mlist)
    page = client.get('admindb', path(mlist))
    late = hold(mlist, subject='Arrived later')
    fields = page.inputs()
    fields.pop('csrf_token')
    fields[str(ids[0])] = str(mm_cfg.APPROVE)
    fields['discardalldefersp'] = '1'
    submit(client, mlist, fields, page)
    assert held_ids(mlist) == [late]
    assert [m['Subject'] for m, d in incoming(mlist)] == ['Spam 0']


def test_summary_sort_buttons(mlist, monkeypatch):
    from Mailman import mm_cfg
    monkeypatch.setattr(mm_cfg, 'DISPLAY_HELD_SUMMARY_SORT_BUTTONS', 1)
    hold(mlist, sender='b@example.org', subject='First in time')
    hold(mlist, sender='a@example.org', subject='Second in time')
    client = logged_in(mlist)
    r = client.get('admindb', path(mlist))
    assert 'name="summary_sort"' in r.text
    assert r.text.index('Second in time') < r.text.index('First in time')
    r = client.get('admindb', path(mlist),
                   query=f'summary_sort={mm_cfg.SSENDERTIME}')
    assert r.text.index('First in time') < r.text.index('Second in time')
    r = client.get('admindb', path(mlist),
                   query=f'summary_sort={mm_cfg.STIME}')
    assert r.text.index('First in time') < r.text.index('Second in time')
    assert 'senderaction-' not in r.text


def test_sender_view_shows_only_that_senders_posts(mlist):
    hold(mlist, sender='one@example.org', subject='From one')
    hold(mlist, sender='two@example.org', subject='From two')
    client = logged_in(mlist)
    r = client.get('admindb', path(mlist),
                   query='sender=' + q('one@example.org'))
    assert 'From one' in r.text and 'From two' not in r.text
    r = client.get('admindb', path(mlist), query='details=instructions')
    assert 'Discard' in r.text and r.hidden('csrf_token') is None


def test_no_pending_requests(mlist):
    r = logged_in(mlist).get('admindb', path(mlist))
    assert 'There are no pending requests.' in r.text
    r = logged_in(mlist).get('admindb', path(mlist), query='msgid=999')
    assert 'no such held message' in r.plain


# ------------------------------------------------------------------ membership
def test_subscription_requests(mlist):
    from Mailman import mm_cfg
    welcome = hold_subscription(mlist, 'welcome@example.org')
    refuse = hold_subscription(mlist, 'refuse@example.org')
    banned = hold_subscription(mlist, 'banned@example.org')
    later = hold_subscription(mlist, 'later@example.org')
    drain_virgin()
    client = logged_in(mlist)
    page = client.get('admindb', path(mlist))
    assert 'Joining Person' in page.text and f'ban-{banned}' in page.text
    r = submit(client, mlist, {
        str(welcome): str(mm_cfg.SUBSCRIBE),
        str(refuse): str(mm_cfg.REJECT), f'comment-{refuse}': 'Not you.',
        str(banned): str(mm_cfg.DISCARD), f'ban-{banned}': '1',
        str(later): str(mm_cfg.DEFER)}, page)
    assert 'Approved the subscription request of welcome@example.org' \
        in r.plain
    fresh = reload(mlist)
    assert fresh.isMember('welcome@example.org')
    assert not fresh.isMember('refuse@example.org')
    assert 'banned@example.org' in fresh.ban_list
    assert fresh.GetSubscriptionIds() == [later]
    [refusal] = refusals()
    assert refusal['To'] == 'refuse@example.org'
    assert 'Not you.' in body_text(refusal)


def test_unsubscription_request(mlist):
    from Mailman import mm_cfg
    from Mailman.MailList import MailList
    from Mailman.UserDesc import UserDesc
    m = MailList(mlist.internal_name(), lock=1)
    try:
        m.ApprovedAddMember(UserDesc('leaving@example.org', '', 'pw', 0),
                            ack=0, admin_notif=0)
        request_id = m.HoldUnsubscription('leaving@example.org')
        m.Save()
    finally:
        m.Unlock()
    client = logged_in(mlist)
    page = client.get('admindb', path(mlist))
    assert 'Unsubscription requests' in page.text
    submit(client, mlist, {str(request_id): str(mm_cfg.UNSUBSCRIBE)}, page)
    fresh = reload(mlist)
    assert not fresh.isMember('leaving@example.org')
    assert fresh.GetUnsubscriptionIds() == []


def test_wrong_kind_of_decision_is_refused(mlist):
    from Mailman import mm_cfg
    request_id = hold_subscription(mlist, 'someone@example.org')
    client = logged_in(mlist)
    r = submit(client, mlist, {str(request_id): str(mm_cfg.UNSUBSCRIBE)})
    assert 'not a valid decision' in r.plain
    assert reload(mlist).GetSubscriptionIds() == [request_id]


# ------------------------------------------------------------------ CSRF
def test_forged_forms_change_nothing(lists, mlist):
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    request_id = hold(mlist)
    sub_id = hold_subscription(mlist, 'new@example.org')
    client = logged_in(mlist)
    actions = {str(request_id): str(mm_cfg.APPROVE),
               str(sub_id): str(mm_cfg.SUBSCRIBE),
               f'senderfilterp-{q("poster@example.org")}': '1',
               f'senderfilter-{q("poster@example.org")}': '6',
               'discardalldefersp': '1'}
    stale = Auth.csrf_token(
        reload(mlist), Auth.Session(mm_cfg.AuthListAdmin,
                                    mlist.internal_name()),
        now=time.time() - mm_cfg.FORM_LIFETIME - 60)
    other = lists()
    foreign = Auth.csrf_token(other, Auth.Session(mm_cfg.AuthListAdmin,
                                                  other.internal_name()))
    as_moderator = Auth.csrf_token(
        reload(mlist), Auth.Session(mm_cfg.AuthListModerator,
                                    mlist.internal_name()))
    for token in (None, '', 'garbage', stale, foreign, as_moderator):
        form = dict(actions)
        if token is not None:
            form['csrf_token'] = token
        r = client.post('admindb', path(mlist), form)
        assert r.status == 403, token
        assert 'nothing was changed' in r.text
    # Nor does a GET carrying the same fields.
    client.get('admindb', path(mlist),
               query=urllib.parse.urlencode(actions))
    fresh = reload(mlist)
    assert fresh.GetHeldMessageIds() == [request_id]
    assert fresh.GetSubscriptionIds() == [sub_id]
    assert fresh.accept_these_nonmembers == []
    assert incoming(mlist) == []


def test_password_in_the_form_is_not_a_token_for_a_cookie_session(mlist):
    from Mailman import mm_cfg
    request_id = hold(mlist)
    client = logged_in(mlist)
    r = client.post('admindb', path(mlist),
                    {'adminpw': 'anything', str(request_id):
                     str(mm_cfg.DISCARD)})
    assert r.status == 403
    assert held_ids(mlist) == [request_id]
    # With the right password in the very request, it is genuine.
    r = call('admindb', path(mlist), 'POST',
             {'adminpw': ADMIN_PW, str(request_id): str(mm_cfg.DISCARD)})
    assert r.status == 200 and held_ids(mlist) == []


# ------------------------------------------------------------------ hostile
def test_script_in_a_post_is_inert(mlist):
    evil_sender = 'x"><script>alert(1)</script>@example.org'
    raw = (f'From: {SCRIPT} <evil@example.org>\n'
           f'To: {mlist.GetListEmail()}\n'
           f'Subject: {SCRIPT}\n'
           f'X-Evil: {SCRIPT}\n\n'
           f'{SCRIPT}\n').encode('utf-8')
    request_id = hold(mlist, raw=raw, reason=f'Because {SCRIPT}',
                      sender=evil_sender)
    hold_subscription(mlist, 'fine@example.org', name=SCRIPT)
    client = logged_in(mlist)
    views = [client.get('admindb', path(mlist)),
             client.get('admindb', path(mlist), query=f'msgid={request_id}'),
             client.get('admindb', path(mlist),
                        query='sender=' + q(evil_sender)),
             client.get('admindb', path(mlist), query='details=all')]
    for r in views:
        assert r.status == 200
        assert '<script' not in r.text.lower()
        assert '&lt;script&gt;' in r.text
    detail = views[1].plain
    assert f'X-Evil: {SCRIPT}' in detail and f'Because {SCRIPT}' in detail


BROKEN = [
    # A multipart without a boundary, a charset nobody knows, bad base64.
    b'From: a@example.org\nSubject: =?x-unknown?q?broken?=\n'
    b'Content-Type: multipart/mixed\n\nno boundary here\n',
    b'From: a@example.org\nSubject: charset\n'
    b'Content-Type: text/plain; charset=x-no-such-charset\n\nbody \xff\xfe\n',
    b'From: a@example.org\nSubject: b64\nContent-Transfer-Encoding: base64\n'
    b'Content-Type: text/plain; charset=utf-8\n\n!!!not*base64===\n',
    # 8-bit bytes and control characters in headers; a NUL in the body.
    b'From: \xe9t\xe9 <a@example.org>\nSubject: caf\xe9 \x1b[31m\n'
    b'X-Bin: \x00\x01\n\nnul \x00 here\n',
    # A message/rfc822 part that is not a message, and a nested boundary.
    b'From: a@example.org\nSubject: nested\n'
    b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
    b'Content-Type: message/rfc822\n\nnot really\n--b\n'
    b'Content-Type: application/octet-stream; name="x.bin"\n'
    b'Content-Transfer-Encoding: base64\n\nAAECAwQ=\n--b--\n',
]


@pytest.mark.parametrize('raw', BROKEN)
def test_broken_messages_render(mlist, raw):
    request_id = hold(mlist, raw=raw)
    client = logged_in(mlist)
    for query in ('', f'msgid={request_id}', 'details=all'):
        r = client.get('admindb', path(mlist), query=query)
        assert r.status == 200, r.text
        assert 'Submit All Data' in r.text
        assert '\x00' not in r.text and '\x1b' not in r.text


def test_sender_with_raw_8bit_bytes(mlist):
    """An address with undecodable bytes is shown, and its sender-level
    choice still finds its posts."""
    from Mailman import mm_cfg
    raw = b'From: J\xf6rg <j\xf6rg@example.org>\nSubject: hi\n\nbody\n'
    request_id = hold(mlist, raw=raw)
    sender = reload(mlist).GetRecord(request_id)[1]
    client = logged_in(mlist)
    page = client.get('admindb', path(mlist))
    assert page.status == 200 and 'rg@example.org' in page.text
    field = next(attrs['name'] for tag, attrs in page.parser.tags
                 if attrs.get('name', '').startswith('senderaction-'))
    from Mailman.Cgi.admindb_render import quote_sender
    assert field == 'senderaction-' + quote_sender(sender)
    r = client.get('admindb', path(mlist),
                   query='sender=' + q(sender))
    assert 'Posting held for approval' in r.text
    r = submit(client, mlist, {str(request_id): str(mm_cfg.DEFER),
                               field: str(mm_cfg.DISCARD)}, page)
    assert r.status == 200 and held_ids(mlist) == []


def test_unreadable_and_lost_message_files(mlist):
    from Mailman import mm_cfg
    garbled = hold(mlist, subject='Garbled')
    lost = hold(mlist, subject='Lost')
    m = reload(mlist)
    with open(m.GetHeldMessagePath(garbled), 'wb') as f:
        f.write(b'\x80\x04not a pickle <script>')
    os.unlink(m.GetHeldMessagePath(lost))
    client = logged_in(mlist)
    r = client.get('admindb', path(mlist), query='details=all')
    assert r.status == 200
    assert 'cannot be read' in r.text and 'missing' in r.text
    assert '<script>' not in r.text
    r = client.get('admindb', path(mlist))
    assert 'file missing' in r.text
    r = submit(client, mlist, {str(garbled): str(mm_cfg.DISCARD),
                               str(lost): str(mm_cfg.DISCARD)})
    assert held_ids(mlist) == []


def test_long_body_is_cut_to_the_page_limit(mlist, monkeypatch):
    from Mailman import mm_cfg
    monkeypatch.setattr(mm_cfg, 'ADMINDB_PAGE_TEXT_LIMIT', 100)
    request_id = hold(mlist, body='A' * 50 + 'B' * 5000 + 'TAIL\n')
    r = logged_in(mlist).get('admindb', path(mlist),
                             query=f'msgid={request_id}')
    assert 'A' * 50 + 'B' * 50 in r.text
    assert 'TAIL' not in r.text and 'more characters not shown' in r.text


# ------------------------------------------------------------------ valid HTML
def test_every_view_is_valid_html(mlist, monkeypatch, tmp_path):
    """Each view of the page (the shared HTML test covers only the
    summary), with hostile and broken posts on it, by the Nu checker."""
    from Mailman import mm_cfg
    from test_html_valid import check_html
    monkeypatch.setattr(mm_cfg, 'DISPLAY_HELD_SUMMARY_SORT_BUTTONS', 1)
    evil = hold(mlist, subject=f'Held {SCRIPT}', reason=f'R {SCRIPT}',
                sender='x"<y>@example.org')
    for raw in BROKEN:
        hold(mlist, raw=raw)
    hold_subscription(mlist, 'sub@example.org', SCRIPT)
    client = Client()
    pages = {'login': client.get('admindb', path(mlist)),
             'failed': client.post('admindb', path(mlist), {'adminpw': 'x'}),
             'summary': client.post('admindb', path(mlist),
                                    {'adminpw': ADMIN_PW})}
    for label, query in (('bytime', f'summary_sort={mm_cfg.STIME}'),
                         ('detail', f'msgid={evil}'), ('all', 'details=all'),
                         ('help', 'details=instructions')):
        pages[label] = client.get('admindb', path(mlist), query=query)
    pages['forged'] = client.post('admindb', path(mlist), {str(evil): '3'})
    pages['done'] = submit(client, mlist, {
        str(evil): '3', f'senderfilterp-{q("nobody")}': '1'})
    pages['logout'] = client.get('admindb', path(mlist, 'logout'))
    for label, response in pages.items():
        (tmp_path / f'{label}.html').write_text(response.text)
    errors = check_html(tmp_path)
    assert not errors, '\n'.join(map(str, errors))
