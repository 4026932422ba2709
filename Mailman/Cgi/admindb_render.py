"""The HTML of the moderation page (admindb): the summary of pending
requests and the detailed view of held posts.

Field names are 2.1's, so that scripts written against 2.1's forms keep
working:

    <id>                       DEFER / APPROVE / REJECT / DISCARD for a held
                               post; DEFER / SUBSCRIBE (or UNSUBSCRIBE) /
                               REJECT / DISCARD for a membership request
    comment-<id>               the reason given with a rejection
    preserve-<id>, forward-<id>, forward-addr-<id>   (held posts)
    ban-<id>                   (subscription requests)
    senderaction-<q>           one decision for all shown posts of a sender
    senderpreserve-<q>, senderforward-<q>, senderforwardto-<q>
    senderfilterp-<q> + senderfilter-<q>   add a non-member to
                               accept/hold/reject/discard_these_nonmembers
    senderbanp-<q>             add the sender to ban_list
    senderclearmodp-<q>        clear a member's moderation flag
    discardalldefersp          discard every shown post left at Defer

where <q> is the sender's address quoted as a URL query value.

The summary is built from the request records alone (request.pck holds
sender, subject, reason and time); message files are read only for the
detailed views.  Every text from a message or a poster is escaped.
"""

import os
import time
import urllib.parse

from Mailman import ListAdmin
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Cgi import Auth
from Mailman.Cgi.Page import escape
from Mailman.Cgi.admindb_message import clean, view

HELD_CHOICES = (('Defer', mm_cfg.DEFER), ('Approve', mm_cfg.APPROVE),
                ('Reject', mm_cfg.REJECT), ('Discard', mm_cfg.DISCARD))
# 2.1 says "Accept" in the per-sender choices.
SENDER_CHOICES = (('Defer', mm_cfg.DEFER), ('Accept', mm_cfg.APPROVE),
                  ('Reject', mm_cfg.REJECT), ('Discard', mm_cfg.DISCARD))
SUB_CHOICES = (('Defer', mm_cfg.DEFER), ('Approve', mm_cfg.SUBSCRIBE),
               ('Reject', mm_cfg.REJECT), ('Discard', mm_cfg.DISCARD))
UNSUB_CHOICES = (('Defer', mm_cfg.DEFER), ('Approve', mm_cfg.UNSUBSCRIBE),
                 ('Reject', mm_cfg.REJECT), ('Discard', mm_cfg.DISCARD))
FILTER_CHOICES = (('Accepts', mm_cfg.ACCEPT), ('Holds', mm_cfg.HOLD),
                  ('Rejects', mm_cfg.REJECT), ('Discards', mm_cfg.DISCARD))
SORT_CHOICES = (('sender/sender', mm_cfg.SSENDER),
                ('sender/time', mm_cfg.SSENDERTIME),
                ('ungrouped/time', mm_cfg.STIME))


def quote_sender(sender):
    """SENDER as the <q> of the form's field names.  Undecodable bytes in
    an address (kept as surrogates) are quoted as the bytes they were, so
    that unquote_sender() gives back the very same string."""
    return urllib.parse.quote_plus(sender, errors='surrogateescape')


def unquote_sender(quoted):
    return urllib.parse.unquote_plus(quoted, errors='surrogateescape')


def when(stamp):
    try:
        return time.strftime('%c', time.localtime(float(stamp)))
    except (TypeError, ValueError, OverflowError, OSError):
        return ''


# ------------------------------------------------------------------ records
class Held:
    """A held post as its request record describes it."""

    def __init__(self, request_id, record, charset):
        self.id = request_id
        record = tuple(record) + (None,) * (6 - len(record))
        ptime, sender, subject, reason, filename, msgdata = record[:6]
        self.msgdata = msgdata if isinstance(msgdata, dict) else {}
        try:
            self.time = float(ptime)
        except (TypeError, ValueError):
            self.time = 0.0
        # The grouping key and the form's <q> must be the record's exact
        # sender, as the form is matched against it.
        self.sender = sender if isinstance(sender, str) else clean(sender)
        self.shown_sender = clean(self.sender)
        self.subject = clean(ListAdmin.oneline(clean(subject), charset)) \
            if subject else '(no subject)'
        self.reason = clean(reason) if reason else 'not available'
        self.filename = clean(filename)
        self.received = self.msgdata.get('received_time') or self.time

    def size(self):
        """Bytes of the stored file, or None when it is gone."""
        try:
            return os.path.getsize(os.path.join(
                mm_cfg.DATA_DIR, os.path.basename(self.filename)))
        except (OSError, ValueError):
            return None


def held_posts(mlist, ids=None):
    charset = Utils.GetCharSet(mlist.preferred_language)
    posts = []
    for request_id in (mlist.GetHeldMessageIds() if ids is None else ids):
        try:
            posts.append(Held(request_id, mlist.GetRecord(request_id),
                              charset))
        except (KeyError, TypeError, ValueError):
            continue
    return posts


def grouped(posts, ssort):
    """[(sender, [post, ...]), ...] in the order SSORT asks for."""
    groups = {}
    for post in posts:
        groups.setdefault(post.sender, []).append(post)
    for members in groups.values():
        members.sort(key=lambda p: (p.time, p.id))
    if ssort == mm_cfg.SSENDERTIME:
        return sorted(groups.items(), key=lambda g: (g[1][0].time, g[0]))
    return sorted(groups.items(), key=lambda g: g[0].lower())


# ------------------------------------------------------------------ controls
def radios(name, choices, checked=None, legend=None):
    """A radio group; CHOICES are (label, value) pairs of our own, plain
    text needing no escaping.  With LEGEND (safe HTML) it is a
    fieldset."""
    name = escape(name)
    html = ' '.join(
        f'<label><input type="radio" name="{name}" value="{value}"'
        f'{" checked" if value == checked else ""}> {label}</label>'
        for label, value in choices)
    if legend:
        return f'<fieldset><legend>{legend}</legend>{html}</fieldset>'
    return html


def checkbox(name, label_html, value='1'):
    return (f'<label><input type="checkbox" name="{escape(name)}" '
            f'value="{escape(value)}"> {label_html}</label>')


def textbox(name, label, value='', placeholder='', size=40):
    extra = f' placeholder="{escape(placeholder)}"' if placeholder else ''
    return (f'<input type="text" name="{escape(name)}" '
            f'value="{escape(value)}" size="{size}" '
            f'aria-label="{escape(label)}"{extra}>')


# ------------------------------------------------------------------ membership
def _reason_box(request_id, address):
    return textbox(f'comment-{request_id}', f'Reason for refusing {address}')


def _subscription_rows(mlist):
    rows = []
    charset = Utils.GetCharSet(mlist.preferred_language)
    for request_id in mlist.GetSubscriptionIds():
        try:
            record = tuple(mlist.GetRecord(request_id)) + (None,) * 6
        except (KeyError, TypeError):
            continue
        stime, address, fullname = record[:3]
        address = clean(address)
        fullname = clean(ListAdmin.oneline(clean(fullname), charset)) \
            if fullname else ''
        decision = radios(str(request_id), SUB_CHOICES, mm_cfg.DEFER)
        if not Utils.address_is_banned(address, mlist.ban_list):
            decision += '<br>' + checkbox(f'ban-{request_id}',
                                          'Permanently ban from this list')
        name = f'<br><em>{escape(fullname)}</em>' if fullname else ''
        rows.append(
            f'<tr><td>{escape(address)}{name}<br>{escape(when(stime))}</td>'
            f'<td>{decision}</td><td>{_reason_box(request_id, address)}'
            '</td></tr>')
    return rows


def _unsubscription_rows(mlist):
    rows = []
    for request_id in mlist.GetUnsubscriptionIds():
        try:
            address = clean(mlist.GetRecord(request_id))
        except KeyError:
            continue
        try:
            fullname = clean(mlist.getMemberName(address) or '')
        except Exception:
            fullname = ''
        name = f'<br><em>{escape(fullname)}</em>' if fullname else ''
        rows.append(
            f'<tr><td>{escape(address)}{name}</td>'
            f'<td>{radios(str(request_id), UNSUB_CHOICES, mm_cfg.DEFER)}</td>'
            f'<td>{_reason_box(request_id, address)}</td></tr>')
    return rows


def _request_table(caption, rows, first_heading):
    return (f'<h2>{escape(caption)}</h2>\n<table class="requests">'
            f'<thead><tr><th>{escape(first_heading)}</th>'
            '<th>Your decision</th><th>Reason for refusal</th></tr></thead>'
            '<tbody>\n' + '\n'.join(rows) + '\n</tbody></table>\n')


def membership_requests(mlist):
    """The HTML of the pending (un)subscriptions, and how many there are."""
    html = ''
    subs = _subscription_rows(mlist)
    if subs:
        html += _request_table('Subscription requests', subs,
                               'Address, name and time')
    unsubs = _unsubscription_rows(mlist)
    if unsubs:
        html += _request_table('Unsubscription requests', unsubs,
                               'Address and name')
    return html, len(subs) + len(unsubs)


# ------------------------------------------------------------------ summary
def _size_text(size):
    return 'file missing' if size is None else f'{size} bytes'


def _post_rows(mlist, posts, number_from=1, with_sender=False):
    base = mlist.GetScriptURL('admindb', absolute=1)
    rows = []
    for number, post in enumerate(posts, number_from):
        sender = f'<td>{escape(post.shown_sender)}</td>' if with_sender \
            else ''
        rows.append(
            f'<tr>{sender}<td><a href="{escape(base)}?msgid={post.id}">'
            f'[{number}]</a></td>'
            f'<td>{escape(post.subject)}</td>'
            f'<td>{escape(_size_text(post.size()))}</td>'
            f'<td>{escape(post.reason)}</td>'
            f'<td>{escape(when(post.received))}</td>'
            f'<td>{radios(str(post.id), HELD_CHOICES, mm_cfg.DEFER)}</td>'
            '</tr>')
    return rows


def _post_table(rows, with_sender=False):
    sender = '<th>From</th>' if with_sender else ''
    return (f'<table class="held"><thead><tr>{sender}<th>Message</th>'
            '<th>Subject</th>'
            '<th>Size</th><th>Reason</th><th>Received</th><th>Action</th>'
            '</tr></thead><tbody>\n' + '\n'.join(rows) +
            '\n</tbody></table>\n')


def _sender_controls(mlist, sender):
    q = quote_sender(sender)
    shown = escape(clean(sender))
    html = [radios(f'senderaction-{q}', SENDER_CHOICES, mm_cfg.DEFER,
                   legend=f'Action to take on all these held messages from '
                          f'{shown}:'),
            '<p>' + checkbox(f'senderpreserve-{q}',
                             'Preserve messages for the site administrator')
            + '</p>',
            '<p>' + checkbox(f'senderforward-{q}',
                             'Forward messages (individually) to:') + ' ' +
            textbox(f'senderforwardto-{q}', f'Forward the messages of '
                    f'{clean(sender)} to', placeholder=mlist.GetOwnerEmail())
            +
            '</p>']
    member = False
    if sender and '@' in sender:
        try:
            member = mlist.isMember(sender)
        except Exception:
            member = False
    if member:
        try:
            moderated = mlist.getMemberOption(sender, mm_cfg.Moderate)
        except Exception:
            moderated = False
        if moderated:
            html.append('<p>' + checkbox(
                f'senderclearmodp-{q}',
                f'Clear the <em>moderate</em> flag of {shown} (a member of '
                'this list)') + '</p>')
        else:
            html.append(f'<p>{shown} is a member of this list.</p>')
    else:
        html.append(
            '<fieldset><legend>Sender filters</legend>'
            '<p>' + checkbox(f'senderfilterp-{q}',
                             f'Add <strong>{shown}</strong> to one of these '
                             'sender filters:') + '</p><p>' +
            radios(f'senderfilter-{q}', FILTER_CHOICES) + '</p>')
        if not (sender and Utils.address_is_banned(sender, mlist.ban_list)):
            html.append('<p>' + checkbox(
                f'senderbanp-{q}', f'Ban <strong>{shown}</strong> from ever '
                'subscribing to this mailing list') + '</p>')
        html.append('</fieldset>')
    return '\n'.join(html)


def held_summary(mlist, ssort):
    """The HTML of the held posts grouped by sender, and how many."""
    posts = held_posts(mlist)
    if not posts:
        return '', 0
    base = mlist.GetScriptURL('admindb', absolute=1)
    html = ['<h2>Held messages</h2>']
    if mm_cfg.DISPLAY_HELD_SUMMARY_SORT_BUTTONS:
        html.append(radios('summary_sort', SORT_CHOICES, ssort,
                           legend='Show this list grouped/sorted by'))
    if ssort == mm_cfg.STIME:
        # Ungrouped: one table in time order, decisions per message.
        posts.sort(key=lambda p: (p.time, p.id))
        html.append(_post_table(_post_rows(mlist, posts, with_sender=True),
                                with_sender=True))
        return '\n'.join(html), len(posts)
    number = 1
    for sender, members in grouped(posts, ssort):
        shown = escape(clean(sender))
        link = f'{base}?sender={urllib.parse.quote_plus(clean(sender))}'
        html.append(
            '<section class="held-sender">'
            f'<h3>From: {shown}</h3>\n'
            + _post_table(_post_rows(mlist, members, number)) +
            f'<p>Follow a message number to see that message, or <a '
            f'href="{escape(link)}">view all messages from {shown}'
            '</a>.</p>\n' + _sender_controls(mlist, sender) + '</section>')
        number += len(members)
    return '\n'.join(html), len(posts)


# ------------------------------------------------------------------ details
def held_detail(mlist, post, count=1, total=1):
    """One held post in full: its record, headers, an excerpt of its
    text, and the controls for it."""
    shown = view(mlist, post.id)
    title = 'Posting held for approval'
    if total != 1:
        title += f' ({count} of {total})'
    rid = post.id
    notice = clean(post.msgdata.get('rejection_notice') or
                   '[No explanation given]')
    parts = [f'<section class="held-detail" id="held-{rid}">'
             f'<h2>{escape(title)}</h2>',
             '<table class="held-record"><tbody>',
             f'<tr><th>From:</th><td>{escape(post.shown_sender)}</td></tr>',
             f'<tr><th>Subject:</th><td>{escape(post.subject)}</td></tr>',
             f'<tr><th>Reason:</th><td>{escape(post.reason)}</td></tr>']
    if post.received:
        parts.append(f'<tr><th>Received:</th>'
                     f'<td>{escape(when(post.received))}</td></tr>')
    parts.append(
        '<tr><th>Action:</th><td>' +
        radios(str(rid), HELD_CHOICES, mm_cfg.DEFER) + '</td></tr>'
        '<tr><th>Options:</th><td><p>'
        + checkbox(f'preserve-{rid}',
                   'Preserve message for the site administrator', 'on') +
        '</p><p>' +
        checkbox(f'forward-{rid}', 'Additionally, forward this message to:',
                 'on') + ' ' +
        textbox(f'forward-addr-{rid}', 'Forward this message to',
                placeholder=mlist.GetOwnerEmail()) + '</p></td></tr>'
        f'<tr><th><label for="comment-{rid}">If you reject this post, '
        'please explain (optional):</label></th>'
        f'<td><textarea id="comment-{rid}" name="comment-{rid}" rows="4" '
        f'cols="60" placeholder="{escape(notice)}"></textarea></td></tr>'
        '</tbody></table>')
    if shown.problem:
        parts.append(f'<p class="error">{escape(shown.problem)}</p>')
    if shown.headers:
        parts.append('<h3>Message headers</h3>\n'
                     f'<pre class="headers">{escape(shown.headers)}</pre>')
    if shown.body or not shown.lost:
        parts.append('<h3>Message excerpt</h3>\n'
                     f'<pre class="excerpt">{escape(shown.body)}</pre>')
    parts.append('</section>')
    return '\n'.join(parts)


def held_details(mlist, posts):
    total = len(posts)
    return '\n'.join(held_detail(mlist, post, count, total)
                     for count, post in enumerate(posts, 1))


# ------------------------------------------------------------------ the page
def navigation(mlist, session):
    base = mlist.GetScriptURL('admindb', absolute=1)
    links = [(base, 'Summary of pending requests'),
             (base + '?details=all', 'All held messages in detail'),
             (base + '?details=instructions', 'Instructions')]
    if session.is_admin:
        links.append((mlist.GetScriptURL('admin', absolute=1),
                      'List configuration'))
    links.append((base + '/logout', 'Log out'))
    return ('<nav><ul class="admindb-nav">' +
            ''.join(f'<li><a href="{escape(url)}">{escape(text)}</a></li>'
                    for url, text in links) + '</ul></nav>')


def template_text(mlist, name, description=''):
    """A 2.1 admindb*.html template (a site's own copy if it has one),
    filled in; empty if there is none."""
    base = mlist.GetScriptURL('admindb', absolute=1)
    admin = mlist.GetScriptURL('admin', absolute=1)
    values = {
        'listname': escape(mlist.real_name),
        'detailsurl': escape(base + '?details=instructions'),
        'summaryurl': escape(base),
        'viewallurl': escape(base + '?details=all'),
        'adminurl': escape(admin),
        'filterurl': escape(admin + '/privacy/sender'),
        'description': description,
    }
    try:
        return Utils.maketext(name, values, mlist=mlist)
    except (OSError, ValueError, TypeError, KeyError):
        return ''


def form(mlist, session, inner, discard_all=False):
    action = escape(mlist.GetScriptURL('admindb', absolute=1))
    bottom = ''
    if discard_all:
        bottom += '<p>' + checkbox('discardalldefersp',
                                   'Discard all messages marked '
                                   '<em>Defer</em>') + '</p>'
    bottom += ('<p><input type="submit" name="submit" '
               'value="Submit All Data"></p>')
    return (f'<form method="post" action="{action}" accept-charset="utf-8">'
            f'{Auth.csrf_field(mlist, session)}\n{inner}\n{bottom}</form>')
