"""Test handler: fails until data/mmtest-boom-ok-<list> exists."""
import os

from Mailman import mm_cfg


def process(mlist, msg, msgdata):
    ok = os.path.join(mm_cfg.DATA_DIR,
                      'mmtest-boom-ok-' + mlist.internal_name())
    if not os.path.exists(ok):
        raise RuntimeError('MMTestBoom: deliberate failure')
