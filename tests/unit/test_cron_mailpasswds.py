"""cron/mailpasswds (Mailman.Reminders): one membership reminder per
address and virtual host, without passwords, honouring send_reminders, the
members' "remind" option, umbrella lists and VERP_PASSWORD_REMINDERS."""

import shutil
import uuid

import pytest

from Mailman import Errors
from Mailman import Passwords
from Mailman import Reminders
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.MailList import MailList
from Mailman.UserDesc import UserDesc
from unithelp import queued

SITE = mm_cfg.MAILMAN_SITE_LIST


@pytest.fixture
def site_list():
    """The site list, which sends the reminders (made if missing)."""
    created = not Utils.list_exists(SITE)
    if created:
        m = MailList()
        m.Create(SITE, 'site@example.com',
                 Passwords.hash_password('pw', quick=True))
        m.Save()
        m.Unlock()
    yield SITE
    if created:
        shutil.rmtree(MailList(SITE, lock=0).fullpath(), ignore_errors=True)


@pytest.fixture
def make_list():
    made = []

    def make(host='lists.example.com', reminders=True):
        name = f'remind-{uuid.uuid4().hex[:10]}'
        m = MailList()
        m.Create(name, 'owner@example.com',
                 Passwords.hash_password('pw', quick=True))
        m.host_name = host
        m.web_page_url = f'http://www.{host}/mailman/'
        m.send_reminders = int(reminders)
        m.Save()
        made.append(m)
        return m

    yield make
    for m in made:
        if m.Locked():
            m.Unlock()
        shutil.rmtree(m.fullpath(), ignore_errors=True)


def subscribe(mlist, address, digest=0, language='en'):
    mlist.ApprovedAddMember(UserDesc(address, '', 'secret-pw', digest,
                                     language), ack=False, admin_notif=False)


def reminders():
    """The reminders queued by the site list, by recipient."""
    found = queued(mm_cfg.VIRGINQUEUE_DIR, SITE, remove=True)
    return {msg['To']: (msg, data) for msg, data in found}


def text_of(msg):
    return msg.get_payload(decode=True).decode(
        msg.get_content_charset() or 'us-ascii')


def finish(*mlists):
    for m in mlists:
        m.Save()
        m.Unlock()
    return [m.internal_name() for m in mlists]


def test_one_reminder_per_address_and_host(site_list, make_list):
    first = make_list()
    second = make_list()
    other_host = make_list(host='other.example.net')
    silent = make_list(reminders=False)
    subscribe(first, 'Ann@Example.org')
    subscribe(second, 'ann@example.org', digest=1)
    subscribe(other_host, 'ann@example.org')
    subscribe(silent, 'ann@example.org')
    subscribe(first, 'quiet@example.org')
    first.setMemberOption('quiet@example.org',
                          mm_cfg.SuppressPasswordReminder, 1)
    subscribe(second, 'quiet@example.org')
    names = finish(first, second, other_host, silent)
    reminders()
    Reminders.run(names)
    # {(host of the sender, recipient in lower case): (message, metadata)}
    sent = {}
    for msg, data in queued(mm_cfg.VIRGINQUEUE_DIR, SITE, remove=True):
        host = data['envsender'].split('@')[1]
        sent[host, msg['To'].lower()] = (msg, data)
    assert sorted(sent) == [('lists.example.com', 'ann@example.org'),
                            ('lists.example.com', 'quiet@example.org'),
                            ('other.example.net', 'ann@example.org')]
    # Ann at lists.example.com: both lists in one message, but not the
    # list without reminders nor the list on the other host.
    msg, data = sent['lists.example.com', 'ann@example.org']
    text = text_of(msg)
    assert str(msg['Subject']) == \
        'lists.example.com mailing list memberships reminder'
    assert msg['From'] == 'mailman-owner@lists.example.com'
    assert data['envsender'] == 'mailman-bounces@lists.example.com'
    assert msg['X-No-Archive'] == 'yes'
    assert msg['Auto-Submitted'] == 'auto-generated'
    assert data['recips'] == [msg['To']]
    assert not data.get('verp')
    assert first.GetListEmail() in text and second.GetListEmail() in text
    assert first.GetOptionsURL('Ann@Example.org', absolute=True) in text
    assert second.GetOptionsURL('ann@example.org', absolute=True) in text
    assert silent.GetListEmail() not in text
    assert other_host.GetListEmail() not in text
    assert 'secret-pw' not in text
    assert 'login link' in ' '.join(text.split())
    # The other host gets its own message, from its own site address.
    msg, data = sent['other.example.net', 'ann@example.org']
    assert msg['From'] == 'mailman-owner@other.example.net'
    assert other_host.GetListEmail() in text_of(msg)
    # quiet turned reminders off for the first list only.
    msg, data = sent['lists.example.com', 'quiet@example.org']
    assert second.GetListEmail() in text_of(msg)
    assert first.GetListEmail() not in text_of(msg)


def test_listname_limits_and_verp(site_list, make_list, monkeypatch):
    first = make_list()
    second = make_list()
    subscribe(first, 'bob@example.org')
    subscribe(second, 'bob@example.org')
    names = finish(first, second)
    monkeypatch.setattr(mm_cfg, 'VERP_PASSWORD_REMINDERS', 1)
    reminders()
    Reminders.run([names[1]])
    [(msg, data)] = reminders().values()
    assert data['verp'] == 1
    text = text_of(msg)
    assert second.GetListEmail() in text and first.GetListEmail() not in text


def test_umbrella_list_reminds_the_member_lists_owners(site_list, make_list):
    umbrella = make_list()
    umbrella.umbrella_list = 1
    umbrella.umbrella_member_suffix = '-owner'
    subscribe(umbrella, 'sublist@example.org')
    names = finish(umbrella)
    reminders()
    Reminders.run(names)
    [(msg, data)] = reminders().values()
    assert msg['To'] == 'sublist-owner@example.org'
    assert data['recips'] == ['sublist-owner@example.org']
    text = text_of(msg)
    assert 'member address: sublist@example.org' in text
    assert umbrella.GetOptionsURL('sublist@example.org', absolute=True) in text


def test_language_most_memberships_use(make_list):
    entries = [Reminders.Entry('a', 'a@h', 'x@y', 'u', lang, 'a-request@h')
               for lang in ('de', 'fr', 'fr', 'de')]
    assert Reminders.favourite_language(entries) == 'de'
    entries.append(entries[1])
    assert Reminders.favourite_language(entries) == 'fr'


def test_missing_site_list_is_a_clear_error(make_list, monkeypatch):
    monkeypatch.setattr(mm_cfg, 'MAILMAN_SITE_LIST', 'no-such-site-list')
    with pytest.raises(Errors.MMUnknownListError, match='bin/newlist'):
        Reminders.run([])
