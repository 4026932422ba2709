"""Auto-responder: automatic replies to posts and to the list's other
addresses."""

from Mailman import mm_cfg
from Mailman.Gui.GUIBase import GUIBase, TEMPLATE_NAMES, entry, yes_no
from Mailman.i18n import _


class Autoresponse(GUIBase):
    NAME = 'autoreply'
    TITLE = 'Auto-responder'

    def GetConfigInfo(self, mlist, category, subcat=None):
        if category != self.NAME:
            return None
        texts = _('The text may use %%(name)s substitutions such as '
                  '%(names)s.') % {'names': ', '.join(TEMPLATE_NAMES[:4])}
        return [
            _('Automatic replies to mail sent to the list and to its -owner '
              'and -request addresses.  A sender gets at most one reply of '
              'each kind within autoresponse_graceperiod days.'),

            entry('autorespond_postings', mm_cfg.Toggle, yes_no(),
                  _('Reply automatically to posts to the list.'),
                  _('The reply contains autoresponse_postings_text.  The '
                    'post itself is handled as usual.')),
            entry('autoresponse_postings_text', mm_cfg.FileUpload, (6, 50),
                  _('The automatic reply to posts.'),
                  texts),
            entry('autorespond_admin', mm_cfg.Toggle, yes_no(),
                  _('Reply automatically to mail for the -owner address.'),
                  _('The reply contains autoresponse_admin_text; the mail '
                    'still goes to the owners.')),
            entry('autoresponse_admin_text', mm_cfg.FileUpload, (6, 50),
                  _('The automatic reply to mail for the owners.'),
                  texts),
            entry('autorespond_requests', mm_cfg.Radio,
                  (_('No'), _('Yes, w/discard'), _('Yes, w/forward')),
                  _('Reply automatically to mail for the -request '
                    'address.'),
                  _('"Yes, w/discard" replies with '
                    'autoresponse_request_text and drops the message '
                    'without running its commands; "Yes, w/forward" '
                    'replies and then processes the message as usual.')),
            entry('autoresponse_request_text', mm_cfg.FileUpload, (6, 50),
                  _('The automatic reply to mail for the -request '
                    'address.'),
                  texts),
            entry('autoresponse_graceperiod', mm_cfg.Number, 3,
                  _('Days before the same sender gets another automatic '
                    'reply.'),
                  _('Keeps a sender, or a mail loop, from receiving a reply '
                    'to every message.  0 replies every time.')),
        ]
