"""Fuzzing every web page with hostile and odd input.

Each page is driven as a browser (and a careless script) would: logged in
through the real login forms where the page needs it, then every form the
page shows is sent back with its fields replaced by hostile values (empty,
100 kB long, right-to-left and other non-ASCII text, NUL and control
characters, several values for one name, unknown names, numbers where text
is wanted and text where numbers are, bad regexes, odd addresses), by POST
and by GET, and the page's address is bent (.., %00, unicode, extra parts,
trailing slashes); every page is also asked for with HEAD.

Every request goes through Mailman.Cgi.driver.main, as the CGI wrapper
runs it, and every answer must be: no traceback in logs/error, a status
below 500, a well-formed HTML page with the security headers, and nothing
from the input turned into markup.

No mail the pages queue may carry a header smuggled in through a field.

The values come from random.Random(SEED), so a failure repeats; the
request is in the assertion message.  MM_FUZZ_SEED=<n> MM_FUZZ_ROUNDS=<n>
in the environment run a longer hunt by hand.  The tests at the end pin
the bugs this fuzzing found.
"""

import html.parser
import http.cookies
import io
import os
import random
import shutil
import time
import urllib.parse

import pytest

from webhelp import (SCRIPT, SCRIPT_ROOT, drain_virgin, make_list,
                     parse_cgi_output, site_passwords,
                     locked, reload, unique_remote)

SEED = int(os.environ.get('MM_FUZZ_SEED', '20261127'))
# Mutated submissions of each form.
ROUNDS = int(os.environ.get('MM_FUZZ_ROUNDS', '6'))
ADMIN_PW = 'adminpw'
MOD_PW = 'fuzz-mod-pw'
MEMBER_PW = 'fuzz-member-pw'
CREATOR_PW = 'fuzz-creator-pw'
SITE_PW = 'fuzz-site-pw'
ANN = 'ann@example.org'
BOB = 'bob@example.org'
ATTR = '"><img src=x onerror=alert(1)>'
LONG = 'L' * 100_000

HOSTILE = [
    '', ' ', '   \t  ', LONG, 'x' * 5000,
    'שלום עולם \u202eevil\u202c', 'مرحبا', 'Ünïcödé ☃ 𝔘𝔫𝔦', '\ufeffbom',
    'nul\x00byte', '\x00', 'ctl\x01\x02\x1b[31m\x7f\x85', 'line\r\nBreak: x',
    '\ud7ff\ue000', '-1', '0', '1', '2', '3', '-99999999999999999999',
    '99999999999999999999999999', '1e400', 'NaN', 'inf', '0x10', '3.5', '١٢',
    '9' * 400, '9' * 4000, '-' + '9' * 5000, '1e305', '-1e305',
    # Digits to str.isdigit() that int() refuses.
    '²', '①.x', '²²²²²²²²²².' + 'a' * 64, '١٢٣.0',
    '[', '(?P<', '*', '+++', '\\', '(a+)+$', '^(', 'on', 'yes', 'off',
    '"quoted local"@example.org', '"<b>"@example.org', '"a\\"b"@example.org',
    'user@bücher.example', 'üser@example.org', 'user@xn--bcher-kva.example',
    'a@b\n@example.org', f'{ANN}\n{BOB}', 'ann@example.org\r\nBcc: x@y.z',
    'no-at-sign', '@example.org', 'a@', 'a@@b', 'a@b@c', f'{ANN},{BOB}',
    ANN, BOB, ANN.upper(), SCRIPT, ATTR, 'javascript:alert(1)',
    '../../etc/passwd', '..', '%00', '%2e%2e%2f', '/', 'a/b',
    '{', '%(foo)s', '$foo ${bar}', '<MM-List-Name>', '</textarea>' + SCRIPT,
    '<!--', ']]>', '&amp;&#0;&#x110000;',
]
CSRF_HOSTILE = HOSTILE
UNKNOWN_NAMES = ['no_such_field', SCRIPT, '', 'x' * 300, 'ü\u202e',
                 'a\x00b', '__class__', 'csrf_token[]']
PATH_SUFFIXES = ['/', '//', '/..', '/../..', '/%00', '/\x00', '/ü\u202e',
                 '/extra/parts/here', '/' + SCRIPT, '/' + 'p' * 300,
                 '/./.', '/%2e%2e', '/../../etc/passwd',
                 # Bytes that are not UTF-8, as Python's environment
                 # decoding hands them over (surrogate escapes).
                 '/\udcff\udcfe', '/caf\udce9@example.org']
SECURITY = {'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY'}
VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link',
        'meta', 'source', 'track', 'wbr', 'param'}
# End tags HTML lets a page leave out.
OPTIONAL_END = {'p', 'li', 'dt', 'dd', 'option', 'optgroup', 'tr', 'td',
                'th', 'thead', 'tbody', 'tfoot', 'colgroup', 'html', 'head',
                'body'}
ACTIVE_TAGS = {'script', 'img', 'iframe', 'object', 'embed', 'svg', 'math',
               'frame', 'frameset', 'base'}


# ---------------------------------------------------------------- requests
class Visitor:
    """A browser (cookies kept per path) whose requests go through the CGI
    driver, as the wrapper runs the pages."""

    def __init__(self):
        self.remote = unique_remote()
        self.jar = {}

    def request(self, page, path='', method='GET', form=(), query='',
                owner_page=False):
        from Mailman.Cgi import driver
        url_path = SCRIPT_ROOT + page + path
        cookie = '; '.join(f'{name}={value}'
                           for (name, cpath), value in self.jar.items()
                           if url_path == cpath or
                           url_path.startswith(cpath.rstrip('/') + '/'))
        body = urllib.parse.urlencode(list(form), doseq=True).encode('utf-8')
        environ = {'REQUEST_METHOD': method, 'PATH_INFO': path,
                   'SCRIPT_NAME': SCRIPT_ROOT + page, 'QUERY_STRING': query,
                   'REMOTE_ADDR': self.remote, 'HTTP_HOST': 'www.example.com',
                   'SERVER_NAME': 'www.example.com', 'HTTP_COOKIE': cookie,
                   'CONTENT_TYPE': 'application/x-www-form-urlencoded',
                   'CONTENT_LENGTH': str(len(body)),
                   'wsgi.input': io.BytesIO(body)}
        where = f'{method} {page}{path}?{query[:200]} form={list(form)!r:.600}'
        errors_before = _log_size()
        out = io.BytesIO()
        driver.main(page, environ, out)
        new_errors = _log_since(errors_before)
        assert 'Traceback' not in new_errors, (where, new_errors)
        answer = Answer(out.getvalue(), where)
        for line in answer.set_cookies:
            jar = http.cookies.SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                key = (name, morsel['path'] or '/')
                if str(morsel['max-age']) == '0':
                    self.jar.pop(key, None)
                else:
                    self.jar[key] = morsel.value
        answer.check(owner_page)
        return answer

    def get(self, page, path='', query='', **kws):
        return self.request(page, path, 'GET', query=query, **kws)

    def post(self, page, path='', form=()):
        if isinstance(form, dict):
            form = list(form.items())
        return self.request(page, path, 'POST', form)


def _log_path():
    from Mailman import mm_cfg
    return os.path.join(mm_cfg.LOG_DIR, 'error')


def _log_size():
    try:
        return os.path.getsize(_log_path())
    except FileNotFoundError:
        return 0


def _log_since(offset):
    try:
        with open(_log_path(), 'rb') as f:
            f.seek(offset)
            return f.read().decode('utf-8', 'replace')
    except FileNotFoundError:
        return ''


class Answer:
    def __init__(self, raw, where):
        self.where = where
        self.status, self.headers, self.set_cookies, body = \
            parse_cgi_output(raw)
        self.body = body
        self.html = self.headers.get('content-type', '').startswith(
            'text/html')
        self.text = body.decode('utf-8') if self.html else ''
        self.forms = []
        if self.html:
            parser = PageParser()
            parser.feed(self.text)
            parser.close()
            self.parser = parser
            self.forms = parser.forms

    def check(self, owner_page=False):
        """OWNER_PAGE: the page is a template the list owner wrote (any
        text, but nothing that runs script)."""
        where = self.where
        assert self.status < 500, (where, self.text[:500])
        for name, value in SECURITY.items():
            assert self.headers.get(name) == value, (where, name)
        assert "script-src 'none'" in self.headers.get(
            'content-security-policy', ''), where
        if not self.html:
            return
        p = self.parser
        if self.where.startswith('HEAD') and not self.text:
            return
        if owner_page:
            assert not [a for a in p.active if not a.startswith('<')], where
            assert '<script' not in self.text.lower(), where
            return
        assert self.text.lstrip().lower().startswith('<!doctype html>'), where
        assert p.errors == [], (where, p.errors[:5])
        assert p.counts.get('html') == 1 and p.counts.get('body') == 1, where
        assert p.counts.get('h1', 0) >= 1, where
        assert p.active == [], (where, p.active[:5])
        assert '<script' not in self.text.lower(), where

    def hidden(self, name):
        for form in self.forms:
            for field in form.fields:
                if field.name == name:
                    return field.value
        return None


class Field:
    def __init__(self, name, kind, value='', options=()):
        self.name, self.kind, self.value = name, kind, value
        self.options = list(options)

    @property
    def is_button(self):
        return self.kind in ('submit', 'image', 'button-element')


class Form:
    def __init__(self, action, method):
        self.action, self.method = action, method
        self.fields = []


class PageParser(html.parser.HTMLParser):
    """A page's forms, its element nesting faults, and anything in it
    that could run script."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.errors, self.active = [], [], []
        self.stack, self.counts = [], {}
        self.form = None
        self.select = self.textarea = None
        self.option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag in ACTIVE_TAGS:
            self.active.append(f'<{tag}>')
        for name, value in attrs.items():
            if name.startswith('on'):
                self.active.append(f'{name}= on <{tag}>')
            if name in ('href', 'src', 'action', 'formaction') and value \
                    and value.strip().lower().startswith('javascript:'):
                self.active.append(f'javascript: in <{tag}>')
        if tag not in VOID:
            self.stack.append(tag)
        self._form_tag(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag not in self.stack:
            self.errors.append(f'stray </{tag}>')
            return
        while self.stack:
            open_tag = self.stack.pop()
            if open_tag == tag:
                break
            if open_tag not in OPTIONAL_END:
                self.errors.append(f'<{open_tag}> closed by </{tag}>')
        if tag == 'select':
            self.select = None
        elif tag == 'textarea':
            self.textarea = None
        elif tag == 'form':
            self.form = None
        if tag == 'option' or tag == 'select':
            self.option = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data
        if self.option is not None and self.option[1] is None:
            self.option[2] += data

    def close(self):
        super().close()
        left = [t for t in self.stack if t not in OPTIONAL_END]
        if left:
            self.errors.append(f'unclosed {left}')

    def _form_tag(self, tag, attrs):
        if tag == 'form':
            self.form = Form(attrs.get('action') or '',
                             (attrs.get('method') or 'get').upper())
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = attrs.get('name')
        if tag == 'input' and name:
            kind = (attrs.get('type') or 'text').lower()
            if kind in ('checkbox', 'radio'):
                field = Field(name, kind, attrs.get('value', 'on'))
                field.checked = 'checked' in attrs
            else:
                field = Field(name, kind, attrs.get('value') or '')
            self.form.fields.append(field)
        elif tag == 'button' and name:
            self.form.fields.append(Field(name, 'button-element',
                                          attrs.get('value') or ''))
        elif tag == 'select' and name:
            self.select = Field(name, 'select')
            self.form.fields.append(self.select)
        elif tag == 'option' and self.select is not None:
            # [selected, value attribute, text]
            self.option = ['selected' in attrs, attrs.get('value'), '']
            self.select.options.append(self.option)
        elif tag == 'textarea' and name:
            self.textarea = Field(name, 'textarea')
            self.form.fields.append(self.textarea)


def default_pairs(form):
    """What a browser sends for FORM untouched (without any button)."""
    pairs = []
    for field in form.fields:
        if field.is_button or field.kind == 'file':
            continue
        if field.kind in ('checkbox', 'radio'):
            if field.checked:
                pairs.append((field.name, field.value))
        elif field.kind == 'select':
            options = [(o[1] if o[1] is not None else o[2])
                       for o in field.options]
            chosen = [v for o, v in zip(field.options, options) if o[0]]
            if chosen or options:
                pairs.append((field.name, (chosen or options)[0]))
        else:
            pairs.append((field.name, field.value))
    return pairs


def action_target(form, page, path):
    """(page, path, query) the form posts to."""
    if not form.action:
        return page, path, ''
    url = urllib.parse.urlsplit(form.action)
    rest = url.path.split(SCRIPT_ROOT, 1)[-1]
    target, _, tail = rest.partition('/')
    return target, ('/' + tail if tail else ''), url.query


def mutate(form, rng):
    """The pairs of FORM with hostile values in some fields (mostly one or
    two, so that the rest stays valid and the page goes on to act on it),
    some fields repeated or left out, one of its buttons, and unknown
    fields."""
    names = sorted({f.name for f in form.fields if not f.is_button})
    defaults = default_pairs(form)
    if rng.random() < 0.7:
        chosen = set(rng.sample(names, min(len(names), rng.choice([1, 2]))))
        rate = 0.0
    else:
        chosen, rate = set(), 0.6
    pairs = []
    for name, value in defaults:
        roll = rng.random()
        if name == 'csrf_token':
            pairs.append((name, value if roll < 0.97 else
                          rng.choice(CSRF_HOSTILE)))
        elif name not in chosen and roll >= rate:
            pairs.append((name, value))
        elif roll < 0.75 or name in chosen and roll < 0.85:
            pairs.append((name, hostile(rng)))
        elif roll < 0.92:
            pairs.extend((name, v) for v in
                         (hostile(rng), value, hostile(rng)))
    # Fields not sent by default (unchecked boxes, text left out).
    sent = {name for name, _ in pairs}
    for name in names:
        if name not in sent and (name in chosen or rng.random() < 0.1):
            pairs.append((name, hostile(rng)))
    buttons = [f for f in form.fields if f.is_button]
    if buttons:
        button = rng.choice(buttons)
        pairs.append((button.name, button.value if rng.random() < 0.8
                      else hostile(rng)))
    if rng.random() < 0.2:
        pairs.append((rng.choice(UNKNOWN_NAMES), hostile(rng)))
    return pairs


def hostile(rng):
    # The long value is costly to parse on every page: send it less often.
    value = rng.choice(HOSTILE)
    if value is LONG and rng.random() < 0.5:
        value = rng.choice(HOSTILE[5:])
    return value


def fuzz_page(visitor, page, path, rng, rounds=ROUNDS, relogin=None,
              query=''):
    """Fetch PAGE (and HEAD it) and send each of its forms back mutated,
    ROUNDS times, the last time by the other method; RELOGIN() is called
    whenever the visitor no longer has the page's form (a fuzzed post
    may log out or change the password)."""
    first = visitor.get(page, path, query=query)
    visitor.request(page, path, 'HEAD', query=query)
    for index in range(len(first.forms)):
        for round_ in range(rounds):
            current = visitor.get(page, path, query=query)
            if index >= len(current.forms):
                if relogin:
                    relogin()
                    current = visitor.get(page, path, query=query)
                if index >= len(current.forms):
                    break
            form = current.forms[index]
            pairs = mutate(form, rng)
            target, tpath, tquery = action_target(form, page, path)
            method = form.method or 'GET'
            if round_ == rounds - 1:
                # The last round uses the other method: a post's fields in
                # a link, a search form's fields posted.
                method = 'GET' if method == 'POST' else 'POST'
            if method == 'GET':
                visitor.request(target, tpath, 'GET',
                                query=urllib.parse.urlencode(pairs))
            else:
                visitor.request(target, tpath, 'POST', pairs, query=tquery)
    return first


def bend_paths(visitor, page, base, rng, count=4):
    """Odd paths below BASE, by GET, POST and HEAD."""
    for suffix in rng.sample(PATH_SUFFIXES, count):
        method = rng.choice(['GET', 'POST', 'HEAD'])
        visitor.request(page, base + suffix, method,
                        [('x', hostile(rng))] if method == 'POST' else ())


def assert_no_injected_headers():
    """No mail the pages queued carries a header or a recipient smuggled
    in through a form field with a line break."""
    from Mailman import mm_cfg
    from unithelp import queued
    for queue in (mm_cfg.VIRGINQUEUE_DIR, mm_cfg.INQUEUE_DIR,
                  mm_cfg.OUTQUEUE_DIR):
        for msg, data in queued(queue, remove=True):
            names = {name.lower() for name in msg.keys()}
            assert not names & {'break', 'bcc'}, (msg.keys(), str(msg)[:800])
            for value in msg.values():
                assert '\n' not in str(value).replace('\n ', '').replace(
                    '\n\t', ''), (value, str(msg)[:800])
            for recipient in data.get('recipients') or ():
                assert '\n' not in recipient and '\r' not in recipient, \
                    data


@pytest.fixture(autouse=True)
def no_injected_headers():
    yield
    assert_no_injected_headers()


# ---------------------------------------------------------------- the world
def ensure_member(mlist, address=ANN, password=MEMBER_PW, name='Ann'):
    """ADDRESS a member with PASSWORD, whatever a fuzzed post did."""
    from Mailman import MemberAdaptor
    from Mailman.UserDesc import UserDesc

    def change(m):
        if not m.isMember(address):
            m.ApprovedAddMember(UserDesc(address, name, password),
                                ack=False, admin_notif=False)
        m.setMemberPassword(address, password)
        m.setDeliveryStatus(address, MemberAdaptor.ENABLED)
    locked(mlist, change)


def hold_post(mlist, sender='poster@example.net', subject='Held'):
    import email
    from Mailman.Message import Message
    raw = (f'From: {sender}\nTo: {mlist.GetListEmail()}\n'
           f'Subject: {subject} {SCRIPT}\n'
           f'Message-ID: <{time.time_ns()}@example.net>\n\nBody {ATTR}\n')
    msg = email.message_from_string(raw, _class=Message)
    data = {'listname': mlist.internal_name(), 'received_time': time.time()}
    return locked(mlist, lambda m: m.HoldMessage(msg, 'Post by non-member',
                                                 data, notify=False))


def fill_requests(mlist):
    """Held posts and subscription requests for the moderation page."""
    hold_post(mlist)
    hold_post(mlist, f'"{SCRIPT}" <odd@example.net>', 'Second')

    def change(m):
        m.admin_immed_notify = 0
        m.HoldSubscription('wants@example.org', f'Wants {SCRIPT}', 'pw',
                           False, 'en')
    locked(mlist, change)


class World:
    def __init__(self):
        from Mailman import Passwords
        self.made = []
        self.main = self.new_list(
            mod_password=Passwords.hash_password(MOD_PW, quick=True),
            description=f'Desc {SCRIPT}', info=f'Info {ATTR}',
            archive_private=1)
        ensure_member(self.main)
        ensure_member(self.main, BOB, 'bob-pw', f'Bob {SCRIPT}')
        fill_requests(self.main)

    def new_list(self, **attrs):
        m = make_list('fuzz', ADMIN_PW, **attrs)
        self.made.append(m.internal_name())
        return m

    @property
    def name(self):
        return self.main.internal_name()


@pytest.fixture(scope='module')
def world():
    from Mailman import Utils, mm_cfg
    with site_passwords(CREATOR_PW, SITE_PW):
        before = set(Utils.list_names())
        drain_virgin()
        yield World()
    for name in set(Utils.list_names()) - before:
        shutil.rmtree(os.path.join(mm_cfg.LIST_DATA_DIR, name),
                      ignore_errors=True)
        for top in (mm_cfg.PRIVATE_ARCHIVE_FILE_DIR,
                    mm_cfg.PUBLIC_ARCHIVE_FILE_DIR):
            for entry in (name, name + '.mbox'):
                path = os.path.join(top, entry)
                if os.path.islink(path):
                    os.unlink(path)
                else:
                    shutil.rmtree(path, ignore_errors=True)
        for entry in os.listdir(mm_cfg.DATA_DIR):
            if f'-{name}-' in entry:
                os.unlink(os.path.join(mm_cfg.DATA_DIR, entry))
    drain_virgin()


def admin_login(visitor, mlist, page='admin', password=ADMIN_PW):
    visitor.remote = unique_remote()
    r = visitor.post(page, '/' + mlist.internal_name(),
                     {'adminpw': password, 'admlogin': 'Let me in...'})
    assert r.status == 200 and r.hidden('adminpw') is None, r.where
    return visitor


def member_login(visitor, mlist, address=ANN):
    ensure_member(mlist, address)
    # Logins are rate-limited per client: a new one comes from elsewhere.
    visitor.remote = unique_remote()
    r = visitor.post('options', f'/{mlist.internal_name()}/{address}',
                     {'email': address, 'password': MEMBER_PW,
                      'login': 'Log in'})
    assert r.status == 200 and r.hidden('csrf_token'), r.where
    return visitor


def admin_paths(mlist):
    from Mailman import mm_cfg
    paths = ['']
    for category in mm_cfg.ADMIN_CATEGORIES:
        subcats = mlist.GetConfigSubCategories(category) or [(None, None)]
        for subcat, _ in subcats:
            paths.append(f'/{category}' + (f'/{subcat}' if subcat else ''))
    return paths


# ---------------------------------------------------------------- the tests
# Addresses an old list's data may hold, though subscribing refuses them.
ODD_MEMBERS = ['"q uoted"@example.org', 'üser@bücher.example',
               'per%cent+tag@example.org', "o'brien@example.org",
               '"<b>x</b>"@example.org']


def add_odd_members(mlist):
    def change(m):
        for address in ODD_MEMBERS:
            if not m.isMember(address):
                m.addNewMember(address, password='odd-pw',
                               realname=f'\u202e{SCRIPT}')
    locked(mlist, change)


def test_admin_every_category(world):
    rng = random.Random(SEED)
    m = world.new_list()
    ensure_member(m)
    ensure_member(m, BOB, 'bob-pw')
    add_odd_members(m)
    visitor = admin_login(Visitor(), m)
    name = '/' + m.internal_name()

    def relogin():
        # A fuzzed passwords form may have changed the password.
        from Mailman import Passwords
        locked(m, lambda l: setattr(l, 'password',
                                    Passwords.hash_password(ADMIN_PW)))
        admin_login(visitor, m)

    for path in admin_paths(m):
        rounds = 2 if path.startswith('/members') else ROUNDS
        fuzz_page(visitor, 'admin', name + path, rng, rounds, relogin)
        if path.startswith('/members'):
            ensure_member(m)
            add_odd_members(m)
    visitor.get('admin', name, query='VARHELP=' +
                urllib.parse.quote('general/' + SCRIPT))
    for query in ('VARHELP=', 'VARHELP=general/real_name/x/y',
                  'VARHELP=../../etc', 'VARHELP=members/list/x',
                  'VARHELP=nondigest/..%00'):
        visitor.get('admin', name, query=query)
    for query in ('letter=' + urllib.parse.quote('\u202e'),
                  'findmember=' + urllib.parse.quote('(?P<'),
                  'findmember=%5B&chunk=-1', 'chunk=99999999999999999999',
                  'chunk=x&letter=', 'letter=%00'):
        visitor.get('admin', name + '/members/list', query=query)
    bend_paths(visitor, 'admin', name, rng)
    bend_paths(visitor, 'admin', name + '/general', rng)
    # Logged out, every page is the login page.
    stranger = Visitor()
    for path in admin_paths(m)[:6]:
        stranger.get('admin', name + path)
        stranger.post('admin', name + path, [('adminpw', hostile(rng)),
                                             ('admlogin', 'x')])
    stranger.get('admin')
    stranger.request('admin', '', 'HEAD')


def test_admindb_queries_and_decisions(world):
    rng = random.Random(SEED + 1)
    m = world.new_list(mod_password=world.main.mod_password)
    fill_requests(m)
    add_odd_members(m)
    name = '/' + m.internal_name()
    for visitor in (admin_login(Visitor(), m, 'admindb'),
                    admin_login(Visitor(), m, 'admindb', MOD_PW)):
        def relogin():
            fill_requests(m)
        queries = ['', 'details=all', 'details=instructions',
                   'details=' + urllib.parse.quote(SCRIPT),
                   'sender=poster@example.net', 'sender=odd@example.net',
                   'sender=' + urllib.parse.quote(ATTR), 'sender=',
                   'msgid=1', 'msgid=-1', 'msgid=999999999999999999999',
                   'msgid=x', 'msgid=1&msgid=2', 'summary_sort=1',
                   'summary_sort=' + urllib.parse.quote('\u202e')]
        for query in queries:
            visitor.get('admindb', name, query=query)
            visitor.request('admindb', name, 'HEAD', query=query)
        for query in ('', 'details=all', 'sender=poster@example.net'):
            fill_requests(m)
            fuzz_page(visitor, 'admindb', name, rng, 3, relogin, query)
        bend_paths(visitor, 'admindb', name, rng)
    Visitor().post('admindb', name, [('adminpw', ''), ('sender', SCRIPT)])


def test_options_every_button(world):
    rng = random.Random(SEED + 2)
    m = world.new_list()
    name = '/' + m.internal_name()
    visitor = member_login(Visitor(), m)

    def relogin():
        member_login(visitor, m)

    path = f'{name}/{ANN}'
    fuzz_page(visitor, 'options', path, rng, 8, relogin)
    # Every button 2.1's options page has, alone and with odd values.
    buttons = ['options-submit', 'change-of-address', 'changepw', 'emailpw',
               'unsub', 'othersubs', 'reenable', 'logout', 'login',
               'login-unsub', 'login-remind', 'login-link', 'reset',
               'login-token', 'email-button', 'UserOptions', 'pw-globally']
    for button in buttons:
        relogin()
        token = visitor.get('options', path).hidden('csrf_token')
        fields = [(button, hostile(rng)), ('csrf_token', token),
                  ('new-address', hostile(rng)),
                  ('confirm-address', hostile(rng)),
                  ('fullname', hostile(rng)), ('newpw', hostile(rng)),
                  ('confpw', hostile(rng)), ('unsubconfirm', '1'),
                  ('email', hostile(rng)), ('password', hostile(rng)),
                  ('language', hostile(rng)), ('usertopic', hostile(rng))]
        visitor.post('options', path, fields)
        visitor.get('options', path, urllib.parse.urlencode(fields))
    # As a stranger, with odd addresses in the path and the login form.
    stranger = Visitor()
    for address in ('', ANN.upper(), 'nobody@example.org', SCRIPT,
                    'a@b\n@c', 'üser@bücher.example', '"q"@example.org'):
        stranger.get('options', f'{name}/{address}')
        stranger.post('options', f'{name}/{address}',
                      [('email', address), ('password', hostile(rng)),
                       ('login', 'Log in')])
        stranger.post('options', name, [('email', address),
                                        (rng.choice(buttons), 'x')])
    bend_paths(visitor, 'options', path, rng)
    admin = admin_login(Visitor(), m)
    admin.get('options', path)
    admin.get('options', name)


def test_listinfo_subscribe_roster_search(world):
    from Mailman.Cgi import Page
    rng = random.Random(SEED + 3)
    name = '/' + world.name
    visitor = Visitor()
    visitor.get('listinfo')
    visitor.request('listinfo', '', 'HEAD')
    for page in ('listinfo', 'subscribe', 'roster', 'search'):
        fuzz_page(visitor, page, name, rng, 3)
        bend_paths(visitor, page, name, rng)
        for query in ('language=' + urllib.parse.quote(SCRIPT),
                      'language=../../etc', 'language=xx', 'q=%00&start=-5',
                      'q=' + 'q' * 2000 + '&start=99999999999999999999',
                      'start=x'):
            visitor.get(page, name, query)
    # A real subscription form, filled with odd values (a fresh client
    # each time, so the rate limit does not hide the checks).
    for _ in range(16):
        fresh = Visitor()
        form = fresh.get('listinfo', name).forms
        subscribe_forms = [f for f in form
                           if action_target(f, 'listinfo', name)[0] ==
                           'subscribe']
        assert subscribe_forms
        pairs = mutate(subscribe_forms[0], rng)
        if rng.random() < 0.8:
            # As if the visitor took a minute to fill the form in.
            aged = Page.make_subscribe_token(world.name, fresh.remote,
                                             now=time.time() - 60)
            pairs = [(k, aged if k == 'sub_form_token' else v)
                     for k, v in pairs]
        fresh.post('subscribe', name, pairs)
    roster = member_login(Visitor(), world.main)
    for _ in range(3):
        roster.post('roster', name, [('roster-email', hostile(rng)),
                                     ('roster-pw', hostile(rng)),
                                     ('language', hostile(rng))])
    admin = admin_login(Visitor(), world.main)
    admin.get('roster', name)


def test_private_archive_paths(world):
    from Mailman.Archiver.HyperArch import HTMLArchive
    rng = random.Random(SEED + 4)
    m = world.main
    raw = (f'From: {ATTR} <a@example.org>\nTo: {m.GetListEmail()}\n'
           f'Subject: Archived {SCRIPT}\nDate: Thu, 26 Nov 2026 10:00:00 '
           f'+0000\nMessage-ID: <arch-{time.time_ns()}@example.org>\n\n'
           f'Text {SCRIPT}\n').encode('utf-8')

    def archive(l):
        a = HTMLArchive(l)
        try:
            a.add(raw)
        finally:
            a.close()
    locked(m, archive)
    name = '/' + m.internal_name()
    stranger = Visitor()
    stranger.get('private', name + '/')
    stranger.get('private', '')
    for _ in range(4):
        stranger.post('private', name + '/', [('username', hostile(rng)),
                                              ('password', hostile(rng))])
    visitor = Visitor()
    r = visitor.post('private', name + '/', {'username': ANN,
                                             'password': MEMBER_PW})
    assert r.status in (200, 303), r.where
    visitor.get('private', name + '/')
    visitor.request('private', name + '/', 'HEAD')
    for suffix in PATH_SUFFIXES + ['/index.html', '/2026-November/',
                                   '/2026-November/date.html',
                                   '/2026-November/000001.html/',
                                   '/2026-November.txt.gz', '/../' + ANN,
                                   '/attachments/../../..', '.mbox/x',
                                   '.mbox/' + m.internal_name() + '.mbox']:
        visitor.get('private', name + suffix)
        visitor.request('private', name + suffix, 'HEAD')
    bend_paths(visitor, 'private', name, rng)


def test_create_and_rmlist(world):
    rng = random.Random(SEED + 5)
    visitor = Visitor()
    fuzz_page(visitor, 'create', '', rng, 3)
    bend_paths(visitor, 'create', '', rng)
    for auth in (CREATOR_PW, SITE_PW):
        for _ in range(4):
            fresh = Visitor()
            form = fresh.get('create').forms[0]
            pairs = [(k, v) for k, v in mutate(form, rng) if k != 'auth']
            pairs += [('auth', auth), ('doit', 'Create List')]
            fresh.post('create', '', pairs)
    for listname in ('', SCRIPT, 'ü-list', '..', 'a/b', 'x' * 300,
                     'nul\x00name', '-dash', 'UPPER', world.name):
        Visitor().post('create', '', [
            ('listname', listname), ('owner', hostile(rng)),
            ('auth', CREATOR_PW), ('doit', 'x'), ('autogen', '1'),
            ('langs', hostile(rng)), ('notify', hostile(rng))])
    victim = world.new_list()
    name = '/' + victim.internal_name()
    for _ in range(4):
        fuzz_page(Visitor(), 'rmlist', name, rng, 2)
    bend_paths(visitor, 'rmlist', name, rng)
    Visitor().post('rmlist', name, [('doit', 'x'), ('password', SITE_PW),
                                    ('delarchives', hostile(rng))])
    assert not os.path.exists(victim.fullpath())
    Visitor().get('rmlist', name)


def test_edithtml_every_template(world):
    from Mailman.Cgi import edithtml
    rng = random.Random(SEED + 6)
    m = world.new_list()
    name = '/' + m.internal_name()
    visitor = admin_login(Visitor(), m, 'edithtml')
    fuzz_page(visitor, 'edithtml', name, rng, 2)
    for template, _ in edithtml.TEMPLATES:
        fuzz_page(visitor, 'edithtml', f'{name}/{template}', rng, 2)
        visitor.get('edithtml', f'{name}/{template}', 'lang=xx')
    for bad in ('nosuch.html', '../../etc/passwd', 'listinfo.html/x',
                SCRIPT, 'listinfo.html%00', '.html'):
        visitor.get('edithtml', f'{name}/{bad}')
        visitor.post('edithtml', f'{name}/{bad}',
                     [('html_code', hostile(rng)), ('submit', 'x')])
    bend_paths(visitor, 'edithtml', name, rng)
    # The edited templates still render the list's pages.
    for page in ('listinfo', 'subscribe', 'options'):
        Visitor().get(page, name, owner_page=True)


def pend(mlist, op, *content):
    return locked(mlist, lambda l: l.pend_new(op, *content))


def test_confirm_every_pending_kind(world):
    from Mailman import Pending
    from Mailman.UserDesc import UserDesc
    rng = random.Random(SEED + 7)
    m = world.new_list()
    ensure_member(m)
    ensure_member(m, BOB, 'bob-pw')
    request_id = hold_post(m, ANN)
    name = '/' + m.internal_name()
    kinds = [
        (Pending.SUBSCRIPTION, UserDesc('new@example.org', f'N {SCRIPT}',
                                        'pw', 0, 'en')),
        (Pending.SUBSCRIPTION, UserDesc(BOB, 'Bob', 'pw', 0, 'en')),
        (Pending.UNSUBSCRIPTION, ANN),
        (Pending.UNSUBSCRIPTION, 'gone@example.org'),
        (Pending.CHANGE_OF_ADDRESS, BOB, 'bob2@example.org', False),
        (Pending.CHANGE_OF_ADDRESS, 'gone@example.org', ANN, True),
        (Pending.HELD_MESSAGE, request_id),
        (Pending.HELD_MESSAGE, 987654),
        (Pending.RE_ENABLE, m.internal_name(), BOB),
        (Pending.RE_ENABLE, m.internal_name(), 'gone@example.org'),
        (Pending.PROBE_BOUNCE, BOB, b'raw'),
        (Pending.PASSWORD_RESET, BOB),
    ]
    visitor = Visitor()
    for op, *content in kinds:
        cookie = pend(m, op, *content)
        page = visitor.get('confirm', f'{name}/{cookie}')
        visitor.request('confirm', f'{name}/{cookie}', 'HEAD')
        for form in page.forms:
            pairs = mutate(form, rng)
            visitor.post('confirm', f'{name}/{cookie}', pairs)
            visitor.post('confirm', f'{name}/{cookie}', default_pairs(form) +
                         [('submit', 'Confirm')])
            visitor.post('confirm', f'{name}/{cookie}', default_pairs(form) +
                         [('cancel', 'x')])
        visitor.post('confirm', f'{name}/{cookie}', [])
    for cookie in ('', '0' * 40, 'F' * 40, SCRIPT, 'a' * 41, '%00', '../x'):
        visitor.get('confirm', f'{name}/{cookie}')
        visitor.post('confirm', name, [('cookie', cookie),
                                       ('confirm_token', hostile(rng))])
    bend_paths(visitor, 'confirm', name, rng)


def test_unknown_lists_and_pages(world):
    rng = random.Random(SEED + 8)
    visitor = Visitor()
    for page in ('admin', 'admindb', 'confirm', 'edithtml', 'listinfo',
                 'options', 'private', 'rmlist', 'roster', 'search',
                 'subscribe'):
        for listname in ('no-such-list', SCRIPT, 'ü', '..', '%00', 'x\x00y',
                         world.name.upper(), world.name + '.mbox'):
            method = rng.choice(['GET', 'POST', 'HEAD'])
            visitor.request(page, '/' + listname, method,
                            [('a', hostile(rng))] if method == 'POST' else ())


def test_odd_list_settings(world):
    """Pages of a list with odd data an old list could hold: topics with
    markup in their names and bad regexes, a member subscribed to topics
    that no longer exist, digests only, a private roster, languages the
    site does not have."""
    rng = random.Random(SEED + 10)
    m = world.new_list()

    def change(l):
        l.topics_enabled = 1
        l.topics = [(SCRIPT, '(?P<', 'desc ' + ATTR, 0),
                    ('ü\u202e topic', 'a+', '', 0), ('', '', '', 0),
                    ('sp ace', '[', SCRIPT, 1)]
        l.private_roster = 1
        l.digestable, l.nondigestable = 1, 0
        l.available_languages = ['en', 'xx', 'ar']
    locked(m, change)
    ensure_member(m)
    locked(m, lambda l: l.setMemberTopics(ANN, [SCRIPT, 'gone']))
    name = '/' + m.internal_name()
    member = member_login(Visitor(), m)
    fuzz_page(member, 'options', f'{name}/{ANN}', rng, ROUNDS,
              lambda: member_login(member, m))
    fuzz_page(member_login(Visitor(), m), 'roster', name, rng, 2)
    admin = admin_login(Visitor(), m)
    for path in ('/topics', '/digest', '/language', '/nondigest',
                 '/members/list'):
        fuzz_page(admin, 'admin', name + path, rng, 3)
    for page in ('listinfo', 'roster', 'subscribe'):
        Visitor().get(page, name)


BREAKS = ['Name\r\nBcc: x@example.net', 'Name\nBreak: x', '\r\n\r\nbody',
          f'{SCRIPT}\r\nBreak: x', 'Ünï\ncode\rBreak: x']


def test_fields_that_reach_mail(world):
    """Odd text in every field that ends up in a message the page sends."""
    from Mailman.Cgi import Page
    rng = random.Random(SEED + 9)
    m = world.new_list(subscribe_policy=1)
    listname = m.internal_name()
    name = '/' + listname
    for index, text in enumerate(BREAKS + rng.sample(HOSTILE, 5)):
        fresh = Visitor()
        aged = Page.make_subscribe_token(listname, fresh.remote,
                                         now=time.time() - 60)
        fresh.post('subscribe', name, [
            ('email', f'sub{index}@example.org'), ('fullname', text),
            ('pw', text), ('pw-conf', text), ('sub_form_token', aged),
            ('digest', rng.choice(['0', '1', text])), ('language', text)])
    member = member_login(Visitor(), m)
    path = f'{name}/{ANN}'
    for index, text in enumerate(BREAKS):
        token = member.get('options', path).hidden('csrf_token')
        member.post('options', path, [
            ('change-of-address', 'x'), ('csrf_token', token),
            ('new-address', f'ann{index}@example.org'),
            ('confirm-address', f'ann{index}@example.org'),
            ('fullname', text)])
        member.post('options', path, [('emailpw', 'x'),
                                      ('csrf_token', token)])
        Visitor().post('options', name, [('email', ANN),
                                         ('login-remind', text)])
    admin = admin_login(Visitor(), m)
    for subcat, field in (('add', 'subscribees'), ('remove', 'unsubscribees'),
                          ('add', 'invitation')):
        for text in BREAKS:
            form = admin.get('admin', f'{name}/members/{subcat}').forms[-1]
            pairs = [(k, v) for k, v in default_pairs(form) if k != field]
            value = f'"{text}" <new{len(text)}@example.org>\n' \
                f'{text} <b{len(text)}@example.org>' \
                if field != 'invitation' else text
            if field == 'invitation':
                pairs = [(k, v) for k, v in pairs
                         if k != 'subscribe_or_invite']
                pairs += [('subscribees', 'inv@example.org'),
                          ('subscribe_or_invite', '1')]
            pairs += [(field, value), ('send_welcome_msg_to_this_batch', '1'),
                      ('send_notifications_to_list_owner', '1'),
                      ('setmemberopts_btn', 'Submit Your Changes')]
            admin.post('admin', f'{name}/members/{subcat}', pairs)
    moderator = admin_login(Visitor(), m, 'admindb')
    for text in BREAKS:
        request_id = hold_post(m, 'poster@example.net', text)
        token = moderator.get('admindb', name).hidden('csrf_token')
        moderator.post('admindb', name, [
            ('csrf_token', token), (str(request_id), '2'),
            (f'comment-{request_id}', text),
            (f'forward-{request_id}', '1'),
            (f'forward-addr-{request_id}', text),
            ('submit', 'Submit All Data')])
        request_id = hold_post(m, 'poster@example.net', text)
        moderator.post('admindb', name, [
            ('csrf_token', token), (str(request_id), '2'),
            (f'comment-{request_id}', text), ('submit', 'Submit All Data')])


# ---------------------------------------------------------------- regressions
# Bugs this fuzzing found, each with the input that showed it.
ODD_DIGITS = '\u00b2\u00b2\u00b2\u00b2'       # '²': isdigit(), but not int()


def test_login_link_token_of_odd_digits_is_refused(world):
    """options_links.token_is_valid() took '²' for a digit and int() of it
    failed: the options page answered 500 to a made-up login link."""
    m = world.new_list()
    ensure_member(m)
    path = f'/{m.internal_name()}/{ANN}'
    token = f'{ODD_DIGITS}.{"a" * 64}'
    r = Visitor().post('options', path, {'login-token': token})
    assert r.status < 500 and r.hidden('csrf_token') is None
    r = Visitor().get('options', path, urllib.parse.urlencode(
        {'login-token': token}))
    assert r.status < 500 and r.hidden('csrf_token') is None


@pytest.mark.parametrize('category, field, value', [
    # A radio button's index with more digits than int() converts.
    ('general', 'from_is_list', '9' * 5000),
    # A float setting given an int too large for a float.
    ('bounce', 'bounce_score_threshold', '9' * 400),
    # Days, stored in seconds: a float that becomes inf when multiplied.
    ('bounce', 'bounce_info_stale_after', '1e305'),
    # ... or an int that becomes too large for a float when the page
    # shows it again in days (or the bounce runner adds it to a time).
    ('bounce', 'bounce_info_stale_after', '9' * 400),
    ('general', 'max_message_size', '9' * 400),
])
def test_admin_number_too_large_is_a_field_error(world, category, field,
                                                 value):
    """GUIBase's number parsing let OverflowError/ValueError escape (the
    admin page answered 500 instead of showing the error), or saved a
    number that made the page fail each time it was shown after."""
    m = world.new_list()
    path = f'/{m.internal_name()}/{category}'
    visitor = admin_login(Visitor(), m)
    before = getattr(reload(m), field)
    token = visitor.get('admin', path).hidden('csrf_token')
    r = visitor.post('admin', path, {'csrf_token': token, field: value})
    assert r.status == 200
    assert 'Nothing was saved' in r.text
    assert 'too large' in r.text
    assert getattr(reload(m), field) == before
    assert visitor.get('admin', path).status == 200


def test_create_refuses_a_list_name_too_long_to_lock(world):
    """A list name of some 200 characters passed the checks, and creating
    the list failed on its lock file's name (OSError: File name too long):
    a 500 page."""
    from Mailman import Utils
    too_long = 'l' * (Utils.LONGEST_LIST_NAME + 1)
    r = Visitor().post('create', '', {
        'listname': too_long, 'owner': 'owner@example.org', 'autogen': '1',
        'auth': CREATOR_PW, 'doit': 'Create List'})
    assert r.status < 500
    assert f'at most {Utils.LONGEST_LIST_NAME} characters' in r.text
    assert not Utils.list_exists(too_long)
    longest = 'm' * Utils.LONGEST_LIST_NAME
    r = Visitor().post('create', '', {
        'listname': longest, 'owner': 'owner@example.org', 'autogen': '1',
        'auth': CREATOR_PW, 'doit': 'Create List'})
    assert r.status == 200 and Utils.list_exists(longest), r.text[:2000]


def test_csrf_token_of_odd_digits_is_refused(world):
    m = world.new_list()
    path = f'/{m.internal_name()}/general'
    visitor = admin_login(Visitor(), m)
    r = visitor.post('admin', path, {'csrf_token': f'{ODD_DIGITS}.x',
                                     'subject_prefix': '[changed] '})
    assert 'nothing was changed' in r.text
    assert reload(m).subject_prefix != '[changed] '


def test_overlong_password_is_a_form_error(world):
    """passlib refuses to hash more than 4096 bytes (PasswordSizeError):
    a 100 kB password on the subscribe form was a 500 page, and so on
    every form that sets a password."""
    from Mailman import Passwords, Utils
    from Mailman.Cgi import Page
    too_long = 'p' * (Passwords.MAX_LENGTH + 1)
    limit = f'at most {Passwords.MAX_LENGTH} characters'
    m = world.new_list()
    listname = m.internal_name()
    fresh = Visitor()
    r = fresh.post('subscribe', '/' + listname, {
        'email': 'long@example.org', 'pw': too_long, 'pw-conf': too_long,
        'sub_form_token': Page.make_subscribe_token(
            listname, fresh.remote, now=time.time() - 60)})
    assert limit in r.text
    assert not reload(m).isMember('long@example.org')

    member = member_login(Visitor(), m)
    path = f'/{listname}/{ANN}'
    token = member.get('options', path).hidden('csrf_token')
    r = member.post('options', path, {'changepw': 'x', 'csrf_token': token,
                                      'newpw': too_long, 'confpw': too_long})
    assert limit in r.text
    member_login(Visitor(), m)          # the old password still works

    admin = admin_login(Visitor(), m)
    path = f'/{listname}/passwords'
    token = admin.get('admin', path).hidden('csrf_token')
    r = admin.post('admin', path, {'csrf_token': token, 'newpw': too_long,
                                   'confirmpw': too_long})
    assert limit in r.text
    admin_login(Visitor(), m)

    name = 'long-pw-' + listname[-6:]
    r = Visitor().post('create', '', {
        'listname': name, 'owner': 'owner@example.org', 'password': too_long,
        'confirm': too_long, 'auth': CREATOR_PW, 'doit': 'Create List'})
    assert limit in r.text and not Utils.list_exists(name)


NOT_UTF8 = '\udcff\udcfe'         # the bytes FF FE, as os.environ holds them


def test_request_bytes_that_are_not_utf8(world):
    """Non-UTF-8 bytes in a URL reach the page as lone surrogates (Python
    decodes the CGI environment with surrogate escapes); the options and
    private pages wrote the path back and failed to encode it: 500."""
    m = world.main
    name = '/' + m.internal_name()
    member = member_login(Visitor(), m)
    for visitor in (Visitor(), member):
        r = visitor.get('options', f'{name}/{NOT_UTF8}@example.org',
                        query='x=' + NOT_UTF8)
        assert r.status < 500
        r = visitor.get('private', f'{name}/{NOT_UTF8}')
        assert r.status < 500
        r = visitor.post('private', f'{name}/{NOT_UTF8}',
                         [('username', ANN), ('password', 'wrong')])
        assert r.status < 500
