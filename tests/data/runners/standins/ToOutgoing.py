"""Test stand-in for ToOutgoing (installed only while the real one is
missing): queues the message to qfiles/out."""
from Mailman import mm_cfg
from Mailman.Queue.Switchboard import Switchboard


def process(mlist, msg, msgdata):
    data = dict(msgdata)
    data['listname'] = mlist.internal_name()
    Switchboard(mm_cfg.OUTQUEUE_DIR).enqueue(msg, data)
