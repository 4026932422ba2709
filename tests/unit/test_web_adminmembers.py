"""The admin membership pages (Mailman.Cgi.adminmembers): the roster with
letters, chunks, search and per-member options; mass subscription and
invitation; mass removal; address change; sync.  Called directly, as
admin.py calls them, and through the admin page when it is there."""

import html
import importlib.util
import io
import re
import urllib.parse

import pytest

from webhelp import (SCRIPT, Client, Response, drain_virgin,  # noqa: F401
                     lists, reload)


# ---------------------------------------------------------------- helpers
class FakeStdout(io.BytesIO):
    pass


def make_request(form=None, method='POST', query=''):
    """A Page.Request as the admin page hands it over."""
    from Mailman.Cgi import Page
    body = urllib.parse.urlencode(form or {}, doseq=True).encode('utf-8')
    environ = {'REQUEST_METHOD': method, 'PATH_INFO': '/x/members',
               'QUERY_STRING': query, 'REMOTE_ADDR': '192.0.2.1',
               'CONTENT_TYPE': 'application/x-www-form-urlencoded',
               'CONTENT_LENGTH': str(len(body)),
               'wsgi.input': io.BytesIO(body)}
    return Page.parse_request(environ, FakeStdout())


def session_for(mlist):
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    return Auth.Session(mm_cfg.AuthListAdmin, mlist.internal_name())


def page(mlist, subcat='list', query='', form=None):
    """render() of SUBCAT as a parsed Response."""
    from Mailman.Cgi import adminmembers
    request = make_request(form, method='GET', query=query)
    markup = adminmembers.render(mlist, request, session_for(mlist), subcat)
    return Response(b'Status: 200\r\n\r\n' + markup.encode('utf-8')), markup


def post(mlist, subcat, form):
    """process() SUBCAT with FORM under the list lock, as admin.py does;
    returns the messages and the list reloaded."""
    from Mailman.Cgi import adminmembers
    from Mailman.MailList import MailList
    locked = MailList(mlist.internal_name(), lock=1)
    try:
        messages = adminmembers.process(locked, make_request(form),
                                        session_for(locked), subcat)
        locked.Save()
    finally:
        locked.Unlock()
    return messages, reload(mlist)


def add_members(mlist, addresses, **options):
    """Subscribe ADDRESSES quietly through the membership API, in one
    lock.  OPTIONS: name -> (flag, value) applied to each."""
    from Mailman.MailList import MailList
    locked = MailList(mlist.internal_name(), lock=1)
    try:
        for address in addresses:
            locked.addNewMember(address)
            for flag, value in options.values():
                locked.setMemberOption(address, flag, value)
        locked.Save()
    finally:
        locked.Unlock()
    return reload(mlist)


def q(address):
    return urllib.parse.quote(address)


def texts(messages):
    return ' '.join(html.unescape(re.sub(r'<[^>]+>', '', m))
                    for m in messages)


# ---------------------------------------------------------------- roster
def test_roster_shows_each_member_with_2_1_fields(lists):
    from Mailman import MemberAdaptor
    from Mailman import mm_cfg
    from Mailman.MailList import MailList
    m = add_members(lists(), ['ann@example.com', 'bob@example.com'])
    locked = MailList(m.internal_name(), lock=1)
    try:
        locked.setMemberOption('ann@example.com', mm_cfg.Moderate, 1)
        locked.setDeliveryStatus('bob@example.com', MemberAdaptor.BYBOUNCE)
        locked.setMemberName('ann@example.com', 'Ann Example')
        locked.Save()
    finally:
        locked.Unlock()
    response, markup = page(reload(m))
    form = [attrs for tag, attrs in response.parser.tags if tag == 'form'
            and attrs.get('method') == 'post'][0]
    assert form['action'] == m.GetScriptURL('admin', 1) + '/members/list'
    assert response.hidden('csrf_token')
    fields = response.inputs()
    assert fields[q('ann@example.com') + '_mod'] == 'on'
    assert q('bob@example.com') + '_mod' not in fields
    assert fields[q('bob@example.com') + '_nomail'] == 'on'
    assert '[B]' in response.plain
    assert fields[q('ann@example.com') + '_realname'] == 'Ann Example'
    users = [attrs['value'] for tag, attrs in response.parser.tags
             if attrs.get('name') == 'user']
    assert users == [q('ann@example.com'), q('bob@example.com')]
    for name in ('setmemberopts_btn', 'allmodbit_btn'):
        assert any(attrs.get('name') == name
                   for _, attrs in response.parser.tags)
    assert f'name="{q("ann@example.com")}_language"' in markup


def test_member_options_are_set_from_the_boxes(lists):
    from Mailman import MemberAdaptor
    from Mailman import mm_cfg
    m = add_members(lists(), ['ann@example.com', 'bob@example.com'])
    ann, bob = q('ann@example.com'), q('bob@example.com')
    messages, m = post(m, 'list', {
        'user': [ann, bob], 'setmemberopts_btn': 'Submit Your Changes',
        ann + '_mod': 'on', ann + '_hide': 'on', ann + '_nomail': 'on',
        ann + '_ack': 'on', ann + '_notmetoo': 'on', ann + '_nodupes': 'on',
        ann + '_digest': 'on', ann + '_plain': 'on',
        ann + '_realname': 'Ann New', ann + '_language': 'en',
        bob + '_unsub': 'on'})
    assert not m.isMember('bob@example.com')
    assert 'Unsubscribed' in texts(messages)
    for flag in (mm_cfg.Moderate, mm_cfg.ConcealSubscription,
                 mm_cfg.AcknowledgePosts, mm_cfg.DontReceiveOwnPosts,
                 mm_cfg.DontReceiveDuplicates, mm_cfg.Digests,
                 mm_cfg.DisableMime):
        assert m.getMemberOption('ann@example.com', flag), flag
    assert m.getDeliveryStatus('ann@example.com') == MemberAdaptor.BYADMIN
    assert m.getMemberName('ann@example.com') == 'Ann New'
    # Unchecking everything turns it all off again.
    messages, m = post(m, 'list', {'user': [ann],
                                   'setmemberopts_btn': 'Submit'})
    for flag in (mm_cfg.Moderate, mm_cfg.ConcealSubscription,
                 mm_cfg.Digests, mm_cfg.DisableMime):
        assert not m.getMemberOption('ann@example.com', flag), flag
    assert m.getDeliveryStatus('ann@example.com') == MemberAdaptor.ENABLED
    # The name field left out keeps the name.
    assert m.getMemberName('ann@example.com') == 'Ann New'


def test_nomail_box_keeps_another_reason(lists):
    from Mailman import MemberAdaptor
    from Mailman.MailList import MailList
    m = add_members(lists(), ['ann@example.com'])
    locked = MailList(m.internal_name(), lock=1)
    try:
        locked.setDeliveryStatus('ann@example.com', MemberAdaptor.BYUSER)
        locked.Save()
    finally:
        locked.Unlock()
    m = reload(m)
    ann = q('ann@example.com')
    _, m = post(m, 'list', {'user': [ann], 'setmemberopts_btn': 'x',
                            ann + '_nomail': 'on'})
    assert m.getDeliveryStatus('ann@example.com') == MemberAdaptor.BYUSER


def test_digest_box_on_a_digest_only_list(lists):
    from Mailman import mm_cfg
    m = add_members(lists(nondigestable=0), ['ann@example.com'])
    _, m = post(m, 'list', {'user': [q('ann@example.com')],
                            q('ann@example.com') + '_digest': 'on',
                            'setmemberopts_btn': 'x'})
    assert m.getMemberOption('ann@example.com', mm_cfg.Digests)
    response, markup = page(m)
    assert 'disabled' in markup
    # The disabled box is not sent; the member stays a digest member.
    messages, m = post(m, 'list', {'user': [q('ann@example.com')],
                                   'setmemberopts_btn': 'x'})
    assert m.getMemberOption('ann@example.com', mm_cfg.Digests)


def test_unchecked_boxes_touch_only_members_of_the_page(lists):
    from Mailman import mm_cfg
    addresses = [f'user{i}@example.com' for i in range(5)]
    m = add_members(lists(admin_member_chunksize=2), addresses,
                    mod=(mm_cfg.Moderate, 1))
    response, _ = page(m)
    users = [attrs['value'] for tag, attrs in response.parser.tags
             if attrs.get('name') == 'user']
    assert len(users) == 2
    # Post the first page back with every box unchecked.
    form = {'user': users, 'setmemberopts_btn': 'Submit',
            'letter': response.hidden('letter')}
    _, m = post(m, 'list', form)
    shown = {urllib.parse.unquote(u) for u in users}
    for address in addresses:
        moderated = m.getMemberOption(address, mm_cfg.Moderate)
        assert moderated == (address not in shown), address


def test_allmodbit_sets_every_member(lists):
    from Mailman import mm_cfg
    addresses = [f'user{i}@example.com' for i in range(5)]
    m = add_members(lists(admin_member_chunksize=2), addresses)
    messages, m = post(m, 'list', {'allmodbit_val': '1',
                                   'allmodbit_btn': 'Set'})
    assert all(m.getMemberOption(a, mm_cfg.Moderate) for a in addresses)
    messages, m = post(m, 'list', {'allmodbit_val': '0',
                                   'allmodbit_btn': 'Set'})
    assert not any(m.getMemberOption(a, mm_cfg.Moderate) for a in addresses)
    messages, m = post(m, 'list', {'allmodbit_btn': 'Set'})
    assert 'nothing was changed' in texts(messages)


def test_letters_and_chunks(lists):
    addresses = ([f'a{i:02d}@example.com' for i in range(7)] +
                 [f'b{i:02d}@example.com' for i in range(2)])
    m = add_members(lists(admin_member_chunksize=3), addresses)
    response, markup = page(m)
    assert '9 members total' in response.plain
    users = [urllib.parse.unquote(a['value']) for t, a in response.parser.tags
             if a.get('name') == 'user']
    assert users == addresses[:3]
    assert '?letter=b' in markup
    response, _ = page(m, query='letter=a&chunk=2')
    users = [urllib.parse.unquote(a['value']) for t, a in response.parser.tags
             if a.get('name') == 'user']
    assert users == ['a06@example.com']
    assert response.hidden('chunk') == '2'
    response, _ = page(m, query='letter=b')
    users = [urllib.parse.unquote(a['value']) for t, a in response.parser.tags
             if a.get('name') == 'user']
    assert users == addresses[7:]
    # Nonsense positions fall back to the first page.
    response, _ = page(m, query='letter=%3C&chunk=x')
    assert 'a00@example.com' in response.plain


def test_regex_search_and_bad_regex(lists):
    from Mailman.MailList import MailList
    m = add_members(lists(), ['ann@example.com', 'bob@example.org'])
    locked = MailList(m.internal_name(), lock=1)
    try:
        locked.setMemberName('bob@example.org', 'Robert Smith')
        locked.Save()
    finally:
        locked.Unlock()
    m = reload(m)
    response, _ = page(m, query='findmember=%5C.org%24')
    assert 'bob@example.org' in response.plain
    assert 'ann@example.com' not in response.plain
    response, _ = page(m, query='findmember=robert')
    assert 'bob@example.org' in response.plain
    assert 'ann@example.com' not in response.plain
    response, markup = page(m, query='findmember=' +
                          urllib.parse.quote('([<b>'))
    assert 'Bad regular expression' in response.plain
    assert '<b>' not in markup
    assert 'ann@example.com' in response.plain


def test_bounce_score_and_date_shown(lists):
    from Mailman.Bouncer import _BounceInfo
    from Mailman.MailList import MailList
    m = add_members(lists(), ['ann@example.com', 'bob@example.com'])
    locked = MailList(m.internal_name(), lock=1)
    try:
        locked.setBounceInfo('ann@example.com',
                             _BounceInfo('ann@example.com', 2.5,
                                         (2026, 3, 4), 3))
        locked.Save()
    finally:
        locked.Unlock()
    response, _ = page(reload(m))
    assert '2.5' in response.plain and '2026-03-04' in response.plain


def test_hostile_names_and_addresses_are_inert(lists):
    from Mailman.MailList import MailList
    hostile = 'x"><script>alert(1)</script>@example.com'
    m = add_members(lists(), ['ann@example.com'])
    locked = MailList(m.internal_name(), lock=1)
    try:
        locked.setMemberName('ann@example.com', SCRIPT)
        locked.addNewMember(hostile)
        locked.Save()
    finally:
        locked.Unlock()
    m = reload(m)
    response, markup = page(m)
    assert '<script>' not in markup
    assert SCRIPT in response.inputs().values()
    response, markup = page(m, query='findmember=' +
                            urllib.parse.quote(SCRIPT))
    assert '<script>' not in markup
    messages, _ = post(m, 'add', {'subscribees': SCRIPT})
    assert '<script>' not in ''.join(messages)


# ---------------------------------------------------------------- add
def test_mass_subscribe_reports_each_line(lists):
    m = lists(ban_list=['banned@example.com'])
    m = add_members(m, ['old@example.com'])
    drain_virgin()
    messages, m = post(m, 'add', {
        'subscribe_or_invite': '0', 'send_welcome_msg_to_this_batch': '0',
        'send_notifications_to_list_owner': '0',
        'subscribees': 'new@example.com\nNew Two <two@example.com>\n'
                       'old@example.com\nnot-an-address\n'
                       'banned@example.com\n\n# comment\nnew@example.com'})
    report = texts(messages)
    assert len(messages) == 6
    assert 'Subscribed: new@example.com' in report
    assert 'Subscribed: New Two <two@example.com>' in report
    assert 'Already a member: old@example.com' in report
    assert 'Bad/Invalid email address: not-an-address' in report
    assert 'Banned address: banned@example.com' in report
    assert m.isMember('new@example.com') and m.isMember('two@example.com')
    assert m.getMemberName('two@example.com') == 'New Two'
    assert not m.isMember('banned@example.com')
    assert drain_virgin() == []         # no welcome, no owner notice


def test_mass_subscribe_welcome_and_notice(lists):
    m = lists()
    drain_virgin()
    post(m, 'add', {'subscribees_upload': 'one@example.com',
                    'send_welcome_msg_to_this_batch': '1',
                    'send_notifications_to_list_owner': '1',
                    'invitation': 'Hello from the owner.'})
    queued = drain_virgin()
    recipients = sorted(tuple(data['recips']) for _, data in queued)
    assert recipients == [('one@example.com',), ('owner@example.com',)]
    welcome = [msg for msg, data in queued
               if data['recips'] == ['one@example.com']][0]
    assert 'Hello from the owner.' in welcome.get_payload(decode=True) \
        .decode('utf-8')
    assert len(queued) == 2


def test_mass_invite_pends_and_mails(lists):
    m = lists()
    drain_virgin()
    messages, m = post(m, 'add', {'subscribees': 'guest@example.com',
                                  'subscribe_or_invite': '1',
                                  'invitation': 'Please come.'})
    assert 'Invited: guest@example.com' in texts(messages)
    assert not m.isMember('guest@example.com')
    queued = drain_virgin()
    assert len(queued) == 1
    msg, data = queued[0]
    assert data['recips'] == ['guest@example.com']
    body = msg.get_payload(decode=True).decode('utf-8')
    assert body.startswith('Please come.')
    assert 'confirm' in body


def test_add_with_nothing_posted(lists):
    messages, _ = post(lists(), 'add', {'subscribees': '  \n'})
    assert 'at least one address' in texts(messages)


# ---------------------------------------------------------------- remove
def test_mass_removal(lists):
    m = add_members(lists(), ['ann@example.com', 'bob@example.com'])
    drain_virgin()
    messages, m = post(m, 'remove', {
        'unsubscribees': 'ann@example.com\nnobody@example.com',
        'unsubscribees_upload': 'Bob <BOB@example.com>',
        'send_unsub_ack_to_this_batch': '1',
        'send_unsub_notifications_to_list_owner': '0'})
    report = texts(messages)
    assert 'Unsubscribed: ann@example.com' in report
    assert 'Unsubscribed: bob@example.com' in report
    assert 'Cannot unsubscribe non-member: nobody@example.com' in report
    assert m.getMembers() == []
    recipients = sorted(data['recips'][0] for _, data in drain_virgin())
    assert recipients == ['ann@example.com', 'bob@example.com']


# ---------------------------------------------------------------- change
def test_address_change(lists):
    from Mailman import mm_cfg
    m = lists(ban_list=['^.*@banned\\.example$'])
    m = add_members(m, ['ann@example.com', 'bob@example.com'],
                    mod=(mm_cfg.Moderate, 1))
    drain_virgin()
    messages, m = post(m, 'change', {'change_from': 'ann@example.com',
                                     'change_to': 'ann@new.example',
                                     'notice': 'yes'})
    assert 'changed to' in texts(messages)
    assert not m.isMember('ann@example.com')
    assert m.getMemberOption('ann@new.example', mm_cfg.Moderate)
    recipients = sorted(data['recips'][0] for _, data in drain_virgin())
    assert recipients == ['ann@example.com', 'ann@new.example']

    for form, expected in (
            ({'change_from': 'bob@example.com',
              'change_to': 'ann@new.example'},
             'Already a member'),
            ({'change_from': 'zed@example.com', 'change_to': 'z@example.com'},
             'Not a member'),
            ({'change_from': 'bob@example.com', 'change_to': 'bad'},
             'Bad/Invalid'),
            ({'change_from': 'bob@example.com',
              'change_to': 'b@banned.example'},
             'Banned'),
            ({'change_from': 'bob@example.com', 'change_to': ''},
             'both'),
    ):
        messages, m = post(m, 'change', dict(form, notice='no'))
        assert expected in texts(messages), form
        assert m.isMember('bob@example.com')
    assert drain_virgin() == []


# ---------------------------------------------------------------- sync
def test_sync_adds_missing_and_removes_extra(lists):
    m = add_members(lists(), ['keep@example.com', 'drop@example.com'])
    drain_virgin()
    messages, m = post(m, 'sync', {
        'memberlist': 'KEEP@example.com\nNew One <new@example.com>\n'})
    report = texts(messages)
    assert 'Subscribed: New One <new@example.com>' in report
    assert 'Unsubscribed: drop@example.com' in report
    assert sorted(m.getMembers()) == ['keep@example.com', 'new@example.com']
    assert drain_virgin() == []


def test_sync_with_an_invalid_address_changes_nothing(lists):
    m = add_members(lists(), ['keep@example.com'])
    messages, m = post(m, 'sync', {'memberlist': 'new@example.com\nbad\n'})
    assert 'nothing was changed' in texts(messages)
    assert m.getMembers() == ['keep@example.com']
    messages, m = post(m, 'sync', {'memberlist': '\n# nobody\n'})
    assert 'empty' in texts(messages)
    assert m.getMembers() == ['keep@example.com']


def test_every_subcategory_renders_a_form_with_a_token(lists):
    m = lists()
    for subcat, field in (('add', 'subscribees'), ('remove', 'unsubscribees'),
                          ('change', 'change_to'), ('sync', 'memberlist')):
        response, markup = page(m, subcat)
        assert response.hidden('csrf_token'), subcat
        assert f'name="{field}"' in markup
        assert f'action="{m.GetScriptURL("admin", 1)}/members/{subcat}"' \
            in markup


# ---------------------------------------------------------------- scale
@pytest.fixture(scope='module')
def big_list():
    """A list of 100,000 members, made through the membership API."""
    import shutil
    from webhelp import make_list
    from Mailman.MailList import MailList
    m = make_list(prefix='big')
    locked = MailList(m.internal_name(), lock=1)
    try:
        for i in range(100_000):
            locked.addNewMember(f'{chr(97 + i % 26)}{i:06d}@example.com')
        locked.Save()
    finally:
        locked.Unlock()
    yield reload(m)
    shutil.rmtree(m.fullpath(), ignore_errors=True)


def test_large_list_shows_one_chunk(big_list):
    from Mailman import mm_cfg
    response, markup = page(big_list, query='letter=c&chunk=5')
    users = [urllib.parse.unquote(a['value']) for t, a in response.parser.tags
             if a.get('name') == 'user']
    size = mm_cfg.DEFAULT_ADMIN_MEMBER_CHUNKSIZE
    letter_c = sorted(k for k in big_list.getMembers() if k[0] == 'c')
    assert users == letter_c[5 * size:6 * size]
    assert '100000 members total' in response.plain
    for letter in 'abz':
        assert f'?letter={letter}' in markup


# ---------------------------------------------------------------- admin.py
def _admin_works():
    if importlib.util.find_spec('Mailman.Cgi.admin') is None:
        return False
    from Mailman.Cgi import admin
    return hasattr(admin, 'main')


def test_through_the_admin_page(lists):
    if not _admin_works():
        pytest.skip('Mailman/Cgi/admin.py is not written yet')
    m = lists()
    name = m.internal_name()
    client = Client()
    response = client.post('admin', f'/{name}/members/add',
                            form={'adminpw': 'adminpw', 'admlogin': 'x'})
    response = client.get('admin', f'/{name}/members/add')
    token = response.hidden('csrf_token')
    assert token
    client.post('admin', f'/{name}/members/add', form={
        'csrf_token': token, 'subscribees': 'web@example.com',
        'send_welcome_msg_to_this_batch': '0',
        'send_notifications_to_list_owner': '0',
        'setmemberopts_btn': 'Submit Your Changes'})
    assert reload(m).isMember('web@example.com')
    # Without the token, or with another list's, nothing changes.
    other = lists()
    foreign = Client(remote=client.remote)
    foreign.post('admin', f'/{other.internal_name()}',
                 form={'adminpw': 'adminpw', 'admlogin': 'x'})
    foreign_token = foreign.get(
        'admin', f'/{other.internal_name()}/members/add').hidden('csrf_token')
    for form in ({}, {'csrf_token': foreign_token}):
        response = client.post('admin', f'/{name}/members/add', form=dict(
            form, subscribees='forged@example.com'))
        assert 'nothing was changed' in response.plain
    assert not reload(m).isMember('forged@example.com')
    # A member's options through the roster form.
    response = client.get('admin', f'/{name}/members')
    web = q('web@example.com')
    client.post('admin', f'/{name}/members/list', form={
        'csrf_token': response.hidden('csrf_token'), 'user': [web],
        web + '_mod': 'on', 'setmemberopts_btn': 'Submit Your Changes'})
    from Mailman import mm_cfg
    assert reload(m).getMemberOption('web@example.com', mm_cfg.Moderate)
    response = client.get('admin', f'/{name}/members')
    assert 'web@example.com' in response.plain


def test_pages_are_valid_html(lists, tmp_path):
    """The fragments, in the states worth checking (letters and chunks, a
    search error, a report, hostile names), placed in a page as admin.py
    places them, pass the Nu HTML checker.  (admin.py's own parts are
    checked by test_html_valid.)"""
    from test_html_valid import check_html
    from Mailman import MemberAdaptor
    from Mailman.Bouncer import _BounceInfo
    from Mailman.Cgi import Page
    from Mailman.MailList import MailList
    m = lists(admin_member_chunksize=2)
    m = add_members(m, ['ann@example.com', 'amy@example.com',
                        'al@example.com', 'bob@example.com'])
    locked = MailList(m.internal_name(), lock=1)
    try:
        locked.setMemberName('ann@example.com', SCRIPT)
        locked.setDeliveryStatus('amy@example.com', MemberAdaptor.BYBOUNCE)
        locked.setBounceInfo('amy@example.com', _BounceInfo(
            'amy@example.com', 3.0, (2026, 1, 2), 2))
        locked.Save()
    finally:
        locked.Unlock()
    m = reload(m)
    messages, m = post(m, 'add', {'subscribees': f'new@example.com\n{SCRIPT}',
                                  'send_welcome_msg_to_this_batch': '0'})
    pages = {
        'list': page(m)[1],
        'chunk': page(m, query='letter=a&chunk=1')[1],
        'search': page(m, query='findmember=%28%5B')[1],
    }
    for subcat in ('add', 'remove', 'change', 'sync'):
        pages[subcat] = page(m, subcat)[1]
    report = '<ul>' + ''.join(f'<li>{text}</li>' for text in messages) + \
        '</ul>'
    for label, fragment in pages.items():
        assert '<script>' not in fragment, label
        body = f'<h1>Admin</h1><main><h2>Members</h2>{report}{fragment}</main>'
        (tmp_path / f'{label}.html').write_text(
            Page.document('Members', body), encoding='utf-8')
    assert check_html(tmp_path) == []


def test_chunk_links_stay_few_on_huge_rosters():
    from Mailman.Cgi.adminmembers import _chunk_links_shown
    assert _chunk_links_shown(0, 3) == [0, 1, 2]
    shown = _chunk_links_shown(1500, 3334)
    numbers = [n for n in shown if n is not None]
    assert len(shown) < 40
    assert {0, 1000, 1490, 1500, 1510, 2000, 3333} <= set(numbers)
    assert numbers == sorted(numbers)


# ---------------------------------------------------------------- uploads
def test_add_and_remove_take_uploaded_files(lists):
    """The browser path: the pages' forms are multipart with a file input,
    and an uploaded file's addresses are taken with the typed ones."""
    from test_web_admin import admin_client, form_of, form_tag, post_multipart
    m = lists()
    client = admin_client(m)
    name = m.internal_name()
    for subcat, upload in (('add', 'subscribees_upload'),
                           ('remove', 'unsubscribees_upload')):
        r = client.get('admin', f'/{name}/members/{subcat}')
        assert form_tag(r, f'/members/{subcat}')['enctype'] == \
            'multipart/form-data'
        assert upload in form_of(r).names
    drain_virgin()
    r = client.get('admin', f'/{name}/members/add')
    fields = [(k, 'typed@example.com' if k == 'subscribees' else v)
              for k, v in form_of(r).pairs if k != 'subscribees_upload']
    fields = [(k, '0' if k.startswith('send_') else v) for k, v in fields]
    r = post_multipart(client, 'admin', f'/{name}/members/add', fields, [
        ('subscribees_upload', 'people.txt',
         'Ann \u00c9e <ann@example.com>\r\n# a comment\r\n'
         f'bob@example.com\r\n{SCRIPT}\r\n'.encode('utf-8'))])
    assert r.status == 200
    assert 'Subscribed: typed@example.com' in r.plain, r.plain
    assert 'Subscribed: bob@example.com' in r.plain
    assert SCRIPT not in r.text
    m = reload(m)
    assert sorted(m.getMembers()) == ['ann@example.com', 'bob@example.com',
                                      'typed@example.com']
    assert m.getMemberName('ann@example.com') == 'Ann \u00c9e'
    assert drain_virgin() == []
    r = client.get('admin', f'/{name}/members/remove')
    fields = [(k, '0' if k.startswith('send_') else v)
              for k, v in form_of(r).pairs if k != 'unsubscribees_upload']
    r = post_multipart(client, 'admin', f'/{name}/members/remove', fields, [
        ('unsubscribees_upload', 'gone.txt',
         b'ann@example.com\nBOB@example.com\n')])
    assert 'Unsubscribed: ann@example.com' in r.plain, r.plain
    assert reload(m).getMembers() == ['typed@example.com']
    # Without a genuine token an upload changes nothing.
    fields = [(k, 'stale' if k == 'csrf_token' else v) for k, v in fields]
    r = post_multipart(client, 'admin', f'/{name}/members/remove', fields, [
        ('unsubscribees_upload', 'gone.txt', b'typed@example.com\n')])
    assert 'The form has expired' in r.plain
    assert reload(m).getMembers() == ['typed@example.com']
