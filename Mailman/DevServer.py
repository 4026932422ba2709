"""A small web server for trying out an installed Mailman without Apache.

It does what the installation manual asks of a real web server, and no more:

  /mailman/<page>[/<path>]   runs the installed cgi-bin/<page> wrapper as a
                             CGI/1.1 program and relays its answer;
  /pipermail/<list>/...      static files of the public archives;
  /icons/...                 the images installed under $prefix/icons.

The wrappers check that they are run by the CGI group, exactly as under
Apache.  Run as root, the server starts each wrapper as the CGI user given to
it (normally the web server's user); otherwise as the user running it.

It binds to 127.0.0.1 unless told otherwise, and is meant for development
and tests, not for the open internet.
"""

import html
import mimetypes
import os
import pwd
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CGI_TIMEOUT = 120
PAGE_NAME = re.compile(r'^[A-Za-z0-9_-]+$')
# Request headers that CGI passes in their own variables, or must never
# pass (a client-supplied "Proxy:" header would become HTTP_PROXY).
_SKIPPED_HEADERS = {'content-type', 'content-length', 'proxy', 'authorization'}


class Config:
    """Where the server finds the installed tree, and whom it runs CGIs as."""

    def __init__(self, cgi_dir, cgiext, public_archive_dir, icons_dir,
                 cgi_user=None, log=None):
        self.cgi_dir = os.path.realpath(cgi_dir)
        self.cgiext = cgiext or ''
        self.public_archive_dir = os.path.abspath(public_archive_dir)
        self.icons_dir = os.path.realpath(icons_dir)
        self.cgi_user = cgi_user          # a pwd entry, or None for "as I am"
        self.log = log or sys.stderr

    @classmethod
    def from_mm_cfg(cls, mm_cfg, cgi_user=None, log=None):
        return cls(os.path.join(mm_cfg.EXEC_PREFIX, 'cgi-bin'), mm_cfg.CGIEXT,
                   mm_cfg.PUBLIC_ARCHIVE_FILE_DIR,
                   os.path.join(mm_cfg.PREFIX, 'icons'),
                   cgi_user=cgi_user, log=log)


def lookup_cgi_user(name):
    """The pwd entry for NAME (a user name or number).  Only root may run
    the CGIs as someone else."""
    try:
        entry = pwd.getpwuid(int(name)) if name.isdigit() else pwd.getpwnam(name)
    except KeyError:
        raise ValueError(f'no such user: {name}') from None
    if os.geteuid() != 0 and entry.pw_uid != os.geteuid():
        raise ValueError(f'only root can run the CGIs as {entry.pw_name}')
    return entry


def safe_join(top, relative):
    """TOP/RELATIVE, or None when RELATIVE could leave TOP: a '..' or an
    absolute part, a NUL, or a symlink pointing outside."""
    if '\0' in relative or '\\' in relative:
        return None
    parts = [p for p in relative.split('/') if p not in ('', '.')]
    if any(p == '..' for p in parts):
        return None
    top_real = os.path.realpath(top)
    path = os.path.realpath(os.path.join(top_real, *parts))
    if path != top_real and not path.startswith(top_real + os.sep):
        return None
    return path


class Handler(BaseHTTPRequestHandler):
    server_version = 'MailmanDevServer/1.0'
    protocol_version = 'HTTP/1.0'
    config: Config = None          # set by make_server()

    # -------------------------------------------------------------- dispatch
    def _dispatch(self):
        target = self.path
        if not target.startswith('/'):
            self._error(HTTPStatus.BAD_REQUEST)
            return
        raw_path, _, query = target.partition('?')
        path = urllib.parse.unquote(raw_path, errors='strict') \
            if '%' in raw_path else raw_path
        if path in ('/', '/mailman', '/mailman/'):
            self._redirect('/mailman/listinfo')
        elif path.startswith('/mailman/'):
            self._run_cgi(path[len('/mailman/'):], raw_path, query)
        elif path.startswith('/pipermail/') or path == '/pipermail':
            self._static(self._archive_file(path[len('/pipermail/'):]),
                         raw_path, listing=True)
        elif path.startswith('/icons/'):
            self._static(safe_join(self.config.icons_dir,
                                   path[len('/icons/'):]), raw_path)
        else:
            self._error(HTTPStatus.NOT_FOUND)

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except UnicodeDecodeError:
            self._error(HTTPStatus.BAD_REQUEST)

    def __getattr__(self, name):
        # Every method goes through _dispatch: the driver, not the server,
        # decides which methods a page accepts (and answers 405).
        if name.startswith('do_') and name[3:].isupper():
            return self._dispatch
        raise AttributeError(name)

    # -------------------------------------------------------------- CGI
    def _run_cgi(self, rest, raw_path, query):
        page, slash, path_info = rest.partition('/')
        if not PAGE_NAME.match(page):
            self._error(HTTPStatus.NOT_FOUND)
            return
        script = os.path.join(self.config.cgi_dir, page + self.config.cgiext)
        if not (os.path.isfile(script) and os.access(script, os.X_OK)):
            self._error(HTTPStatus.NOT_FOUND)
            return
        length = self.headers.get('Content-Length')
        try:
            length = int(length) if length else 0
            if length < 0:
                raise ValueError
        except ValueError:
            self._error(HTTPStatus.BAD_REQUEST)
            return
        body = self.rfile.read(length) if length else b''
        env = self._cgi_environ(page, slash + path_info, raw_path, query, body)
        kwargs = {}
        user = self.config.cgi_user
        if user is not None and os.geteuid() == 0:
            kwargs = dict(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        try:
            result = subprocess.run([script], input=body, env=env,
                                    cwd=self.config.cgi_dir,
                                    capture_output=True,
                                    timeout=CGI_TIMEOUT, **kwargs)
        except (OSError, subprocess.SubprocessError) as error:
            self.log_error('CGI %s failed: %s', page, error)
            self._error(HTTPStatus.BAD_GATEWAY)
            return
        for line in result.stderr.decode('utf-8', 'replace').splitlines():
            self.log_error('CGI %s: %s', page, line)
        self._relay(result.stdout, page)

    def _cgi_environ(self, page, path_info, raw_path, query, body):
        host, port = self.server.server_address[:2]
        env = {
            'PATH': '/usr/local/bin:/usr/bin:/bin',
            'GATEWAY_INTERFACE': 'CGI/1.1',
            'SERVER_SOFTWARE': self.server_version,
            'SERVER_NAME': self.server.server_name_for_cgi,
            'SERVER_PORT': str(port),
            'SERVER_ADDR': host,
            'SERVER_PROTOCOL': self.request_version,
            'REQUEST_METHOD': self.command,
            'REQUEST_URI': self.path,
            'SCRIPT_NAME': '/mailman/' + page,
            'QUERY_STRING': query,
            'REMOTE_ADDR': self.client_address[0],
            'REMOTE_PORT': str(self.client_address[1]),
            'HTTPS': 'off',
        }
        if path_info:
            env['PATH_INFO'] = path_info
        content_type = self.headers.get('Content-Type')
        if content_type:
            env['CONTENT_TYPE'] = content_type
        if body or self.headers.get('Content-Length'):
            env['CONTENT_LENGTH'] = str(len(body))
        for name, value in self.headers.items():
            if name.lower() in _SKIPPED_HEADERS:
                continue
            key = 'HTTP_' + name.upper().replace('-', '_')
            if not re.match(r'^HTTP_[A-Z0-9_]+$', key):
                continue
            env[key] = env[key] + ', ' + value if key in env else value
        return env

    def _relay(self, output, page):
        """Turn a CGI response (headers, blank line, body) into HTTP."""
        for separator in (b'\r\n\r\n', b'\n\n'):
            head, found, body = output.partition(separator)
            if found:
                break
        else:
            self.log_error('CGI %s sent no header block', page)
            self._error(HTTPStatus.BAD_GATEWAY)
            return
        status, reason, headers = None, None, []
        for line in head.decode('latin-1').splitlines():
            name, colon, value = line.partition(':')
            if not colon:
                self.log_error('CGI %s sent a bad header line %r', page, line)
                self._error(HTTPStatus.BAD_GATEWAY)
                return
            name, value = name.strip(), value.strip()
            if name.lower() == 'status':
                code, _, reason = value.partition(' ')
                try:
                    status = int(code)
                except ValueError:
                    self._error(HTTPStatus.BAD_GATEWAY)
                    return
            else:
                headers.append((name, value))
        if status is None:
            status = 302 if any(n.lower() == 'location' for n, _ in headers) else 200
        self.send_response(status, reason or None)
        for name, value in headers:
            if name.lower() not in ('content-length', 'connection'):
                self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    # -------------------------------------------------------------- static
    def _archive_file(self, relative):
        """A file under archives/public/<list>/: the list's entry there is a
        symlink (to archives/private/<list>) and may be followed, but the
        result must stay inside the list's own archive directory."""
        parts = [p for p in relative.split('/') if p not in ('', '.')]
        if not parts or any(p == '..' or '\0' in p or '\\' in p for p in parts):
            return None
        list_top = os.path.join(self.config.public_archive_dir, parts[0])
        if not os.path.isdir(list_top):
            return None
        return safe_join(list_top, '/'.join(parts[1:]))

    def _static(self, path, raw_path, listing=False):
        if self.command not in ('GET', 'HEAD'):
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header('Allow', 'GET, HEAD')
            self._finish_empty()
            return
        if path is None or not os.path.exists(path):
            self._error(HTTPStatus.NOT_FOUND)
            return
        if os.path.isdir(path):
            if not raw_path.endswith('/'):
                self._redirect(raw_path + '/')
                return
            index = os.path.join(path, 'index.html')
            if os.path.isfile(index):
                path = index
            elif listing:
                self._listing(path, raw_path)
                return
            else:
                self._error(HTTPStatus.FORBIDDEN)
                return
        try:
            with open(path, 'rb') as handle:
                data = handle.read()
        except OSError:
            self._error(HTTPStatus.FORBIDDEN)
            return
        content_type, encoding = mimetypes.guess_type(path)
        if encoding == 'gzip':
            content_type = 'application/gzip'
        content_type = content_type or 'application/octet-stream'
        if content_type.startswith('text/') and 'charset' not in content_type:
            content_type += '; charset=utf-8'
        self.send_response(HTTPStatus.OK)
        self.send_header('Content-Type', content_type)
        self.send_header('X-Content-Type-Options', 'nosniff')
        self.send_header('Content-Length', str(len(data)))
        self.send_header('Last-Modified',
                         self.date_time_string(int(os.path.getmtime(path))))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def _listing(self, path, raw_path):
        try:
            names = sorted(os.listdir(path))
        except OSError:
            self._error(HTTPStatus.FORBIDDEN)
            return
        title = html.escape(urllib.parse.unquote(raw_path))
        items = []
        for name in names:
            if name.startswith('.'):
                continue
            suffix = '/' if os.path.isdir(os.path.join(path, name)) else ''
            items.append(f'<li><a href="{urllib.parse.quote(name)}{suffix}">'
                         f'{html.escape(name)}{suffix}</a></li>')
        page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f'<title>Index of {title}</title></head>\n<body>\n'
                f'<h1>Index of {title}</h1>\n<ul>\n' + '\n'.join(items)
                + '\n</ul>\n</body></html>\n')
        self._send_html(HTTPStatus.OK, page)

    # -------------------------------------------------------------- helpers
    def _send_html(self, status, page):
        data = page.encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'text/html; charset=utf-8')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def _finish_empty(self):
        self.send_header('Content-Length', '0')
        self.end_headers()

    def _redirect(self, location):
        self.send_response(HTTPStatus.FOUND)
        self.send_header('Location', location)
        self._finish_empty()

    def _error(self, status):
        status = HTTPStatus(status)
        self._send_html(status, (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<title>{status.value} {status.phrase}</title></head>\n<body>\n'
            f'<h1>{status.phrase}</h1>\n</body></html>\n'))

    def log_message(self, format, *args):
        stamp = time.strftime('%b %d %H:%M:%S %Y')
        try:
            self.config.log.write(f'{stamp} ({os.getpid()}) '
                                  f'{self.address_string()} {format % args}\n')
            self.config.log.flush()
        except (OSError, ValueError):
            pass


def make_server(config, host='127.0.0.1', port=8000):
    handler = type('ConfiguredHandler', (Handler,), {'config': config})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.server_name_for_cgi = host
    return server


def serve(server, ready=None):
    """Serve until SIGINT or SIGTERM, then close the socket.  READY is
    called once the signals are handled, so whoever waits for its output
    may stop the server at once."""
    def stop(signum, frame):
        raise KeyboardInterrupt
    previous = {sig: signal.signal(sig, stop)
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if ready is not None:
            ready()
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.server_close()
