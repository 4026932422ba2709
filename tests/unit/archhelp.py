"""Helpers for the archiver tests: lists with archives, messages, pages."""

import email.utils
import html.parser
import os
import shutil
import uuid

from Mailman import Passwords
from Mailman import mm_cfg
from Mailman.MailList import MailList

SCRIPT = '<script>alert(1)</script>'


def make_list(**attrs):
    name = 'arch-' + uuid.uuid4().hex[:10]
    m = MailList()
    m.Create(name, 'owner@example.com', Passwords.hash_password('adminpw'))
    for key, value in attrs.items():
        setattr(m, key, value)
    m.Save()
    return m            # locked, as the archive runner has it


def remove_list(m):
    try:
        m.Unlock()
    except Exception:
        pass
    name = m.internal_name()
    shutil.rmtree(m.fullpath(), ignore_errors=True)
    for path in (os.path.join(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR, name),
                 os.path.join(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR, name + '.mbox')):
        shutil.rmtree(path, ignore_errors=True)
    link = os.path.join(mm_cfg.PUBLIC_ARCHIVE_FILE_DIR, name)
    if os.path.islink(link):
        os.unlink(link)


def message(subject='Hello', sender='Ann Example <ann@example.org>',
            msgid=None, date='Thu, 26 Nov 2026 10:00:00 +0000',
            body='Some text.\n', headers=(), unixfrom=False):
    """A simple message as bytes."""
    lines = []
    if unixfrom:
        lines.append('From ann@example.org Thu Nov 26 10:00:00 2026')
    if sender is not None:
        lines.append('From: ' + sender)
    lines.append('To: list@example.com')
    if subject is not None:
        lines.append('Subject: ' + subject)
    if date is not None:
        lines.append('Date: ' + date)
    if msgid is None:
        msgid = email.utils.make_msgid(domain='example.org')
    if msgid:
        lines.append('Message-ID: ' + msgid)
    lines.extend(headers)
    text = '\n'.join(lines) + '\n\n' + body
    return text.encode('utf-8', 'surrogateescape') if isinstance(text, str) \
        else text


class Links(html.parser.HTMLParser):
    """The href/src/action values and the script tags of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.scripts = 0
        self.event_attrs = 0

    def handle_starttag(self, tag, attrs):
        if tag == 'script':
            self.scripts += 1
        for name, value in attrs:
            if name.startswith('on'):
                self.event_attrs += 1
            if name in ('href', 'src', 'action') and value is not None:
                self.links.append(value)


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()
