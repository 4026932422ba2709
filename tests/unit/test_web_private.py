"""The private archive page (Mailman.Cgi.private): login, serving files of
the list's archive with the right types, and refusing every path that
leads outside it."""

import gzip
import io
import os

import pytest

from webhelp import (SCRIPT, Client, Response, call, lists,  # noqa: F401
                     locked, unique_remote)

SECRET = 'TOP-SECRET-OUTSIDE-THE-ARCHIVE'
PAGE = '<!DOCTYPE html><html lang="en"><title>t</title><p>%s</p></html>'


def add_member(mlist, address, password):
    from Mailman.UserDesc import UserDesc
    mlist.Lock()
    try:
        mlist.ApprovedAddMember(UserDesc(address, '', password),
                                ack=False, admin_notif=False)
        mlist.Save()
    finally:
        mlist.Unlock()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data.encode('utf-8') if isinstance(data, str) else data)


def archive(lists, private=1, **attrs):
    """A list with a small archive: an index, a volume with a message and
    its text, an mbox."""
    m = lists(archive_private=private, **attrs)
    top = m.archive_dir()
    name = m.internal_name()
    write(os.path.join(top, 'index.html'), PAGE % f'index of {name}')
    write(os.path.join(top, '2026-November', 'index.html'), PAGE % 'volume')
    write(os.path.join(top, '2026-November', '000001.html'),
          PAGE % f'message one of {name}')
    write(os.path.join(top, '2026-November.txt'), f'text volume of {name}\n')
    write(os.path.join(top, '2026-October.txt.gz'),
          gzip.compress(f'old volume of {name}\n'.encode()))
    write(m.ArchiveFileName(), f'From x\nSubject: mbox of {name}\n\nbody\n')
    add_member(m, 'ann@example.org', 'annpw')
    return m


def fetch(path, cookie='', method='GET', form=None, remote=None):
    """PATH through the real CGI driver, as the web server runs it."""
    import urllib.parse
    from Mailman.Cgi import driver
    body = urllib.parse.urlencode(form or {}).encode('utf-8')
    environ = {'REQUEST_METHOD': method, 'PATH_INFO': path,
               'SCRIPT_NAME': '/mailman/private', 'QUERY_STRING': '',
               'REMOTE_ADDR': remote or unique_remote(),
               'HTTP_HOST': 'www.example.com', 'HTTP_COOKIE': cookie}
    if method == 'POST':
        environ.update({'CONTENT_TYPE': 'application/x-www-form-urlencoded',
                        'CONTENT_LENGTH': str(len(body)),
                        'wsgi.input': io.BytesIO(body)})
    out = io.BytesIO()
    driver.main('private', environ, out)
    raw = out.getvalue()
    head, _, payload = raw.partition(b'\r\n\r\n')
    response = Response(head + b'\r\n\r\n')
    response.body = payload
    return response


def admin_cookie(mlist):
    """The Cookie header of a list administrator's login, as the browser
    sends it to the private pages."""
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    session = Auth.login({'SCRIPT_NAME': '/mailman/admin',
                          'REMOTE_ADDR': unique_remote()}, mlist,
                         [mm_cfg.AuthListAdmin], 'adminpw')
    return [line.split(':', 1)[1].strip().split(';')[0]
            for line in session.headers if '/private/' in line][0]


# ---------------------------------------------------------------- login
def test_private_archive_needs_a_login(lists):
    m = archive(lists)
    name = m.internal_name()
    for path in (f'/{name}/', f'/{name}/2026-November/000001.html',
                 f'/{name}/2026-November.txt', f'/{name}.mbox/{name}.mbox'):
        r = fetch(path)
        assert r.status == 200
        assert b'message one' not in r.body and b'volume' not in r.body
        assert b'mbox of' not in r.body
        form = Response(b'\r\n\r\n' + r.body)
        assert {'username', 'password', 'submit'} <= set(form.inputs())
        assert f'action="/mailman/private{path}"'.encode() in r.body


def test_member_login_redirects_back_with_a_cookie(lists):
    m = archive(lists)
    name = m.internal_name()
    client = Client()
    path = f'/{name}/2026-November/000001.html'
    r = client.post('private', path, {'username': 'ann@example.org',
                                      'password': 'annpw',
                                      'submit': 'Let me in...'})
    assert r.status == 303
    assert r.headers['location'] == '/mailman/private' + path
    assert r.set_cookies
    r = client.get('private', path)
    assert r.status == 200
    assert r.headers['content-type'].startswith('text/html')
    assert r.headers['x-content-type-options'] == 'nosniff'
    assert f'message one of {name}' in r.text
    # Directories are served as their index page.
    assert f'index of {name}' in client.get('private', f'/{name}/').text
    assert 'volume' in client.get('private', f'/{name}/2026-November/').text


def test_wrong_passwords_are_refused_and_rate_limited(lists):
    from Mailman.Cgi import Auth
    m = archive(lists)
    name = m.internal_name()
    remote = unique_remote()
    path = f'/{name}/2026-November/000001.html'
    tries = [{'username': 'ann@example.org', 'password': 'wrong'},
             {'username': 'nobody@example.org', 'password': 'annpw'},
             {'username': '', 'password': 'annpw'}]
    for i in range(Auth.LOGIN_ATTEMPT_LIMIT):
        r = call('private', path, 'POST', tries[i % len(tries)],
                 remote=remote)
        assert r.status == 401 and not r.set_cookies
        assert 'message one' not in r.text
    r = call('private', path, 'POST', {'username': 'ann@example.org',
                                       'password': 'annpw'}, remote=remote)
    assert r.status == 429 and not r.set_cookies


def test_staff_passwords_open_the_archive(lists):
    from Mailman import Passwords, Utils
    m = archive(lists)
    locked(m, lambda m: setattr(m, 'mod_password',
                                Passwords.hash_password('modpw')))
    Utils.set_global_password('sitepw-private')
    path = f'/{m.internal_name()}/2026-November/000001.html'
    for password in ('adminpw', 'modpw', 'sitepw-private'):
        client = Client()
        r = client.post('private', path, {'username': '',
                                          'password': password})
        assert r.status == 303
        assert 'message one' in client.get('private', path).text


def test_another_lists_cookie_opens_nothing(lists):
    one, two = archive(lists), archive(lists)
    cookie = admin_cookie(one)
    moved = cookie.replace(one.internal_name(), two.internal_name(), 1)
    for path in (f'/{two.internal_name()}/2026-November/000001.html',
                 f'/{two.internal_name()}.mbox/{two.internal_name()}.mbox'):
        for c in (cookie, moved):
            r = fetch(path, cookie=c)
            assert b'message one' not in r.body
            assert b'mbox of' not in r.body
            assert b'name="password"' in r.body


def test_public_archive_needs_no_login_but_for_its_mbox(lists,
                                                        monkeypatch):
    from Mailman import mm_cfg
    m = archive(lists, private=0)
    name = m.internal_name()
    r = fetch(f'/{name}/2026-November/000001.html')
    assert r.status == 200 and b'message one' in r.body
    mbox = f'/{name}.mbox/{name}.mbox'
    r = fetch(mbox)
    assert b'mbox of' not in r.body and b'name="password"' in r.body
    monkeypatch.setattr(mm_cfg, 'PUBLIC_MBOX', True)
    assert f'mbox of {name}'.encode() in fetch(mbox).body


# ---------------------------------------------------------------- files
def test_types_gz_and_mbox(lists):
    m = archive(lists)
    name = m.internal_name()
    cookie = admin_cookie(m)
    text = fetch(f'/{name}/2026-November.txt', cookie)
    assert text.headers['content-type'] == 'text/plain'
    assert text.body == f'text volume of {name}\n'.encode()
    assert text.headers['x-content-type-options'] == 'nosniff'
    gz = fetch(f'/{name}/2026-October.txt.gz', cookie)
    assert gz.headers['content-type'] == 'application/gzip'
    assert gz.headers['content-disposition'].startswith('attachment')
    assert gzip.decompress(gz.body) == f'old volume of {name}\n'.encode()
    # The .txt of a compressed volume comes unpacked from its .gz twin.
    twin = fetch(f'/{name}/2026-October.txt', cookie)
    assert twin.headers['content-type'] == 'text/plain'
    assert twin.body == f'old volume of {name}\n'.encode()
    head = fetch(f'/{name}/2026-November.txt', cookie, method='HEAD')
    assert head.status == 200 and head.body == b''
    assert head.headers['content-length'] == str(len(text.body))


def test_mbox_is_served_on_login(lists):
    m = archive(lists)
    name = m.internal_name()
    r = fetch(f'/{name}.mbox/{name}.mbox', method='POST',
              form={'username': 'ann@example.org', 'password': 'annpw'})
    assert r.status == 200
    assert r.headers['content-type'] == 'text/plain'
    assert f'mbox of {name}'.encode() in r.body
    cookie = admin_cookie(m)
    assert f'mbox of {name}'.encode() in \
        fetch(f'/{name}.mbox/{name}.mbox', cookie).body


def test_directory_without_slash_redirects(lists):
    m = archive(lists)
    name = m.internal_name()
    cookie = admin_cookie(m)
    r = fetch(f'/{name}/2026-November', cookie)
    assert r.status == 301
    assert r.headers['location'] == f'/mailman/private/{name}/2026-November/'
    assert fetch(f'/{name}', cookie).headers['location'] == \
        f'/mailman/private/{name}/'


def test_large_files_are_streamed_by_the_driver(lists, monkeypatch):
    from Mailman.Cgi import private
    m = archive(lists)
    name = m.internal_name()
    data = os.urandom(3 * private.CHUNK_SIZE + 17)
    write(os.path.join(m.archive_dir(), 'attachments', 'big.bin'), data)
    monkeypatch.setattr(private, 'INLINE_LIMIT', private.CHUNK_SIZE)
    cookie = admin_cookie(m)
    # Called alone, the page writes only the headers and hands back the
    # writer of the body.
    out = io.BytesIO()
    writer = private.main({'REQUEST_METHOD': 'GET', 'SCRIPT_NAME':
                           '/mailman/private', 'HTTP_COOKIE': cookie,
                           'PATH_INFO': f'/{name}/attachments/big.bin',
                           'REMOTE_ADDR': unique_remote()}, out)
    assert callable(writer)
    assert out.getvalue().endswith(b'\r\n\r\n')
    r = fetch(f'/{name}/attachments/big.bin', cookie)
    assert r.headers['content-type'] == 'application/octet-stream'
    assert r.headers['content-length'] == str(len(data))
    assert r.body == data


# ---------------------------------------------------------------- traversal
@pytest.fixture
def outside(lists):
    """A list with its archive, and secrets next to it: another list's
    archive and mbox, a file in the archives directory, symlinks from
    inside the archive to outside."""
    from Mailman import mm_cfg
    m, other = archive(lists), archive(lists)
    write(os.path.join(other.archive_dir(), 'secret.html'), SECRET)
    write(other.ArchiveFileName(), SECRET)
    loose = os.path.join(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR, 'loose-secret.txt')
    write(loose, SECRET)
    outer = os.path.join(os.path.dirname(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR),
                         'secret-dir')
    write(os.path.join(outer, 'index.html'), SECRET)
    top = m.archive_dir()
    for link, target in (('link-file.html', loose),
                         ('link-dir', outer),
                         ('link-up', '..'),
                         ('link-other', other.archive_dir()),
                         ('link-passwd', '/etc/passwd')):
        path = os.path.join(top, link)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(target, path)
    os.mkfifo(os.path.join(top, 'fifo.html'))
    yield m, other
    os.unlink(loose)


def test_no_path_leads_outside_the_archive(outside):
    m, other = outside
    name, oname = m.internal_name(), other.internal_name()
    cookie = admin_cookie(m)
    attempts = [
        f'/{name}/../{oname}/secret.html',
        f'/{name}/2026-November/../../{oname}/secret.html',
        f'/{name}/%2e%2e/{oname}/secret.html',
        f'/{name}/..%2f{oname}%2fsecret.html',
        f'/{name}/./../{oname}/secret.html',
        f'/{name}/../loose-secret.txt',
        f'/{name}/..',
        f'/{name}/secret.html\x00.txt',
        f'/{name}/\x00',
        f'/{name}//etc/passwd',
        f'/{name}/' + os.path.abspath(other.archive_dir()) + '/secret.html',
        f'/{name}/link-file.html',
        f'/{name}/link-dir/',
        f'/{name}/link-dir/index.html',
        f'/{name}/link-up/loose-secret.txt',
        f'/{name}/link-other/secret.html',
        f'/{name}/link-passwd',
        f'/{name}/fifo.html',
        f'/{name}.mbox/{oname}.mbox',
        f'/{name}.mbox/../{oname}.mbox/{oname}.mbox',
        f'/{name}.mbox/{name}.mbox/../../{oname}.mbox/{oname}.mbox',
        f'/{name}.mbox/../loose-secret.txt',
        f'/{name}.mbox/',
        f'/{name}.mbox/{name}.mbox/extra',
    ]
    for path in attempts:
        r = fetch(path, cookie)
        assert r.status in (403, 404), (path, r.status)
        assert SECRET.encode() not in r.body, path
        assert b'root:' not in r.body, path


def test_script_in_names_and_paths_is_inert(lists):
    m = archive(lists, real_name='X' + SCRIPT)
    name = m.internal_name()
    r = fetch(f'/{name}/{SCRIPT}.html')
    assert b'<script>' not in r.body
    assert b'&lt;script&gt;' in r.body
    r = fetch(f'/{name}/x', method='POST',
              form={'username': SCRIPT, 'password': SCRIPT})
    assert r.status == 401 and b'<script>' not in r.body
    cookie = admin_cookie(m)
    r = fetch(f'/{name}/{SCRIPT}', cookie)
    assert r.status == 404 and b'<script>' not in r.body
    r = fetch('/' + SCRIPT + '/')
    assert r.status == 404 and b'<script>' not in r.body


def test_driver_streams_a_big_file_to_real_stdout(lists, tmp_path):
    """Through scripts/driver's path (a process whose standard output is
    the web server's pipe), a big file goes out whole and is never held
    in memory."""
    import subprocess
    import sys
    import conftest
    m = archive(lists, private=0)
    name = m.internal_name()
    big = os.path.join(m.archive_dir(), 'attachments', 'big.bin')
    os.makedirs(os.path.dirname(big), exist_ok=True)
    size = 64 * 1024 * 1024
    with open(big, 'wb') as f:
        f.write(b'start')
        f.truncate(size)            # sparse: cheap to make, real to read
    child = ('import resource, sys\n'
             'from Mailman.Cgi import driver\n'
             'driver.main("private")\n'
             'sys.stdout.flush()\n'
             'print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,'
             ' file=sys.stderr)\n')

    def run(path):
        env = {'PYTHONPATH': str(conftest.SHADOW), 'REQUEST_METHOD': 'GET',
               'PATH_INFO': path, 'SCRIPT_NAME': '/mailman/private',
               'REMOTE_ADDR': '192.0.2.1', 'PATH': os.environ['PATH']}
        with open(tmp_path / 'out', 'wb') as out:
            done = subprocess.run([sys.executable, '-c', child], env=env,
                                  cwd=tmp_path,
                                  stdout=out, stderr=subprocess.PIPE,
                                  timeout=120)
        assert done.returncode == 0, done.stderr
        with open(tmp_path / 'out', 'rb') as f:
            head = f.read(4096).partition(b'\r\n\r\n')[0]
        return head, os.path.getsize(tmp_path / 'out'), \
            int(done.stderr.split()[-1])
    head, length, small_rss = run(f'/{name}/2026-November.txt')
    head, length, big_rss = run(f'/{name}/attachments/big.bin')
    assert b'Status: 200 OK' in head
    assert length == len(head) + 4 + size
    # ru_maxrss is in KiB: the big file added far less than its size.
    assert big_rss - small_rss < size // 1024 // 4
