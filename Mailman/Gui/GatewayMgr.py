"""Mail-News gateways: linking the list with a Usenet newsgroup."""

from Mailman import mm_cfg
from Mailman.Gui.GUIBase import GUIBase, entry, yes_no
from Mailman.i18n import _


class GatewayMgr(GUIBase):
    NAME = 'gateway'
    TITLE = 'Mail<->News gateways'

    def GetConfigInfo(self, mlist, category, subcat=None):
        if category != self.NAME:
            return None
        return [
            _('Posts of the list can be passed to a Usenet newsgroup, and '
              'articles of the newsgroup to the list.'),

            entry('nntp_host', mm_cfg.String, 50,
                  _('The news server to exchange articles with.'),
                  _('The host name of the NNTP server, optionally followed '
                    'by :port.  Leave it empty to use the site\'s default '
                    'news server.')),
            entry('linked_newsgroup', mm_cfg.String, 50,
                  _('The newsgroup linked with the list.'),
                  _('Its full name, for example comp.lang.python.  Both '
                    'directions of the gateway need it.')),
            entry('gateway_to_news', mm_cfg.Toggle, yes_no(),
                  _('Post the list\'s messages to the newsgroup.'),
                  _('Each post accepted by the list is also posted to the '
                    'linked newsgroup.')),
            entry('gateway_to_mail', mm_cfg.Toggle, yes_no(),
                  _('Send the newsgroup\'s articles to the list.'),
                  _('New articles of the linked newsgroup are fetched '
                    'regularly (by cron/gate_news) and sent to the list\'s '
                    'members.')),
            entry('news_moderation', mm_cfg.Radio,
                  (_('None'), _('Open list, moderated group'),
                   _('Moderated')),
                  _('How the newsgroup is moderated.'),
                  _('"None": the group is not moderated.  "Open list, '
                    'moderated group": the list is the group\'s moderator, '
                    'so posts to the list go to the group with an Approved '
                    'header.  "Moderated": the group is moderated and so is '
                    'the list; posts are held for the list\'s moderators '
                    'before they go anywhere.')),
            entry('news_prefix_subject_too', mm_cfg.Toggle, yes_no(),
                  _('Add the subject prefix to articles posted to the '
                    'newsgroup.'),
                  _('When off, articles keep their subject unchanged in the '
                    'newsgroup, while mail to members still gets the '
                    'prefix.')),
            entry('_mass_catchup', mm_cfg.Toggle, yes_no(),
                  _('Mark every article now in the newsgroup as already '
                    'sent.'),
                  _('An action rather than a setting: choosing Yes and '
                    'submitting the page makes the gateway skip the '
                    'articles already in the group, so that only new ones '
                    'go to the list.  Useful when first turning on '
                    'gateway_to_mail.')),
        ]
