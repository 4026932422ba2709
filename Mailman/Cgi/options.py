"""The member options page: /options/<list>[/<address>].

A member logs in with the password, or with a one-time link mailed on
request (options_links), and then sees options.html: delivery, digests,
the other personal options with "set globally" boxes, topics, language,
address and name, password, unsubscribing, and the other lists of the
site the address is on.  A list administrator (or the site administrator),
logged in on the admin pages, may open any member's page too; only the
member and the site administrator may change other lists.

2.1's field names are kept: email, password, login, login-unsub,
login-remind, logout, options-submit, change-of-address (new-address,
confirm-address, fullname, changeaddr-globally), unsub (unsubconfirm),
othersubs, emailpw, changepw (newpw, confpw, pw-globally), and the option
fields of options_tags.OPTION_FIELDS with their "-globally" boxes.
2.1's login-remind and emailpw mailed the password in clear; here they
mail a link to choose a new one (pending op 'R'), handled by the
`reset=<cookie>` form of this page.  login-link (new) mails a login link.

Every state-changing form carries Auth's CSRF token.  The answers to the
requests anyone may make for an address (login link, password reset,
unsubscription) are the same whether or not the address is a member.
"""

import urllib.parse

from Mailman import Errors
from Mailman import MemberAdaptor
from Mailman import Passwords
from Mailman import Pending
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Cgi import Auth
from Mailman.Cgi import Page
from Mailman.Cgi import options_global
from Mailman.Cgi import options_links
from Mailman.Cgi import options_tags
from Mailman.Cgi.Page import escape
from Mailman.Logging.Syslog import syslog
from Mailman.UserDesc import UserDesc

ADMIN_ROLES = [mm_cfg.AuthSiteAdmin, mm_cfg.AuthListAdmin]
LOGIN_ROLES = [mm_cfg.AuthUser, mm_cfg.AuthListAdmin, mm_cfg.AuthSiteAdmin]
FORGED = ('The form has expired or was not sent by this site; nothing was '
          'changed.  Please try again from this page.')
# Mails anyone may have sent to an address (login link, reset link,
# unsubscription confirmation): per client and per address, per hour.
MAIL_LIMIT_CLIENT = 10
MAIL_LIMIT_ADDRESS = 3
MAIL_WINDOW = 3600
MAX_NAME_LENGTH = 200


class Outcome:
    """What an action did: RESULTS are safe HTML paragraphs, ERRORS
    {field: text}, HEADERS extra response headers; PAGE, when set, is a
    whole page shown instead of the options."""

    def __init__(self, results=(), errors=None, headers=(), page=None):
        self.results = list(results)
        self.errors = errors or {}
        self.headers = list(headers)
        self.page = page


def _p(text):
    return f'<p>{escape(text)}</p>'


def _reload(mlist):
    from Mailman.MailList import MailList
    return MailList(mlist.internal_name(), lock=0)


def _locked(mlist):
    from Mailman.MailList import MailList
    return MailList(mlist.internal_name(), lock=1)


def _password_field(request, name):
    # Passwords are taken as typed: no stripping.
    values = request.form.get(name)
    return values[0] if values else ''


def _may_go_global(session):
    return session.role in (mm_cfg.AuthUser, mm_cfg.AuthSiteAdmin)


def _check_new_password(request):
    """(password, errors) for the newpw/confpw pair."""
    new, again = _password_field(request, 'newpw'), \
        _password_field(request, 'confpw')
    if not new:
        return None, {'newpw': 'Please type the new password.'}
    if new != again:
        return None, {'confpw': 'The two passwords are not the same.'}
    if len(new) > Passwords.MAX_LENGTH:
        return None, {'newpw': 'The password may have at most '
                               f'{Passwords.MAX_LENGTH} characters.'}
    return new, {}


# ------------------------------------------------------------------ pages
def _page(stdout, mlist, title, body, status='200 OK', headers=(),
          lang=None):
    name = escape(mlist.real_name)
    home = escape(mlist.GetScriptURL('listinfo', absolute=1))
    body = (f'<h1>{escape(title)}</h1>\n{body}\n'
            f'<hr><p><a href="{home}">{name} list information page</a></p>')
    Page.respond(stdout, Page.document(title, body,
                                       lang or mlist.preferred_language),
                 status=status, extra_headers=headers)


def login_page(stdout, mlist, address='', message='', status='200 OK',
               headers=()):
    """2.1's login form: the address, and the password or one of the
    password-less requests."""
    name = mlist.real_name
    action = escape(mlist.GetScriptURL('options', absolute=1))
    note = (f'<p class="error" role="alert">{escape(message)}</p>\n'
            if message else '')
    minutes = options_links.LINK_LIFETIME // 60
    body = (
        f'{note}<p>Members of {escape(name)} can change their delivery '
        'options, address, name and password here, or leave the list.</p>\n'
        f'<form method="post" action="{action}" accept-charset="utf-8">\n'
        '<p><label for="email">Email address:</label> '
        f'<input type="email" id="email" name="email" size="30" '
        f'autocomplete="email" value="{escape(address)}"></p>\n'
        '<p><label for="password">Password:</label> '
        '<input type="password" id="password" name="password" size="20" '
        'autocomplete="current-password"></p>\n'
        '<p><input type="submit" name="login" value="Log in"></p>\n'
        '<h2>No password at hand?</h2>\n'
        '<p>Give your address above, then ask for a link that logs you in '
        f'once (it works for {minutes} minutes), or for a link with which '
        'you choose a new password.  Passwords are never sent by mail.</p>\n'
        '<p><input type="submit" name="login-link" '
        'value="Email me a login link"> '
        '<input type="submit" name="login-remind" '
        'value="Email me a link to set a new password"></p>\n'
        '<h2>Leaving the list</h2>\n'
        '<p>Give your address above and press the button; we mail you a '
        'message to confirm that you want to leave.</p>\n'
        '<p><input type="submit" name="login-unsub" value="Unsubscribe">'
        '</p>\n</form>\n')
    _page(stdout, mlist, f'{name} membership configuration', body,
          status=status, headers=headers)


def which_member_page(stdout, mlist, session, message=''):
    """An administrator came without a member's address."""
    action = escape(mlist.GetScriptURL('options', absolute=1))
    note = (f'<p class="error" role="alert">{escape(message)}</p>\n'
            if message else '')
    body = (f'{note}<form method="get" action="{action}">'
            '<p><label for="email">Member address:</label> '
            '<input type="email" id="email" name="email" size="30"> '
            '<input type="submit" name="UserOptions" value="Show options">'
            '</p></form>')
    _page(stdout, mlist, f'{mlist.real_name}: a member\'s options', body,
          headers=session.headers)


def show_options(request, stdout, mlist, member, session, outcome=None,
                 status='200 OK'):
    outcome = outcome or Outcome()
    mlist = _reload(mlist)
    if not mlist.isMember(member):
        login_page(stdout, mlist, message='That address is no longer a '
                   'member of the list.', headers=outcome.headers)
        return
    results = list(outcome.results)
    if outcome.errors:
        results.insert(0, _p('Nothing was changed.  Please correct what is '
                             'marked below and send the form again.'))
    html = ''
    if results:
        html = '<div class="results" role="status">' + '\n'.join(results) \
            + '</div>'
    shown = {}
    for key, values in request.form.items():
        shown[key] = values if key == 'usertopic' else values[0]
    if outcome.errors and 'usertopic' not in shown and \
            request.has('options-submit'):
        shown['usertopic'] = []
    ctx = options_tags.Context(
        mlist, mlist.getMemberKey(member), session,
        Auth.csrf_field(mlist, session),
        lang=mlist.getMemberLanguage(member), results=html,
        errors=outcome.errors, may_global=_may_go_global(session),
        form=shown)
    Page.respond(stdout, options_tags.render(ctx), status=status,
                 extra_headers=session.headers + outcome.headers)


# ------------------------------------------------------------------ who
def requested_address(request):
    """The member address the request is about: the form's `email`, else
    the path's (2.1 links may carry it obscured)."""
    address = request.get('email')
    if not address and request.rest:
        address = Utils.UnobscureEmail(request.rest[0])
    return address.strip()


def find_session(environ, mlist, address):
    """The visitor's session from cookies: the member's own (for ADDRESS,
    or any member of this list when no address is given), else an
    administrator's."""
    if address:
        if mlist.isMember(address):
            session = Auth.from_cookies(environ, mlist, [mm_cfg.AuthUser],
                                        user=mlist.getMemberKey(address))
            if session:
                return session
    else:
        session = Auth.from_cookies(environ, mlist, [mm_cfg.AuthUser])
        if session:
            return session
    return Auth.from_cookies(environ, mlist, ADMIN_ROLES)


def member_login_session(environ, mlist, key):
    return Auth.Session(mm_cfg.AuthUser, mlist.internal_name(), key,
                        Auth.login_headers(environ, mlist, mm_cfg.AuthUser,
                                           key))


# ------------------------------------------------------------------ logging in
def password_login(request, stdout, mlist, address):
    key = mlist.getMemberKey(address) \
        if address and mlist.isMember(address) else None
    try:
        session = Auth.login(request.environ, mlist, LOGIN_ROLES,
                             _password_field(request, 'password'), user=key)
    except Auth.TooManyAttempts:
        Auth.too_many_attempts_page(stdout)
        return
    if session is None:
        syslog('security', 'options: failed login for %s on %s from %s',
               Utils.log_safe(address), mlist.internal_name(),
               Utils.log_safe(request.remote))
        login_page(stdout, mlist, address, 'Authentication failed: the '
                   'address or the password is wrong.',
                   status='401 Unauthorized')
        return
    if session.role != mm_cfg.AuthUser:
        # An administrator's cookie names no member.
        session = Auth.Session(session.role, session.listname, None,
                               Auth.login_headers(request.environ, mlist,
                                                  session.role))
    if key is None:
        which_member_page(stdout, mlist, session,
                          f'{address} is not a member of {mlist.real_name}.'
                          if address else '')
        return
    show_options(request, stdout, mlist, key, session)


def _mail_limited(request, mlist, address):
    """True if this client, or mail to this address, is over its limit."""
    listname = mlist.internal_name()
    if Page.rate_limited(f'options-mail:{listname}', request.remote,
                         MAIL_LIMIT_CLIENT, window=MAIL_WINDOW):
        return True
    return Page.rate_limited(f'options-mail-to:{listname}',
                             address.lower().replace(':', ''),
                             MAIL_LIMIT_ADDRESS, window=MAIL_WINDOW)


NEUTRAL = {
    'login-link': 'If {address} is subscribed to {list}, a login link has '
                  'been mailed to it.  The link works once, within {minutes} '
                  'minutes.',
    'login-remind': 'If {address} is subscribed to {list}, a link with '
                    'which to choose a new password has been mailed to it.',
    'login-unsub': 'If {address} is subscribed to {list}, a message asking '
                   'to confirm the unsubscription has been mailed to it.',
}


def mail_request(request, stdout, mlist, address, kind):
    """login-link, login-remind, login-unsub: mail the member, and answer
    the same whether or not ADDRESS is one."""
    if not address:
        login_page(stdout, mlist, message='Please give your email address.')
        return
    if _mail_limited(request, mlist, address):
        Page.error_page(stdout, 'Too many requests',
                        'Too many messages were asked for lately.  Please '
                        'wait an hour before you try again.',
                        status='429 Too Many Requests')
        return
    if mlist.isMember(address):
        locked = _locked(mlist)
        try:
            key = locked.getMemberKey(address)
            if kind == 'login-link':
                options_links.mail_login_link(locked, key, request.remote)
            elif kind == 'login-remind':
                locked.SendPasswordReset(key, request.remote)
            else:
                locked.ConfirmUnsubscription(key, remote=request.remote)
            locked.Save()
        except (Errors.MMAlreadyPending, Errors.NotAMemberError):
            pass
        finally:
            locked.Unlock()
    text = NEUTRAL[kind].format(address=address, list=mlist.real_name,
                                minutes=options_links.LINK_LIFETIME // 60)
    login_page(stdout, mlist, address, text)


def link_login(request, stdout, mlist, address):
    """The mailed login link: GET shows a button (so that mail scanners
    that fetch links do not use it up), its POST logs in.  A member
    without a password chooses one here first."""
    token = request.get(options_links.TOKEN_FIELD)
    key = mlist.getMemberKey(address) \
        if address and mlist.isMember(address) else None
    if key is None or not options_links.token_is_valid(mlist, key, token):
        login_page(stdout, mlist, address, 'This login link is not valid: '
                   'it may have expired or been used already.  You can ask '
                   'for a new one below.', status='403 Forbidden')
        return
    needs_password = not mlist.getMemberPassword(key)
    errors = {}
    if request.method == 'POST' and request.has('link-login'):
        password = None
        if needs_password:
            password, errors = _check_new_password(request)
        if not errors:
            if not options_links.use_token(token):
                login_page(stdout, mlist, address, 'This login link has '
                           'been used already.', status='403 Forbidden')
                return
            results = [_p('You are logged in.')]
            if password:
                locked = _locked(mlist)
                try:
                    locked.setMemberPassword(key, password)
                    locked.Save()
                finally:
                    locked.Unlock()
                mlist = _reload(mlist)
                results.append(_p('Your password is set.'))
            session = member_login_session(request.environ, mlist, key)
            show_options(request, stdout, mlist, key, session,
                         Outcome(results))
            return
    cpaddress = mlist.getMemberCPAddress(key)
    action = escape(options_links.options_url(mlist, cpaddress))
    fields = ''
    if needs_password:
        fields = (
            '<p>You have no password for this list yet; please choose one '
            'now.</p>'
            + _password_inputs(errors))
    body = (f'<p>Log in to the membership options of {escape(cpaddress)} '
            f'on {escape(mlist.real_name)}.</p>'
            f'<form method="post" action="{action}" accept-charset="utf-8">'
            f'<input type="hidden" name="{options_links.TOKEN_FIELD}" '
            f'value="{escape(token)}">{fields}'
            '<p><input type="submit" name="link-login" value="Log in"></p>'
            '</form>')
    _page(stdout, mlist, f'{mlist.real_name}: log in', body)


def _password_inputs(errors):
    def error(field):
        return (f' <strong class="error" role="alert">'
                f'{escape(errors[field])}</strong>' if field in errors else '')
    return ('<p><label for="newpw">New password:</label> '
            '<input type="password" id="newpw" name="newpw" size="20" '
            f'autocomplete="new-password">{error("newpw")}</p>'
            '<p><label for="confpw">New password again:</label> '
            '<input type="password" id="confpw" name="confpw" size="20" '
            f'autocomplete="new-password">{error("confpw")}</p>')


# ------------------------------------------------------------------ reset
def _peek(mlist, cookie):
    if not Pending.valid_cookie(cookie):
        return None
    locked = _locked(mlist)
    try:
        return locked.pend_confirm(cookie, expunge=False)
    finally:
        locked.Unlock()


def reset_page(request, stdout, mlist):
    """The page the password-reset mail leads to: choose a new password
    (pending op 'R'), and be logged in."""
    cookie = request.get('reset').lower()
    record = _peek(mlist, cookie)
    if not record or record[0] != Pending.PASSWORD_RESET:
        _page(stdout, mlist, f'{mlist.real_name}: password reset',
              _p('This password reset link is not valid: it may have '
                 'expired, been used already, or been mistyped.  You can '
                 'ask for a new one on the login page.'),
              status='404 Not Found')
        return
    address = record[1]
    errors = {}
    message = ''
    if request.method == 'POST' and request.has('changepw'):
        if not Page.check_confirm_token(mlist.internal_name(), cookie,
                                        request.get('confirm_token')):
            message = FORGED
        else:
            password, errors = _check_new_password(request)
            if not errors:
                _carry_out_reset(request, stdout, mlist, cookie, password)
                return
    note = (f'<p class="error" role="alert">{escape(message)}</p>'
            if message else '')
    action = escape(mlist.GetScriptURL('options', absolute=1))
    token = escape(Page.confirm_token(mlist.internal_name(), cookie))
    body = (f'{note}<p>Choose a new password for the membership of '
            f'{escape(address)} in {escape(mlist.real_name)}.</p>'
            f'<form method="post" action="{action}" accept-charset="utf-8">'
            f'<input type="hidden" name="reset" value="{escape(cookie)}">'
            f'<input type="hidden" name="confirm_token" value="{token}">'
            + _password_inputs(errors) +
            '<p><input type="submit" name="changepw" '
            'value="Set my new password"></p></form>')
    _page(stdout, mlist, f'{mlist.real_name}: choose a new password', body,
          status='403 Forbidden' if message else '200 OK')


def _carry_out_reset(request, stdout, mlist, cookie, password):
    locked = _locked(mlist)
    try:
        record = locked.pend_confirm(cookie, expunge=False)
        if not record or record[0] != Pending.PASSWORD_RESET:
            raise Errors.MMBadConfirmation(cookie)
        op, address = locked.ProcessConfirmation(
            cookie, UserDesc(password=password))
        locked.Save()
    except (Errors.MMBadConfirmation, Errors.NotAMemberError):
        _page(stdout, mlist, f'{mlist.real_name}: password reset',
              _p('This password reset link is no longer valid, or the '
                 'address is no longer a member.'), status='404 Not Found')
        return
    finally:
        locked.Unlock()
    mlist = _reload(mlist)
    key = mlist.getMemberKey(address)
    session = member_login_session(request.environ, mlist, key)
    show_options(request, stdout, mlist, key, session,
                 Outcome([_p('Your new password is set, and you are '
                             'logged in.')]))


# ------------------------------------------------------------------ options
def _current_flag(mlist, key, flag):
    if flag == mm_cfg.DisableDelivery:
        return mlist.getDeliveryStatus(key) != MemberAdaptor.ENABLED
    return bool(mlist.getMemberOption(key, flag))


def _set_flag(mlist, key, flag, value, by_admin=False):
    """Set option FLAG of member KEY to VALUE; False if it already was.
    Raises CantDigestError/MustDigestError where the list forbids."""
    if _current_flag(mlist, key, flag) == bool(value):
        return False
    if flag == mm_cfg.DisableDelivery:
        mlist.setDeliveryStatus(
            key, (MemberAdaptor.BYADMIN if by_admin else MemberAdaptor.BYUSER)
            if value else MemberAdaptor.ENABLED)
    else:
        mlist.setMemberOption(key, flag, bool(value))
    return True


def _parse_options(request, mlist, key):
    """({field: (flag, value)} posted, {field: error}, language or None,
    topics list or None) of an options-submit."""
    posted, errors = {}, {}
    topics_on = bool(mlist.topics_enabled and mlist.topics)
    for field, flag in options_tags.OPTION_FIELDS:
        raw = request.get(field)
        if raw == '':
            continue
        if raw not in ('0', '1'):
            errors[field] = 'Please choose one of the offered answers.'
            continue
        value = int(raw)
        if flag == mm_cfg.Digests:
            if value and not mlist.digestable:
                errors[field] = 'This list does not send digests.'
                continue
            if not value and not mlist.nondigestable:
                errors[field] = 'This list is sent as digests only.'
                continue
        if flag == mm_cfg.ReceiveNonmatchingTopics and not topics_on:
            continue
        posted[field] = (flag, value)
    language = request.get('language') or None
    if language and language not in mlist.GetAvailableLanguages():
        errors['language'] = 'This list does not offer that language.'
        language = None
    topics = None
    if topics_on:
        names = [name for name, _ in options_tags.live_topics(mlist)]
        topics, unknown = [], []
        for value in request.form.get('usertopic', []):
            # 2.1's form sent the names quote_plus'ed.
            unquoted = urllib.parse.unquote_plus(value)
            if value in names:
                topics.append(value)
            elif unquoted in names:
                topics.append(unquoted)
            else:
                unknown.append(value)
        if unknown:
            errors['usertopic'] = 'There is no topic named ' + \
                ', '.join(unknown) + '.'
    return posted, errors, language, topics


def submit_options(request, mlist, key, session):
    posted, errors, language, topics = _parse_options(request, mlist, key)
    if errors:
        return Outcome(errors=errors)
    by_admin = session.role != mm_cfg.AuthUser
    changed = False
    digest_to_regular = False
    locked = _locked(mlist)
    try:
        for field, (flag, value) in posted.items():
            if flag == mm_cfg.Digests and not value and \
                    _current_flag(locked, key, flag):
                digest_to_regular = True
            changed |= _set_flag(locked, key, flag, value, by_admin)
        if language and language != locked.getMemberLanguage(key):
            locked.setMemberLanguage(key, language)
            changed = True
        if topics is not None and \
                sorted(topics) != sorted(locked.getMemberTopics(key)):
            locked.setMemberTopics(key, topics)
            changed = True
        locked.Save()
    finally:
        locked.Unlock()
    results = [_p('Your options have been saved.' if changed else
                  'Nothing needed changing.')]
    if digest_to_regular:
        results.append(_p('You may still get one more digest with the '
                          'posts collected so far.'))
    if _may_go_global(session):
        others = _apply_globally(request, mlist, key, posted, language)
        if others:
            results.append(_p('Also set on: ' + ', '.join(others) + '.'))
    return Outcome(results)


def _apply_globally(request, mlist, key, posted, language):
    chosen = [(flag, value) for field, (flag, value) in posted.items()
              if request.get(options_tags.GLOBAL_FIELDS.get(field, ''))]
    chosen_language = language \
        if request.get(options_tags.GLOBAL_FIELDS['language']) else None
    if not chosen and not chosen_language:
        return []

    def change(other, other_key):
        changed = False
        for flag, value in chosen:
            if flag == mm_cfg.Digests and \
                    not (other.digestable if value else other.nondigestable):
                continue
            changed |= _set_flag(other, other_key, flag, value)
        if chosen_language and \
                chosen_language in other.GetAvailableLanguages() and \
                other.getMemberLanguage(other_key) != chosen_language:
            other.setMemberLanguage(other_key, chosen_language)
            changed = True
        return changed
    return options_global.apply_elsewhere(mlist, key, change)


def _bad_name(name):
    if len(name) > MAX_NAME_LENGTH:
        return f'Please keep the name under {MAX_NAME_LENGTH} characters.'
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return 'The name may not contain control characters.'
    return None


def change_address(request, mlist, key, session):
    newaddr = request.get('new-address')
    again = request.get('confirm-address')
    fullname = request.get('fullname')
    globally = bool(request.get('changeaddr-globally')) and \
        _may_go_global(session)
    errors = {}
    if (newaddr or again) and newaddr != again:
        errors['confirm-address'] = 'The two addresses are not the same.'
    elif newaddr:
        try:
            Utils.ValidateEmail(newaddr)
        except Errors.EmailAddressError:
            errors['new-address'] = 'That is not a valid email address.'
        else:
            if newaddr.lower() == key.lower() and \
                    newaddr == mlist.getMemberCPAddress(key):
                errors['new-address'] = 'That is your current address.'
    problem = _bad_name(fullname)
    if problem:
        errors['fullname'] = problem
    if errors:
        return Outcome(errors=errors)
    results = []
    name_changed = fullname != (mlist.getMemberName(key) or '')
    locked = _locked(mlist)
    try:
        if name_changed:
            locked.setMemberName(key, fullname)
        if newaddr:
            try:
                locked.ChangeMemberAddress(key, newaddr, globally)
            except Errors.MMAlreadyAMember:
                errors['new-address'] = ('That address is already a member '
                                         'of this list.')
            except Errors.MembershipIsBanned:
                errors['new-address'] = 'That address may not join this list.'
            except (Errors.EmailAddressError, Errors.NotAMemberError):
                errors['new-address'] = 'That address cannot be used.'
            if errors:
                return Outcome(errors=errors)
        locked.Save()
    finally:
        locked.Unlock()
    if name_changed:
        results.append(_p('Your name has been changed.'))
        if globally:
            def rename(other, other_key):
                if (other.getMemberName(other_key) or '') == fullname:
                    return False
                other.setMemberName(other_key, fullname)
            others = options_global.apply_elsewhere(mlist, key, rename)
            if others:
                results.append(_p('Also changed on: ' + ', '.join(others)
                                  + '.'))
    if newaddr:
        results.append(_p(
            f'A confirmation has been mailed to {newaddr}.  Your address '
            'changes once you follow the link in that message'
            + (' (on all your lists of this site).' if globally else '.')))
    if not results:
        results.append(_p('Nothing needed changing.'))
    return Outcome(results)


def change_password(request, mlist, key, session):
    password, errors = _check_new_password(request)
    if errors:
        return Outcome(errors=errors)
    locked = _locked(mlist)
    try:
        locked.setMemberPassword(key, password)
        locked.Save()
        headers = []
        if session.role == mm_cfg.AuthUser:
            # The old cookie was bound to the old password.
            headers = Auth.login_headers(request.environ, locked,
                                         mm_cfg.AuthUser, key)
    finally:
        locked.Unlock()
    session.headers = headers
    results = [_p('Your password has been changed.')]
    if request.get('pw-globally') and _may_go_global(session):
        def change(other, other_key):
            other.setMemberPassword(other_key, password)
        others = options_global.apply_elsewhere(mlist, key, change)
        if others:
            results.append(_p('Also changed on: ' + ', '.join(others) + '.'))
    return Outcome(results)


def email_password_link(request, mlist, key, session):
    if _mail_limited(request, mlist, key):
        return Outcome([_p('Too many messages were asked for lately; '
                           'please wait an hour before you try again.')])
    locked = _locked(mlist)
    try:
        locked.SendPasswordReset(key, request.remote)
        locked.Save()
    finally:
        locked.Unlock()
    return Outcome([_p('A link with which to choose a new password has been '
                       f'mailed to {mlist.getMemberCPAddress(key)}.')])


def unsubscribe(request, mlist, key, session):
    if not request.get('unsubconfirm'):
        return Outcome(errors={'unsubconfirm': 'Please tick the box to '
                               'confirm that you want to leave.'})
    address = mlist.getMemberCPAddress(key)
    by_admin = session.role != mm_cfg.AuthUser
    locked = _locked(mlist)
    try:
        try:
            if by_admin:
                locked.ApprovedDeleteMember(
                    key, 'the member options page, by an administrator')
            else:
                locked.DeleteMember(key, 'via the member options page')
        except Errors.MMNeedApproval:
            locked.Save()
            return Outcome([_p('Your request to leave the list has been '
                               'passed to the list moderators; you will '
                               'get a message when they have decided.')])
        except Errors.NotAMemberError:
            pass
        locked.Save()
    finally:
        locked.Unlock()
    headers = []
    if session.role == mm_cfg.AuthUser:
        headers = Auth.logout_headers(request.environ, mlist,
                                      mm_cfg.AuthUser, key)
        session.headers = []
    who = 'You have' if not by_admin else f'{address} has'
    return Outcome(headers=headers, page=(
        f'{mlist.real_name}: unsubscribed',
        _p(f'{who} left the {mlist.real_name} mailing list.')))


def other_subscriptions(request, mlist, key, session):
    if not _may_go_global(session):
        return Outcome()
    others = options_global.other_lists(mlist, key)
    if not others:
        return Outcome([_p('You are on no other list of this site.')])
    links = ', '.join(
        f'<a href="{escape(options_links.options_url(other, key))}">'
        f'{escape(other.real_name)}</a>' for other in others)
    return Outcome([f'<p>You are also on these lists of this site: {links}.'
                    '</p>'])


def reenable(request, mlist, key, session):
    locked = _locked(mlist)
    try:
        if locked.getDeliveryStatus(key) != MemberAdaptor.ENABLED:
            locked.setDeliveryStatus(key, MemberAdaptor.ENABLED)
            syslog('bounce', '%s: %s re-enabled delivery on the options '
                   'page', locked.internal_name(), Utils.log_safe(key))
        locked.Save()
    finally:
        locked.Unlock()
    return Outcome([_p('Mail delivery is on again.')])


# (button, handler, changes state); the first button present wins.
ACTIONS = (
    ('reenable', reenable, True),
    ('change-of-address', change_address, True),
    ('changepw', change_password, True),
    ('emailpw', email_password_link, True),
    ('unsub', unsubscribe, True),
    ('othersubs', other_subscriptions, False),
    ('options-submit', submit_options, True),
)


def member_page(request, stdout, mlist, key, session):
    if request.has('logout'):
        headers = Auth.logout_headers(request.environ, mlist, session.role,
                                      session.user)
        login_page(stdout, mlist, mlist.getMemberCPAddress(key)
                   if session.role == mm_cfg.AuthUser else '',
                   'You have been logged out.', headers=headers)
        return
    if request.method == 'POST':
        for name, action, changes in ACTIONS:
            if not request.has(name):
                continue
            if changes and not Auth.form_is_genuine(request, mlist, session):
                show_options(request, stdout, mlist, key, session,
                             Outcome([_p(FORGED)]), status='403 Forbidden')
                return
            outcome = action(request, mlist, key, session)
            if outcome.page:
                title, body = outcome.page
                _page(stdout, mlist, title, body,
                      headers=session.headers + outcome.headers)
                return
            show_options(request, stdout, mlist, key, session, outcome)
            return
    show_options(request, stdout, mlist, key, session)


# ------------------------------------------------------------------ main
LOGIN_REQUESTS = ('login-link', 'login-remind', 'login-unsub')


def main(environ, stdout):
    request, mlist = Page.request_and_list(environ, stdout)
    if mlist is None:
        return
    if request.has('reset'):
        reset_page(request, stdout, mlist)
        return
    address = requested_address(request)
    if request.has(options_links.TOKEN_FIELD):
        link_login(request, stdout, mlist, address)
        return
    if request.method == 'POST':
        if request.has('login'):
            password_login(request, stdout, mlist, address)
            return
        for kind in LOGIN_REQUESTS:
            if request.has(kind):
                mail_request(request, stdout, mlist, address, kind)
                return
    session = find_session(environ, mlist, address)
    if session is None:
        login_page(stdout, mlist, address)
        return
    member = address or session.user
    if not member:
        which_member_page(stdout, mlist, session)
        return
    if not mlist.isMember(member):
        if session.is_admin:
            which_member_page(stdout, mlist, session,
                              f'{member} is not a member of '
                              f'{mlist.real_name}.')
        else:
            login_page(stdout, mlist, member)
        return
    member_page(request, stdout, mlist, mlist.getMemberKey(member), session)
