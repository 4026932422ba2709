"""The <MM-...> tags of options.html, 2.1's member options template.

Tags shared with the other pages (list name, footer, form end, ...) come
from Mailman.HTMLFormatter; the ones only this page has are here, and win
where both define a name (the digest radio buttons mean the member's own
setting here, the list's default on the listinfo page).  Tags this release
adds: <MM-Reenable-Button>, <MM-Global-Digest-Button>,
<MM-Global-Dontreceive-Button>, <MM-Global-Ackposts-Button>,
<MM-Global-Conceal-Button>, <MM-Global-Language-Button>,
<MM-Admin-Notice>, <MM-Page-Style>, and <MM-Field-Error-NAME> (the error
for form field NAME, if any).
"""

import re
import time

from Mailman import HTMLFormatter
from Mailman import MemberAdaptor
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.HTMLFormatter import escape

_TAG = re.compile(r'<(/?)mm-([a-z0-9-]+)\s*/?>', re.IGNORECASE)
_ERROR_TAG = 'field-error-'

# Form field of each member option flag, as 2.1 named them; the field's
# value is 1 when the flag is set.
OPTION_FIELDS = (
    ('digest', mm_cfg.Digests),
    ('mime', mm_cfg.DisableMime),
    ('dontreceive', mm_cfg.DontReceiveOwnPosts),
    ('ackposts', mm_cfg.AcknowledgePosts),
    ('disablemail', mm_cfg.DisableDelivery),
    ('conceal', mm_cfg.ConcealSubscription),
    ('remind', mm_cfg.SuppressPasswordReminder),
    ('rcvtopic', mm_cfg.ReceiveNonmatchingTopics),
    ('nodupes', mm_cfg.DontReceiveDuplicates),
)
FIELD_OF_FLAG = {flag: field for field, flag in OPTION_FIELDS}

# The "set globally" box of each option that has one: 2.1's four
# (deliver, mime, remind, nodupes) and this release's others.
GLOBAL_FIELDS = {
    'disablemail': 'deliver-globally',
    'mime': 'mime-globally',
    'remind': 'remind-globally',
    'nodupes': 'nodupes-globally',
    'digest': 'digest-globally',
    'dontreceive': 'dontreceive-globally',
    'ackposts': 'ackposts-globally',
    'conceal': 'conceal-globally',
    'language': 'language-globally',
}


class Context(HTMLFormatter.Context):
    """One member's options page: MEMBER is the member's key, SESSION who
    is looking, CSRF the hidden token field, ERRORS {field: message},
    MAY_GLOBAL whether "set globally" is offered (the member or the site
    administrator, not a list administrator)."""

    def __init__(self, mlist, member, session, csrf, lang='en', results='',
                 errors=None, may_global=False, form=None):
        super().__init__(mlist, lang=lang, results=results)
        self.member = member
        self.session = session
        self.csrf = csrf
        self.errors = errors or {}
        self.may_global = may_global
        # What was posted, shown again when the page comes back with
        # errors (nothing of it was saved).
        self.form = form or {}

    @property
    def address(self):
        return self.mlist.getMemberCPAddress(self.member)


# ------------------------------------------------------------------ inputs
def current_value(ctx, field):
    """The value FIELD shows: the one just posted if the page comes back
    with errors, else the member's setting."""
    if ctx.errors and field in ctx.form:
        return ctx.form[field]
    flag = dict(OPTION_FIELDS)[field]
    m = ctx.mlist
    if flag == mm_cfg.DisableDelivery:
        on = m.getDeliveryStatus(ctx.member) != MemberAdaptor.ENABLED
    else:
        on = m.getMemberOption(ctx.member, flag)
    return '1' if on else '0'


def option_button(field, value):
    def render(ctx):
        checked = ' checked' if current_value(ctx, field) == str(value) \
            else ''
        return (f'<input type="radio" name="{field}" value="{value}"'
                f'{checked}>')
    return render


def checkbox(name, label):
    return (f'<label><input type="checkbox" name="{escape(name)}" '
            f'value="1"> {escape(label)}</label>')


def global_button(field):
    def render(ctx):
        if not ctx.may_global:
            return ''
        return checkbox(GLOBAL_FIELDS[field], 'Set globally')
    return render


def text_box(name, label, kind='text', value='', autocomplete='off'):
    def render(ctx):
        if ctx.errors and name in ctx.form:
            shown = ctx.form[name]
        else:
            shown = value(ctx) if callable(value) else value
        if kind == 'password':
            shown = ''
        return (f'<input type="{kind}" name="{name}" id="mm-{name}" '
                f'size="30" aria-label="{escape(label)}" '
                f'autocomplete="{autocomplete}" value="{escape(shown)}">')
    return render


def button(name, label):
    return lambda ctx: (f'<input type="submit" name="{name}" '
                        f'value="{escape(label)}">')


# ------------------------------------------------------------------ notices
def presentable_user(ctx):
    m = ctx.mlist
    shown = ctx.address
    if m.obscure_addresses:
        shown = Utils.ObscureEmail(shown, for_text=True)
    name = m.getMemberName(ctx.member)
    return escape(f'{shown}, {name}' if name else shown)


def case_preserved_user(ctx):
    if ctx.address == ctx.member:
        return ''
    return ('You are subscribed to this list with the address '
            f'<em>{escape(ctx.address)}</em>, capitals as shown.')


def pending_days(ctx):
    days = int(mm_cfg.PENDING_REQUEST_LIFE / 86400 + 0.5)
    return f'{days} day' if days == 1 else f'{days} days'


def live_topics(mlist):
    """The (name, description) of the topics members may choose; as in
    2.1, entries whose fourth field (the "empty" flag) is set are left
    out."""
    found = []
    for entry in mlist.topics:
        if len(entry) > 3 and entry[3]:
            continue
        found.append((entry[0], entry[2] if len(entry) > 2 else ''))
    return found


def disabled_notice(ctx):
    m = ctx.mlist
    status = m.getDeliveryStatus(ctx.member)
    if status == MemberAdaptor.ENABLED:
        return ''
    since = m.getDeliveryStatusChangeTime(ctx.member)
    when = (' on ' + time.strftime('%Y-%m-%d', time.localtime(since))
            if since else '')
    why = {
        MemberAdaptor.BYUSER: f'You turned off mail delivery{when}.',
        MemberAdaptor.BYADMIN: f'The list administrator turned off mail '
                               f'delivery to you{when}.',
        MemberAdaptor.BYBOUNCE: f'Mail delivery to you was turned off{when} '
                                'because too many messages to your address '
                                'bounced.',
    }.get(status, f'Mail delivery to you is turned off{when}.')
    return (f'<p class="notice" role="status"><strong>{escape(why)}</strong> '
            'You get no mail from the list until delivery is turned on '
            'again.</p>')


def reenable_button(ctx):
    if ctx.mlist.getDeliveryStatus(ctx.member) == MemberAdaptor.ENABLED:
        return ''
    return ('<input type="submit" name="reenable" '
            'value="Turn delivery on again">')


def admin_notice(ctx):
    if ctx.session is None or ctx.session.role == mm_cfg.AuthUser:
        return ''
    who = ('site administrator' if ctx.session.role == mm_cfg.AuthSiteAdmin
           else 'list administrator')
    return (f'<p class="notice" role="status">You are viewing the options '
            f'of {escape(ctx.address)} as the {who}.</p>')


def umbrella_notice(ctx):
    m = ctx.mlist
    if not m.umbrella_list:
        return ''
    return ('<p class="notice">This list is an umbrella list: its members '
            'are other lists.  Mail about your membership goes to '
            f'{escape(m.GetMemberAdminEmail(ctx.address))}.</p>')


def topics(ctx):
    m = ctx.mlist
    if not (m.topics_enabled and m.topics):
        return '<em>No topics defined</em>'
    if ctx.errors and 'usertopic' in ctx.form:
        chosen = set(ctx.form['usertopic'])
    else:
        chosen = set(m.getMemberTopics(ctx.member))
    items = []
    for name, description in live_topics(m):
        checked = ' checked' if name in chosen else ''
        text = escape(name)
        if description:
            text += f' <small>({escape(description)})</small>'
        items.append(f'<li><label><input type="checkbox" name="usertopic" '
                     f'value="{escape(name)}"{checked}> {text}</label></li>')
    return '<ul class="topics">' + ''.join(items) + '</ul>'


def language_box(ctx):
    m = ctx.mlist
    languages = m.GetAvailableLanguages()
    current = ctx.form.get('language') if ctx.errors else None
    current = current or m.getMemberLanguage(ctx.member)
    if len(languages) < 2:
        return escape(Utils.GetLanguageDescr(current))
    options = ''.join(
        f'<option value="{escape(lang)}"'
        f'{" selected" if lang == current else ""}>'
        f'{escape(Utils.GetLanguageDescr(lang))}</option>'
        for lang in languages)
    return (f'<select name="language" id="mm-language" '
            f'aria-label="Preferred language">{options}</select>')


def _page_style():
    from Mailman.Cgi import Page
    return getattr(Page, 'STYLE', '')


def form_start(ctx):
    action = escape(ctx.mlist.GetOptionsURL(ctx.address, absolute=1))
    return (f'<form method="post" action="{action}" accept-charset="utf-8">'
            + ctx.csrf)


def field_error(ctx, field):
    message = ctx.errors.get(field)
    if not message:
        return ''
    return f'<strong class="error" role="alert">{escape(message)}</strong>'


def _handlers():
    handlers = {
        'form-start': form_start,
        'page-style': lambda c: f'<style>{_page_style()}</style>',
        'user': lambda c: (f'<a href="mailto:{escape(c.address)}">'
                           f'{escape(c.address)}</a>'),
        'presentable-user': presentable_user,
        'case-preserved-user': case_preserved_user,
        'disabled-notice': disabled_notice,
        'reenable-button': reenable_button,
        'admin-notice': admin_notice,
        'umbrella-notice': umbrella_notice,
        'topics': topics,
        'list-langs': language_box,
        'pending-days': pending_days,
        'new-address-box': text_box('new-address', 'New address',
                                    kind='email', autocomplete='email'),
        'confirm-address-box': text_box('confirm-address',
                                        'New address again', kind='email',
                                        autocomplete='email'),
        'fullname-box': text_box(
            'fullname', 'Your name',
            value=lambda c: c.mlist.getMemberName(c.member) or '',
            autocomplete='name'),
        'global-change-of-address': lambda c: checkbox(
            'changeaddr-globally',
            'Change it on all my lists of this site') if c.may_global else '',
        'change-address-button': button('change-of-address',
                                         'Change my address and name'),
        'unsubscribe-button': lambda c: (
            '<input type="submit" name="unsub" value="Unsubscribe"> '
            + checkbox('unsubconfirm', 'Yes, I really want to leave')),
        'other-subscriptions-submit': lambda c: button(
            'othersubs', 'List my other subscriptions')(c)
        if c.may_global else '',
        'email-my-pw': button('emailpw', 'Email me a link to set a new '
                                         'password'),
        'new-pass-box': text_box('newpw', 'New password', kind='password',
                                 autocomplete='new-password'),
        'confirm-pass-box': text_box('confpw', 'New password again',
                                     kind='password',
                                     autocomplete='new-password'),
        'global-pw-changes-button': lambda c: checkbox(
            'pw-globally', 'Change it on all my lists of this site')
        if c.may_global else '',
        'change-pass-button': button('changepw', 'Change my password'),
        'options-submit-button': button('options-submit',
                                        'Submit my changes'),
        'logout-button': button('logout', 'Log out'),
        'digest-radio-button': option_button('digest', 1),
        'undigest-radio-button': option_button('digest', 0),
        'plain-digests-button': option_button('mime', 1),
        'mime-digests-button': option_button('mime', 0),
        'delivery-enable-button': option_button('disablemail', 0),
        'delivery-disable-button': option_button('disablemail', 1),
        'ack-posts-button': option_button('ackposts', 1),
        'dont-ack-posts-button': option_button('ackposts', 0),
        'receive-own-mail-button': option_button('dontreceive', 0),
        'dont-receive-own-mail-button': option_button('dontreceive', 1),
        'get-password-reminder-button': option_button('remind', 0),
        'dont-get-password-reminder-button': option_button('remind', 1),
        'public-subscription-button': option_button('conceal', 0),
        'hide-subscription-button': option_button('conceal', 1),
        'receive-duplicates-button': option_button('nodupes', 0),
        'dont-receive-duplicates-button': option_button('nodupes', 1),
        'receive-nonmatching-topics': option_button('rcvtopic', 1),
        'suppress-nonmatching-topics': option_button('rcvtopic', 0),
        'global-deliver-button': global_button('disablemail'),
        'global-mime-button': global_button('mime'),
        'global-remind-button': global_button('remind'),
        'global-nodupes-button': global_button('nodupes'),
        'global-digest-button': global_button('digest'),
        'global-dontreceive-button': global_button('dontreceive'),
        'global-ackposts-button': global_button('ackposts'),
        'global-conceal-button': global_button('conceal'),
        'global-language-button': global_button('language'),
    }
    return handlers


HANDLERS = {**HTMLFormatter.HANDLERS, **_handlers()}


def fill(text, ctx):
    def replace(match):
        closing, name = match.group(1), match.group(2).lower()
        if not closing and name.startswith(_ERROR_TAG):
            return field_error(ctx, name[len(_ERROR_TAG):])
        handler = HANDLERS.get(closing + name)
        if handler is None:
            return match.group(0)
        return handler(ctx)
    return _TAG.sub(replace, text)


def render(ctx, template='options.html'):
    text = Utils.maketext(template, raw=True, lang=ctx.lang, mlist=ctx.mlist)
    return fill(text, ctx)
