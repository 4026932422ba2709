"""Recipients read from a file: lists/<list>/members.txt, addresses
separated by white space ('#' starts a comment line).  Not in the default
pipeline; a site can put it in a list's pipeline in place of CalcRecips.

A missing file means no recipients.  The poster is left out when they are a
member who chose not to receive their own posts.
"""

import os

from Mailman import mm_cfg


def process(mlist, msg, msgdata):
    if 'recips' in msgdata:
        return
    path = os.path.join(mlist.fullpath(), 'members.txt')
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            lines = f.readlines()
    except FileNotFoundError:
        msgdata['recips'] = []
        return
    addresses = []
    for line in lines:
        if line.lstrip().startswith('#'):
            continue
        addresses.extend(line.split())
    sender = msg.get_sender()
    if mlist.isMember(sender) and \
            mlist.getMemberOption(sender, mm_cfg.DontReceiveOwnPosts):
        addresses = [a for a in addresses if a.lower() != sender.lower()]
    msgdata['recips'] = addresses
