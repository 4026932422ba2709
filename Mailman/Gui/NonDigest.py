"""Non-digest options: how posts go to members who get them one by one."""

from Mailman import mm_cfg
from Mailman.Gui.GUIBase import (GUIBase, PERSONALIZED_TEMPLATE_NAMES,
                                 TEMPLATE_NAMES, entry, yes_no)
from Mailman.i18n import _


def substitutions_help(personalized):
    """The paragraph on %(name)s substitutions in headers and footers."""
    names = list(TEMPLATE_NAMES)
    if personalized:
        names += PERSONALIZED_TEMPLATE_NAMES
    text = _('The text may use these substitutions, written as %%(name)s: '
             '%(names)s.  Any other substitution is left as it is (and '
             'draws a warning when the setting is saved); write %%%% for a '
             'percent sign.') % {'names': ', '.join(names)}
    if personalized:
        text += _('  The user_* substitutions are filled in only when the '
                  'list is personalized.')
    return text


class NonDigest(GUIBase):
    NAME = 'nondigest'
    TITLE = 'Non-digest options'

    def GetConfigInfo(self, mlist, category, subcat=None):
        if category != self.NAME:
            return None
        personalized = mm_cfg.OWNERS_CAN_ENABLE_PERSONALIZATION
        info = [
            _('How posts are sent to the members who receive them one at a '
              'time, as they arrive, rather than in digests.'),

            entry('nondigestable', mm_cfg.Toggle, yes_no(),
                  _('Let members receive posts one at a time.'),
                  _('When off, every member must take the digest.  At least '
                    'one of this and digestable must stay on.')),
        ]
        if personalized:
            info.append(entry(
                'personalize', mm_cfg.Radio,
                (_('No'), _('Yes'), _('Full Personalization')),
                _('Send each member a copy of their own.'),
                _('Normally one copy of a post goes to the mail server '
                  'for many recipients.  With "Yes", each member gets a '
                  'separate copy, so the footer and header may name the '
                  'member (the user_* substitutions below).  "Full '
                  'Personalization" also puts the member\'s address in '
                  'To: (the list\'s address moves to Cc:).  Personalizing '
                  'costs the mail server much more work on big lists.')))
        info.extend([
            entry('msg_header', mm_cfg.Text, (10, 50),
                  _('Text added at the top of each post.'),
                  _('It is added to every post delivered one at a time.  '
                    'Leave it empty for none.  ')
                  + substitutions_help(personalized)),
            entry('msg_footer', mm_cfg.Text, (10, 50),
                  _('Text added at the bottom of each post.'),
                  _('It is added to every post delivered one at a time; '
                    'the usual footer says how to reach the list\'s '
                    'information page.  ')
                  + substitutions_help(personalized)),
            entry('scrub_nondigest', mm_cfg.Toggle, yes_no(),
                  _('Replace attachments with links to the archive.'),
                  _('When on, attachments of posts are taken out, stored '
                    'with the archive, and replaced by a link, as is done '
                    'for plain-text digests.  Members then need access to '
                    'the archive to read them; with a private archive that '
                    'means their password.')),
            entry('regular_exclude_lists', mm_cfg.EmailList, (3, 40),
                  _('Other lists whose members should not get a copy of '
                    'posts also sent to them.'),
                  _('When a post is addressed to this list and to one of '
                    'these lists (at its posting address), members of that '
                    'list are left out here, so that they receive the post '
                    'only once.  The lists must be on this site.')),
            entry('regular_exclude_ignore', mm_cfg.Toggle, yes_no(),
                  _('Ignore an excluded list the poster is not a member of.'),
                  _('The other list may hold or reject a post from someone '
                    'who is not its member, and its members would then miss '
                    'the post.  When on, an excluded list is skipped in that '
                    'case, so its members get the post from this list; when '
                    'off, regular_exclude_lists always applies.')),
            entry('regular_include_lists', mm_cfg.EmailList, (3, 40),
                  _('Other lists whose members also get this list\'s posts.'),
                  _('Each post is also sent to the regular (non-digest) '
                    'members of these lists on this site, once each even '
                    'if they are members of several.  The lists are given '
                    'by their posting addresses.')),
        ])
        return info
