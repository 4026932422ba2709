"""The list administrator's pages: /admin/<list>[/<category>[/<subcat>]].

Each category of settings is drawn from its Mailman/Gui declaration
(admin_form.py does the widgets).  A post changes the list only when it is
genuine (Auth.form_is_genuine), and only when every posted field is valid:
otherwise every error is shown beside its field and nothing is saved.  Only
settings whose value changed are set, so saving an untouched page leaves
the list as it was.  The passwords category has its own form; the
membership category is drawn and handled by adminmembers.py.

/admin/<list>/logout forgets the login; /admin/<list>/?VARHELP=<cat>/<attr>
(or <cat>/<subcat>/<attr>) explains one setting; /admin with no list is
the overview of advertised lists.
"""


from Mailman import Errors
from Mailman import Gui
from Mailman import Passwords
from Mailman import mm_cfg
from Mailman.Cgi import Auth
from Mailman.Cgi import Page
from Mailman.Cgi import admin_form
from Mailman.Cgi.Page import escape

ROLES = (mm_cfg.AuthSiteAdmin, mm_cfg.AuthListAdmin)
NOT_GENUINE = ('The form has expired or was not sent by this site; nothing '
               'was changed.')
MEMBERS = 'members'
PASSWORDS = 'passwords'
# 2.1's field names on the passwords page: (new, confirm, attribute, what)
PASSWORD_FIELDS = (
    ('newpw', 'confirmpw', 'password', 'list administrator'),
    ('newmodpw', 'confirmmodpw', 'mod_password', 'list moderator'),
    ('newpostpw', 'confirmpostpw', 'post_password', 'list poster'),
)


def _admin_url(mlist):
    return mlist.GetScriptURL('admin', 1)


def _page_url(mlist, category, subcat=None):
    url = f'{_admin_url(mlist)}/{category}'
    return f'{url}/{subcat}' if subcat else url


# ------------------------------------------------------------------ entry
def main(environ, stdout):
    request, mlist = Page.request_and_list(environ, stdout, overview)
    if mlist is None:
        return
    rest = request.rest
    if rest == ['logout']:
        logout(environ, stdout, mlist)
        return
    where = _resolve(mlist, rest)
    if where is None:
        Page.error_page(stdout, 'No such page',
                        'This list has no administrative page by that name. '
                        'Use the list of categories on the main '
                        'administrative page.', status='404 Not Found')
        return
    category, subcat = where
    action = _page_url(mlist, category, subcat) if rest else _admin_url(mlist)
    session = Auth.from_cookies(environ, mlist, ROLES)
    if session is None and request.has('adminpw'):
        try:
            session = Auth.login(environ, mlist, ROLES,
                                 request.get('adminpw'))
        except Auth.TooManyAttempts:
            Auth.too_many_attempts_page(stdout)
            return
        if session is None:
            login_page(stdout, mlist, action, 'Authorization failed.',
                       status='401 Unauthorized')
            return
    if session is None:
        login_page(stdout, mlist, action)
        return
    if request.has('VARHELP'):
        varhelp_page(stdout, mlist, session, request.get('VARHELP'))
        return
    state = PageState(session)
    if request.method == 'POST' and _posts_changes(request):
        if Auth.form_is_genuine(request, mlist, session,
                                password_field='adminpw'):
            mlist = handle_post(environ, request, mlist, session, category,
                                subcat, state)
        else:
            state.alerts.append(escape(NOT_GENUINE))
    render(stdout, request, mlist, session, category, subcat, state)


def _posts_changes(request):
    """A post that is more than a login."""
    return any(key not in ('adminpw', 'admlogin') for key in request.form)


def _resolve(mlist, rest):
    """(category, subcategory or None) for the path parts after the list
    name, or None when they name no page."""
    if len(rest) > 2:
        return None
    names = list(mlist.GetConfigCategories())
    if not rest:
        return names[0], _default_subcat(mlist, names[0])
    category = rest[0]
    if category not in names:
        return None
    subcats = _subcat_names(mlist, category)
    if len(rest) == 1:
        return category, (subcats[0] if subcats else None)
    if rest[1] not in subcats:
        return None
    return category, rest[1]


def _subcat_names(mlist, category):
    return [name for name, title in
            mlist.GetConfigSubCategories(category) or []]


def _default_subcat(mlist, category):
    names = _subcat_names(mlist, category)
    return names[0] if names else None


class PageState:
    """What a post leaves for the page drawn after it."""

    def __init__(self, session):
        self.session = session
        self.notices = []       # safe HTML
        self.alerts = []        # safe HTML
        self.posted = {}        # attribute -> raw value, after an error
        self.errors = {}        # attribute -> message
        self.editors = {}       # attribute -> [admin_form.Row] to draw
        self.headers = list(session.headers)


# ------------------------------------------------------------------ login/out
def login_page(stdout, mlist, action, message='', status='200 OK',
               headers=()):
    body = Auth.login_form(
        action, f'{mlist.real_name} administrator authentication', message,
        fields=[('adminpw', 'List administrator password:', 'password')],
        submit='Let me in...', submit_name='admlogin')
    Page.respond(stdout, Page.document(
        f'{mlist.real_name} administrator authentication', body),
        status=status, extra_headers=headers)


def logout(environ, stdout, mlist):
    headers = []
    for role in ROLES:
        headers.extend(Auth.logout_headers(environ, mlist, role))
    login_page(stdout, mlist, _admin_url(mlist), 'You have logged out.',
               headers=headers)


# ------------------------------------------------------------------ posts
def handle_post(environ, request, mlist, session, category, subcat, state):
    """Apply a genuine post; returns the list to draw the page from."""
    name = mlist.internal_name()
    if category == MEMBERS:
        return _locked(name, state, lambda locked: _members_post(
            locked, request, session, subcat, state))
    if category == PASSWORDS:
        return _locked(name, state, lambda locked: _passwords_post(
            environ, locked, request, session, state))
    return _locked(name, state, lambda locked: _settings_post(
        locked, request, category, subcat, state))


def _locked(name, state, change):
    """Run CHANGE(list) with the list locked; CHANGE returns True when the
    list must be saved.  Returns the list (unlocked) for drawing."""
    from Mailman.MailList import MailList
    try:
        mlist = MailList(name, lock=1)
    except Errors.MMListError:
        state.alerts.append('The list could not be opened; nothing was '
                            'changed.')
        return MailList(name, lock=0)
    try:
        if change(mlist):
            mlist.Save()
    finally:
        mlist.Unlock()
    return mlist


def _members_post(mlist, request, session, subcat, state):
    from Mailman.Cgi import adminmembers
    state.notices.extend(adminmembers.process(mlist, request, session,
                                              subcat))
    return True


def _passwords_post(environ, mlist, request, session, state):
    changes = {}
    for new_field, confirm_field, attribute, what in PASSWORD_FIELDS:
        new, confirm = request.get(new_field), request.get(confirm_field)
        if not new and not confirm:
            continue
        if new != confirm:
            state.errors[new_field] = (f'The two {what} passwords you typed '
                                       'are not the same.')
        elif not new:
            state.errors[new_field] = f'The {what} password may not be empty.'
        elif len(new) > Passwords.MAX_LENGTH:
            state.errors[new_field] = (f'The {what} password may have at '
                                       f'most {Passwords.MAX_LENGTH} '
                                       'characters.')
        else:
            changes[attribute] = new
    if state.errors:
        state.alerts.append('Nothing was changed; see the messages below.')
        return False
    if not changes:
        state.notices.append('No new password was given; nothing was '
                             'changed.')
        return False
    for attribute, password in changes.items():
        setattr(mlist, attribute, Passwords.hash_password(password))
    if 'password' in changes and session.role == mm_cfg.AuthListAdmin:
        # The old cookie was bound to the old password; this one keeps the
        # administrator logged in.
        state.headers = Auth.login_headers(environ, mlist,
                                           mm_cfg.AuthListAdmin)
    done = ', '.join(what for new, confirm, attribute, what in
                     PASSWORD_FIELDS if attribute in changes)
    state.notices.append(escape(f'New password set for: {done}.'))
    return True


def _settings_post(mlist, request, category, subcat, state):
    info = mlist.GetConfigInfo(category, subcat)
    if not info:
        return False
    raw, form_errors, editors = admin_form.posted_values(request.form, info)
    for error in form_errors:
        state.errors[error.attribute] = error.message
    # Values posted back as the page showed them are not checked again: a
    # stored value that today's checks refuse (say, a ban of a list that
    # was since removed) must not stop the owner from saving the others.
    gui = mlist.GetConfigCategories()[category][1]
    changes = {attribute: value for attribute, value in raw.items()
               if not admin_form.as_shown(gui, mlist, info, attribute, value)}
    converted, errors, warnings = Gui.validate(mlist, changes, form=True)
    for error in errors:
        state.errors.setdefault(error.attribute, error.message)
    if state.errors:
        state.posted = raw
        state.editors = editors
        state.alerts.append('Nothing was saved: correct the settings marked '
                            'below and submit the page again.')
        return False
    # Saved editors are drawn as posted, less the deleted rows, so that
    # the empty rows their "add" buttons asked for appear in place.
    state.editors = {attribute: [row for row in rows if not row.deleted]
                     for attribute, rows in editors.items()}
    changed, actions = [], []
    for attribute, value in converted.items():
        if not Gui.is_setting(attribute):
            if value:
                actions.append(attribute)
            continue
        if getattr(mlist, attribute, None) != value:
            setattr(mlist, attribute, value)
            changed.append(attribute)
    for action in actions:
        state.notices.append(escape(_run_action(mlist, action)))
    for attribute, message in warnings:
        if attribute not in changed:
            continue
        state.notices.append(f'<span class="error">Warning: '
                             f'{escape(attribute)}: {escape(message)}</span>')
    if changed:
        state.notices.append(escape('Saved: ' + ', '.join(changed) + '.'))
    elif not actions:
        state.notices.append('No setting was changed.')
    return bool(changed or actions)


def _run_action(mlist, action):
    if action == '_new_volume':
        mlist.bump_digest_volume()
        return (f'A new digest volume was started: volume {mlist.volume}, '
                'issue 1.')
    if action == '_send_digest_now':
        if mlist.send_digest_now():
            return 'The digest was sent.'
        return 'There was no digest to send.'
    if action == '_mass_catchup':
        # The news gateway starts again from the newest article.
        mlist.usenet_watermark = None
        return 'Mass catch-up done: only new articles will be gated.'
    return f'Unknown action {action}.'


# ------------------------------------------------------------------ drawing
def _navigation(mlist, category, subcat):
    items = []
    for name, (title, gui) in mlist.GetConfigCategories().items():
        current = ' aria-current="page"' if name == category else ''
        link = (f'<a href="{escape(_page_url(mlist, name))}"{current}>'
                f'{escape(title)}</a>')
        subcats = mlist.GetConfigSubCategories(name)
        if subcats:
            inner = []
            for sub, subtitle in subcats:
                mark = ' aria-current="page"' \
                    if name == category and sub == subcat else ''
                inner.append(f'<li><a href="'
                             f'{escape(_page_url(mlist, name, sub))}"{mark}>'
                             f'{escape(subtitle)}</a></li>')
            link += '<ul>' + ''.join(inner) + '</ul>'
        items.append(f'<li>{link}</li>')
    return ('<nav aria-label="Configuration categories"><ul>'
            + ''.join(items) + '</ul></nav>')


def _other_pages(mlist):
    try:
        pending = mlist.NumRequestsPending()
    except Exception:
        pending = 0
    try:
        archive = mlist.GetBaseArchiveURL()
    except Exception:
        archive = None
    links = [
        (mlist.GetScriptURL('listinfo', 1), 'List information page'),
        (mlist.GetScriptURL('admindb', 1),
         f'Pending moderator requests ({pending})'),
        (mlist.GetScriptURL('edithtml', 1), 'Edit the public pages and '
                                            'text files'),
    ]
    if archive:
        links.append((archive, 'List archives'))
    links.append((_admin_url(mlist) + '/logout', 'Log out'))
    return ('<nav aria-label="Other administrative pages"><ul>'
            + ''.join(f'<li><a href="{escape(url)}">{escape(text)}</a></li>'
                      for url, text in links) + '</ul></nav>')


def _header(mlist):
    return (f'<h1>{escape(mlist.real_name)} mailing list administration</h1>'
            f'\n<p>List address: <code>{escape(mlist.GetListEmail())}'
            f'</code></p>\n{_other_pages(mlist)}')


def _messages(state):
    out = ''
    if state.alerts:
        out += ''.join(f'<p class="error" role="alert">{text}</p>'
                       for text in state.alerts)
    if state.notices:
        out += ('<div class="notice" role="status"><ul>'
                + ''.join(f'<li>{text}</li>' for text in state.notices)
                + '</ul></div>')
    return out


def render(stdout, request, mlist, session, category, subcat, state):
    title, gui = mlist.GetConfigCategories()[category]
    subtitle = ''
    for name, text in mlist.GetConfigSubCategories(category) or []:
        if name == subcat:
            subtitle = f': {text}'
    if category == MEMBERS:
        from Mailman.Cgi import adminmembers
        content = adminmembers.render(mlist, request, session, subcat)
    elif category == PASSWORDS:
        content = _passwords_form(mlist, session, state)
    else:
        content = _settings_form(gui, mlist, session, category, subcat,
                                 state)
    body = (f'{_header(mlist)}\n{_navigation(mlist, category, subcat)}\n'
            f'<main><h2>{escape(title + subtitle)}</h2>\n{_messages(state)}\n'
            f'{content}</main>')
    Page.respond(stdout, Page.document(
        f'{mlist.real_name} administration: {title}{subtitle}', body,
        lang=mlist.preferred_language), extra_headers=state.headers)


def _settings_form(gui, mlist, session, category, subcat, state):
    info = mlist.GetConfigInfo(category, subcat)
    if not info:
        return '<p>This category has no settings.</p>'
    table = admin_form.settings_table(
        gui, mlist, info, category, subcat, _admin_url(mlist),
        posted=state.posted, errors=state.errors, editors=state.editors)
    submit = (f'<p><input type="submit" name="{admin_form.SUBMIT}" '
              'value="Submit Your Changes"></p>')
    # Enter in a text field presses the form's first button: on a page
    # with editors, that must be this one and not an editor's "add".
    first = submit if admin_form.has_editors(info) else ''
    return (f'<p>{escape(info[0])}</p>\n'
            f'<form method="post" action="'
            f'{escape(_page_url(mlist, category, subcat))}" '
            f'accept-charset="utf-8"{_enctype(info)}>'
            f'{Auth.csrf_field(mlist, session)}\n'
            f'{first}{table}\n{submit}</form>')


def _enctype(info):
    if admin_form.has_uploads(info):
        return ' enctype="multipart/form-data"'
    return ''


def _passwords_form(mlist, session, state):
    rows = []
    for new_field, confirm_field, attribute, what in PASSWORD_FIELDS:
        error = state.errors.get(new_field)
        note = (f'<p class="error" role="alert">{escape(error)}</p>'
                if error else '')
        rows.append(
            f'<tr><th scope="row">{escape(what.capitalize())}</th><td>{note}'
            f'<label for="{new_field}">New password:</label> '
            f'<input type="password" id="{new_field}" name="{new_field}" '
            f'autocomplete="new-password"></td><td>'
            f'<label for="{confirm_field}">Again, to confirm:</label> '
            f'<input type="password" id="{confirm_field}" '
            f'name="{confirm_field}" autocomplete="new-password"></td></tr>')
    return ('<p>The list administrator password opens every administrative '
            'page of the list.  The moderator password opens only the '
            'moderation page.  With the poster password a post can be '
            'approved in its Approved: header.  Leave a pair empty to keep '
            'that password.</p>\n'
            f'<form method="post" action="'
            f'{escape(_page_url(mlist, PASSWORDS))}" accept-charset="utf-8">'
            f'{Auth.csrf_field(mlist, session)}\n'
            '<table><thead><tr><th scope="col">Password</th>'
            '<th scope="col">New</th><th scope="col">Confirm</th></tr>'
            '</thead><tbody>' + ''.join(rows) + '</tbody></table>\n'
            '<p><input type="submit" name="submit" value="Change passwords">'
            '</p></form>')


def varhelp_page(stdout, mlist, session, varhelp):
    found = _find_setting(mlist, varhelp)
    if found is None:
        Page.error_page(stdout, 'No such setting',
                        'The list has no setting by that name.',
                        status='404 Not Found')
        return
    gui, category, subcat, item = found
    description = item[4] if len(item) > 4 else ''
    details = item[5] if len(item) > 5 else ''
    paragraphs = ''.join(f'<p>{escape(p)}</p>'
                         for p in str(details).split('\n\n') if p.strip())
    back = _page_url(mlist, category, subcat)
    body = (f'<h1>{escape(mlist.real_name)}: {escape(item[0])}</h1>\n'
            f'<p><strong>{escape(description)}</strong></p>\n{paragraphs}\n'
            f'{_varhelp_form(gui, mlist, session, back, item)}\n'
            f'<p><a href="{escape(back)}">Back to the '
            f'{escape(gui.GetConfigCategory()[1])} page</a></p>')
    Page.respond(stdout, Page.document(
        f'{mlist.real_name} setting help: {item[0]}', body),
        extra_headers=session.headers)


def _varhelp_form(gui, mlist, session, action, item):
    """2.1's form on the help page for changing just this setting.  It
    posts to the category page, which checks the value, shows any error
    beside the field and saves nothing then."""
    control = admin_form.setting_parts(gui, mlist, item)[2]
    caption = ''
    if admin_form.labelled(item[1]):
        caption = (f'<p><label for="{escape(item[0])}">New value:</label>'
                   '</p>\n')
    if item[1] == mm_cfg.Checkbox:
        # Posted even with every box unticked, so that "none" is seen.
        control = (f'<input type="hidden" name="{escape(item[0])}" '
                   'value="">' + control)
    submit = ('<p><input type="submit" name="change_setting" '
              'value="Change this setting"></p>')
    first = submit if item[1] in admin_form.EDITORS else ''
    return (f'<h2>Change {escape(item[0])}</h2>\n'
            f'<form method="post" action="{escape(action)}" '
            f'accept-charset="utf-8"{_enctype([None, item])}>'
            f'{Auth.csrf_field(mlist, session)}\n'
            f'<input type="hidden" name="{admin_form.ONLY}" '
            f'value="{escape(item[0])}">{first}'
            f'{caption}{control}\n{submit}</form>')


def _find_setting(mlist, varhelp):
    parts = varhelp.strip('/').split('/')
    if len(parts) not in (2, 3):
        return None
    category, attribute = parts[0], parts[-1]
    found = mlist.GetConfigCategories().get(category)
    if found is None:
        return None
    gui = found[1]
    names = _subcat_names(mlist, category)
    if len(parts) == 3:
        if parts[1] not in names:
            return None
        names = [parts[1]]
    for subcat in names or [None]:
        for item in mlist.GetConfigInfo(category, subcat) or []:
            if isinstance(item, tuple) and item[0] == attribute:
                return gui, category, subcat, item
    return None


# ------------------------------------------------------------------ overview
def overview(request, stdout):
    host = request.host()
    shown = escape(host or mm_cfg.DEFAULT_URL_HOST)
    table = (Page.lists_table(request, _admin_url)
             or '<p>There are no advertised lists here.</p>')
    body = (f'<h1>{shown} mailing lists: administration</h1>\n'
            '<p>Follow a list name to reach its administrative pages.  Lists '
            'that are not advertised are not shown; visit '
            '<code>admin/&lt;listname&gt;</code> for those.</p>\n' + table)
    Page.respond(stdout, Page.document(f'{host} mailing list administration',
                                       body))
