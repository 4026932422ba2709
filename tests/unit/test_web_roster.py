"""The roster page (Mailman.Cgi.roster) at each private_roster level:
who may see it, how they log in, what it shows and hides."""

import pytest

from webhelp import (SCRIPT, Client, call, lists,  # noqa: F401
                     locked, unique_remote)


def add_members(mlist, *members):
    """MEMBERS are (address, name, password, digest, concealed, nomail)."""
    from Mailman import MemberAdaptor, mm_cfg
    from Mailman.UserDesc import UserDesc
    mlist.Lock()
    try:
        for address, name, password, digest, concealed, nomail in members:
            mlist.ApprovedAddMember(UserDesc(address, name, password, digest),
                                    ack=False, admin_notif=False)
            if concealed:
                mlist.setMemberOption(address, mm_cfg.ConcealSubscription, 1)
            if nomail:
                mlist.setDeliveryStatus(address, MemberAdaptor.BYUSER)
        mlist.Save()
    finally:
        mlist.Unlock()


def roster_list(lists, level, **attrs):
    m = lists(private_roster=level, **attrs)
    add_members(m,
                ('ann@example.org', 'Ann', 'annpw', False, False, False),
                ('dig@example.org', 'Dig', 'digpw', True, False, False),
                ('hid@example.org', 'Hid', 'hidpw', False, True, False),
                ('off@example.org', 'Off', 'offpw', False, False, True))
    return m


def shown(response):
    text = response.plain
    return {name for name in ('ann', 'dig', 'hid', 'off')
            if f'{name} at example.org' in text or
            f'{name}@example.org' in text}


def test_public_roster_shows_members_but_not_concealed(lists):
    m = roster_list(lists, 0)
    r = call('roster', '/' + m.internal_name())
    assert r.status == 200
    assert shown(r) == {'ann', 'dig', 'off'}
    # Obscured as the list asks, delivery-off members in parentheses.
    assert 'ann at example.org' in r.plain
    assert 'ann@example.org' not in r.text
    assert '(off at example.org)' in r.plain
    # Digest members are in their own section.
    regular, _, digest = r.text.partition('digest members')
    assert 'dig at example.org' in digest and 'dig at' not in regular
    assert '/options/' + m.internal_name() + '/ann--at--example.org' in r.text


def test_unobscured_roster_and_real_names(lists, monkeypatch):
    from Mailman import mm_cfg
    m = roster_list(lists, 0, obscure_addresses=0)
    monkeypatch.setattr(mm_cfg, 'ROSTER_DISPLAY_REALNAME', True)
    r = call('roster', '/' + m.internal_name())
    assert 'Ann (ann@example.org)' in r.plain


def test_members_only_roster_needs_a_member_login(lists):
    m = roster_list(lists, 1)
    path = '/' + m.internal_name()
    r = call('roster', path)
    assert shown(r) == set()
    assert r.inputs().keys() >= {'roster-email', 'roster-pw'}
    wrong = call('roster', path, 'POST', {'roster-email': 'ann@example.org',
                                          'roster-pw': 'digpw'})
    assert wrong.status == 401 and shown(wrong) == set()
    stranger = call('roster', path, 'POST',
                    {'roster-email': 'nobody@example.org', 'roster-pw': 'x'})
    assert stranger.status == 401 and shown(stranger) == set()
    client = Client()
    r = client.post('roster', path, {'roster-email': 'ann@example.org',
                                     'roster-pw': 'annpw',
                                     'SubscriberRoster': 'Visit'})
    assert r.status == 200
    # A member does not see the concealed member, nor counts it.
    assert shown(r) == {'ann', 'dig', 'off'}
    assert '2 non-digest members' in r.plain
    assert '1 digest members' in r.plain
    # The login's cookie opens the roster next time.
    again = client.get('roster', path)
    assert shown(again) == {'ann', 'dig', 'off'}
    # An administrator may log in with the password alone, and sees all.
    admin = call('roster', path, 'POST', {'roster-pw': 'adminpw'})
    assert shown(admin) == {'ann', 'dig', 'hid', 'off'}
    assert '3 non-digest members' in admin.plain


def test_member_cookie_from_options_login_opens_roster(lists):
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    m = roster_list(lists, 1)
    environ = {'SCRIPT_NAME': '/mailman/options', 'REMOTE_ADDR':
               unique_remote()}
    session = Auth.login(environ, m, [mm_cfg.AuthUser], 'digpw',
                         'dig@example.org')
    cookie = [line.split(':', 1)[1].strip().split(';')[0]
              for line in session.headers if '/roster/' in line][0]
    r = call('roster', '/' + m.internal_name(), cookie=cookie)
    assert shown(r) == {'ann', 'dig', 'off'}
    # The same cookie does not open another list's roster.
    other = roster_list(lists, 1)
    moved = cookie.replace(m.internal_name(), other.internal_name(), 1)
    assert shown(call('roster', '/' + other.internal_name(),
                      cookie=moved)) == set()


def test_admin_only_roster_refuses_members(lists):
    m = roster_list(lists, 2)
    path = '/' + m.internal_name()
    assert shown(call('roster', path)) == set()
    member = call('roster', path, 'POST', {'roster-email': 'ann@example.org',
                                           'roster-pw': 'annpw'})
    assert member.status == 401 and shown(member) == set()
    client = Client()
    admin = client.post('roster', path, {'roster-pw': 'adminpw'})
    assert admin.status == 200
    assert shown(admin) == {'ann', 'dig', 'hid', 'off'}
    assert shown(client.get('roster', path)) == {'ann', 'dig', 'hid', 'off'}


def test_moderator_and_site_passwords_open_admin_roster(lists):
    from Mailman import Passwords, Utils
    m = roster_list(lists, 2)
    locked(m, lambda m: setattr(m, 'mod_password',
                                Passwords.hash_password('modpw')))
    path = '/' + m.internal_name()
    assert shown(call('roster', path, 'POST', {'roster-pw': 'modpw'})) == \
        {'ann', 'dig', 'hid', 'off'}
    Utils.set_global_password('sitepw-roster')
    assert shown(call('roster', path, 'POST',
                      {'roster-pw': 'sitepw-roster'})) == \
        {'ann', 'dig', 'hid', 'off'}


def test_admin_cookie_shows_concealed_on_public_roster(lists):
    m = roster_list(lists, 0)
    # A public roster takes no login; the admin logged in elsewhere.
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    session = Auth.login({'SCRIPT_NAME': '/mailman/admin',
                          'REMOTE_ADDR': unique_remote()}, m,
                         [mm_cfg.AuthListAdmin], 'adminpw')
    cookie = [line.split(':', 1)[1].strip().split(';')[0]
              for line in session.headers if '/roster/' in line][0]
    assert shown(call('roster', '/' + m.internal_name(), cookie=cookie)) == \
        {'ann', 'dig', 'hid', 'off'}


def test_roster_login_is_rate_limited(lists):
    from Mailman.Cgi import Auth
    m = roster_list(lists, 2)
    remote = unique_remote()
    for _ in range(Auth.LOGIN_ATTEMPT_LIMIT):
        r = call('roster', '/' + m.internal_name(), 'POST',
                 {'roster-pw': 'wrong'}, remote=remote)
        assert r.status == 401
    r = call('roster', '/' + m.internal_name(), 'POST',
             {'roster-pw': 'adminpw'}, remote=remote)
    assert r.status == 429 and shown(r) == set()


def test_script_in_names_and_addresses_is_inert(lists, monkeypatch):
    from Mailman import mm_cfg
    monkeypatch.setattr(mm_cfg, 'ROSTER_DISPLAY_REALNAME', True)
    m = lists(private_roster=0, real_name='X' + SCRIPT, obscure_addresses=0)
    add_members(m, ("o'brien&co@example.org", SCRIPT, 'pw', False, False,
                    False))
    r = call('roster', '/' + m.internal_name())
    assert '<script>' not in r.text
    assert SCRIPT in r.plain
    assert "o'brien&co@example.org" in r.plain
    for level in (1, 2):
        private = lists(private_roster=level, real_name='X' + SCRIPT)
        r = call('roster', '/' + private.internal_name(), 'POST',
                 {'roster-email': SCRIPT, 'roster-pw': SCRIPT})
        assert r.status == 401
        assert '<script>' not in r.text and SCRIPT in r.plain


def test_unknown_list_is_404_and_escaped():
    r = call('roster', '/' + SCRIPT)
    assert r.status == 404 and '<script>' not in r.text


@pytest.mark.parametrize('level', [0, 1, 2])
def test_roster_pages_are_well_formed(lists, level):
    from test_web_pages import Nesting
    m = roster_list(lists, level)
    for r in (call('roster', '/' + m.internal_name()),
              call('roster', '/' + m.internal_name(), 'POST',
                   {'roster-pw': 'adminpw'})):
        assert r.text.startswith('<!DOCTYPE html>')
        assert r.text.count('<h1') == 1
        checker = Nesting()
        checker.feed(r.text)
        checker.close()
        assert checker.stack == []
