"""The admin page's membership category ("members"), as in 2.1.

Five subcategories, each a form posting back to
<admin URL>/members/<subcat>:

  list    the roster by first letter and chunk, a regular-expression
          search, and each shown member's options as checkboxes
  add     mass subscription or invitation
  remove  mass removal
  change  one member's change of address
  sync    make the membership equal a pasted list of addresses

admin.py checks the login and the CSRF token, then calls process() with
the list locked and render() after saving.  Field names are 2.1's, so
scripts that drive these forms keep working: per-member fields are named
"<quoted address>_<option>", and the hidden "user" fields list the members
that were shown, so that an unchecked box turns an option off only for
those members.

The roster page must stay fast on a list of 100,000 members: it makes one
pass over the member keys to count the letters, sorts only the letter
shown, and looks up options only for the chunk on the page.
"""

import re
import urllib.parse

from Mailman import MemberOps
from Mailman import Errors
from Mailman import MemberAdaptor
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Cgi import Auth
from Mailman.Cgi.Page import escape

SUBCATEGORIES = (
    ('list', 'Membership List'),
    ('add', 'Mass Subscription'),
    ('remove', 'Mass Removal'),
    ('change', 'Address Change'),
    ('sync', 'Sync Membership List'),
)
TITLES = dict(SUBCATEGORIES)

# The per-member checkboxes after "unsub", in column order: (field suffix,
# column heading, option bit).  nomail and digest are not plain bits and
# are handled apart.
FLAG_BOXES = (
    ('mod', 'mod', mm_cfg.Moderate),
    ('hide', 'hide', mm_cfg.ConcealSubscription),
)
LATER_FLAG_BOXES = (
    ('ack', 'ack', mm_cfg.AcknowledgePosts),
    ('notmetoo', 'not metoo', mm_cfg.DontReceiveOwnPosts),
    ('nodupes', 'nodupes', mm_cfg.DontReceiveDuplicates),
)
NOMAIL_REASONS = {
    MemberAdaptor.BYADMIN: 'A',
    MemberAdaptor.BYUSER: 'U',
    MemberAdaptor.BYBOUNCE: 'B',
    MemberAdaptor.UNKNOWN: '?',
}
WHENCE = 'admin web page'


# ------------------------------------------------------------------ helpers
def _subcat(subcat):
    return subcat if subcat in TITLES else 'list'


def _action(mlist, subcat):
    return f'{mlist.GetScriptURL("admin", 1)}/members/{subcat}'


def _quote(address):
    """The field-name prefix of ADDRESS, as 2.1 made it."""
    return urllib.parse.quote(address)


def _prefixes(address, raw=''):
    """The field-name prefixes ADDRESS's row may be posted under: ours,
    2.1's Python 2 quoting (which also escaped ~), and RAW, the hidden
    "user" value as posted."""
    quoted = _quote(address)
    prefixes = [quoted]
    for other in (quoted.replace('~', '%7E'), raw):
        if other and other not in prefixes:
            prefixes.append(other)
    return prefixes


def _posted(request, prefixes, suffix):
    return any(request.has(f'{prefix}_{suffix}') for prefix in prefixes)


def _posted_value(request, prefixes, suffix):
    """The posted value of a row's field SUFFIX, or None if absent."""
    for prefix in prefixes:
        if request.has(f'{prefix}_{suffix}'):
            return request.get(f'{prefix}_{suffix}')
    return None


def _int_field(request, name, default):
    try:
        return int(request.get(name, ''))
    except ValueError:
        return default


# Chunk links shown on each side of the current chunk; with thousands of
# chunks (a list of 100,000) listing every one made a page of 600 kB.
CHUNK_LINKS_AROUND = 10


def _chunk_links_shown(current, chunks):
    """The chunk numbers to link to, None standing for a gap: the first
    and last chunks, every tenth, hundredth..., and those near CURRENT."""
    wanted = {0, chunks - 1}
    wanted.update(range(max(0, current - CHUNK_LINKS_AROUND),
                        min(chunks, current + CHUNK_LINKS_AROUND + 1)))
    step = 10
    while step < chunks:
        wanted.update(range(0, chunks, step) if chunks // step <= 20 else ())
        step *= 10
    shown, previous = [], None
    for index in sorted(wanted):
        if previous is not None and index != previous + 1:
            shown.append(None)
        shown.append(index)
        previous = index
    return shown


def _chunk_size(mlist):
    try:
        size = int(getattr(mlist, 'admin_member_chunksize', 0) or 0)
    except (TypeError, ValueError):
        size = 0
    return size if size > 0 else mm_cfg.DEFAULT_ADMIN_MEMBER_CHUNKSIZE


def _form(mlist, session, subcat, inner, uploads=False):
    enctype = ' enctype="multipart/form-data"' if uploads else ''
    return (f'<form method="post" action="{escape(_action(mlist, subcat))}"'
            f'{enctype}>\n{Auth.csrf_field(mlist, session)}\n{inner}\n'
            '</form>')


def _upload(name, label):
    """A file input whose lines are taken together with the text box's."""
    return (f'<p><label for="{escape(name)}">{escape(label)}</label> '
            f'<input type="file" id="{escape(name)}" name="{escape(name)}" '
            'accept="text/plain,.txt"></p>')


def _radio_row(name, question, choices, checked):
    """A question answered by radio buttons; CHOICES are (value, label)."""
    buttons = []
    for value, label in choices:
        ident = f'{name}-{value}'
        mark = ' checked' if str(value) == str(checked) else ''
        buttons.append(f'<input type="radio" id="{escape(ident)}" '
                       f'name="{escape(name)}" value="{escape(value)}"{mark}>'
                       f' <label for="{escape(ident)}">'
                       f'{escape(label)}</label>')
    return (f'<fieldset><legend>{escape(question)}</legend>'
            + ' '.join(buttons) + '</fieldset>')


NO_YES = ((0, 'No'), (1, 'Yes'))


def _textarea(name, label, rows=10, value=''):
    return (f'<p><label for="{escape(name)}">{escape(label)}</label><br>'
            f'<textarea id="{escape(name)}" name="{escape(name)}" '
            f'rows="{rows}" cols="60">{escape(value)}</textarea></p>')


def _submit():
    return ('<p><input type="submit" name="setmemberopts_btn" '
            'value="Submit Your Changes"></p>')


def _posted_lines(request, *names):
    """The non-blank, non-comment lines of the posted text fields NAMES
    (the upload field arrives as text from scripts)."""
    lines = []
    for name in names:
        for value in request.form.get(name, []):
            for line in value.splitlines():
                line = line.strip()
                if line and not line.startswith('#'):
                    lines.append(line)
    return lines


def _problem_text(address):
    problem = MemberOps.address_problem(address)
    if problem == 'hostile':
        return 'Hostile address (illegal characters)'
    if problem == 'bad':
        return 'Bad/Invalid email address'
    return None


def _line(label, text, detail=''):
    """One line of a report: LABEL then TEXT (escaped here)."""
    extra = f' &mdash; {escape(detail)}' if detail else ''
    return f'{escape(label)}: <code>{escape(text)}</code>{extra}'


# ------------------------------------------------------------------ render
def render(mlist, request, session, subcat):
    """The HTML fragment of membership subcategory SUBCAT."""
    subcat = _subcat(subcat)
    page = {'list': _render_list, 'add': _render_add,
            'remove': _render_remove, 'change': _render_change,
            'sync': _render_sync}[subcat]
    # The page's headings (h1, and h2 with the subcategory title) are
    # admin.py's.
    return page(mlist, request, session)


def _select_members(mlist, request, keys):
    """Apply the findmember search to KEYS: (keys, error message or '')."""
    pattern = request.get('findmember')
    if not pattern:
        return keys, ''
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except (re.error, OverflowError, RecursionError, ValueError) as error:
        return keys, f'Bad regular expression {pattern!r}: {error}'
    found = []
    for key in keys:
        if regex.search(key):
            found.append(key)
            continue
        name = mlist.getMemberName(key)
        if name and regex.search(name):
            found.append(key)
    return found, ''


def _page_query(**params):
    return urllib.parse.urlencode({k: v for k, v in params.items()
                                   if v not in (None, '')})


def _render_list(mlist, request, session):
    all_keys = mlist.getMembers()
    total = len(all_keys)
    keys, search_error = _select_members(mlist, request, all_keys)
    findmember = request.get('findmember')
    chunk_size = _chunk_size(mlist)
    base = f'{mlist.GetScriptURL("admin", 1)}/members'
    parts = []

    # The search form: a GET, as it changes nothing.
    parts.append(
        f'<form method="get" action="{escape(base + "/list")}">'
        '<p><label for="findmember">Find members by regular expression '
        '(address or name):</label> '
        f'<input type="search" id="findmember" name="findmember" '
        f'value="{escape(findmember)}"> '
        '<input type="submit" name="findmember_btn" value="Search..."></p>'
        '</form>')
    if search_error:
        parts.append(f'<p class="error" role="alert">{escape(search_error)}'
                     '</p>')

    letter, letters = '', []
    shown = keys
    if len(keys) > chunk_size:
        # One pass to count first letters; only the chosen letter's members
        # are gathered and sorted.
        counts = {}
        for key in keys:
            first = key[:1]
            counts[first] = counts.get(first, 0) + 1
        letters = sorted(counts)
        letter = request.get('letter').lower()[:1]
        if letter not in counts:
            letter = letters[0]
        shown = [key for key in keys if key[:1] == letter]
    shown.sort()

    chunk = 0
    chunks = (len(shown) + chunk_size - 1) // chunk_size
    if chunks > 1:
        chunk = min(max(_int_field(request, 'chunk', 0), 0), chunks - 1)
    page_keys = shown[chunk * chunk_size:(chunk + 1) * chunk_size]

    summary = f'{total} members total'
    if findmember and not search_error:
        summary += f', {len(keys)} matching'
    summary += f', {len(page_keys)} shown.'
    parts.append(f'<p><em>{escape(summary)}</em></p>')

    if letters:
        links = []
        for each in letters:
            label = escape(each.upper())
            if each == letter:
                links.append(f'<strong>{label}</strong>')
            else:
                href = base + '?' + _page_query(letter=each,
                                                 findmember=findmember)
                links.append(f'<a href="{escape(href)}">{label}</a>')
        parts.append('<nav aria-label="Members by first letter"><p>'
                     + ' '.join(links) + '</p></nav>')
    if chunks > 1:
        links = []
        for index in _chunk_links_shown(chunk, chunks):
            if index is None:
                links.append('<li>&hellip;</li>')
                continue
            first = shown[index * chunk_size]
            last = shown[min((index + 1) * chunk_size, len(shown)) - 1]
            label = f'from {escape(first)} to {escape(last)}'
            if index == chunk:
                links.append(f'<li><strong>{label}</strong></li>')
            else:
                href = base + '?' + _page_query(letter=letter, chunk=index,
                                                 findmember=findmember)
                links.append(f'<li><a href="{escape(href)}">{label}</a></li>')
        parts.append('<nav aria-label="Chunks of members"><ul>'
                     + ''.join(links) + '</ul></nav>')

    inner = []
    # Carry the page position, so that the page shown after the change is
    # the same one.
    for name, value in (('letter', letter), ('chunk', chunk or ''),
                        ('findmember', findmember)):
        if value != '':
            inner.append(f'<input type="hidden" name="{name}" '
                         f'value="{escape(value)}">')
    if page_keys:
        inner.append(_member_table(mlist, page_keys))
        inner.append(_submit())
    else:
        inner.append('<p>No members to show.</p>')
    inner.append(_radio_row(
        'allmodbit_val',
        "Set everyone's moderation bit, including the members not shown "
        'on this page',
        ((0, 'Off'), (1, 'On')), -1))
    inner.append('<p><input type="submit" name="allmodbit_btn" '
                 'value="Set"></p>')
    parts.append(_form(mlist, session, 'list', '\n'.join(inner)))
    parts.append(_LEGEND)
    return '\n'.join(parts)


_LEGEND = (
    '<h3>Legend</h3><dl>'
    '<dt>unsub</dt><dd>Unsubscribe the member (without notices).</dd>'
    '<dt>mod</dt><dd>The member\'s posts are moderated.</dd>'
    '<dt>hide</dt><dd>The address is concealed from the roster.</dd>'
    '<dt>nomail</dt><dd>Delivery is disabled; the reason: [A] by the '
    'administrator, [U] by the member, [B] by bounces, [?] unknown.</dd>'
    '<dt>ack</dt><dd>The member gets an acknowledgement of each post.</dd>'
    '<dt>not metoo</dt><dd>The member does not get copies of their own '
    'posts.</dd>'
    '<dt>nodupes</dt><dd>The member does not get a list copy of messages '
    'also addressed to them.</dd>'
    '<dt>digest</dt><dd>The member gets digests instead of each post.</dd>'
    '<dt>plain</dt><dd>Digests come as plain text, not MIME.</dd>'
    '</dl>')

_COLUMNS = ('unsub', 'member address / member name', 'mod', 'hide',
            'nomail [reason]', 'ack', 'not metoo', 'nodupes', 'digest',
            'plain', 'language', 'bounce score', 'last bounce')


def _checkbox(address, suffix, checked, label, disabled=False):
    name = escape(f'{_quote(address)}_{suffix}')
    return (f'<input type="checkbox" name="{name}" value="on"'
            + (' checked' if checked else '')
            + (' disabled' if disabled else '')
            + f' aria-label="{escape(label)} {escape(address)}">')


def _bounce_cells(mlist, key):
    try:
        info = mlist.getBounceInfo(key)
    except Errors.NotAMemberError:
        info = None
    if info is None:
        return '<td></td><td></td>'
    score = getattr(info, 'score', None)
    try:
        score = f'{float(score):g}'
    except (TypeError, ValueError):
        score = ''
    date = getattr(info, 'date', None)
    try:
        year, month, day = (int(x) for x in date[:3])
        date = f'{year:04d}-{month:02d}-{day:02d}' if year else ''
    except (TypeError, ValueError):
        date = ''
    return f'<td>{escape(score)}</td><td>{escape(date)}</td>'


def _member_table(mlist, keys):
    languages = mlist.GetAvailableLanguages()
    options_base = mlist.GetScriptURL('options', 1)
    rows = []
    for key, address in zip(keys, mlist.getMemberCPAddresses(keys)):
        address = address or key
        quoted = _quote(key)
        cells = [f'<td><input type="hidden" name="user" '
                 f'value="{escape(quoted)}">'
                 + _checkbox(key, 'unsub', False, 'unsubscribe') + '</td>']
        href = f'{options_base}/{urllib.parse.quote(address, safe="@")}'
        name = mlist.getMemberName(key) or ''
        cells.append(
            f'<td><a href="{escape(href)}">{escape(address)}</a><br>'
            f'<input type="text" name="{escape(quoted)}_realname" '
            f'value="{escape(name)}" size="25" '
            f'aria-label="name of {escape(address)}"></td>')
        for suffix, label, flag in FLAG_BOXES:
            cells.append('<td>' + _checkbox(
                key, suffix, mlist.getMemberOption(key, flag), label) +
                '</td>')
        status = mlist.getDeliveryStatus(key)
        reason = NOMAIL_REASONS.get(status)
        cells.append('<td>' + _checkbox(key, 'nomail', reason is not None,
                                        'no mail')
                     + (f' [{reason}]' if reason else '') + '</td>')
        for suffix, label, flag in LATER_FLAG_BOXES:
            cells.append('<td>' + _checkbox(
                key, suffix, mlist.getMemberOption(key, flag), label) +
                '</td>')
        digest = mlist.getMemberOption(key, mm_cfg.Digests)
        locked = (not mlist.digestable) if not digest \
            else (not mlist.nondigestable)
        cells.append('<td>' + _checkbox(key, 'digest', digest, 'digest',
                                        disabled=locked) + '</td>')
        cells.append('<td>' + _checkbox(
            key, 'plain', mlist.getMemberOption(key, mm_cfg.DisableMime),
            'plain digests') + '</td>')
        current = mlist.getMemberLanguage(key)
        choices = ''.join(
            f'<option value="{escape(lang)}"'
            + (' selected' if lang == current else '')
            + f'>{escape(Utils.GetLanguageDescr(lang))}</option>'
            for lang in languages)
        cells.append(f'<td><select name="{escape(quoted)}_language" '
                     f'aria-label="language of {escape(address)}">'
                     f'{choices}</select></td>')
        cells.append(_bounce_cells(mlist, key))
        rows.append('<tr>' + ''.join(cells) + '</tr>')
    head = ''.join(f'<th scope="col">{escape(c)}</th>' for c in _COLUMNS)
    return ('<table class="members"><thead><tr>' + head +
            '</tr></thead><tbody>\n' + '\n'.join(rows) +
            '\n</tbody></table>')


def _render_add(mlist, request, session):
    default_invite = 1 if getattr(mm_cfg, 'DEFAULT_SUBSCRIBE_OR_INVITE',
                                  0) else 0
    inner = [
        _radio_row('subscribe_or_invite',
                   'Subscribe these users now or invite them?',
                   ((0, 'Subscribe'), (1, 'Invite')), default_invite),
        _radio_row('send_welcome_msg_to_this_batch',
                   'Send welcome messages to new subscribers?', NO_YES,
                   1 if mlist.send_welcome_msg else 0),
        _radio_row('send_notifications_to_list_owner',
                   'Send notifications of new subscriptions to the list '
                   'owner?', NO_YES, 1 if mlist.admin_notify_mchanges else 0),
        _textarea('subscribees', 'Enter one address per line '
                  '(plain, or as "Real Name <address>"):'),
        _upload('subscribees_upload', 'Or upload a text file of addresses, '
                'one per line:'),
        _textarea('invitation', 'Text to put at the top of the invitation '
                  'or welcome message (end it with a blank line):', rows=5),
        _submit(),
    ]
    return _form(mlist, session, 'add', '\n'.join(inner), uploads=True)


def _render_remove(mlist, request, session):
    inner = [
        _radio_row('send_unsub_ack_to_this_batch',
                   'Send unsubscription acknowledgements to the users?',
                   NO_YES, 1 if mlist.send_goodbye_msg else 0),
        _radio_row('send_unsub_notifications_to_list_owner',
                   'Send notifications to the list owner?', NO_YES,
                   1 if mlist.admin_notify_mchanges else 0),
        _textarea('unsubscribees', 'Enter one address per line:'),
        _upload('unsubscribees_upload', 'Or upload a text file of '
                'addresses, one per line:'),
        _submit(),
    ]
    return _form(mlist, session, 'remove', '\n'.join(inner), uploads=True)


def _render_change(mlist, request, session):
    inner = [
        '<p>Change a member\'s address, keeping their options, without '
        'asking them to confirm.</p>',
        '<p><label for="change_from">Member address:</label> '
        '<input type="email" id="change_from" name="change_from" size="40">'
        '</p>',
        '<p><label for="change_to">Change to:</label> '
        '<input type="email" id="change_to" name="change_to" size="40"></p>',
        _radio_row('notice', 'Send notices to both the old and the new '
                   'address?', (('no', 'No'), ('yes', 'Yes')), 'yes'),
        _submit(),
    ]
    return _form(mlist, session, 'change', '\n'.join(inner))


def _render_sync(mlist, request, session):
    inner = [
        '<p>Enter the addresses the list should have, one per line.  '
        'Addresses not yet members are subscribed and members not listed '
        'are unsubscribed, without welcome or goodbye messages.  If any '
        'address is invalid, nothing is changed.</p>',
        _textarea('memberlist', 'Addresses:', rows=15),
        _submit(),
    ]
    return _form(mlist, session, 'sync', '\n'.join(inner))


# ------------------------------------------------------------------ process
def process(mlist, request, session, subcat):
    """Apply the posted form of SUBCAT to the locked MLIST; returns the
    messages to show (safe HTML)."""
    subcat = _subcat(subcat)
    if subcat == 'list':
        return _process_list(mlist, request)
    if subcat == 'add':
        return _process_add(mlist, request)
    if subcat == 'remove':
        return _process_remove(mlist, request)
    if subcat == 'change':
        return _process_change(mlist, request)
    return _process_sync(mlist, request)


def _process_list(mlist, request):
    messages = []
    if request.has('setmemberopts_btn') and request.has('user'):
        messages.extend(_set_member_options(mlist, request))
    if request.has('allmodbit_btn'):
        value = _int_field(request, 'allmodbit_val', None)
        if value not in (0, 1):
            messages.append('Choose On or Off to set everyone\'s '
                            'moderation bit; nothing was changed.')
        else:
            for key in mlist.getMembers():
                if mlist.getMemberOption(key, mm_cfg.Moderate) != bool(value):
                    mlist.setMemberOption(key, mm_cfg.Moderate, value)
            messages.append('The moderation bit of every member is now '
                            + ('on.' if value else 'off.'))
    return messages


def _set_member_options(mlist, request):
    """Apply the checkboxes of the members listed in the hidden "user"
    fields; members not listed are left alone."""
    messages = []
    removes = []
    changed = 0
    seen = set()
    for quoted in request.form.get('user', []):
        address = urllib.parse.unquote(quoted.strip())
        if not address or address.lower() in seen:
            continue
        seen.add(address.lower())
        if not mlist.isMember(address):
            messages.append(_line('Not a member, skipped', address))
            continue
        prefixes = _prefixes(address, quoted.strip())
        if _posted(request, prefixes, 'unsub'):
            removes.append(address)
            continue
        changed += _apply_row(mlist, request, address, prefixes)
    for address in removes:
        shown = mlist.getMemberCPAddress(address)
        mlist.ApprovedDeleteMember(address, whence=WHENCE, admin_notif=False,
                                   userack=False)
        messages.append(_line('Unsubscribed', shown))
    if changed:
        messages.append(f'Options changed for {changed} '
                        f'member{"s" if changed != 1 else ""}.')
    elif not removes and not messages:
        messages.append('Nothing was changed.')
    return messages


def _apply_row(mlist, request, address, prefixes):
    """Set ADDRESS's options from its row (fields named PREFIX_option);
    1 if anything changed."""
    changed = False

    def set_flag(flag, wanted):
        nonlocal changed
        if bool(mlist.getMemberOption(address, flag)) != wanted:
            mlist.setMemberOption(address, flag, 1 if wanted else 0)
            changed = True

    # A list without one kind of delivery shows the digest box disabled
    # (and a browser does not send it), so a change it cannot make is
    # passed over quietly.
    wants_digest = _posted(request, prefixes, 'digest')
    possible = mlist.digestable if wants_digest else mlist.nondigestable
    if possible and \
            mlist.getMemberOption(address, mm_cfg.Digests) != wants_digest:
        try:
            mlist.setMemberOption(address, mm_cfg.Digests, wants_digest)
            changed = True
        except (Errors.AlreadyReceivingDigests,
                Errors.AlreadyReceivingRegularDeliveries,
                Errors.CantDigestError, Errors.MustDigestError):
            pass

    # A field a script left out leaves the name or language as it is.
    name = _posted_value(request, prefixes, 'realname')
    if name is not None and name != (mlist.getMemberName(address) or ''):
        mlist.setMemberName(address, name)
        changed = True
    language = _posted_value(request, prefixes, 'language')
    if language and language in mlist.GetAvailableLanguages() and \
            language != mlist.getMemberLanguage(address):
        mlist.setMemberLanguage(address, language)
        changed = True

    for suffix, _label, flag in FLAG_BOXES + LATER_FLAG_BOXES:
        set_flag(flag, _posted(request, prefixes, suffix))
    set_flag(mm_cfg.DisableMime, _posted(request, prefixes, 'plain'))

    # Checking nomail disables delivery by the administrator, unless it is
    # already disabled for another reason (which is kept).
    status = mlist.getDeliveryStatus(address)
    if _posted(request, prefixes, 'nomail'):
        if status == MemberAdaptor.ENABLED:
            mlist.setDeliveryStatus(address, MemberAdaptor.BYADMIN)
            changed = True
    elif status != MemberAdaptor.ENABLED:
        mlist.setDeliveryStatus(address, MemberAdaptor.ENABLED)
        changed = True
    return 1 if changed else 0


def _yes_no_field(request, name, default):
    value = _int_field(request, name, None)
    return bool(default) if value not in (0, 1) else bool(value)


def _process_add(mlist, request):
    from Mailman.UserDesc import UserDesc
    lines = _posted_lines(request, 'subscribees', 'subscribees_upload')
    if not lines:
        return ['Enter at least one address to subscribe or invite.']
    invite = _int_field(request, 'subscribe_or_invite', 0) == 1
    welcome = _yes_no_field(request, 'send_welcome_msg_to_this_batch',
                            mlist.send_welcome_msg)
    notify = _yes_no_field(request, 'send_notifications_to_list_owner',
                           mlist.admin_notify_mchanges)
    text = request.form.get('invitation', [''])[0]
    if text.strip():
        text = text.rstrip('\n') + '\n\n'
    else:
        text = ''
    messages = []
    for line in lines:
        name, address = MemberOps.parse_address(line)
        problem = _problem_text(address)
        if problem is None and mlist.IsListOwnAddress(address):
            problem = 'The list cannot be subscribed to itself'
        if problem:
            messages.append(_line(problem, line))
            continue
        userdesc = UserDesc(address, name or None, None, None)
        try:
            if invite:
                mlist.InviteNewMember(userdesc, text)
            else:
                mlist.ApprovedAddMember(userdesc, ack=welcome,
                                        admin_notif=notify, text=text,
                                        whence=WHENCE)
        except Errors.MMAlreadyAMember:
            messages.append(_line('Already a member', line))
        except Errors.MembershipIsBanned:
            messages.append(_line('Banned address', line))
        except Errors.MMHostileAddress:
            messages.append(_line('Hostile address (illegal characters)',
                                  line))
        except Errors.EmailAddressError:
            messages.append(_line('Bad/Invalid email address', line))
        else:
            messages.append(_line('Invited' if invite else 'Subscribed',
                                  line))
    return messages


def _process_remove(mlist, request):
    lines = _posted_lines(request, 'unsubscribees', 'unsubscribees_upload')
    if not lines:
        return ['Enter at least one address to unsubscribe.']
    ack = _yes_no_field(request, 'send_unsub_ack_to_this_batch',
                        mlist.send_goodbye_msg)
    notify = _yes_no_field(request, 'send_unsub_notifications_to_list_owner',
                           mlist.admin_notify_mchanges)
    messages = []
    for line in lines:
        _name, address = MemberOps.parse_address(line)
        if not mlist.isMember(address):
            messages.append(_line('Cannot unsubscribe non-member', line))
            continue
        shown = mlist.getMemberCPAddress(address)
        MemberOps.delete_member(mlist, address, whence=WHENCE, admin_notif=notify,
                          userack=ack)
        messages.append(_line('Unsubscribed', shown))
    return messages


def _process_change(mlist, request):
    old = request.get('change_from')
    new = request.get('change_to')
    if not old or not new:
        return ['Enter both the current and the new address.']
    if old == new:
        return ['The current and the new address must differ.']
    if not mlist.isMember(old):
        return [_line('Not a member', old)]
    if mlist.isMember(new):
        return [_line('Already a member', new)]
    problem = _problem_text(new)
    if problem:
        return [_line(problem, new)]
    old = mlist.getMemberCPAddress(old)
    try:
        mlist.ApprovedChangeMemberAddress(old, new, False)
    except Errors.MembershipIsBanned:
        return [_line('Banned address', new)]
    messages = [f'Address <code>{escape(old)}</code> changed to '
                f'<code>{escape(new)}</code>.']
    if request.get('notice', 'yes').lower() in ('yes', '1', 'on'):
        _send_change_notices(mlist, old, new)
        messages.append('Notices were sent to both addresses.')
    return messages


def _send_change_notices(mlist, old, new):
    from Mailman.Message import UserNotification
    language = mlist.getMemberLanguage(new)
    subject = f'{mlist.getListAddress()} address change notice.'
    text = Utils.wrap(
        f'The list administrator changed the address of the member '
        f'{old} of the {mlist.real_name} mailing list to {new}.  '
        f'Mail from the list now goes to {new}.') + \
        f'\n\nQuestions go to the list owners at {mlist.GetOwnerEmail()}.\n'
    for recipient in (old, new):
        UserNotification(recipient, mlist.GetOwnerEmail(), subject, text,
                         language).send(mlist)


def _process_sync(mlist, request):
    from Mailman.UserDesc import UserDesc
    if not request.has('memberlist'):
        return []
    entries = []
    invalid = []
    for number, line in enumerate(_posted_lines(request, 'memberlist'), 1):
        name, address = MemberOps.parse_address(line)
        problem = _problem_text(address)
        if problem:
            invalid.append(_line(problem, line))
        entries.append(MemberOps.AddressLine(line, name, address, number))
    if invalid:
        return invalid + ['Fix the invalid addresses first; nothing was '
                          'changed.']
    if not entries:
        return ['The address list is empty; nothing was changed.  To '
                'remove every member, use Mass Removal.']
    to_add, to_remove = MemberOps.sync_plan(mlist, entries)
    messages = []
    for name, address in to_add:
        shown = MemberOps.format_address(name, address)
        userdesc = UserDesc(address, name or None, None, None)
        try:
            mlist.ApprovedAddMember(userdesc, ack=False, admin_notif=False,
                                    whence=WHENCE)
        except Errors.MembershipIsBanned:
            messages.append(_line('Banned address', shown))
        except Errors.MMAlreadyAMember:
            pass
        except Errors.EmailAddressError:
            messages.append(_line('Bad/Invalid email address', shown))
        else:
            messages.append(_line('Subscribed', shown))
    for address in to_remove:
        MemberOps.delete_member(mlist, address, whence=WHENCE, admin_notif=False,
                          userack=False)
        messages.append(_line('Unsubscribed', address))
    if not messages:
        messages.append('The membership already matches; nothing was '
                        'changed.')
    return messages
