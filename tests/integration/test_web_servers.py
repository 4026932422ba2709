"""Issue: the installed CGI wrappers work behind a real web server.

The same requests go through Apache (configured as manual section 5 says)
and through bin/devserver, both serving one root install whose wrappers
expect the www-data group: the driver answers for /mailman/ pages (405 for
a PUT, 404 for an unknown page, its own page or error page for a GET or a
POST), /pipermail/ serves the public archive of a list and nothing outside
it, and /icons/ serves the images.  A wrapper started by the wrong group
shows its own 'Mailman CGI error' page.
"""

import http.client
import importlib.util
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest

import apache as apache_helper
from mmtest import need
from installs import SOURCE, root_install, world_reachable_directory

LIST = 'webtest'
ARCHIVE_TEXT = 'An archived message about web servers.\n'
ICON = 'webtest-logo.png'
ICON_BYTES = b'\x89PNG\r\n\x1a\n' + bytes(range(256))


def request(base_url, method, path, body=None, headers=None):
    """One request with PATH sent exactly as given (no client-side
    normalisation of '..'); returns (status, headers, body bytes)."""
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


# ------------------------------------------------------------ the install
@pytest.fixture(scope='module')
def web_install():
    """A root install as manual 2 says, its wrappers for the www-data
    group, with /usr/bin/python3 so that www-data can run the driver."""
    install, workdir = root_install('web', mail_gid='mail')
    # A list archive, laid out as the archiver does: the files live under
    # archives/private/<list>, archives/public/<list> is a symlink to them.
    private = install.var_prefix / 'archives' / 'private' / LIST
    private.mkdir()
    shutil.chown(private, group='mailman')
    private.chmod(0o2775)
    (private / 'note.txt').write_text(ARCHIVE_TEXT)
    (private / 'note.txt').chmod(0o664)
    (install.var_prefix / 'archives' / 'public' / LIST).symlink_to(private)
    (private / 'escape').symlink_to('/etc')
    (install.prefix / 'icons' / ICON).write_bytes(ICON_BYTES)
    (install.prefix / 'icons' / ICON).chmod(0o644)
    yield install
    shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------ the servers
class DevServerProcess:
    def __init__(self, install, cgi_user, logdir):
        self.stderr_path = Path(logdir) / f'devserver-{cgi_user}.log'
        self.stderr = open(self.stderr_path, 'w')
        self.process = subprocess.Popen(
            [str(install.prefix / 'bin' / 'devserver'), '--port', '0',
             '--cgi-user', cgi_user],
            cwd=install.prefix, stdout=subprocess.PIPE, stderr=self.stderr,
            text=True)
        first = self.process.stdout.readline()
        if 'http://' not in first:
            self.stop()
            raise AssertionError('devserver did not start:\n' + first
                                 + self.stderr_path.read_text())
        self.base_url = first[first.index('http://'):].split('/mailman/')[0]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()


@pytest.fixture(scope='module')
def apache(web_install):
    need(apache_helper.available(),
         'Apache (Debian package apache2) is needed')
    server = apache_helper.Apache(web_install,
                                  world_reachable_directory('apache'))
    server.configure()
    server.start()
    yield server
    server.stop()
    server.remove()


@pytest.fixture(scope='module')
def devserver(web_install, tmp_path_factory):
    server = DevServerProcess(web_install, 'www-data',
                              tmp_path_factory.mktemp('devserver'))
    yield server
    server.stop()


@pytest.fixture(params=['apache', 'devserver'])
def server(request):
    return request.getfixturevalue(request.param)


def error_log(install):
    path = install.var_prefix / 'logs' / 'error'
    return path.read_text(errors='replace') if path.exists() else ''


def listinfo_exists(install):
    return (install.prefix / 'Mailman' / 'Cgi' / 'listinfo.py').exists()


def assert_driver_page(install, status, headers, body, log_before):
    """The driver answered: the listinfo page itself when it exists, its
    own error page (and a traceback in logs/error) until then."""
    text = body.decode('utf-8', 'replace')
    assert headers.get('Content-Type', '').startswith('text/html'), headers
    assert '<html' in text, text
    if listinfo_exists(install):
        assert status == 200, text
        assert 'mailing lists' in text, text
    else:
        assert status == 500, text
        assert 'Mailman' in text, text
        assert 'Mailman CGI error' not in text     # not the wrapper's page
        new = error_log(install)[len(log_before):]
        assert 'Traceback' in new and 'listinfo' in new, new


# ------------------------------------------------------------ the tests
def test_put_is_refused_by_the_driver(server):
    status, headers, body = request(server.base_url, 'PUT', '/mailman/listinfo')
    assert status == 405, body
    assert 'GET' in headers.get('Allow', '')
    assert b'Method not allowed' in body


@pytest.mark.parametrize('server', ['apache', 'devserver'], indirect=True)
def test_put_with_a_body_is_refused_by_the_driver(server):
    status, headers, body = request(server.base_url, 'PUT', '/mailman/listinfo',
                                    body=b'x=1', headers={
                                        'Content-Type': 'text/plain'})
    assert status == 405, body
    assert b'Method not allowed' in body


def test_unknown_page_is_not_found(server):
    status, _, body = request(server.base_url, 'GET', '/mailman/nosuchpage')
    assert status == 404, body


def test_get_reaches_the_driver(server, web_install):
    before = error_log(web_install)
    status, headers, body = request(server.base_url, 'GET',
                                    '/mailman/listinfo')
    assert_driver_page(web_install, status, headers, body, before)


def test_post_with_a_body_reaches_the_driver(server, web_install):
    before = error_log(web_install)
    form = urllib.parse.urlencode({'email': 'someone@example.com'}).encode()
    status, headers, body = request(
        server.base_url, 'POST', '/mailman/listinfo', body=form,
        headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert_driver_page(web_install, status, headers, body, before)


def test_public_archive_is_served(server):
    status, _, body = request(server.base_url, 'GET',
                              f'/pipermail/{LIST}/note.txt')
    assert status == 200
    assert body.decode() == ARCHIVE_TEXT
    status, _, body = request(server.base_url, 'GET', f'/pipermail/{LIST}/')
    assert status == 200 and b'note.txt' in body     # the directory index


@pytest.mark.parametrize('path', [
    '/pipermail/../../etc/passwd',
    '/pipermail/../../../../../../etc/passwd',
    f'/pipermail/{LIST}/../../../../../../etc/passwd',
    '/pipermail/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    f'/pipermail/{LIST}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/pipermail//etc/passwd',
    '/icons/../../../../../../etc/passwd',
])
def test_nothing_outside_the_archive_is_served(server, path):
    status, _, body = request(server.base_url, 'GET', path)
    assert status in (400, 403, 404), (status, body[:200])
    assert b'root:' not in body


def test_devserver_refuses_symlinks_out_of_the_archive(devserver):
    """Only the list's own symlink in archives/public is followed: a link
    inside the archive that leads elsewhere is not."""
    status, _, body = request(devserver.base_url, 'GET',
                              f'/pipermail/{LIST}/escape/passwd')
    assert status == 404, body[:200]
    assert b'root:' not in body


def test_icons_are_served(server, web_install):
    status, headers, body = request(server.base_url, 'GET', '/icons/' + ICON)
    assert status == 200
    assert headers['Content-Type'] == 'image/png'
    assert body == ICON_BYTES


def test_wrong_group_gets_the_wrapper_error(web_install, tmp_path):
    """Run by a user outside the CGI group (nobody), the wrapper refuses
    and says so in its own error page."""
    server = DevServerProcess(web_install, 'nobody', tmp_path)
    try:
        status, _, body = request(server.base_url, 'GET', '/mailman/listinfo')
    finally:
        server.stop()
    assert status == 500
    text = body.decode('utf-8', 'replace')
    assert 'Mailman CGI error' in text
    assert 'www-data' in text or 'group' in text.lower(), text


def test_devserver_stops_on_sigterm(web_install, tmp_path):
    server = DevServerProcess(web_install, 'www-data', tmp_path)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(10) == 0
    server.stop()
    with pytest.raises(OSError):
        request(server.base_url, 'GET', '/icons/')


# ------------------------------------------------------------ in-process
def load_devserver():
    spec = importlib.util.spec_from_file_location(
        'mm_devserver_under_test', SOURCE / 'Mailman' / 'DevServer.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ECHO_CGI = """#!{python}
import json, os, sys
body = sys.stdin.buffer.read()
out = dict(environ=dict(os.environ), body=body.decode())
sys.stdout.write('Status: 201 Made Up\\r\\nContent-Type: application/json\\r\\n'
                 'Set-Cookie: a=b\\r\\nX-Page: echo\\r\\n\\r\\n' + json.dumps(out))
"""


@pytest.fixture
def echo_server(tmp_path):
    """The dev server in this process, with a CGI that echoes its
    environment and standard input."""
    module = load_devserver()
    cgi_bin = tmp_path / 'cgi-bin'
    cgi_bin.mkdir()
    echo = cgi_bin / 'echo'
    echo.write_text(ECHO_CGI.format(python=sys.executable))
    echo.chmod(0o755)
    redirect = cgi_bin / 'away'
    redirect.write_text('#!/bin/sh\nprintf "Location: /mailman/echo\\r\\n\\r\\n"\n')
    redirect.chmod(0o755)
    (tmp_path / 'icons').mkdir()
    (tmp_path / 'public').mkdir()
    config = module.Config(cgi_bin, '', tmp_path / 'public', tmp_path / 'icons',
                           cgi_user=pwd.getpwuid(os.geteuid()),
                           log=open(tmp_path / 'web.log', 'w'))
    server = module.make_server(config, '127.0.0.1', 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()
    config.log.close()


def test_cgi_environment_and_response(echo_server):
    status, headers, body = request(
        echo_server, 'POST', '/mailman/echo/some/list?a=1&b=%20x',
        body=b'field=value', headers={
            'Content-Type': 'application/x-www-form-urlencoded',
            'Cookie': 'session=abc', 'Proxy': 'http://evil/'})
    assert status == 201
    assert headers['X-Page'] == 'echo' and headers['Set-Cookie'] == 'a=b'
    data = json.loads(body)
    env = data['environ']
    assert data['body'] == 'field=value'
    assert env['REQUEST_METHOD'] == 'POST'
    assert env['QUERY_STRING'] == 'a=1&b=%20x'
    assert env['PATH_INFO'] == '/some/list'
    assert env['SCRIPT_NAME'] == '/mailman/echo'
    assert env['CONTENT_TYPE'] == 'application/x-www-form-urlencoded'
    assert env['CONTENT_LENGTH'] == '11'
    assert env['HTTP_COOKIE'] == 'session=abc'
    assert env['HTTP_HOST'].startswith('127.0.0.1:')
    assert env['REMOTE_ADDR'] == '127.0.0.1'
    assert env['SERVER_NAME'] == '127.0.0.1'
    assert env['SERVER_PORT'] == echo_server.rsplit(':', 1)[1]
    assert env['SERVER_PROTOCOL'] == 'HTTP/1.1'
    assert env['REQUEST_URI'] == '/mailman/echo/some/list?a=1&b=%20x'
    assert env['HTTPS'] == 'off'
    assert env['GATEWAY_INTERFACE'] == 'CGI/1.1'
    assert 'HTTP_PROXY' not in env


def test_cgi_location_without_status_redirects(echo_server):
    status, headers, _ = request(echo_server, 'GET', '/mailman/away')
    assert status == 302
    assert headers['Location'] == '/mailman/echo'


def test_head_has_no_body(echo_server):
    status, headers, body = request(echo_server, 'HEAD', '/mailman/echo')
    assert status == 201 and body == b''
