"""The daily reminder of waiting moderator requests: cron/checkdbs.

For each list, under its lock:
  * yesterday's counts of automatic replies (hold_and_cmd_autoresponses)
    are forgotten, so that the daily limit starts afresh;
  * held posts older than max_days_to_hold days (when that is not 0) are
    discarded, as a moderator pressing Discard would;
  * if requests are still waiting (held posts, subscriptions and
    unsubscriptions awaiting approval), the owners and moderators get one
    message (checkdbs.txt) with the moderation page's address and a list
    of the requests; if only discarded posts were waiting, a short note
    saying so.
"""

import time

from Mailman import Errors
from Mailman import ListAdmin
from Mailman import Message
from Mailman import Utils
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.i18n import _

SECONDS_PER_DAY = 86400



def _counted_before(info, today):
    """Whether the autoresponse count INFO, (day, count), is older than
    TODAY; an entry that cannot be read counts as old, so that it goes."""
    try:
        return tuple(info[0]) < today
    except (TypeError, IndexError, KeyError):
        return True


def forget_old_autoresponses(mlist, now=None):
    """Drop autoresponse counts from before today; True if any went."""
    today = tuple(time.localtime(now)[:3])
    counts = mlist.hold_and_cmd_autoresponses
    stale = [sender for sender, info in counts.items()
             if _counted_before(info, today)]
    for sender in stale:
        del counts[sender]
    return bool(stale)


def discard_expired(mlist, now=None):
    """Discard the held posts older than max_days_to_hold days; returns
    how many went."""
    days = mlist.max_days_to_hold
    if not days or days <= 0:
        return 0
    now = time.time() if now is None else now
    discarded = 0
    for request_id in mlist.GetHeldMessageIds():
        held_at = mlist.GetRecord(request_id)[0]
        if now - held_at > days * SECONDS_PER_DAY:
            mlist.HandleRequest(request_id, mm_cfg.DISCARD)
            discarded += 1
    return discarded


def pending_text(mlist):
    """The waiting requests, one block per kind."""
    charset = Utils.GetCharSet(mlist.preferred_language)
    out = []
    ids = mlist.GetSubscriptionIds()
    if ids:
        out.append(_('Pending subscriptions:'))
    for request_id in ids:
        when, address, fullname = mlist.GetRecord(request_id)[:3]
        name = f' ({fullname})' if fullname else ''
        out.append(f'    {address}{name} {time.ctime(when)}')
    ids = mlist.GetUnsubscriptionIds()
    if ids:
        out.append(_('Pending unsubscriptions:'))
    for request_id in ids:
        out.append(f'    {mlist.GetRecord(request_id)}')
    ids = mlist.GetHeldMessageIds()
    if ids:
        out.append('')
        out.append(_('Pending posts:'))
    for request_id in ids:
        when, sender, subject, reason = mlist.GetRecord(request_id)[:4]
        out.append(_('From: %(sender)s on %(date)s') % {
            'sender': sender, 'date': time.ctime(when)})
        out.append(_('Subject: %(subject)s') % {
            'subject': ListAdmin.oneline(subject, charset)})
        out.append(_('Cause: %(reason)s') % {'reason': _(reason)})
        out.append('')
    return '\n'.join(out)


def check_list(mlist, now=None):
    """Do the daily work for the locked MLIST; returns the number of
    requests the owners were told about."""
    changed = forget_old_autoresponses(mlist, now)
    if not mlist.NumRequestsPending():
        if changed:
            mlist.Save()
        return 0
    with i18n.using(mlist.preferred_language):
        discarded = discard_expired(mlist, now)
        count = mlist.NumRequestsPending()
        realname = mlist.real_name
        text = ''
        if discarded:
            text = _('%(discarded)d held post(s) waited longer than '
                     '%(days)d day(s) and were discarded.') % {
                'discarded': discarded, 'days': mlist.max_days_to_hold}
            text = Utils.wrap(text) + '\n\n'
        if count:
            text += Utils.maketext('checkdbs.txt', {
                'count': count,
                'host_name': mlist.host_name,
                'adminDB': mlist.GetScriptURL('admindb', absolute=1),
                'real_name': realname,
            }, lang=mlist.preferred_language, mlist=mlist)
            text += '\n' + pending_text(mlist)
            subject = _('%(count)d %(realname)s moderator request(s) '
                        'waiting') % {'count': count, 'realname': realname}
        else:
            subject = _('%(realname)s moderator request check result') % {
                'realname': realname}
        notice = Message.OwnerNotification(mlist, subject, text,
                                           tomoderators=1)
    notice.send(mlist, tomoderators=1)
    mlist.Save()
    return count


def run(listnames=None, now=None):
    """Check LISTNAMES (default: every list).  Returns the names of the
    lists that could not be checked."""
    from Mailman.MailList import MailList
    from Mailman.Logging.Syslog import syslog
    failed = []
    for name in listnames or Utils.list_names():
        try:
            mlist = MailList(name, lock=1)
        except Errors.MMListError as error:
            syslog('error', 'checkdbs: list %s cannot be loaded: %s',
                   name, error)
            failed.append(name)
            continue
        try:
            check_list(mlist, now)
        except Exception as error:
            # One broken list must not keep the others' owners uninformed.
            syslog('error', 'checkdbs: list %s: %s', name, error)
            failed.append(name)
        finally:
            mlist.Unlock()
    return failed
