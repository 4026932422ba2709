"""Topics: members may choose to receive only posts on some subjects."""

from Mailman import mm_cfg
from Mailman.Gui.GUIBase import GUIBase, entry
from Mailman.i18n import _


class Topics(GUIBase):
    NAME = 'topics'
    TITLE = 'Topics'

    def GetConfigInfo(self, mlist, category, subcat=None):
        if category != self.NAME:
            return None
        return [
            _('Topics sort posts by subject: each topic has a regular '
              'expression, posts that match it belong to it, and members '
              'may ask to receive only the topics they care about.'),

            entry('topics_enabled', mm_cfg.Radio,
                  (_('Disabled'), _('Enabled')),
                  _('Use topics.'),
                  _('When disabled, posts are not matched against the '
                    'topics and members receive everything.')),
            entry('topics_bodylines_limit', mm_cfg.Number, 5,
                  _('How many lines at the start of the body are searched '
                    'for Subject: and Keywords: lines.'),
                  _('Besides the Subject: and Keywords: headers, lines of '
                    'that form at the top of the body are matched, up to '
                    'this many lines; the search stops at the first line '
                    'that does not look like a header.  0 searches none, '
                    'a negative number searches until that first line.')),
            entry('topics', mm_cfg.Topics, 0,
                  _('The topics, each with a name, a pattern and a '
                    'description.'),
                  _('The pattern is a regular expression, matched ignoring '
                    'case against the Subject: and Keywords: of each post.  '
                    'Members choose topics by name on their options page.  '
                    'In a config_list file a topic is a tuple (name, '
                    'pattern, description, False).')),
        ]
