"""Bounce scoring (Bouncer.registerBounce) and the daily pass of
cron/disabled (processDisabledMembers), over a simulated clock
(mm_cfg.TEST_CLOCK_FILE): scores, one per day, stale records, disabling,
the warnings with their one re-enable cookie, removal, owner notices."""

import re
import shutil
import time
import uuid

import pytest

from unithelp import log_text, queued

DAY = 24 * 60 * 60
MEMBERS = ['dead@example.com', 'alive@example.com', 'Mixed.Case@Example.org']


@pytest.fixture
def clock(tmp_path, monkeypatch):
    """A clock to move forward: clock.days(n) sets it n days ahead."""
    from Mailman import mm_cfg
    path = tmp_path / 'clock'
    path.write_text('0')
    monkeypatch.setattr(mm_cfg, 'TEST_CLOCK_FILE', str(path), raising=False)

    class Clock:
        @staticmethod
        def days(count):
            path.write_text(str(count * DAY))

        @staticmethod
        def today():
            from Mailman.Bouncer import clock_today
            return clock_today()
    return Clock()


@pytest.fixture
def mlist():
    from Mailman import mm_cfg
    from Mailman import Passwords
    from Mailman.MailList import MailList
    name = 'bnc-' + uuid.uuid4().hex[:10]
    m = MailList()
    m.Create(name, 'owner@example.com', Passwords.hash_password('adminpw'))
    m.send_goodbye_msg = False
    for address in MEMBERS:
        m.addNewMember(address)
    m.Save()
    queued(mm_cfg.VIRGINQUEUE_DIR, remove=True)
    try:
        yield m
    finally:
        if m.Locked():
            m.Unlock()
        shutil.rmtree(m.fullpath(), ignore_errors=True)
        queued(mm_cfg.VIRGINQUEUE_DIR, remove=True)


def bounce_message():
    from Mailman.Message import Message
    msg = Message()
    msg['From'] = 'MAILER-DAEMON@example.com'
    msg['Subject'] = 'Undelivered Mail Returned to Sender'
    msg.set_payload('dead@example.com: unknown user\n')
    return msg


def sent(mlist):
    """(to, subject, body) of every message queued since the last call."""
    from Mailman import mm_cfg
    found = []
    for msg, data in queued(mm_cfg.VIRGINQUEUE_DIR, mlist.internal_name(),
                            remove=True):
        if msg.is_multipart():
            body = msg.get_payload(0).get_payload(decode=True).decode()
        else:
            body = msg.get_payload(decode=True).decode()
        subject = ' '.join(str(msg['subject']).split())
        found.append((data['recips'], subject, body))
    return found


def bounce_days(mlist, clock, member, days):
    """Register a bounce of MEMBER on each of DAYS (offsets from now)."""
    for day in days:
        clock.days(day)
        mlist.registerBounce(member, bounce_message())


def untouched(mlist, *members):
    from Mailman import MemberAdaptor
    for member in members:
        assert mlist.isMember(member)
        assert mlist.getDeliveryStatus(member) == MemberAdaptor.ENABLED
        assert mlist.getBounceInfo(member) is None


# ---------------------------------------------------------------- scoring
def test_one_score_per_day(mlist, clock):
    mlist.registerBounce('dead@example.com', bounce_message())
    mlist.registerBounce('dead@example.com', bounce_message())
    mlist.registerBounce('DEAD@example.com', bounce_message())
    info = mlist.getBounceInfo('dead@example.com')
    assert info.score == 1.0
    assert info.date == clock.today()
    assert info.noticesleft == mlist.bounce_you_are_disabled_warnings
    clock.days(1)
    mlist.registerBounce('dead@example.com', bounce_message())
    assert mlist.getBounceInfo('dead@example.com').score == 2.0
    # An event of an earlier day registered late does not count again.
    mlist.registerBounce('dead@example.com', bounce_message(),
                         day=time.localtime(time.time())[:3])
    assert mlist.getBounceInfo('dead@example.com').score == 2.0
    assert 'already scored a bounce' in log_text('bounce')
    untouched(mlist, 'alive@example.com', 'mixed.case@example.org')


def test_stale_record_starts_again(mlist, clock):
    bounce_days(mlist, clock, 'dead@example.com', [0, 1, 2])
    assert mlist.getBounceInfo('dead@example.com').score == 3.0
    # bounce_info_stale_after is 7 days: a bounce 8 days later starts over.
    bounce_days(mlist, clock, 'dead@example.com', [10])
    info = mlist.getBounceInfo('dead@example.com')
    assert info.score == 1.0
    assert info.date == clock.today()


def test_non_member_and_disabled_member_ignored(mlist, clock):
    from Mailman import MemberAdaptor
    mlist.registerBounce('stranger@example.com', bounce_message())
    assert mlist.bounce_info == {}
    mlist.setDeliveryStatus('alive@example.com', MemberAdaptor.BYUSER)
    mlist.registerBounce('alive@example.com', bounce_message())
    assert mlist.getBounceInfo('alive@example.com') is None
    assert mlist.getDeliveryStatus('alive@example.com') == \
        MemberAdaptor.BYUSER
    assert 'residual bounce' in log_text('bounce')


def test_owner_told_of_increments_when_asked(mlist, clock):
    mlist.bounce_notify_owner_on_bounce_increment = True
    bounce_days(mlist, clock, 'dead@example.com', [0, 0, 1])
    notices = sent(mlist)
    assert len(notices) == 2
    for recips, subject, body in notices:
        assert recips == ['owner@example.com']
        assert subject == 'Bounce action notification'
        assert 'dead@example.com' in body
        assert 'bounce score incremented' in body


# ------------------------------------------------------- disable and warn
def disable_dead(mlist, clock):
    """Five days of bounces: dead@ is disabled.  Returns the cookie."""
    from Mailman import MemberAdaptor
    bounce_days(mlist, clock, 'dead@example.com', [0, 1, 2, 3])
    assert mlist.getDeliveryStatus('dead@example.com') == \
        MemberAdaptor.ENABLED
    assert sent(mlist) == []
    bounce_days(mlist, clock, 'dead@example.com', [4])
    assert mlist.getDeliveryStatus('dead@example.com') == \
        MemberAdaptor.BYBOUNCE
    info = mlist.getBounceInfo('dead@example.com')
    assert info.score == 5.0
    return info.cookie


def test_threshold_disables_warns_and_tells_owner(mlist, clock):
    from Mailman import Pending
    cookie = disable_dead(mlist, clock)
    assert Pending.valid_cookie(cookie)
    assert mlist.pend_confirm(cookie, expunge=False) == \
        (Pending.RE_ENABLE, mlist.internal_name(), 'dead@example.com')
    notices = sent(mlist)
    by_recipient = {tuple(recips): (subject, body)
                    for recips, subject, body in notices}
    assert set(by_recipient) == {('owner@example.com',),
                                 ('dead@example.com',)}
    subject, body = by_recipient[('dead@example.com',)]
    assert subject == f'confirm {cookie}'
    assert 'excessive bounces' in body
    assert f'/confirm/{mlist.internal_name()}/{cookie}' in body
    assert 'You will get 2 more reminders' in body
    subject, body = by_recipient[('owner@example.com',)]
    assert subject == 'Bounce action notification'
    assert 'delivery disabled' in body
    info = mlist.getBounceInfo('dead@example.com')
    assert info.noticesleft == 2
    assert info.lastnotice == clock.today()
    untouched(mlist, 'alive@example.com', 'mixed.case@example.org')


def test_no_owner_notice_when_turned_off(mlist, clock):
    mlist.bounce_notify_owner_on_disable = False
    disable_dead(mlist, clock)
    assert [r for r, _s, _b in sent(mlist)] == [['dead@example.com']]


def test_daily_pass_warns_with_one_cookie_then_removes(mlist, clock):
    from Mailman import Pending
    cookie = disable_dead(mlist, clock)
    sent(mlist)
    # Not due yet: the interval is 7 days.
    for day in (4, 5, 10):
        clock.days(day)
        assert mlist.processDisabledMembers() == (0, 0, 0)
    assert sent(mlist) == []
    cookies = set()
    for day, left in ((11, 1), (18, 0)):
        clock.days(day)
        assert mlist.processDisabledMembers() == (1, 0, 0)
        (recips, subject, body), = sent(mlist)
        assert recips == ['dead@example.com']
        cookies.add(subject.split()[-1])
        assert mlist.getBounceInfo('dead@example.com').noticesleft == left
        # The same cookie, and still live however long the warnings take.
        assert mlist.pend_confirm(cookie, expunge=False)[0] == \
            Pending.RE_ENABLE
    assert cookies == {cookie}
    re_enables = [c for c, entry in mlist.pend_cookies().items()
                  if entry[0] == Pending.RE_ENABLE]
    assert re_enables == [cookie]
    clock.days(24)
    assert mlist.processDisabledMembers() == (0, 0, 0)
    clock.days(25)
    assert mlist.processDisabledMembers() == (0, 1, 0)
    assert not mlist.isMember('dead@example.com')
    assert 'dead@example.com' not in mlist.bounce_info
    assert 'dead@example.com' not in mlist.delivery_status
    assert mlist.pend_confirm(cookie, expunge=False) is None
    (recips, subject, body), = sent(mlist)
    assert recips == ['owner@example.com']
    assert subject == (f'dead@example.com unsubscribed from '
                       f'{mlist.real_name} mailing list due to bounces')
    assert 'removed from the list' in body
    assert 'deleted after exhausting notices' in log_text('bounce')
    untouched(mlist, 'alive@example.com', 'mixed.case@example.org')


def test_force_and_cron_twice_a_day(mlist, clock):
    disable_dead(mlist, clock)
    sent(mlist)
    assert mlist.processDisabledMembers(force=True) == (1, 0, 0)
    assert mlist.processDisabledMembers() == (0, 0, 0)
    assert len(sent(mlist)) == 1


def test_confirming_the_cookie_re_enables(mlist, clock):
    from Mailman import MemberAdaptor
    from Mailman.UserDesc import UserDesc
    cookie = disable_dead(mlist, clock)
    result = mlist.ProcessConfirmation(cookie, UserDesc())
    assert result[1] == 'dead@example.com'
    assert mlist.getDeliveryStatus('dead@example.com') == \
        MemberAdaptor.ENABLED
    assert mlist.getBounceInfo('dead@example.com') is None
    # The cookie is used up; a new bounce starts a new record.
    clock.days(30)
    mlist.registerBounce('dead@example.com', bounce_message())
    assert mlist.getBounceInfo('dead@example.com').score == 1.0


def test_daily_pass_drops_stale_and_catches_up(mlist, clock):
    from Mailman import MemberAdaptor
    bounce_days(mlist, clock, 'alive@example.com', [0])
    bounce_days(mlist, clock, 'mixed.case@example.org', [0, 1, 2])
    # The owner lowers the threshold: the next pass disables at once.
    mlist.bounce_score_threshold = 3.0
    clock.days(3)
    assert mlist.processDisabledMembers() == (0, 0, 1)
    assert mlist.getDeliveryStatus('mixed.case@example.org') == \
        MemberAdaptor.BYBOUNCE
    (_r, subject, _b), = [n for n in sent(mlist)
                          if n[0] == ['Mixed.Case@Example.org']]
    assert re.fullmatch(r'confirm [0-9a-f]{40}', subject)
    assert mlist.getBounceInfo('alive@example.com') is not None
    clock.days(9)
    mlist.processDisabledMembers()
    assert mlist.getBounceInfo('alive@example.com') is None
    assert 'stale bounce info dropped' in log_text('bounce')


def test_other_disabled_members_only_when_asked(mlist, clock):
    from Mailman import MemberAdaptor
    mlist.setDeliveryStatus('alive@example.com', MemberAdaptor.BYADMIN)
    assert mlist.processDisabledMembers() == (0, 0, 0)
    assert sent(mlist) == []
    statuses = (MemberAdaptor.BYBOUNCE, MemberAdaptor.BYADMIN)
    assert mlist.processDisabledMembers(statuses) == (1, 0, 0)
    (recips, _subject, body), = sent(mlist)
    assert recips == ['alive@example.com']
    assert 'administrator' in body


def test_bounce_info_survives_save_and_load(mlist, clock):
    from Mailman.MailList import MailList
    cookie = disable_dead(mlist, clock)
    mlist.Save()
    mlist.Unlock()
    again = MailList(mlist.internal_name(), lock=0)
    info = again.getBounceInfo('dead@example.com')
    assert (info.score, info.cookie, info.noticesleft) == (5.0, cookie, 2)


def test_re_enable_on_the_confirm_page(clock):
    """The link in disabled.txt: the confirm page shows the re-enable
    request, and its form turns delivery on again."""
    from Mailman import MemberAdaptor
    from webhelp import call, drain_virgin, make_list, reload
    m = make_list(prefix='bncweb', bounce_score_threshold=1.0)
    try:
        m.Lock()
        m.addNewMember('dead@example.com')
        m.registerBounce('dead@example.com', bounce_message())
        m.Save()
        m.Unlock()
        cookie = m.getBounceInfo('dead@example.com').cookie
        drain_virgin()
        page = call('confirm', f'/{m.internal_name()}/{cookie}')
        assert page.status == 200
        assert 'Re-enable delivery' in page.plain
        assert 'dead@example.com' in page.plain
        page = call('confirm', f'/{m.internal_name()}/{cookie}', 'POST',
                    {'cookie': cookie, 'submit': 'Confirm',
                     'confirm_token': page.hidden('confirm_token')})
        assert page.status == 200 and 're-enabled' in page.plain
        fresh = reload(m)
        assert fresh.getDeliveryStatus('dead@example.com') == \
            MemberAdaptor.ENABLED
        assert fresh.getBounceInfo('dead@example.com') is None
    finally:
        shutil.rmtree(m.fullpath(), ignore_errors=True)
        drain_virgin()
