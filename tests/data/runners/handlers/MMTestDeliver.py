"""Test delivery module (a stand-in for SMTPDirect).

For each recipient in msgdata['recips']: local parts starting 'perm' fail
permanently; 'temp' ones fail temporarily unless data/mmtest-ok-<address>
exists; the others are 'delivered': a line '<address> <message-id>' is
appended to data/mmtest-delivered.  While data/mmtest-down-<list> exists
the 'SMTP server' refuses connections.
"""
import os

from Mailman import Errors
from Mailman import mm_cfg


def process(mlist, msg, msgdata):
    down = os.path.join(mm_cfg.DATA_DIR,
                        'mmtest-down-' + mlist.internal_name())
    if os.path.exists(down):
        raise ConnectionRefusedError(111, 'Connection refused')
    temp, perm = [], []
    for recip in msgdata.get('recips', []):
        local = recip.split('@')[0]
        if local.startswith('perm'):
            perm.append(recip)
        elif local.startswith('temp') and not os.path.exists(
                os.path.join(mm_cfg.DATA_DIR, 'mmtest-ok-' + recip)):
            temp.append(recip)
        else:
            with open(os.path.join(mm_cfg.DATA_DIR, 'mmtest-delivered'),
                      'a') as f:
                f.write('%s %s\n' % (recip, msg.get('message-id')))
    if temp or perm:
        raise Errors.SomeRecipientsFailed(temp, perm)
