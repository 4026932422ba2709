"""Issue 5, done-when 1 and 2: every page through Apache and the setgid CGI
wrappers, driven by a real browser.

One root install (its CGI wrappers for Apache's www-data group, its runners
started by bin/mailmanctl, SMTP delivery to a capture server on loopback)
is served by Apache configured as manual section 5 says.  Headless Chromium
then does what people do: a visitor subscribes and confirms from the
emailed link; a member logs in and switches to digests; the list admin
changes the subject prefix and a privacy setting, mass-subscribes three
addresses, approves one held post (which is then delivered) and discards
another; the site admin creates a list and removes it.  A screenshot of
every page is kept under tests/artifacts/.
"""

import re
import shutil
import sys
import time
from email.header import decode_header, make_header
from pathlib import Path

import pytest

import apache as apache_helper
import postfix
from mmtest import need
from installs import root_install, world_reachable_directory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smtpcapture import SMTPCaptureServer  # noqa: E402
from browser import browser  # noqa: E402,F401  (the fixture)

LIST = 'flows'
MAIL_DOMAIN = 'lists.example.com'
ADMIN_PASSWORD = 'list-admin-pw'
SITE_PASSWORD = 'site-admin-pw'
MEMBER = ('mia@example.org', 'mia-password')
PYTHON = '/usr/bin/python3'


@pytest.fixture(scope='module')
def site():
    """(install, apache, capture) for a root install behind Apache."""
    need(apache_helper.available(), 'Apache (Debian package apache2) is needed')
    install, workdir = root_install('browser', f'--with-mailhost={MAIL_DOMAIN}')
    capture = SMTPCaptureServer()
    capture.start()
    server = apache_helper.Apache(install, world_reachable_directory('httpd'))
    settings = install.prefix / 'Mailman' / 'mm_cfg.py'
    settings.write_text(
        settings.read_text() +
        f"\nDEFAULT_URL_HOST = '127.0.0.1:{server.port}'\n"
        "DEFAULT_URL_PATTERN = 'http://%s/mailman/'\n"
        "MTA = None\n"
        f"SMTPHOST = '127.0.0.1'\nSMTPPORT = {capture.port}\n"
        "QRUNNER_SLEEP_TIME = 0.2\n"
        "SUBSCRIBE_FORM_MIN_TIME = 1\n")
    assert install.bin('mmsitepass', SITE_PASSWORD).returncode == 0
    for name in ('mailman', LIST):
        made = install.bin('newlist', '-q', name, 'owner@example.com',
                           ADMIN_PASSWORD)
        assert made.returncode == 0, made.stderr
    members = workdir / 'members.txt'
    members.write_text(f'{MEMBER[0]}\nold@example.net\n')
    added = install.bin('add_members', '-r', members, '-w', 'n', '-a', 'n',
                        LIST)
    assert added.returncode == 0, added.stdout + added.stderr
    install.python('import sys\n'
                   'from Mailman.MailList import MailList\n'
                   'm = MailList(sys.argv[1])\n'
                   'm.setMemberPassword(sys.argv[2], sys.argv[3])\n'
                   'm.Save(); m.Unlock()\n', LIST, *MEMBER)
    server.configure()
    server.start()
    started = install.bin('mailmanctl', 'start')
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield install, server, capture
    finally:
        install.bin('mailmanctl', 'stop')
        server.stop()
        server.remove()
        capture.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------ helpers
def url(server, page, *rest):
    return '/'.join([f'{server.base_url}/mailman/{page}', *rest])


def list_value(install, expression, name=LIST):
    result = install.python(
        'import sys\nfrom Mailman import mm_cfg\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList(sys.argv[1], lock=0)\n'
        f'print(repr({expression}))\n', name)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def mail_to(capture, address, containing, timeout=60):
    def found():
        for txn in capture.accepted():
            if address in txn.rcpt_tos:
                message = txn.message()
                subject = str(make_header(decode_header(
                    message.get('Subject', ''))))
                text = subject + '\n' + message.as_string()
                if containing in text:
                    return message
        return None
    message = postfix.wait_for(found, timeout=timeout)
    assert message is not None, \
        f'no mail to {address} containing {containing!r}'
    return message


def body_text(message):
    parts = [message] if not message.is_multipart() else \
        [p for p in message.walk() if p.get_content_maintype() == 'text']
    return '\n'.join(p.get_payload(decode=True).decode(
        p.get_content_charset() or 'utf-8', 'replace') for p in parts)


def inject(install, subject, sender='stranger@example.com'):
    text = (f'From: {sender}\nTo: {LIST}@{MAIL_DOMAIN}\n'
            f'Subject: {subject}\nMessage-ID: <{subject.replace(" ", ".")}'
            '@example.com>\n\nA post for the browser test.\n')
    path = install.var_prefix / 'data' / f'{subject.replace(" ", "_")}.txt'
    path.write_text(text)
    result = install.bin('inject', '-l', LIST, str(path))
    assert result.returncode == 0, result.stderr
    path.unlink()


def held(install):
    """{subject: request id} of the posts held for the list."""
    result = install.python(
        'import sys\nfrom Mailman.MailList import MailList\n'
        'm = MailList(sys.argv[1], lock=0)\n'
        'for i in m.GetHeldMessageIds():\n'
        '    print(i, m.GetRecord(i)[2])\n', LIST)
    found = {}
    for line in result.stdout.splitlines():
        request_id, _, subject = line.partition(' ')
        found[subject] = int(request_id)
    return found


def admin_login(page, server, path=''):
    page.goto(url(server, 'admin', LIST, path) if path else
              url(server, 'admin', LIST))
    if page.raw.locator('input[name=adminpw]').count():
        page.fill('input[name=adminpw]', ADMIN_PASSWORD)
        page.click('[name=admlogin]')
    assert page.raw.locator('input[name=adminpw]').count() == 0, page.text()


def submit_form_with(page, selector):
    """Press the submit button of the form that holds SELECTOR."""
    page.click(f'form:has({selector}) [type=submit]')


# ------------------------------------------------------------ the flows
def test_every_page_answers_through_apache(site, browser):
    install, server, _ = site
    page = browser.new_page()
    for name, path in (('listinfo', ''), ('listinfo', LIST),
                       ('admin', LIST), ('admindb', LIST),
                       ('options', LIST), ('roster', LIST),
                       ('private', LIST), ('edithtml', LIST),
                       ('create', ''), ('rmlist', LIST),
                       ('confirm', LIST), ('search', LIST),
                       ('subscribe', LIST)):
        status = page.goto(url(server, name, path) if path else
                           url(server, name))
        page.screenshot(f'{name}-{path or "site"}')
        assert status in (200, 401, 403, 405), (name, status, page.text())
        assert 'Mailman CGI error' not in page.text()
        assert "We're sorry, we hit a bug" not in page.text(), \
            (name, (install.var_prefix / 'logs' / 'error').read_text()[-3000:])


def test_visitor_subscribes_and_confirms_from_the_mail(site, browser):
    install, server, capture = site
    address = 'newcomer@example.com'
    page = browser.new_page()
    page.goto(url(server, 'listinfo', LIST))
    page.screenshot('listinfo')
    page.fill('input[name=email]', address)
    page.fill('input[name=fullname]', 'New Comer')
    time.sleep(1.5)         # SUBSCRIBE_FORM_MIN_TIME
    submit_form_with(page, 'input[name=email]')
    page.screenshot('subscribe-answer')
    assert 'confirm' in page.text().lower()
    message = mail_to(capture, address, 'confirm')
    link = re.search(r'http://\S+/mailman/confirm/\S+', body_text(message))
    assert link, body_text(message)
    page.goto(link.group(0))
    page.screenshot('confirm-page')
    submit_form_with(page, 'input[name=cookie]')
    page.screenshot('confirmed')
    assert address in list_value(install, 'm.getMembers()')


def test_member_logs_in_and_switches_to_digest(site, browser):
    install, server, _ = site
    page = browser.new_page()
    page.goto(url(server, 'options', LIST))
    page.screenshot('options-login')
    page.fill('input[name=email]', MEMBER[0])
    page.fill('input[name=password]', MEMBER[1])
    page.click('[name=login]')
    page.screenshot('options-page')
    page.raw.check('input[name=digest][value="1"]')
    page.click('[name=options-submit]')
    page.screenshot('options-saved')
    assert list_value(
        install, f'm.getMemberOption({MEMBER[0]!r}, mm_cfg.Digests)') \
        in ('1', 'True')


def test_admin_changes_settings_and_mass_subscribes(site, browser):
    install, server, _ = site
    page = browser.new_page()
    admin_login(page, server)
    page.screenshot('admin-general')
    page.fill('input[name=subject_prefix]', '[Browser Flows] ')
    submit_form_with(page, 'input[name=subject_prefix]')
    page.screenshot('admin-general-saved')
    assert list_value(install, 'm.subject_prefix') == "'[Browser Flows] '"

    page.goto(url(server, 'admin', LIST, 'privacy', 'subscribing'))
    page.raw.check('input[name=private_roster][value="2"]')
    submit_form_with(page, 'input[name=private_roster]')
    page.screenshot('admin-privacy-saved')
    assert list_value(install, 'm.private_roster') == '2'

    page.goto(url(server, 'admin', LIST, 'members', 'add'))
    page.screenshot('admin-members-add')
    added = ['one@example.com', 'two@example.com', 'three@example.com']
    page.fill('textarea[name=subscribees]', '\n'.join(added))
    submit_form_with(page, 'textarea[name=subscribees]')
    page.screenshot('admin-members-added')
    members = list_value(install, 'm.getMembers()')
    assert all(a in members for a in added), members


def test_moderator_approves_one_post_and_discards_another(site, browser):
    install, server, capture = site
    inject(install, 'Browser approve me')
    inject(install, 'Browser discard me')
    requests = postfix.wait_for(
        lambda: (lambda h: h if len(h) >= 2 else None)(held(install)),
        timeout=60)
    assert requests, held(install)
    page = browser.new_page()
    page.goto(url(server, 'admindb', LIST))
    page.fill('input[name=adminpw]', ADMIN_PASSWORD)
    page.click('[name=admlogin]')
    page.screenshot('admindb-summary')
    approve = requests['Browser approve me']
    discard = requests['Browser discard me']
    page.raw.check(f'input[name="{approve}"][value="1"]')     # APPROVE
    page.raw.check(f'input[name="{discard}"][value="3"]')     # DISCARD
    submit_form_with(page, f'input[name="{approve}"]')
    page.screenshot('admindb-done')
    assert held(install) == {}
    # (mia reads digests since the options test; old@ gets each post.)
    mail_to(capture, 'old@example.net', 'Browser approve me')
    time.sleep(2)
    assert not [t for t in capture.accepted()
                if 'Browser discard me' in t.message().get('Subject', '')]


def test_site_admin_creates_and_removes_a_list(site, browser):
    install, server, _ = site
    page = browser.new_page()
    page.goto(url(server, 'create'))
    page.screenshot('create-form')
    page.fill('input[name=listname]', 'madeinbrowser')
    page.fill('input[name=owner]', 'owner@example.com')
    page.fill('input[name=password]', 'new-list-pw')
    page.fill('input[name=confirm]', 'new-list-pw')
    page.fill('input[name=auth]', SITE_PASSWORD)
    page.click('[name=doit]')
    page.screenshot('create-done')
    assert (install.var_prefix / 'lists' / 'madeinbrowser').is_dir(), \
        page.text()
    page.goto(url(server, 'rmlist', 'madeinbrowser'))
    page.screenshot('rmlist-form')
    page.fill('input[name=password]', SITE_PASSWORD)
    page.click('[name=doit]')
    page.screenshot('rmlist-done')
    assert not (install.var_prefix / 'lists' / 'madeinbrowser').exists(), \
        page.text()
