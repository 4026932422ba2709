"""Who is asking: web logins, their cookies, and anti-forgery tokens.

A login proves one role for one list: the site administrator, the list
administrator, the moderator, or a member (AuthUser, with the member's
address).  It is remembered in a cookie

    name   <listname>+<role>          (<listname>+user+<quoted address>)
    value  <expires>.<user, base64>.<MAC>

whose MAC, keyed with the site secret, covers the role, the list, the user,
the expiry and a fingerprint of the password hash the login was checked
against: a cookie cannot be moved to another list or role, outlives neither
its expiry nor a change of that password, and cannot be made without the
secret.  Cookies are HttpOnly, SameSite=Lax, Secure over HTTPS, and sent
only to the pages of that list that the role uses (one Set-Cookie per page
path, /mailman/admin/<list>, /mailman/admindb/<list>, ...).

Every state-changing form carries a `csrf_token` field: a MAC over the same
identity and the time the form was served, valid for FORM_LIFETIME.  A form
posted with the password itself (the login field) needs no token, as a
forger does not know the password.
"""

import base64
import hashlib
import hmac
import http.cookies
import time
import urllib.parse

from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Cgi import Page
from Mailman.Cgi.Page import escape

CSRF_FIELD = 'csrf_token'
# Login attempts one client may make on one list within LOGIN_WINDOW seconds.
LOGIN_ATTEMPT_LIMIT = 10
LOGIN_WINDOW = 300
# Without AUTHENTICATION_COOKIE_LIFETIME a cookie lasts for the browser
# session, but the server still refuses it after this many seconds.
SESSION_COOKIE_MAX_AGE = 12 * 3600

ROLE_NAMES = {
    mm_cfg.AuthSiteAdmin: 'siteadmin',
    mm_cfg.AuthListAdmin: 'admin',
    mm_cfg.AuthListModerator: 'moderator',
    mm_cfg.AuthUser: 'user',
}

# The pages each role's cookie is sent to.
ROLE_PAGES = {
    mm_cfg.AuthSiteAdmin: ('admin', 'admindb', 'edithtml', 'options',
                           'private', 'roster', 'search'),
    mm_cfg.AuthListAdmin: ('admin', 'admindb', 'edithtml', 'options',
                           'private', 'roster', 'search'),
    mm_cfg.AuthListModerator: ('admindb', 'private', 'roster', 'search'),
    mm_cfg.AuthUser: ('options', 'private', 'roster', 'search'),
}


class Session:
    """An authenticated visitor: ROLE (an mm_cfg.Auth* value) on LISTNAME,
    USER being the member's address for AuthUser.  HEADERS are Set-Cookie
    lines the page must send (a new login, a refreshed cookie)."""

    def __init__(self, role, listname, user=None, headers=()):
        self.role = role
        self.listname = listname
        self.user = user
        self.headers = list(headers)

    @property
    def is_admin(self):
        return self.role in (mm_cfg.AuthSiteAdmin, mm_cfg.AuthListAdmin)

    def __repr__(self):
        return (f'<Session {ROLE_NAMES.get(self.role, self.role)} '
                f'{self.listname} {self.user or ""}>')


# ------------------------------------------------------------------ credentials
def _stored_credential(mlist, role, user=None):
    """The stored password hash a login as ROLE is checked against."""
    if role == mm_cfg.AuthSiteAdmin:
        return Utils.get_global_password(siteadmin=True)
    if role == mm_cfg.AuthCreator:
        return Utils.get_global_password(siteadmin=False)
    if role == mm_cfg.AuthListAdmin:
        return mlist.password
    if role == mm_cfg.AuthListModerator:
        return mlist.mod_password
    if role == mm_cfg.AuthUser and user and mlist.isMember(user):
        return mlist.getMemberPassword(user)
    return None


def _fingerprint(mlist, role, user=None):
    stored = _stored_credential(mlist, role, user)
    if not stored:
        return None
    return hashlib.sha256(str(stored).encode('utf-8')).hexdigest()[:16]


def _mac(*parts):
    # The site secret is also the key of the subscribe tokens; a leading
    # purpose word keeps the two kinds of MAC apart.
    message = '\0'.join(str(p) for p in parts).encode('utf-8')
    return hmac.new(Page.site_secret(), message, hashlib.sha256).hexdigest()


def _same(a, b):
    return hmac.compare_digest(a.encode('utf-8', 'replace'),
                               b.encode('utf-8', 'replace'))


# ------------------------------------------------------------------ cookies
def cookie_name(listname, role, user=None):
    name = f'{listname.lower()}+{ROLE_NAMES[role]}'
    if role == mm_cfg.AuthUser:
        name += '+' + urllib.parse.quote(user.lower(), safe='')
    return name


def _script_root(environ, mlist):
    """The URL path the pages live under, such as /mailman/."""
    script = environ.get('SCRIPT_NAME') or ''
    if script.count('/') >= 2:
        return script.rsplit('/', 1)[0] + '/'
    path = urllib.parse.urlsplit(mlist.web_page_url).path or '/'
    return path if path.endswith('/') else path + '/'


def cookie_paths(environ, mlist, role):
    root = _script_root(environ, mlist)
    name = mlist.internal_name()
    paths = [f'{root}{page}{mm_cfg.CGIEXT}/{name}' for page in ROLE_PAGES[role]]
    if 'private' in ROLE_PAGES[role]:
        # The list's mbox is served at private/<list>.mbox/<list>.mbox.
        paths.append(f'{root}private{mm_cfg.CGIEXT}/{name}.mbox')
    return paths


def _cookie_lifetime():
    return mm_cfg.AUTHENTICATION_COOKIE_LIFETIME or SESSION_COOKIE_MAX_AGE


def _cookie_value(mlist, role, user, expires):
    encoded = base64.urlsafe_b64encode((user or '').encode('utf-8'))
    encoded = encoded.decode('ascii').rstrip('=')
    mac = _mac('cookie', ROLE_NAMES[role], mlist.internal_name(),
               (user or '').lower(), expires, _fingerprint(mlist, role, user))
    return f'{expires}.{encoded}.{mac}'


def _set_cookie_lines(environ, mlist, role, user, value, max_age):
    secure = (environ.get('HTTPS') or '').lower() in ('on', '1') or \
        environ.get('REQUEST_SCHEME') == 'https'
    lines = []
    for path in cookie_paths(environ, mlist, role):
        parts = [f'{cookie_name(mlist.internal_name(), role, user)}={value}',
                 f'Path={path}', 'HttpOnly', 'SameSite=Lax']
        if max_age is not None:
            parts.append(f'Max-Age={max_age}')
        if secure:
            parts.append('Secure')
        lines.append('Set-Cookie: ' + '; '.join(parts))
    return lines


def login_headers(environ, mlist, role, user=None, now=None):
    """Set-Cookie lines remembering a login as ROLE on MLIST."""
    now = int(time.time() if now is None else now)
    expires = now + _cookie_lifetime()
    value = _cookie_value(mlist, role, user, expires)
    max_age = mm_cfg.AUTHENTICATION_COOKIE_LIFETIME or None
    return _set_cookie_lines(environ, mlist, role, user, value, max_age)


def logout_headers(environ, mlist, role, user=None):
    """Set-Cookie lines that make the browser forget a login."""
    return _set_cookie_lines(environ, mlist, role, user, 'x', 0)


def _request_cookies(environ):
    jar = http.cookies.SimpleCookie()
    try:
        jar.load(environ.get('HTTP_COOKIE') or '')
    except http.cookies.CookieError:
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def _check_cookie(mlist, role, user, value, now):
    try:
        expires, encoded, mac = value.split('.')
        expires = int(expires)
        padded = encoded + '=' * (-len(encoded) % 4)
        cookie_user = base64.urlsafe_b64decode(padded).decode('utf-8')
    except (ValueError, UnicodeDecodeError):
        return False
    if expires < now or (cookie_user or None) != (user or None):
        return False
    fingerprint = _fingerprint(mlist, role, user)
    if fingerprint is None:
        return False
    expected = _mac('cookie', ROLE_NAMES[role], mlist.internal_name(),
                    (user or '').lower(), expires, fingerprint)
    return _same(mac, expected)


def from_cookies(environ, mlist, roles, user=None, now=None):
    """The Session a valid cookie proves for one of ROLES, or None.  For
    AuthUser, USER names the member; with USER None, any member's cookie
    for this list is taken."""
    now = int(time.time() if now is None else now)
    cookies = _request_cookies(environ)
    listname = mlist.internal_name()
    for role in roles:
        if role not in ROLE_NAMES:
            continue
        if role == mm_cfg.AuthUser:
            candidates = [user] if user else _cookie_users(cookies, listname)
        else:
            candidates = [None]
        for candidate in candidates:
            value = cookies.get(cookie_name(listname, role, candidate)) \
                if (candidate or role != mm_cfg.AuthUser) else None
            if value and _check_cookie(mlist, role, candidate, value, now):
                session = Session(role, listname, candidate)
                if mm_cfg.AUTHENTICATION_COOKIE_LIFETIME:
                    # The lifetime counts from the last visit.
                    session.headers = login_headers(environ, mlist, role,
                                                    candidate, now)
                return session
    return None


def _cookie_users(cookies, listname):
    prefix = f'{listname.lower()}+user+'
    return [urllib.parse.unquote(key[len(prefix):])
            for key in cookies if key.startswith(prefix)]


# ------------------------------------------------------------------ logins
class TooManyAttempts(Exception):
    """This client tried too many passwords on this list lately."""


def login(environ, mlist, roles, password, user=None):
    """Check PASSWORD for the first of ROLES it opens.  Returns a Session
    carrying the cookie headers, or None.  Raises TooManyAttempts when the
    client has used up its attempts (checked before the password, so a
    right guess past the limit is refused too)."""
    remote = environ.get('REMOTE_ADDR', '')
    if Page.rate_limited(f'login:{mlist.internal_name()}', remote,
                         LOGIN_ATTEMPT_LIMIT, window=LOGIN_WINDOW):
        raise TooManyAttempts()
    if not password:
        return None
    role = mlist.Authenticate(list(roles), password, user)
    if role == mm_cfg.UnAuthorized:
        return None
    if role not in ROLE_NAMES:
        # The creator and poster passwords open a page but make no cookie.
        return Session(role, mlist.internal_name(), user)
    return Session(role, mlist.internal_name(), user,
                   login_headers(environ, mlist, role, user))


# ------------------------------------------------------------------ CSRF
def csrf_token(mlist, session, now=None):
    issued = int(time.time() if now is None else now)
    mac = _mac('csrf', ROLE_NAMES.get(session.role, session.role),
               mlist.internal_name(), (session.user or '').lower(), issued,
               _fingerprint(mlist, session.role, session.user))
    return f'{issued}.{mac}'


def check_csrf(mlist, session, token, now=None):
    """True if TOKEN was made by csrf_token() for this very session within
    FORM_LIFETIME."""
    if not token or session is None:
        return False
    issued, dot, mac = token.partition('.')
    if not dot or not (issued.isascii() and issued.isdigit()):
        return False
    now = time.time() if now is None else now
    if not 0 <= now - int(issued) <= mm_cfg.FORM_LIFETIME:
        return False
    expected = _mac('csrf', ROLE_NAMES.get(session.role, session.role),
                    mlist.internal_name(), (session.user or '').lower(),
                    int(issued), _fingerprint(mlist, session.role,
                                              session.user))
    return _same(mac, expected)


def csrf_field(mlist, session):
    """The hidden input every state-changing form of SESSION carries."""
    return (f'<input type="hidden" name="{CSRF_FIELD}" '
            f'value="{escape(csrf_token(mlist, session))}">')


def form_is_genuine(request, mlist, session, password_field=None):
    """True if REQUEST may change state for SESSION: a POST carrying either
    a valid CSRF token or (PASSWORD_FIELD) the password it logged in with
    in this very request."""
    if request.method != 'POST' or session is None:
        return False
    if password_field and request.get(password_field):
        # login() already checked it; the session exists because of it.
        return True
    return check_csrf(mlist, session, request.get(CSRF_FIELD))


# ------------------------------------------------------------------ pages
def login_form(action, title, message='', fields=(), submit='Log in',
               submit_name='login', hidden=()):
    """A login form as safe HTML.  FIELDS are (name, label, type) triples;
    HIDDEN are (name, value) pairs carried through the login."""
    rows = []
    for name, label, kind in fields:
        rows.append(f'<p><label for="{escape(name)}">{escape(label)}</label> '
                    f'<input type="{escape(kind)}" id="{escape(name)}" '
                    f'name="{escape(name)}" '
                    + ('autocomplete="current-password" '
                       if kind == 'password' else '')
                    + 'required></p>')
    carried = ''.join(f'<input type="hidden" name="{escape(n)}" '
                      f'value="{escape(v)}">' for n, v in hidden)
    note = f'<p class="error" role="alert">{escape(message)}</p>' \
        if message else ''
    return (f'<h1>{escape(title)}</h1>\n{note}\n'
            f'<form method="post" action="{escape(action)}">\n'
            + '\n'.join(rows) + carried +
            f'\n<p><input type="submit" name="{escape(submit_name)}" '
            f'value="{escape(submit)}"></p>\n</form>\n')


def admin_login_page(stdout, mlist, page, message='', status='200 OK',
                     moderator=False):
    """The login page of the admin, admindb and edithtml pages (2.1's
    field name adminpw, button admlogin)."""
    what = 'Moderator or administrator' if moderator else 'Administrator'
    body = login_form(
        mlist.GetScriptURL(page, 1),
        f'{mlist.real_name} {what.lower()} authentication',
        message,
        fields=[('adminpw', f'{what} password:', 'password')],
        submit="Let me in...", submit_name='admlogin')
    Page.respond(stdout, Page.document(
        f'{mlist.real_name} {what} Authentication', body), status=status)


def too_many_attempts_page(stdout):
    Page.error_page(stdout, 'Too many attempts',
                    'Too many passwords were tried from your address.  '
                    'Please wait a few minutes before you try again.',
                    status='429 Too Many Requests')
