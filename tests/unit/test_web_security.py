"""Security checks across all the web pages (issue 5, Done-when 4).

Each page has its own tests; this module asks the same questions of every
page at once, the way an attacker would try them:

1. forged forms (no token, a stale one, another list's, another role's)
   change nothing on any page that changes state;
2. hostile text (a script element, an attribute breaker) in every place a
   member, a poster, an owner or a visitor can put text comes out inert on
   every page, for visitors, members and administrators (archived
   attachments: served under a policy that runs no script);
3. password guessing is cut off, on every page and across the pages of a
   list, and past the limit even the right password is refused;
4. a login cookie opens only its own list, and a member's only that
   member's pages;
5. the subscribe form refuses a burst from one client and a flood of one
   address from many, and no form mails one address without bound.

A test that finds a hole in a page is marked xfail(strict=True) with the
hole in its reason, so that it fails (and must be unmarked) once mended.
"""

import email
import html
import html.parser
import os
import re
import shutil
import time
import types
import urllib.parse
import uuid

import pytest

from webhelp import (SCRIPT, Client, call, drain_virgin,  # noqa: F401
                     site_passwords,
                     lists, locked, reload, unique_remote)

ATTR = '"><img src=x onerror=alert(1)>'
HOSTILE = SCRIPT + ' ' + ATTR
# A quoted local part may hold any character; subscribing refuses such an
# address, but one may be in an old list's data or in a held post.
QUOTED = '"<img src=x onerror=alert(1)>"@example.org'
ADMIN_PW = 'adminpw'
MOD_PW = 'modpw-sec'
MEMBER_PW = 'member-pw'
CREATOR_PW = 'creator-pw-sec'
SITE_PW = 'site-pw-sec'
ANN = 'ann@example.org'
BOB = 'bob@example.org'
FORGED = 'nothing was changed'
# The elements that run or load something.
ACTIVE_TAGS = {'script', 'img', 'iframe', 'object', 'embed', 'svg', 'math',
               'frame', 'frameset', 'base', 'link', 'meta', 'style'}
# <meta>, <link> and <style> are expected in a page's head.
HEAD_TAGS = {'meta', 'link', 'style'}


# ---------------------------------------------------------------- inertness
class ActiveMarkup(html.parser.HTMLParser):
    """What in a page could run script: active elements, on* attributes,
    javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        if tag == 'head':
            self.in_head = True
        elif tag == 'body':
            self.in_head = False
        if tag in ACTIVE_TAGS and not (self.in_head and tag in HEAD_TAGS):
            self.found.append(f'<{tag}> element')
        for name, value in attrs:
            if name.lower().startswith('on'):
                self.found.append(f'{name}= attribute on <{tag}>')
            if name in ('href', 'src', 'action', 'formaction') and value \
                    and value.strip().lower().startswith('javascript:'):
                self.found.append(f'javascript: URL in <{tag} {name}>')

    def handle_endtag(self, tag):
        if tag == 'head':
            self.in_head = False


def assert_inert(response, where):
    """No markup that could run script in RESPONSE (fetched from WHERE)."""
    assert response.status < 500, where
    # The browser must not guess another type for the page, nor read its
    # text in another charset (where that would change it).
    headers = response.headers
    assert headers.get('x-content-type-options') == 'nosniff', where
    kind = headers.get('content-type', '').lower().replace(' ', '')
    lower = response.text.lower()
    assert ('charset=utf-8' in kind or '<meta charset="utf-8"' in lower or
            response.text.isascii() or not kind.startswith('text/')), \
        (where, kind)
    assert '<script' not in lower, where
    assert '<img' not in lower, where
    parser = ActiveMarkup()
    parser.feed(response.text)
    parser.close()
    assert parser.found == [], (where, parser.found)


# ---------------------------------------------------------------- set-up
def add_member(mlist, address, name='', password=MEMBER_PW, raw=False):
    """Subscribe ADDRESS quietly; RAW stores it with the bare membership
    API, as data from an old list could hold it, bypassing the checks."""
    from Mailman.UserDesc import UserDesc

    def change(m):
        if raw:
            m.addNewMember(address, password=password, realname=name)
        else:
            m.ApprovedAddMember(UserDesc(address, name, password),
                                ack=False, admin_notif=False)
    locked(mlist, change)


def hold_post(mlist, raw, sender=None, reason='Post by non-member'):
    from Mailman.Message import Message
    msg = email.message_from_bytes(raw, _class=Message)
    msgdata = {'listname': mlist.internal_name(), 'pipeline': ['ToOutgoing'],
               'received_time': time.time()}
    if sender:
        msgdata['sender'] = sender
    return locked(mlist, lambda m: m.HoldMessage(msg, reason, msgdata,
                                                 notify=False))


def hold_subscription(mlist, address, name):
    def change(m):
        m.admin_immed_notify = 0
        return m.HoldSubscription(address, name, 'pw', 0, 'en')
    return locked(mlist, change)


def post_bytes(mlist, subject='Hello', sender='poster@example.org',
               body='Hi.\n'):
    return (f'From: {sender}\nTo: {mlist.GetListEmail()}\n'
            f'Subject: {subject}\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n'
            f'Message-ID: <{uuid.uuid4().hex}@example.org>\n\n{body}'
            ).encode('utf-8')


def html_post(mlist):
    """A post with hostile HTML inline and attached (HTML and SVG)."""
    return (f'From: {ATTR} <html@example.org>\nTo: {mlist.GetListEmail()}\n'
            f'Subject: {ATTR}\nDate: Thu, 26 Nov 2026 11:00:00 +0000\n'
            f'Message-ID: <{uuid.uuid4().hex}@example.org>\n'
            'MIME-Version: 1.0\n'
            'Content-Type: multipart/mixed; boundary="b"\n\n'
            '--b\nContent-Type: text/plain\n\nplain part\n'
            f'--b\nContent-Type: text/html\n\n<p>{SCRIPT}{ATTR}</p>\n'
            '--b\nContent-Type: image/svg+xml; name="a.svg"\n'
            'Content-Disposition: attachment; filename="a.svg"\n\n'
            '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>\n'
            '--b\nContent-Type: text/html; name="x.html"\n'
            'Content-Disposition: attachment; filename="x.html"\n\n'
            f'<html><body>{SCRIPT}</body></html>\n--b--\n').encode('utf-8')


def build_archive(mlist, raws):
    """Archive the messages RAWS in MLIST's (pipermail) archive."""
    from Mailman.Archiver.HyperArch import HTMLArchive

    def change(m):
        archive = HTMLArchive(m)
        try:
            for raw in raws:
                archive.add(raw)
        finally:
            archive.close()
    locked(mlist, change)


@pytest.fixture
def site(lists):
    """A list factory whose lists have a moderator password and whose held
    posts, queued messages and archives are removed afterwards; the site
    and list creator passwords are set for the test and put back after."""
    from Mailman import Passwords, mm_cfg
    made = []

    def factory(**attrs):
        attrs.setdefault('mod_password',
                         Passwords.hash_password(MOD_PW, quick=True))
        m = lists(**attrs)
        made.append(m.internal_name())
        return m
    with site_passwords(CREATOR_PW, SITE_PW):
        yield factory
    from unithelp import queued
    for name in made:
        for directory in (mm_cfg.DATA_DIR, mm_cfg.SPAM_DIR):
            for entry in os.listdir(directory):
                if f'-{name}-' in entry:
                    os.unlink(os.path.join(directory, entry))
        for queue in (mm_cfg.INQUEUE_DIR, mm_cfg.VIRGINQUEUE_DIR):
            queued(queue, name, remove=True)
        for entry in (name, name + '.mbox'):
            shutil.rmtree(os.path.join(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR,
                                       entry), ignore_errors=True)
        link = os.path.join(mm_cfg.PUBLIC_ARCHIVE_FILE_DIR, name)
        if os.path.islink(link):
            os.unlink(link)


# ---------------------------------------------------------------- logins
def admin_login(mlist, client=None, password=ADMIN_PW):
    client = client or Client()
    r = client.post('admin', '/' + mlist.internal_name(),
                    form={'adminpw': password, 'admlogin': 'Let me in...'})
    assert r.status == 200 and r.hidden('csrf_token'), r.plain
    return client


def moderator_login(mlist, client=None):
    client = client or Client()
    r = client.post('admindb', '/' + mlist.internal_name(),
                    form={'adminpw': MOD_PW, 'admlogin': 'Let me in...'})
    assert r.status == 200, r.plain
    return client


def member_login(mlist, address=ANN, client=None, password=MEMBER_PW):
    client = client or Client()
    r = client.post('options', f'/{mlist.internal_name()}/{address}',
                    form={'email': address, 'password': password,
                          'login': 'Log in'})
    assert r.status == 200 and r.hidden('csrf_token'), r.plain
    return client


def token(client, page, path):
    value = client.get(page, path).hidden('csrf_token')
    assert value, (page, path)
    return value


def role_token(mlist, role, user=None, age=0):
    """A token made as the page would make it for ROLE, AGE seconds ago."""
    from Mailman.Cgi import Auth
    session = Auth.Session(role, mlist.internal_name(), user)
    return Auth.csrf_token(reload(mlist), session, now=time.time() - age)


def stale_token(mlist, role, user=None):
    from Mailman import mm_cfg
    return role_token(mlist, role, user, age=mm_cfg.FORM_LIFETIME + 10)


# ---------------------------------------------------------------- 1. CSRF
def list_state(mlist):
    """Everything a forged form could change: the list's files (settings,
    members, its own templates), its held messages and queued mail."""
    from Mailman import mm_cfg
    from unithelp import queued
    name = mlist.internal_name()
    files = {}
    for root, dirs, names in os.walk(mlist.fullpath()):
        for entry in names:
            path = os.path.join(root, entry)
            with open(path, 'rb') as f:
                files[os.path.relpath(path, mlist.fullpath())] = f.read()
    held = sorted(entry for entry in os.listdir(mm_cfg.DATA_DIR)
                  if f'-{name}-' in entry)
    mail = [len(queued(queue, name)) for queue in
            (mm_cfg.INQUEUE_DIR, mm_cfg.VIRGINQUEUE_DIR)]
    return files, held, mail


def forged_tokens(stale, other_list, other_role):
    """(label, token) pairs that must not pass: none, a stale one, another
    list's (a real one, served to the same client), another role's."""
    return [('missing', None), ('empty', ''), ('garbage', '1.abc'),
            ('stale', stale), ('other list', other_list),
            ('other role', other_role)]


def try_forgeries(client, page, path, fields, tokens, mlist, status=None):
    before = list_state(mlist)
    for label, value in tokens:
        form = dict(fields)
        if value is not None:
            form['csrf_token'] = value
        r = client.post(page, path, form=form)
        assert FORGED in r.plain.lower().replace('\n', ' '), \
            (page, path, label, r.plain[:300])
        if status:
            assert r.status == status, (page, label)
        assert_inert(r, f'{page}{path} forged ({label})')
        assert list_state(mlist) == before, (page, path, label)
    # A link (GET) carrying the fields and the page's real token: only a
    # form posted from the page may change anything.
    query = dict(fields, csrf_token=token(client, page, path))
    client.get(page, path, query=urllib.parse.urlencode(query))
    assert list_state(mlist) == before, (page, path, 'GET')


def admin_setup(site):
    """A list, another list, and an admin client logged in to both (so the
    other list's token is one this client was really given)."""
    from Mailman import mm_cfg
    m, other = site(), site()
    client = admin_login(m)
    admin_login(other, client)
    return m, other, client, forged_tokens(
        stale_token(m, mm_cfg.AuthListAdmin),
        token(client, 'admin', f'/{other.internal_name()}'),
        role_token(m, mm_cfg.AuthListModerator))


def test_csrf_admin_general_setting(site):
    m, other, client, tokens = admin_setup(site)
    path = f'/{m.internal_name()}/general'
    fields = {'subject_prefix': '[forged] '}
    try_forgeries(client, 'admin', path, fields, tokens, m)
    # The same post with the page's own token does change it.
    client.post('admin', path, form=dict(
        fields, csrf_token=token(client, 'admin', path)))
    assert reload(m).subject_prefix == '[forged] '


def test_csrf_admin_passwords(site):
    m, other, client, tokens = admin_setup(site)
    path = f'/{m.internal_name()}/passwords'
    fields = {'newpw': 'forged-pw', 'confirmpw': 'forged-pw'}
    try_forgeries(client, 'admin', path, fields, tokens, m)
    client.post('admin', path, form=dict(
        fields, csrf_token=token(client, 'admin', path)))
    from Mailman import mm_cfg
    assert reload(m).Authenticate([mm_cfg.AuthListAdmin], 'forged-pw') == \
        mm_cfg.AuthListAdmin


def test_csrf_admin_members_add_and_remove(site):
    m, other, client, tokens = admin_setup(site)
    add_member(m, BOB, 'Bob')
    name = m.internal_name()
    add = {'subscribees': 'forged@example.org',
           'send_welcome_msg_to_this_batch': '0',
           'send_notifications_to_list_owner': '0',
           'setmemberopts_btn': 'Submit Your Changes'}
    remove = {'unsubscribees': BOB, 'send_unsub_ack_to_this_batch': '0',
              'send_unsub_notifications_to_list_owner': '0',
              'setmemberopts_btn': 'Submit Your Changes'}
    try_forgeries(client, 'admin', f'/{name}/members/add', add, tokens, m)
    try_forgeries(client, 'admin', f'/{name}/members/remove', remove,
                  tokens, m)
    assert reload(m).getMembers() == [BOB]
    for path, fields in ((f'/{name}/members/add', add),
                         (f'/{name}/members/remove', remove)):
        client.post('admin', path, form=dict(
            fields, csrf_token=token(client, 'admin', path)))
    assert reload(m).getMembers() == ['forged@example.org']


def test_csrf_admindb_approve(site):
    from Mailman import mm_cfg
    m, other = site(), site()
    request_id = hold_post(m, post_bytes(m, 'Held for approval'))
    sub_id = hold_subscription(m, 'joiner@example.org', 'Joiner')
    client = admin_login(m)
    admin_login(other, client)
    hold_post(other, post_bytes(other))
    foreign = token(client, 'admindb', f'/{other.internal_name()}')
    # Logged in as the administrator, a moderator's token is another role.
    tokens = forged_tokens(stale_token(m, mm_cfg.AuthListAdmin), foreign,
                           role_token(m, mm_cfg.AuthListModerator))
    fields = {str(request_id): str(mm_cfg.APPROVE),
              str(sub_id): str(mm_cfg.SUBSCRIBE)}
    path = '/' + m.internal_name()
    try_forgeries(client, 'admindb', path, fields, tokens, m, status=403)
    # And the other way round: a moderator's session, an admin's token.
    mod = moderator_login(m)
    try_forgeries(mod, 'admindb', path, fields, forged_tokens(
        stale_token(m, mm_cfg.AuthListModerator), foreign,
        role_token(m, mm_cfg.AuthListAdmin)), m, status=403)
    assert reload(m).GetHeldMessageIds() == [request_id]
    r = mod.post('admindb', path, form=dict(
        fields, csrf_token=token(mod, 'admindb', path)))
    assert r.status == 200
    fresh = reload(m)
    assert fresh.GetHeldMessageIds() == [] and fresh.isMember(
        'joiner@example.org')


def test_csrf_options_member_option(site):
    from Mailman import mm_cfg
    m, other = site(), site()
    for mlist in (m, other):
        add_member(mlist, ANN, 'Ann')
    add_member(m, BOB, 'Bob')
    locked(m, lambda l: l.setMemberOption(
        ANN, mm_cfg.DontReceiveDuplicates, 0))
    client = member_login(m)
    member_login(other, client=client)
    path = f'/{m.internal_name()}/{ANN}'
    tokens = forged_tokens(
        stale_token(m, mm_cfg.AuthUser, ANN),
        token(client, 'options', f'/{other.internal_name()}/{ANN}'),
        role_token(m, mm_cfg.AuthListAdmin))
    # Another member's token is another identity.
    tokens.append(('other member', role_token(m, mm_cfg.AuthUser, BOB)))
    for button, fields in (
            ('options-submit', {'nodupes': '1', 'conceal': '1'}),
            ('changepw', {'newpw': 'forged', 'confpw': 'forged'}),
            ('unsub', {'unsubconfirm': '1'}),
            ('change-of-address', {'new-address': 'x@example.org',
                                   'confirm-address': 'x@example.org',
                                   'fullname': 'Forged'})):
        try_forgeries(client, 'options', path, dict(fields, **{button: 'x'}),
                      tokens, m, status=403)
    assert not reload(m).getMemberOption(ANN, mm_cfg.DontReceiveDuplicates)
    client.post('options', path, form={
        'nodupes': '1', 'options-submit': 'x',
        'csrf_token': token(client, 'options', path)})
    assert reload(m).getMemberOption(ANN, mm_cfg.DontReceiveDuplicates)


def test_csrf_edithtml_template(site):
    from Mailman import mm_cfg
    m, other = site(), site()
    client = admin_login(m)
    admin_login(other, client)
    path = f'/{m.internal_name()}/listinfo.html'
    tokens = forged_tokens(
        stale_token(m, mm_cfg.AuthListAdmin),
        token(client, 'edithtml', f'/{other.internal_name()}/listinfo.html'),
        role_token(m, mm_cfg.AuthListModerator))
    fields = {'html_code': '<p>Forged page</p>', 'lang': 'en'}
    try_forgeries(client, 'edithtml', path, fields, tokens, m)
    client.post('edithtml', path, form=dict(
        fields, csrf_token=token(client, 'edithtml', path)))
    saved = os.path.join(m.fullpath(), 'en', 'listinfo.html')
    with open(saved, encoding='utf-8') as f:
        assert 'Forged page' in f.read()


def test_csrf_confirm_page(site):
    """The confirmation page's own token: a pending subscription is not
    confirmed by a form that did not come from its page."""
    from Mailman.Cgi import Page
    m = site()
    remote = unique_remote()
    drain_virgin()
    r = call('subscribe', '/' + m.internal_name(), 'POST', {
        'email': 'pending@example.org', 'pw': 'pw-1', 'pw-conf': 'pw-1',
        'sub_form_token': Page.make_subscribe_token(
            m.internal_name(), remote, now=time.time() - 10)},
        remote=remote)
    assert r.status == 200
    (msg, data), = drain_virgin()
    cookie = re.search(r'[0-9a-f]{40}', str(msg['subject'])).group(0)
    path = f'/{m.internal_name()}/{cookie}'
    real = call('confirm', path).hidden('confirm_token')
    for forged in (None, '', real[:-1] + ('0' if real[-1] != '0' else '1'),
                   Page.confirm_token('otherlist', cookie)):
        form = {'cookie': cookie, 'submit': 'Confirm'}
        if forged is not None:
            form['confirm_token'] = forged
        r = call('confirm', path, 'POST', form)
        assert r.status == 403
    assert not reload(m).isMember('pending@example.org')
    r = call('confirm', path, 'POST', {'cookie': cookie, 'submit': 'Confirm',
                                       'confirm_token': real})
    assert reload(m).isMember('pending@example.org')


# ---------------------------------------------------------------- 2. XSS
@pytest.fixture
def hostile(site):
    """A list full of hostile text, in every place it can come from:
    owner-set texts (through the admin form), member names, a stored
    address with a quoted local part, a held post and a held subscription,
    archived messages (with HTML and SVG attachments)."""
    m = site(archive_private=1, private_roster=0, subscribe_policy=1)
    client = admin_login(m)
    name = m.internal_name()
    # Owner texts, through the admin pages as an owner would set them.
    for path, fields in (
            ('general', {'description': ATTR, 'info': SCRIPT + '\n' + ATTR,
                         'subject_prefix': HOSTILE,
                         'welcome_msg': HOSTILE, 'goodbye_msg': HOSTILE}),
            ('privacy/sender', {
                'accept_these_nonmembers': '^' + ATTR,
                'member_moderation_notice': HOSTILE,
                'nonmember_rejection_notice': HOSTILE}),
            ('privacy/subscribing', {'ban_list': '^.*' + ATTR}),
            ('autoreply', {'autoresponse_postings_text': HOSTILE})):
        path = f'/{name}/{path}'
        r = client.post('admin', path, form=dict(
            fields, csrf_token=token(client, 'admin', path)))
        assert_inert(r, f'admin {path} after saving texts')
        assert 'Nothing was saved' not in r.plain, (path, r.plain[:600])
    fresh = reload(m)
    assert fresh.description == ATTR and SCRIPT in fresh.info
    assert fresh.subject_prefix == HOSTILE
    # Topics, whose names members see on their options pages.
    def set_topics(locked_list):
        locked_list.topics = [(HOSTILE, 'hostile', ATTR, False),
                              ('plain', 'plain', '', False)]
        locked_list.topics_enabled = 1
    locked(m, set_topics)
    add_member(m, ANN, SCRIPT)
    add_member(m, BOB, ATTR)
    add_member(m, QUOTED, HOSTILE, raw=True)
    raw = post_bytes(m, subject=HOSTILE, sender=f'{ATTR} <evil@example.org>',
                     body=f'{SCRIPT}\n{ATTR}\n')
    request_id = hold_post(m, raw, sender=QUOTED,
                           reason=f'Because {HOSTILE}')
    hold_subscription(m, 'held@example.org', HOSTILE)
    build_archive(m, [raw, post_bytes(m, subject='Re: ' + ATTR,
                                      sender=f'{SCRIPT} <eve@example.org>',
                                      body='plain words\n'),
                      html_post(m)])
    return types.SimpleNamespace(mlist=reload(m), admin=client,
                                 request_id=request_id)


def test_owner_cannot_set_real_name_to_markup(site):
    """real_name may only change the case of the list name (Gui General),
    so it never holds markup; the refusal is shown escaped."""
    m = site()
    client = admin_login(m)
    path = f'/{m.internal_name()}/general'
    before = list_state(m)
    r = client.post('admin', path, form={
        'real_name': SCRIPT, 'csrf_token': token(client, 'admin', path)})
    assert 'Nothing was saved' in r.plain
    assert_inert(r, 'admin general refusing real_name')
    assert list_state(m) == before
    r = client.post('admin', path, form={
        'real_name': m.internal_name().upper(),
        'csrf_token': token(client, 'admin', path)})
    assert reload(m).real_name == m.internal_name().upper()


def test_owner_template_cannot_carry_script(site):
    """An owner edits the public pages' HTML (as in 2.1), but the site's
    visitors include other lists' owners and the site administrator:
    script must not come through, whether the edit is refused, the markup
    removed, or every page sent with a policy forbidding script."""
    m = site()
    client = admin_login(m)
    name = m.internal_name()
    for template, page, path in (
            ('listinfo.html', 'listinfo', f'/{name}'),
            ('options.html', 'options', f'/{name}/{ANN}')):
        edit = f'/{name}/{template}'
        r = client.get('edithtml', edit)
        shown = re.search(r'<textarea[^>]*>(.*?)</textarea>', r.text, re.S)
        original = html.unescape(shown.group(1)).lstrip('\n')
        assert '</body>' in original.lower(), template
        hostile = original.replace('</BODY>', '</body>').replace(
            '</body>', f'{SCRIPT}<p onmouseover="alert(1)">x</p></body>', 1)
        client.post('edithtml', edit, form={
            'html_code': hostile, 'lang': 'en',
            'csrf_token': token(client, 'edithtml', edit)})
        if page == 'options':
            add_member(m, ANN, 'Ann')
            r = member_login(m, ANN).get(page, path)
        else:
            r = call(page, path)
        policy = r.headers.get('content-security-policy', '')
        if "script-src 'none'" not in policy:
            assert_inert(r, f'{page} after editing {template}')


def hostile_queries(name):
    """Paths and queries carrying hostile text to each page."""
    q = urllib.parse.quote
    return [
        ('listinfo', '', ''), ('listinfo', '/' + name, ''),
        ('listinfo', '/' + q(SCRIPT), ''),
        ('listinfo', '/' + name, 'language=' + q(HOSTILE)),
        ('subscribe', '/' + q(SCRIPT), ''),
        ('subscribe', '/' + name, ''),
        ('confirm', '/' + name + '/' + q(SCRIPT), ''),
        ('confirm', '/' + q(ATTR) + '/abc', ''),
        ('roster', '/' + name, 'language=' + q(HOSTILE)),
        ('roster', '/' + q(SCRIPT), ''),
        ('options', '/' + name, ''),
        ('options', '/' + name + '/' + q(QUOTED), ''),
        ('options', '/' + name + '/' + q(SCRIPT), ''),
        ('options', '/' + name, 'email=' + q(ATTR)),
        ('admin', '', ''), ('admin', '/' + name, ''),
        ('admin', '/' + name + '/' + q(SCRIPT), ''),
        ('admin', '/' + name, 'VARHELP=' + q(HOSTILE)),
        ('admin', '/' + q(SCRIPT), ''),
        ('admindb', '/' + name, 'sender=' + q(HOSTILE)),
        ('admindb', '/' + name, 'msgid=' + q(ATTR) + '&details=' + q(SCRIPT)),
        ('edithtml', '/' + name, ''),
        ('edithtml', '/' + name + '/' + q(SCRIPT), ''),
        ('edithtml', '/' + name + '/listinfo.html', 'lang=' + q(ATTR)),
        ('private', '/' + name + '/', ''),
        ('private', '/' + name + '/' + q(SCRIPT), ''),
        ('private', '/' + q(SCRIPT), ''),
        ('search', '/' + name, 'q=' + q(HOSTILE)),
        ('search', '/' + q(SCRIPT), ''),
        ('create', '', 'listname=' + q(SCRIPT)),
        ('create', '/' + q(SCRIPT), ''),
        ('rmlist', '/' + name, ''), ('rmlist', '/' + q(ATTR), ''),
    ]


def test_hostile_text_is_inert_for_visitors(hostile, monkeypatch):
    from Mailman import mm_cfg
    from Mailman.Cgi import Page
    m = hostile.mlist
    name = m.internal_name()
    seen = []
    for page, path, query in hostile_queries(name):
        r = call(page, path, query=query, remote=unique_remote())
        assert_inert(r, f'{page}{path}?{query}')
        seen.append(r)
    # Posts a visitor may make, echoing what was typed.
    sub_token = object()        # made for each post's client
    new_list = 'sec-' + uuid.uuid4().hex[:6]
    posts = [
        ('subscribe', '/' + name, {
            'email': QUOTED, 'fullname': HOSTILE, 'pw': 'a', 'pw-conf': 'a',
            'sub_form_token': sub_token}),
        ('subscribe', '/' + name, {
            'email': f'new-{uuid.uuid4().hex[:6]}@example.org',
            'fullname': HOSTILE, 'pw': 'a', 'pw-conf': 'a',
            'language': ATTR, 'sub_form_token': sub_token}),
        ('subscribe', '/' + name, {'email': SCRIPT,
                                   'sub_form_token': ATTR}),
        ('options', '/' + name, {'email': QUOTED, 'password': ATTR,
                                 'login': 'x'}),
        ('options', '/' + name, {'email': SCRIPT, 'login-link': 'x'}),
        ('options', '/' + name, {'email': QUOTED, 'login-unsub': 'x'}),
        ('options', '/' + name, {'reset': SCRIPT}),
        ('admin', '/' + name, {'adminpw': SCRIPT, 'admlogin': 'x'}),
        ('admindb', '/' + name, {'adminpw': ATTR, 'sender': SCRIPT}),
        ('edithtml', '/' + name, {'adminpw': ATTR}),
        ('roster', '/' + name, {'roster-email': SCRIPT, 'roster-pw': ATTR}),
        ('private', '/' + name + '/', {'username': SCRIPT,
                                       'password': ATTR}),
        ('search', '/' + name, {'q': SCRIPT, 'username': ATTR,
                                'password': 'x'}),
        ('create', '', {'listname': SCRIPT, 'owner': ATTR, 'auth': 'x',
                        'doit': 'x'}),
        ('create', '', {'listname': new_list,
                        'owner': QUOTED, 'password': 'p', 'confirm': 'p',
                        'auth': CREATOR_PW, 'doit': 'x',
                        'langs': [ATTR]}),
        ('rmlist', '/' + name, {'password': SCRIPT, 'doit': 'x'}),
        ('confirm', '/' + name, {'cookie': SCRIPT, 'confirm_token': ATTR}),
    ]
    for page, path, form in posts:
        remote = unique_remote()
        if form.get('sub_form_token') is sub_token:
            form['sub_form_token'] = Page.make_subscribe_token(
                name, remote, now=time.time() - 10)
        r = call(page, path, 'POST', form, remote=remote)
        assert_inert(r, f'POST {page}{path} {sorted(form)}')
    from Mailman import Utils
    assert not Utils.list_exists(new_list)      # its owner was refused
    # The overviews name the host the browser asked for.
    for page in ('listinfo', 'admin'):
        r = call(page, '', host='x' + ATTR)
        assert_inert(r, f'{page} overview with a hostile Host')
    # The hostile texts did reach pages, escaped (so the checks above
    # looked at them).
    listinfo = seen[1]
    assert ATTR in listinfo.plain and SCRIPT in listinfo.plain
    roster = call('roster', '/' + name)
    assert QUOTED in roster.plain or \
        QUOTED.replace('@', ' at ') in roster.plain, roster.plain
    # With the members' names shown too.
    monkeypatch.setattr(mm_cfg, 'ROSTER_DISPLAY_REALNAME', True)
    roster = call('roster', '/' + name)
    assert_inert(roster, 'roster with names')
    assert SCRIPT in roster.plain and ATTR in roster.plain
    # The confirmation page of the subscription asked for above, which
    # shows the name typed into the form.
    cookies = [re.search(r'[0-9a-f]{40}', str(msg['subject'])).group(0)
               for msg, data in drain_virgin()
               if re.search(r'[0-9a-f]{40}', str(msg['subject']))]
    shown = []
    for cookie in cookies:
        r = call('confirm', f'/{name}/{cookie}')
        assert_inert(r, 'confirm page')
        shown.append(r.plain)
    assert any(HOSTILE in text for text in shown), shown
    assert reload(m).isMember(ANN)          # nothing above removed anyone


def archive_paths(mlist):
    """The private page paths of every HTML file of MLIST's archive."""
    top = mlist.archive_dir()
    paths = ['/' + mlist.internal_name() + '/']
    for root, dirs, names in os.walk(top):
        for entry in sorted(names):
            if entry.endswith('.html'):
                rel = os.path.relpath(os.path.join(root, entry), top)
                paths.append(f'/{mlist.internal_name()}/{rel}')
    return paths


def other_archive_files(mlist):
    """The private page paths of the archive's files that are not HTML
    (attachments, the text of each period)."""
    top = mlist.archive_dir()
    found = []
    for root, dirs, names in os.walk(top):
        for entry in sorted(names):
            if not entry.endswith('.html'):
                rel = os.path.relpath(os.path.join(root, entry), top)
                found.append(f'/{mlist.internal_name()}/{rel}')
    return found


def assert_archive_file_safe(r, where):
    """An archive file other than a page (an attachment, a period's text):
    whatever the sender put in it (an SVG with script, say) is served
    under a policy that lets no script run, and is inert if it is HTML."""
    assert r.status == 200, where
    policy = r.headers.get('content-security-policy', '')
    assert "script-src 'none'" in policy, (where, policy)
    if 'html' in r.headers.get('content-type', ''):
        assert_inert(r, where)


def test_hostile_text_is_inert_for_members(hostile):
    m = hostile.mlist
    name = m.internal_name()
    q = urllib.parse.quote
    client = member_login(m, ANN)
    quoted_member = member_login(m, QUOTED)
    pages = [(client, 'options', f'/{name}/{ANN}', ''),
             (client, 'options', f'/{name}', ''),
             (client, 'options', f'/{name}/{ANN}', 'language=' + q(ATTR)),
             (quoted_member, 'options', f'/{name}/{q(QUOTED)}', ''),
             (client, 'roster', f'/{name}', ''),
             (client, 'search', f'/{name}', 'q=alert'),
             (client, 'search', f'/{name}', 'q=' + q(HOSTILE)),
             (client, 'private', f'/{name}/{q(SCRIPT)}', '')]
    archived = archive_paths(m)
    assert len(archived) >= 5, archived
    pages += [(client, 'private', path, '') for path in archived]
    texts = []
    for who, page, path, query in pages:
        r = who.get(page, path, query=query)
        assert r.status == 200 or path.endswith(q(SCRIPT)), (page, path)
        assert_inert(r, f'member {page}{path}?{query}')
        texts.append(r.plain)
    assert any(HOSTILE in text for text in texts[-len(archived):])
    others = other_archive_files(m)
    assert any(path.endswith('.svg') for path in others), others
    for path in others:
        assert_archive_file_safe(client.get('private', path), path)
    assert SCRIPT in texts[0]               # Ann's own name, escaped
    assert HOSTILE in texts[0]              # the topic's name
    # A member's own posts: bad values and a hostile new name.
    path = f'/{name}/{ANN}'
    for form in ({'options-submit': 'x', 'digest': ATTR,
                  'language': SCRIPT, 'usertopic': SCRIPT},
                 {'change-of-address': 'x', 'fullname': ATTR,
                  'new-address': '', 'confirm-address': ''},
                 {'change-of-address': 'x', 'new-address': QUOTED,
                  'confirm-address': QUOTED},
                 {'changepw': 'x', 'newpw': SCRIPT, 'confpw': ATTR}):
        form['csrf_token'] = token(client, 'options', path)
        r = client.post('options', path, form=form)
        assert_inert(r, f'member post {sorted(form)}')
    assert_inert(client.get('options', path), 'options after renaming')


def test_hostile_text_is_inert_for_administrators(hostile):
    from Mailman.Cgi.admindb_render import quote_sender
    from Mailman import mm_cfg
    m = hostile.mlist
    name = m.internal_name()
    q = urllib.parse.quote
    client = hostile.admin
    pages = [('admin', f'/{name}/{category}', '')
             for category in m.GetConfigCategories()]
    for category in m.GetConfigCategories():
        for subcat, title in m.GetConfigSubCategories(category) or []:
            pages.append(('admin', f'/{name}/{category}/{subcat}', ''))
    pages += [
        ('admin', '', ''),
        ('admin', f'/{name}/members', ''),
        ('admin', f'/{name}/members', 'findmember=' + q(SCRIPT)),
        ('admin', f'/{name}/members', 'letter=' + q(ATTR)),
        ('admin', f'/{name}/', 'VARHELP=general/description'),
        ('admin', f'/{name}/', 'VARHELP=' + q(HOSTILE)),
        ('admindb', f'/{name}', ''),
        ('admindb', f'/{name}', 'details=all'),
        ('admindb', f'/{name}', 'details=instructions'),
        ('admindb', f'/{name}', f'msgid={hostile.request_id}'),
        ('admindb', f'/{name}', 'sender=' + quote_sender(QUOTED)),
        ('admindb', f'/{name}', 'sender=' + q(HOSTILE)),
        ('edithtml', f'/{name}', ''),
        ('edithtml', f'/{name}/listinfo.html', ''),
        ('options', f'/{name}/{ANN}', ''),
        ('options', f'/{name}/{q(QUOTED)}', ''),
        ('options', f'/{name}', ''),
        ('roster', f'/{name}', ''),
        ('search', f'/{name}', 'q=alert'),
    ]
    pages += [('private', path, '') for path in archive_paths(m)]
    shown = {}
    for page, path, query in pages:
        r = client.get(page, path, query=query)
        assert_inert(r, f'admin {page}{path}?{query}')
        shown[(page, path, query)] = r
    members = shown[('admin', f'/{name}/members', '')]
    assert SCRIPT in members.inputs().values(), members.plain[:500]
    assert QUOTED in members.plain
    detail = shown[('admindb', f'/{name}', f'msgid={hostile.request_id}')]
    assert HOSTILE in detail.plain
    # The administrator's own posts that echo what was typed.
    posts = [
        ('admin', f'/{name}/members/add', {
            'subscribees': f'{SCRIPT}\n{QUOTED}\n{ATTR} <x@example.org>',
            'send_welcome_msg_to_this_batch': '0',
            'send_notifications_to_list_owner': '0'}),
        ('admin', f'/{name}/members/remove', {'unsubscribees': HOSTILE}),
        ('admin', f'/{name}/members/change', {'change_from': QUOTED,
                                              'change_to': SCRIPT}),
        ('admin', f'/{name}/members/list', {
            'user': [urllib.parse.quote(QUOTED)],
            urllib.parse.quote(QUOTED) + '_mod': 'on',
            'setmemberopts_btn': 'x'}),
        ('admin', f'/{name}/general', {'subject_prefix': HOSTILE,
                                       'max_message_size': ATTR}),
        ('admin', f'/{name}/privacy/sender', {
            'accept_these_nonmembers': SCRIPT + '\n^' + ATTR}),
        ('admin', f'/{name}/passwords', {'newpw': SCRIPT, 'confirmpw': ATTR}),
        ('admindb', f'/{name}', {
            str(hostile.request_id): str(mm_cfg.DEFER),
            'senderfilterp-' + quote_sender(QUOTED): '1',
            'senderfilter-' + quote_sender(QUOTED): ATTR,
            'senderforwardto-' + quote_sender(QUOTED): SCRIPT}),
        ('edithtml', f'/{name}/listinfo.html', {
            'html_code': f'<MM-{ATTR}> %({SCRIPT})s', 'lang': 'en'}),
    ]
    for page, path, form in posts:
        form['csrf_token'] = token(client, page, path)
        r = client.post(page, path, form=form)
        assert_inert(r, f'admin post {page}{path}')
    assert_inert(call('admin', ''), 'admin overview')


# ---------------------------------------------------------------- 3. guessing
def guess_setup(site):
    from Mailman import mm_cfg
    m = site(archive_private=1, private_roster=1)
    add_member(m, ANN, 'Ann')
    return m, mm_cfg


def login_form(page, mlist, password):
    """(path, form) of PAGE's password login for MLIST."""
    name = mlist.internal_name()
    if page in ('admin', 'admindb', 'edithtml'):
        return '/' + name, {'adminpw': password, 'admlogin': 'Let me in...'}
    if page == 'options':
        return f'/{name}/{ANN}', {'email': ANN, 'password': password,
                                  'login': 'Log in'}
    if page == 'private':
        return f'/{name}/', {'username': ANN, 'password': password}
    if page == 'roster':
        return '/' + name, {'roster-email': ANN, 'roster-pw': password,
                            'SubscriberRoster': 'x'}
    if page == 'search':
        return '/' + name, {'username': ANN, 'password': password,
                            'q': 'x'}
    if page == 'rmlist':
        return '/' + name, {'password': password, 'doit': 'x'}
    raise ValueError(page)


RIGHT = {'admin': ADMIN_PW, 'admindb': MOD_PW, 'edithtml': ADMIN_PW,
         'options': MEMBER_PW, 'private': MEMBER_PW, 'roster': MEMBER_PW,
         'search': MEMBER_PW, 'rmlist': SITE_PW}


@pytest.mark.parametrize('page', sorted(RIGHT))
def test_password_guessing_is_cut_off(site, page):
    from Mailman import Utils
    from Mailman.Cgi import Auth
    m, mm_cfg = guess_setup(site)
    remote = unique_remote()
    for attempt in range(Auth.LOGIN_ATTEMPT_LIMIT):
        path, form = login_form(page, m, f'wrong-{attempt}')
        r = call(page, path, 'POST', form, remote=remote)
        assert r.status in (200, 401) and not r.set_cookies, (page, r.status)
        assert not r.hidden('csrf_token')
    path, form = login_form(page, m, RIGHT[page])
    r = call(page, path, 'POST', form, remote=remote)
    assert r.status == 429, (page, r.status)
    assert not r.set_cookies and not r.hidden('csrf_token')
    assert_inert(r, f'{page} 429')
    assert Utils.list_exists(m.internal_name())
    # The right password was right: another client gets in with it.
    r = call(page, path, 'POST', form, remote=unique_remote())
    assert r.status in (200, 303), (page, r.status, r.plain[:300])
    if page == 'rmlist':
        assert not Utils.list_exists(m.internal_name())
    else:
        assert r.set_cookies, page


def test_guesses_on_one_list_count_together_on_every_page(site):
    """Spreading guesses over the pages of one list buys no more of them:
    the pages share one count per client and list."""
    from Mailman.Cgi import Auth
    m, mm_cfg = guess_setup(site)
    remote = unique_remote()
    pages = sorted(RIGHT)
    for attempt in range(Auth.LOGIN_ATTEMPT_LIMIT):
        page = pages[attempt % len(pages)]
        path, form = login_form(page, m, f'wrong-{attempt}')
        r = call(page, path, 'POST', form, remote=remote)
        assert r.status != 429, (page, attempt)
    for page in pages:
        path, form = login_form(page, m, RIGHT[page])
        r = call(page, path, 'POST', form, remote=remote)
        assert r.status == 429 and not r.set_cookies, (page, r.status)


def test_list_creation_guessing_is_cut_off(site):
    from Mailman import ListLifecycle, Utils
    from Mailman.Cgi import create
    remote = unique_remote()
    names = ['sec-' + uuid.uuid4().hex[:8] for _ in range(2)]

    def form(name, auth):
        return {'listname': name, 'owner': 'owner@example.org',
                'password': 'p-1', 'confirm': 'p-1', 'langs': 'en',
                'notify': '0', 'auth': auth, 'doit': 'Create List'}
    try:
        for attempt in range(create.ATTEMPT_LIMIT):
            r = call('create', '', 'POST', form(names[0], f'w{attempt}'),
                     remote=remote)
            assert r.status == 401
        r = call('create', '', 'POST', form(names[0], CREATOR_PW),
                 remote=remote)
        assert r.status == 429 and not Utils.list_exists(names[0])
        r = call('create', '', 'POST', form(names[1], CREATOR_PW),
                 remote=unique_remote())
        assert r.status == 200 and Utils.list_exists(names[1])
    finally:
        for name in names:
            if Utils.list_exists(name):
                ListLifecycle.remove_list(name, remove_archives=True,
                                          out=lambda text: None)
        drain_virgin()


# ---------------------------------------------------------------- 4. scope
def all_cookies(client, rename=None):
    """Every cookie of CLIENT in one header, as a hostile page could make a
    browser send them; RENAME (old, new) rewrites the cookie names."""
    pairs = []
    for (name, path), value in client.jar.items():
        if rename:
            name = name.replace(*rename)
        pairs.append(f'{name}={value}')
    return '; '.join(pairs)


CANARY = 'canary-words'


def guarded_pages(mlist):
    """The staff-only pages of MLIST: (page, path)."""
    name = mlist.internal_name()
    article = [path for path in archive_paths(mlist)
               if re.search(r'/[0-9]{6}\.html$', path)]
    assert len(article) == 1, archive_paths(mlist)
    return [('admin', f'/{name}/general'), ('admin', f'/{name}/members'),
            ('admindb', f'/{name}'), ('edithtml', f'/{name}/listinfo.html'),
            ('roster', f'/{name}'), ('private', f'/{name}/'),
            ('private', article[0]), ('search', f'/{name}')]


def shows_secrets(r):
    """True if R shows what only staff may see: a held or archived post,
    a concealed member (whose address the roster may write obscured)."""
    return any(text in r.text for text in
               (CANARY, ANN, ANN.replace('@', ' at ')))


def assert_refused(r, where):
    assert r.hidden('csrf_token') is None, where
    assert not shows_secrets(r), where
    assert any(t == 'input' and a.get('type') == 'password'
               for t, a in r.parser.tags), where


def canary_list(site):
    """A list whose staff pages show CANARY: a concealed member's name, a
    held post, an archived message, the description."""
    from Mailman import mm_cfg
    m = site(archive_private=1, private_roster=2,
             description='Described ' + CANARY)
    add_member(m, ANN, 'Ann ' + CANARY)
    add_member(m, BOB, 'Bob')
    hold_post(m, post_bytes(m, 'Held ' + CANARY))
    build_archive(m, [post_bytes(m, 'Archived ' + CANARY,
                                 body=f'{CANARY}\n')])
    locked(m, lambda l: l.setMemberOption(ANN, mm_cfg.ConcealSubscription,
                                          1))
    return m


def test_admin_cookie_opens_only_its_own_list(site):
    one, two = canary_list(site), canary_list(site)
    client = admin_login(one)
    for page, path in guarded_pages(one):
        r = client.get(page, path, query='q=Archived')
        assert r.status == 200, (page, path)
        assert r.hidden('csrf_token') or shows_secrets(r) or \
            path.endswith('/'), (page, path)
    for page, path in guarded_pages(two):
        for cookie in (all_cookies(client),
                       all_cookies(client, (one.internal_name(),
                                            two.internal_name()))):
            r = call(page, path, cookie=cookie, query='q=Archived')
            assert_refused(r, (page, path))
    # Nor through a path that climbs out of its own archive.
    article = guarded_pages(two)[-2][1]
    a_name, b_name = one.internal_name(), two.internal_name()
    for path in (f'/{a_name}/..{article}', f'/{a_name}//..{article}',
                 f'/{a_name}/./..{article}', f'/{a_name}/../{b_name}/',
                 f'/{a_name}.mbox/../{b_name}.mbox/{b_name}.mbox'):
        r = client.get('private', path)
        assert r.status >= 400 and not shows_secrets(r), (path, r.status)
    # Nor does it let a post through there.
    before = list_state(two)
    token_one = token(client, 'admin', f'/{one.internal_name()}/general')
    call('admin', f'/{two.internal_name()}/general', 'POST',
         {'subject_prefix': 'x', 'csrf_token': token_one},
         cookie=all_cookies(client, (one.internal_name(),
                                     two.internal_name())))
    assert list_state(two) == before


def test_moderator_cookie_opens_only_moderation(site):
    m = canary_list(site)
    client = moderator_login(m)
    name = m.internal_name()
    r = client.get('admindb', f'/{name}')
    assert CANARY in r.text and r.hidden('csrf_token')
    for page, path in [('admin', f'/{name}/general'),
                       ('edithtml', f'/{name}/listinfo.html')]:
        r = call(page, path, cookie=all_cookies(
            client, ('+moderator', '+admin')))
        assert_refused(r, (page, path))
        r = call(page, path, cookie=all_cookies(client))
        assert_refused(r, (page, path))


def test_member_cookie_opens_only_that_members_pages(site):
    one, two = canary_list(site), canary_list(site)
    client = member_login(one, ANN)
    name = one.internal_name()
    r = client.get('options', f'/{name}/{ANN}')
    assert r.hidden('csrf_token') and CANARY in r.text
    # Another member's options page, on the same list.
    r = client.get('options', f'/{name}/{BOB}')
    assert r.hidden('csrf_token') is None and 'Bob' not in r.inputs().values()
    # The same member on another list.
    for cookie in (all_cookies(client),
                   all_cookies(client, (name, two.internal_name()))):
        r = call('options', f'/{two.internal_name()}/{ANN}', cookie=cookie)
        assert r.hidden('csrf_token') is None
    # The staff pages of the member's own list, even with the member's
    # cookie renamed as an administrator's or moderator's.
    user_cookie = [key for key, path in client.jar if '+user+' in key][0]
    for role in ('admin', 'moderator', 'siteadmin'):
        renamed = all_cookies(client, (user_cookie, f'{name}+{role}'))
        for page, path in guarded_pages(one):
            if page in ('private', 'search'):
                continue        # open to members
            r = call(page, path, cookie=renamed)
            assert_refused(r, (role, page, path))
    for page, path in guarded_pages(two):
        r = call(page, path, cookie=all_cookies(
            client, (name, two.internal_name())))
        assert_refused(r, (page, path))


# ---------------------------------------------------------------- 5. bots
def subscribe_form(mlist, remote, address):
    from Mailman.Cgi import Page
    return {'email': address, 'fullname': 'Web Person', 'pw': 'pw-12345',
            'pw-conf': 'pw-12345', 'digest': '0',
            'sub_form_token': Page.make_subscribe_token(
                mlist.internal_name(), remote, now=time.time() - 10)}


def test_subscribe_burst_from_one_client_is_refused(site):
    from Mailman import mm_cfg
    m = site()
    drain_virgin()
    remote = unique_remote()
    limit = mm_cfg.WEB_SUBSCRIBE_RATE_LIMIT
    addresses = [f'burst-{uuid.uuid4().hex[:8]}@example.org'
                 for _ in range(limit + 2)]
    answers = [call('subscribe', '/' + m.internal_name(), 'POST',
                    subscribe_form(m, remote, address), remote=remote)
               for address in addresses]
    assert [r.status for r in answers] == [200] * limit + [429, 429]
    for r in answers[limit:]:
        assert_inert(r, 'subscribe 429')
    asked = {data['recips'][0] for msg, data in drain_virgin()}
    assert asked == set(addresses[:limit])
    # Another client is served.
    other = unique_remote()
    r = call('subscribe', '/' + m.internal_name(), 'POST',
             subscribe_form(m, other, 'calm@example.org'), remote=other)
    assert r.status == 200


def test_subscribe_flood_of_one_address_is_refused(site):
    from Mailman import mm_cfg
    m = site()
    drain_virgin()
    address = f'target-{uuid.uuid4().hex[:8]}@example.org'
    limit = mm_cfg.WEB_SUBSCRIBE_ADDRESS_LIMIT
    statuses = []
    for _ in range(limit + 2):
        remote = unique_remote()
        statuses.append(call('subscribe', '/' + m.internal_name(), 'POST',
                             subscribe_form(m, remote, address),
                             remote=remote).status)
    assert statuses == [200] * limit + [429, 429]
    # The victim got at most one confirmation request per accepted post.
    assert len(drain_virgin()) <= limit


def test_mail_to_one_address_is_bounded_on_every_page(site):
    """Every form anyone may use to have mail sent to an address (the
    subscribe form; the options page's login link, password reset and
    unsubscription requests) stops after a few per address, however many
    clients ask and however they spell the address."""
    from Mailman import mm_cfg
    from Mailman.Cgi import options
    m = site()
    victim = f'victim-{uuid.uuid4().hex[:8]}@example.org'
    add_member(m, victim, 'Victim')
    drain_virgin()
    spellings = [victim, victim.upper(), victim.capitalize()]
    refused = 0
    for n in range(12):
        address = spellings[n % len(spellings)]
        for kind in ('login-link', 'login-remind', 'login-unsub'):
            r = call('options', '/' + m.internal_name(), 'POST',
                     {'email': address, kind: 'x'}, remote=unique_remote())
            refused += r.status == 429
        remote = unique_remote()
        r = call('subscribe', '/' + m.internal_name(), 'POST',
                 subscribe_form(m, remote, address), remote=remote)
        refused += r.status == 429
    mails = [msg for msg, data in drain_virgin()
             if victim in [a.lower() for a in data.get('recips', [])]]
    assert refused > 0 and mails
    assert len(mails) <= mm_cfg.WEB_SUBSCRIBE_ADDRESS_LIMIT + \
        options.MAIL_LIMIT_ADDRESS, len(mails)
