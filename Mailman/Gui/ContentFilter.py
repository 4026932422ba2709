"""Content filtering: removing unwanted parts and attachments of posts."""

from Mailman import mm_cfg
from Mailman.Gui.GUIBase import GUIBase, entry, yes_no
from Mailman.i18n import _


class ContentFilter(GUIBase):
    NAME = 'contentfilter'
    TITLE = 'Content filtering'

    def GetConfigInfo(self, mlist, category, subcat=None):
        if category != self.NAME:
            return None
        actions = [_('Discard'), _('Reject'), _('Forward to List Owner')]
        if mm_cfg.OWNERS_CAN_PRESERVE_FILTERED_MESSAGES:
            actions.append(_('Preserve'))
        one_per_line = _('  On the web page one entry per line; in a '
                         'config_list file a list of strings.')
        return [
            _('Posts can be stripped of parts by MIME type or attachment '
              'file name before they reach members and the archive.  The '
              'rules apply in this order: filter_mime_types, '
              'pass_mime_types, the two file name lists, '
              'collapse_alternatives, convert_html_to_plaintext.'),

            entry('filter_content', mm_cfg.Radio, yes_no(),
                  _('Filter the content of posts.'),
                  _('None of the rules below apply while this is off.')),
            entry('filter_mime_types', mm_cfg.Text, (10, 10),
                  _('MIME types of parts to remove.'),
                  _('A part whose type matches is removed.  An entry is a '
                    'full type such as image/jpeg, or a main type such as '
                    'image for all of its subtypes.  When a whole post '
                    'matches, filter_action decides what happens to it.')
                  + one_per_line),
            entry('pass_mime_types', mm_cfg.Text, (10, 10),
                  _('MIME types of parts to keep; all others are removed.'),
                  _('When this is not empty, parts of any type not listed '
                    'are removed.  Keep multipart in it, or no multipart '
                    'post gets through.') + one_per_line),
            entry('filter_filename_extensions', mm_cfg.Text, (10, 10),
                  _('File name extensions of attachments to remove.'),
                  _('An attachment whose file name ends in one of these '
                    'extensions (written without the dot, such as exe) is '
                    'removed.') + one_per_line),
            entry('pass_filename_extensions', mm_cfg.Text, (10, 10),
                  _('File name extensions of attachments to keep; all '
                    'others are removed.'),
                  _('When this is not empty, attachments with a file name '
                    'extension not listed are removed.') + one_per_line),
            entry('collapse_alternatives', mm_cfg.Radio, yes_no(),
                  _('Keep only the first version of multipart/alternative '
                    'parts.'),
                  _('Mail programs often send the same text twice, as '
                    'plain text and as HTML.  When on, only the first of '
                    'the alternatives that are left after filtering is '
                    'kept.')),
            entry('convert_html_to_plaintext', mm_cfg.Radio, yes_no(),
                  _('Turn remaining HTML parts into plain text.'),
                  _('The site\'s converter program does the work; the '
                    'result replaces the HTML part.')),
            entry('filter_action', mm_cfg.Radio, tuple(actions),
                  _('What happens to a post that filtering leaves empty.'),
                  _('"Discard" drops it silently; "Reject" returns it to '
                    'the sender with an explanation; "Forward to List '
                    'Owner" sends it to the owners instead of the list; '
                    '"Preserve", where the site offers it, keeps it in the '
                    'site\'s store of bad messages for the site '
                    'administrator.')),
        ]
