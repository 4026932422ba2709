"""Bounce processing end to end with a real Postfix, over a simulated clock.

Mailman delivers through Postfix (SMTPHOST 127.0.0.1:25).  Postfix relays
the good members' copies (example.net) to the tests' capture server, and
cannot deliver to the dead ones:

* ghost1@ and ghost2@gone.example.com are routed to Postfix's local
  delivery agent, which knows no such users: Postfix accepts the mail,
  then sends a real DSN to the list's -bounces address, which its alias
  pipes into Mailman (BounceRunner);
* ghost3@lists.example.com is refused at RCPT time (550 unknown user): the
  permanent SMTP failure is registered by OutgoingRunner.

dee@dmarc.example.com's copies are refused (by Postfix's error transport)
with a DMARC-policy reply: the DSNs must be recognised and not scored.

Each simulated day (the installed site's TEST_CLOCK_FILE) a post goes to
the list; the ghosts' scores rise by one a day, they are disabled at the
threshold and warned, cron/disabled warns them again a week later and
removes them after the last warning.  ann@ and bob@ never bounce and are
never touched.
"""

import re
import shutil
import sys
from pathlib import Path

import pytest

from mmtest import need
from installs import root_install, run
import postfix

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smtpcapture import SMTPCaptureServer  # noqa: E402

MAIL_DOMAIN = 'lists.example.com'
LIST = 'bnc'
GOOD = ['ann@example.net', 'bob@example.net']
DSN_GHOSTS = ['ghost1@gone.example.com', 'ghost2@gone.example.com']
RCPT_GHOSTS = ['ghost3@lists.example.com']
GHOSTS = DSN_GHOSTS + RCPT_GHOSTS
# Her server refuses the list's mail for the poster's DMARC policy: her
# address is fine, and she must not be punished.
DMARC_MEMBER = 'dee@dmarc.example.com'
DMARC_REFUSAL = ('error:5.7.26 Unauthenticated email from example.net is '
                 'not accepted due to domain\'s DMARC policy')
OWNER = 'owner@example.net'
PYTHON = '/usr/bin/python3'
DAY = 24 * 60 * 60
THRESHOLD = 3           # the list's bounce_score_threshold
WARNINGS = 2            # the list's bounce_you_are_disabled_warnings


class Site:
    def __init__(self, install, capture, mta, clock_file):
        self.install = install
        self.mta = mta
        self.capture = capture
        self.clock_file = clock_file

    def set_day(self, day):
        self.clock_file.write_text(str(day * DAY))

    def members(self):
        """{address: (delivery status, score or None, noticesleft)}."""
        code = (
            'from Mailman.MailList import MailList\n'
            f'm = MailList({LIST!r}, lock=0)\n'
            'for a in sorted(m.getMembers()):\n'
            '    i = m.getBounceInfo(a)\n'
            '    print(a, m.getDeliveryStatus(a), i.score if i else None,\n'
            '          i.noticesleft if i else None, i.cookie if i else None)\n')
        out = self.install.python(code).stdout
        found = {}
        for line in out.splitlines():
            address, status, score, left, cookie = line.split()
            found[address] = (int(status),
                              None if score == 'None' else float(score),
                              None if left == 'None' else int(left), cookie)
        return found

    def bounce_log(self):
        path = self.install.var_prefix / 'logs' / 'bounce'
        return path.read_text() if path.exists() else ''

    def mail_to(self, address, subject_part=''):
        return [txn.message() for txn in self.capture.accepted()
                if address in txn.rcpt_tos
                and subject_part in str(txn.message().get('Subject', ''))]


@pytest.fixture(scope='module')
def site():
    need(postfix.available(), 'Postfix is not installed')
    install, workdir = root_install(
        'bounces', f'--with-mailhost={MAIL_DOMAIN}',
        '--with-urlhost=www.example.com')
    capture = SMTPCaptureServer(extensions=('8BITMIME', 'PIPELINING', 'SIZE'))
    capture.start()
    clock_file = workdir / 'clock'
    clock_file.write_text('0')
    clock_file.chmod(0o644)
    settings = install.prefix / 'Mailman' / 'mm_cfg.py'
    settings.write_text(
        settings.read_text() +
        "\nMTA = 'Postfix'\n"
        "SMTPHOST = '127.0.0.1'\nSMTPPORT = 25\n"
        "QRUNNER_SLEEP_TIME = 0.2\n"
        # Register bounce events at once rather than every 15 minutes.
        "REGISTER_BOUNCES_EVERY = 0\n"
        f"TEST_CLOCK_FILE = {str(clock_file)!r}\n")
    for name, owner in (('mailman', 'siteowner@example.net'),
                        (LIST, OWNER)):
        result = install.bin('newlist', '-q', name, owner, 'pw')
        assert result.returncode == 0, result.stderr
    config = workdir / 'bounce-settings.py'
    config.write_text(f'bounce_score_threshold = {THRESHOLD}.0\n'
                      f'bounce_you_are_disabled_warnings = {WARNINGS}\n'
                      'send_welcome_msg = False\n'
                      'send_goodbye_msg = False\n')
    result = install.bin('config_list', '-i', config, LIST)
    assert result.returncode == 0, result.stdout + result.stderr
    members = workdir / 'members.txt'
    members.write_text('\n'.join(GOOD + GHOSTS + [DMARC_MEMBER]) + '\n')
    added = install.bin('add_members', '-r', members, '-w', 'n', '-a', 'n',
                        LIST)
    assert added.returncode == 0, added.stdout + added.stderr
    assert install.bin('genaliases', '-q').returncode == 0
    mta = postfix.Postfix(MAIL_DOMAIN, install.var_prefix / 'data' / 'aliases')
    transport = workdir / 'transport'
    transport.write_text(f'example.net smtp:[127.0.0.1]:{capture.port}\n'
                         'gone.example.com local:\n'
                         f'dmarc.example.com {DMARC_REFUSAL}\n')
    run(['/usr/sbin/postmap', str(transport)])
    mta.configure()
    run([postfix.POSTCONF, '-e', f'transport_maps = hash:{transport}'])
    mta.start()
    started = install.bin('mailmanctl', 'start')
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield Site(install, capture, mta, clock_file)
    finally:
        install.bin('mailmanctl', 'stop')
        run([postfix.POSTCONF, '-e', 'transport_maps ='], check=False)
        capture.stop()
        mta.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def post(site, subject):
    text = (f'From: Ann <ann@example.net>\r\nTo: {LIST}@{MAIL_DOMAIN}\r\n'
            f'Subject: {subject}\r\n'
            f'Message-ID: <{subject.replace(" ", "-")}@example.net>\r\n'
            '\r\nHello list.\r\n').encode('ascii')
    site.mta.sendmail('ann@example.net', [f'{LIST}@{MAIL_DOMAIN}'],
                             text)


def wait(site, predicate, what, timeout=90):
    got = postfix.wait_for(predicate, timeout=timeout, interval=0.3)
    if not got:
        logs = site.install.var_prefix / 'logs'
        detail = {p.name: p.read_text()[-1500:] for p in logs.iterdir()}
        raise AssertionError(
            f'timed out waiting for {what}; logs: {detail}; postfix: '
            f'{postfix.Postfix.log_since(0)[-2500:]}')
    return got


def test_bounces_score_disable_warn_and_remove(site):
    for day in range(THRESHOLD):
        site.set_day(day)
        subject = f'day {day} post'
        post(site, subject)
        for member in GOOD:
            wait(site, lambda m=member: site.mail_to(m, subject),
                 f'the copy of {subject!r} for {member}')

        def scored(day=day):
            members = site.members()
            return all(members[g][1] == day + 1 or members[g][0] == 4
                       for g in GHOSTS) and members
        members = wait(site, scored, f'the bounces of day {day}')
        for member in GOOD + [DMARC_MEMBER]:
            assert members[member] == (0, None, None, 'None')
        wait(site, lambda day=day: site.bounce_log().count(
            'refusal caused by the list') > day, 'the DMARC refusal')

    # Day THRESHOLD - 1: the scores reached the threshold.
    members = site.members()
    cookies = {}
    for ghost in GHOSTS:
        status, score, left, cookie = members[ghost]
        assert (status, score, left) == (4, THRESHOLD, WARNINGS - 1), ghost
        assert re.fullmatch(r'[0-9a-f]{40}', cookie)
        cookies[ghost] = cookie
    assert len(set(cookies.values())) == len(GHOSTS)
    log = site.bounce_log()
    for ghost in GHOSTS:
        assert f'{ghost} disabling due to bounce score' in log
    # Both ways of bouncing were used: Postfix's DSNs (their Message-IDs
    # are Postfix's) through BounceRunner, the refusals at RCPT time (the
    # post's Message-ID) through OutgoingRunner.
    for ghost in DSN_GHOSTS:
        assert re.search(re.escape(ghost) + r' bounce queued for '
                         r'registration, msgid: <\d+\.\w+@localhost>', log)
    for ghost in RCPT_GHOSTS:
        assert re.search(re.escape(ghost) + r' bounce queued for '
                         r'registration, msgid: <day-0-post@example.net>', log)
    listed = site.install.bin('list_members', '-n', 'bybounce', LIST)
    assert listed.stdout.split() == sorted(GHOSTS)
    assert site.install.bin('list_members', '-n', 'enabled',
                            LIST).stdout.split() == sorted(GOOD +
                                                           [DMARC_MEMBER])
    assert 'reason: dmarc' in log

    # The owner heard of each disabling.
    def owner_notices(kind):
        return [m for m in site.mail_to(OWNER) if kind in m.as_string()]
    notices = wait(site, lambda: len(owner_notices('delivery disabled'))
                   >= len(GHOSTS) and owner_notices('delivery disabled'),
                   'the owner notices')
    assert {g for g in GHOSTS for m in notices if g in m.as_string()} == \
        set(GHOSTS)

    # The first warning went out (and bounced: a residual bounce).
    wait(site, lambda: site.bounce_log().count('residual bounce') >=
         len(DSN_GHOSTS), 'the warnings to bounce back')

    # A post while they are disabled goes to the good members only.
    post(site, 'while disabled')
    for member in GOOD:
        wait(site, lambda m=member: site.mail_to(m, 'while disabled'),
             'the post while disabled')

    # cron/disabled: nothing due the next day; the next warning a week
    # after the first, with the same cookie; removal a week later.
    site.set_day(THRESHOLD)
    result = site.install.run_cron('disabled')
    assert result.returncode == 0, result.stderr
    assert {g: site.members()[g][2] for g in GHOSTS} == \
        {g: WARNINGS - 1 for g in GHOSTS}
    site.set_day(THRESHOLD - 1 + 7)
    result = site.install.run_cron('disabled')
    assert result.returncode == 0, result.stderr
    members = site.members()
    for ghost in GHOSTS:
        assert members[ghost][0] == 4
        assert members[ghost][2] == 0
        assert members[ghost][3] == cookies[ghost]
    site.set_day(THRESHOLD - 1 + 14)
    result = site.install.run_cron('disabled', '-l', LIST)
    assert result.returncode == 0, result.stderr
    members = site.members()
    assert sorted(members) == sorted(GOOD + [DMARC_MEMBER])
    for member in GOOD + [DMARC_MEMBER]:
        assert members[member] == (0, None, None, 'None')
    wait(site, lambda: len(owner_notices('removed from the list'))
         >= len(GHOSTS), 'the removal notices')
    # Every post reached the good members.
    for member in GOOD:
        subjects = [str(m['Subject']) for m in site.mail_to(member)]
        assert len(subjects) == THRESHOLD + 1
    assert site.capture.violations == []
