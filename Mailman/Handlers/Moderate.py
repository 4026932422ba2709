"""Member and non-member moderation of posts.

An approved post goes through.  The poster is the first of the message's
senders (From:, the envelope sender, Reply-To:, Sender:, as SENDER_HEADERS
says) that is a member, also trying the addresses equivalent_domains
makes equal (user@mail.example.com for user@example.com...).

Members: if their moderation flag is set, member_moderation_action
decides: 0 hold, 1 reject (with member_moderation_notice, or a standard
text), 2 discard.  Otherwise the post goes on.

Non-members: accept_these_nonmembers lets the post through;
hold_these_nonmembers, reject_these_nonmembers and
discard_these_nonmembers do what they say; entries are addresses,
^regexps or @otherlist (the members of another list of this site).  Other
non-members get generic_nonmember_action: 0 accept, 1 hold, 2 reject
(nonmember_rejection_notice), 3 discard -- except posts gated from Usenet,
which are accepted.  Discarded posts are forwarded to the moderators when
forward_auto_discards is on.
"""


from Mailman import Errors
from Mailman import Message
from Mailman import Utils
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.Handlers import Hold
from Mailman.Handlers.SpamDetect import address_matches
from Mailman.ListAdmin import wrap
from Mailman.Logging.Syslog import syslog

_ = i18n._


class ModeratedMemberPost(Hold.ModeratedPost):
    pass


def equivalent_addresses(address, domains):
    """Addresses equal to ADDRESS under equivalent_domains DOMAINS, a text
    like 'a.com, b.com; c.org, d.org'."""
    if not domains or not address or '@' not in address:
        return []
    local, domain = address.rsplit('@', 1)
    domain = domain.lower()
    for group in ''.join(domains.split()).lower().split(';'):
        names = [name for name in group.split(',') if name]
        if domain in names:
            return [f'{local}@{name}' for name in names if name != domain]
    return []


def find_member(mlist, msg):
    """The member address the post comes from, or None."""
    for sender in msg.get_senders():
        if mlist.isMember(sender):
            return sender
        for other in equivalent_addresses(sender, mlist.equivalent_domains):
            if mlist.isMember(other):
                return other
    return None


def process(mlist, msg, msgdata):
    if msgdata.get('approved'):
        return
    member = find_member(mlist, msg)
    if member:
        if not mlist.getMemberOption(member, mm_cfg.Moderate):
            return
        action = mlist.member_moderation_action
        if action == 0:
            msgdata['sender'] = member
            Hold.hold_for_approval(mlist, msg, msgdata, ModeratedMemberPost)
        elif action == 1:
            text = mlist.member_moderation_notice
            text = wrap(text) if text else _(
                'Your message was deemed inappropriate by the moderator.')
            raise Errors.RejectMessage(text)
        elif action == 2:
            syslog('vette', '%s: discarded post of moderated member %s',
                   mlist.internal_name(), Utils.log_safe(member))
            raise Errors.DiscardMessage
        else:
            raise ValueError(
                f'bad member_moderation_action: {action!r}')
        return
    sender = msg.get_sender()
    if address_matches(mlist, sender, mlist.accept_these_nonmembers,
                       'accept_these_nonmembers'):
        return
    if address_matches(mlist, sender, mlist.hold_these_nonmembers,
                       'hold_these_nonmembers'):
        Hold.hold_for_approval(mlist, msg, msgdata, Hold.NonMemberPost)
    if address_matches(mlist, sender, mlist.reject_these_nonmembers,
                       'reject_these_nonmembers'):
        do_reject(mlist)
    if address_matches(mlist, sender, mlist.discard_these_nonmembers,
                       'discard_these_nonmembers'):
        do_discard(mlist, msg)
    action = mlist.generic_nonmember_action
    if action == 0 or msgdata.get('fromusenet'):
        return
    if action == 1:
        Hold.hold_for_approval(mlist, msg, msgdata, Hold.NonMemberPost)
    elif action == 2:
        do_reject(mlist)
    elif action == 3:
        do_discard(mlist, msg)
    else:
        raise ValueError(f'bad generic_nonmember_action: {action!r}')


def do_reject(mlist):
    listowner = mlist.GetOwnerEmail()
    if mlist.nonmember_rejection_notice:
        text = mlist.nonmember_rejection_notice.replace('%(listowner)s',
                                                        listowner)
    else:
        text = _('Your message has been rejected, probably because you are '
                 'not subscribed to the mailing list and the list\'s policy '
                 'is to prohibit non-members from posting to it.  If you '
                 'think that your messages are being rejected in error, '
                 'contact the mailing list owner at %(listowner)s.') % {
                     'listowner': listowner}
    raise Errors.RejectMessage(wrap(text))


def do_discard(mlist, msg):
    sender = msg.get_sender()
    syslog('vette', '%s: auto-discarded post from non-member %s',
           mlist.internal_name(), Utils.log_safe(sender))
    if mlist.forward_auto_discards:
        language = mlist.preferred_language
        notice = Message.OwnerNotification(
            mlist, _('Auto-discard notification'), None, tomoderators=1)
        text = wrap(_('The attached message has been automatically '
                      'discarded.'))
        Message.attach_original(notice, text, msg, language)
        notice.send(mlist)
    raise Errors.DiscardMessage
