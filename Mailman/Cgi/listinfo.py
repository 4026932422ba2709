"""The list information page, and with no list the overview of lists."""


from Mailman import mm_cfg
from Mailman import HTMLFormatter
from Mailman.Cgi import Captcha
from Mailman.Cgi import Page
from Mailman.Cgi.Page import escape


def overview(request, stdout):
    host = request.host()
    shown = escape(host or mm_cfg.DEFAULT_URL_HOST)
    table = Page.lists_table(
        request, lambda mlist: mlist.GetScriptURL('listinfo', 1))
    if table:
        intro = (f'<p>Below are the public mailing lists on {shown}.  '
                 'Follow a list name to read about it, join it, or change '
                 'your settings as a member.</p>')
    else:
        intro = f'<p>There are no public mailing lists on {shown}.</p>'
    body = (f'<h1>{shown} mailing lists</h1>\n{intro}\n{table}\n'
            '<p>Lists that are not advertised are not shown; visit a list\'s '
            'own page at <code>listinfo/&lt;listname&gt;</code>.</p>')
    Page.respond(stdout, Page.document(f'{host or ""} mailing lists', body))


def list_page(request, stdout, mlist, lang=None):
    lang = lang or request.get('language') or mlist.preferred_language
    if lang not in mlist.GetAvailableLanguages():
        lang = mlist.preferred_language
    token = Page.make_subscribe_token(mlist.internal_name(), request.remote)
    ctx = HTMLFormatter.Context(
        mlist, lang=lang, remote=request.remote, sub_form_token=token,
        captcha=Captcha.form_fields(lang, token))
    Page.respond(stdout, HTMLFormatter.render('listinfo.html', ctx))


def main(environ, stdout):
    request, mlist = Page.request_and_list(environ, stdout, overview)
    if mlist is None:
        return
    list_page(request, stdout, mlist)
