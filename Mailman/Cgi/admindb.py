"""The moderation page: /mailman/admindb/<list>.

Shows what waits for a moderator (subscription and unsubscription
requests, held posts grouped by sender) and carries out the decisions.
2.1's query forms:

    ?sender=<address>       every held post of that sender, in detail
    ?msgid=<id>             one held post in detail
    ?details=all            every held post in detail
    ?details=instructions   how to use the page
    /logout                 forget the login

Open to the list's moderators and administrators and the site
administrator (a password, then a cookie).  Nothing changes without a
form from this site (a CSRF token); the list is locked only while the
decisions are carried out (admindb_actions), never while a page is drawn
(admindb_render).
"""

from Mailman import mm_cfg
from Mailman.Cgi import Auth
from Mailman.Cgi import Page
from Mailman.Cgi import admindb_actions as actions
from Mailman.Cgi import admindb_render as render
from Mailman.Cgi.Page import escape

ROLES = (mm_cfg.AuthListAdmin, mm_cfg.AuthListModerator,
         mm_cfg.AuthSiteAdmin)
# Query fields a login carries through, so that a link from a notice
# (?msgid=...) still leads to its post after the password.
CARRIED = ('sender', 'msgid', 'details', 'summary_sort')
FORGED = ('The form has expired or was not sent by this site; nothing was '
          'changed.')


def login_page(stdout, mlist, request, message='', status='200 OK',
               extra_headers=()):
    title = f'{mlist.real_name} moderator or administrator authentication'
    body = Auth.login_form(
        mlist.GetScriptURL('admindb', absolute=1), title, message,
        fields=[('adminpw', 'Moderator or administrator password:',
                 'password')],
        submit='Let me in...', submit_name='admlogin',
        hidden=[(name, request.get(name)) for name in CARRIED
                if request.get(name)])
    Page.respond(stdout, Page.document(title, body), status=status,
                 extra_headers=extra_headers)


def logout(stdout, environ, mlist, request):
    headers = []
    for role in ROLES:
        headers.extend(Auth.logout_headers(environ, mlist, role))
    login_page(stdout, mlist, request, 'You have been logged out.',
               extra_headers=headers)


def authenticate(environ, stdout, mlist, request):
    """(session, logged in by this very request), or (None, False) after
    a login page was written."""
    session = Auth.from_cookies(environ, mlist, ROLES)
    if session is not None:
        return session, False
    password = request.get('adminpw')
    if not password:
        login_page(stdout, mlist, request)
        return None, False
    try:
        session = Auth.login(environ, mlist, ROLES, password)
    except Auth.TooManyAttempts:
        Auth.too_many_attempts_page(stdout)
        return None, False
    if session is None:
        login_page(stdout, mlist, request, 'Authorization failed.',
                   status='401 Unauthorized')
        return None, False
    return session, True


# ------------------------------------------------------------------ the views
def _report(outcome, refused):
    html = ''
    if refused:
        html += f'<p class="error" role="alert">{escape(FORGED)}</p>\n'
    if outcome is not None:
        html += '<h2>Database updated</h2>\n'
        if outcome.done:
            html += ('<ul class="done">' + ''.join(
                f'<li>{escape(line)}</li>' for line in outcome.done) +
                '</ul>\n')
        elif not outcome.errors:
            html += '<p>Nothing was changed.</p>\n'
        if outcome.errors:
            html += ('<div class="error" role="alert"><ul>' + ''.join(
                f'<li>{escape(line)}</li>' for line in outcome.errors) +
                '</ul></div>\n')
    return html


def _sort_order(request):
    value = request.get('summary_sort')
    try:
        value = int(value)
    except ValueError:
        return mm_cfg.SSENDER
    if value in (mm_cfg.SSENDER, mm_cfg.SSENDERTIME, mm_cfg.STIME):
        return value
    return mm_cfg.SSENDER


def _summary(mlist, session, request):
    members_html, members = render.membership_requests(mlist)
    held_html, held = render.held_summary(mlist, _sort_order(request))
    if not members and not held:
        base = escape(mlist.GetScriptURL('admindb', absolute=1))
        return ('<p>There are no pending requests.</p>\n'
                f'<p><a href="{base}">Reload this page</a> to look '
                'again.</p>')
    return (render.template_text(mlist, 'admindbsummary.html') +
            render.form(mlist, session, members_html + held_html,
                        discard_all=held > 0))


def _details(mlist, session, posts, description, empty):
    preamble = render.template_text(mlist, 'admindbpreamble.html',
                                    escape(description))
    if not posts:
        return preamble + f'<p>{escape(empty)}</p>'
    return preamble + render.form(mlist, session,
                                  render.held_details(mlist, posts))


def _view(mlist, session, request):
    details = request.get('details')
    sender = request.get('sender')
    msgid = request.get('msgid')
    if sender:
        # The link on the summary names the sender in readable form; an
        # address with raw 8-bit bytes only matches that way.
        posts = [post for post in render.held_posts(mlist)
                 if sender in (post.sender, post.shown_sender)]
        return _details(mlist, session, posts,
                        f"all of {sender}'s held messages.",
                        f'There are no held messages from {sender}.')
    if msgid:
        try:
            request_id = int(msgid)
        except ValueError:
            request_id = None
        posts = render.held_posts(mlist, [request_id]) \
            if request_id in mlist.GetHeldMessageIds() else []
        return _details(mlist, session, posts, 'a single held message.',
                        'There is no such held message; it may have been '
                        'handled already.')
    if details == 'all':
        return _details(mlist, session, render.held_posts(mlist),
                        'all held messages.', 'There are no held messages.')
    if details == 'instructions':
        return render.template_text(mlist, 'admindbdetails.html')
    return _summary(mlist, session, request)


def show(stdout, mlist, session, request, outcome=None, refused=False,
         status='200 OK'):
    name = escape(mlist.real_name)
    body = (f'<h1>Administrative requests for mailing list: <em>{name}</em>'
            '</h1>\n' + render.navigation(mlist, session) + '\n' +
            _report(outcome, refused) + _view(mlist, session, request))
    Page.respond(stdout, Page.document(
        f'{mlist.real_name} administrative database', body), status=status,
        extra_headers=session.headers)


def main(environ, stdout):
    request, mlist = Page.request_and_list(environ, stdout)
    if mlist is None:
        return
    if request.rest and request.rest[0] == 'logout':
        logout(stdout, environ, mlist, request)
        return
    session, fresh_login = authenticate(environ, stdout, mlist, request)
    if session is None:
        return
    if request.method == 'POST' and actions.has_actions(request):
        genuine = Auth.form_is_genuine(
            request, mlist, session,
            password_field='adminpw' if fresh_login else None)
        if not genuine:
            show(stdout, mlist, session, request, refused=True,
                 status='403 Forbidden')
            return
        outcome = actions.carry_out(request, mlist)
        # What was asked for is done: show the summary, not the query view
        # the form came from.
        request.form.pop('msgid', None)
        request.form.pop('sender', None)
        request.form.pop('details', None)
        show(stdout, mlist, session, request, outcome)
        return
    show(stdout, mlist, session, request)
