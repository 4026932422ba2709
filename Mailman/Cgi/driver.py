"""Run one web page: dispatch, buffer its output, and fail safely.

Output is buffered so that a page which fails half way shows a clean error
page instead of half a page.  Tracebacks go to logs/error, never to the
browser.
"""

import html
import importlib
import io
import os
import sys
import traceback

from Mailman.Logging.Syslog import syslog

PAGES = ('admin', 'admindb', 'confirm', 'create', 'edithtml', 'listinfo',
         'options', 'private', 'rmlist', 'roster', 'search', 'subscribe')
ALLOWED_METHODS = ('GET', 'POST', 'HEAD')


def _write(stream, status, body, content_type='text/html; charset=utf-8',
           extra_headers=()):
    headers = [f'Status: {status}', f'Content-Type: {content_type}']
    headers.extend(extra_headers)
    stream.write(('\r\n'.join(headers) + '\r\n\r\n').encode('ascii'))
    stream.write(body.encode('utf-8'))
    stream.flush()


def _error_page(title, text):
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<title>{html.escape(title)}</title></head>\n<body>\n'
            f'<h1>{html.escape(title)}</h1>\n<p>{html.escape(text)}</p>\n'
            '</body></html>\n')


# At most this much of an unread request body is read and thrown away.
_DRAIN_LIMIT = 64 * 1024 * 1024


def _drain_request_body(environ, stdin=None):
    """Read what is left of the request body.  A CGI that answers without
    reading it gets its answer cut off under Apache's mod_cgid (the
    connection is reset), so every answer is preceded by this."""
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        return
    remaining = min(length, _DRAIN_LIMIT)
    stream = stdin or environ.get('wsgi.input') or sys.stdin.buffer
    while remaining > 0:
        try:
            chunk = stream.read(min(remaining, 65536))
        except (OSError, ValueError):
            return
        if not chunk:
            return
        remaining -= len(chunk)


def _text_environ(environ):
    """A copy of ENVIRON whose text is all valid UTF-8.  Python decodes
    the process environment with surrogate escapes, so bytes of a request
    that are not UTF-8 (a path of /%FF, a raw byte in a cookie) arrive as
    lone surrogates, which no page could write out; they become U+FFFD."""
    cleaned = dict(environ)
    for key, value in cleaned.items():
        if not isinstance(value, str) or value.isascii():
            continue
        try:
            raw = value.encode('utf-8', 'surrogateescape')
        except UnicodeEncodeError:
            raw = value.encode('utf-8', 'replace')
        cleaned[key] = raw.decode('utf-8', 'replace')
    return cleaned


def main(page, environ=os.environ, stdout=None):
    stdout = stdout or sys.stdout.buffer
    environ = _text_environ(environ)
    method = environ.get('REQUEST_METHOD', 'GET').upper()
    if method not in ALLOWED_METHODS:
        _drain_request_body(environ)
        _write(stdout, '405 Method Not Allowed',
               _error_page('Method not allowed',
                           f'This page accepts only {", ".join(ALLOWED_METHODS)}.'),
               extra_headers=['Allow: ' + ', '.join(ALLOWED_METHODS)])
        return 0
    if page not in PAGES:
        syslog('error', 'driver: request for an unknown page %r', page)
        _drain_request_body(environ)
        _write(stdout, '404 Not Found',
               _error_page('Not found', 'There is no such Mailman page.'))
        return 0

    buffer = io.BytesIO()
    try:
        module = importlib.import_module('Mailman.Cgi.' + page)
        body_writer = module.main(environ=environ, stdout=buffer)
    except Exception:
        syslog('error', 'admin(%d): page %s failed:\n%s', os.getpid(), page,
               traceback.format_exc())
        _drain_request_body(environ)
        _write(stdout, '500 Internal Server Error', _error_page(
            "We're sorry, we hit a bug!",
            'Mailman could not show this page.  The details were written to '
            "Mailman's error log; please tell the site administrator."))
        return 0
    _drain_request_body(environ)
    stdout.write(buffer.getvalue())
    if callable(body_writer):
        # A page serving a large file (private) returns a writer for the
        # body instead of holding the file in memory.
        try:
            body_writer(stdout)
        except Exception:
            syslog('error', 'page %s failed while sending its body:\n%s',
                   page, traceback.format_exc())
    stdout.flush()
    return 0
