"""The outgoing queue (qfiles/out): hand messages to the MTA.

The work is done by the delivery module named by DELIVERY_MODULE
(Mailman.Handlers.<name>.process(mlist, msg, msgdata), SMTPDirect by
default).  What can go wrong, and what happens then:

* the MTA cannot be reached (connection refused, host unknown, timeout,
  connection dropped): the message stays queued; the problem is logged once
  in logs/error until a delivery works again, and the runner waits longer
  and longer (up to MAX_BACKOFF seconds) between attempts;
* Errors.SomeRecipientsFailed: the permanent failures count as bounces of
  those members (registered through the bounce machinery, see
  BounceRunner.BounceMixin), except refusals whose reply blames the list
  (a DMARC policy, a blocklist); a refused bounce probe disables its
  member at once; the temporary ones go, with only those
  recipients, to qfiles/retry with deliver_after = now +
  DELIVERY_RETRY_WAIT.  RetryRunner moves them back here when they are due.
  A message that makes no progress (the same number of temporary failures
  as the time before) after DELIVERY_RETRY_PERIOD has passed is given up,
  which is logged in logs/smtp-failure.

Any other exception sends the message to qfiles/shunt (see Runner).
"""

import errno
import importlib
import smtplib
import socket
import time

from Mailman import Errors
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog
from Mailman.Queue.BounceRunner import BounceMixin
from Mailman.Queue.Runner import Runner, entry_is_due, metadata_is_due
from Mailman.Queue.Switchboard import Switchboard

# Longest pause, in seconds, between attempts while the MTA is unreachable.
MAX_BACKOFF = 60

_NETWORK_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED,
                   errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN,
                   errno.ETIMEDOUT, errno.EPIPE, errno.EHOSTDOWN}


def is_connection_error(error):
    """True if ERROR means the MTA could not be reached or went away."""
    if isinstance(error, (ConnectionError, TimeoutError, socket.timeout,
                          socket.gaierror, socket.herror,
                          smtplib.SMTPServerDisconnected,
                          smtplib.SMTPConnectError)):
        return True
    return isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS \
        and not isinstance(error, smtplib.SMTPResponseException)


class OutgoingRunner(Runner, BounceMixin):
    """Delivery to the MTA through DELIVERY_MODULE."""

    QDIR = mm_cfg.OUTQUEUE_DIR

    def __init__(self, slice=None, numslices=1):
        Runner.__init__(self, slice, numslices)
        BounceMixin.__init__(self)
        # Looked up once: a broken delivery module stops the runner at
        # start, with the messages left safely in the queue.
        self._modname = 'Mailman.Handlers.' + mm_cfg.DELIVERY_MODULE
        self._func = importlib.import_module(self._modname).process
        self._logged = False
        self._backoff = 0
        self._retryq = Switchboard(mm_cfg.RETRYQUEUE_DIR)

    def _process_entry(self, filebase):
        # An entry whose time has not come is left where it is.
        if not entry_is_due(self._switchboard, filebase):
            return False
        return super()._process_entry(filebase)

    def _dispose(self, mlist, msg, msgdata):
        if not metadata_is_due(msgdata):
            return True
        try:
            self._func(mlist, msg, msgdata)
        except Errors.SomeRecipientsFailed as failure:
            self._connection_ok()
            self._handle_failures(mlist, msg, msgdata, failure)
            return False
        except Exception as error:
            if not is_connection_error(error):
                raise
            self._connection_failed(error)
            return True
        self._connection_ok()
        return False

    # ------------------------------------------------------------ failures
    def _connection_failed(self, error):
        if not self._logged:
            port = mm_cfg.SMTPPORT or 'smtp'
            syslog('error', 'Cannot connect to SMTP server %s on port %s: %s',
                   mm_cfg.SMTPHOST, port, error)
            self._logged = True
        sleep = mm_cfg.QRUNNER_SLEEP_TIME or 1
        self._backoff = min(MAX_BACKOFF, max(sleep, self._backoff * 2))
        self._sleep(self._backoff)

    def _connection_ok(self):
        if self._logged:
            syslog('error', 'SMTP server %s reachable again', mm_cfg.SMTPHOST)
        self._logged = False
        self._backoff = 0

    def _handle_failures(self, mlist, msg, msgdata, failure):
        permanent = list(failure.permfailures or [])
        temporary = list(failure.tempfailures or [])
        permanent = self._not_list_caused(mlist, msg, permanent,
                                          getattr(failure, 'replies', {}))
        token = msgdata.get('probe_token')
        if permanent and token:
            # A refused bounce probe (VERP_PROBES) disables at once.
            from Mailman.Queue.BounceRunner import disable_by_probe
            if disable_by_probe(mlist, token, msg):
                permanent = []
        if permanent:
            self._queue_bounces(mlist.internal_name(), permanent, msg)
        if not temporary:
            return
        now = time.time()
        last_count = msgdata.get('last_recip_count', 0)
        deliver_until = msgdata.get('deliver_until', now)
        if len(temporary) == last_count:
            # No progress since the last attempt.
            if now > deliver_until:
                syslog('smtp-failure', '%s: giving up on message %s after '
                       '%s seconds of temporary failures; undelivered: %s',
                       mlist.internal_name(), msg.get('message-id', 'n/a'),
                       mm_cfg.DELIVERY_RETRY_PERIOD, ', '.join(temporary))
                return
        else:
            deliver_until = now + mm_cfg.DELIVERY_RETRY_PERIOD
        msgdata['last_recip_count'] = len(temporary)
        msgdata['deliver_until'] = deliver_until
        msgdata['deliver_after'] = now + mm_cfg.DELIVERY_RETRY_WAIT
        msgdata['recips'] = temporary
        self._retryq.enqueue(msg, msgdata)
        syslog('smtp-failure', '%s: message %s queued for retry to %d '
               'recipient(s) after temporary failures',
               mlist.internal_name(), msg.get('message-id', 'n/a'),
               len(temporary))

    @staticmethod
    def _not_list_caused(mlist, msg, permanent, replies):
        """PERMANENT without the recipients whose server refused the
        message because of the list (its reply names a DMARC policy, a
        blocklist, a spam verdict): their addresses are fine."""
        from Mailman.Bouncers.ListCaused import text_reason
        kept = []
        for recip in permanent:
            code, text = replies.get(recip, (None, ''))
            if isinstance(text, bytes):
                text = text.decode('utf-8', 'replace')
            why = text_reason(text)
            if why:
                syslog('bounce', '%s: %s refusal caused by the list, not '
                       'the member, ignored (reason: %s; %s %s), msgid: %s',
                       mlist.internal_name(), recip, why, code,
                       ' '.join(str(text).split()),
                       msg.get('message-id', 'n/a'))
            else:
                kept.append(recip)
        return kept

    # ------------------------------------------------------------ hooks
    def _doperiodic(self):
        BounceMixin._doperiodic(self)

    def _cleanup(self):
        BounceMixin._cleanup(self)
        Runner._cleanup(self)
