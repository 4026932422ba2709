"""The member options page (Mailman.Cgi.options), in process: logins by
password and by mailed link, every option, "set globally", address and
name changes, unsubscribing, password reset, and the safety rules (CSRF,
escaping, cookies bound to one member, rate limits)."""

import re
import time
import urllib.parse

import pytest

from webhelp import (SCRIPT, Client, call, drain_virgin,  # noqa: F401
                     lists, reload, unique_remote)

ANN = 'ann@example.org'
BOB = 'bob@example.org'


def add_member(mlist, address, name='', password='secret-pw', **options):
    from Mailman.UserDesc import UserDesc
    mlist.Lock()
    try:
        mlist.ApprovedAddMember(UserDesc(address, name, password or None),
                                ack=False, admin_notif=False)
        # Start from no options at all, whatever new_member_options says.
        for flag in (2, 4, 8, 16, 32, 64, 256):
            mlist.setMemberOption(address, flag, 0)
        for flag, value in options.items():
            mlist.setMemberOption(address, flag, value)
        mlist.Save()
    finally:
        mlist.Unlock()


def path(mlist, address=ANN):
    return f'/{mlist.internal_name()}/{address}'


def login(client, mlist, address=ANN, password='secret-pw'):
    r = client.post('options', path(mlist, address),
                    {'email': address, 'password': password,
                     'login': 'Log in'})
    assert r.status == 200, r.plain
    assert r.hidden('csrf_token')
    return r


def submit(client, mlist, fields, address=ANN, button='options-submit'):
    """Post the options form as a browser would, with a fresh token."""
    page = client.get('options', path(mlist, address))
    pairs = fields if isinstance(fields, list) else list(fields.items())
    form = [('csrf_token', page.hidden('csrf_token')), (button, 'x')]
    return client.post('options', path(mlist, address), form + pairs)


def mails_to(address):
    """Bodies of the queued notices to ADDRESS (the queue is drained)."""
    found = []
    for msg, data in drain_virgin():
        if address in data.get('recips', []) or address in str(msg['To']):
            found.append(msg.get_payload(decode=True).decode('utf-8'))
    return found


@pytest.fixture
def ml(lists):
    m = lists()
    add_member(m, ANN, 'Ann')
    drain_virgin()
    return m


# ---------------------------------------------------------------- logging in
def test_login_page_then_password_login_sets_member_cookie(ml):
    client = Client()
    r = client.get('options', path(ml))
    assert r.status == 200
    assert r.inputs().get('email') == ANN and 'password' in r.inputs()
    assert not r.hidden('csrf_token')
    r = login(client, ml)
    name = f'{ml.internal_name()}+user+ann%40example.org'
    paths = [c.split('Path=')[1].split(';')[0] for c in r.set_cookies
             if c.startswith(name + '=')]
    assert f'/mailman/options/{ml.internal_name()}' in paths
    assert all('HttpOnly' in c for c in r.set_cookies)
    assert ANN in r.plain and 'Mail delivery' in r.plain
    # The cookie opens the page on the next visit, and /options/<list>
    # alone finds the member too.
    assert client.get('options', path(ml)).hidden('csrf_token')
    assert ANN in client.get('options', '/' + ml.internal_name()).plain


def test_listinfo_form_leads_to_login_page(ml):
    r = call('options', '/' + ml.internal_name(), 'POST',
             {'email': ANN, 'UserOptions': 'x'})
    assert r.status == 200 and r.inputs().get('email') == ANN
    assert not r.hidden('csrf_token')


def test_wrong_password_fails_and_is_rate_limited(ml):
    from Mailman.Cgi import Auth
    client = Client()
    for _ in range(Auth.LOGIN_ATTEMPT_LIMIT):
        r = client.post('options', path(ml), {'email': ANN,
                                              'password': 'wrong',
                                              'login': 'Log in'})
        assert r.status == 401 and not r.set_cookies
        assert not r.hidden('csrf_token')
    r = client.post('options', path(ml), {'email': ANN,
                                          'password': 'secret-pw',
                                          'login': 'Log in'})
    assert r.status == 429 and not r.set_cookies
    # Another client still gets in.
    login(Client(), ml)


def test_non_member_and_wrong_password_look_the_same(ml):
    one = call('options', path(ml, 'nobody@example.org'), 'POST',
               {'email': 'nobody@example.org', 'password': 'x',
                'login': 'Log in'}, remote=unique_remote())
    two = call('options', path(ml), 'POST',
               {'email': ANN, 'password': 'x', 'login': 'Log in'},
               remote=unique_remote())
    assert one.status == two.status == 401
    assert one.plain.replace('nobody@example.org', ANN) == two.plain


def test_logout_forgets_the_cookie(ml):
    client = Client()
    login(client, ml)
    r = submit(client, ml, {}, button='logout')
    assert any('Max-Age=0' in c for c in r.set_cookies)
    assert 'logged out' in r.plain
    r = client.get('options', path(ml))
    assert not r.hidden('csrf_token') and 'password' in r.inputs()


def login_link_from_mail(address=ANN):
    bodies = mails_to(address)
    assert len(bodies) == 1
    url = re.search(r'(http\S+login-token=\S+)', bodies[0]).group(1)
    parts = urllib.parse.urlsplit(url)
    page_path = urllib.parse.unquote(parts.path.split('/options', 1)[1])
    return page_path, urllib.parse.parse_qs(parts.query)['login-token'][0]


def test_login_by_mailed_link_works_once(ml):
    client = Client()
    r = client.post('options', path(ml), {'email': ANN,
                                          'login-link': 'x'})
    assert 'If ann@example.org is subscribed' in r.plain
    link_path, token = login_link_from_mail()
    assert link_path == path(ml)
    # Opening the link logs nobody in yet (mail scanners fetch links).
    r = client.get('options', link_path, query='login-token=' + token)
    assert r.status == 200 and not r.set_cookies
    assert r.hidden('login-token') == token
    r = client.post('options', link_path, {'login-token': token,
                                           'link-login': 'Log in'})
    assert r.status == 200 and r.hidden('csrf_token')
    assert any(c.startswith(f'{ml.internal_name()}+user+') for c in
               r.set_cookies)
    assert client.get('options', path(ml)).hidden('csrf_token')
    # A second use is refused, in any browser.
    r = Client().post('options', link_path, {'login-token': token,
                                             'link-login': 'Log in'})
    assert r.status == 403 and not r.set_cookies


def test_login_link_is_bound_to_its_member_and_list(lists):
    from Mailman.Cgi import options_links
    one, two = lists(), lists()
    for m in (one, two):
        add_member(m, ANN)
        add_member(m, BOB)
    token = options_links.make_token(one, ANN)
    for m, address in ((one, BOB), (two, ANN)):
        r = call('options', path(m, address), 'POST',
                 {'login-token': token, 'link-login': 'x'})
        assert r.status == 403 and not r.set_cookies
    stale = options_links.make_token(one, ANN, now=time.time() - 3 * 3600)
    r = call('options', path(one), 'POST',
             {'login-token': stale, 'link-login': 'x'})
    assert r.status == 403 and not r.set_cookies


def test_login_link_for_member_without_password_sets_one(lists):
    m = lists()
    add_member(m, ANN, password=None)
    drain_virgin()
    client = Client()
    client.post('options', path(m), {'email': ANN, 'login-link': 'x'})
    link_path, token = login_link_from_mail()
    r = client.post('options', link_path, {'login-token': token,
                                           'link-login': 'x',
                                           'newpw': 'one', 'confpw': 'two'})
    assert r.status == 200 and not r.set_cookies and 'not the same' in r.plain
    r = client.post('options', link_path, {'login-token': token,
                                           'link-login': 'x',
                                           'newpw': 'chosen-pw',
                                           'confpw': 'chosen-pw'})
    assert r.hidden('csrf_token')
    assert reload(m).authenticateMember(ANN, 'chosen-pw')


@pytest.mark.parametrize('roster', [0, 1, 2])
def test_mail_requests_do_not_reveal_membership(lists, roster):
    m = lists(private_roster=roster)
    add_member(m, ANN)
    drain_virgin()
    for button in ('login-link', 'login-remind', 'login-unsub'):
        member_answer = call('options', '/' + m.internal_name(), 'POST',
                             {'email': ANN, button: 'x'},
                             remote=unique_remote())
        assert len(mails_to(ANN)) == 1
        stranger = 'zed@example.org'
        other_answer = call('options', '/' + m.internal_name(), 'POST',
                            {'email': stranger, button: 'x'},
                            remote=unique_remote())
        assert not drain_virgin()
        assert member_answer.status == other_answer.status == 200
        assert other_answer.plain.replace(stranger, ANN) == \
            member_answer.plain


def test_mail_requests_are_rate_limited_per_address(ml):
    from Mailman.Cgi import options
    sent = 0
    for _ in range(options.MAIL_LIMIT_ADDRESS + 2):
        r = call('options', '/' + ml.internal_name(), 'POST',
                 {'email': ANN, 'login-link': 'x'}, remote=unique_remote())
        sent += len(mails_to(ANN))
    assert sent == options.MAIL_LIMIT_ADDRESS
    assert r.status == 429


# ---------------------------------------------------------------- options
@pytest.fixture
def rich(lists):
    """A list with two languages and topics."""
    m = lists(available_languages=['en', 'de'], topics_enabled=1,
              topics=[('Cats', 'cat', 'all about cats', False),
                      ('Dogs', 'dog', '', False)])
    add_member(m, ANN)
    return m


OPTION_CASES = [
    ('digest', '1', lambda m: m.getMemberOption(ANN, 0)),
    ('mime', '1', lambda m: m.getMemberOption(ANN, 8)),
    ('dontreceive', '1', lambda m: m.getMemberOption(ANN, 2)),
    ('ackposts', '1', lambda m: m.getMemberOption(ANN, 4)),
    ('conceal', '1', lambda m: m.getMemberOption(ANN, 16)),
    ('remind', '1', lambda m: m.getMemberOption(ANN, 32)),
    ('nodupes', '1', lambda m: m.getMemberOption(ANN, 256)),
    ('rcvtopic', '1', lambda m: m.getMemberOption(ANN, 64)),
    ('disablemail', '1', lambda m: m.getDeliveryStatus(ANN) == 2),
    ('language', 'de', lambda m: m.getMemberLanguage(ANN) == 'de'),
]


@pytest.mark.parametrize('field,value,check', OPTION_CASES,
                         ids=[case[0] for case in OPTION_CASES])
def test_each_option_is_saved(rich, field, value, check):
    client = Client()
    login(client, rich)
    assert not check(reload(rich))
    r = submit(client, rich, {field: value})
    assert r.status == 200 and 'Your options have been saved' in r.plain
    assert check(reload(rich))
    # The page shows the new setting.
    assert r.inputs().get(field) == value or \
        f'value="{value}" selected' in r.text


def test_delivery_off_then_on_and_digest_back(rich):
    client = Client()
    login(client, rich)
    submit(client, rich, {'disablemail': '1', 'digest': '1'})
    r = submit(client, rich, {'disablemail': '0', 'digest': '0'})
    m = reload(rich)
    assert m.getDeliveryStatus(ANN) == 0
    assert not m.getMemberOption(ANN, 0)
    assert 'one more digest' in r.plain


def test_topics_are_saved(rich):
    client = Client()
    login(client, rich)
    submit(client, rich, [('usertopic', 'Cats'), ('usertopic', 'Dogs')])
    assert sorted(reload(rich).getMemberTopics(ANN)) == ['Cats', 'Dogs']
    r = submit(client, rich, {})
    assert reload(rich).getMemberTopics(ANN) == []
    assert 'all about cats' in r.plain


def test_bad_values_show_an_error_and_save_nothing(rich):
    rich.Lock()
    rich.digestable = 0
    rich.Save()
    rich.Unlock()
    client = Client()
    login(client, rich)
    r = submit(client, rich, {'nodupes': '1', 'digest': '1',
                              'usertopic': 'Birds'})
    assert r.status == 200
    assert 'does not send digests' in r.plain
    assert 'no topic named Birds' in r.plain
    assert 'Nothing was changed' in r.plain
    m = reload(rich)
    assert not m.getMemberOption(ANN, 256) and not m.getMemberOption(ANN, 0)
    r = submit(client, rich, {'nodupes': '7'})
    assert 'offered answers' in r.plain
    r = submit(client, rich, {'language': 'xx'})
    assert 'does not offer that language' in r.plain
    assert not reload(rich).getMemberOption(ANN, 256)


def test_global_change_reaches_the_members_lists_of_this_host(lists):
    one, two = lists(), lists()
    elsewhere = lists(host_name='lists.other.example')
    unrelated = lists()
    for m in (one, two, elsewhere):
        add_member(m, ANN)
    add_member(unrelated, BOB)
    client = Client()
    login(client, one)
    r = submit(client, one, {'nodupes': '1', 'nodupes-globally': '1',
                             'disablemail': '1', 'deliver-globally': '1',
                             'ackposts': '1'})
    assert two.real_name in r.plain
    for m in (one, two):
        m = reload(m)
        assert m.getMemberOption(ANN, 256)
        assert m.getDeliveryStatus(ANN) == 2
    # Only the options with a ticked box went global.
    assert not reload(two).getMemberOption(ANN, 4)
    assert reload(one).getMemberOption(ANN, 4)
    assert not reload(elsewhere).getMemberOption(ANN, 256)
    assert reload(elsewhere).getDeliveryStatus(ANN) == 0
    assert not reload(unrelated).isMember(ANN)


def test_other_subscriptions_and_global_password(lists):
    one, two = lists(), lists()
    for m in (one, two):
        add_member(m, ANN)
    client = Client()
    login(client, one)
    r = submit(client, one, {}, button='othersubs')
    assert two.real_name in r.plain and one.real_name in r.plain
    submit(client, one, {'newpw': 'new-pw', 'confpw': 'new-pw',
                         'pw-globally': '1'}, button='changepw')
    assert reload(two).authenticateMember(ANN, 'new-pw')


# ---------------------------------------------------------------- admin
def test_list_admin_may_change_a_member_but_not_globally(lists):
    one, two = lists(), lists()
    for m in (one, two):
        add_member(m, ANN)
    admin = Client()
    r = admin.post('options', path(one), {'email': ANN,
                                          'password': 'adminpw',
                                          'login': 'Log in'})
    assert r.status == 200 and 'list administrator' in r.plain
    assert 'nodupes-globally' not in r.text
    r = submit(admin, one, {'nodupes': '1', 'nodupes-globally': '1',
                            'disablemail': '1'})
    assert reload(one).getMemberOption(ANN, 256)
    assert reload(one).getDeliveryStatus(ANN) == 3      # by the admin
    assert not reload(two).getMemberOption(ANN, 256)
    # The admin's cookie opens any member's page later.
    assert admin.get('options', path(one)).hidden('csrf_token')
    assert any(p.startswith('/mailman/admin/') for _, p in admin.jar)
    r = admin.get('options', path(one, 'nobody@example.org'))
    assert 'not a member' in r.plain


# ---------------------------------------------------------------- address
def test_address_change_needs_confirmation_by_the_new_address(ml):
    client = Client()
    login(client, ml)
    r = submit(client, ml, {'new-address': 'ann@new.example',
                            'confirm-address': 'ann@other.example'},
               button='change-of-address')
    assert 'not the same' in r.plain
    assert not drain_virgin()
    r = submit(client, ml, {'new-address': 'ann@new.example',
                            'confirm-address': 'ann@new.example',
                            'fullname': 'Ann New'},
               button='change-of-address')
    assert 'confirmation has been mailed to ann@new.example' in r.plain
    m = reload(ml)
    assert m.isMember(ANN) and not m.isMember('ann@new.example')
    assert m.getMemberName(ANN) == 'Ann New'
    bodies = mails_to('ann@new.example')
    assert len(bodies) == 1
    cookie = re.search(r'/confirm/[^/\s]+/([0-9a-f]{40})', bodies[0]).group(1)
    page = call('confirm', f'/{ml.internal_name()}/{cookie}')
    r = call('confirm', f'/{ml.internal_name()}/{cookie}', 'POST',
             {'cookie': cookie, 'submit': 'x',
              'confirm_token': page.hidden('confirm_token')})
    assert r.status == 200
    m = reload(ml)
    assert m.isMember('ann@new.example') and not m.isMember(ANN)
    assert m.getMemberName('ann@new.example') == 'Ann New'


def test_bad_new_address_is_refused(ml):
    add_member(ml, BOB)
    client = Client()
    login(client, ml)
    for bad, text in (('not-an-address', 'not a valid'),
                      (BOB, 'already a member')):
        r = submit(client, ml, {'new-address': bad, 'confirm-address': bad},
                   button='change-of-address')
        assert text in r.plain
    assert not reload(ml).pend_cookies()


def test_script_in_real_name_is_inert(ml):
    client = Client()
    login(client, ml)
    r = submit(client, ml, {'fullname': 'Ann ' + SCRIPT},
               button='change-of-address')
    assert reload(ml).getMemberName(ANN) == 'Ann ' + SCRIPT
    assert 'Your name has been changed' in r.plain
    r = client.get('options', path(ml))
    assert SCRIPT not in r.text
    assert '&lt;script&gt;' in r.text
    assert r.inputs()['fullname'] == 'Ann ' + SCRIPT


def test_script_in_address_path_is_inert(ml):
    r = call('options', f'/{ml.internal_name()}/{SCRIPT}')
    assert SCRIPT not in r.text


# ---------------------------------------------------------------- leaving
def test_unsubscribe_needs_the_box_then_leaves(ml):
    client = Client()
    login(client, ml)
    r = submit(client, ml, {}, button='unsub')
    assert 'tick the box' in r.plain and reload(ml).isMember(ANN)
    r = submit(client, ml, {'unsubconfirm': '1'}, button='unsub')
    assert 'You have left' in r.plain
    assert not reload(ml).isMember(ANN)
    assert any('Max-Age=0' in c for c in r.set_cookies)


def test_unsubscribe_policy_holds_the_request(lists):
    m = lists(unsubscribe_policy=1)
    add_member(m, ANN)
    client = Client()
    login(client, m)
    r = submit(client, m, {'unsubconfirm': '1'}, button='unsub')
    assert 'moderators' in r.plain
    m = reload(m)
    assert m.isMember(ANN) and m.GetUnsubscriptionIds()


def test_unsubscribe_by_mailed_confirmation(ml):
    call('options', '/' + ml.internal_name(), 'POST',
         {'email': ANN, 'login-unsub': 'x'})
    cookie = re.search(r'([0-9a-f]{40})', mails_to(ANN)[0]).group(1)
    page = call('confirm', f'/{ml.internal_name()}/{cookie}')
    call('confirm', f'/{ml.internal_name()}/{cookie}', 'POST',
         {'cookie': cookie, 'submit': 'x',
          'confirm_token': page.hidden('confirm_token')})
    assert not reload(ml).isMember(ANN)


# ---------------------------------------------------------------- passwords
def test_password_reset_end_to_end(ml):
    client = Client()
    r = client.post('options', '/' + ml.internal_name(),
                    {'email': ANN, 'login-remind': 'x'})
    assert 'If ann@example.org is subscribed' in r.plain
    body = mails_to(ANN)[0]
    assert 'secret-pw' not in body
    url = re.search(r'(http\S+/confirm/\S+)', body).group(1)
    confirm_path = urllib.parse.urlsplit(url).path.split('/confirm', 1)[1]
    r = client.get('confirm', confirm_path)
    assert r.status == 303
    location = urllib.parse.urlsplit(r.headers['location'])
    assert location.path.endswith('/options/' + ml.internal_name())
    r = client.get('options', '/' + ml.internal_name(),
                   query=location.query)
    form = r.inputs()
    assert form['reset'] and form['confirm_token']
    # Mismatched passwords, then a forged token: nothing changes.
    r = client.post('options', '/' + ml.internal_name(),
                    dict(form, newpw='a1', confpw='b2', changepw='x'))
    assert 'not the same' in r.plain
    r = client.post('options', '/' + ml.internal_name(),
                    dict(form, confirm_token='0' * 64, newpw='fresh-pw',
                         confpw='fresh-pw', changepw='x'))
    assert r.status == 403
    assert reload(ml).authenticateMember(ANN, 'secret-pw')
    r = client.post('options', '/' + ml.internal_name(),
                    dict(form, newpw='fresh-pw', confpw='fresh-pw',
                         changepw='x'))
    assert r.status == 200 and 'new password is set' in r.plain
    assert r.hidden('csrf_token')          # logged in
    m = reload(ml)
    assert m.authenticateMember(ANN, 'fresh-pw')
    assert not m.authenticateMember(ANN, 'secret-pw')
    # The link is spent.
    r = client.get('options', '/' + ml.internal_name(),
                   query=location.query)
    assert r.status == 404
    login(Client(), ml, password='fresh-pw')


def test_reset_page_refuses_other_pending_kinds(ml):
    ml.Lock()
    cookie = ml.pend_new('U', ANN)
    ml.Save()
    ml.Unlock()
    r = call('options', '/' + ml.internal_name(), query='reset=' + cookie)
    assert r.status == 404
    assert reload(ml).isMember(ANN)


def test_change_password_and_email_reset_link(ml):
    client = Client()
    login(client, ml)
    r = submit(client, ml, {'newpw': 'x1', 'confpw': 'x2'},
               button='changepw')
    assert 'not the same' in r.plain
    r = submit(client, ml, {'newpw': 'better-pw', 'confpw': 'better-pw'},
               button='changepw')
    assert 'password has been changed' in r.plain
    m = reload(ml)
    assert m.authenticateMember(ANN, 'better-pw')
    # The refreshed cookie keeps the member logged in.
    assert client.get('options', path(ml)).hidden('csrf_token')
    drain_virgin()
    r = submit(client, ml, {}, button='emailpw')
    assert 'has been mailed' in r.plain
    assert 'better-pw' not in mails_to(ANN)[0]


# ---------------------------------------------------------------- bounces
def test_bounce_disabled_member_sees_it_and_re_enables(ml):
    from Mailman import MemberAdaptor
    ml.Lock()
    ml.setDeliveryStatus(ANN, MemberAdaptor.BYBOUNCE)
    ml.Save()
    ml.Unlock()
    client = Client()
    r = login(client, ml)
    assert 'bounced' in r.plain
    assert 'reenable' in r.inputs() or 'name="reenable"' in r.text
    r = submit(client, ml, {}, button='reenable')
    assert 'on again' in r.plain
    assert reload(ml).getDeliveryStatus(ANN) == MemberAdaptor.ENABLED
    assert 'bounced' not in r.plain


# ---------------------------------------------------------------- safety
@pytest.mark.parametrize('kind', ['missing', 'stale', 'other-list', 'get'])
def test_forged_forms_change_nothing(lists, kind):
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    one, two = lists(), lists()
    for m in (one, two):
        add_member(m, ANN)
    client = Client()
    login(client, one)
    fields = {'nodupes': '1', 'options-submit': 'x', 'newpw': 'evil',
              'confpw': 'evil'}
    if kind == 'stale':
        session = Auth.Session(mm_cfg.AuthUser, one.internal_name(), ANN)
        fields['csrf_token'] = Auth.csrf_token(
            one, session, now=time.time() - mm_cfg.FORM_LIFETIME - 10)
    elif kind == 'other-list':
        fields['csrf_token'] = login(client, two).hidden('csrf_token')
    for button in ('options-submit', 'changepw', 'unsub', 'emailpw',
                   'change-of-address'):
        form = dict(fields, unsubconfirm='1', **{button: 'x'})
        form['new-address'] = form['confirm-address'] = 'evil@example.org'
        drain_virgin()
        if kind == 'get':
            r = client.get('options', path(one),
                           query=urllib.parse.urlencode(form))
        else:
            r = client.post('options', path(one), form)
            assert r.status == 403
            assert 'nothing was changed' in r.plain
        assert not drain_virgin()
    m = reload(one)
    assert m.isMember(ANN) and not m.getMemberOption(ANN, 256)
    assert m.authenticateMember(ANN, 'secret-pw')
    assert not m.pend_cookies()


def test_member_cookie_opens_no_other_members_page(ml):
    add_member(ml, BOB, 'Bob')
    client = Client()
    token = login(client, ml).hidden('csrf_token')
    r = client.get('options', path(ml, BOB))
    assert not r.hidden('csrf_token') and 'Bob' not in r.plain
    r = client.post('options', path(ml, BOB),
                    {'csrf_token': token, 'nodupes': '1',
                     'options-submit': 'x'})
    assert not r.hidden('csrf_token')
    assert not reload(ml).getMemberOption(BOB, 256)


def test_member_cookie_opens_no_other_list(lists):
    one, two = lists(), lists()
    for m in (one, two):
        add_member(m, ANN)
    client = Client()
    login(client, one)
    # Send one's cookies to two's page under two's names.
    cookie = '; '.join(
        f'{name.replace(one.internal_name(), two.internal_name())}={value}'
        for (name, _), value in client.jar.items())
    r = call('options', path(two), cookie=cookie)
    assert not r.hidden('csrf_token')


def test_pages_are_well_formed(rich):
    import html.parser

    class Checker(html.parser.HTMLParser):
        VOID = {'input', 'meta', 'br', 'hr', 'link', 'img'}

        def __init__(self):
            super().__init__()
            self.stack, self.h1 = [], 0

        def handle_starttag(self, tag, attrs):
            self.h1 += tag == 'h1'
            if tag not in self.VOID:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            assert self.stack and self.stack.pop() == tag, tag

    client = Client()
    pages = [client.get('options', path(rich)), login(client, rich)]
    rich.Lock()
    cookie = rich.pend_new('R', ANN)
    rich.Save()
    rich.Unlock()
    pages.append(call('options', '/' + rich.internal_name(),
                      query='reset=' + cookie))
    for page in pages:
        checker = Checker()
        checker.feed(page.text)
        assert checker.h1 == 1 and not checker.stack
        assert '<mm-' not in page.text.lower()
        ids = re.findall(r'\bid="([^"]+)"', page.text)
        assert len(ids) == len(set(ids))
        for label_for in re.findall(r'<label for="([^"]+)"', page.text):
            assert label_for in ids


def test_site_admin_may_change_globally(lists):
    import os
    from Mailman import Utils, mm_cfg
    one, two = lists(), lists()
    for m in (one, two):
        add_member(m, ANN)
    Utils.set_global_password('site-pw')
    try:
        site = Client()
        r = site.post('options', path(one), {'email': ANN,
                                             'password': 'site-pw',
                                             'login': 'Log in'})
        assert 'site administrator' in r.plain
        submit(site, one, {'remind': '1', 'remind-globally': '1'})
    finally:
        os.unlink(mm_cfg.SITE_PW_FILE)
    assert reload(two).getMemberOption(ANN, 32)


def test_topic_choices_follow_2_1(lists):
    m = lists(topics_enabled=1,
              topics=[('Big News', 'news', '', False),
                      ('Gone', 'gone', '', True)])
    add_member(m, ANN)
    client = Client()
    r = login(client, m)
    assert 'Big News' in r.plain and 'Gone' not in r.plain
    # 2.1's form sent the names quote_plus'ed; both spellings work.
    submit(client, m, {'usertopic': 'Big+News'})
    assert reload(m).getMemberTopics(ANN) == ['Big News']
    r = submit(client, m, {'usertopic': 'Gone'})
    assert 'no topic named Gone' in r.plain
    assert reload(m).getMemberTopics(ANN) == ['Big News']


def test_presentable_user_obscured_and_case_preserved(lists):
    m = lists(obscure_addresses=1)
    add_member(m, 'Cap@Example.org', 'Cap')
    client = Client()
    r = login(client, m, 'Cap@Example.org')
    assert 'Cap at Example.org, Cap' in r.plain
    assert 'capitals as shown' in r.plain
