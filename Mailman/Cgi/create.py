"""Create a list from the web: /mailman/create.

2.1's form and field names: listname, owner, autogen (make up the
password), password and confirm, notify (mail the owner), langs,
moderate (new members moderated), auth (the list creator's or the site
password) and the doit button.  The list is made by the same code as
bin/newlist (Mailman.ListLifecycle), which also tells the MTA about it;
what the MTA module prints for a person to do (MTA = 'Manual') is shown
on the result page.

The password travels with the form, so a forged form cannot create a
list; attempts are rate-limited per client.
"""

import contextlib
import io

from Mailman import Errors
from Mailman import ListLifecycle
from Mailman import Passwords
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Cgi import Page
from Mailman.Cgi.Page import escape
from Mailman.Logging.Syslog import syslog

# Create attempts one client may make within ATTEMPT_WINDOW seconds.
ATTEMPT_LIMIT = 10
ATTEMPT_WINDOW = 300
TITLE = 'Create a mailing list'


class FormErrors(dict):
    """Field name -> message, for the fields that need another look."""


# ------------------------------------------------------------------ checks
def check_authorization(password):
    """True if PASSWORD is the list creator's or the site password."""
    if not password:
        return False
    return (Utils.check_global_password(password, siteadmin=False) or
            Utils.check_global_password(password, siteadmin=True))


def _without_port(host):
    if host.startswith('['):
        return host.split(']')[0] + ']'
    return host.split(':')[0]


def web_hosts(request):
    """(urlhost, emailhost) for the new list, or None when the site lists
    its virtual hosts (VIRTUAL_HOST_OVERVIEW) and the visitor used none of
    them.  As in 2.1, without VIRTUAL_HOST_OVERVIEW every list gets the
    default host; the Host header a browser sends is not trusted."""
    if not mm_cfg.VIRTUAL_HOST_OVERVIEW:
        return mm_cfg.DEFAULT_URL_HOST, mm_cfg.DEFAULT_EMAIL_HOST
    used = (request.environ.get('HTTP_HOST') or
            request.environ.get('SERVER_NAME') or '').strip().lower()
    if not used:
        return mm_cfg.DEFAULT_URL_HOST, mm_cfg.DEFAULT_EMAIL_HOST
    known = [mm_cfg.DEFAULT_URL_HOST] + list(mm_cfg.VIRTUAL_HOSTS)
    # The configured spelling wins; a port on either side may differ
    # (a development server's, a proxy's).
    for host in known:
        if host.lower() == used:
            break
    else:
        for host in known:
            if _without_port(host.lower()) == _without_port(used):
                break
        else:
            return None
    _, urlhost, emailhost = ListLifecycle.split_hosts('x', urlhost=host)
    return urlhost, emailhost


def chosen_languages(request):
    langs = [lang for lang in request.form.get('langs', [])
             if lang in mm_cfg.LC_DESCRIPTIONS]
    langs = list(dict.fromkeys(langs)) or [mm_cfg.DEFAULT_SERVER_LANGUAGE]
    if mm_cfg.DEFAULT_SERVER_LANGUAGE in langs:
        # The server's language is the list's preferred one when chosen.
        langs.remove(mm_cfg.DEFAULT_SERVER_LANGUAGE)
        langs.insert(0, mm_cfg.DEFAULT_SERVER_LANGUAGE)
    return langs


def validate(request):
    """(values, errors) of the posted form; values hold the list name,
    owner and password to use."""
    errors = FormErrors()
    name = request.get('listname').lower()
    owner = request.get('owner')
    if not name:
        errors['listname'] = 'Enter the name of the list.'
    elif '@' in name:
        errors['listname'] = 'The list name must not include "@".'
    elif len(name) > Utils.LONGEST_LIST_NAME:
        errors['listname'] = ('The list name must be at most '
                              f'{Utils.LONGEST_LIST_NAME} characters long.')
    elif not Utils.valid_list_name(name):
        errors['listname'] = 'This is not an acceptable list name.'
    elif Utils.list_exists(name):
        errors['listname'] = 'A list of this name already exists.'
    if not owner:
        errors['owner'] = 'Enter the address of the list owner.'
    else:
        try:
            Utils.ValidateEmail(owner)
        except (Errors.MMBadEmailError, Errors.MMHostileAddress):
            errors['owner'] = 'This is not a valid email address.'
    autogen = request.get('autogen') == '1'
    password = request.form.get('password', [''])[0]
    if autogen:
        password = Utils.MakeRandomPassword(mm_cfg.ADMIN_PASSWORD_LENGTH)
    elif not password:
        errors['password'] = ('Enter the initial list password, or let '
                              'Mailman make one up.')
    elif password != request.form.get('confirm', [''])[0]:
        errors['confirm'] = 'The two passwords differ.'
    elif len(password) > Passwords.MAX_LENGTH:
        errors['password'] = ('The password may have at most '
                              f'{Passwords.MAX_LENGTH} characters.')
    values = {'listname': name, 'owner': owner, 'password': password,
              'autogen': autogen, 'langs': chosen_languages(request),
              'notify': request.get('notify', '1') == '1',
              'moderate': request.get('moderate') == '1'}
    return values, errors


# ------------------------------------------------------------------ the work
def make_list(values, urlhost, emailhost):
    """Create the list; returns (mlist, what the MTA module printed)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        mlist = ListLifecycle.create_list(
            values['listname'], values['owner'], values['password'],
            language=values['langs'][0], urlhost=urlhost,
            emailhost=emailhost)
    mlist.Lock()
    try:
        mlist.available_languages = values['langs']
        mlist.default_member_moderation = int(values['moderate'])
        mlist.Save()
    finally:
        mlist.Unlock()
    return mlist, printed.getvalue()


# ------------------------------------------------------------------ pages
def _error(errors, field):
    if field not in errors:
        return ''
    return (f' <strong class="error" id="{field}-error">'
            f'{escape(errors[field])}</strong>')


def _radio_pair(name, legend, chosen, yes='Yes', no='No'):
    buttons = []
    for value, label in (('1', yes), ('0', no)):
        checked = ' checked' if chosen == value else ''
        buttons.append(f'<label><input type="radio" name="{name}" '
                       f'value="{value}"{checked}> {escape(label)}</label>')
    return (f'<fieldset><legend>{escape(legend)}</legend> '
            + ' '.join(buttons) + '</fieldset>')


def form_page(stdout, request, message='', errors=None, status='200 OK'):
    errors = errors or {}
    action = request.environ.get('SCRIPT_NAME') or \
        f'/mailman/create{mm_cfg.CGIEXT}'
    chosen_langs = request.form.get('langs') or \
        [mm_cfg.DEFAULT_SERVER_LANGUAGE]
    options = ''.join(
        f'<option value="{escape(code)}"'
        f'{" selected" if code in chosen_langs else ""}>'
        f'{escape(Utils.GetLanguageDescr(code))}</option>'
        for code in sorted(mm_cfg.LC_DESCRIPTIONS))
    moderate = request.get('moderate') or \
        ('1' if mm_cfg.DEFAULT_DEFAULT_MEMBER_MODERATION else '0')
    note = f'<p class="error" role="alert">{escape(message)}</p>' \
        if message else ''

    def text_field(name, label, kind='text', value=''):
        described = f' aria-describedby="{name}-error"' \
            if name in errors else ''
        return (f'<p><label for="{name}">{escape(label)}</label> '
                f'<input type="{kind}" id="{name}" name="{name}" '
                f'value="{escape(value)}" size="30"{described}>'
                f'{_error(errors, name)}</p>')

    body = f'''<h1>{escape(TITLE)}</h1>
{note}
<p>Fill in the form below to create a new mailing list.  The list's owner
can change every other setting on the list's administration pages.  You
need the list creator's password or the site password.</p>
<form method="post" action="{escape(action)}">
<h2>The list</h2>
{text_field('listname', 'Name of the list:', value=request.get('listname'))}
{text_field('owner', 'Email address of the initial list owner:',
            'email', request.get('owner'))}
{_radio_pair('autogen', 'Make up the initial list password?',
             request.get('autogen') or '0')}
{text_field('password', 'Initial list password:', 'password')}
{text_field('confirm', 'Confirm the initial password:', 'password')}
{_radio_pair('moderate', 'Moderate the postings of new members?',
             moderate)}
<p><label for="langs">Languages the list supports:</label>
<select id="langs" name="langs" multiple>{options}</select></p>
{_radio_pair('notify', 'Send a "list created" email to the list owner?',
             request.get('notify') or '1')}
<h2>Your authorization</h2>
{text_field('auth', "List creator's (or site) password:", 'password')}
<p><input type="submit" name="doit" value="Create List">
<input type="reset" name="clear" value="Clear Form"></p>
</form>'''
    Page.respond(stdout, Page.document(TITLE, body), status=status)


def result_page(stdout, request, mlist, values, mta_text):
    name = escape(mlist.real_name)
    owner = escape(values['owner'])
    told = (f'A notice has been sent to the list owner, {owner}.'
            if values['notify'] else
            f'No notice was sent to the list owner, {owner}.')
    password = ''
    if values['autogen'] and not values['notify']:
        password = ('<p>The initial list password is <code>'
                    f'{escape(values["password"])}</code>; please keep it '
                    'safe.</p>')
    mta = ''
    if mta_text.strip():
        mta = f'<h2>For the mail server</h2>\n<pre>{escape(mta_text)}</pre>'
    again = request.environ.get('SCRIPT_NAME') or \
        f'/mailman/create{mm_cfg.CGIEXT}'
    body = f'''<h1>Mailing list {name} created</h1>
<p>The mailing list {name} has been created.  {told}</p>
{password}
<ul>
<li><a href="{escape(mlist.GetScriptURL('listinfo', 1))}">The list's
information page</a></li>
<li><a href="{escape(mlist.GetScriptURL('admin', 1))}">The list's
administration pages</a></li>
<li><a href="{escape(again)}">Create another
list</a></li>
</ul>
{mta}'''
    Page.respond(stdout, Page.document(f'{mlist.real_name} created', body))


def main(environ, stdout):
    request = Page.parse_request(environ, stdout)
    if request is None:
        return
    if request.parts:
        Page.error_page(stdout, 'Not found',
                        'The list creation page takes no path.',
                        status='404 Not Found')
        return
    if request.method != 'POST' or not request.has('doit'):
        message = ''
        if request.has('doit'):
            message = 'Please send the form with its button; nothing was done.'
        form_page(stdout, request, message)
        return
    if Page.rate_limited('create', request.remote, ATTEMPT_LIMIT,
                         window=ATTEMPT_WINDOW):
        form_page(stdout, request,
                  'Too many attempts came from your address.  Please wait '
                  'a few minutes before you try again.',
                  status='429 Too Many Requests')
        return
    if not check_authorization(request.form.get('auth', [''])[0]):
        syslog('security', 'Authorization failed (create): remote=%s',
               Utils.log_safe(request.remote))
        form_page(stdout, request, 'You are not authorized to create new '
                  'mailing lists.',
                  {'auth': 'This is not the list creator\'s or the site '
                   'password.'}, status='401 Unauthorized')
        return
    hosts = web_hosts(request)
    if hosts is None:
        form_page(stdout, request,
                  f'Unknown virtual host: {request.host()}.  Lists can be '
                  'created only on the hosts this site serves.')
        return
    values, errors = validate(request)
    if errors:
        form_page(stdout, request, 'Please correct the fields marked below; '
                  'no list was created.', errors)
        return
    try:
        mlist, mta_text = make_list(values, *hosts)
    except Errors.MMListAlreadyExistsError:
        form_page(stdout, request, 'No list was created.',
                  {'listname': 'A list of this name already exists.'})
        return
    except Errors.BadListNameError:
        form_page(stdout, request, 'No list was created.',
                  {'listname': 'This is not an acceptable list name.'})
        return
    except (Errors.MMBadEmailError, Errors.MMHostileAddress):
        form_page(stdout, request, 'No list was created.',
                  {'owner': 'This is not a valid email address.'})
        return
    except ValueError as error:
        form_page(stdout, request, f'No list was created: {error}')
        return
    if values['notify']:
        ListLifecycle.send_new_list_notice(mlist, values['password'])
    result_page(stdout, request, mlist, values, mta_text)
