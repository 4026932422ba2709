"""Work out who gets a post by regular (non-digest) delivery.

The result goes to msgdata['recips'] (addresses in the case the members
subscribed with).  A message that already has recipients (a retried or
unshunted one) keeps them.

* Regular members whose delivery is enabled; digest members get the post
  in their digest instead.
* Minus the poster, if they chose not to get their own posts.
* Topic filtering, when the list has topics enabled: a member who picked
  topics gets only posts matching one of them, and posts matching no topic
  only if they also asked for those (ReceiveNonmatchingTopics).
* Minus the members of regular_exclude_lists that the post was also sent
  to (with regular_exclude_ignore, only when the poster is a member of that
  list, i.e. when that list will really deliver it), plus the members of
  regular_include_lists it was not sent to.
* An Urgent: header with the list's administrator, moderator or poster
  password sends the post to every member at once, digest members and
  members with delivery disabled included.  A wrong password rejects it.
"""

from email.utils import getaddresses

from Mailman import Errors
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog
from Mailman.MemberAdaptor import ENABLED


def process(mlist, msg, msgdata):
    if 'recips' in msgdata:
        return
    sender = msg.get_sender()
    include_sender = True
    try:
        if mlist.getMemberOption(sender, mm_cfg.DontReceiveOwnPosts):
            include_sender = False
    except Errors.NotAMemberError:
        pass
    password = msg.get('urgent')
    if password is not None:
        password = str(password).strip()
        if mlist.Authenticate((mm_cfg.AuthListPoster,
                               mm_cfg.AuthListModerator,
                               mm_cfg.AuthListAdmin), password):
            msgdata['recips'] = _unique(mlist.getMemberCPAddresses(
                mlist.getRegularMemberKeys() + mlist.getDigestMemberKeys()))
            return
        from Mailman.i18n import _
        raise Errors.RejectMessage(Utils.wrap(_(
            'Your urgent message to the %s mailing list was not authorized '
            'for delivery.  The original message as received by Mailman is '
            'attached.') % mlist.real_name))
    recips = [mlist.getMemberCPAddress(key)
              for key in mlist.getRegularMemberKeys()
              if mlist.getDeliveryStatus(key) == ENABLED]
    if not include_sender:
        lowered = sender.lower()
        recips = [address for address in recips
                  if address.lower() != lowered]
    recips = topic_filter(mlist, msgdata, recips)
    recips = exclude_siblings(mlist, msg, recips)
    recips = include_siblings(mlist, msg, recips)
    msgdata['recips'] = recips


def _unique(addresses):
    seen = set()
    result = []
    for address in addresses:
        if address is None or address.lower() in seen:
            continue
        seen.add(address.lower())
        result.append(address)
    return result


def topic_filter(mlist, msgdata, recips):
    if not mlist.topics_enabled:
        return recips
    hits = msgdata.get('topichits') or []
    kept = []
    for address in recips:
        try:
            wanted = mlist.getMemberTopics(address)
        except Errors.NotAMemberError:
            wanted = []
        if not wanted:
            kept.append(address)        # no topics chosen: gets everything
        elif hits:
            if any(topic in hits for topic in wanted):
                kept.append(address)
        elif mlist.getMemberOption(address, mm_cfg.ReceiveNonmatchingTopics):
            kept.append(address)
    return kept


def _destinations(msg):
    values = [str(v) for v in msg.get_all('to', []) + msg.get_all('cc', [])]
    return {address.lower() for name, address in getaddresses(values)
            if address}


def _sibling(mlist, address, kind):
    """The sibling list named by ADDRESS (read-only), or None, logged."""
    local, at, domain = address.lower().strip().rpartition('@')
    if not at:
        local, domain = address.lower().strip(), mlist.host_name.lower()
    if local == mlist.internal_name():
        syslog('error', '%s list %s of %s refers to the list itself', kind,
               address, mlist.internal_name())
        return None
    if not Utils.list_exists(local):
        syslog('error', '%s list %s of %s not found', kind, address,
               mlist.internal_name())
        return None
    from Mailman.MailList import MailList
    try:
        sibling = MailList(local, lock=0)
    except Errors.MMListError as error:
        syslog('error', '%s list %s of %s cannot be loaded: %s', kind,
               address, mlist.internal_name(), error)
        return None
    if sibling.host_name.lower() != domain:
        syslog('error', '%s list %s of %s: that list is %s', kind, address,
               mlist.internal_name(), sibling.GetListEmail())
        return None
    # 2.1 only compared the address with the sibling's own domain, which
    # let any domain through; the setting means the sibling's domain must
    # be this list's.
    if not mm_cfg.ALLOW_CROSS_DOMAIN_SIBLING and \
            sibling.host_name.lower() != mlist.host_name.lower():
        syslog('error', '%s list %s of %s is not in the same domain', kind,
               address, mlist.internal_name())
        return None
    return sibling


def _enabled_regular(mlist):
    return [mlist.getMemberCPAddress(key)
            for key in mlist.getRegularMemberKeys()
            if mlist.getDeliveryStatus(key) == ENABLED]


def _equivalents(address, equivalent_domains):
    """ADDRESS and its variants in the domains equivalent_domains makes
    equal to its own ('a.com,b.com;c.org,d.org')."""
    local, at, domain = address.lower().rpartition('@')
    found = [address]
    if not at:
        return found
    for group in (equivalent_domains or '').split(';'):
        domains = [d.strip().lower() for d in group.split(',') if d.strip()]
        if domain in domains:
            found.extend(f'{local}@{other}' for other in domains
                         if other != domain)
    return found


def _poster_is_member(sibling, msg):
    for sender in msg.get_senders():
        for candidate in _equivalents(sender, getattr(
                sibling, 'equivalent_domains', '')):
            if sibling.isMember(candidate):
                return True
    return False


def exclude_siblings(mlist, msg, recips):
    if not mlist.regular_exclude_lists:
        return recips
    destinations = _destinations(msg)
    excluded = set()
    for address in mlist.regular_exclude_lists:
        if address.lower().strip() not in destinations:
            continue
        sibling = _sibling(mlist, address, 'Exclude')
        if sibling is None:
            continue
        if mlist.regular_exclude_ignore and not _poster_is_member(sibling,
                                                                   msg):
            # The sibling will not deliver the post to its members (it
            # holds or rejects it): do not exclude them here.
            continue
        excluded.update(a.lower() for a in _enabled_regular(sibling))
    return [address for address in recips if address.lower() not in excluded]


def include_siblings(mlist, msg, recips):
    if not mlist.regular_include_lists:
        return recips
    destinations = _destinations(msg)
    result = list(recips)
    seen = {address.lower() for address in recips}
    for address in mlist.regular_include_lists:
        if address.lower().strip() in destinations:
            continue        # that list delivers it itself
        sibling = _sibling(mlist, address, 'Include')
        if sibling is None:
            continue
        for member in _enabled_regular(sibling):
            if member.lower() not in seen:
                seen.add(member.lower())
                result.append(member)
    return result
