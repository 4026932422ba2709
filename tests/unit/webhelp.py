"""Helpers for the in-process web page tests: call a page as the CGI driver
does (environment plus byte streams), parse its answer, keep cookies like a
browser, and make throw-away lists.

    from webhelp import call, Client, lists, make_list

`lists` is a pytest fixture (import it into the test module)."""

import contextlib
import html.parser
import http.cookies
import importlib
import io
import os
import shutil
import urllib.parse
import uuid

import pytest

SCRIPT = '<script>alert(1)</script>'
SCRIPT_ROOT = '/mailman/'


def parse_cgi_output(raw):
    """(status, {header: value}, [Set-Cookie values], body) of the bytes
    a page wrote, as a web server reads them."""
    head, _, body = raw.partition(b'\r\n\r\n')
    headers, set_cookies = {}, []
    for line in head.decode('ascii').split('\r\n'):
        key, _, value = line.partition(':')
        key, value = key.strip().lower(), value.strip()
        if key == 'set-cookie':
            set_cookies.append(value)
        headers[key] = value
    status = int(headers.get('status', '200').split()[0])
    return status, headers, set_cookies, body


@contextlib.contextmanager
def site_passwords(creator_pw, site_pw):
    """Set the list creator and site passwords for a while; the files are
    put back as they were (or removed) afterwards."""
    from Mailman import Utils, mm_cfg
    saved = {}
    for path in (mm_cfg.SITE_PW_FILE, mm_cfg.LISTCREATOR_PW_FILE):
        try:
            with open(path, 'rb') as f:
                saved[path] = f.read()
        except FileNotFoundError:
            saved[path] = None
    Utils.set_global_password(creator_pw, siteadmin=False)
    Utils.set_global_password(site_pw, siteadmin=True)
    try:
        yield
    finally:
        for path, data in saved.items():
            if data is None:
                if os.path.exists(path):
                    os.unlink(path)
            else:
                with open(path, 'wb') as f:
                    f.write(data)


class Response:
    def __init__(self, raw):
        self.status, self.headers, self.set_cookies, body = \
            parse_cgi_output(raw)
        self.text = body.decode('utf-8')
        self.parser = Collector()
        self.parser.feed(self.text)

    def hidden(self, name):
        for tag, attrs in self.parser.tags:
            if tag == 'input' and attrs.get('name') == name:
                return attrs.get('value')
        return None

    def inputs(self):
        """{name: value} of the form fields on the page (the first of
        each name; checked boxes and radios only)."""
        fields = {}
        for tag, attrs in self.parser.tags:
            name = attrs.get('name')
            if tag != 'input' or not name or name in fields:
                continue
            if attrs.get('type') in ('checkbox', 'radio') and \
                    'checked' not in attrs:
                continue
            fields[name] = attrs.get('value') or ''
        return fields

    @property
    def plain(self):
        return ' '.join(''.join(self.parser.data).split())


class Collector(html.parser.HTMLParser):
    """The start tags of a page, and its text (not its style sheet)."""

    def __init__(self):
        super().__init__()
        self.tags, self.data = [], []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = self._in_style or tag == 'style'

    def handle_endtag(self, tag):
        if tag == 'style':
            self._in_style = False

    def handle_data(self, data):
        if not self._in_style:
            self.data.append(data)


def call(page, path='', method='GET', form=None, remote='192.0.2.10',
         host='www.example.com', query='', cookie='', extra_env=None):
    """Run PAGE's main() with a CGI environment; FORM may be a dict or a
    list of pairs (for repeated fields)."""
    module = importlib.import_module('Mailman.Cgi.' + page)
    body = urllib.parse.urlencode(form or {}, doseq=True).encode('utf-8')
    environ = {'REQUEST_METHOD': method, 'PATH_INFO': path,
               'SCRIPT_NAME': SCRIPT_ROOT + page,
               'QUERY_STRING': query, 'REMOTE_ADDR': remote,
               'HTTP_HOST': host, 'SERVER_NAME': host}
    if cookie:
        environ['HTTP_COOKIE'] = cookie
    if method == 'POST':
        environ.update({'CONTENT_TYPE': 'application/x-www-form-urlencoded',
                        'CONTENT_LENGTH': str(len(body)),
                        'wsgi.input': io.BytesIO(body)})
    environ.update(extra_env or {})
    out = io.BytesIO()
    module.main(environ, out)
    return Response(out.getvalue())


class Client:
    """A visitor that keeps the cookies pages set, sending each only to the
    paths it was set for, as a browser does."""

    def __init__(self, remote=None):
        self.remote = remote or unique_remote()
        self.jar = {}               # (name, path) -> value

    def request(self, page, path='', method='GET', form=None, **kws):
        url_path = SCRIPT_ROOT + page + path
        cookie = '; '.join(f'{name}={value}'
                           for (name, cpath), value in self.jar.items()
                           if url_path == cpath or
                           url_path.startswith(cpath.rstrip('/') + '/'))
        response = call(page, path, method, form, remote=self.remote,
                        cookie=cookie, **kws)
        for line in response.set_cookies:
            jar = http.cookies.SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                key = (name, morsel['path'] or '/')
                if morsel['max-age'] == '0' or morsel['max-age'] == 0:
                    self.jar.pop(key, None)
                else:
                    self.jar[key] = morsel.value
        return response

    def get(self, page, path='', **kws):
        return self.request(page, path, 'GET', **kws)

    def post(self, page, path='', form=None, **kws):
        return self.request(page, path, 'POST', form, **kws)


def unique_remote():
    value = uuid.uuid4().int
    return f'198.{value % 200}.{(value >> 8) % 250}.{(value >> 16) % 250}'


def drain_virgin():
    """Remove and return (message, metadata) of every queued notice."""
    from Mailman import mm_cfg
    from Mailman.Queue.Switchboard import Switchboard
    switchboard = Switchboard(mm_cfg.VIRGINQUEUE_DIR)
    found = []
    for filebase in switchboard.files():
        msg, data = switchboard.dequeue(filebase)
        switchboard.finish(filebase)
        found.append((msg, data))
    return found


def make_list(prefix='web', password='adminpw', **attrs):
    from Mailman import Passwords
    from Mailman.MailList import MailList
    name = prefix + '-' + uuid.uuid4().hex[:10]
    m = MailList()
    m.Create(name, 'owner@example.com', Passwords.hash_password(password))
    for key, value in attrs.items():
        setattr(m, key, value)
    m.Save()
    m.Unlock()
    return MailList(name, lock=0)


def locked(mlist, change):
    """Run CHANGE(list) on MLIST under the list lock, save, and return what
    CHANGE returned."""
    from Mailman.MailList import MailList
    m = MailList(mlist.internal_name(), lock=1)
    try:
        result = change(m)
        m.Save()
    finally:
        m.Unlock()
    return result


def reload(mlist):
    from Mailman.MailList import MailList
    return MailList(mlist.internal_name(), lock=0)


@pytest.fixture
def lists():
    made = []

    def factory(**attrs):
        m = make_list(**attrs)
        made.append(m)
        return m
    drain_virgin()
    yield factory
    for m in made:
        shutil.rmtree(m.fullpath(), ignore_errors=True)
    drain_virgin()
