"""Queue the post for the archiver (qfiles/archive).

Not when the list does not archive, for digests, or when the poster asked
for it not to be archived with "X-No-Archive:" (any value) or
"X-Archive: no".
"""

from Mailman import mm_cfg
from Mailman.Queue.Switchboard import Switchboard


def process(mlist, msg, msgdata):
    if msgdata.get('isdigest') or not mlist.archive:
        return
    if 'x-no-archive' in msg or \
            str(msg.get('x-archive', '')).strip().lower() == 'no':
        return
    data = dict(msgdata)
    data['listname'] = mlist.internal_name()
    Switchboard(mm_cfg.ARCHQUEUE_DIR).enqueue(msg, data)
