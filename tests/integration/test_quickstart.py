"""Issue: the README's quick start brings up a complete local site.

`python3 misc/quickstart.py` runs in a fresh copy of the checkout (the files
git knows of, committed or not, as a clone with the work in progress would
have them) on free loopback ports.  Once it says it is ready, a post sent to
the sample list over SMTP reaches every member's copy in the capture
Maildir; a visitor subscribes through the list's web page in Chromium and
confirms with the link from the captured mail; bin/list_members shows the
new member.  A Ctrl-C then stops everything the quick start started.
Screenshots of the pages are kept as artefacts.
"""

import email
import email.policy
import mailbox
import os
import re
import signal
import smtplib
import socket
import subprocess
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from browser import Browser, need_chromium
from installs import SOURCE, copy_source, interpreter_under_test, run

READY = 'The Mailman quick start site is ready.'
MEMBERS = ('alice@example.com', 'bob@example.com', 'carol@example.com')
NEWCOMER = 'dave@example.com'
LIST_ADDRESS = 'sample@lists.localhost'
FORM_MIN_AGE = 6        # SUBSCRIBE_FORM_MIN_TIME is 5 s by default
PATIENCE = 120          # seconds to wait for mail before giving up


def fresh_clone(destination):
    """The files a clone of this checkout would hold, plus the untracked
    ones that are not ignored (the work not yet committed)."""
    listing = subprocess.run(
        ['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
        cwd=SOURCE, capture_output=True)
    if listing.returncode != 0:         # not a git checkout: copy the tree
        return copy_source(destination)
    for name in listing.stdout.decode('utf-8', 'surrogateescape').split('\0'):
        source = SOURCE / name
        if not name or not (source.exists() or source.is_symlink()):
            continue                    # deleted in the working tree
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode & 0o777)
    return destination


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for each in sockets:
            each.bind(('127.0.0.1', 0))
        return [each.getsockname()[1] for each in sockets]
    finally:
        for each in sockets:
            each.close()


def processes_under(directory):
    """(pid, command line) of live processes whose working directory,
    program or command line lies under DIRECTORY."""
    found = []
    prefix = str(directory)
    for entry in Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / 'stat').read_text().rpartition(')')[2].split()[0]
            if state == 'Z':
                continue
            cmdline = (entry / 'cmdline').read_bytes().replace(b'\0', b' ').decode(
                'utf-8', 'replace')
            places = [cmdline]
            for link in ('cwd', 'exe'):
                try:
                    places.append(os.readlink(entry / link))
                except OSError:
                    pass
        except OSError:
            continue
        if any(prefix in place for place in places):
            found.append((int(entry.name), cmdline.strip()))
    return found


def processes_in_group(pgid):
    found = []
    for entry in Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / 'stat').read_text().rpartition(')')[2].split()
        except OSError:
            continue
        if fields[0] != 'Z' and int(fields[3]) == pgid:
            found.append(int(entry.name))
    return found


class QuickStart:
    """The quick start running in the background, its output collected."""

    def __init__(self, clone, ports):
        self.clone = clone
        self.site = clone / 'site'
        self.smtp_port, self.web_port, self.capture_port = ports
        self.lines = []
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            [interpreter_under_test(), 'misc/quickstart.py',
             '--smtp-port', str(self.smtp_port), '--web-port', str(self.web_port),
             '--capture-port', str(self.capture_port)],
            cwd=clone, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip('\n'))
            if READY in line:
                self.ready.set()
        self.ready.set()        # the process ended: stop waiting

    def output(self):
        return '\n'.join(self.lines)

    def interrupt(self):
        """Ctrl-C: SIGINT to the whole process group, as a terminal sends it."""
        try:
            os.killpg(self.process.pid, signal.SIGINT)
        except ProcessLookupError:
            pass

    def kill_leftovers(self):
        """After a failure: make sure nothing keeps running."""
        if self.process.poll() is None:
            self.interrupt()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if (self.site / 'bin' / 'mailmanctl').exists():
            subprocess.run([str(self.site / 'bin' / 'mailmanctl'), '-q', 'stop'],
                           capture_output=True)
        for pid, _ in processes_under(self.clone):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def quickstart(tmp_path):
    need_chromium()
    clone = fresh_clone(tmp_path / 'clone')
    started = QuickStart(clone, free_ports(3))
    started.ready.wait(600)
    try:
        assert READY in started.output(), (
            f'the quick start did not get ready:\n{started.output()}')
        yield started
    finally:
        started.kill_leftovers()


# ------------------------------------------------------------ the captured mail
def captured(site):
    """(recipient, message) for every message in the capture Maildir; the
    recipient is the first Delivered-To header, which the capture adds."""
    box = mailbox.Maildir(str(site / 'maildir'), create=False)
    found = []
    for key in box.keys():
        with box.get_file(key) as file:
            message = email.message_from_binary_file(file, policy=email.policy.default)
        found.append((message['Delivered-To'], message))
    return found


def wait_for_mail(site, predicate, what):
    """The captured messages that PREDICATE(recipient, message) accepts,
    once there are any; fails after PATIENCE seconds without."""
    deadline = time.monotonic() + PATIENCE
    while True:
        matching = [(to, m) for to, m in captured(site) if predicate(to, m)]
        if matching or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert matching, f'no captured mail: {what}; runner errors:\n' + (
        (site / 'logs' / 'error').read_text() if (site / 'logs' / 'error').exists() else '')
    return matching


def body_text(message):
    part = message.get_body(preferencelist=('plain',)) or message
    return part.get_content()


# ------------------------------------------------------------ the test
def test_quickstart_brings_up_a_working_site(quickstart, request):
    site = quickstart.site
    output = quickstart.output()
    web = f'http://localhost:{quickstart.web_port}/mailman'
    # What it prints: the pages, the addresses, the passwords, the Maildir.
    for expected in (f'{web}/listinfo', f'{web}/admin/sample', f'{web}/admindb/sample',
                     LIST_ADDRESS, f'127.0.0.1:{quickstart.smtp_port}',
                     str(site / 'maildir')):
        assert expected in output
    password = re.search(r'list admin password of sample: (\S+)', output).group(1)
    assert re.search(r'site password .*: \S+', output)

    # A post through the SMTP entry point reaches every member.
    post = EmailMessage()
    post['From'] = MEMBERS[0]
    post['To'] = LIST_ADDRESS
    post['Subject'] = 'Hello from the quick start test'
    post.set_content('A post for every member.\n')
    with smtplib.SMTP('127.0.0.1', quickstart.smtp_port, timeout=60) as smtp:
        assert smtp.send_message(post) == {}
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail(MEMBERS[0], ['no-such-list@lists.localhost'],
                          'Subject: lost\r\n\r\nnobody\r\n')
    for member in MEMBERS:
        [(_, copy)] = wait_for_mail(
            site, lambda to, m, member=member: to == member
            and 'Hello from the quick start test' in str(m['Subject']),
            f'the post for {member}')
        assert 'A post for every member.' in body_text(copy)
        assert copy['List-Id'] and 'sample' in copy['List-Id']

    # A visitor subscribes on the web and confirms from the captured mail.
    with Browser(request.node.name) as browser:
        page = browser.new_page()
        assert page.goto(f'{web}/listinfo/sample') == 200
        form_loaded = time.monotonic()
        page.screenshot('listinfo')
        page.fill('input[name=email]', NEWCOMER)
        page.fill('input[name=fullname]', 'Dave Example')
        # The form refuses answers quicker than SUBSCRIBE_FORM_MIN_TIME.
        time.sleep(max(0.0, FORM_MIN_AGE - (time.monotonic() - form_loaded)))
        page.click('input[type=submit][name=email-button]')
        page.screenshot('subscribe-result')
        assert 'confirm' in page.text().lower(), page.text()

        [(_, request_mail)] = wait_for_mail(
            site, lambda to, m: to == NEWCOMER, 'the confirmation request')
        link = re.search(rf'{re.escape(web)}/confirm/sample/\S+',
                         body_text(request_mail))
        assert link, body_text(request_mail)
        assert page.goto(link.group(0).rstrip('.>)')) == 200
        page.screenshot('confirm')
        page.click('input[type=submit][name=submit]')
        page.screenshot('confirmed')
        assert 'error' not in page.text().lower(), page.text()

    members = run([str(site / 'bin' / 'list_members'), 'sample']).stdout.split()
    assert NEWCOMER in members, members
    assert set(MEMBERS) <= set(members)

    # The admin password it printed opens the admin pages' login check.
    check = run([interpreter_under_test(), '-S', '-c',
                 'import paths, sys\n'
                 'from Mailman.MailList import MailList\n'
                 'from Mailman import Passwords\n'
                 'mlist = MailList("sample", lock=0)\n'
                 'sys.exit(0 if Passwords.verify(sys.argv[1], mlist.password) else 1)',
                 password], cwd=site / 'bin', check=False)
    assert check.returncode == 0, check.stderr

    # Ctrl-C stops everything it started.
    group = quickstart.process.pid
    quickstart.interrupt()
    assert quickstart.process.wait(120) == 0, quickstart.output()
    quickstart.reader.join(10)
    assert 'Stopped.' in quickstart.output()
    assert processes_in_group(group) == []
    assert processes_under(quickstart.clone) == []
