"""Test handler: appends '<message-id>' to data/mmtest-count-<list>."""
import os

from Mailman import mm_cfg


def process(mlist, msg, msgdata):
    path = os.path.join(mm_cfg.DATA_DIR,
                        'mmtest-count-' + mlist.internal_name())
    with open(path, 'a') as f:
        f.write('%s\n' % (msg.get('message-id') or 'none'))
