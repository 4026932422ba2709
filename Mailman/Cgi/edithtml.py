"""Editing a list's own copies of its public pages and notices:
/edithtml/<list> lists the templates, /edithtml/<list>/<template> edits one
(2.1's form field html_code; ?lang= picks one of the list's languages).

A copy is saved to lists/<list>/<lang>/<template>, where the template
lookup (Utils.findtext) finds it before the site's and the distribution's.
A text is refused, and nothing saved, when it uses an <MM-...> tag or a
%(name)s substitution that the page or notice does not fill in, or a lone
% where substitutions are made (which would break the notice).
"""

import os
import re
import tempfile

from Mailman import Utils
from Mailman import mm_cfg
from Mailman import HTMLFormatter
from Mailman.Cgi import Auth
from Mailman.Cgi import Page
from Mailman.Cgi import admin
from Mailman.Cgi.Page import escape

# 2.1's editable templates, in its order, with what each one is.
TEMPLATES = (
    ('listinfo.html', 'General list information page'),
    ('subscribe.html', 'Subscribe results page'),
    ('options.html', 'User specific options page'),
    ('subscribeack.txt', 'Welcome email text file'),
    ('masthead.txt', 'Digest masthead'),
    ('postheld.txt', 'User notice of held post'),
    ('approve.txt', 'User notice of held subscription'),
    ('refuse.txt', 'Notice of post refused by moderator'),
    ('invite.txt', 'Invitation to join list'),
    ('verify.txt', 'Request to confirm subscription'),
    ('unsub.txt', 'Request to confirm unsubscription'),
    ('nomoretoday.txt', 'User notice of autoresponse limit'),
    ('postack.txt', 'User post acknowledgement'),
    ('disabled.txt', 'Subscription disabled by bounce warning'),
    ('userpass.txt', 'Request to confirm password reminder'),
    ('admlogin.html', 'Admin/moderator login page'),
    ('private.html', 'Private archive login page'),
)
FIELD = 'html_code'
MM_TAG = re.compile(r'<(/?)mm-([a-z0-9-]+)', re.IGNORECASE)
SUBSTITUTION = re.compile(r'%\(([^)]*)\)')


# ------------------------------------------------------------------ templates
def _distributed(template, lang):
    """The texts the site and the distribution ship for TEMPLATE: what a
    list's copy may draw on."""
    texts = []
    for language in dict.fromkeys((lang, 'en')):
        for directory in (os.path.join(mm_cfg.TEMPLATE_DIR, 'site'),
                          mm_cfg.TEMPLATE_DIR):
            path = os.path.join(directory, language, template)
            try:
                with open(path, 'rb') as f:
                    texts.append(f.read().decode('utf-8', 'replace'))
            except OSError:
                continue
    return texts


def available_templates():
    """(name, description) of the editable templates this site has."""
    return [(name, text) for name, text in TEMPLATES
            if _distributed(name, 'en')]


def _tags(text):
    return {(closing + name).lower() for closing, name in MM_TAG.findall(text)}


# What could run code in a visitor's browser (every page also forbids
# scripts by its Content-Security-Policy; this says so to the owner).
ACTIVE_CONTENT = re.compile(
    r'<\s*(script|iframe|object|embed|applet)\b'
    r'|\bon[a-z]+\s*='
    r'|javascript\s*:', re.IGNORECASE)


def problems(template, text, lang):
    """Why TEXT cannot be TEMPLATE's new text (a list of messages)."""
    originals = _distributed(template, lang)
    known_tags = set(HTMLFormatter.HANDLERS)
    known_names = set()
    substituted = False
    for original in originals:
        known_tags |= _tags(original)
        names = SUBSTITUTION.findall(original)
        known_names.update(names)
        substituted = substituted or bool(names)
    found = []
    unknown_tags = sorted(_tags(text) - known_tags)
    if unknown_tags:
        found.append('Unknown tags: ' + ', '.join(
            f'<mm-{tag}>' for tag in unknown_tags) + '.  Use only the tags '
            'the original template uses.')
    unknown_names = sorted(set(SUBSTITUTION.findall(text)) - known_names)
    if unknown_names:
        found.append('Unknown substitutions: ' + ', '.join(
            f'%({name})s' for name in unknown_names) + '.  Use only the '
            'substitutions the original template uses.')
    if template.endswith('.html') and ACTIVE_CONTENT.search(text):
        found.append('Scripts, event handler attributes (onclick=...), '
                     'javascript: links and embedded objects are not allowed '
                     'in the pages: they would run in the browsers of '
                     'everyone who visits this site, administrators '
                     'included.')
    if substituted and not unknown_names:
        class Blank(dict):
            def __missing__(self, key):
                return ''
        try:
            text % Blank()
        except (ValueError, TypeError):
            found.append('The text has a % sign that does not start a '
                         '%(name)s substitution; write %% for a percent '
                         'sign.')
    return found


def save(mlist, template, lang, text):
    """Write TEXT as the list's copy of TEMPLATE, replacing any old copy in
    one step (a reader sees the old text or the new, never part of it)."""
    directory = os.path.join(mlist.fullpath(), lang)
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f'.{template}.', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(text.encode('utf-8'))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o664)
        os.replace(temporary, os.path.join(directory, template))
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


# ------------------------------------------------------------------ pages
def main(environ, stdout):
    request = Page.parse_request(environ, stdout)
    if request is None:
        return
    if not request.parts:
        Page.error_page(stdout, 'No list named',
                        'The page needs a list name: edithtml/<listname>.',
                        status='404 Not Found')
        return
    mlist = Page.open_list(request, stdout)
    if mlist is None:
        return
    rest = request.rest
    names = dict(available_templates())
    if len(rest) > 1 or (rest and rest[0] not in names):
        Page.error_page(stdout, 'No such template',
                        'This list has no editable template by that name.',
                        status='404 Not Found')
        return
    action = mlist.GetScriptURL('edithtml', 1)
    if rest:
        action += '/' + rest[0]
    session = Auth.from_cookies(environ, mlist, admin.ROLES)
    if session is None and request.has('adminpw'):
        try:
            session = Auth.login(environ, mlist, admin.ROLES,
                                 request.get('adminpw'))
        except Auth.TooManyAttempts:
            Auth.too_many_attempts_page(stdout)
            return
        if session is None:
            admin.login_page(stdout, mlist, action, 'Authorization failed.',
                             status='401 Unauthorized')
            return
    if session is None:
        admin.login_page(stdout, mlist, action)
        return
    if not rest:
        index_page(stdout, mlist, session)
        return
    edit_page(stdout, request, mlist, session, rest[0], names[rest[0]])


def _top(mlist):
    return (f'<h1>{escape(mlist.real_name)}: public pages and notices</h1>\n'
            f'<p><a href="{escape(mlist.GetScriptURL("admin", 1))}">'
            'Back to the list administration pages</a> · '
            f'<a href="{escape(mlist.GetScriptURL("edithtml", 1))}">'
            'All editable templates</a></p>')


def index_page(stdout, mlist, session):
    rows = ''.join(
        f'<tr><td><a href="{escape(mlist.GetScriptURL("edithtml", 1))}/'
        f'{escape(name)}">{escape(name)}</a></td><td>{escape(text)}</td></tr>'
        for name, text in available_templates())
    body = (_top(mlist) + '\n<p>Choose the page or notice to change.  The '
            'list keeps its own copy; the site\'s text is left as it is.</p>'
            '\n<table><thead><tr><th scope="col">Template</th>'
            '<th scope="col">What it is</th></tr></thead><tbody>'
            f'{rows}</tbody></table>')
    Page.respond(stdout, Page.document(
        f'{mlist.real_name}: public pages and notices', body),
        extra_headers=session.headers)


def _language(request, mlist):
    lang = request.get('lang')
    available = mlist.GetAvailableLanguages()
    return lang if lang in available else mlist.preferred_language


def edit_page(stdout, request, mlist, session, template, description):
    lang = _language(request, mlist)
    messages, text = [], None
    if request.method == 'POST' and request.has(FIELD):
        posted = request.form[FIELD][0].replace('\r\n', '\n')
        if not Auth.form_is_genuine(request, mlist, session,
                                    password_field='adminpw'):
            messages.append(('error', admin.NOT_GENUINE))
            text = posted
        else:
            found = problems(template, posted, lang)
            if found:
                messages.extend(('error', message) for message in found)
                messages.append(('error', 'Nothing was saved.'))
                text = posted
            else:
                save(mlist, template, lang, posted)
                messages.append(('notice', 'The template was saved.'))
    if text is None:
        try:
            text = Utils.findtext(template, raw=True, lang=lang,
                                  mlist=mlist)[0]
        except FileNotFoundError:
            text = ''
    notes = ''.join(f'<p class="{kind}" role="'
                    f'{"alert" if kind == "error" else "status"}">'
                    f'{escape(message)}</p>' for kind, message in messages)
    url = f'{mlist.GetScriptURL("edithtml", 1)}/{template}'
    languages = mlist.GetAvailableLanguages()
    chooser = ''
    if len(languages) > 1:
        options = ''.join(
            f'<option value="{escape(code)}"'
            f'{" selected" if code == lang else ""}>'
            f'{escape(Utils.GetLanguageDescr(code))}</option>'
            for code in languages)
        chooser = (f'<form method="get" action="{escape(url)}"><p>'
                   '<label for="lang">Language:</label> '
                   f'<select id="lang" name="lang">{options}</select> '
                   '<input type="submit" value="Show"></p></form>')
    body = (f'{_top(mlist)}\n<h2>{escape(template)}: {escape(description)}'
            f'</h2>\n{notes}\n{chooser}\n'
            f'<form method="post" action="{escape(url)}" '
            f'accept-charset="utf-8">{Auth.csrf_field(mlist, session)}'
            f'<input type="hidden" name="lang" value="{escape(lang)}">\n'
            f'<p><label for="{FIELD}">Text of {escape(template)} '
            f'({escape(lang)}):</label></p>\n'
            # A newline after <textarea> is dropped by the parser; writing
            # one keeps a leading blank line of the text.
            f'<textarea id="{FIELD}" name="{FIELD}" rows="30" cols="80">\n'
            f'{escape(text)}</textarea>\n'
            '<p><input type="submit" name="submit" value="Submit Changes">'
            '</p></form>')
    Page.respond(stdout, Page.document(
        f'{mlist.real_name}: {template}', body),
        extra_headers=session.headers)
