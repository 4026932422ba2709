"""cron/checkdbs, cron/mailpasswds and cron/gate_news as installed, run as
cron runs them (python -S).  checkdbs and gate_news look at every list of
the shared install, so each test removes the queue entries its run made
(for other tests' lists too) and checks only its own lists."""

import email
import itertools
import os
import pickle

import pytest

from innserver import NewsServer

_names = itertools.count()

HOLD = '''
import sys
from Mailman.MailList import MailList
mlist = MailList(sys.argv[1])
try:
    mlist.real_name = 'Moderated'
    mlist.moderator = ['mod@example.com']
    mlist.admin_immed_notify = 0
    mlist.HoldSubscription('joiner@example.org', 'Jo', None, 0, 'en')
    mlist.Save()
finally:
    mlist.Unlock()
'''

MEMBERS = '''
import sys
from Mailman import mm_cfg
from Mailman.MailList import MailList
from Mailman.UserDesc import UserDesc
mlist = MailList(sys.argv[1])
try:
    for address in sys.argv[2:]:
        mlist.ApprovedAddMember(UserDesc(address, '', 'pw-in-clear', 0, 'en'),
                                ack=False, admin_notif=False)
    mlist.setMemberOption(sys.argv[-1], mm_cfg.SuppressPasswordReminder, 1)
    mlist.Save()
finally:
    mlist.Unlock()
'''

GATEWAY = '''
import sys
from Mailman.MailList import MailList
mlist = MailList(sys.argv[1])
try:
    mlist.nntp_host, mlist.linked_newsgroup = sys.argv[2], sys.argv[3]
    mlist.gateway_to_mail = 1
    mlist.Save()
finally:
    mlist.Unlock()
'''

WATERMARK = '''
import sys
from Mailman.MailList import MailList
print(getattr(MailList(sys.argv[1], lock=0), 'usenet_watermark', None))
'''

POST = '''
import sys
from Mailman import NNTP
NNTP.post(sys.argv[1], sys.argv[2].encode())
'''


def make_list(install, prefix):
    name = f'{prefix}-{os.getpid()}-{next(_names)}'
    result = install.bin('newlist', '-q', name, 'owner@example.com', 'pw')
    assert result.returncode == 0, result.stderr
    return name


class QueueWatch:
    """Entries that appear in a queue while the watch is on; all of them
    are removed at the end, those of LISTNAME are returned by new()."""

    def __init__(self, install, queue):
        self.directory = install.var_prefix / 'qfiles' / queue
        self.before = set(self._files())

    def _files(self):
        return sorted(self.directory.glob('*.pck')) \
            if self.directory.exists() else []

    def new(self, listname):
        found = []
        for path in self._files():
            if path in self.before:
                continue
            with open(path, 'rb') as f:
                raw = pickle.load(f)
                data = pickle.load(f)
            if data.get('listname') == listname:
                found.append((email.message_from_bytes(raw), data))
        return found

    def clean(self):
        for path in self._files():
            if path not in self.before:
                path.unlink(missing_ok=True)


@pytest.fixture
def virgin(site_install):
    watch = QueueWatch(site_install, 'virgin')
    yield watch
    watch.clean()


@pytest.fixture
def incoming(site_install):
    watch = QueueWatch(site_install, 'in')
    yield watch
    watch.clean()


def test_help(site_install):
    for program, option in (('checkdbs', '--help'), ('mailpasswds', '-l'),
                            ('gate_news', '--help')):
        result = site_install.run_cron(program, '--help')
        assert result.returncode == 0, result.stderr
        assert option in result.stdout


def test_checkdbs(site_install, virgin):
    name = make_list(site_install, 'checkdbs')
    site_install.python(HOLD, name)
    result = site_install.run_cron('checkdbs')
    assert result.returncode == 0, result.stderr
    [(msg, data)] = virgin.new(name)
    assert msg['Subject'] == '1 Moderated moderator request(s) waiting'
    assert sorted(data['recips']) == ['mod@example.com', 'owner@example.com']
    text = msg.get_payload(decode=True).decode()
    assert f'http://www.example.com/mailman/admindb/{name}' in text
    assert 'joiner@example.org (Jo)' in text


def test_mailpasswds(site_install, virgin):
    if not (site_install.var_prefix / 'lists' / 'mailman').exists():
        make_site = site_install.bin('newlist', '-q', 'mailman',
                                     'site@example.com', 'pw')
        assert make_site.returncode == 0, make_site.stderr
    name = make_list(site_install, 'reminded')
    site_install.python(MEMBERS, name, 'ann@example.org', 'quiet@example.org')
    result = site_install.run_cron('mailpasswds', '-l', name)
    assert result.returncode == 0, result.stderr
    [(msg, data)] = virgin.new('mailman')
    assert data['recips'] == ['ann@example.org']
    assert msg['From'] == 'mailman-owner@lists.example.com'
    text = msg.get_payload(decode=True).decode()
    assert f'http://www.example.com/mailman/options/{name}/ann@example.org' \
        in text
    assert 'pw-in-clear' not in text
    missing = site_install.run_cron('mailpasswds', '-l', 'no-such-list-here')
    assert missing.returncode == 1
    assert 'No such list: no-such-list-here' in missing.stderr


@pytest.fixture(scope='module')
def news():
    server = NewsServer().start()
    yield server
    server.stop()


def test_gate_news(site_install, news, incoming):
    group = news.new_group()
    try:
        name = make_list(site_install, 'gated')
        site_install.python(GATEWAY, name, news.hostspec, group)

        def post(subject):
            site_install.python(POST, news.hostspec, (
                f'From: reader@example.org\nNewsgroups: {group}\n'
                f'Subject: {subject}\n\nFrom Usenet.\n'))

        def watermark():
            return site_install.python(WATERMARK, name).stdout.strip()

        post('before the gateway')
        result = site_install.run_cron('gate_news')
        assert result.returncode == 0, result.stderr
        assert watermark() == '1' and incoming.new(name) == []
        post('gated article')
        result = site_install.run_cron('gate_news')
        assert result.returncode == 0, result.stderr
        [(msg, data)] = incoming.new(name)
        assert msg['Subject'] == 'gated article'
        assert data['fromusenet'] == 1
        assert watermark() == '2'
        log = (site_install.var_prefix / 'logs' / 'fromusenet').read_text()
        assert f'posted to list {name}:' in log
    finally:
        news.remove_group(group)
