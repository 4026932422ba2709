"""Filling the `<MM-...>` tags of the web page templates.

Templates (listinfo.html, subscribe.html and the sites' customised copies)
contain tags such as <MM-List-Name> or <MM-Subscribe-Form-Start>, matched
case-insensitively.  `fill_template()` replaces each known tag with HTML
built here; every list, owner or user value is escaped on the way in.
Unknown tags are left as they are, so a misspelt tag shows up on the page
instead of vanishing.
"""

import html
import re

from Mailman import Utils
from Mailman import mm_cfg

_TAG = re.compile(r'<(/?)mm-([a-z0-9-]+)\s*/?>', re.IGNORECASE)


def escape(value):
    return '' if value is None else html.escape(str(value), quote=True)


class Context:
    """What the tags of one page may draw on."""

    def __init__(self, mlist, lang='en', remote='', sub_form_token=None,
                 results='', captcha=''):
        self.mlist = mlist
        self.lang = lang
        self.remote = remote
        self.sub_form_token = sub_form_token
        self.results = results          # already-safe HTML
        self.captcha = captcha          # already-safe HTML (the page's)


def _form_start(action, extra=''):
    return (f'<form method="post" action="{escape(action)}" '
            f'accept-charset="utf-8"{extra}>')


def _archive_start(ctx):
    m = ctx.mlist
    if not getattr(m, 'archive', 0):
        return ''
    return f'<a href="{escape(m.GetBaseArchiveURL())}">'


def _archive_end(ctx):
    return '</a>' if getattr(ctx.mlist, 'archive', 0) else ''


def _restricted_message(ctx):
    roster = getattr(ctx.mlist, 'private_roster', 0)
    if roster == 1:
        return ('The subscribers list is only available to the list '
                'members.')
    if roster == 2:
        return ('The subscribers list is only available to the list '
                'administrator.')
    return ''


def _roster_option(ctx):
    roster = getattr(ctx.mlist, 'private_roster', 0)
    if roster == 0:
        button = 'Visit Subscriber List'
        prompt = ''
    else:
        who = 'member' if roster == 1 else 'administrator'
        prompt = (f'<label>{escape(who.capitalize())} address: '
                  '<input type="email" name="roster-email" size="30"></label>'
                  '<br><label>Password: <input type="password" '
                  'name="roster-pw" size="15" autocomplete="current-password">'
                  '</label><br>')
        button = 'Visit Subscriber List'
    return (f'{prompt}<input type="submit" name="SubscriberRoster" '
            f'value="{escape(button)}">')


def _language_select(ctx, name='language'):
    m = ctx.mlist
    options = []
    for lang in m.GetAvailableLanguages():
        selected = ' selected' if lang == ctx.lang else ''
        options.append(f'<option value="{escape(lang)}"{selected}>'
                       f'{escape(Utils.GetLanguageDescr(lang))}</option>')
    if len(options) < 2:
        return escape(Utils.GetLanguageDescr(ctx.lang))
    return f'<select name="{name}">' + ''.join(options) + '</select>'


def _digest_radio(ctx, digest):
    m = ctx.mlist
    if not m.digestable or not m.nondigestable:
        # No choice to make; say what the member gets.
        only = bool(m.digestable and not m.nondigestable)
        if only != digest:
            return ''
        return (f'<input type="hidden" name="digest" value="{int(digest)}">'
                + ('Yes' if digest else 'No'))
    checked = ' checked' if bool(m.digest_is_default) == digest else ''
    return (f'<input type="radio" name="digest" value="{int(digest)}"'
            f'{checked}>')


def _footer(ctx):
    m = ctx.mlist
    name = escape(m.real_name)
    home = escape(m.GetScriptURL('listinfo', absolute=1))
    owners = escape(m.GetOwnerEmail())
    admin = escape(m.GetScriptURL('admin', absolute=1))
    base = m.web_page_url if m.web_page_url.endswith('/') \
        else m.web_page_url + '/'
    overview = f'{base}listinfo{mm_cfg.CGIEXT}'
    return ('<hr><footer><p>'
            f'<a href="{home}">{name}</a> list run by '
            f'<a href="mailto:{owners}">{owners}</a><br>'
            f'<a href="{admin}">{name} administrative interface</a> '
            '(requires authorization)<br>'
            f'<a href="{escape(overview)}">'
            f'Overview of all {escape(m.host_name)} mailing lists</a></p>'
            f'<p>Delivered by <a href="{escape(mm_cfg.MAILMAN_URL)}">'
            'GNU Mailman</a></p></footer>')


def _handlers():
    def list_attr(name):
        return lambda ctx: escape(getattr(ctx.mlist, name, '') or '')

    def info(ctx):
        text = escape(ctx.mlist.info or '')
        return text.replace('\n', '<br>\n')

    def subscribe_form_start(ctx):
        m = ctx.mlist
        token = ''
        if ctx.sub_form_token:
            token = (f'<input type="hidden" name="sub_form_token" '
                     f'value="{escape(ctx.sub_form_token)}">')
        return _form_start(m.GetScriptURL('subscribe', absolute=1)) + token

    def users(digest):
        def count(ctx):
            m = ctx.mlist
            keys = m.getDigestMemberKeys() if digest \
                else m.getRegularMemberKeys()
            return str(len(keys))
        return count

    return {
        'list-name': list_attr('real_name'),
        'description': list_attr('description'),
        'info': info,
        'list-info': info,
        'posting-addr': lambda c: escape(c.mlist.GetListEmail()),
        'request-addr': lambda c: escape(c.mlist.GetRequestEmail()),
        'owner': lambda c: escape(c.mlist.GetOwnerEmail()),
        'host': lambda c: escape(c.mlist.host_name),
        'subscribe-form-start': subscribe_form_start,
        'subscribe-box': lambda c: ('<input type="email" name="email" '
                                    'id="mm-email" size="30" required '
                                    'autocomplete="email">'),
        'fullname-box': lambda c: ('<input type="text" name="fullname" '
                                   'id="mm-fullname" size="30" '
                                   'autocomplete="name">'),
        'new-password-box': lambda c: ('<input type="password" name="pw" '
                                       'id="mm-pw" size="15" '
                                       'autocomplete="new-password">'),
        'confirm-password': lambda c: ('<input type="password" '
                                       'name="pw-conf" id="mm-pw-conf" '
                                       'size="15" autocomplete="new-password">'),
        'digest-radio-button': lambda c: _digest_radio(c, True),
        'undigest-radio-button': lambda c: _digest_radio(c, False),
        'subscribe-button': lambda c: ('<input type="submit" '
                                       'name="email-button" value="Subscribe">'),
        'form-end': lambda c: '</form>',
        'roster-form-start': lambda c: _form_start(
            c.mlist.GetScriptURL('roster', absolute=1)),
        'roster-option': _roster_option,
        'restricted-list-message': _restricted_message,
        'options-form-start': lambda c: _form_start(
            c.mlist.GetScriptURL('options', absolute=1)),
        'editing-options': lambda c: (
            '<input type="email" name="email" size="30"> '
            '<input type="submit" name="UserOptions" '
            'value="Unsubscribe or edit options">'),
        'list-langs': _language_select,
        'displang-box': _language_select,
        'lang-form-start': lambda c: _form_start(
            c.mlist.GetScriptURL('listinfo', absolute=1)),
        'archive': _archive_start,
        '/archive': _archive_end,
        'favicon': lambda c: '',
        'captcha-ui': lambda c: getattr(c, 'captcha', ''),
        'num-reg-users': users(False),
        'num-digesters': users(True),
        'mailman-footer': _footer,
        'results': lambda c: c.results,
    }


HANDLERS = _handlers()


def fill_template(text, ctx):
    """TEXT with its <MM-...> tags replaced for CTX."""
    def replace(match):
        closing, name = match.group(1), match.group(2).lower()
        handler = HANDLERS.get(closing + name)
        if handler is None:
            return match.group(0)
        return handler(ctx)
    return _TAG.sub(replace, text)


def render(template, ctx):
    """The list's (or site's) copy of TEMPLATE, filled for CTX."""
    text = Utils.maketext(template, raw=True, lang=ctx.lang, mlist=ctx.mlist)
    return fill_template(text, ctx)
