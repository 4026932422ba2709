"""Do not send a member the list's copy of a post they got directly.

A recipient named in To:, Cc:, Resent-To: or Resent-Cc: has a copy of the
post already.  Members who chose "avoid duplicates" (DontReceiveDuplicates)
are dropped from msgdata['recips']; everyone else explicitly addressed is
kept and recorded in msgdata['add-dup-header'], so that a personalised
delivery marks their copy with "X-Mailman-Copy: yes".

When the list allows it (drop_cc), the members dropped are also removed
from Cc:, which keeps Cc: lists from growing in long threads.  The new Cc:
is recorded in msgdata['add_header'] (see CookHeaders.change_header).
"""

from Mailman import mm_cfg
from Mailman.Handlers.CookHeaders import (COMMASPACE, address_pairs,
                                          change_header, format_address,
                                          list_charset)


def process(mlist, msg, msgdata):
    recips = msgdata.get('recips')
    if not recips:
        return
    fallback = list_charset(mlist)
    list_addresses = {address.lower() for address in (
        mlist.GetListEmail(), mlist.GetBouncesEmail(), mlist.GetOwnerEmail(),
        mlist.GetRequestEmail())}
    explicit = set()
    cc = {}
    for header in ('to', 'cc', 'resent-to', 'resent-cc'):
        pairs = address_pairs(msg.get_all(header, []), fallback)
        for name, address in pairs:
            if not address:
                continue
            if header == 'cc':
                cc[address.lower()] = (name, address)
            if address.lower() not in list_addresses:
                explicit.add(address.lower())
    if not explicit:
        return
    kept = []
    dropped_from_cc = False
    for recip in recips:
        key = recip.lower()
        if key not in explicit:
            kept.append(recip)
            continue
        wants_copy = True
        if mlist.isMember(recip) and \
                mlist.getMemberOption(recip, mm_cfg.DontReceiveDuplicates):
            wants_copy = False
        if wants_copy:
            msgdata.setdefault('add-dup-header', {})[recip] = True
            kept.append(recip)
        elif key in cc:
            del cc[key]
            dropped_from_cc = True
    msgdata['recips'] = kept
    if not mlist.drop_cc:
        return
    if cc and dropped_from_cc:
        change_header('Cc', COMMASPACE.join(
            format_address(name, address, mlist)
            for name, address in cc.values()), mlist, msg, msgdata)
    elif not cc and dropped_from_cc:
        del msg['cc']
