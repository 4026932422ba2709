"""Private archives: /mailman/private/<list>/<path in the archive>.

Serves the files of archives/private/<list>/ (the pipermail pages) and the
list's mbox at /mailman/private/<list>.mbox/<list>.mbox, as 2.1 does, to
the list's members (2.1's login fields username and password), moderators,
administrators and the site administrator, by password or by the cookie of
an earlier login.  A list whose archive is public is served without a
login, but for its mbox, which is public only with PUBLIC_MBOX.

No file outside the list's archive can be read: '.' and '..' parts and NUL
are refused, and the real path (symlinks resolved) must stay inside the
archive directory; only regular files are served.

Small files are written with the page.  A larger one (or a .gz file that
must be unpacked) is not read into memory: main() writes the headers and
returns a writer for the body, which the CGI driver calls with its output
stream once the headers are out.
"""

import gzip
import mimetypes
import os
import re
import stat
import urllib.parse
import zlib

from Mailman import Errors
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Cgi import Auth
from Mailman.Cgi import Page
from Mailman.Cgi.Page import escape
from Mailman.Logging.Syslog import syslog

ROLES = (mm_cfg.AuthUser, mm_cfg.AuthListModerator, mm_cfg.AuthListAdmin,
         mm_cfg.AuthSiteAdmin)
CHUNK_SIZE = 64 * 1024
# Files up to this size go out with the page; larger ones are streamed.
INLINE_LIMIT = 1024 * 1024
# Archive scripts are never needed; this keeps an archived HTML attachment
# from running any.
ARCHIVE_POLICY = ("Content-Security-Policy: script-src 'none'; "
                  "object-src 'none'")
_SAFE_FILENAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')


class NotFound(Exception):
    """The path names nothing this page may serve."""


# ------------------------------------------------------------------ paths
def _inside(path, top):
    return path == top or path.startswith(top + os.sep)


def resolve(mlist, parts, mbox):
    """(real path, unpack, directory): the regular file that PARTS (the
    path components after the list name) name in MLIST's archive, whether
    it is a .gz twin to unpack, and whether PARTS named a directory (whose
    index.html it is).  Raises NotFound for anything else."""
    for part in parts:
        if part in ('.', '..') or '\0' in part or '/' in part:
            raise NotFound()
    name = mlist.internal_name()
    if mbox:
        if parts != [name + '.mbox']:
            raise NotFound()
        top = os.path.dirname(mlist.ArchiveFileName())
    else:
        top = mlist.archive_dir()
    top = os.path.realpath(top)
    path = os.path.realpath(os.path.join(top, *parts))
    if not _inside(path, top):
        raise NotFound()
    directory = os.path.isdir(path)
    if directory:
        path = os.path.realpath(os.path.join(path, 'index.html'))
    unpack = False
    if not os.path.lexists(path) and os.path.isfile(path + '.gz'):
        # pipermail may have compressed the text of an old volume.
        path = os.path.realpath(path + '.gz')
        unpack = True
    if not _inside(path, top) or not os.path.isfile(path):
        raise NotFound()
    return path, unpack, directory


def content_type(requested, mbox):
    """The type and the Content-Disposition (or None) for file REQUESTED."""
    if mbox:
        return 'text/plain', None
    base = os.path.basename(requested)
    kind, encoding = mimetypes.guess_type(base, strict=False)
    if encoding == 'gzip' or base.endswith('.gz'):
        disposition = 'attachment'
        if _SAFE_FILENAME.match(base):
            disposition += f'; filename="{base}"'
        return 'application/gzip', disposition
    if base.endswith('.txt'):
        return 'text/plain', None
    return kind or 'application/octet-stream', None


# ------------------------------------------------------------------ output
def _headers(stdout, lines):
    stdout.write(('\r\n'.join(lines) + '\r\n\r\n').encode('ascii'))


def _copy(source, out, limit=None):
    """Copy SOURCE to OUT in chunks, at most LIMIT bytes: a file that
    grows meanwhile (an mbox being archived to) must not send more than
    its Content-Length said."""
    left = limit
    while left is None or left > 0:
        chunk = source.read(CHUNK_SIZE if left is None
                            else min(CHUNK_SIZE, left))
        if not chunk:
            break
        out.write(chunk)
        if left is not None:
            left -= len(chunk)


def serve_file(stdout, path, unpack, kind, disposition, head_only,
               extra_headers=()):
    """Write the headers for PATH; return None when its body was written
    too, else a writer that sends the body to the stream it is given."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    raw = os.fdopen(fd, 'rb')
    try:
        info = os.fstat(raw.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotFound()
        lines = ['Status: 200 OK', f'Content-Type: {kind}',
                 'Cache-Control: private, no-cache']
        lines.extend(Page.SECURITY_HEADERS)
        lines.append(ARCHIVE_POLICY)
        if disposition:
            lines.append(f'Content-Disposition: {disposition}')
        if not unpack:
            lines.append(f'Content-Length: {info.st_size}')
        lines.extend(extra_headers)
        _headers(stdout, lines)
    except BaseException:
        raw.close()
        raise
    if head_only:
        raw.close()
        return None
    if not unpack and info.st_size <= INLINE_LIMIT:
        with raw:
            _copy(raw, stdout, info.st_size)
        return None

    def write_body(out):
        try:
            if unpack:
                # A .gz twin is unpacked as it goes out.
                with gzip.GzipFile(fileobj=raw, mode='rb') as unpacked:
                    _copy(unpacked, out)
            else:
                _copy(raw, out, info.st_size)
        except (OSError, EOFError, zlib.error) as error:
            syslog('error', 'private: sending %s stopped: %s', path, error)
        finally:
            raw.close()
    return write_body


def not_found(stdout):
    Page.error_page(stdout, 'Private archive error',
                    'Private archive file not found.',
                    status='404 Not Found')


def login_page(stdout, mlist, action, message='', status='200 OK'):
    """2.1's private.html: fields username, password and submit, posted
    back to the page asked for."""
    note = f'<p class="error" role="alert">{escape(message)}</p>' \
        if message else ''
    text = Utils.maketext('private.html', {
        'action': escape(action),
        'realname': escape(mlist.real_name),
        'message': note,
        'options': escape(mlist.GetScriptURL('options', 1)),
    }, lang=mlist.preferred_language, mlist=mlist)
    Page.respond(stdout, text, status=status)


def page_path(environ, raw_path):
    """The URL path of the page asked for: the login form's action and
    where a login returns to."""
    script = environ.get('SCRIPT_NAME') or '/mailman/private'
    return script + urllib.parse.quote(raw_path)


# ------------------------------------------------------------------ main
def _open_list(stdout, listname):
    from Mailman.MailList import MailList
    name = (listname or '').lower()
    if not Utils.valid_list_name(name) or not Utils.list_exists(name):
        Page.no_such_list(stdout, listname or '')
        return None
    try:
        return MailList(name, lock=0)
    except Errors.MMListError:
        Page.no_such_list(stdout, listname or '')
        return None


def _authenticate(request, stdout, mlist, action, serve_now):
    """A Session for the visitor, or None after an answer was written.
    SERVE_NOW is False when a successful login should redirect to ACTION."""
    session = Auth.from_cookies(request.environ, mlist, ROLES)
    if session is not None:
        return session
    if request.method != 'POST' or not request.has('password'):
        login_page(stdout, mlist, action)
        return None
    password = request.form['password'][0]
    username = request.get('username') or None
    try:
        session = Auth.login(request.environ, mlist, ROLES, password,
                             user=username)
    except Auth.TooManyAttempts:
        Auth.too_many_attempts_page(stdout)
        return None
    if session is None:
        syslog('security', 'Authorization failed (private): user=%s: '
               'list=%s: remote=%s', Utils.log_safe(username),
               mlist.internal_name(), Utils.log_safe(request.remote))
        login_page(stdout, mlist, action,
                   'Authorization failed: the address or password is not '
                   'right.', status='401 Unauthorized')
        return None
    if serve_now:
        return session
    # Back to the page asked for, now with the login's cookie.
    lines = ['Status: 303 See Other', f'Location: {action}',
             'Content-Type: text/html; charset=utf-8',
             'Cache-Control: no-store']
    lines.extend(Page.SECURITY_HEADERS)
    lines.extend(session.headers)
    _headers(stdout, lines)
    stdout.write(Page.document(
        'Logged in', f'<h1>Logged in</h1>\n<p><a href="{escape(action)}">'
        'Continue to the archive</a></p>').encode('utf-8'))
    return None


def main(environ, stdout):
    request = Page.parse_request(environ, stdout)
    if request is None:
        return None
    raw_path = environ.get('PATH_INFO', '') or ''
    if not request.parts:
        Page.error_page(stdout, 'Private archive error',
                        'You must name a list.', status='404 Not Found')
        return None
    first, parts = request.parts[0], request.parts[1:]
    mbox = first.endswith('.mbox')
    mlist = _open_list(stdout, first[:-len('.mbox')] if mbox else first)
    if mlist is None:
        return None
    action = page_path(environ, raw_path)
    session = None
    # A public archive's pages are public; its mbox (full addresses) only
    # when the site says so with PUBLIC_MBOX.
    if mlist.archive_private or (mbox and not mm_cfg.PUBLIC_MBOX):
        # The cookies of a login are sent to private/<list> only, not to
        # private/<list>.mbox, so the mbox is served on the login itself.
        session = _authenticate(request, stdout, mlist, action,
                                serve_now=mbox)
        if session is None:
            return None
    try:
        if '\0' in raw_path:
            raise NotFound()
        path, unpack, directory = resolve(mlist, parts, mbox)
    except NotFound:
        not_found(stdout)
        return None
    if directory and not raw_path.endswith('/'):
        # The relative links of a directory's index page need the slash.
        target = page_path(environ, raw_path + '/')
        lines = ['Status: 301 Moved Permanently', f'Location: {target}',
                 'Content-Type: text/html; charset=utf-8']
        lines.extend(Page.SECURITY_HEADERS)
        lines.extend(session.headers if session else ())
        _headers(stdout, lines)
        stdout.write(Page.document('Moved', (
            f'<h1>Moved</h1>\n<p>This page is at <a href="{escape(target)}">'
            f'{escape(target)}</a>.</p>')).encode('utf-8'))
        return None
    kind, disposition = content_type(path[:-len('.gz')] if unpack else path,
                                     mbox)
    try:
        return serve_file(stdout, path, unpack, kind, disposition,
                          request.method == 'HEAD',
                          session.headers if session else ())
    except (NotFound, OSError):
        not_found(stdout)
        return None
