"""Digest options: batches of posts sent as one message."""

from Mailman import mm_cfg
from Mailman.Gui.GUIBase import GUIBase, entry, yes_no
from Mailman.Gui.NonDigest import substitutions_help
from Mailman.i18n import _


class Digest(GUIBase):
    NAME = 'digest'
    TITLE = 'Digest options'

    def GetConfigInfo(self, mlist, category, subcat=None):
        if category != self.NAME:
            return None
        frequencies = (_('Yearly'), _('Monthly'), _('Quarterly'),
                       _('Weekly'), _('Daily'))
        return [
            _('How posts are collected into digests, and when digests are '
              'sent.'),

            entry('digestable', mm_cfg.Toggle, yes_no(),
                  _('Let members receive posts in digests.'),
                  _('A digest gathers several posts into one message.  When '
                    'off, nobody may choose digests.  At least one of this '
                    'and nondigestable must stay on.')),
            entry('digest_is_default', mm_cfg.Radio,
                  (_('Regular'), _('Digest')),
                  _('How new members receive the list, until they change '
                    'it.'),
                  _('"Regular" sends each post as it arrives; "Digest" '
                    'sends them in digests.')),
            entry('mime_is_default_digest', mm_cfg.Radio,
                  (_('Plain'), _('MIME')),
                  _('Which kind of digest new digest members get.'),
                  _('A MIME digest keeps each post as an attachment of its '
                    'own, with its attachments intact; a plain digest is '
                    'one block of text, with attachments replaced by links.  '
                    'Members may choose for themselves.')),
            entry('digest_size_threshhold', mm_cfg.Number, 3,
                  _('Send a digest when it reaches this size in kilobytes.'),
                  _('A digest goes out as soon as the posts collected for it '
                    'reach this size, besides the regular sending below.  '
                    '0 means size never triggers a digest.')),
            entry('digest_send_periodic', mm_cfg.Radio, yes_no(),
                  _('Send a digest every day, even when it is small.'),
                  _('When on, the daily cron job sends whatever has been '
                    'collected since the last digest, if anything.  When '
                    'off, digests go out only when they reach the size '
                    'threshold.')),
            entry('digest_header', mm_cfg.Text, (4, 55),
                  _('Text put at the top of each digest.'),
                  _('It follows the digest\'s table of contents.  Leave it '
                    'empty for none.  ') + substitutions_help(False)),
            entry('digest_footer', mm_cfg.Text, (4, 55),
                  _('Text put at the end of each digest.'),
                  _('The usual footer says how to reach the list\'s '
                    'information page.  ') + substitutions_help(False)),
            entry('digest_volume_frequency', mm_cfg.Radio, frequencies,
                  _('How often a new digest volume starts.'),
                  _('Digests are numbered by volume and issue; at the start '
                    'of each period the volume number goes up and the issue '
                    'number starts again at 1.')),
            entry('_new_volume', mm_cfg.Toggle, yes_no(),
                  _('Start a new digest volume now.'),
                  _('An action rather than a setting: choosing Yes and '
                    'submitting the page increases the volume number and '
                    'restarts the issue numbers.')),
            entry('_send_digest_now', mm_cfg.Toggle, yes_no(),
                  _('Send the digest collected so far right now.'),
                  _('An action rather than a setting: choosing Yes and '
                    'submitting the page sends the pending digest, if it '
                    'holds any posts.')),
        ]
