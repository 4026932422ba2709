"""The list creation page (Mailman.Cgi.create): 2.1's form, the creator
and site passwords, checks of every field, the owner's notice and the
MTA's instructions."""

import uuid

import pytest

from webhelp import (SCRIPT, call, drain_virgin, lists,  # noqa: F401
                     site_passwords, unique_remote)

CREATOR_PW = 'creator-pw-1'
SITE_PW = 'site-pw-create'


@pytest.fixture
def site():
    """Creator and site passwords set; lists made by a test removed."""
    from Mailman import ListLifecycle
    names = []
    drain_virgin()

    def new_name():
        name = 'made-' + uuid.uuid4().hex[:10]
        names.append(name)
        return name
    with site_passwords(CREATOR_PW, SITE_PW):
        yield new_name
    for name in names:
        ListLifecycle.remove_list(name, remove_archives=True,
                                  out=lambda text: None)
    drain_virgin()


def form(name, **changes):
    values = {'listname': name, 'owner': 'boss@example.org', 'autogen': '0',
              'password': 'listpw-1', 'confirm': 'listpw-1', 'notify': '1',
              'langs': 'en', 'moderate': '0', 'auth': CREATOR_PW,
              'doit': 'Create List'}
    values.update(changes)
    return values


def create(values, remote=None, **kws):
    return call('create', '', 'POST', values, remote=remote or
                unique_remote(), **kws)


def test_form_has_2_1_fields():
    r = call('create')
    assert r.status == 200
    names = {attrs.get('name') for tag, attrs in r.parser.tags
             if tag in ('input', 'select')}
    assert {'listname', 'owner', 'autogen', 'password', 'confirm', 'notify',
            'langs', 'moderate', 'auth', 'doit'} <= names
    assert r.text.count('<h1') == 1


def test_creator_password_creates_list_and_notifies_owner(site, capsys):
    from Mailman import Passwords, Utils
    from Mailman.MailList import MailList
    name = site()
    r = create(form(name, moderate='1'))
    assert r.status == 200, r.plain
    assert Utils.list_exists(name)
    m = MailList(name, lock=0)
    assert m.owner == ['boss@example.org']
    assert m.default_member_moderation == 1
    assert m.available_languages == ['en']
    assert Passwords.verify('listpw-1', m.password)[0]
    assert f'/listinfo/{name}' in r.text and f'/admin/{name}' in r.text
    notices = drain_virgin()
    assert len(notices) == 1
    msg, data = notices[0]
    assert data['recips'] == ['boss@example.org']
    assert name in str(msg['subject'])
    assert 'listpw-1' in msg.get_payload(decode=True).decode()
    # The Manual MTA's instructions are on the page, not on the CGI's
    # standard output (which would break the answer).
    assert f'{name}-request' in r.plain
    assert capsys.readouterr().out == ''


def test_site_password_autogen_and_no_notice(site):
    from Mailman import Passwords, Utils
    from Mailman.MailList import MailList
    name = site()
    r = create(form(name, auth=SITE_PW, autogen='1', password='',
                    confirm='', notify='0'))
    assert r.status == 200 and Utils.list_exists(name)
    assert drain_virgin() == []
    # Without a notice the made-up password is shown to its creator.
    password = r.parser.data[[i for i, text in enumerate(r.parser.data)
                              if 'initial list password is' in text][0] + 1]
    assert Passwords.verify(password, MailList(name, lock=0).password)[0]


@pytest.mark.parametrize('auth', ['', 'wrong', 'listpw-1'])
def test_wrong_password_creates_nothing(site, auth):
    from Mailman import Utils
    name = site()
    r = create(form(name, auth=auth))
    assert r.status == 401
    assert not Utils.list_exists(name)
    assert 'not authorized' in r.plain
    assert drain_virgin() == []


def test_attempts_are_rate_limited(site):
    from Mailman import Utils
    from Mailman.Cgi import create as page
    remote = unique_remote()
    for _ in range(page.ATTEMPT_LIMIT):
        assert create(form(site(), auth='wrong'), remote).status == 401
    name = site()
    r = create(form(name), remote)
    assert r.status == 429 and not Utils.list_exists(name)


def test_existing_list_is_left_alone(site, lists):
    from Mailman.MailList import MailList
    existing = lists(description='keep me')
    r = create(form(existing.internal_name(), owner='thief@example.org'))
    assert 'already exists' in r.plain
    m = MailList(existing.internal_name(), lock=0)
    assert m.owner == ['owner@example.com']
    assert m.description == 'keep me'


@pytest.mark.parametrize('changes, field', [
    ({'listname': ''}, 'listname'),
    ({'listname': 'a@b'}, 'listname'),
    ({'listname': 'bad name'}, 'listname'),
    ({'owner': ''}, 'owner'),
    ({'owner': 'not-an-address'}, 'owner'),
    ({'password': ''}, 'password'),
    ({'confirm': 'other'}, 'confirm'),
])
def test_bad_fields_are_marked_and_nothing_made(site, changes, field):
    from Mailman import Utils
    name = site()
    values = form(name, **changes)
    r = create(values)
    assert r.status == 200
    assert f'id="{field}-error"' in r.text
    assert not Utils.list_exists(values['listname'] or name)
    assert drain_virgin() == []


def test_script_in_fields_is_inert(site):
    from Mailman import Utils
    r = create(form(SCRIPT, owner=SCRIPT + '@example.org'))
    assert '<script>' not in r.text
    # The value comes back in its field, as text.
    assert r.hidden('listname') == SCRIPT
    assert 'id="listname-error"' in r.text
    assert SCRIPT.lower() not in Utils.list_names()
    name = site()
    r = create(form(name, owner=f'"{SCRIPT}"@example.org'))
    assert '<script>' not in r.text and not Utils.list_exists(name)


def test_get_never_creates(site):
    from Mailman import Utils
    import urllib.parse
    name = site()
    r = call('create', query=urllib.parse.urlencode(form(name)))
    assert r.status == 200 and not Utils.list_exists(name)
    assert 'nothing was done' in r.plain


def test_unknown_virtual_host_is_refused(site):
    from Mailman import Utils
    name = site()
    r = create(form(name), host='elsewhere.example.net')
    assert 'Unknown virtual host' in r.plain
    assert not Utils.list_exists(name)


def test_list_gets_the_configured_host(site, monkeypatch):
    from Mailman import mm_cfg
    from Mailman.MailList import MailList
    name = site()
    # A port on the visitor's Host header still names the default host.
    assert create(form(name), host='www.example.com:8080').status == 200
    assert MailList(name, lock=0).web_page_url == \
        'http://www.example.com/mailman/'
    monkeypatch.setattr(mm_cfg, 'VIRTUAL_HOST_OVERVIEW', False)
    other = site()
    assert create(form(other), host='forged.example.net').status == 200
    made = MailList(other, lock=0)
    assert 'forged' not in made.web_page_url + made.host_name
