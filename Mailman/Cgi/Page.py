"""What every web page needs: the request, the form, the response.

A page module has `main(environ, stdout)`; it builds a `Request` from the
CGI environment, reads what it needs, and writes its answer with
`respond()`.  Everything a user, an owner or a message supplied goes
through `escape()` before it reaches HTML.

The request body is read from environ['wsgi.input'] when present (tests
pass a BytesIO there), else from the process's standard input, and never
more than MAX_BODY bytes of it.
"""

import fcntl
import hashlib
import hmac
import html
import ipaddress
import os
import secrets
import sys
import time
import urllib.parse

from Mailman import Utils
from Mailman import mm_cfg

# Large enough for a mass subscription of some hundred thousand addresses.
MAX_BODY = 8 * 1024 * 1024
SECRET_FILE_NAME = 'web-form.secret'
SECURITY_HEADERS = (
    'X-Content-Type-Options: nosniff',
    'X-Frame-Options: DENY',
    # No page runs scripts, so none may run, even from a template an owner
    # edited or text that escaped escaping.
    "Content-Security-Policy: script-src 'none'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'",
    'Referrer-Policy: same-origin',
)


def escape(value):
    """VALUE as HTML text, safe in element content and quoted attributes."""
    if value is None:
        return ''
    return html.escape(str(value), quote=True)


class BadRequest(Exception):
    """The request cannot be understood (bad body type or size)."""


# ------------------------------------------------------------------ request
class Request:
    def __init__(self, environ):
        self.environ = environ
        self.method = environ.get('REQUEST_METHOD', 'GET').upper()
        self.remote = environ.get('REMOTE_ADDR', '') or ''
        path = environ.get('PATH_INFO', '') or ''
        self.parts = [p for p in path.split('/') if p]
        self._form = None

    # Path: /<listname>/<rest...>
    @property
    def listname(self):
        return self.parts[0] if self.parts else None

    @property
    def rest(self):
        return self.parts[1:]

    def host(self):
        """The host name the visitor used, lower case, without a port."""
        host = (self.environ.get('HTTP_HOST') or
                self.environ.get('SERVER_NAME') or '').strip().lower()
        if host.startswith('['):
            return host.split(']')[0] + ']'
        return host.split(':')[0]

    @property
    def form(self):
        if self._form is None:
            self._form = self._parse_form()
        return self._form

    def _parse_form(self):
        pairs = urllib.parse.parse_qsl(self.environ.get('QUERY_STRING', ''),
                                       keep_blank_values=True)
        if self.method == 'POST':
            ctype = (self.environ.get('CONTENT_TYPE') or '').split(';')[0]
            ctype = ctype.strip().lower()
            try:
                length = int(self.environ.get('CONTENT_LENGTH') or 0)
            except ValueError:
                raise BadRequest('bad Content-Length')
            if length < 0 or length > MAX_BODY:
                raise BadRequest('request body too large')
            if length:
                if ctype not in ('application/x-www-form-urlencoded', '',
                                 'multipart/form-data'):
                    raise BadRequest('unsupported content type')
                stream = self.environ.get('wsgi.input') or sys.stdin.buffer
                body = stream.read(length)
                if ctype == 'multipart/form-data':
                    pairs += _multipart_pairs(
                        self.environ.get('CONTENT_TYPE'), body)
                else:
                    try:
                        text = body.decode('utf-8')
                    except UnicodeDecodeError:
                        raise BadRequest('form is not UTF-8')
                    pairs += urllib.parse.parse_qsl(text,
                                                    keep_blank_values=True)
        form = {}
        for key, value in pairs:
            form.setdefault(key, []).append(value)
        return form

    def get(self, key, default=''):
        """The first value of field KEY, stripped."""
        values = self.form.get(key)
        return values[0].strip() if values else default

    def has(self, key):
        return key in self.form


def _multipart_pairs(content_type, body):
    """(name, text) pairs of a multipart/form-data BODY; an uploaded file's
    content is its text (the pages that take uploads take address lists
    and templates)."""
    import email.parser
    import email.policy
    head = f'Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n'
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        head.encode('latin-1', 'replace') + body)
    if not message.is_multipart():
        raise BadRequest('malformed multipart form')
    pairs = []
    for part in message.iter_parts():
        name = part.get_param('name', header='content-disposition')
        if not name:
            continue
        data = part.get_payload(decode=True) or b''
        try:
            text = data.decode(part.get_content_charset() or 'utf-8')
        except (UnicodeDecodeError, LookupError):
            raise BadRequest(f'form field {name} is not UTF-8')
        pairs.append((name, text))
    return pairs


# ------------------------------------------------------------------ response
def respond(stdout, body, status='200 OK', extra_headers=()):
    headers = [f'Status: {status}',
               'Content-Type: text/html; charset=utf-8',
               'Cache-Control: no-store']
    headers.extend(SECURITY_HEADERS)
    headers.extend(extra_headers)
    stdout.write(('\r\n'.join(headers) + '\r\n\r\n').encode('ascii'))
    stdout.write(body.encode('utf-8'))


# One small style sheet for every generated page; class names used by pages:
# error (a message beside a field or at the top), notice, nav, settings.
STYLE = ('body{font-family:sans-serif;margin:1em 2em;max-width:72em}'
         'table{border-collapse:collapse}'
         'th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;'
         'vertical-align:top}'
         '.error{color:#a00;font-weight:bold}.notice{color:#060}'
         'nav ul{list-style:none;padding:0}nav li{display:inline;'
         'margin-right:1em}')


def document(title, body, lang='en'):
    """A whole HTML5 page; TITLE is escaped here, BODY must be safe HTML."""
    return ('<!DOCTYPE html>\n'
            f'<html lang="{escape(lang)}" dir="{escape(Utils.GetDirection(lang))}">'
            '<head><meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{escape(title)}</title>\n<style>{STYLE}</style></head>\n'
            f'<body>\n{body}\n'
            '</body></html>\n')


def error_page(stdout, title, text, status='200 OK'):
    respond(stdout, document(title, f'<h1>{escape(title)}</h1>\n'
                                    f'<p>{escape(text)}</p>'), status=status)


def no_such_list(stdout, name):
    # The name is not repeated: even escaped, text chosen by whoever made
    # the link would appear on this site's page (2.1's content injection).
    error_page(stdout, 'No such list',
               'There is no mailing list by the name given in the address '
               'of this page.', status='404 Not Found')


def bad_request(stdout, text):
    error_page(stdout, 'Bad request', text, status='400 Bad Request')


def parse_request(environ, stdout):
    """The Request for ENVIRON with its form read, or None after a 400
    page was written for a form that cannot be read."""
    request = Request(environ)
    try:
        request.form
    except BadRequest as error:
        bad_request(stdout, str(error))
        return None
    return request


def advertised_lists(request):
    """The advertised lists an overview page shows, in name order; with
    VIRTUAL_HOST_OVERVIEW only those of the host the visitor asked for."""
    from Mailman import Errors
    from Mailman.MailList import MailList
    host = request.host()
    for name in Utils.list_names():
        try:
            mlist = MailList(name, lock=0)
        except Errors.MMListError:
            continue
        if not mlist.advertised:
            continue
        web_host = (urllib.parse.urlsplit(mlist.web_page_url).hostname
                    or '').lower()
        if mm_cfg.VIRTUAL_HOST_OVERVIEW and host and web_host != host:
            continue
        yield mlist


def lists_table(request, url_for):
    """The table of an overview page: each advertised list's name, linked
    to URL_FOR(mlist), and its description; '' when there are none."""
    rows = []
    for mlist in advertised_lists(request):
        rows.append(
            f'<tr><td><a href="{escape(url_for(mlist))}">'
            f'{escape(mlist.real_name)}</a></td>'
            f'<td>{escape(mlist.description) or "<em>[no description]</em>"}'
            '</td></tr>')
    if not rows:
        return ''
    return ('<table><thead><tr><th scope="col">List</th>'
            '<th scope="col">Description</th></tr></thead><tbody>\n'
            + '\n'.join(rows) + '\n</tbody></table>')


def request_and_list(environ, stdout, overview=None):
    """(request, list) for a page about one list, or (None, None) after a
    page was written: an error page (an unreadable form, an unknown list),
    or, when the path names no list, OVERVIEW(request, stdout) if given."""
    request = parse_request(environ, stdout)
    if request is None:
        return None, None
    if overview is not None and not request.parts:
        overview(request, stdout)
        return None, None
    mlist = open_list(request, stdout)
    if mlist is None:
        return None, None
    return request, mlist


def open_list(request, stdout, lock=False):
    """The list named by the path, or None after a 404 page was written.
    With LOCK, the list comes back locked."""
    from Mailman import Errors
    from Mailman.MailList import MailList
    name = (request.listname or '').lower()
    if not Utils.valid_list_name(name) or not Utils.list_exists(name):
        no_such_list(stdout, request.listname or '')
        return None
    try:
        return MailList(name, lock=1 if lock else 0)
    except Errors.MMListError:
        no_such_list(stdout, request.listname or '')
        return None


# ------------------------------------------------------------------ secrets and tokens
def site_secret():
    """The key for the site's web-form HMACs: SUBSCRIBE_FORM_SECRET when the
    site set one, else a random key kept in data/ (made on first use)."""
    configured = getattr(mm_cfg, 'SUBSCRIBE_FORM_SECRET', None)
    if configured:
        return configured.encode('utf-8') if isinstance(configured, str) \
            else bytes(configured)
    path = os.path.join(mm_cfg.DATA_DIR, SECRET_FILE_NAME)
    try:
        with open(path, 'rb') as f:
            key = f.read()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    # O_EXCL: when two processes race, the first file wins and both use it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    except FileExistsError:
        with open(path, 'rb') as f:
            return f.read()
    with os.fdopen(fd, 'wb') as f:
        os.fchmod(f.fileno(), 0o640)
        f.write(key)
        f.flush()
        os.fsync(f.fileno())
    return key


def client_prefix(remote):
    """The network a client address belongs to: a /24 for IPv4, a /64 for
    IPv6 (privacy addresses change within it)."""
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return remote or ''
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    bits = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f'{address}/{bits}', strict=False))


def _mac(*parts):
    message = ':'.join(str(p) for p in parts).encode('utf-8')
    return hmac.new(site_secret(), message, hashlib.sha256).hexdigest()


def make_subscribe_token(listname, remote, now=None):
    issued = int(time.time() if now is None else now)
    return f'{issued}:{_mac(issued, listname.lower(), client_prefix(remote))}'


SUB_TOKEN_OK = 'ok'
SUB_TOKEN_MISSING = 'missing'
SUB_TOKEN_BAD = 'bad'
SUB_TOKEN_EXPIRED = 'expired'
SUB_TOKEN_TOO_FAST = 'too-fast'


def check_subscribe_token(token, listname, remote, now=None):
    """One of the SUB_TOKEN_* results for TOKEN."""
    if not token:
        return SUB_TOKEN_MISSING
    issued, colon, mac = token.partition(':')
    # isdigit() alone admits digits int() refuses, such as '²'.
    if not colon or not (issued.isascii() and issued.isdigit()):
        return SUB_TOKEN_BAD
    expected = _mac(issued, listname.lower(), client_prefix(remote))
    if not hmac.compare_digest(mac.encode('ascii', 'replace'),
                               expected.encode('ascii')):
        return SUB_TOKEN_BAD
    now = time.time() if now is None else now
    age = now - int(issued)
    if age > mm_cfg.FORM_LIFETIME or age < 0:
        return SUB_TOKEN_EXPIRED
    if age < (getattr(mm_cfg, 'SUBSCRIBE_FORM_MIN_TIME', 0) or 0):
        return SUB_TOKEN_TOO_FAST
    return SUB_TOKEN_OK


def confirm_token(listname, cookie):
    """The token a confirmation page's POST must carry for COOKIE."""
    return _mac('confirm', listname.lower(), cookie)


def check_confirm_token(listname, cookie, token):
    return bool(token) and hmac.compare_digest(
        token.encode('ascii', 'replace'),
        confirm_token(listname, cookie).encode('ascii'))


# ------------------------------------------------------------------ rate limit
def rate_limited(action, remote, limit, window=60, now=None):
    """Count one ACTION by client REMOTE; True when that makes more than
    LIMIT within WINDOW seconds.  The counts live in a small file per
    client under locks/, updated under an fcntl lock, so every web process
    (and every web host on a shared var tree) sees the same count."""
    if not limit or limit <= 0:
        return False
    client = remote
    if ':' in (remote or ''):
        # An IPv6 client picks addresses freely within its /64.
        client = client_prefix(remote)
    digest = hashlib.sha256(f'{action}:{client}'.encode('utf-8')).hexdigest()
    if secrets.randbelow(100) == 0:
        forget_old_files('web-rate.', 2 * window)
    path = os.path.join(mm_cfg.LOCK_DIR, f'web-rate.{digest[:24]}')
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o660)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        # The clock is read under the lock, so that the stamps in the file
        # are never later than ours.
        now = time.time() if now is None else now
        data = b''
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
        stamps = []
        for field in data.split():
            try:
                stamp = float(field)
            except ValueError:
                continue
            if stamp > now - window:
                stamps.append(stamp)
        stamps.append(now)
        stamps = stamps[-(limit + 1):]
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, ' '.join(f'{s:.3f}' for s in stamps).encode('ascii'))
        return len(stamps) > limit
    finally:
        os.close(fd)


def forget_old_files(prefix, max_age):
    """Remove the files in locks/ whose names start with PREFIX and that
    nobody has written for MAX_AGE seconds: the per-client counts and the
    used-link markers, which would otherwise fill the directory."""
    cutoff = time.time() - max_age
    try:
        names = os.listdir(mm_cfg.LOCK_DIR)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        path = os.path.join(mm_cfg.LOCK_DIR, name)
        try:
            if os.stat(path).st_mtime < cutoff:
                os.unlink(path)
        except OSError:
            pass