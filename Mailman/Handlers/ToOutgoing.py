"""Hand the post to the outgoing queue (qfiles/out), after deciding how it
is to be delivered.

VERP (one message per recipient, with the recipient encoded in the envelope
sender, which makes bounces unambiguous): kept if already decided (the
password reminders decide for themselves); for personalised lists when
VERP_PERSONALIZED_DELIVERIES is set; otherwise every
VERP_DELIVERY_INTERVAL-th post (0 never, 1 always).

Personalisation: a personalising list's messages are sent one per member
with the user_* footer values, unless msgdata already says otherwise
(OwnerRecips turns it off).
"""

from Mailman import mm_cfg
from Mailman.Queue.Switchboard import Switchboard


def process(mlist, msg, msgdata):
    interval = mm_cfg.VERP_DELIVERY_INTERVAL
    if 'verp' in msgdata:
        pass
    elif mlist.personalize:
        if mm_cfg.VERP_PERSONALIZED_DELIVERIES:
            msgdata['verp'] = 1
    elif interval == 1:
        msgdata['verp'] = 1
    elif interval > 1:
        msgdata['verp'] = int(not int(mlist.post_id) % interval)
    if mlist.personalize and 'personalize' not in msgdata:
        msgdata['personalize'] = mlist.personalize
    data = dict(msgdata)
    data['listname'] = mlist.internal_name()
    Switchboard(mm_cfg.OUTQUEUE_DIR).enqueue(msg, data)
