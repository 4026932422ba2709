"""The bounces queue (qfiles/bounces): mail to a list's -bounces address.

For each message:

1. A bounce to the site list (the envelope sender of Mailman's own
   notices) is passed on to the site list's owners, with the site -loop
   address as envelope sender so that a bounce of that cannot loop.
2. With the list's bounce_processing off, the message is dropped (logged).
3. The bounce detectors (Mailman.Bouncers.BouncerAPI.scan) read the
   message.  A delay or warning notice is ignored; so are a refusal caused
   by the list itself (a DMARC rejection, the list server on a blocklist,
   a spam verdict: the member's address is fine) and an auto-reply.
4. A VERP'd bounce names the member in its recipient address:
   <list>-bounces+<mailbox>=<host>@<domain> in To, Delivered-To,
   Envelope-To or Apparently-To, matched with VERP_REGEXP; that address
   is the one that bounced, whatever the notice says.  A bounce to
   <list>-bounces+<token>@<domain> (VERP_PROBE_REGEXP) with a live probe
   token is a probe (VERP_PROBES) that came back: the member it was sent
   to is disabled at once.  Otherwise the addresses are the ones the
   detectors found.
5. A bounce that returns a message this list did not send (another list's
   post, spam sent in the list's name) is dropped: it says nothing about
   this list's members.
6. Addresses found are bounce events: logged in logs/bounce and, under the
   list lock, given to mlist.registerBounce() every REGISTER_BOUNCES_EVERY
   and when the runner stops.  Events wait in
   data/bounce-events-<pid>.pck, so a runner that dies loses none: the next
   runner on the same host takes over the file of a dead one.
7. A bounce nothing could be made of is forwarded to the list owners when
   bounce_unrecognized_goes_to_list_owner is set, else dropped (logged).

BounceMixin is shared with OutgoingRunner, which registers permanent SMTP
failures the same way (leaving out refusals caused by the list).
"""

import email.message
import email.utils
import os
import pickle
import re
import socket
import time

from Mailman import MemberAdaptor
from Mailman import Message
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.i18n import _
from Mailman.Logging.Syslog import syslog
from Mailman.LockFile import pid_alive
from Mailman.Queue.Runner import Runner, lock_list
from Mailman.Queue.Switchboard import Switchboard, message_bytes

EVENTS_FILE_MODE = 0o660
_EVENTS_NAME = re.compile(r'^bounce-events-(\d+)\.pck$')
_VERP_HEADERS = ('to', 'delivered-to', 'envelope-to', 'apparently-to')


def _hostname():
    return socket.gethostname() or 'localhost'


class BounceMixin:
    """Bounce events, kept in a file and registered in batches."""

    def __init__(self):
        self._bounce_events_file = os.path.join(
            mm_cfg.DATA_DIR, f'bounce-events-{os.getpid():05d}.pck')
        self._nextaction = time.time() + mm_cfg.REGISTER_BOUNCES_EVERY
        self._adopt_orphaned_events()

    # ------------------------------------------------------------ events
    def _queue_bounces(self, listname, addrs, msg):
        """Record that ADDRS bounced MSG on list LISTNAME."""
        from Mailman.Bouncer import clock_today
        today = clock_today()
        try:
            raw = message_bytes(msg)
        except Exception:
            raw = b''
        events = [(listname, addr, today, raw) for addr in addrs]
        self._append_events(events)
        for addr in addrs:
            syslog('bounce', '%s: %s bounce queued for registration, '
                   'msgid: %s', listname, addr,
                   msg.get('message-id', 'n/a'))

    def _append_events(self, events):
        new = not os.path.exists(self._bounce_events_file)
        fd = os.open(self._bounce_events_file,
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT, EVENTS_FILE_MODE)
        with os.fdopen(fd, 'ab') as fp:
            try:
                os.fchmod(fd, EVENTS_FILE_MODE)
            except OSError:
                pass
            if new:
                pickle.dump({'host': _hostname(), 'pid': os.getpid()}, fp,
                            protocol=4)
            for event in events:
                pickle.dump(event, fp, protocol=4)
            fp.flush()
            os.fsync(fp.fileno())

    @staticmethod
    def _read_events(path):
        header, events = None, []
        try:
            with open(path, 'rb') as fp:
                while True:
                    try:
                        item = pickle.load(fp)
                    except EOFError:
                        break
                    if isinstance(item, dict):
                        header = header or item
                    elif isinstance(item, tuple) and len(item) == 4:
                        events.append(item)
        except FileNotFoundError:
            pass
        except Exception as error:
            # A torn last record (a crash while appending): keep the rest.
            syslog('bounce', 'bounce events file %s damaged: %s', path, error)
        return header, events

    def _adopt_orphaned_events(self):
        """Take over the events of runners of this host that died."""
        try:
            names = os.listdir(mm_cfg.DATA_DIR)
        except OSError:
            return
        for name in names:
            found = _EVENTS_NAME.match(name)
            if not found:
                continue
            pid = int(found.group(1))
            path = os.path.join(mm_cfg.DATA_DIR, name)
            if pid == os.getpid() or path == self._bounce_events_file:
                continue
            header, _events = self._read_events(path)
            if not header or header.get('host') != _hostname() or \
                    pid_alive(pid):
                continue
            claimed = f'{self._bounce_events_file}.adopt.{pid}'
            try:
                os.rename(path, claimed)
            except OSError:
                continue        # another runner got it first
            _header, events = self._read_events(claimed)
            if events:
                self._append_events(events)
            os.unlink(claimed)
            syslog('bounce', 'took over %d bounce event(s) of dead process '
                   '%d', len(events), pid)

    def _register_bounces(self):
        """Give the recorded events to their lists."""
        _header, events = self._read_events(self._bounce_events_file)
        if not events:
            self._remove_events_file()
            return
        by_list = {}
        for event in events:
            by_list.setdefault(event[0], []).append(event)
        left = []
        for listname, list_events in by_list.items():
            if not self._register_list_bounces(listname, list_events):
                left.extend(list_events)
        self._remove_events_file()
        if left:
            self._append_events(left)

    def _register_list_bounces(self, listname, events):
        """Register EVENTS on LISTNAME; False to keep them for later."""
        from Mailman import Errors
        from Mailman.MailList import MailList
        try:
            mlist = MailList(listname, lock=0)
        except Errors.MMListError as error:
            syslog('bounce', '%s: bounces for a list that cannot be opened '
                   '(%s) dropped: %s', listname, error,
                   ', '.join(e[1] for e in events))
            return True
        register = getattr(mlist, 'registerBounce', None)
        if register is None:
            for _name, addr, day, _raw in events:
                syslog('bounce', '%s: %s bounced on %04d-%02d-%02d '
                       '(bounce scoring is not available)', listname, addr,
                       *day)
            return True
        if not lock_list(mlist):
            syslog('bounce', '%s: list locked, %d bounce(s) kept for later',
                   listname, len(events))
            return False
        try:
            for _name, addr, day, raw in events:
                msg = Message.Message()
                if raw:
                    from Mailman.Queue.Switchboard import parse_message
                    try:
                        msg = parse_message(raw)
                    except Exception:
                        pass
                try:
                    register(addr, msg, day=tuple(day))
                except Exception as error:
                    syslog('bounce', '%s: registering the bounce of %s '
                           'failed: %s', listname, addr, error)
            mlist.Save()
        finally:
            mlist.Unlock()
        return True

    def _remove_events_file(self):
        try:
            os.unlink(self._bounce_events_file)
        except FileNotFoundError:
            pass

    # ------------------------------------------------------------ hooks
    def _doperiodic(self):
        now = time.time()
        if now < self._nextaction:
            return
        self._nextaction = now + mm_cfg.REGISTER_BOUNCES_EVERY
        self._register_bounces()

    def _cleanup(self):
        if os.path.exists(self._bounce_events_file):
            self._register_bounces()


class BounceRunner(Runner, BounceMixin):
    """Bounces: VERP decoding, detectors, registration, forwarding."""

    QDIR = mm_cfg.BOUNCEQUEUE_DIR

    def __init__(self, slice=None, numslices=1):
        Runner.__init__(self, slice, numslices)
        BounceMixin.__init__(self)

    def _dispose(self, mlist, msg, msgdata):
        listname = mlist.internal_name()
        if listname == mm_cfg.MAILMAN_SITE_LIST:
            self._forward_to_site_owners(mlist, msg, msgdata)
            return False
        if not mlist.bounce_processing:
            syslog('bounce', '%s: bounce processing is off; bounce dropped, '
                   'msgid: %s', listname, msg.get('message-id', 'n/a'))
            return False
        msgid = msg.get('message-id', 'n/a')
        result = scan_bounce(mlist, msg)
        kind = result.kind if result is not None else None
        if kind in IGNORED_KINDS:
            syslog('bounce', '%s: %s ignored (%s), msgid: %s', listname,
                   IGNORED_KINDS[kind], _detail(result), msgid)
            return False
        addrs = verp_addresses(mlist, msg)
        if not addrs:
            token = probe_token(mlist, msg)
            if token:
                done = disable_by_probe(mlist, token, msg)
                if done is None:
                    return True         # the list is locked: try again
                if done:
                    return False
        if not addrs and kind == 'permanent':
            addrs = list(result.addresses)
        if addrs and returns_foreign_message(mlist, msg):
            syslog('bounce', '%s: bounce of a message this list did not '
                   'send, ignored (%s), msgid: %s', listname,
                   ', '.join(addrs), msgid)
            return False
        if addrs:
            self._queue_bounces(listname, addrs, msg)
        else:
            forward_unrecognized(mlist, msg)
        return False

    def _forward_to_site_owners(self, mlist, msg, msgdata):
        recips = list(mlist.owner)
        if not recips:
            syslog('bounce', '%s: bounce to the site list dropped: the site '
                   'list has no owner', mlist.internal_name())
            return
        outq = Switchboard(mm_cfg.OUTQUEUE_DIR)
        outq.enqueue(msg, msgdata, recips=recips,
                     envsender=Utils.get_site_email(mlist.host_name, 'loop'),
                     nodecorate=1, listname=mlist.internal_name())
        syslog('bounce', '%s: bounce to the site list forwarded to its '
               'owners, msgid: %s', mlist.internal_name(),
               msg.get('message-id', 'n/a'))

    def _doperiodic(self):
        BounceMixin._doperiodic(self)

    def _cleanup(self):
        BounceMixin._cleanup(self)
        Runner._cleanup(self)


# ---------------------------------------------------------------- helpers
def _recipient_addresses(msg):
    """The addresses in the headers where a bounce's recipient shows."""
    for header in _VERP_HEADERS:
        try:
            values = [str(value) for value in msg.get_all(header, [])]
            pairs = email.utils.getaddresses(values)
        except Exception:
            continue
        yield [address for _name, address in pairs if address]


def _own_matches(mlist, msg, setting):
    """For each recipient header of MSG, the matches of the regexp
    mm_cfg.SETTING (VERP_REGEXP or VERP_PROBE_REGEXP) that name this
    list's own bounces address."""
    try:
        cre = re.compile(getattr(mm_cfg, setting), re.IGNORECASE)
    except re.error as error:
        syslog('error', 'bad %s: %s', setting, error)
        return
    bounces = mlist.GetBouncesEmail().rpartition('@')[0].lower()
    for addresses in _recipient_addresses(msg):
        matches = []
        for address in addresses:
            match = cre.search(address)
            if not match:
                continue
            try:
                if match.group('bounces').lower() == bounces:
                    matches.append(match)
            except (IndexError, re.error):
                continue
        yield matches


def probe_token(mlist, msg):
    """The token of a probe bounce (VERP_PROBE_REGEXP, on the list's own
    bounces address), or None."""
    from Mailman import Pending
    for matches in _own_matches(mlist, msg, 'VERP_PROBE_REGEXP'):
        for match in matches:
            try:
                token = match.group('token').lower()
            except (IndexError, re.error):
                continue
            if Pending.valid_cookie(token):
                return token
    return None


def disable_by_probe(mlist, token, msg):
    """A probe came back: disable the member it was sent to.  False when
    TOKEN is not a live probe of this list, None when the list could not
    be locked."""
    from Mailman import Pending
    if not lock_list(mlist):
        return None
    try:
        record = mlist.pend_confirm(token, expunge=False)
        if not record or record[0] != Pending.PROBE_BOUNCE:
            return False
        mlist.pend_confirm(token, expunge=True)
        if len(record) < 2:
            # A broken record names no member: handle as a plain bounce.
            syslog('bounce', '%s: probe record %s names no member',
                   mlist.internal_name(), token)
            mlist.Save()
            return False
        member = record[1]
        bounce = record[2] if len(record) > 2 else None
        if isinstance(bounce, bytes) and bounce:
            from Mailman.Queue.Switchboard import parse_message
            try:
                bounce = parse_message(bounce)
            except Exception:
                bounce = None
        elif not isinstance(bounce, email.message.Message):
            bounce = None
        if not mlist.isMember(member):
            syslog('bounce', '%s: probe bounce for %s, who is no longer a '
                   'member', mlist.internal_name(), member)
        elif mlist.getDeliveryStatus(member) != MemberAdaptor.ENABLED:
            syslog('bounce', '%s: probe bounce for %s, whose delivery is '
                   'already off', mlist.internal_name(), member)
        else:
            from Mailman.Bouncer import _BounceInfo, clock_today
            info = mlist.getBounceInfo(member) or _BounceInfo(
                member, 0, clock_today(),
                mlist.bounce_you_are_disabled_warnings)
            syslog('bounce', '%s: %s probe bounced, disabling',
                   mlist.internal_name(), member)
            mlist.disableBouncingMember(member, info, bounce or msg)
        mlist.Save()
    finally:
        mlist.Unlock()
    return True


def verp_addresses(mlist, msg):
    """The member addresses a VERP'd bounce names, or []."""
    for matches in _own_matches(mlist, msg, 'VERP_REGEXP'):
        found = []
        for match in matches:
            try:
                addr = f"{match.group('mailbox')}@{match.group('host')}"
            except (IndexError, re.error):
                continue
            if addr.split() == [addr] and addr not in found:
                found.append(addr)
        if found:
            return found
    return []


# Kinds of scan result that are not scored, and how the log names them.
IGNORED_KINDS = {
    'temporary': 'delay or warning notice',
    'list': 'refusal caused by the list, not the member',
    'autoreply': 'auto-reply',
}


def _detail(result):
    text = ', '.join(result.addresses) or 'no address'
    if result.reason:
        text += f'; reason: {result.reason}'
    if result.detector:
        text += f'; by {result.detector}'
    return text


def scan_bounce(mlist, msg):
    """BouncerAPI.scan(MSG), or None when the detectors are missing or
    fail (then the message is handled as unrecognised)."""
    try:
        from Mailman.Bouncers import BouncerAPI
        return BouncerAPI.scan(msg)
    except Exception as error:
        syslog('bounce', '%s: bounce detectors failed on message %s: %s',
               mlist.internal_name(), msg.get('message-id', 'n/a'), error)
        return None


def returns_foreign_message(mlist, msg):
    """True when MSG returns (in a MIME part) a message that this list
    plainly did not send.  Everything a list sends, posts and its own
    notices alike, carries X-BeenThere (and List-Id) naming it; a returned
    message with headers enough to judge but no such header naming this
    list is another list's post, or spam sent in the list's name (its
    bounces are "backscatter").  A bounce that returns nothing, or too
    little to judge, is not foreign."""
    from Mailman.Bouncers._text import returned_headers
    try:
        headers = returned_headers(msg)
    except Exception:
        return False
    if headers is None or headers.get('from') is None or (
            headers.get('received') is None and
            headers.get('message-id') is None):
        return False
    host = mlist.host_name.lower()
    name = mlist.internal_name().lower()
    ours = (f'{name}.{host}', f'{name}@{host}')
    values = [str(value).lower()
              for header in ('list-id', 'x-beenthere', 'list-post')
              for value in headers.get_all(header, [])]
    return not any(mark in value for value in values for mark in ours)


def forward_unrecognized(mlist, msg):
    """Send a bounce nothing could be made of to the list owners, or drop
    it, as the list says."""
    if not mlist.bounce_unrecognized_goes_to_list_owner:
        syslog('bounce', '%s: unrecognized bounce dropped, msgid: %s',
               mlist.internal_name(), msg.get('message-id', 'n/a'))
        return
    adminurl = mlist.GetScriptURL('admin', absolute=1) + '/bounce'
    text = _('The attached message came back to this list\'s bounce '
             'address, but it is not in a bounce format Mailman knows, or '
             'no member address could be found in it.  The list is set to '
             'pass such messages on to its owners.\n\n'
             'The bounce processing settings are at:\n%(adminurl)s\n')
    text = Utils.wrap(text % {'adminurl': adminurl})
    notice = Message.OwnerNotification(
        mlist, _('Uncaught bounce notification'), tomoderators=0)
    Message.attach_original(notice, text, msg, mlist.preferred_language)
    notice.send(mlist)
    syslog('bounce', '%s: forwarded unrecognized bounce, msgid: %s',
           mlist.internal_name(), msg.get('message-id', 'n/a'))
