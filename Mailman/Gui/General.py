"""General options: the list's identity, owners, replies and notices."""

from Mailman import mm_cfg
from Mailman.Gui.GUIBase import GUIBase, entry, yes_no
from Mailman.i18n import _


class General(GUIBase):
    NAME = 'general'
    TITLE = 'General Options'

    def GetConfigInfo(self, mlist, category, subcat=None):
        if category != self.NAME:
            return None
        options = [
            (_("Conceal the member's address"), 'hide'),
            (_("Acknowledge the member's posting"), 'ack'),
            (_("Do not send a copy of a member's own post"), 'notmetoo'),
            (_('Filter out duplicate messages to list members (if possible)'),
             'nodupes'),
        ]
        current_options = mlist.new_member_options
        info = [
            _('The basic facts about the list: its name, its owners, how it '
              'describes itself, and how it treats posts, replies and '
              'notices.'),

            _('Identity'),
            entry('real_name', mm_cfg.String, 50,
                  _('The list name as people see it.'),
                  _('This is how the list names itself in pages, in the '
                    'subject prefix and in the notices it sends.  Only the '
                    'case of its letters may differ from the name the list '
                    'was created with (for example "Cook-Club" for the list '
                    'cook-club); renaming a list is not possible here.')),
            entry('owner', mm_cfg.EmailList, (3, 30),
                  _('The list administrators, one address per line.'),
                  _('Owners may change every setting and handle every '
                    'pending request.  They receive the mail sent to the '
                    'list\'s -owner address and the notices Mailman sends '
                    'about the list.  They all share the list '
                    'administrator password.')),
            entry('moderator', mm_cfg.EmailList, (3, 30),
                  _('The list moderators, one address per line.'),
                  _('Moderators may approve, reject or discard held posts '
                    'and pending subscriptions, using the moderator '
                    'password, but may not change the list\'s settings.  '
                    'They receive notices about held requests along with '
                    'the owners.')),
            entry('description', mm_cfg.String, 50,
                  _('A one-line summary of what the list is about.'),
                  _('It is shown next to the list\'s name on the overview '
                    'of the site\'s lists and used as the display name in '
                    'some headers of the mail the list sends.  Keep it '
                    'short.')),
            entry('info', mm_cfg.Text, (7, 50),
                  _('An introduction to the list, shown on its information '
                    'page.'),
                  _('A few paragraphs telling visitors what the list is for '
                    'and what is expected of its members.  The text is '
                    'placed in the list\'s public information page as '
                    'HTML, so it may contain markup; blank lines separate '
                    'paragraphs.')),
            entry('subject_prefix', mm_cfg.String, 10,
                  _('Text put in front of the Subject: of every post.'),
                  _('It helps members sort the list\'s mail.  It is not '
                    'added again to replies that already carry it.  A %d '
                    'in the prefix is replaced by the post\'s sequence '
                    'number.  Leave it empty for no prefix.')),
            entry('from_is_list', mm_cfg.Radio,
                  (_('No'), _('Munge From'), _('Wrap Message')),
                  _('Whether to rewrite the From: of every post.'),
                  _('Some receivers reject mail whose From: domain has a '
                    'strict DMARC policy when it comes from a list.  "Munge '
                    'From" replaces the From: address with the list\'s own '
                    'address, naming the poster in the display name and '
                    'in Reply-To: or Cc:; "Wrap Message" sends the original '
                    'post as an attachment of a message from the list.  '
                    '"No" leaves From: alone; the DMARC actions under '
                    'Privacy still apply to posters whose domains need '
                    'them.')),
            entry('anonymous_list', mm_cfg.Radio, yes_no(),
                  _('Hide who posted each message.'),
                  _('When on, posts go out with the list as their sender '
                    'and the headers that would identify the poster are '
                    'removed.')),

            _('Replies'),
            entry('first_strip_reply_to', mm_cfg.Radio, yes_no(),
                  _('Remove a Reply-To: header the poster set.'),
                  _('When on, a Reply-To: in the original post is removed '
                    'before the list adds its own (see the next two '
                    'settings); when off, the list\'s address is added to '
                    'it.')),
            entry('reply_goes_to_list', mm_cfg.Radio,
                  (_('Poster'), _('This list'), _('Explicit address')),
                  _('Where replies to posts should go.'),
                  _('"Poster" leaves replies to go to whoever posted, which '
                    'is what most members expect.  "This list" adds a '
                    'Reply-To: pointing at the list, so that replies reach '
                    'every member.  "Explicit address" points Reply-To: at '
                    'the address in reply_to_address, for example a '
                    'discussion list paired with an announcement list.')),
            entry('reply_to_address', mm_cfg.Email, 40,
                  _('The Reply-To: address used with "Explicit address".'),
                  _('Used only when reply_goes_to_list is set to "Explicit '
                    'address", and then it must be given.')),
            entry('umbrella_list', mm_cfg.Radio, yes_no(),
                  _('Whether the members of this list are other lists.'),
                  _('When on, notices meant for members (such as password '
                    'reminders) go to the members\' administrative '
                    'addresses, made with umbrella_member_suffix, rather '
                    'than to the member lists themselves.')),
            entry('umbrella_member_suffix', mm_cfg.String, 8,
                  _('The suffix that turns a member list\'s address into its '
                    'administrative address.'),
                  _('Used only when umbrella_list is on: a notice for '
                    'member list@host goes to list<suffix>@host.  The '
                    'usual suffix is "-owner".')),

            _('Notices'),
            entry('send_reminders', mm_cfg.Radio, yes_no(),
                  _('Send members a monthly reminder of their password.'),
                  _('The reminder also tells members how to change their '
                    'options or leave.  Members may turn reminders off for '
                    'themselves.')),
            entry('welcome_msg', mm_cfg.Text, (4, 50),
                  _('Extra text for the welcome message to new members.'),
                  _('It is added to the standard welcome message, which '
                    'already explains how to post and how to change '
                    'options.  Plain text; blank lines separate '
                    'paragraphs.')),
            entry('send_welcome_msg', mm_cfg.Radio, yes_no(),
                  _('Send new members a welcome message.'),
                  _('Turn it off, for example, while moving members over '
                    'from another system.')),
            entry('goodbye_msg', mm_cfg.Text, (4, 50),
                  _('Text sent to members who leave the list.'),
                  _('Empty means that no goodbye text is added.')),
            entry('send_goodbye_msg', mm_cfg.Radio, yes_no(),
                  _('Send a message to members who leave.'),
                  _('The message contains goodbye_msg.')),
            entry('admin_immed_notify', mm_cfg.Radio, yes_no(),
                  _('Tell the moderators at once about each new request.'),
                  _('When on, a notice is sent as soon as a post is held or '
                    'a subscription waits for approval; when off, they '
                    'learn of pending requests only from the daily '
                    'summary.')),
            entry('admin_notify_mchanges', mm_cfg.Radio, yes_no(),
                  _('Tell the owners when members join or leave.'),
                  _('A short notice is sent to the owners for each '
                    'subscription and unsubscription.')),
            entry('respond_to_post_requests', mm_cfg.Radio, yes_no(),
                  _('Tell posters when their post is held.'),
                  _('When on, whoever posted a held message is told why it '
                    'waits for a moderator.  Turning it off avoids sending '
                    'such notices to the forged senders of spam.')),

            _('Additional settings'),
            entry('emergency', mm_cfg.Toggle, yes_no(),
                  _('Hold every post for the moderators.'),
                  _('An emergency brake: while on, all posts to the list '
                    'are held for approval, whoever sent them.')),
            entry('new_member_options', mm_cfg.Checkbox,
                  ([label for label, key in options],
                   [current_options & mm_cfg.OPTINFO[key]
                    for label, key in options],
                   0,
                   tuple(key for label, key in options)),
                  _('The options every new member starts with.'),
                  _('Members may change them later on their options page.  '
                    'In a config_list file the value is the sum of the bits '
                    'of the chosen options.')),
            entry('administrivia', mm_cfg.Radio, yes_no(),
                  _('Hold posts that look like commands for the request '
                    'address.'),
                  _('Members sometimes send "unsubscribe" or similar to the '
                    'list itself.  When on, such posts are held instead of '
                    'being sent to everyone.')),
            entry('max_message_size', mm_cfg.Number, 7,
                  _('The largest post, in kilobytes, sent on without '
                    'approval.'),
                  _('Larger posts are held for the moderators.  0 means no '
                    'limit.')),
            entry('admin_member_chunksize', mm_cfg.Number, 3,
                  _('How many members each page of the membership list '
                    'shows.'),
                  _('Big lists are shown in pages; this is the number of '
                    'members per page of the administrative membership '
                    'list.  At least 1.')),
            entry('host_name', mm_cfg.Host, 50,
                  _('The mail domain of the list.'),
                  _('The list\'s addresses are made with this host name '
                    '(list@host, list-request@host and so on).  Change it '
                    'only together with the mail server\'s '
                    'configuration.')),
        ]
        if mm_cfg.ALLOW_RFC2369_OVERRIDES:
            info.append(entry(
                'include_rfc2369_headers', mm_cfg.Radio, yes_no(),
                _('Add the List-* headers of RFC 2369 to posts.'),
                _('List-Help, List-Subscribe, List-Unsubscribe, List-Archive '
                  'and their kind let mail programs offer list commands '
                  'directly.  Leave them on unless this list is not a '
                  'discussion list and they confuse its readers.')))
            info.append(entry(
                'include_list_post_header', mm_cfg.Radio, yes_no(),
                _('Add the List-Post: header to posts.'),
                _('List-Post tells mail programs where replies to the list '
                  'go.  An announcement list that members cannot post to '
                  'may leave it out.')))
        if mm_cfg.ALLOW_SENDER_OVERRIDES:
            info.append(entry(
                'include_sender_header', mm_cfg.Radio, yes_no(),
                _('Set the Sender: header of posts to the list\'s bounce '
                  'address.'),
                _('This makes bounces come back to the list, but some mail '
                  'programs then show posts as sent "on behalf of" the list.  '
                  'When off, the Sender: header is left as it was.')))
        info.extend([
            entry('drop_cc', mm_cfg.Radio, yes_no(),
                  _('Drop members who get a direct copy from the Cc: '
                    'header.'),
                  _('When a member is left out of the list\'s delivery '
                    'because they were addressed directly, their address '
                    'may also be removed from Cc:.  This keeps Cc: short in '
                    'long threads but can break DKIM signatures.')),
            entry('max_days_to_hold', mm_cfg.Number, 3,
                  _('Discard held posts after this many days.'),
                  _('Posts that no moderator handled in that time are '
                    'discarded.  0 keeps them until a moderator acts.')),
        ])
        return info
