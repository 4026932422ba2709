"""The member roster: /mailman/roster/<list>.

Who may see it depends on the list's private_roster: 0 anyone, 1 the
list's members (and its moderators and administrators), 2 only the
moderators and administrators.  A visitor proves a role with a cookie of
an earlier login, or with the roster-email / roster-pw fields of the list
information page (2.1's names), which also sets that cookie.  Members who
conceal their subscription are listed only for moderators and
administrators.
"""

import re

from Mailman import HTMLFormatter
from Mailman import MemberAdaptor
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Cgi import Auth
from Mailman.Cgi import Page
from Mailman.Cgi.Page import escape
from Mailman.Logging.Syslog import syslog

STAFF_ROLES = (mm_cfg.AuthListModerator, mm_cfg.AuthListAdmin,
               mm_cfg.AuthSiteAdmin)
MEMBER_ROLES = (mm_cfg.AuthUser,) + STAFF_ROLES

# The roster's own tags (the members, and their numbers counting only
# those shown); the shared formatter fills the others.
_MEMBER_TAGS = re.compile(r'<mm-(regular-users|digest-users|num-reg-users|'
                          r'num-digesters)\s*/?>', re.IGNORECASE)


def roles_for(level):
    """The roles that may see a roster of privacy LEVEL (empty: anyone)."""
    if level == 0:
        return ()
    if level == 1:
        return MEMBER_ROLES
    return STAFF_ROLES


def _shown_name(mlist, key):
    address = mlist.getMemberCPAddress(key)
    if mlist.obscure_addresses:
        address = Utils.ObscureEmail(address, for_text=True)
    realname = mlist.getMemberName(key) if mm_cfg.ROSTER_DISPLAY_REALNAME \
        else None
    return f'{realname} ({address})' if realname else address


def shown_members(mlist, keys, show_concealed):
    """KEYS sorted, without the concealed members unless SHOW_CONCEALED."""
    return [key for key in sorted(keys, key=str.lower)
            if show_concealed or
            not mlist.getMemberOption(key, mm_cfg.ConcealSubscription)]


def member_list(mlist, keys):
    """KEYS as a safe HTML list linking to each member's options page;
    members with delivery off are shown in parentheses, as in 2.1."""
    items = []
    for key in keys:
        shown = escape(_shown_name(mlist, key))
        if mlist.getDeliveryStatus(key) != MemberAdaptor.ENABLED:
            shown = f'<em>({shown})</em>'
        url = mlist.GetOptionsURL(key, obscure=1)
        items.append(f'<li><a href="{escape(url)}">{shown}</a></li>')
    if not items:
        return '<p><em>None</em></p>'
    return '<ul>\n' + '\n'.join(items) + '\n</ul>'


def render_roster(mlist, lang, show_concealed):
    regular = shown_members(mlist, mlist.getRegularMemberKeys(),
                            show_concealed)
    digest = shown_members(mlist, mlist.getDigestMemberKeys(),
                           show_concealed)

    def fill(match):
        tag = match.group(1).lower()
        if tag == 'regular-users':
            return member_list(mlist, regular)
        if tag == 'digest-users':
            return member_list(mlist, digest)
        return str(len(regular if tag == 'num-reg-users' else digest))
    text = Utils.maketext('roster.html', raw=True, lang=lang, mlist=mlist)
    text = _MEMBER_TAGS.sub(fill, text)
    return HTMLFormatter.fill_template(
        text, HTMLFormatter.Context(mlist, lang=lang))


def login_page(stdout, mlist, level, message='', status='200 OK'):
    """The form asking for the credentials a roster of LEVEL needs."""
    title = f'{mlist.real_name} roster authentication'
    if level == 1:
        intro = ('The subscriber list of this mailing list is shown only to '
                 'its members.  Members give their address and their list '
                 'password; moderators and administrators may give just '
                 'their password.')
        address = ('<p><label for="roster-email">Your address:</label> '
                   '<input type="email" id="roster-email" '
                   'name="roster-email" size="30" autocomplete="email"></p>')
    else:
        intro = ('The subscriber list of this mailing list is shown only to '
                 'its moderators and administrators.')
        address = ''
    note = f'<p class="error" role="alert">{escape(message)}</p>' \
        if message else ''
    body = (f'<h1>{escape(title)}</h1>\n{note}\n<p>{escape(intro)}</p>\n'
            f'<form method="post" '
            f'action="{escape(mlist.GetScriptURL("roster", 1))}">\n'
            f'{address}\n'
            '<p><label for="roster-pw">Password:</label> '
            '<input type="password" id="roster-pw" name="roster-pw" '
            'size="15" autocomplete="current-password" required></p>\n'
            '<p><input type="submit" name="SubscriberRoster" '
            'value="Visit Subscriber List"></p>\n</form>')
    Page.respond(stdout, Page.document(title, body), status=status)


def main(environ, stdout):
    request, mlist = Page.request_and_list(environ, stdout)
    if mlist is None:
        return
    level = getattr(mlist, 'private_roster', 0) or 0
    roles = roles_for(level)
    session = Auth.from_cookies(environ, mlist, roles or STAFF_ROLES)
    password = request.form.get('roster-pw', [''])[0]
    if roles and session is None:
        if request.method != 'POST' or not password:
            message = 'Please give your password.' \
                if request.method == 'POST' else ''
            login_page(stdout, mlist, level, message,
                       status='401 Unauthorized' if message else '200 OK')
            return
        address = request.get('roster-email') or None
        try:
            session = Auth.login(environ, mlist, roles, password,
                                 user=address if level == 1 else None)
        except Auth.TooManyAttempts:
            Auth.too_many_attempts_page(stdout)
            return
        if session is None:
            syslog('security', 'Authorization failed (roster): list=%s: '
                   'remote=%s', mlist.internal_name(),
                   Utils.log_safe(request.remote))
            login_page(stdout, mlist, level,
                       'Authentication failed: the address or password is '
                       'not right.', status='401 Unauthorized')
            return
    show_concealed = session is not None and session.role in STAFF_ROLES
    lang = request.get('language') or mlist.preferred_language
    if lang not in mlist.GetAvailableLanguages():
        lang = mlist.preferred_language
    Page.respond(stdout, render_roster(mlist, lang, show_concealed),
                 extra_headers=session.headers if session else ())
