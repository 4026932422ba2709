"""Bounce processing: how undeliverable mail affects members."""

from Mailman import mm_cfg
from Mailman.Gui.GUIBase import GUIBase, entry, yes_no
from Mailman.i18n import _


class Bounce(GUIBase):
    NAME = 'bounce'
    TITLE = 'Bounce processing'

    def GetConfigInfo(self, mlist, category, subcat=None):
        if category != self.NAME:
            return None
        return [
            _('When mail to a member keeps bouncing, Mailman gives the '
              'member a bounce score; at the threshold their delivery is '
              'turned off, they are warned a few times, and then they are '
              'removed.  A permanent failure adds 1 to the score, a '
              'temporary one half of that, at most once a day.'),

            entry('bounce_processing', mm_cfg.Toggle, yes_no(),
                  _('Act on bounces of the list\'s mail.'),
                  _('When off, recognised bounces are not counted against '
                    'members and nobody is disabled or removed for '
                    'bouncing.')),
            entry('bounce_score_threshold', mm_cfg.Number, 5,
                  _('The bounce score at which a member\'s delivery is '
                    'turned off.'),
                  _('A decimal number such as 5.0.  Lower values disable '
                    'bouncing members sooner.')),
            entry('bounce_info_stale_after', mm_cfg.Number, 5,
                  _('How long without bounces before a member\'s score is '
                    'forgotten.'),
                  _('When this much time passes after a member\'s last '
                    'bounce, the next bounce starts a new score.  The web '
                    'page shows it in days; a config_list file gives it in '
                    'seconds, as it is stored (7 days = 604800).')),
            entry('bounce_you_are_disabled_warnings', mm_cfg.Number, 5,
                  _('How many notices a disabled member gets before being '
                    'removed.'),
                  _('Each notice tells the member that their delivery is '
                    'off and how to turn it on again.  After the last one '
                    'the member is removed; 0 removes the member as soon '
                    'as delivery is turned off for bouncing.')),
            entry('bounce_you_are_disabled_warnings_interval', mm_cfg.Number,
                  5,
                  _('The time between two of those notices.'),
                  _('The web page shows it in days; a config_list file '
                    'gives it in seconds, as it is stored (7 days = '
                    '604800).')),
            entry('bounce_unrecognized_goes_to_list_owner', mm_cfg.Toggle,
                  yes_no(),
                  _('Forward bounces Mailman cannot read to the owners.'),
                  _('Some bounces do not say clearly which address failed.  '
                    'When on they are sent to the list owners to deal with; '
                    'when off they are dropped.')),
            entry('bounce_notify_owner_on_bounce_increment', mm_cfg.Toggle,
                  yes_no(),
                  _('Tell the owners each time a member\'s bounce score '
                    'goes up.'),
                  _('Useful to watch bounce processing at work; on a busy '
                    'list it sends many notices.')),
            entry('bounce_notify_owner_on_disable', mm_cfg.Toggle, yes_no(),
                  _('Tell the owners when bouncing turns a member\'s '
                    'delivery off.'),
                  _('The notice includes the bounce that reached the '
                    'threshold.')),
            entry('bounce_notify_owner_on_removal', mm_cfg.Toggle, yes_no(),
                  _('Tell the owners when a member is removed for '
                    'bouncing.'),
                  _('This happens after the last of the disabled-member '
                    'notices.')),
        ]
