"""Bounce settings and per-member bounce records of a list.

The scoring, warnings and removal that act on these records arrive with
bounce processing (BounceRunner, cron/disabled).
"""

import time

from Mailman import mm_cfg


class _BounceInfo:
    """One member's bounce record; pickled in config.pck as in 2.1."""

    def __init__(self, member, score, date, noticesleft):
        self.member = member
        self.score = score
        self.date = date                # (year, month, day) of the last bounce
        self.noticesleft = noticesleft
        self.lastnotice = (0, 0, 0)     # date of the last disabled warning
        self.cookie = None              # pending re-enable cookie

    def __repr__(self):
        return ('<BounceInfo for {0.member}: score={0.score}, date={0.date}, '
                'noticesleft={0.noticesleft}, lastnotice={0.lastnotice}, '
                'cookie={0.cookie}>'.format(self))

    def __setstate__(self, state):
        # Records from older releases may lack the later attributes.
        self.__dict__.update(state)
        self.__dict__.setdefault('lastnotice', (0, 0, 0))
        self.__dict__.setdefault('cookie', None)


class Bouncer:
    def InitVars(self):
        self.bounce_processing = mm_cfg.DEFAULT_BOUNCE_PROCESSING
        self.bounce_score_threshold = mm_cfg.DEFAULT_BOUNCE_SCORE_THRESHOLD
        self.bounce_info_stale_after = mm_cfg.DEFAULT_BOUNCE_INFO_STALE_AFTER
        self.bounce_you_are_disabled_warnings = \
            mm_cfg.DEFAULT_BOUNCE_YOU_ARE_DISABLED_WARNINGS
        self.bounce_you_are_disabled_warnings_interval = \
            mm_cfg.DEFAULT_BOUNCE_YOU_ARE_DISABLED_WARNINGS_INTERVAL
        self.bounce_unrecognized_goes_to_list_owner = \
            mm_cfg.DEFAULT_BOUNCE_UNRECOGNIZED_GOES_TO_LIST_OWNER
        self.bounce_notify_owner_on_bounce_increment = \
            mm_cfg.DEFAULT_BOUNCE_NOTIFY_OWNER_ON_BOUNCE_INCREMENT
        self.bounce_notify_owner_on_disable = \
            mm_cfg.DEFAULT_BOUNCE_NOTIFY_OWNER_ON_DISABLE
        self.bounce_notify_owner_on_removal = \
            mm_cfg.DEFAULT_BOUNCE_NOTIFY_OWNER_ON_REMOVAL
        # member key -> _BounceInfo
        self.bounce_info = {}
        # member key -> (delivery status, time it was set)
        self.delivery_status = {}

    @staticmethod
    def _today():
        return time.localtime()[:3]
