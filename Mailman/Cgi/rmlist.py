"""Remove a list from the web: /mailman/rmlist/<list>.

2.1's form: a password, the delarchives box (remove the archives too)
and the doit button.  The list creator's or the site password removes
any list; the list's own administrator password does only when the site
sets OWNERS_CAN_DELETE_THEIR_OWN_LISTS.  The site list cannot be removed
here.  Removal is the code bin/rmlist runs (Mailman.ListLifecycle): the
MTA's aliases, the list's directory and held messages, and with
delarchives its archives.
"""

import contextlib
import io

from Mailman import ListLifecycle
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Cgi import Auth
from Mailman.Cgi import Page
from Mailman.Cgi.Page import escape
from Mailman.Logging.Syslog import syslog


def allowed_roles():
    roles = [mm_cfg.AuthCreator, mm_cfg.AuthSiteAdmin]
    if mm_cfg.OWNERS_CAN_DELETE_THEIR_OWN_LISTS:
        roles.append(mm_cfg.AuthListAdmin)
    return roles


def is_site_list(mlist):
    return mlist.internal_name() == mm_cfg.MAILMAN_SITE_LIST.lower()


def confirm_page(stdout, mlist, message='', status='200 OK'):
    name = escape(mlist.real_name)
    title = f'Permanently remove mailing list {mlist.real_name}'
    who = ("the list creator's or the site password"
           if not mm_cfg.OWNERS_CAN_DELETE_THEIR_OWN_LISTS else
           "the list's administrator password, the list creator's or the "
           "site password")
    note = f'<p class="error" role="alert">{escape(message)}</p>' \
        if message else ''
    body = f'''<h1>{escape(title)}</h1>
{note}
<p>This page removes the mailing list {name} for good: its members,
settings and held messages are deleted and its addresses stop working.
This cannot be undone.  To go ahead, give {escape(who)}.</p>
<form method="post" action="{escape(mlist.GetScriptURL('rmlist', 1))}">
<p><label for="password">Password:</label>
<input type="password" id="password" name="password" size="20"
 autocomplete="current-password" required></p>
<p><input type="checkbox" id="delarchives" name="delarchives" value="1">
<label for="delarchives">Also remove the list's archives</label></p>
<p><input type="submit" name="doit" value="Delete this list"></p>
</form>
<p><a href="{escape(mlist.GetScriptURL('admin', 1))}">Cancel and return
to the list's administration pages</a></p>'''
    Page.respond(stdout, Page.document(title, body), status=status)


def refuse_site_list(stdout, mlist):
    Page.error_page(stdout, 'The site list cannot be removed',
                    f'{mlist.real_name} is the site list, which Mailman '
                    'itself needs; it cannot be removed from the web.',
                    status='403 Forbidden')


def remove(mlist, delete_archives):
    """Remove MLIST with the shared code; returns what it reported."""
    said = []
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        ListLifecycle.remove_list(mlist.internal_name(), delete_archives,
                                  out=said.append)
    return '\n'.join(said + [printed.getvalue()]).strip()


def result_page(stdout, request, mlist, delete_archives, report):
    name = escape(mlist.real_name)
    archives = ('Its archives were removed too.' if delete_archives else
                'Its archives were kept.')
    overview = mlist.web_page_url.rstrip('/') + f'/listinfo{mm_cfg.CGIEXT}'
    details = f'<pre>{escape(report)}</pre>' if report else ''
    body = (f'<h1>Mailing list {name} removed</h1>\n'
            f'<p>The mailing list {name} has been removed.  '
            f'{escape(archives)}</p>\n{details}\n'
            f'<p><a href="{escape(overview)}">All mailing lists on this '
            'site</a></p>')
    Page.respond(stdout, Page.document(f'{mlist.real_name} removed', body))


def main(environ, stdout):
    request, mlist = Page.request_and_list(environ, stdout)
    if mlist is None:
        return
    if is_site_list(mlist):
        refuse_site_list(stdout, mlist)
        return
    if request.method != 'POST' or not request.has('doit'):
        confirm_page(stdout, mlist)
        return
    password = request.form.get('password', [''])[0]
    try:
        session = Auth.login(environ, mlist, allowed_roles(), password)
    except Auth.TooManyAttempts:
        Auth.too_many_attempts_page(stdout)
        return
    if session is None:
        syslog('security', 'Authorization failed (rmlist): list=%s: '
               'remote=%s', mlist.internal_name(),
               Utils.log_safe(request.remote))
        if not mm_cfg.OWNERS_CAN_DELETE_THEIR_OWN_LISTS and \
                mlist.Authenticate([mm_cfg.AuthListAdmin], password) \
                != mm_cfg.UnAuthorized:
            syslog('mischief', 'Attempt to delete list %s by its owner, '
                   'which this site does not allow: remote=%s',
                   mlist.internal_name(), Utils.log_safe(request.remote))
        confirm_page(stdout, mlist, 'You are not authorized to delete this '
                     'mailing list.', status='401 Unauthorized')
        return
    # The login's cookie (site or list administrator) is not sent: this
    # page opens nothing else.
    delete_archives = request.get('delarchives') in ('1', 'on')
    report = remove(mlist, delete_archives)
    result_page(stdout, request, mlist, delete_archives, report)
