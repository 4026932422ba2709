"""The bounces queue (qfiles/bounces): mail to a list's -bounces address.

For each message:

1. A bounce to the site list (the envelope sender of Mailman's own
   notices) is passed on to the site list's owners, with the site -loop
   address as envelope sender so that a bounce of that cannot loop.
2. With the list's bounce_processing off, the message is dropped (logged).
3. A VERP'd bounce names the member in its recipient address:
   <list>-bounces+<mailbox>=<host>@<domain> in To, Delivered-To,
   Envelope-To or Apparently-To, matched with VERP_REGEXP.
4. Otherwise the bounce detectors (Mailman.Bouncers.BouncerAPI, when
   installed) try to find the failed addresses; a delay or warning notice
   is ignored.
5. Addresses found are bounce events: logged in logs/bounce and, under the
   list lock, given to mlist.registerBounce() every REGISTER_BOUNCES_EVERY
   and when the runner stops.  Events wait in
   data/bounce-events-<pid>.pck, so a runner that dies loses none: the next
   runner on the same host takes over the file of a dead one.
6. A bounce nothing could be made of is forwarded to the list owners when
   bounce_unrecognized_goes_to_list_owner is set, else dropped (logged).

BounceMixin is shared with OutgoingRunner, which registers permanent SMTP
failures the same way.
"""

import email.utils
import os
import pickle
import re
import socket
import time
from email.mime.message import MIMEMessage
from email.mime.text import MIMEText

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
        today = time.localtime()[:3]
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
        addrs = verp_addresses(mlist, msg)
        detected = run_detectors(mlist, msg)
        if detected is STOP:
            syslog('bounce', '%s: delay or warning notice ignored, msgid: %s',
                   listname, msg.get('message-id', 'n/a'))
            return False
        if not addrs:
            addrs = detected or []
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
STOP = object()


def verp_addresses(mlist, msg):
    """The member addresses a VERP'd bounce names, or []."""
    try:
        cre = re.compile(mm_cfg.VERP_REGEXP, re.IGNORECASE)
    except re.error as error:
        syslog('error', 'bad VERP_REGEXP: %s', error)
        return []
    bounces = mlist.GetBouncesEmail().rpartition('@')[0].lower()
    found = []
    for header in _VERP_HEADERS:
        try:
            values = [str(value) for value in msg.get_all(header, [])]
            pairs = email.utils.getaddresses(values)
        except Exception:
            continue
        for _name, address in pairs:
            match = cre.search(address or '')
            if not match:
                continue
            try:
                if match.group('bounces').lower() != bounces:
                    continue
                addr = f"{match.group('mailbox')}@{match.group('host')}"
            except (IndexError, re.error):
                continue
            if addr.split() != [addr] or addr in found:
                continue
            found.append(addr)
        if found:
            break
    return found


def run_detectors(mlist, msg):
    """Addresses found by the bounce detectors, STOP for a warning, or None
    (no detectors installed, nothing found, or a detector failed)."""
    try:
        from Mailman.Bouncers import BouncerAPI
    except ImportError:
        return None
    scan = getattr(BouncerAPI, 'ScanMessages', None)
    if scan is None:
        return None
    try:
        result = scan(mlist, msg)
    except Exception as error:
        syslog('bounce', '%s: bounce detectors failed on message %s: %s',
               mlist.internal_name(), msg.get('message-id', 'n/a'), error)
        return None
    stop = getattr(BouncerAPI, 'Stop', None)
    if result is stop and stop is not None:
        return STOP
    if not result:
        return None
    return [addr for addr in result if isinstance(addr, str) and addr]


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
    notice.set_type('multipart/mixed')
    charset = Utils.GetCharSet(mlist.preferred_language)
    try:
        part = MIMEText(text, _charset=charset)
    except (UnicodeError, LookupError):
        part = MIMEText(text, _charset='utf-8')
    notice.attach(part)
    notice.attach(MIMEMessage(msg))
    notice.send(mlist)
    syslog('bounce', '%s: forwarded unrecognized bounce, msgid: %s',
           mlist.internal_name(), msg.get('message-id', 'n/a'))
