"""cron/checkdbs (Mailman.CheckDbs): the daily summary of waiting requests
to owners and moderators, the discarding of posts held too long, and the
forgetting of yesterday's autoresponse counts."""

import email
import os
import shutil
import time
import uuid

import pytest

from Mailman import CheckDbs
from Mailman import Passwords
from Mailman import mm_cfg
from Mailman.MailList import MailList
from Mailman.Message import Message
from unithelp import queued

DAY = 86400


@pytest.fixture
def mlist():
    name = f'checkdbs-{uuid.uuid4().hex[:10]}'
    m = MailList()
    m.Create(name, 'owner@example.com',
             Passwords.hash_password('pw', quick=True))
    m.real_name = 'Checked'
    m.moderator = ['mod@example.com']
    m.admin_immed_notify = 0
    m.Save()
    try:
        yield m
    finally:
        if m.Locked():
            m.Unlock()
        shutil.rmtree(m.fullpath(), ignore_errors=True)
        for entry in os.listdir(mm_cfg.DATA_DIR):
            if entry.startswith(f'heldmsg-{name}-'):
                os.unlink(os.path.join(mm_cfg.DATA_DIR, entry))


def hold(mlist, subject):
    msg = email.message_from_string(
        f'From: poster@example.org\nTo: {mlist.GetListEmail()}\n'
        f'Subject: {subject}\nMessage-ID: <{uuid.uuid4().hex}@example.org>\n'
        '\nBody.\n', _class=Message)
    return mlist.HoldMessage(msg, 'Post by non-member to a members-only list',
                             notify=False)


def summaries(mlist):
    return queued(mm_cfg.VIRGINQUEUE_DIR, mlist.internal_name(), remove=True)


def text_of(msg):
    return msg.get_payload(decode=True).decode(
        msg.get_content_charset() or 'us-ascii')


def test_summary_lists_every_kind_of_request(mlist):
    hold(mlist, 'Held one')
    mlist.HoldSubscription('joiner@example.org', 'Jo Iner', None, 0, 'en')
    mlist.HoldUnsubscription('leaver@example.org')
    mlist.Save()
    mlist.Unlock()
    summaries(mlist)
    assert CheckDbs.run([mlist.internal_name()]) == []
    [(msg, data)] = summaries(mlist)
    assert str(msg['Subject']) == '3 Checked moderator request(s) waiting'
    assert sorted(data['recips']) == ['mod@example.com', 'owner@example.com']
    assert msg['To'] == mlist.GetOwnerEmail()
    text = text_of(msg)
    assert mlist.GetScriptURL('admindb', absolute=1) in text
    assert f'Checked@{mlist.host_name}' in text
    assert 'Pending subscriptions:\n    joiner@example.org (Jo Iner) ' in text
    assert 'Pending unsubscriptions:\n    leaver@example.org' in text
    assert 'From: poster@example.org on ' in text
    assert 'Subject: Held one' in text
    assert 'Cause: Post by non-member to a members-only list' in text
    # Nothing was decided: the requests are all still there.
    mlist.Lock()
    assert mlist.NumRequestsPending() == 3


def test_no_requests_no_mail(mlist):
    mlist.Unlock()
    summaries(mlist)
    assert CheckDbs.run([mlist.internal_name()]) == []
    assert summaries(mlist) == []


def test_old_holds_are_discarded(mlist):
    mlist.max_days_to_hold = 3
    old = hold(mlist, 'Old post')
    old_path = mlist.GetHeldMessagePath(old)
    mlist.Save()
    # Four days later a second post is held; the first is now too old.
    later = time.time() + 4 * DAY
    mlist.Unlock()
    assert CheckDbs.run([mlist.internal_name()], now=later) == []
    [(msg, _)] = summaries(mlist)
    assert str(msg['Subject']) == 'Checked moderator request check result'
    assert '1 held post(s) waited longer than 3 day(s)' in text_of(msg)
    assert not os.path.exists(old_path)
    mlist.Lock()
    assert mlist.GetHeldMessageIds() == []
    fresh = hold(mlist, 'Fresh post')
    mlist.Save()
    mlist.Unlock()
    # With the limit off nothing goes, however old.
    mlist.Lock()
    mlist.max_days_to_hold = 0
    mlist.Save()
    mlist.Unlock()
    assert CheckDbs.run([mlist.internal_name()], now=later + 30 * DAY) == []
    [(msg, _)] = summaries(mlist)
    assert str(msg['Subject']) == '1 Checked moderator request(s) waiting'
    assert 'Subject: Fresh post' in text_of(msg)
    mlist.Lock()
    assert mlist.GetHeldMessageIds() == [fresh]


def test_old_and_new_holds_together(mlist):
    mlist.max_days_to_hold = 1
    hold(mlist, 'Ancient')
    mlist.Save()
    mlist.Unlock()
    later = time.time() + 2 * DAY
    mlist.Lock()
    # A hold made "later": its record carries the later time.
    keep = hold(mlist, 'Recent')
    record = mlist.GetRecord(keep)
    mlist._ListAdmin__db[keep] = (1, (later,) + tuple(record[1:]))
    mlist.Save()
    mlist.Unlock()
    CheckDbs.run([mlist.internal_name()], now=later)
    [(msg, _)] = summaries(mlist)
    text = text_of(msg)
    assert str(msg['Subject']) == '1 Checked moderator request(s) waiting'
    assert text.startswith('1 held post(s) waited longer than 1 day(s)')
    assert 'Subject: Recent' in text and 'Ancient' not in text


def test_yesterdays_autoresponse_counts_are_forgotten(mlist):
    today = tuple(time.localtime()[:3])
    mlist.hold_and_cmd_autoresponses = {
        'old@example.org': ((2001, 1, 1), 5),
        'today@example.org': (today, 2),
    }
    mlist.Save()
    mlist.Unlock()
    CheckDbs.run([mlist.internal_name()])
    fresh = MailList(mlist.internal_name(), lock=0)
    assert fresh.hold_and_cmd_autoresponses == {
        'today@example.org': (today, 2)}


def test_unknown_list_is_reported():
    assert CheckDbs.run(['no-such-list-here']) == ['no-such-list-here']
