"""The virgin queue (qfiles/virgin): messages Mailman writes itself.

Notices, confirmations, digests, owner notifications and the like already
have their recipients; they only need the list's headers and the trip to
the outgoing queue.  So the pipeline is fixed, CookHeaders then ToOutgoing,
and the message is fast-tracked: handlers that honour the flag leave its
Subject and the posting-only headers alone.
"""

from Mailman import mm_cfg
from Mailman.Queue.IncomingRunner import IncomingRunner

PIPELINE = ['CookHeaders', 'ToOutgoing']


class VirginRunner(IncomingRunner):
    """Messages Mailman itself writes: CookHeaders, then ToOutgoing."""

    QDIR = mm_cfg.VIRGINQUEUE_DIR

    def _dispose(self, mlist, msg, msgdata):
        # '_fasttrack' is 2.1's name (private: never stored in a queue
        # file); 'fasttrack' is the stored form handlers may look for.
        msgdata['_fasttrack'] = 1
        msgdata['fasttrack'] = 1
        return super()._dispose(mlist, msg, msgdata)

    def _get_pipeline(self, mlist, msg, msgdata):
        # What is left of an interrupted run (a shunted message put back)
        # comes first; otherwise always the fixed pipeline, whatever the
        # list's own pipeline is.
        remaining = msgdata.get('pipeline')
        if remaining is not None:
            return list(remaining)
        return list(PIPELINE)
