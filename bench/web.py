#!/usr/bin/env python3
"""Web benchmark: how long does a page take through the CGI wrapper?

    python3 bench/web.py [--members 100000] [--held 200] [--repeat 10]
                         [--keep]

Builds and installs Mailman into a temporary prefix (as the integration
tests do, for the current user and group), creates one list with MEMBERS
members and HELD held posts, then runs the installed cgi-bin wrappers the
way a web server does (a CGI environment, the request on standard input,
the answer read from standard output) for:

  listinfo        the list's information page;
  admin members   the admin membership page (first chunk of the roster),
                  logged in by cookie;
  admindb         the moderation summary with every held post, logged in
                  by cookie.

Each request is a new process, as under Apache; the figure is the median
and the worst wall time over REPEAT requests after one warm-up.  It prints
figures and never fails on time.  Target: under 0.3 s each.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / 'tests' / 'integration'))
sys.path.insert(0, str(TOP / 'tests'))

from installs import build_and_install, current_group, current_user  # noqa: E402

TARGET = 0.3
LIST = 'webbench'
PASSWORD = 'bench-admin-pw'

# Runs with the installed interpreter: members and held posts for the list.
POPULATE = r'''
import sys
from Mailman.MailList import MailList
from Mailman.Message import Message
name, members, held = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tlds = ('com', 'net', 'org', 'edu', 'de', 'fr', 'co.uk')
m = MailList(name)
try:
    m.members.update((f'member{i}@host{i % 97}.example.{tlds[i % len(tlds)]}', 0)
                     for i in range(members))
    for i in range(held):
        msg = Message()
        msg['From'] = f'sender{i % 40}@outside.example'
        msg['To'] = m.GetListEmail()
        msg['Subject'] = f'Held post number {i}'
        msg['Message-ID'] = f'<held-{i}@outside.example>'
        msg.set_payload('A post from a non-member, held for moderation.\n' * 20)
        m.HoldMessage(msg, 'Post by non-member to a members-only list',
                      notify=False)
    m.Save()
finally:
    m.Unlock()
'''

# Runs with the installed interpreter: the Cookie header of an admin login.
COOKIE = r'''
import sys
from Mailman import mm_cfg
from Mailman.MailList import MailList
from Mailman.Cgi import Auth
m = MailList(sys.argv[1], lock=0)
lines = Auth.login_headers({'SCRIPT_NAME': '/mailman/admin'}, m,
                           mm_cfg.AuthListAdmin)
print(lines[0].split(':', 1)[1].strip().split(';')[0])
'''


def cgi_environment(page, path_info, cookie):
    return {
        'PATH': '/usr/bin:/bin',
        'GATEWAY_INTERFACE': 'CGI/1.1',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
        'HTTP_HOST': 'localhost',
        'REQUEST_METHOD': 'GET',
        'SCRIPT_NAME': f'/mailman/{page}',
        'PATH_INFO': path_info,
        'QUERY_STRING': '',
        'REMOTE_ADDR': '127.0.0.1',
        'HTTP_COOKIE': cookie,
    }


def time_page(install, page, path_info, cookie, repeat):
    wrapper = str(install.exec_prefix / 'cgi-bin' / page)
    env = cgi_environment(page, path_info, cookie)
    times = []
    for attempt in range(repeat + 1):
        start = time.perf_counter()
        result = subprocess.run([wrapper], env=env, stdin=subprocess.DEVNULL,
                                capture_output=True)
        elapsed = time.perf_counter() - start
        head = result.stdout[:200].decode('latin-1')
        if result.returncode != 0 or 'Status: 200' not in head:
            raise SystemExit(f'{page}{path_info} failed: {head!r} '
                             f'{result.stderr[-500:]!r}')
        if attempt:         # the first run warms the page cache
            times.append(elapsed)
    return statistics.median(times), max(times), len(result.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--members', type=int, default=100_000)
    parser.add_argument('--held', type=int, default=200)
    parser.add_argument('--repeat', type=int, default=10)
    parser.add_argument('--keep', action='store_true',
                        help='keep the temporary install')
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='mailman-webbench-'))
    try:
        group = current_group()
        print(f'installing into {workdir} ...', flush=True)
        install = build_and_install(
            workdir, f'--with-username={current_user()}',
            f'--with-groupname={group}', f'--with-mail-gid={group}',
            f'--with-cgi-gid={group}', '--without-permcheck')
        made = install.bin('newlist', '-q', LIST, 'owner@example.com',
                           PASSWORD)
        assert made.returncode == 0, made.stderr
        start = time.perf_counter()
        filled = install.python(POPULATE, LIST, options.members, options.held)
        assert filled.returncode == 0, filled.stderr
        print(f'{options.members} members and {options.held} held posts '
              f'made in {time.perf_counter() - start:.1f} s')
        cookie = install.python(COOKIE, LIST)
        assert cookie.returncode == 0, cookie.stderr
        cookie = cookie.stdout.strip()
        admindb_cookie = cookie     # the admin cookie is sent to admindb too

        rows = [
            ('listinfo', 'listinfo', f'/{LIST}', ''),
            ('admin members', 'admin', f'/{LIST}/members', cookie),
            ('admindb', 'admindb', f'/{LIST}', admindb_cookie),
        ]
        print(f'\n{"page":<16}{"median":>10}{"worst":>10}{"bytes":>10}'
              f'   target < {TARGET} s')
        for label, page, path_info, page_cookie in rows:
            median, worst, size = time_page(install, page, path_info,
                                            page_cookie, options.repeat)
            verdict = 'met' if median < TARGET else 'NOT met'
            print(f'{label:<16}{median:>9.3f}s{worst:>9.3f}s{size:>10}'
                  f'   {verdict}')
    finally:
        if options.keep:
            print(f'kept {workdir}')
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
