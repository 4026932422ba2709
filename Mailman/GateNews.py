"""Gating Usenet into lists: the work of cron/gate_news.

For each list with gateway_to_mail set, the articles of its
linked_newsgroup on its nntp_host that are newer than the list's
watermark (mlist.usenet_watermark, the number of the last article
handled) go to the incoming queue, marked fromusenet, addressed to the
list.  A list that has no watermark yet only records the group's newest
article number, so that switching the gateway on does not flood the list
with the group's whole history.  Articles that carry the list's own
X-BeenThere came from the list in the first place and are skipped.

A 2.0 site kept the watermarks in one pickle, data/gate_watermarks
({listname: number}); a list that has never had a usenet_watermark takes
its number from there.  The admin page's mass catch-up sets the watermark
to None, which makes the next poll catch up again.

The whole run holds locks/gate_news.lock, so that two runs (cron every
five minutes, a slow server) never gate the same articles twice.
"""

import email
import os

from Mailman import ListFile
from Mailman import LockFile
from Mailman import NNTP
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog
from Mailman.Message import Message

LOCK_FILE = os.path.join(mm_cfg.LOCK_DIR, 'gate_news.lock')
LOCK_LIFETIME = mm_cfg.hours(2)
OLD_WATERMARKS = os.path.join(mm_cfg.DATA_DIR, 'gate_watermarks')
LOG = 'fromusenet'


def run():
    """Gate every list that asks for it.  Returns the number of lists that
    could not be gated (0 when another run holds the lock)."""
    glock = LockFile.LockFile(LOCK_FILE, lifetime=LOCK_LIFETIME)
    try:
        glock.lock(timeout=0.5)
    except LockFile.TimeOutError:
        syslog(LOG, 'Could not acquire gate_news lock')
        return 0
    try:
        failures = 0
        for listname in Utils.list_names():
            glock.refresh()
            if not gate_list(listname, glock):
                failures += 1
        return failures
    finally:
        glock.unlock(unconditionally=True)


def _old_watermark(listname):
    """The list's number in a 2.0 data/gate_watermarks, or None."""
    try:
        marks = ListFile.load_pickle_file(OLD_WATERMARKS)
    except FileNotFoundError:
        return None
    except Exception as error:
        syslog(LOG, 'cannot read %s: %s', OLD_WATERMARKS, error)
        return None
    value = marks.get(listname) if isinstance(marks, dict) else None
    return value if isinstance(value, int) else None


def gate_list(listname, glock=None):
    """Gate LISTNAME's newsgroup if it asks for it.  False when something
    went wrong (logged in logs/fromusenet)."""
    from Mailman.MailList import MailList
    try:
        mlist = MailList(listname, lock=0)
    except Exception as error:
        syslog('error', 'gate_news: list %s cannot be loaded: %s',
               listname, error)
        return False
    if not mlist.gateway_to_mail:
        return True
    if not mlist.nntp_host or not mlist.linked_newsgroup:
        syslog(LOG, '%s: gateway_to_mail is set but nntp_host or '
               'linked_newsgroup is empty', listname)
        return False
    try:
        reader = NNTP.Reader(mlist.nntp_host, mm_cfg.NNTP_USERNAME,
                             mm_cfg.NNTP_PASSWORD)
    except (OSError, NNTP.NNTPError) as error:
        syslog(LOG, 'error opening newsgroup %s for list %s: %s',
               mlist.linked_newsgroup, listname, error)
        return False
    with reader:
        try:
            _count, first, last = reader.group(mlist.linked_newsgroup)
        except (OSError, NNTP.NNTPError) as error:
            syslog(LOG, 'error opening newsgroup %s for list %s: %s',
                   mlist.linked_newsgroup, listname, error)
            return False
        try:
            mlist.Lock(timeout=mm_cfg.LIST_LOCK_TIMEOUT)
        except LockFile.TimeOutError:
            syslog(LOG, 'Could not acquire list lock: %s', listname)
            return False
        try:
            if hasattr(mlist, 'usenet_watermark'):
                # None here: the admin page's mass catch-up asked for one.
                watermark = mlist.usenet_watermark
            else:
                watermark = _old_watermark(listname)
            if watermark is None:
                # First poll: catch up rather than flood the list.
                mlist.usenet_watermark = last
                syslog(LOG, '%s caught up to article %d', listname, last)
                ok = True
            else:
                start = max(watermark + 1, first)
                syslog(LOG, '%s: [%d..%d]', listname, start, last)
                ok = _poll(mlist, reader, start, last, glock)
            mlist.Save()
        finally:
            mlist.Unlock()
    syslog(LOG, '%s watermark: %d', listname, mlist.usenet_watermark)
    return ok


def _poll(mlist, reader, start, last, glock):
    """Queue articles START..LAST; the watermark follows each article
    handled, so that an error leaves it at the last good one."""
    from Mailman.Queue.Switchboard import Switchboard
    inqueue = Switchboard(mm_cfg.INQUEUE_DIR)
    listname = mlist.internal_name()
    for number in range(start, last + 1):
        if glock is not None:
            glock.refresh()
        try:
            msg = _fetch(mlist, reader, number)
        except (OSError, NNTP.NNTPError) as error:
            syslog(LOG, 'NNTP error for list %s: %7d: %s', listname,
                   number, error)
            # The connection may be unusable now; try again next run.
            return False
        if msg is not None:
            inqueue.enqueue(msg, listname=listname, fromusenet=1)
            syslog(LOG, 'posted to list %s: %7d', listname, number)
        mlist.usenet_watermark = number
    return True


def _been_there(headers, listaddr):
    for line in headers:
        name, colon, value = line.partition(b':')
        if colon and name.strip().lower() == b'x-beenthere' and \
                value.strip().lower() == listaddr.lower().encode():
            return True
    return False


def _fetch(mlist, reader, number):
    """Article NUMBER as a message for the list, or None when it is gone
    or came from the list itself."""
    headers = reader.head(number)
    if headers is None or _been_there(headers, mlist.GetListEmail()):
        return None
    body = reader.body(number)
    if body is None:
        return None
    raw = b'\n'.join([*headers, b'', *body, b''])
    msg = email.message_from_bytes(raw, _class=Message)
    if msg['To'] is not None:
        # Keep where the article was addressed, but send it to the list.
        del msg['X-Originally-To']
        msg['X-Originally-To'] = msg['To']
        del msg['To']
    msg['To'] = mlist.GetListEmail()
    return msg
