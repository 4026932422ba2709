"""The moderation side of the pipeline: SpamDetect, Approve, Replybot,
Moderate, Hold, MimeDel, Scrubber, Emergency, Tagger; the hold queue
(ListAdmin.HoldMessage / HandleRequest, held subscriptions), DMARC lookups
against a real local DNS server (dnsmasq), and bin/discard.

Every test runs the real handler on a message parsed from mail text, on a
list created in the shadow package, and looks at the list, the queue
files and the files on disk afterwards.
"""

import email
import os
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from mmtest import need

from Mailman import Errors
from Mailman import ListFile
from Mailman import Passwords
from Mailman import Pending
from Mailman import mm_cfg
from Mailman.MailList import MailList
from Mailman.Message import Message
from Mailman.UserDesc import UserDesc
from unithelp import log_text, queued as read_queue

import Mailman.ListAdmin as ListAdmin
from Mailman.Handlers import Approve
from Mailman.Handlers import Emergency
from Mailman.Handlers import Hold
from Mailman.Handlers import MimeDel
from Mailman.Handlers import Moderate
from Mailman.Handlers import Replybot
from Mailman.Handlers import Scrubber
from Mailman.Handlers import SpamDetect
from Mailman.Handlers import Tagger
from Mailman import DMARC

ADMIN_PW = 'adminpw'
HOST = 'lists.example.com'


# ------------------------------------------------------------------ helpers
def make_list(prefix='mod'):
    name = f'{prefix}-{uuid.uuid4().hex[:10]}'
    mlist = MailList()
    mlist.Create(name, 'owner@example.com',
                 Passwords.hash_password(ADMIN_PW, quick=True))
    mlist.Save()
    return mlist


@pytest.fixture
def mlist():
    m = make_list()
    try:
        yield m
    finally:
        name = m.internal_name()
        m.Unlock()
        shutil.rmtree(m.fullpath(), ignore_errors=True)
        for entry in os.listdir(mm_cfg.DATA_DIR):
            if entry.startswith(f'heldmsg-{name}-'):
                os.unlink(os.path.join(mm_cfg.DATA_DIR, entry))


@pytest.fixture
def other_list():
    m = make_list('other')
    try:
        yield m
    finally:
        m.Unlock()
        shutil.rmtree(m.fullpath(), ignore_errors=True)


def msg_from(text):
    text = textwrap.dedent(text).lstrip('\n')
    if isinstance(text, str):
        text = text.encode('utf-8')
    return email.message_from_bytes(text, _class=Message)


def post(mlist, sender='poster@example.org', subject='Hello', body='Hi.\n',
         extra=''):
    to = mlist.GetListEmail()
    return msg_from(f"""\
From: {sender}
To: {to}
Subject: {subject}
Message-ID: <{uuid.uuid4().hex}@example.org>
Date: Mon, 03 Jan 2022 10:00:00 +0000
{extra}
{body}""".replace('\n\n\n', '\n\n'))


def add_member(mlist, address, moderated=False):
    mlist.ApprovedAddMember(UserDesc(address, 'A Member', 'memberpw', 0,
                                     'en'), ack=False, admin_notif=False)
    if moderated:
        mlist.setMemberOption(address, mm_cfg.Moderate, 1)


def virgin(mlist):
    return read_queue(mm_cfg.VIRGINQUEUE_DIR, mlist.internal_name())


def incoming(mlist):
    return read_queue(mm_cfg.INQUEUE_DIR, mlist.internal_name())


def bad_queue(mlist):
    return read_queue(mm_cfg.BADQUEUE_DIR, mlist.internal_name())


def body_text(msg):
    """All text of MSG, decoded, including attached messages."""
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if payload is None:
            continue
        out.append(payload.decode(part.get_content_charset() or 'utf-8',
                                  'replace'))
    return '\n'.join(out)


def held_files(mlist):
    prefix = f'heldmsg-{mlist.internal_name()}-'
    return sorted(name for name in os.listdir(mm_cfg.DATA_DIR)
                  if name.startswith(prefix))


def assert_valid_mime(msg):
    """MSG flattens and parses back, and every text part decodes in its
    declared charset."""
    data = msg.as_bytes()
    again = email.message_from_bytes(data, _class=Message)
    for part in again.walk():
        if part.is_multipart() or part.get_content_maintype() != 'text':
            continue
        payload = part.get_payload(decode=True)
        charset = part.get_content_charset() or 'us-ascii'
        payload.decode(charset)     # raises if the charset is a lie
    return again


# ================================================================== DMARC
class TestDMARCByAddressList:
    """dmarc_moderation_addresses and the actions, without DNS."""

    def test_accept_action_does_nothing(self, mlist):
        mlist.dmarc_moderation_action = 0
        mlist.dmarc_moderation_addresses = ['poster@example.org']
        msgdata = {}
        SpamDetect.process(mlist, post(mlist), msgdata)
        assert msgdata['from_is_list'] == 0

    @pytest.mark.parametrize('action', [1, 2])
    def test_munge_and_wrap_set_from_is_list(self, mlist, action):
        mlist.dmarc_moderation_action = action
        mlist.dmarc_moderation_addresses = ['poster@example.org']
        msgdata = {}
        SpamDetect.process(mlist, post(mlist), msgdata)
        assert msgdata['from_is_list'] == action

    def test_address_not_listed_is_left_alone(self, mlist, dns):
        # The domain publishes no policy (NXDOMAIN from the DNS server), and
        # the list names someone else.
        mlist.dmarc_moderation_action = 1
        mlist.dmarc_moderation_addresses = ['someone@nothing.test']
        msgdata = {}
        SpamDetect.process(mlist, post(mlist, 'poster@nothing.test'), msgdata)
        assert msgdata['from_is_list'] == 0
        SpamDetect.process(mlist, post(mlist, 'someone@nothing.test'),
                           msgdata)
        assert msgdata['from_is_list'] == 1

    def test_regexp_entry(self, mlist):
        mlist.dmarc_moderation_action = 2
        mlist.dmarc_moderation_addresses = [r'^.*@example\.org$']
        msgdata = {}
        SpamDetect.process(mlist, post(mlist), msgdata)
        assert msgdata['from_is_list'] == 2

    def test_reject_uses_the_notice(self, mlist):
        mlist.dmarc_moderation_action = 3
        mlist.dmarc_moderation_addresses = ['poster@example.org']
        mlist.dmarc_moderation_notice = 'Go away, DMARC-bound poster.'
        with pytest.raises(Errors.RejectMessage) as info:
            SpamDetect.process(mlist, post(mlist), {})
        assert 'Go away, DMARC-bound poster.' in info.value.notice()

    def test_reject_default_notice_names_owner(self, mlist):
        mlist.dmarc_moderation_action = 3
        mlist.dmarc_moderation_addresses = ['poster@example.org']
        with pytest.raises(Errors.RejectMessage) as info:
            SpamDetect.process(mlist, post(mlist), {})
        assert mlist.GetOwnerEmail() in info.value.notice()
        assert 'DMARC' in info.value.notice()

    def test_discard(self, mlist):
        mlist.dmarc_moderation_action = 4
        mlist.dmarc_moderation_addresses = ['poster@example.org']
        with pytest.raises(Errors.DiscardMessage):
            SpamDetect.process(mlist, post(mlist), {})

    def test_owner_mail_is_exempt(self, mlist):
        mlist.dmarc_moderation_action = 4
        mlist.dmarc_moderation_addresses = ['poster@example.org']
        msgdata = {'toowner': 1}
        SpamDetect.process(mlist, post(mlist), msgdata)
        assert 'from_is_list' not in msgdata


class TestOrganizationalDomain:
    def test_builtin_table(self, monkeypatch, tmp_path):
        monkeypatch.setattr(mm_cfg, 'DATA_DIR', str(tmp_path))
        assert DMARC.organizational_domain('mail.example.com') == \
            'example.com'
        assert DMARC.organizational_domain('a.b.example.co.uk') == \
            'example.co.uk'
        assert DMARC.organizational_domain('example.com') == 'example.com'

    def test_local_public_suffix_list(self, monkeypatch, tmp_path):
        monkeypatch.setattr(mm_cfg, 'DATA_DIR', str(tmp_path))
        (tmp_path / DMARC.PSL_FILE_NAME).write_text(
            '// test list\ncom\nblogspot.com\n*.kawa.jp\n!city.kawa.jp\n'
            'jp\n')
        od = DMARC.organizational_domain
        assert od('x.me.blogspot.com') == 'me.blogspot.com'
        assert od('a.b.c.kawa.jp') == 'b.c.kawa.jp'
        assert od('www.city.kawa.jp') == 'city.kawa.jp'
        # The built-in table is not used when the list is there.
        assert od('a.example.co.uk') == 'co.uk'

    def test_list_named_by_file_url(self, monkeypatch, tmp_path):
        monkeypatch.setattr(mm_cfg, 'DATA_DIR', str(tmp_path))
        psl = tmp_path / 'elsewhere.dat'
        psl.write_text('uk\nexample.uk\n')
        monkeypatch.setattr(mm_cfg, 'DMARC_ORGANIZATIONAL_DOMAIN_DATA_URL',
                            'file://' + str(psl))
        assert DMARC.organizational_domain('a.b.example.uk') == 'b.example.uk'
        # A changed file is read again.
        psl.write_text('uk\n// nothing else\n')
        os.utime(psl, (time.time() + 5, time.time() + 5))
        assert DMARC.organizational_domain('a.b.example.uk') == 'example.uk'


# A real DNS server for the lookups.
DNS_RECORDS = {
    '_dmarc.reject.test': ['v=DMARC1; p=reject'],
    '_dmarc.quarantine.test': ['v=DMARC1; p=quarantine; pct=100'],
    '_dmarc.none.test': ['v=DMARC1; p=none; rua=mailto:r@none.test'],
    '_dmarc.orgdom.test': ['v=DMARC1; p=none; sp=reject'],
    '_dmarc.multi.test': ['v=DMARC1; p=reject', 'v=DMARC1; p=none'],
    '_dmarc.notdmarc.test': ['v=spf1 -all'],
}
DNS_CNAMES = {'_dmarc.alias.test': '_dmarc.reject.test'}


def _free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def dns_server(tmp_path_factory):
    dnsmasq = shutil.which('dnsmasq') or (
        '/usr/sbin/dnsmasq' if os.path.exists('/usr/sbin/dnsmasq') else None)
    if dnsmasq is None and os.geteuid() == 0:
        subprocess.run(['apt-get', 'install', '-y', '-q', 'dnsmasq-base'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ,
                                DEBIAN_FRONTEND='noninteractive'))
        dnsmasq = shutil.which('dnsmasq') or (
            '/usr/sbin/dnsmasq' if os.path.exists('/usr/sbin/dnsmasq')
            else None)
    if dnsmasq is None:
        yield None
        return
    port = _free_udp_port()
    argv = [dnsmasq, '--keep-in-foreground', '--no-resolv', '--no-hosts',
            '--conf-file=/dev/null', '--listen-address=127.0.0.1',
            '--bind-interfaces', f'--port={port}', '--local=/test/',
            '--pid-file=' + str(tmp_path_factory.mktemp('dns') / 'pid')]
    if os.geteuid() == 0:
        argv.append('--user=root')
    for name, values in DNS_RECORDS.items():
        for value in values:
            argv.append(f'--txt-record={name},{value}')
    for name, target in DNS_CNAMES.items():
        argv.append(f'--cname={name},{target}')
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    # Wait until it answers.
    import dns.resolver
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ['127.0.0.1']
    resolver.port = port
    resolver.lifetime = 1
    ready = False
    for _attempt in range(50):
        if process.poll() is not None:
            break
        try:
            resolver.resolve('_dmarc.reject.test', 'TXT')
            ready = True
            break
        except Exception:
            time.sleep(0.1)
    if not ready:
        process.kill()
        process.wait()
        yield None
        return
    try:
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def dns(dns_server, monkeypatch, tmp_path):
    need(dns_server is not None,
         'dnsmasq is not installed or cannot be started')
    monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_NAMESERVERS',
                        ['127.0.0.1'], raising=False)
    monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_PORT', dns_server,
                        raising=False)
    monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_TIMEOUT', 2)
    monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_LIFETIME', 3)
    return dns_server


class TestDMARCLookups:
    def check(self, mlist, address):
        return DMARC.is_dmarc_prohibited(mlist, address)

    def test_reject_policy(self, mlist, dns):
        mlist.dmarc_moderation_action = 3
        assert self.check(mlist, 'someone@reject.test')
        with pytest.raises(Errors.RejectMessage):
            SpamDetect.process(mlist, post(mlist, 'someone@reject.test'), {})
        assert 'found p=reject' in log_text('vette')

    def test_no_record_means_no_action(self, mlist, dns):
        mlist.dmarc_moderation_action = 4
        assert not self.check(mlist, 'someone@nothing.test')
        msgdata = {}
        SpamDetect.process(mlist, post(mlist, 'someone@nothing.test'),
                           msgdata)
        assert msgdata['from_is_list'] == 0

    def test_quarantine_follows_the_list_setting(self, mlist, dns):
        mlist.dmarc_moderation_action = 1
        mlist.dmarc_quarantine_moderation_action = 1
        assert self.check(mlist, 'a@quarantine.test')
        mlist.dmarc_quarantine_moderation_action = 0
        assert not self.check(mlist, 'a@quarantine.test')
        msgdata = {}
        SpamDetect.process(mlist, post(mlist, 'a@quarantine.test'), msgdata)
        assert msgdata['from_is_list'] == 0

    def test_none_policy_needs_all_three_settings(self, mlist, dns):
        mlist.dmarc_moderation_action = 1
        mlist.dmarc_quarantine_moderation_action = 1
        mlist.dmarc_none_moderation_action = 1
        assert self.check(mlist, 'a@none.test')
        msgdata = {}
        SpamDetect.process(mlist, post(mlist, 'a@none.test'), msgdata)
        assert msgdata['from_is_list'] == 1
        # Only for Munge From and Wrap Message...
        mlist.dmarc_moderation_action = 3
        assert not self.check(mlist, 'a@none.test')
        # ...only with the quarantine setting...
        mlist.dmarc_moderation_action = 2
        mlist.dmarc_quarantine_moderation_action = 0
        assert not self.check(mlist, 'a@none.test')
        # ...and only when asked for.
        mlist.dmarc_quarantine_moderation_action = 1
        mlist.dmarc_none_moderation_action = 0
        assert not self.check(mlist, 'a@none.test')

    def test_organizational_domain_subdomain_policy(self, mlist, dns,
                                                    monkeypatch, tmp_path):
        monkeypatch.setattr(mm_cfg, 'DATA_DIR', str(tmp_path))
        mlist.dmarc_moderation_action = 1
        # sub.orgdom.test has no record; orgdom.test has p=none sp=reject.
        assert self.check(mlist, 'a@sub.orgdom.test')
        # For the domain itself p= applies, not sp=.
        assert not self.check(mlist, 'a@orgdom.test')

    def test_cname_is_followed(self, mlist, dns):
        mlist.dmarc_moderation_action = 1
        assert self.check(mlist, 'a@alias.test')

    def test_two_records_are_ignored(self, mlist, dns):
        mlist.dmarc_moderation_action = 1
        assert not self.check(mlist, 'a@multi.test')
        assert 'v=DMARC1 records' in log_text('error')

    def test_txt_that_is_not_dmarc(self, mlist, dns):
        mlist.dmarc_moderation_action = 1
        assert not self.check(mlist, 'a@notdmarc.test')

    def test_dns_failure_fails_closed(self, mlist, dns):
        mlist.dmarc_moderation_action = 4
        # dnsmasq has no upstream for other zones and refuses the query.
        assert self.check(mlist, 'a@example.invalid')
        assert 'treating the domain as prohibited' in log_text('error')
        with pytest.raises(Errors.DiscardMessage):
            SpamDetect.process(mlist, post(mlist, 'a@example.invalid'), {})

    def test_malformed_addresses_are_not_looked_up(self, mlist, dns):
        mlist.dmarc_moderation_action = 1
        for address in ('no-at-sign', '@reject.test', 'a@[127.0.0.1]',
                        'a@bad domain.test'):
            assert not self.check(mlist, address)

    def test_unreachable_server_fails_closed(self, mlist, monkeypatch):
        # Nobody listens on this port.
        monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_NAMESERVERS',
                            ['127.0.0.1'], raising=False)
        monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_PORT', _free_udp_port(),
                            raising=False)
        monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_TIMEOUT', 0.5)
        monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_LIFETIME', 1)
        mlist.dmarc_moderation_action = 1
        assert self.check(mlist, 'a@reject.test')

    def test_resolver_settings_are_used(self, monkeypatch):
        monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_NAMESERVERS',
                            ['127.0.0.9'], raising=False)
        monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_PORT', 5399,
                            raising=False)
        monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_TIMEOUT', 1.5)
        monkeypatch.setattr(mm_cfg, 'DMARC_RESOLVER_LIFETIME', 2.5)
        resolver = DMARC.make_resolver()
        assert resolver.nameservers == ['127.0.0.9']
        assert resolver.port == 5399
        assert resolver.timeout == 1.5
        assert resolver.lifetime == 2.5


# ================================================================== SpamDetect
class TestVerbosity:
    def test_verbose_member_gets_moderated(self, mlist):
        add_member(mlist, 'chatty@example.org')
        mlist.member_verbosity_threshold = 2
        mlist.member_verbosity_interval = 300
        for _ in range(2):
            SpamDetect.process(mlist, post(mlist, 'chatty@example.org'), {})
        assert not mlist.getMemberOption('chatty@example.org',
                                         mm_cfg.Moderate)
        SpamDetect.process(mlist, post(mlist, 'chatty@example.org'), {})
        assert mlist.getMemberOption('chatty@example.org', mm_cfg.Moderate)
        assert 'Automatically Moderated chatty@example.org' in \
            log_text('vette')

    def test_threshold_zero_disables(self, mlist):
        add_member(mlist, 'chatty@example.org')
        mlist.member_verbosity_threshold = 0
        for _ in range(5):
            SpamDetect.process(mlist, post(mlist, 'chatty@example.org'), {})
        assert not mlist.getMemberOption('chatty@example.org',
                                         mm_cfg.Moderate)

    def test_interval_limits_the_count(self, mlist):
        add_member(mlist, 'chatty@example.org')
        mlist.member_verbosity_threshold = 2
        mlist.member_verbosity_interval = 0    # every post is old at once
        for _ in range(5):
            SpamDetect.process(mlist, post(mlist, 'chatty@example.org'), {})
        assert not mlist.getMemberOption('chatty@example.org',
                                         mm_cfg.Moderate)

    def test_clean_limit_bounds_the_record(self, mlist, monkeypatch):
        monkeypatch.setattr(mm_cfg, 'VERBOSE_CLEAN_LIMIT', 1)
        add_member(mlist, 'a@example.org')
        add_member(mlist, 'b@example.org')
        mlist.member_verbosity_threshold = 5
        SpamDetect.process(mlist, post(mlist, 'a@example.org'), {})
        SpamDetect.process(mlist, post(mlist, 'b@example.org'), {})
        import json
        with open(os.path.join(mlist.fullpath(), 'verbosity.json')) as f:
            assert list(json.load(f)) == ['b@example.org']

    def test_state_is_shared_between_list_objects(self, mlist):
        add_member(mlist, 'chatty@example.org')
        mlist.member_verbosity_threshold = 1
        mlist.Save()
        SpamDetect.process(mlist, post(mlist, 'chatty@example.org'), {})
        # Another process (another MailList object) sees the first post.
        second = MailList(mlist.internal_name(), lock=0)
        second.member_verbosity_threshold = 1
        SpamDetect.note_post_and_check_verbosity(second,
                                                 'chatty@example.org')
        assert SpamDetect.note_post_and_check_verbosity(
            second, 'chatty@example.org')


class TestKnownSpammers:
    def test_match_discards(self, mlist, monkeypatch):
        monkeypatch.setattr(mm_cfg, 'KNOWN_SPAMMERS',
                            [('x-spam-flag', '^yes')])
        msg = post(mlist, extra='X-Spam-Flag: YES')
        with pytest.raises(SpamDetect.SpamDetected):
            SpamDetect.process(mlist, msg, {})

    def test_approved_post_passes(self, mlist, monkeypatch):
        monkeypatch.setattr(mm_cfg, 'KNOWN_SPAMMERS',
                            [('x-spam-flag', '^yes')])
        msg = post(mlist, extra='X-Spam-Flag: YES')
        SpamDetect.process(mlist, msg, {'approved': 1})

    def test_no_rules_no_effect(self, mlist, monkeypatch):
        monkeypatch.setattr(mm_cfg, 'KNOWN_SPAMMERS', [])
        SpamDetect.process(mlist, post(mlist, extra='X-Spam-Flag: YES'), {})


class TestHeaderFilterRules:
    def test_discard(self, mlist):
        mlist.header_filter_rules = [('^subject:.*cheap pills', mm_cfg.DISCARD,
                                      False)]
        with pytest.raises(Errors.DiscardMessage):
            SpamDetect.process(mlist, post(mlist, subject='Cheap Pills'), {})
        SpamDetect.process(mlist, post(mlist, subject='Meeting'), {})

    def test_reject(self, mlist):
        mlist.header_filter_rules = [('^x-mailer: spamcannon', mm_cfg.REJECT,
                                      False)]
        msg = post(mlist, extra='X-Mailer: SpamCannon 2.0')
        with pytest.raises(Errors.RejectMessage):
            SpamDetect.process(mlist, msg, {})
        # To -owner, a rejection would be backscatter: discarded instead.
        with pytest.raises(Errors.DiscardMessage) as info:
            SpamDetect.process(mlist, post(mlist, extra='X-Mailer: '
                                           'SpamCannon 2.0'), {'toowner': 1})
        assert not isinstance(info.value, Errors.RejectMessage)

    def test_hold(self, mlist):
        mlist.header_filter_rules = [('^subject: review me', mm_cfg.HOLD,
                                      False)]
        with pytest.raises(SpamDetect.HeaderMatchHold):
            SpamDetect.process(mlist, post(mlist, subject='Review me'), {})
        ids = mlist.GetHeldMessageIds()
        assert len(ids) == 1
        assert 'review me' in mlist.GetRecord(ids[0])[3]
        # Not for -owner mail.
        SpamDetect.process(mlist, post(mlist, subject='Review me'),
                           {'toowner': 1})
        assert len(mlist.GetHeldMessageIds()) == 1

    def test_accept_stops_the_rules(self, mlist):
        mlist.header_filter_rules = [
            ('^from:.*trusted@example.org', mm_cfg.ACCEPT, False),
            ('^subject:', mm_cfg.DISCARD, False)]
        SpamDetect.process(mlist, post(mlist, 'trusted@example.org'), {})
        with pytest.raises(Errors.DiscardMessage):
            SpamDetect.process(mlist, post(mlist, 'other@example.org'), {})

    def test_defer_is_skipped(self, mlist):
        mlist.header_filter_rules = [('^subject:', mm_cfg.DEFER, False)]
        SpamDetect.process(mlist, post(mlist), {})

    def test_approved_posts_skip_the_rules(self, mlist):
        mlist.header_filter_rules = [('^subject:', mm_cfg.DISCARD, False)]
        SpamDetect.process(mlist, post(mlist), {'approved': 1})

    def test_decoded_and_normalised(self, mlist, monkeypatch):
        # Fullwidth letters, base64 encoded: NFKC folds them to ASCII.
        mlist.header_filter_rules = [('^subject:.*viagra', mm_cfg.DISCARD,
                                      False)]
        subject = '=?utf-8?b?' + __import__('base64').b64encode(
            'Buy \uff36\uff49\uff41\uff47\uff52\uff41 now'.encode()).decode() \
            + '?='
        with pytest.raises(Errors.DiscardMessage):
            SpamDetect.process(mlist, post(mlist, subject=subject), {})
        # Patterns are normalised too.
        mlist.header_filter_rules = [
            ('^subject:.*\uff56\uff49\uff41\uff47\uff52\uff41',
             mm_cfg.DISCARD, False)]
        with pytest.raises(Errors.DiscardMessage):
            SpamDetect.process(mlist, post(mlist, subject='buy viagra'), {})
        # The normalisation form is the site's choice.
        monkeypatch.setattr(mm_cfg, 'NORMALIZE_FORM', 'NFC')
        SpamDetect.process(mlist, post(mlist, subject='buy viagra'), {})
        mlist.header_filter_rules = [('^subject:.*viagra', mm_cfg.DISCARD,
                                      False)]
        SpamDetect.process(mlist, post(mlist, subject=subject), {})

    def test_headers_of_subparts_are_seen(self, mlist):
        mlist.header_filter_rules = [
            (r'^content-disposition:.*filename=.*\.scr', mm_cfg.DISCARD,
             False)]
        msg = msg_from(f"""\
            From: poster@example.org
            To: {mlist.GetListEmail()}
            Subject: see attached
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="BB"

            --BB
            Content-Type: text/plain

            hi
            --BB
            Content-Type: application/octet-stream
            Content-Disposition: attachment; filename="party.scr"

            AAAA
            --BB--
            """)
        with pytest.raises(Errors.DiscardMessage):
            SpamDetect.process(mlist, msg, {})

    def test_eight_bit_header(self, mlist):
        mlist.header_filter_rules = [('^subject:.*gr\u00fc\u00dfe',
                                      mm_cfg.DISCARD, False)]
        raw = (f'From: a@example.org\nTo: {mlist.GetListEmail()}\n'
               'Subject: Gr\u00fc\u00dfe\n\nbody\n').encode('utf-8')
        msg = email.message_from_bytes(raw, _class=Message)
        with pytest.raises(Errors.DiscardMessage):
            SpamDetect.process(mlist, msg, {})

    def test_bad_pattern_is_logged_not_fatal(self, mlist):
        mlist.header_filter_rules = [('^subject: (unclosed', mm_cfg.DISCARD,
                                      False)]
        SpamDetect.process(mlist, post(mlist), {})
        assert 'invalid pattern' in log_text('error')


# ================================================================== Approve
class TestApprove:
    @pytest.mark.parametrize('header', ['Approved', 'Approve', 'X-Approved',
                                        'X-Approve'])
    def test_header_with_admin_password(self, mlist, header):
        msgdata = {}
        Approve.process(mlist, post(mlist, extra=f'{header}: {ADMIN_PW}'),
                        msgdata)
        assert msgdata.get('approved') and msgdata.get('adminapproved')

    def test_wrong_password(self, mlist):
        msgdata = {}
        Approve.process(mlist, post(mlist, extra='Approved: nope'), msgdata)
        assert not msgdata.get('approved')

    def test_moderator_password(self, mlist):
        msgdata = {}
        Approve.process(mlist, post(mlist, extra='Approved: modpw'), msgdata)
        assert not msgdata.get('approved')
        mlist.mod_password = Passwords.hash_password('modpw', quick=True)
        Approve.process(mlist, post(mlist, extra='Approved: modpw'), msgdata)
        assert msgdata.get('approved')

    def test_poster_password(self, mlist):
        msgdata = {}
        Approve.process(mlist, post(mlist, extra='Approved: postpw'), msgdata)
        assert not msgdata.get('approved')
        mlist.post_password = Passwords.hash_password('postpw', quick=True)
        Approve.process(mlist, post(mlist, extra='Approved: postpw'), msgdata)
        assert msgdata.get('approved')

    def test_first_body_line(self, mlist):
        msg = post(mlist, body=f'\nApproved: {ADMIN_PW}\nThe real text.\n')
        msgdata = {}
        Approve.process(mlist, msg, msgdata)
        assert msgdata.get('approved')
        text = body_text(msg)
        assert ADMIN_PW not in text
        assert 'The real text.' in text

    def test_body_line_not_first_is_ignored(self, mlist):
        msg = post(mlist, body=f'Hello\nApproved: {ADMIN_PW}\n')
        msgdata = {}
        Approve.process(mlist, msg, msgdata)
        assert not msgdata.get('approved')
        assert ADMIN_PW in body_text(msg)

    def test_body_line_removed_from_html_alternative(self, mlist):
        msg = msg_from(f"""\
            From: poster@example.org
            To: {mlist.GetListEmail()}
            Subject: approved post
            MIME-Version: 1.0
            Content-Type: multipart/alternative; boundary="AA"

            --AA
            Content-Type: text/plain; charset=iso-8859-1; format=flowed
            Content-Transfer-Encoding: quoted-printable

            Approved: {ADMIN_PW}
            Gr=FC=DFe aus K=F6ln

            --AA
            Content-Type: text/html; charset=iso-8859-1
            Content-Transfer-Encoding: quoted-printable

            <html><body><p>Approved: {ADMIN_PW}</p><p>Gr=FC=DFe aus K=F6ln</p>
            </body></html>
            --AA--
            """)
        msgdata = {}
        Approve.process(mlist, msg, msgdata)
        assert msgdata.get('approved')
        again = assert_valid_mime(msg)
        plain, htmlpart = again.get_payload()
        assert plain.get_content_charset() == 'iso-8859-1'
        assert plain.get_param('format') == 'flowed'
        for part in (plain, htmlpart):
            text = part.get_payload(decode=True).decode('iso-8859-1')
            assert ADMIN_PW not in text
            assert 'Gr\u00fc\u00dfe aus K\u00f6ln' in text

    def test_html_that_cannot_be_cleaned_is_rejected(self, mlist):
        msg = msg_from(f"""\
            From: poster@example.org
            To: {mlist.GetListEmail()}
            Subject: approved post
            MIME-Version: 1.0
            Content-Type: multipart/alternative; boundary="AA"

            --AA
            Content-Type: text/plain

            Approved: {ADMIN_PW}
            text
            --AA
            Content-Type: text/html

            <p><b>Approved:</b> {ADMIN_PW}</p>
            --AA--
            """)
        with pytest.raises(Errors.RejectMessage):
            Approve.process(mlist, msg, {})

    def test_site_password_is_not_accepted(self, mlist):
        from Mailman import Utils
        Utils.set_global_password('sitepw')
        try:
            msgdata = {}
            Approve.process(mlist, post(mlist, extra='Approved: sitepw'),
                            msgdata)
            assert not msgdata.get('approved')
        finally:
            os.unlink(mm_cfg.SITE_PW_FILE)

    def test_loop_is_detected(self, mlist):
        msg = post(mlist, extra=f'X-BeenThere: {mlist.GetListEmail()}')
        with pytest.raises(Approve.LoopError):
            Approve.process(mlist, msg, {})
        assert issubclass(Approve.LoopError, Errors.DiscardMessage)
        Approve.process(mlist, post(mlist, extra='X-BeenThere: '
                                    'other@example.com'), {})


# ================================================================== Replybot
class TestReplybot:
    def replies(self, mlist):
        return [m for m, d in virgin(mlist)
                if m['X-Mailer'] == 'The Mailman Replybot']

    def test_off_by_default(self, mlist):
        Replybot.process(mlist, post(mlist), {})
        assert self.replies(mlist) == []

    def test_postings_reply_and_grace_period(self, mlist):
        mlist.autorespond_postings = 1
        mlist.autoresponse_postings_text = 'Thanks for writing to ' \
            '%(listname)s; mail %(owneremail)s for help.'
        mlist.autoresponse_graceperiod = 90
        Replybot.process(mlist, post(mlist), {})
        Replybot.process(mlist, post(mlist), {})
        replies = self.replies(mlist)
        assert len(replies) == 1
        assert replies[0]['To'] == 'poster@example.org'
        assert replies[0]['X-Ack'] == 'No'
        text = body_text(replies[0])
        assert f'Thanks for writing to {mlist.real_name}' in text
        assert mlist.GetOwnerEmail() in text
        assert mlist.postings_responses['poster@example.org'] > time.time()

    def test_no_grace_period(self, mlist):
        mlist.autorespond_postings = 1
        mlist.autoresponse_postings_text = 'auto'
        mlist.autoresponse_graceperiod = 0
        Replybot.process(mlist, post(mlist), {})
        Replybot.process(mlist, post(mlist), {})
        assert len(self.replies(mlist)) == 2

    def test_x_ack_and_precedence(self, mlist):
        mlist.autorespond_postings = 1
        mlist.autoresponse_postings_text = 'auto'
        mlist.autoresponse_graceperiod = 0
        Replybot.process(mlist, post(mlist, extra='X-Ack: no'), {})
        Replybot.process(mlist, post(mlist, extra='Precedence: bulk'), {})
        Replybot.process(mlist, post(mlist, extra='Precedence: list'), {})
        assert self.replies(mlist) == []
        Replybot.process(mlist, post(mlist, extra='Precedence: junk\n'
                                     'X-Ack: yes'), {})
        assert len(self.replies(mlist)) == 1

    def test_x_ack_yes_ignores_grace_period(self, mlist):
        mlist.autorespond_postings = 1
        mlist.autoresponse_postings_text = 'auto'
        mlist.autoresponse_graceperiod = 10
        Replybot.process(mlist, post(mlist), {})
        Replybot.process(mlist, post(mlist, extra='X-Ack: yes'), {})
        assert len(self.replies(mlist)) == 2

    def test_owner_and_request_texts(self, mlist):
        mlist.autorespond_admin = 1
        mlist.autoresponse_admin_text = 'OWNER TEXT'
        mlist.autorespond_requests = 1
        mlist.autoresponse_request_text = 'REQUEST TEXT'
        Replybot.process(mlist, post(mlist, 'a@example.org'),
                         {'toowner': 1})
        Replybot.process(mlist, post(mlist, 'b@example.org'),
                         {'torequest': 1})
        # Postings are off: no reply to a post.
        Replybot.process(mlist, post(mlist, 'c@example.org'), {})
        texts = {m['To']: body_text(m) for m in self.replies(mlist)}
        assert 'OWNER TEXT' in texts['a@example.org']
        assert 'REQUEST TEXT' in texts['b@example.org']
        assert 'c@example.org' not in texts
        assert 'a@example.org' in mlist.admin_responses
        assert 'b@example.org' in mlist.request_responses

    def test_dollar_strings(self, mlist):
        mlist.autorespond_postings = 1
        mlist.use_dollar_strings = 1
        mlist.autoresponse_postings_text = 'Welcome to $listname, 100%'
        Replybot.process(mlist, post(mlist), {})
        assert f'Welcome to {mlist.real_name}, 100%' in \
            body_text(self.replies(mlist)[0])


# ================================================================== Moderate
class TestModerateMembers:
    def test_unmoderated_member_passes(self, mlist):
        add_member(mlist, 'member@example.org')
        mlist.generic_nonmember_action = 3
        Moderate.process(mlist, post(mlist, 'member@example.org'), {})

    def test_moderated_member_hold(self, mlist):
        add_member(mlist, 'member@example.org', moderated=True)
        mlist.member_moderation_action = 0
        with pytest.raises(Moderate.ModeratedMemberPost):
            Moderate.process(mlist, post(mlist, 'member@example.org'), {})
        assert len(mlist.GetHeldMessageIds()) == 1

    def test_moderated_member_reject(self, mlist):
        add_member(mlist, 'member@example.org', moderated=True)
        mlist.member_moderation_action = 1
        mlist.member_moderation_notice = 'You are on probation.'
        with pytest.raises(Errors.RejectMessage) as info:
            Moderate.process(mlist, post(mlist, 'member@example.org'), {})
        assert 'You are on probation.' in info.value.notice()

    def test_moderated_member_discard(self, mlist):
        add_member(mlist, 'member@example.org', moderated=True)
        mlist.member_moderation_action = 2
        with pytest.raises(Errors.DiscardMessage):
            Moderate.process(mlist, post(mlist, 'member@example.org'), {})
        assert mlist.GetHeldMessageIds() == []

    def test_approved_skips(self, mlist):
        add_member(mlist, 'member@example.org', moderated=True)
        Moderate.process(mlist, post(mlist, 'member@example.org'),
                         {'approved': 1})

    def test_equivalent_domains(self, mlist):
        add_member(mlist, 'user@example.org', moderated=True)
        mlist.member_moderation_action = 2
        mlist.generic_nonmember_action = 0
        msg = post(mlist, 'user@mail.example.org')
        # Not a member by address: the non-member rules accept it.
        Moderate.process(mlist, msg, {})
        mlist.equivalent_domains = 'example.org, mail.example.org; a.b, c.d'
        with pytest.raises(Errors.DiscardMessage):
            Moderate.process(mlist, post(mlist, 'user@mail.example.org'), {})


class TestModerateNonMembers:
    @pytest.mark.parametrize('entry', ['poster@example.org',
                                       'POSTER@Example.ORG',
                                       r'^.*@example\.org$'])
    def test_accept_these(self, mlist, entry):
        mlist.generic_nonmember_action = 3
        mlist.accept_these_nonmembers = [entry]
        Moderate.process(mlist, post(mlist), {})

    def test_accept_these_other_list(self, mlist, other_list):
        mlist.generic_nonmember_action = 3
        add_member(other_list, 'poster@example.org')
        other_list.Save()
        mlist.accept_these_nonmembers = ['@' + other_list.internal_name()]
        Moderate.process(mlist, post(mlist), {})
        with pytest.raises(Errors.DiscardMessage):
            Moderate.process(mlist, post(mlist, 'stranger@example.net'), {})

    def test_hold_these(self, mlist):
        mlist.generic_nonmember_action = 0
        mlist.hold_these_nonmembers = [r'^poster@']
        with pytest.raises(Hold.NonMemberPost):
            Moderate.process(mlist, post(mlist), {})

    def test_reject_these(self, mlist):
        mlist.generic_nonmember_action = 0
        mlist.reject_these_nonmembers = ['poster@example.org']
        mlist.nonmember_rejection_notice = 'Members only, ask %(listowner)s'
        with pytest.raises(Errors.RejectMessage) as info:
            Moderate.process(mlist, post(mlist), {})
        assert f'Members only, ask {mlist.GetOwnerEmail()}' in \
            info.value.notice()

    def test_discard_these_forwarded(self, mlist):
        mlist.generic_nonmember_action = 0
        mlist.discard_these_nonmembers = ['poster@example.org']
        mlist.forward_auto_discards = 1
        with pytest.raises(Errors.DiscardMessage):
            Moderate.process(mlist, post(mlist, subject='Spammy'), {})
        notices = [m for m, d in virgin(mlist)
                   if m['Subject'] == 'Auto-discard notification']
        assert len(notices) == 1
        assert 'Subject: Spammy' in notices[0].as_string()
        assert set(read_recips(notices[0], mlist)) == {'owner@example.com'}

    def test_discard_these_not_forwarded(self, mlist):
        mlist.generic_nonmember_action = 0
        mlist.discard_these_nonmembers = ['poster@example.org']
        mlist.forward_auto_discards = 0
        with pytest.raises(Errors.DiscardMessage):
            Moderate.process(mlist, post(mlist), {})
        assert virgin(mlist) == []

    @pytest.mark.parametrize('action,exc', [
        (1, Hold.NonMemberPost), (2, Errors.RejectMessage),
        (3, Errors.DiscardMessage)])
    def test_generic_action(self, mlist, action, exc):
        mlist.generic_nonmember_action = action
        mlist.forward_auto_discards = 0
        with pytest.raises(exc):
            Moderate.process(mlist, post(mlist), {})

    def test_generic_accept(self, mlist):
        mlist.generic_nonmember_action = 0
        Moderate.process(mlist, post(mlist), {})

    def test_usenet_posts_are_accepted(self, mlist):
        mlist.generic_nonmember_action = 3
        Moderate.process(mlist, post(mlist), {'fromusenet': 1})
        # ...but the explicit lists still apply to them.
        mlist.discard_these_nonmembers = ['poster@example.org']
        mlist.forward_auto_discards = 0
        with pytest.raises(Errors.DiscardMessage):
            Moderate.process(mlist, post(mlist), {'fromusenet': 1})


def read_recips(msg, mlist):
    for m, data in virgin(mlist):
        if m['Message-ID'] == msg['Message-ID']:
            return data['recips']
    return []


# ================================================================== Hold
class TestHoldReasons:
    def test_administrivia(self, mlist):
        mlist.require_explicit_destination = 0
        mlist.administrivia = 1
        with pytest.raises(Hold.Administrivia):
            Hold.process(mlist, post(mlist, subject='x',
                                     body='unsubscribe\n'), {})
        with pytest.raises(Hold.Administrivia):
            Hold.process(mlist, post(mlist, subject='subscribe me pw'), {})
        Hold.process(mlist, post(mlist, body='Let us talk about how to '
                                 'subscribe people.\n'), {})
        mlist.administrivia = 0
        Hold.process(mlist, post(mlist, body='unsubscribe\n'), {})

    def test_administrivia_looks_at_short_messages_only(self, mlist,
                                                         monkeypatch):
        mlist.administrivia = 1
        body = 'subscribe\n' + ''.join(f'line {n}\n' for n in range(5))
        with pytest.raises(Hold.Administrivia):
            Hold.process(mlist, post(mlist, subject='x', body=body), {})
        monkeypatch.setattr(mm_cfg, 'DEFAULT_MAIL_COMMANDS_MAX_LINES', 3)
        Hold.process(mlist, post(mlist, subject='x', body=body), {})

    def test_too_many_recipients(self, mlist):
        mlist.max_num_recipients = 3
        cc = 'Cc: a@example.net, b@example.net'
        with pytest.raises(Hold.TooManyRecipients):
            Hold.process(mlist, post(mlist, extra=cc), {})    # 3 >= 3
        mlist.max_num_recipients = 4
        Hold.process(mlist, post(mlist, extra=cc), {})
        mlist.max_num_recipients = 0
        Hold.process(mlist, post(mlist, extra=cc), {})

    def test_implicit_destination(self, mlist):
        msg = msg_from("""\
            From: poster@example.org
            To: someone@example.net
            Subject: hi

            hi
            """)
        mlist.require_explicit_destination = 1
        with pytest.raises(Hold.ImplicitDestination):
            Hold.process(mlist, msg, {})
        Hold.process(mlist, msg, {'fromusenet': 1})
        mlist.acceptable_aliases = 'friends@example.org\n^someone@'
        Hold.process(mlist, msg, {})
        mlist.acceptable_aliases = ''
        mlist.require_explicit_destination = 0
        Hold.process(mlist, msg, {})

    def test_explicit_destination_in_cc(self, mlist):
        mlist.require_explicit_destination = 1
        msg = msg_from(f"""\
            From: poster@example.org
            To: someone@example.net
            Cc: "The List" <{mlist.GetListEmail().upper()}>
            Subject: hi

            hi
            """)
        Hold.process(mlist, msg, {})

    def test_bounce_matching_headers(self, mlist):
        mlist.bounce_matching_headers = '# comment\nfrom: .*@evil\\.example\n'
        with pytest.raises(Hold.SuspiciousHeaders):
            Hold.process(mlist, post(mlist, 'x@evil.example'), {})
        Hold.process(mlist, post(mlist, 'x@good.example'), {})
        mlist.bounce_matching_headers = ''
        Hold.process(mlist, post(mlist, 'x@evil.example'), {})

    def test_max_message_size(self, mlist):
        big = ('x' * 70 + '\n') * 30        # about 2.1 KB
        mlist.max_message_size = 1
        with pytest.raises(Hold.MessageTooBig) as info:
            Hold.process(mlist, post(mlist, body=big), {})
        assert '1 KB' in info.value.reason_notice()
        mlist.max_message_size = 3
        Hold.process(mlist, post(mlist, body=big), {})
        mlist.max_message_size = 0
        Hold.process(mlist, post(mlist, body=big * 100), {})

    def test_moderated_newsgroup(self, mlist):
        mlist.gateway_to_news = 1
        mlist.news_moderation = 2
        with pytest.raises(Hold.ModeratedNewsgroup):
            Hold.process(mlist, post(mlist), {})
        mlist.news_moderation = 0
        Hold.process(mlist, post(mlist), {})
        mlist.news_moderation = 2
        mlist.gateway_to_news = 0
        Hold.process(mlist, post(mlist), {})

    def test_approved_is_never_held(self, mlist):
        mlist.max_num_recipients = 1
        Hold.process(mlist, post(mlist, body='subscribe\n'), {'approved': 1})


class TestHoldNotices:
    def hold(self, mlist, msg=None, msgdata=None):
        mlist.gateway_to_news = 1
        mlist.news_moderation = 2
        with pytest.raises(Errors.HoldMessage):
            Hold.process(mlist, msg or post(mlist), msgdata or {})
        return mlist.GetHeldMessageIds()[-1]

    def owner_notices(self, mlist):
        return [m for m, d in virgin(mlist)
                if 'requires approval' in str(m['Subject'])]

    def sender_notices(self, mlist):
        return [m for m, d in virgin(mlist)
                if 'awaits moderator approval' in str(m['Subject'])]

    def test_owner_notice_with_confirm_reply(self, mlist):
        mlist.moderator = ['mod@example.com']
        request_id = self.hold(mlist, post(mlist, subject='Held one'))
        notices = self.owner_notices(mlist)
        assert len(notices) == 1
        notice = notices[0]
        parts = notice.get_payload()
        assert notice.get_content_type() == 'multipart/mixed'
        assert 'Held one' in body_text(parts[0])
        assert 'Posting to a moderated newsgroup' in body_text(parts[0])
        assert mlist.GetScriptURL('admindb', absolute=1) in \
            body_text(parts[0])
        held = parts[1].get_payload(0)
        assert held['Subject'] == 'Held one'
        reply = parts[2].get_payload(0)
        cookie = reply['Subject'].split()[1]
        assert reply['Subject'] == f'confirm {cookie}'
        assert reply['From'] == mlist.GetRequestEmail()
        assert mlist.pend_confirm(cookie, expunge=False) == \
            (Pending.HELD_MESSAGE, request_id)
        assert set(read_recips(notice, mlist)) == {'owner@example.com',
                                                   'mod@example.com'}

    def test_no_owner_notice_without_immediate_notify(self, mlist):
        mlist.admin_immed_notify = 0
        self.hold(mlist)
        assert self.owner_notices(mlist) == []
        assert len(self.sender_notices(mlist)) == 1

    def test_sender_notice_has_cancel_link(self, mlist):
        request_id = self.hold(mlist, post(mlist, subject='Mine'))
        notices = self.sender_notices(mlist)
        assert len(notices) == 1
        assert notices[0]['To'] == 'poster@example.org'
        text = body_text(notices[0])
        assert 'Mine' in text
        url = mlist.GetScriptURL('confirm', absolute=1) + '/'
        assert url in text
        cookie = text.split(url, 1)[1].split()[0]
        assert mlist.pend_confirm(cookie, expunge=False) == \
            (Pending.HELD_MESSAGE, request_id)

    def test_no_sender_notice_when_off_or_bulk_or_usenet(self, mlist):
        mlist.respond_to_post_requests = 0
        self.hold(mlist)
        mlist.respond_to_post_requests = 1
        self.hold(mlist, post(mlist, extra='Precedence: bulk'))
        self.hold(mlist, post(mlist), {'fromusenet': 1})
        assert self.sender_notices(mlist) == []
        assert len(self.owner_notices(mlist)) == 3

    def test_autoresponse_limit(self, mlist, monkeypatch):
        monkeypatch.setattr(mm_cfg, 'MAX_AUTORESPONSES_PER_DAY', 2)
        for _ in range(4):
            self.hold(mlist)
        assert len(self.sender_notices(mlist)) == 2
        last = [m for m, d in virgin(mlist)
                if m['Subject'] == 'Last autoresponse notification for today']
        assert len(last) == 1
        assert 'poster@example.org' in body_text(last[0])
        assert len(self.owner_notices(mlist)) == 4
        # Unlimited.
        monkeypatch.setattr(mm_cfg, 'MAX_AUTORESPONSES_PER_DAY', 0)
        self.hold(mlist)
        assert len(self.sender_notices(mlist)) == 3

    def test_nonmember_rejection_notice_recorded(self, mlist):
        mlist.generic_nonmember_action = 1
        mlist.nonmember_rejection_notice = 'Ask %(listowner)s first.'
        with pytest.raises(Hold.NonMemberPost):
            Moderate.process(mlist, post(mlist), {})
        record = mlist.GetRecord(mlist.GetHeldMessageIds()[0])
        assert record[5]['rejection_notice'] == \
            f'Ask {mlist.GetOwnerEmail()} first.'

    def test_held_file(self, mlist):
        msg = post(mlist, subject='Stored', body='caf\u00e9\n')
        request_id = self.hold(mlist, msg, {'pipeline': ['MimeDel', 'Tagger'],
                                            'listname': mlist.internal_name()})
        record = mlist.GetRecord(request_id)
        ptime, sender, subject, reason, filename, msgdata = record
        assert sender == 'poster@example.org'
        assert subject == 'Stored'
        assert filename == f'heldmsg-{mlist.internal_name()}-{request_id}.pck'
        path = os.path.join(mm_cfg.DATA_DIR, filename)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o660
        objects = ListFile.load_all(open(path, 'rb').read())
        assert isinstance(objects[0], bytes)
        assert email.message_from_bytes(objects[0])['Subject'] == 'Stored'
        assert ListFile.load_pickle_file(path) == objects[0]
        # request.pck is on disk already, readable by a fresh list object.
        fresh = MailList(mlist.internal_name(), lock=0)
        assert fresh.GetRecord(request_id)[4] == filename
        assert fresh.GetHeldMessage(request_id)['Subject'] == 'Stored'

    def test_held_as_text(self, mlist, monkeypatch):
        monkeypatch.setattr(mm_cfg, 'HOLD_MESSAGES_AS_PICKLES', False)
        request_id = self.hold(mlist, post(mlist, subject='Plain'))
        filename = mlist.GetRecord(request_id)[4]
        assert filename.endswith('.txt')
        with open(os.path.join(mm_cfg.DATA_DIR, filename), 'rb') as f:
            assert b'Subject: Plain' in f.read()
        assert mlist.GetHeldMessage(request_id)['Subject'] == 'Plain'

    def test_ids_are_not_reused(self, mlist):
        first = self.hold(mlist)
        # As if the list had not been saved after the first hold.
        mlist.next_request_id = first
        second = self.hold(mlist)
        assert second != first
        assert len(held_files(mlist)) == 2


# ================================================================== requests
class TestHandleHeldPosts:
    def hold(self, mlist, msgdata=None, **kws):
        mlist.gateway_to_news = 1
        mlist.news_moderation = 2
        msgdata = dict(msgdata or {}, listname=mlist.internal_name())
        with pytest.raises(Errors.HoldMessage):
            Hold.process(mlist, post(mlist, **kws), msgdata)
        mlist.gateway_to_news = 0
        return mlist.GetHeldMessageIds()[-1]

    @pytest.mark.parametrize('pipeline', [
        # The runner removes a step after it ran: Hold is still first.
        ['Hold', 'MimeDel', 'Scrubber'],
        # 2.1's runner removed it before running it.
        ['MimeDel', 'Scrubber']])
    def test_approve(self, mlist, pipeline):
        request_id = self.hold(mlist, {'pipeline': pipeline},
                               subject='Approve me')
        path = mlist.GetHeldMessagePath(request_id)
        cookies = mlist.pend_cookies()
        status = mlist.HandleRequest(request_id, mm_cfg.APPROVE)
        assert status == ListAdmin.REMOVE
        queued = incoming(mlist)
        assert len(queued) == 1
        msg, data = queued[0]
        assert msg['Subject'] == 'Approve me'
        assert msg['X-Mailman-Approved-At']
        assert data['approved'] == 1 and data['adminapproved'] == 1
        # The pipeline goes on after the step that held it.
        assert data['pipeline'] == ['MimeDel', 'Scrubber']
        assert not os.path.exists(path)
        assert request_id not in mlist.GetHeldMessageIds()
        # The confirmation cookies of this post are gone too.
        assert cookies and not any(
            v == (Pending.HELD_MESSAGE, request_id)
            for v in mlist.pend_cookies().values())
        fresh = MailList(mlist.internal_name(), lock=0)
        assert request_id not in fresh.GetHeldMessageIds()

    def test_reject_with_comment(self, mlist):
        request_id = self.hold(mlist, subject='Bad idea')
        path = mlist.GetHeldMessagePath(request_id)
        mlist.HandleRequest(request_id, mm_cfg.REJECT, 'Off topic, sorry.')
        refusals = [m for m, d in virgin(mlist)
                    if 'rejected' in str(m['Subject'])]
        assert len(refusals) == 1
        assert refusals[0]['To'] == 'poster@example.org'
        text = body_text(refusals[0])
        assert 'Off topic, sorry.' in text
        assert 'Bad idea' in text
        assert incoming(mlist) == []
        assert not os.path.exists(path)
        assert 'Refused posting' in log_text('vette')

    def test_reject_without_comment_uses_rejection_notice(self, mlist):
        request_id = self.hold(mlist)
        mlist.HandleRequest(request_id, mm_cfg.REJECT)
        refusal = [m for m, d in virgin(mlist)
                   if 'rejected' in str(m['Subject'])][0]
        assert 'inappropriate by the moderator' in body_text(refusal)

    def test_discard(self, mlist):
        request_id = self.hold(mlist)
        path = mlist.GetHeldMessagePath(request_id)
        before = len(virgin(mlist))
        assert mlist.HandleRequest(request_id, mm_cfg.DISCARD) == \
            ListAdmin.REMOVE
        assert len(virgin(mlist)) == before
        assert incoming(mlist) == []
        assert not os.path.exists(path)
        assert mlist.GetHeldMessageIds() == []

    def test_defer(self, mlist):
        request_id = self.hold(mlist)
        path = mlist.GetHeldMessagePath(request_id)
        assert mlist.HandleRequest(request_id, mm_cfg.DEFER) == \
            ListAdmin.DEFER
        assert os.path.exists(path)
        assert mlist.GetHeldMessageIds() == [request_id]

    def test_preserve_and_forward(self, mlist):
        request_id = self.hold(mlist, subject='Evidence')
        mlist.HandleRequest(request_id, mm_cfg.DISCARD, preserve=True,
                            forward=True, addr='abuse@example.net')
        spam = os.path.join(mm_cfg.SPAM_DIR,
                            f'spam-{mlist.internal_name()}-{request_id}.msg')
        with open(spam, 'rb') as f:
            assert b'Subject: Evidence' in f.read()
        os.unlink(spam)
        forwards = [m for m, d in virgin(mlist)
                    if m['Subject'] == 'Forward of moderated message']
        assert len(forwards) == 1
        assert forwards[0]['To'] == 'abuse@example.net'
        assert forwards[0].get_content_type() == 'message/rfc822'
        assert forwards[0].get_payload(0)['Subject'] == 'Evidence'

    def test_sender_filters_and_ban(self, mlist):
        first = self.hold(mlist)
        mlist.HandleRequest(first, mm_cfg.DISCARD,
                            sender_action=mm_cfg.DISCARD, ban=True)
        assert 'poster@example.org' in mlist.discard_these_nonmembers
        assert 'poster@example.org' in mlist.ban_list
        second = self.hold(mlist, sender='friend@example.org')
        mlist.HandleRequest(second, mm_cfg.APPROVE,
                            sender_action=mm_cfg.ACCEPT)
        assert mlist.accept_these_nonmembers == ['friend@example.org']

    def test_lost_message(self, mlist):
        request_id = self.hold(mlist)
        os.unlink(mlist.GetHeldMessagePath(request_id))
        assert mlist.HandleRequest(request_id, mm_cfg.APPROVE) == \
            ListAdmin.LOST
        assert mlist.GetHeldMessageIds() == []
        with pytest.raises(KeyError):
            mlist.HandleRequest(request_id, mm_cfg.APPROVE)

    def test_approved_post_runs_rest_of_pipeline(self, mlist):
        """End to end: the re-queued post passes Hold thanks to approved=1
        and Emergency thanks to adminapproved."""
        request_id = self.hold(mlist)
        mlist.HandleRequest(request_id, mm_cfg.APPROVE)
        msg, data = incoming(mlist)[0]
        mlist.gateway_to_news = 1
        mlist.news_moderation = 2
        mlist.emergency = 1
        Hold.process(mlist, msg, data)
        Emergency.process(mlist, msg, data)

    def test_legacy_python2_held_message(self, mlist):
        python2 = '/root/.pyenv/versions/2.7.18/bin/python'
        need(os.access(python2, os.X_OK), 'Python 2.7 is not available')
        request_id = self.hold(mlist)
        path = mlist.GetHeldMessagePath(request_id)
        code = textwrap.dedent('''\
            import sys, cPickle, email
            msg = email.message_from_string(
                "From: old@example.org\\nSubject: From 2.1\\n\\nold body\\n")
            fp = open(sys.argv[1], "wb")
            cPickle.dump(msg, fp, 1)
            fp.close()
            ''')
        subprocess.run([python2, '-c', code, path], check=True)
        assert mlist.GetHeldMessage(request_id)['Subject'] == 'From 2.1'
        mlist.HandleRequest(request_id, mm_cfg.APPROVE)
        msg, data = incoming(mlist)[0]
        assert msg['Subject'] == 'From 2.1'
        assert 'old body' in body_text(msg)


class TestHeldMembershipRequests:
    def test_subscription_approve(self, mlist):
        request_id = mlist.HoldSubscription('new@example.org', 'New Person',
                                            'secret', 0, 'en')
        notices = [m for m, d in virgin(mlist)
                   if 'New subscription request' in str(m['Subject'])]
        assert len(notices) == 1
        assert 'new@example.org' in body_text(notices[0])
        assert mlist.GetSubscriptionIds() == [request_id]
        assert mlist.HandleRequest(request_id, mm_cfg.SUBSCRIBE) == \
            ListAdmin.REMOVE
        assert mlist.isMember('new@example.org')
        assert mlist.getMemberName('new@example.org') == 'New Person'
        assert mlist.GetSubscriptionIds() == []

    def test_subscription_approve_value(self, mlist):
        request_id = mlist.HoldSubscription('new@example.org', '', 'pw', 0,
                                            'en')
        mlist.HandleRequest(request_id, mm_cfg.APPROVE)
        assert mlist.isMember('new@example.org')

    def test_subscription_reject_discard_defer(self, mlist):
        mlist.admin_immed_notify = 0
        first = mlist.HoldSubscription('a@example.org', '', 'pw', 0, 'en')
        second = mlist.HoldSubscription('b@example.org', '', 'pw', 0, 'en')
        third = mlist.HoldSubscription('c@example.org', '', 'pw', 0, 'en')
        assert virgin(mlist) == []     # no immediate notices
        mlist.HandleRequest(first, mm_cfg.REJECT, 'Not this time')
        mlist.HandleRequest(second, mm_cfg.DISCARD, ban=True)
        mlist.HandleRequest(third, mm_cfg.DEFER)
        refusals = virgin(mlist)
        assert len(refusals) == 1
        assert refusals[0][0]['To'] == 'a@example.org'
        assert 'Not this time' in body_text(refusals[0][0])
        assert not mlist.isMember('a@example.org')
        assert not mlist.isMember('b@example.org')
        assert 'b@example.org' in mlist.ban_list
        assert mlist.GetSubscriptionIds() == [third]

    def test_unsubscription(self, mlist):
        add_member(mlist, 'leaving@example.org')
        add_member(mlist, 'staying@example.org')
        first = mlist.HoldUnsubscription('leaving@example.org')
        second = mlist.HoldUnsubscription('staying@example.org')
        notices = [m for m, d in virgin(mlist)
                   if 'New unsubscription request' in str(m['Subject'])]
        assert len(notices) == 2
        mlist.HandleRequest(first, mm_cfg.UNSUBSCRIBE)
        mlist.HandleRequest(second, mm_cfg.REJECT, 'Stay with us')
        assert not mlist.isMember('leaving@example.org')
        assert mlist.isMember('staying@example.org')
        refusal = [m for m, d in virgin(mlist)
                   if 'rejected' in str(m['Subject'])]
        assert refusal[0]['To'] == 'staying@example.org'
        assert 'Stay with us' in body_text(refusal[0])
        assert mlist.GetUnsubscriptionIds() == []


class TestBinDiscard:
    def run_discard(self, *args, tmp_path):
        (tmp_path / 'paths.py').write_text('')
        shadow = os.path.dirname(os.path.dirname(mm_cfg.__file__))
        env = dict(os.environ, PYTHONPATH=f'{shadow}:{tmp_path}')
        script = os.path.join(os.path.dirname(__file__), '..', '..', 'bin',
                              'discard')
        return subprocess.run([sys.executable, script, *args], env=env,
                              capture_output=True, text=True)

    def test_discard_by_file_name(self, mlist, tmp_path):
        mlist.gateway_to_news = 1
        mlist.news_moderation = 2
        for _ in range(2):
            with pytest.raises(Errors.HoldMessage):
                Hold.process(mlist, post(mlist), {})
        first, second = mlist.GetHeldMessageIds()
        path = mlist.GetHeldMessagePath(first)
        mlist.Save()
        mlist.Unlock()
        try:
            result = self.run_discard(path, tmp_path=tmp_path)
            assert result.returncode == 0, result.stderr
            assert f'Discarded held msg #{first}' in result.stdout
            quiet = self.run_discard(
                '-q', os.path.basename(mlist.GetHeldMessagePath(second)),
                'not-a-held-file.txt', tmp_path=tmp_path)
            assert quiet.stdout == ''
            assert 'ignoring non-held message' in quiet.stderr
            assert quiet.returncode == 1
        finally:
            mlist.Lock()
        assert mlist.GetHeldMessageIds() == []
        assert held_files(mlist) == []

    def test_help(self, tmp_path):
        result = self.run_discard('--help', tmp_path=tmp_path)
        assert result.returncode == 0
        assert 'discard' in result.stdout


# ================================================================== MimeDel
MIXED = """\
From: poster@example.org
To: {listaddr}
Subject: files
Message-ID: <mixed@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XX"

--XX
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit

Voil\xe0 the files.
--XX
Content-Type: image/gif; name="pic.gif"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="pic.gif"

R0lGODlhAQABAAAAACw=
--XX
Content-Type: application/octet-stream; name="setup.exe"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="setup.exe"

TVqQAAMAAAAEAAAA
--XX--
"""


def mixed(mlist):
    raw = MIXED.format(listaddr=mlist.GetListEmail()).encode('latin-1')
    return email.message_from_bytes(raw, _class=Message)


def types_of(msg):
    return [part.get_content_type() for part in msg.walk()]


@pytest.fixture
def filtering(mlist):
    mlist.filter_content = 1
    mlist.filter_mime_types = []
    mlist.pass_mime_types = []
    mlist.filter_filename_extensions = []
    mlist.pass_filename_extensions = []
    mlist.convert_html_to_plaintext = 0
    return mlist


class TestMimeDel:
    def test_off(self, mlist):
        mlist.filter_content = 0
        mlist.filter_mime_types = ['image']
        msg = mixed(mlist)
        MimeDel.process(mlist, msg, {})
        assert 'image/gif' in types_of(msg)
        assert 'X-Content-Filtered-By' not in msg

    def test_filter_mime_types(self, filtering):
        filtering.filter_mime_types = ['image/gif']
        msg = mixed(filtering)
        MimeDel.process(filtering, msg, {})
        assert 'image/gif' not in types_of(msg)
        assert 'application/octet-stream' in types_of(msg)
        assert msg['X-Content-Filtered-By'].startswith('Mailman/MimeDel')
        again = assert_valid_mime(msg)
        assert 'Voil\u00e0' in body_text(again)

    def test_filter_main_type(self, filtering):
        filtering.filter_mime_types = ['application']
        msg = mixed(filtering)
        MimeDel.process(filtering, msg, {})
        assert types_of(msg) == ['multipart/mixed', 'text/plain',
                                 'image/gif']

    def test_pass_mime_types(self, filtering):
        filtering.pass_mime_types = ['multipart', 'text/plain']
        msg = mixed(filtering)
        MimeDel.process(filtering, msg, {})
        # One part left: the multipart is recast as that part.
        assert types_of(msg) == ['text/plain']
        assert 'Voil\u00e0' in body_text(assert_valid_mime(msg))

    def test_filter_extensions(self, filtering):
        filtering.filter_filename_extensions = ['.EXE']
        msg = mixed(filtering)
        MimeDel.process(filtering, msg, {})
        assert 'application/octet-stream' not in types_of(msg)
        assert 'image/gif' in types_of(msg)

    def test_pass_extensions(self, filtering):
        filtering.pass_filename_extensions = ['gif']
        msg = mixed(filtering)
        MimeDel.process(filtering, msg, {})
        assert 'application/octet-stream' not in types_of(msg)
        assert 'image/gif' in types_of(msg)
        assert 'text/plain' in types_of(msg)     # no file name: kept

    def whole_post_filtered(self, mlist, action):
        mlist.filter_action = action
        mlist.filter_mime_types = ['multipart/mixed']
        return mixed(mlist)

    def test_filter_action_discard(self, filtering):
        msg = self.whole_post_filtered(filtering, 0)
        with pytest.raises(Errors.DiscardMessage):
            MimeDel.process(filtering, msg, {})
        assert virgin(filtering) == []

    def test_filter_action_reject(self, filtering):
        msg = self.whole_post_filtered(filtering, 1)
        with pytest.raises(Errors.RejectMessage) as info:
            MimeDel.process(filtering, msg, {})
        assert 'explicitly disallowed' in info.value.notice()

    def test_filter_action_forward(self, filtering):
        msg = self.whole_post_filtered(filtering, 2)
        with pytest.raises(Errors.DiscardMessage):
            MimeDel.process(filtering, msg, {})
        notices = [m for m, d in virgin(filtering)
                   if m['Subject'] == 'Content filtered message notification']
        assert len(notices) == 1
        assert notices[0].get_payload(1).get_payload(0)['Subject'] == 'files'

    def test_filter_action_preserve(self, filtering, monkeypatch):
        msg = self.whole_post_filtered(filtering, 3)
        with pytest.raises(Errors.DiscardMessage):
            MimeDel.process(filtering, msg,
                            {'listname': filtering.internal_name()})
        kept = bad_queue(filtering)
        assert len(kept) == 1 and kept[0][0]['Subject'] == 'files'
        for name in os.listdir(mm_cfg.BADQUEUE_DIR):
            os.unlink(os.path.join(mm_cfg.BADQUEUE_DIR, name))
        monkeypatch.setattr(mm_cfg, 'OWNERS_CAN_PRESERVE_FILTERED_MESSAGES',
                            False)
        with pytest.raises(Errors.DiscardMessage):
            MimeDel.process(filtering, self.whole_post_filtered(filtering, 3),
                            {'listname': filtering.internal_name()})
        assert bad_queue(filtering) == []

    def test_emptied_post_is_disposed_of_as_it_arrived(self, filtering):
        filtering.filter_mime_types = ['text', 'image', 'application']
        filtering.filter_action = 2
        with pytest.raises(Errors.DiscardMessage):
            MimeDel.process(filtering, mixed(filtering), {})
        notice = [m for m, d in virgin(filtering)
                  if m['Subject'] == 'Content filtered message notification']
        forwarded = notice[0].get_payload(1).get_payload(0)
        assert 'image/gif' in types_of(forwarded)

    def alternative(self, mlist):
        return msg_from(f"""\
            From: poster@example.org
            To: {mlist.GetListEmail()}
            Subject: alt
            MIME-Version: 1.0
            Content-Type: multipart/alternative; boundary="AA"

            --AA
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: base64

            UGxhaW4gdmVyc2lvbiDinJM=
            --AA
            Content-Type: text/html; charset=utf-8

            <p>HTML <b>version</b></p>
            --AA--
            """)

    def test_collapse_alternatives(self, filtering):
        filtering.collapse_alternatives = 1
        msg = self.alternative(filtering)
        MimeDel.process(filtering, msg, {})
        assert types_of(msg) == ['text/plain']
        assert body_text(assert_valid_mime(msg)) == 'Plain version \u2713'
        filtering.collapse_alternatives = 0
        msg = self.alternative(filtering)
        MimeDel.process(filtering, msg, {})
        assert types_of(msg) == ['multipart/alternative', 'text/plain',
                                 'text/html']

    def converter(self, tmp_path):
        script = tmp_path / 'html2text.py'
        script.write_text(textwrap.dedent('''\
            import re, sys
            data = open(sys.argv[1], encoding="utf-8").read()
            print("CONVERTED:", re.sub("<[^>]+>", "", data).strip())
            '''))
        return f'{sys.executable} {script} %(filename)s'

    def test_convert_html(self, filtering, monkeypatch, tmp_path):
        monkeypatch.setattr(mm_cfg, 'HTML_TO_PLAIN_TEXT_COMMAND',
                            self.converter(tmp_path))
        filtering.collapse_alternatives = 0
        filtering.convert_html_to_plaintext = 1
        msg = self.alternative(filtering)
        MimeDel.process(filtering, msg, {})
        assert types_of(msg) == ['multipart/alternative', 'text/plain',
                                 'text/plain']
        assert 'CONVERTED: HTML version' in body_text(msg)
        assert msg['X-Content-Filtered-By']
        assert_valid_mime(msg)
        # Off: the HTML stays.
        filtering.convert_html_to_plaintext = 0
        msg = self.alternative(filtering)
        MimeDel.process(filtering, msg, {})
        assert 'text/html' in types_of(msg)

    def test_convert_file_name_with_spaces_and_no_shell(
            self, filtering, monkeypatch, tmp_path):
        directory = tmp_path / 'dir with $(touch pwned) spaces'
        directory.mkdir()
        monkeypatch.setattr(mm_cfg, 'HTML_TO_PLAIN_TEXT_COMMAND',
                            self.converter(directory))
        monkeypatch.chdir(tmp_path)
        filtering.convert_html_to_plaintext = 1
        filtering.collapse_alternatives = 0
        msg = self.alternative(filtering)
        # The command has a file name with spaces: it must be quoted.
        monkeypatch.setattr(
            mm_cfg, 'HTML_TO_PLAIN_TEXT_COMMAND',
            f'{sys.executable} "{directory}/html2text.py" %(filename)s')
        MimeDel.process(filtering, msg, {})
        assert 'CONVERTED' in body_text(msg)
        assert not (tmp_path / 'pwned').exists()

    def test_missing_converter_keeps_html(self, filtering, monkeypatch):
        monkeypatch.setattr(mm_cfg, 'HTML_TO_PLAIN_TEXT_COMMAND',
                            '/nonexistent/lynx -dump %(filename)s')
        filtering.convert_html_to_plaintext = 1
        filtering.collapse_alternatives = 0
        msg = self.alternative(filtering)
        MimeDel.process(filtering, msg, {})
        assert 'text/html' in types_of(msg)
        assert '/nonexistent/lynx' in log_text('error')

    def test_digests_are_not_filtered(self, filtering):
        filtering.filter_mime_types = ['image']
        msg = mixed(filtering)
        MimeDel.process(filtering, msg, {'isdigest': 1})
        assert 'image/gif' in types_of(msg)


# ================================================================== Scrubber
class TestScrubber:
    def test_off_for_regular_delivery(self, mlist):
        mlist.scrub_nondigest = 0
        msg = mixed(mlist)
        Scrubber.process(mlist, msg, {'listname': mlist.internal_name()})
        assert msg.is_multipart()

    def test_scrub_nondigest(self, mlist, monkeypatch):
        monkeypatch.setattr(mm_cfg, 'SCRUBBER_DONT_USE_ATTACHMENT_FILENAME',
                            True)
        mlist.scrub_nondigest = 1
        msg = mixed(mlist)
        Scrubber.process(mlist, msg, {'listname': mlist.internal_name()})
        assert not msg.is_multipart()
        assert msg.get_content_type() == 'text/plain'
        again = assert_valid_mime(msg)
        text = body_text(again)
        assert 'Voil\u00e0 the files.' in text
        assert '-------------- next part --------------' in text
        assert 'Name: pic.gif' in text and 'Type: image/gif' in text
        urls = [line.split('URL: ', 1)[1].strip('<>')
                for line in text.splitlines() if line.startswith('URL: ')]
        assert len(urls) == 2
        base = mlist.GetBaseArchiveURL().rstrip('/') + '/'
        for url in urls:
            assert url.startswith(base)
            relative = url[len(base):]
            assert relative.split('/')[0] == 'attachments'
            assert os.path.basename(relative).startswith('attachment')
            path = os.path.join(mlist.archive_dir(), relative)
            assert os.path.isfile(path)
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o664
        gif = [u for u in urls if u.endswith('.gif')][0]
        with open(os.path.join(mlist.archive_dir(), gif[len(base):]),
                  'rb') as f:
            assert f.read().startswith(b'GIF89a')
        # The date directory comes from the Date: header.
        assert all('/attachments/' in u for u in urls)

    def test_scrub_without_msgdata_always_scrubs(self, mlist):
        mlist.scrub_nondigest = 0
        msg = mixed(mlist)
        msg.replace_header('Message-ID', '<other@example.org>')
        Scrubber.process(mlist, msg)
        assert not msg.is_multipart()

    def test_sender_file_names_are_made_safe(self, mlist, monkeypatch):
        monkeypatch.setattr(mm_cfg, 'SCRUBBER_DONT_USE_ATTACHMENT_FILENAME',
                            False)
        msg = msg_from(f"""\
            From: poster@example.org
            To: {mlist.GetListEmail()}
            Subject: evil names
            Message-ID: <evil@example.org>
            Date: Tue, 15 Feb 2022 08:00:00 +0000
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="XX"

            --XX
            Content-Type: text/plain

            see
            --XX
            Content-Type: application/pdf
            Content-Disposition: attachment; filename="../../../etc/.pass wd;rm.pdf"
            Content-Transfer-Encoding: base64

            JVBERi0xLjQK
            --XX
            Content-Type: application/pdf
            Content-Disposition: attachment; filename="../../../etc/.pass wd;rm.pdf"
            Content-Transfer-Encoding: base64

            JVBERi0xLjQK
            --XX--
            """)
        Scrubber.scrub(mlist, msg)
        text = body_text(msg)
        urls = [line.split('URL: ', 1)[1].strip('<>')
                for line in text.splitlines() if line.startswith('URL: ')]
        import hashlib
        digest = hashlib.sha1(b'<evil@example.org>').hexdigest()
        expected_dir = os.path.join('attachments', '20220215',
                                    digest[:4] + digest[-4:])
        names = [os.path.basename(u) for u in urls]
        assert names == ['passwdrm.pdf', 'passwdrm-0001.pdf']
        for name in names:
            assert os.path.isfile(os.path.join(mlist.archive_dir(),
                                               expected_dir, name))

    @pytest.mark.parametrize('sanitizer', [0, 1, 2, 3])
    def test_html_sanitizer(self, mlist, monkeypatch, sanitizer):
        monkeypatch.setattr(mm_cfg, 'ARCHIVE_HTML_SANITIZER', sanitizer)
        msg = msg_from(f"""\
            From: poster@example.org
            To: {mlist.GetListEmail()}
            Subject: html
            Message-ID: <html-{sanitizer}@example.org>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="XX"

            --XX
            Content-Type: text/plain

            text part
            --XX
            Content-Type: text/html

            <script>alert(1)</script><p>para</p>
            --XX--
            """)
        Scrubber.scrub(mlist, msg)
        text = body_text(msg)
        assert 'text part' in text
        if sanitizer == 0:
            assert 'HTML attachment removed' in text
            assert '<script>' not in text
        elif sanitizer == 2:
            assert '<script>alert(1)</script>' in text
        else:
            assert 'An HTML attachment was removed' in text
            url = text.split('URL: <', 1)[1].split('>', 1)[0]
            relative = url[len(mlist.GetBaseArchiveURL().rstrip('/')) + 1:]
            with open(os.path.join(mlist.archive_dir(), relative)) as f:
                stored = f.read()
            if sanitizer == 1:
                assert '&lt;script&gt;' in stored and '<script>' not in stored
            else:
                assert '<script>alert(1)</script>' in stored

    def test_html_sanitizer_command(self, mlist, monkeypatch, tmp_path):
        script = tmp_path / 'sanitize.py'
        script.write_text(
            'import sys\n'
            'print("SANITIZED", len(open(sys.argv[1]).read()))\n')
        monkeypatch.setattr(mm_cfg, 'ARCHIVE_HTML_SANITIZER',
                            f'{sys.executable} {script} %(filename)s')
        msg = msg_from("""\
            From: poster@example.org
            Subject: html
            Message-ID: <sanitize@example.org>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="XX"

            --XX
            Content-Type: text/plain

            text part
            --XX
            Content-Type: text/html

            <p>para</p>
            --XX--
            """)
        Scrubber.scrub(mlist, msg)
        text = body_text(msg)
        url = text.split('URL: <', 1)[1].split('>', 1)[0]
        assert url.endswith('.txt')
        relative = url[len(mlist.GetBaseArchiveURL().rstrip('/')) + 1:]
        with open(os.path.join(mlist.archive_dir(), relative)) as f:
            assert f.read().startswith('SANITIZED')

    def attachment_post(self, mlist, msgid):
        return msg_from(f"""\
            From: poster@example.org
            Subject: data
            Message-ID: <{msgid}@example.org>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="XX"

            --XX
            Content-Type: text/plain

            see
            --XX
            Content-Type: application/octet-stream
            Content-Disposition: attachment; filename="data.xyz"

            xyzxyz
            --XX--
            """)

    def test_filename_extension_setting(self, mlist, monkeypatch):
        monkeypatch.setattr(mm_cfg, 'SCRUBBER_DONT_USE_ATTACHMENT_FILENAME',
                            True)
        monkeypatch.setattr(mm_cfg,
                            'SCRUBBER_USE_ATTACHMENT_FILENAME_EXTENSION',
                            False)
        msg = Scrubber.scrub(mlist, self.attachment_post(mlist, 'ext1'))
        assert 'attachment.bin>' in body_text(msg)
        monkeypatch.setattr(mm_cfg,
                            'SCRUBBER_USE_ATTACHMENT_FILENAME_EXTENSION',
                            True)
        msg = Scrubber.scrub(mlist, self.attachment_post(mlist, 'ext2'))
        assert 'attachment.xyz>' in body_text(msg)

    def test_private_archive_url(self, mlist):
        mlist.archive_private = 1
        msg = Scrubber.scrub(mlist, self.attachment_post(mlist, 'priv'))
        assert 'URL: <' + mlist.GetScriptURL('private', absolute=1) in \
            body_text(msg)

    def test_html_only_post_discarded_with_sanitizer_0(self, mlist,
                                                      monkeypatch):
        monkeypatch.setattr(mm_cfg, 'ARCHIVE_HTML_SANITIZER', 0)
        msg = msg_from("""\
            From: poster@example.org
            Subject: html
            Content-Type: text/html

            <p>only html</p>
            """)
        with pytest.raises(Errors.DiscardMessage):
            Scrubber.scrub(mlist, msg)

    def test_embedded_message(self, mlist):
        msg = msg_from(f"""\
            From: poster@example.org
            To: {mlist.GetListEmail()}
            Subject: fwd
            Message-ID: <fwd@example.org>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="XX"

            --XX
            Content-Type: text/plain

            forwarding
            --XX
            Content-Type: message/rfc822

            From: inner@example.net
            Subject: Inner subject
            Date: Sat, 01 Jan 2022 00:00:00 +0000

            inner body
            --XX--
            """)
        Scrubber.scrub(mlist, msg)
        text = body_text(assert_valid_mime(msg))
        assert 'An embedded message was removed' in text
        assert 'Subject: Inner subject' in text
        assert 'From: inner@example.net' in text


# ================================================================== Emergency
class TestEmergency:
    def test_off(self, mlist):
        mlist.emergency = 0
        Emergency.process(mlist, post(mlist), {})
        assert mlist.GetHeldMessageIds() == []

    def test_holds_silently(self, mlist):
        mlist.emergency = 1
        msgdata = {'pipeline': ['Emergency', 'Tagger', 'CalcRecips']}
        with pytest.raises(Emergency.EmergencyHold):
            Emergency.process(mlist, post(mlist), msgdata)
        ids = mlist.GetHeldMessageIds()
        assert len(ids) == 1
        assert virgin(mlist) == []
        assert mlist.pend_cookies() == {}
        # Approved, it goes on after the emergency step.
        assert mlist.GetRecord(ids[0])[5]['pipeline'] == ['Tagger',
                                                          'CalcRecips']

    def test_admin_approval_passes_but_not_plain_approval(self, mlist):
        mlist.emergency = 1
        Emergency.process(mlist, post(mlist), {'adminapproved': 1})
        with pytest.raises(Emergency.EmergencyHold):
            Emergency.process(mlist, post(mlist), {'approved': 1})


# ================================================================== Tagger
class TestTagger:
    def setup_topics(self, mlist):
        mlist.topics_enabled = 1
        mlist.topics = [('python', 'python\nsnake', 'about Python', False),
                        ('perl', r'\bperl\b', 'about Perl', False)]

    def test_disabled(self, mlist):
        self.setup_topics(mlist)
        mlist.topics_enabled = 0
        msg = post(mlist, subject='Python rocks')
        msgdata = {}
        Tagger.process(mlist, msg, msgdata)
        assert 'X-Topics' not in msg and 'topichits' not in msgdata

    def test_subject_and_keywords(self, mlist):
        self.setup_topics(mlist)
        msg = post(mlist, subject='A SNAKE question',
                   extra='Keywords: perl, misc')
        msgdata = {}
        Tagger.process(mlist, msg, msgdata)
        assert msgdata['topichits'] == ['python', 'perl']
        assert msg['X-Topics'] == 'python, perl'

    def test_encoded_subject(self, mlist):
        self.setup_topics(mlist)
        msg = post(mlist, subject='=?utf-8?q?Caf=C3=A9_python?=')
        msgdata = {}
        Tagger.process(mlist, msg, msgdata)
        assert msgdata['topichits'] == ['python']

    def test_body_lines_limit(self, mlist):
        self.setup_topics(mlist)
        body = 'first line\n\nsecond line\nKeywords: perl\n'
        mlist.topics_bodylines_limit = 3
        msgdata = {}
        Tagger.process(mlist, post(mlist, subject='x', body=body), msgdata)
        assert msgdata['topichits'] == ['perl']
        mlist.topics_bodylines_limit = 2    # blank lines do not count
        msgdata = {}
        Tagger.process(mlist, post(mlist, subject='x', body=body), msgdata)
        assert 'topichits' not in msgdata
        mlist.topics_bodylines_limit = 0
        msgdata = {}
        Tagger.process(mlist, post(mlist, subject='x', body=body), msgdata)
        assert 'topichits' not in msgdata
        mlist.topics_bodylines_limit = -1
        msgdata = {}
        Tagger.process(mlist, post(mlist, subject='x',
                                   body='a\nb\nc\nd\ne\nf\nSubject: perl\n'),
                       msgdata)
        assert msgdata['topichits'] == ['perl']

    def test_plain_body_text_does_not_count(self, mlist):
        # Only Subject:/Keywords: lines of the body are looked at.
        self.setup_topics(mlist)
        msgdata = {}
        Tagger.process(mlist, post(mlist, subject='x',
                                   body='I like python.\n'), msgdata)
        assert 'topichits' not in msgdata


# ================================================================== charsets
@pytest.mark.parametrize('charset,text', [
    ('iso-8859-1', 'Gr\u00fc\u00dfe'),
    ('utf-8', '\u65e5\u672c\u8a9e \u2713'),
    ('iso-2022-jp', '\u65e5\u672c\u8a9e'),
    ('koi8-r', '\u041f\u0440\u0438\u0432\u0435\u0442'),
])
def test_handlers_leave_valid_mime(mlist, charset, text, tmp_path,
                                   monkeypatch):
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText
    from email.mime.application import MIMEApplication
    outer = MIMEMultipart('mixed')
    outer['From'] = 'poster@example.org'
    outer['To'] = mlist.GetListEmail()
    outer['Subject'] = 'charset test'
    outer['Message-ID'] = f'<cs-{charset}@example.org>'
    alt = MIMEMultipart('alternative')
    alt.attach(MIMEText(f'Approved: {ADMIN_PW}\n{text}\n', 'plain', charset))
    alt.attach(MIMEText(f'<p>Approved: {ADMIN_PW}</p><p>{text}</p>', 'html',
                        charset))
    outer.attach(alt)
    att = MIMEApplication(b'\x00\x01binary', 'octet-stream')
    att.add_header('Content-Disposition', 'attachment', filename='x.bin')
    outer.attach(att)
    msg = email.message_from_bytes(outer.as_bytes(), _class=Message)
    msgdata = {}
    Approve.process(mlist, msg, msgdata)
    assert msgdata.get('approved')
    again = assert_valid_mime(msg)
    assert text in body_text(again) and ADMIN_PW not in body_text(again)
    mlist.filter_content = 1
    mlist.pass_mime_types = []
    mlist.filter_mime_types = []
    mlist.collapse_alternatives = 1
    mlist.convert_html_to_plaintext = 0
    MimeDel.process(mlist, msg, msgdata)
    again = assert_valid_mime(msg)
    assert text in body_text(again)
    mlist.scrub_nondigest = 1
    Scrubber.process(mlist, msg, {'listname': mlist.internal_name()})
    again = assert_valid_mime(msg)
    assert text in body_text(again)
