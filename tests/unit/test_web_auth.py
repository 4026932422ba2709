"""Web logins: cookies bound to list, role, user and password; CSRF tokens;
login rate limits (Mailman.Cgi.Auth)."""

import time

import pytest

from webhelp import lists, unique_remote  # noqa: F401


def env(cookie='', remote=None, https=False):
    environ = {'SCRIPT_NAME': '/mailman/admin', 'REMOTE_ADDR':
               remote or unique_remote(), 'HTTP_COOKIE': cookie}
    if https:
        environ['HTTPS'] = 'on'
    return environ


def cookie_header(lines):
    """The Cookie: header a browser would send to /mailman/admin/<list>."""
    pairs = {}
    for line in lines:
        name_value = line.split(':', 1)[1].strip().split(';')[0]
        if '/admin/' in line:
            name, _, value = name_value.partition('=')
            pairs[name] = value
    return '; '.join(f'{k}={v}' for k, v in pairs.items())


def test_login_sets_scoped_httponly_cookies(lists):
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    m = lists()
    session = Auth.login(env(), m, [mm_cfg.AuthListAdmin], 'adminpw')
    assert session.role == mm_cfg.AuthListAdmin
    paths = [line.split('Path=')[1].split(';')[0] for line in session.headers]
    assert f'/mailman/admin/{m.internal_name()}' in paths
    assert f'/mailman/admindb/{m.internal_name()}' in paths
    for line in session.headers:
        assert 'HttpOnly' in line and 'SameSite=Lax' in line
        assert 'Secure' not in line
    secure = Auth.login(env(https=True), m, [mm_cfg.AuthListAdmin], 'adminpw')
    assert all('Secure' in line for line in secure.headers)


def test_cookie_opens_its_own_list_only(lists):
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    one, two = lists(), lists()
    session = Auth.login(env(), one, [mm_cfg.AuthListAdmin], 'adminpw')
    cookie = cookie_header(session.headers)
    assert Auth.from_cookies(env(cookie), one, [mm_cfg.AuthListAdmin]).role \
        == mm_cfg.AuthListAdmin
    # The same value under the other list's cookie name opens nothing.
    value = cookie.split('=', 1)[1]
    moved = f'{two.internal_name()}+admin={value}'
    assert Auth.from_cookies(env(moved), two, [mm_cfg.AuthListAdmin]) is None
    # Nor does it make a moderator.
    as_moderator = f'{one.internal_name()}+moderator={value}'
    one.mod_password = 'x'
    assert Auth.from_cookies(env(as_moderator), one,
                             [mm_cfg.AuthListModerator]) is None


def test_cookie_dies_with_expiry_tampering_and_password_change(lists):
    from Mailman import Passwords, mm_cfg
    from Mailman.Cgi import Auth
    m = lists()
    old = time.time() - Auth.SESSION_COOKIE_MAX_AGE - 10
    expired = Auth.login_headers(env(), m, mm_cfg.AuthListAdmin, now=old)
    assert Auth.from_cookies(env(cookie_header(expired)), m,
                             [mm_cfg.AuthListAdmin]) is None
    good = cookie_header(Auth.login_headers(env(), m, mm_cfg.AuthListAdmin))
    name, value = good.split('=', 1)
    expires, user, mac = value.split('.')
    forged = f'{name}={int(expires) + 10**6}.{user}.{mac}'
    assert Auth.from_cookies(env(forged), m, [mm_cfg.AuthListAdmin]) is None
    assert Auth.from_cookies(env(good), m, [mm_cfg.AuthListAdmin])
    m.password = Passwords.hash_password('changed')
    assert Auth.from_cookies(env(good), m, [mm_cfg.AuthListAdmin]) is None


def test_member_cookie_names_the_member(lists):
    from Mailman import mm_cfg
    from Mailman.UserDesc import UserDesc
    from Mailman.Cgi import Auth
    m = lists()
    m.Lock()
    try:
        m.ApprovedAddMember(UserDesc('ann@example.org', 'Ann', 'annpw'),
                            ack=False, admin_notif=False)
        m.ApprovedAddMember(UserDesc('bob@example.org', 'Bob', 'bobpw'),
                            ack=False, admin_notif=False)
        m.Save()
    finally:
        m.Unlock()
    assert Auth.login(env(), m, [mm_cfg.AuthUser], 'bobpw',
                      'ann@example.org') is None
    session = Auth.login(env(), m, [mm_cfg.AuthUser], 'annpw',
                         'ann@example.org')
    lines = [line.replace('/options/', '/admin/') for line in session.headers
             if '/options/' in line]
    cookie = cookie_header(lines)
    found = Auth.from_cookies(env(cookie), m, [mm_cfg.AuthUser])
    assert found.user == 'ann@example.org'
    assert Auth.from_cookies(env(cookie), m, [mm_cfg.AuthUser],
                             user='bob@example.org') is None
    # Ann's cookie value renamed as Bob's is refused.
    value = cookie.split('=', 1)[1]
    bob = f'{m.internal_name()}+user+bob%40example.org={value}'
    assert Auth.from_cookies(env(bob), m, [mm_cfg.AuthUser]) is None


def test_csrf_token_is_bound_to_session_and_expires(lists):
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    one, two = lists(), lists()
    admin = Auth.Session(mm_cfg.AuthListAdmin, one.internal_name())
    token = Auth.csrf_token(one, admin)
    assert Auth.check_csrf(one, admin, token)
    assert not Auth.check_csrf(one, admin, None)
    assert not Auth.check_csrf(one, admin, 'garbage')
    other_list = Auth.Session(mm_cfg.AuthListAdmin, two.internal_name())
    assert not Auth.check_csrf(two, other_list, token)
    moderator = Auth.Session(mm_cfg.AuthListModerator, one.internal_name())
    assert not Auth.check_csrf(one, moderator, token)
    stale = Auth.csrf_token(one, admin,
                            now=time.time() - mm_cfg.FORM_LIFETIME - 5)
    assert not Auth.check_csrf(one, admin, stale)


def test_password_guessing_is_rate_limited(lists):
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    m = lists()
    remote = unique_remote()
    for _ in range(Auth.LOGIN_ATTEMPT_LIMIT):
        assert Auth.login(env(remote=remote), m, [mm_cfg.AuthListAdmin],
                          'wrong') is None
    with pytest.raises(Auth.TooManyAttempts):
        Auth.login(env(remote=remote), m, [mm_cfg.AuthListAdmin], 'adminpw')
    # Another client is not affected.
    assert Auth.login(env(), m, [mm_cfg.AuthListAdmin], 'adminpw')
