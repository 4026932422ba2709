"""Recipients of mail to the list's -owner address: the owners and the
moderators.  Their copy gets no header or footer and is not personalised."""


def process(mlist, msg, msgdata):
    recips = []
    seen = set()
    for address in list(mlist.owner) + list(mlist.moderator):
        if address and address.lower() not in seen:
            seen.add(address.lower())
            recips.append(address)
    msgdata['recips'] = recips
    msgdata['nodecorate'] = True
    msgdata['personalize'] = False
