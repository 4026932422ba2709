"""Test handler: while data/mmtest-sleep-<list> exists, writes
data/mmtest-sleeping-<list> and sleeps as many seconds as the flag file
says (60 if it is empty), to be killed or stopped meanwhile."""
import os
import time

from Mailman import mm_cfg


def process(mlist, msg, msgdata):
    name = mlist.internal_name()
    flag = os.path.join(mm_cfg.DATA_DIR, 'mmtest-sleep-' + name)
    try:
        with open(flag) as f:
            text = f.read().strip()
    except FileNotFoundError:
        return
    with open(os.path.join(mm_cfg.DATA_DIR, 'mmtest-sleeping-' + name),
              'w') as f:
        f.write('%d\n' % os.getpid())
    time.sleep(float(text or 60))
