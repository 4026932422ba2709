"""The incoming queue (qfiles/in): posts and -owner mail, through a pipeline.

Each message is run through a pipeline of handler modules
(Mailman.Handlers.<Name>, each with process(mlist, msg, msgdata)), under the
list lock.  The pipeline is, in order of preference:

  1. msgdata['pipeline'] -- what is left of an earlier, interrupted run
     (a shunted message put back by bin/unshunt), or a pipeline chosen by
     whoever queued the message (the -owner script queues OWNER_PIPELINE);
  2. the list's own `pipeline' attribute, if a site gave it one;
  3. mm_cfg.GLOBAL_PIPELINE.

The handlers run one at a time and the rest of the pipeline is kept in
msgdata['pipeline'] as it goes, so that when one raises an unexpected
exception the shunted message carries the failing handler and those after
it, and resumes there.  A handler ends the pipeline early by raising

  Errors.DiscardMessage   the message is dropped (logged in logs/vette);
  Errors.HoldMessage      the handler has stored the message for approval
                          (logged in logs/vette);
  Errors.RejectMessage    the sender gets the notice, with the message
                          attached, from the list's -owner address.

When the list lock cannot be had within LIST_LOCK_TIMEOUT the message is
queued again and tried on a later pass.
"""

import importlib
import os
from email.header import decode_header, make_header

from Mailman import Errors
from Mailman import Message
from Mailman import mm_cfg
from Mailman.i18n import _
from Mailman.Logging.Syslog import syslog
from Mailman.Queue.Runner import Runner, lock_list


class IncomingRunner(Runner):
    """Posts and -owner mail: the handler pipeline."""

    QDIR = mm_cfg.INQUEUE_DIR

    def _dispose(self, mlist, msg, msgdata):
        if not lock_list(mlist):
            syslog('qrunner', '%s: list %s is locked, message %s queued '
                   'again', self.__class__.__name__, mlist.internal_name(),
                   msg.get('message-id', 'n/a'))
            return True
        try:
            pipeline = self._get_pipeline(mlist, msg, msgdata)
            msgdata['pipeline'] = pipeline
            more = self._dopipeline(mlist, msg, msgdata, pipeline)
            if not more:
                msgdata.pop('pipeline', None)
            mlist.Save()
            return more
        finally:
            mlist.Unlock()

    def _get_pipeline(self, mlist, msg, msgdata):
        pipeline = msgdata.get('pipeline')
        if pipeline is None:
            pipeline = getattr(mlist, 'pipeline', None)
        if pipeline is None:
            pipeline = mm_cfg.GLOBAL_PIPELINE
        # A copy: the handlers are popped from it as they run.
        return list(pipeline)

    def _dopipeline(self, mlist, msg, msgdata, pipeline):
        while pipeline:
            handler = pipeline[0]
            module = _handler_module(handler)
            pid = os.getpid()
            try:
                module.process(mlist, msg, msgdata)
            except Errors.DiscardMessage:
                syslog('vette', '%s: message discarded by %s, msgid: %s',
                       mlist.internal_name(), handler,
                       msg.get('message-id', 'n/a'))
                del pipeline[:]
                return False
            except Errors.HoldMessage as error:
                syslog('vette', '%s: message held by %s (%s), msgid: %s',
                       mlist.internal_name(), handler,
                       _one_line(error.reason_notice() or
                                 error.__class__.__name__),
                       msg.get('message-id', 'n/a'))
                del pipeline[:]
                return False
            except Errors.RejectMessage as error:
                syslog('vette', '%s: message rejected by %s (%s), msgid: %s',
                       mlist.internal_name(), handler,
                       _one_line(error.notice()),
                       msg.get('message-id', 'n/a'))
                bounce_message(mlist, msg, msgdata, error)
                del pipeline[:]
                return False
            finally:
                if os.getpid() != pid:
                    # A handler forked and its child came back here: it must
                    # not go on running the parent's pipeline.
                    syslog('error', 'child process leaked through: %s',
                           handler)
                    os._exit(1)
            # Done with this handler; the rest stays in msgdata['pipeline']
            # (the same list object) in case a later one fails.
            pipeline.pop(0)
        return False


def _handler_module(name):
    if not isinstance(name, str) or not name.isidentifier():
        raise ImportError(f'bad handler name in pipeline: {name!r}')
    return importlib.import_module('Mailman.Handlers.' + name)


def _one_line(text):
    return ' '.join(str(text or '').split())


def header_text(value, default=''):
    """A header's value as one line of readable text (RFC 2047 decoded,
    raw 8-bit bytes shown as replacement characters)."""
    if value is None:
        return default
    try:
        text = str(make_header(decode_header(str(value))))
    except Exception:
        text = str(value)
    text = text.encode('utf-8', 'replace').decode('utf-8', 'replace')
    return _one_line(text) or default


def bounce_message(mlist, msg, msgdata, error=None):
    """Return MSG to its sender with the rejection notice of ERROR: a
    message from the list's -owner address, the notice first and the
    original attached."""
    sender = msg.get_sender()
    if not sender:
        syslog('vette', '%s: rejected message has no sender to notify, '
               'msgid: %s', mlist.internal_name(),
               msg.get('message-id', 'n/a'))
        return
    subject = header_text(msg.get('subject'), _('(no subject)'))
    if error is None:
        notice = _('[No bounce details are available]')
    else:
        notice = _(error.notice()) or _('[No bounce details are available]')
    bounce = Message.UserNotification(sender, mlist.GetOwnerEmail(), subject,
                                      lang=mlist.preferred_language)
    Message.attach_original(bounce, notice, msg, mlist.preferred_language)
    bounce.send(mlist)
