"""Privacy options: who may join, who may post, which posts are held."""

from Mailman import mm_cfg
from Mailman.Gui.GUIBase import GUIBase, entry, yes_no
from Mailman.i18n import _

_ADDRESS_FORMS = ('Give one entry per line: an address, a regular '
                  'expression starting with ^, or @listname for the members '
                  'of another list on this site.')


class Privacy(GUIBase):
    NAME = 'privacy'
    TITLE = 'Privacy options...'
    SUBCATEGORIES = [
        ('subscribing', 'Subscription rules'),
        ('sender', 'Sender filters'),
        ('recipient', 'Recipient filters'),
        ('spam', 'Spam filters'),
    ]

    def GetConfigInfo(self, mlist, category, subcat=None):
        if category != self.NAME:
            return None
        subcat = self._subcategory(subcat)
        if subcat == 'sender':
            return self._sender(mlist)
        if subcat == 'recipient':
            return self._recipient(mlist)
        if subcat == 'spam':
            return self._spam(mlist)
        return self._subscribing(mlist)

    def _subscribing(self, mlist):
        if mm_cfg.ALLOW_OPEN_SUBSCRIBE:
            policies = (_('None'), _('Confirm'), _('Require approval'),
                        _('Confirm and approve'))
        else:
            policies = (_('Confirm'), _('Require approval'),
                        _('Confirm and approve'))
        return [
            _('Who may join the list, and who may see who its members '
              'are.'),

            _('Subscribing'),
            entry('advertised', mm_cfg.Radio, yes_no(),
                  _('Show the list on the overview of this site\'s lists.'),
                  _('When off, the list is left out of the public overview '
                    'page and out of the answer to the "lists" mail '
                    'command; people who know its name can still find '
                    'it.')),
            entry('subscribe_policy', mm_cfg.Radio, policies,
                  _('What a subscription request needs before it takes '
                    'effect.'),
                  _('"Confirm": the new member must answer a confirmation '
                    'message, which proves that the address is theirs.  '
                    '"Require approval": a moderator must approve each '
                    'request.  "Confirm and approve": both.  "None" (only '
                    'when the site allows it) subscribes at once, so anyone '
                    'can subscribe anyone.  In a config_list file the '
                    'values are 0 none (where allowed), 1 confirm, '
                    '2 approve, 3 confirm and approve.')),
            entry('subscribe_auto_approval', mm_cfg.EmailListEx, (10, 30),
                  _('Subscribers who need no moderator approval.'),
                  _('Requests from these subscribers skip the approval '
                    'step (a confirmation may still be required).  ')
                  + _(_ADDRESS_FORMS)),
            entry('unsubscribe_policy', mm_cfg.Radio, yes_no(),
                  _('Whether a moderator must approve members who leave.'),
                  _('Usually members should be able to leave on their own; '
                    'requiring approval keeps people on a list they want '
                    'to leave, which tends to make them report its mail as '
                    'spam.  Consider it only for closed lists such as a '
                    'company\'s staff list.')),
            entry('ban_list', mm_cfg.EmailListEx, (10, 30),
                  _('Addresses that may not subscribe.'),
                  _('Subscription requests from these addresses are '
                    'refused, and they cannot be invited.  Existing members '
                    'are not removed.  ') + _(_ADDRESS_FORMS)),

            _('Membership exposure'),
            entry('private_roster', mm_cfg.Radio,
                  (_('Anyone'), _('List members'), _('List admin only')),
                  _('Who may see the list of members.'),
                  _('This covers the roster web page and the "who" mail '
                    'command.  Members who chose to conceal themselves are '
                    'never shown to anyone but the administrators.')),
            entry('obscure_addresses', mm_cfg.Radio, yes_no(),
                  _('Disguise member addresses on web pages.'),
                  _('When on, addresses on the roster and other pages are '
                    'written so that address-harvesting programs do not '
                    'recognise them, for example "jo at example.com".')),
        ]

    def _sender(self, mlist):
        actions = (_('Hold'), _('Reject'), _('Discard'))
        return [
            _('Which posts are accepted, held for moderation, rejected or '
              'discarded, depending on who sent them.  Members are checked '
              'first; for senders who are not members the lists of '
              'non-member addresses decide, and generic_nonmember_action '
              'covers everyone else.'),

            _('Member filters'),
            entry('default_member_moderation', mm_cfg.Radio, yes_no(),
                  _('Whether new members start out moderated.'),
                  _('The posts of a moderated member are handled by '
                    'member_moderation_action instead of going to the list.  '
                    'A moderator may clear or set the flag of each member '
                    'on the membership pages.')),
            entry('member_verbosity_threshold', mm_cfg.Number, 5,
                  _('Moderate members who post more than this many messages '
                    'in a short time.'),
                  _('When a member sends more posts than this within '
                    'member_verbosity_interval seconds, their moderation '
                    'flag is set automatically, to stop runaway posters '
                    'and mail loops.  0 turns the check off.')),
            entry('member_verbosity_interval', mm_cfg.Number, 5,
                  _('The period, in seconds, over which posts are counted '
                    'for member_verbosity_threshold.'),
                  _('Only the posts a member sent within this many '
                    'seconds count towards the threshold; older ones are '
                    'forgotten.  It has no effect while '
                    'member_verbosity_threshold is 0.')),
            entry('member_moderation_action', mm_cfg.Radio, actions,
                  _('What happens to posts from moderated members.'),
                  _('"Hold" keeps them for a moderator to decide; '
                    '"Reject" returns them to the sender with '
                    'member_moderation_notice; "Discard" drops them '
                    'silently.')),
            entry('member_moderation_notice', mm_cfg.Text, (10, 50),
                  _('The explanation sent with rejected posts of moderated '
                    'members.'),
                  _('Used when member_moderation_action is "Reject".  When '
                    'empty, a standard explanation is sent.')),

            _('DMARC'),
            entry('dmarc_moderation_action', mm_cfg.Radio,
                  (_('Accept'), _('Munge From'), _('Wrap Message'),
                   _('Reject'), _('Discard')),
                  _('What to do with posts from domains whose DMARC policy '
                    'forbids lists to resend their mail.'),
                  _('A domain publishing a DMARC policy of p=reject asks '
                    'receivers to refuse mail that claims to be from it but '
                    'is sent by someone else, which includes posts resent '
                    'by this list.  "Munge From" and "Wrap Message" change '
                    'such posts as from_is_list describes, for those '
                    'posters only; "Reject" and "Discard" refuse them; '
                    '"Accept" does nothing special.  The site may require '
                    'a minimum action.')),
            entry('dmarc_quarantine_moderation_action', mm_cfg.Radio,
                  yes_no(),
                  _('Treat DMARC p=quarantine like p=reject.'),
                  _('When on, dmarc_moderation_action also applies to posts '
                    'from domains whose policy is p=quarantine.')),
            entry('dmarc_none_moderation_action', mm_cfg.Radio, yes_no(),
                  _('Also munge or wrap posts from domains with DMARC '
                    'p=none.'),
                  _('When on, and dmarc_moderation_action is "Munge From" '
                    'or "Wrap Message", posts from domains that publish a '
                    'p=none policy are changed as well.  It has no effect '
                    'with the other actions.')),
            entry('dmarc_moderation_notice', mm_cfg.Text, (10, 50),
                  _('The explanation sent with posts rejected for DMARC.'),
                  _('Used when dmarc_moderation_action is "Reject".  When '
                    'empty, a standard explanation is sent.')),
            entry('dmarc_moderation_addresses', mm_cfg.EmailListEx,
                  (10, 30),
                  _('Senders whose posts always get the DMARC action.'),
                  _('dmarc_moderation_action applies to posts from these '
                    'senders whatever their domain publishes.  ')
                  + _(_ADDRESS_FORMS)),
            entry('dmarc_wrapped_message_text', mm_cfg.Text, (10, 60),
                  _('Text added to posts that are wrapped.'),
                  _('When a post is wrapped (by from_is_list or the DMARC '
                    'action), this text goes into a separate part before '
                    'the original message, for example to explain why the '
                    'post arrives as an attachment.  Empty adds nothing.')),
            entry('equivalent_domains', mm_cfg.Text, (10, 60),
                  _('Mail domains whose addresses count as the same '
                    'address.'),
                  _('Some sites have several domains for the same mailboxes '
                    '(example.com and mail.example.com).  Listing them '
                    'here lets a member post from either address.  Give '
                    'groups of domains separated by semicolons, the domains '
                    'of a group separated by commas, for example '
                    '"example.com, mail.example.com; example.org, '
                    'example.net".')),

            _('Non-member filters'),
            entry('accept_these_nonmembers', mm_cfg.EmailListEx, (10, 30),
                  _('Non-members whose posts are accepted.'),
                  _('Posts from these senders go to the list without '
                    'moderation.  ') + _(_ADDRESS_FORMS)),
            entry('hold_these_nonmembers', mm_cfg.EmailListEx, (10, 30),
                  _('Non-members whose posts are held for moderation.'),
                  _(_ADDRESS_FORMS)),
            entry('reject_these_nonmembers', mm_cfg.EmailListEx, (10, 30),
                  _('Non-members whose posts are rejected.'),
                  _('The sender receives nonmember_rejection_notice.  ')
                  + _(_ADDRESS_FORMS)),
            entry('discard_these_nonmembers', mm_cfg.EmailListEx, (10, 30),
                  _('Non-members whose posts are discarded.'),
                  _('The sender is not told.  ') + _(_ADDRESS_FORMS)),
            entry('generic_nonmember_action', mm_cfg.Radio,
                  (_('Accept'), _('Hold'), _('Reject'), _('Discard')),
                  _('What happens to posts from other non-members.'),
                  _('Applies to senders who are not members and are not '
                    'named in the four lists above.  "Hold" lets a '
                    'moderator decide about each post.')),
            entry('forward_auto_discards', mm_cfg.Radio, yes_no(),
                  _('Send discarded non-member posts to the moderators.'),
                  _('When on, posts discarded by the rules above are '
                    'forwarded to the moderators, so that mistakes can be '
                    'noticed.')),
            entry('nonmember_rejection_notice', mm_cfg.Text, (10, 50),
                  _('The explanation sent with rejected non-member posts.'),
                  _('When empty, a standard explanation is sent.')),
        ]

    def _recipient(self, mlist):
        return [
            _('Which posts are held because of how they are addressed.'),

            entry('require_explicit_destination', mm_cfg.Radio, yes_no(),
                  _('Hold posts that do not name the list in To: or Cc:.'),
                  _('A post that reached the list without naming it (as a '
                    'Bcc, or through another address that forwards to it) '
                    'is often spam.  When on, such posts are held unless '
                    'To: or Cc: name the list or one of '
                    'acceptable_aliases.')),
            entry('acceptable_aliases', mm_cfg.Text, (4, 30),
                  _('Other addresses that count as naming the list.'),
                  _('One per line; each line is a regular expression '
                    'searched in the addresses of To: and Cc: (a plain '
                    'address works too).  Used by '
                    'require_explicit_destination.')),
            entry('max_num_recipients', mm_cfg.Number, 5,
                  _('Hold posts with this many recipients or more.'),
                  _('The addresses in To: and Cc: are counted; a post '
                    'addressed to many people at once is often spam.  0 '
                    'means no limit.')),
        ]

    def _spam(self, mlist):
        return [
            _('Rules that catch unwanted posts by their headers.'),

            entry('header_filter_rules', mm_cfg.HeaderFilter, 0,
                  _('Rules matching header lines, each with an action.'),
                  _('Each rule has one or more regular expressions, one per '
                    'line, which are matched (ignoring case) against each '
                    'header line of a post, "Name: value".  The first rule '
                    'that matches decides: accept, hold, reject or discard '
                    'the post; "defer" means no action and goes on to the '
                    'next checks.  In a config_list file a rule is a tuple '
                    '(patterns, action, False) with the action 0 defer, '
                    '6 accept, 7 hold, 2 reject or 3 discard.')),
            entry('bounce_matching_headers', mm_cfg.Text, (6, 50),
                  _('Hold posts with these header values.'),
                  _('One rule per line, "header: regular expression", for '
                    'example "from: .*@example.com"; the post is held when '
                    'the named header matches.  Lines starting with # are '
                    'comments.')),
        ]
