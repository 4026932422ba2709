"""Bounce settings of a list, its members' bounce records, and what
bounces do to members (2.1's scoring; reference section 8.3).

registerBounce() is given each member address a bounce names (by
BounceRunner, with the list locked).  A member's score grows by one for
each day with a bounce, at most once a day, and starts again when the last
bounce is older than bounce_info_stale_after.  At bounce_score_threshold
delivery is disabled (BYBOUNCE) and the member is sent the first of
bounce_you_are_disabled_warnings notices (disabled.txt), each carrying the
same re-enable confirmation cookie.  cron/disabled sends the next notice
every bounce_you_are_disabled_warnings_interval, and removes the member
once no notices are left.  Owners hear of it as the bounce_notify_owner_*
settings say (bounce.txt).

Bounce processing goes by clock_time(), which a test site can move
forward: when mm_cfg.TEST_CLOCK_FILE names a file, the number of seconds
in it is added to the real time.  Production sites never set it.
"""

import time

from Mailman import MemberAdaptor
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog

# How each delivery status reads in notices and on the admin pages.
REASONS = {
    MemberAdaptor.BYBOUNCE: 'excessive bounces',
    MemberAdaptor.BYUSER: 'the member\'s own choice',
    MemberAdaptor.BYADMIN: 'the list administrator\'s choice',
    MemberAdaptor.UNKNOWN: 'a reason from an old release',
}

DAY = 24 * 60 * 60


def clock_time():
    """Seconds since the epoch, as bounce processing sees them."""
    now = time.time()
    path = getattr(mm_cfg, 'TEST_CLOCK_FILE', None)
    if path:
        try:
            with open(path, encoding='ascii') as fp:
                now += float(fp.read().strip() or 0)
        except (OSError, ValueError):
            pass
    return now


def clock_today():
    """(year, month, day) of clock_time(), in local time."""
    return tuple(time.localtime(clock_time())[:3])


def day_start(date):
    """Seconds since the epoch at the start of DATE (year, month, day)."""
    if not date or tuple(date) == (0, 0, 0):
        return 0.0
    year, month, mday = date
    return time.mktime((year, month, mday, 0, 0, 0, 0, 0, -1))


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
        return clock_today()

    # ------------------------------------------------------------ scoring
    def registerBounce(self, member, msg, weight=1.0, day=None,
                       sibling=False):
        """Count a bounce of MEMBER (MSG is the bounce, for the owner
        notices).  DAY: (y, m, d) the bounce arrived, today by default.
        The list must be locked."""
        if not self.isMember(member):
            if not sibling:
                self._pass_to_included_lists(member, msg, weight, day)
            return
        listname = self.internal_name()
        status = self.getDeliveryStatus(member)
        if status != MemberAdaptor.ENABLED:
            syslog('bounce', '%s: %s residual bounce received (delivery is '
                   'already off)', listname, member)
            return
        day = tuple(day) if day else self._today()
        info = self.getBounceInfo(member)
        if info is None:
            info = _BounceInfo(member, weight, day,
                               self.bounce_you_are_disabled_warnings)
            syslog('bounce', '%s: %s bounce score: %s', listname, member,
                   info.score)
        elif tuple(info.date) >= day:
            # At most one bounce a day counts.
            syslog('bounce', '%s: %s already scored a bounce for date %s',
                   listname, member, _datestr(day))
            return
        elif day_start(info.date) + self.bounce_info_stale_after < \
                day_start(day):
            syslog('bounce', '%s: %s has stale bounce info, resetting',
                   listname, member)
            info.score = weight
            info.date = day
            info.noticesleft = self.bounce_you_are_disabled_warnings
        else:
            info.score += weight
            info.date = day
            syslog('bounce', '%s: %s current bounce score: %s', listname,
                   member, info.score)
        self.setBounceInfo(member, info)
        if info.score >= self.bounce_score_threshold:
            if mm_cfg.VERP_PROBES:
                # Make sure first: only the bounce of a probe, which
                # carries a secret token, disables the member.
                syslog('bounce', '%s: %s sending probe (score %s >= %s)',
                       listname, member, info.score,
                       self.bounce_score_threshold)
                self.sendProbe(member, msg)
                info.score = 0
                self.setBounceInfo(member, info)
            else:
                self.disableBouncingMember(member, info, msg)
        elif self.bounce_notify_owner_on_bounce_increment:
            self._bounce_owner_notice(member, 'increment', msg, info)

    def _pass_to_included_lists(self, member, msg, weight, day):
        """A bounce of someone who gets this list's mail through one of its
        regular_include_lists is that list's business."""
        from Mailman import Errors
        from Mailman.MailList import MailList
        for address in getattr(self, 'regular_include_lists', None) or []:
            local, _, host = str(address).partition('@')
            if host and host.lower() != self.host_name.lower():
                continue
            name = local.lower()
            if not name or name == self.internal_name():
                continue
            try:
                other = MailList(name, lock=0)
            except Errors.MMListError:
                continue
            if not other.isMember(member):
                continue
            other.Lock()
            try:
                other.registerBounce(member, msg, weight, day, sibling=True)
                other.Save()
            finally:
                other.Unlock()

    def disableBouncingMember(self, member, info, msg):
        """Turn off MEMBER's delivery (BYBOUNCE) and send the first
        notice.  The list must be locked."""
        info.noticesleft = self.bounce_you_are_disabled_warnings
        info.lastnotice = (0, 0, 0)
        self._reenable_cookie(member, info)
        self.setDeliveryStatus(member, MemberAdaptor.BYBOUNCE)
        self.setBounceInfo(member, info)
        syslog('bounce', '%s: %s disabling due to bounce score %s >= %s',
               self.internal_name(), member, info.score,
               self.bounce_score_threshold)
        if self.bounce_notify_owner_on_disable:
            self._bounce_owner_notice(member, 'disable', msg, info)
        self.sendNextNotification(member)

    def sendProbe(self, member, msg):
        """Send MEMBER a probe whose envelope sender carries a pending
        token (VERP_PROBE_FORMAT); if it bounces, BounceRunner disables the
        member at once.  MSG, the bounce that led here, is kept with the
        token and attached to the probe.  The list must be locked."""
        from Mailman import Message
        from Mailman import Pending
        from Mailman import Utils
        from Mailman.i18n import _
        # The bounce is kept as bytes: list files hold no message objects.
        try:
            raw = msg.as_bytes() if msg is not None else b''
        except Exception:
            raw = b''
        token = self.pend_new(Pending.PROBE_BOUNCE, member, raw)
        bounces = self.GetBouncesEmail().rpartition('@')[0]
        probe_address = '%s@%s' % (mm_cfg.VERP_PROBE_FORMAT % {
            'bounces': bounces, 'token': token}, self.host_name)
        lang = self.getMemberLanguage(member)
        text = Utils.maketext('probe.txt', {
            'listname': self.real_name,
            'address': member,
            'optionsurl': self.GetOptionsURL(member, absolute=1),
            'owneraddr': self.GetOwnerEmail(),
        }, lang=lang, mlist=self)
        probe = Message.UserNotification(
            self.getMemberCPAddress(member), self.GetBouncesEmail(),
            _('%(listname)s mailing list probe message')
            % {'listname': self.real_name}, lang=lang)
        if msg is not None and msg.keys():
            Message.attach_original(probe, text, msg, lang)
        else:
            probe.set_type('multipart/mixed')
            probe.attach(Message.text_part(text, lang))
        probe.send(self, envsender=probe_address, verp=False, probe_token=token)
        return token

    def _reenable_cookie(self, member, info):
        """The member's one re-enable cookie: the pending one if it is
        still live (its life extended), else a new one."""
        from Mailman import Pending
        interval = self.bounce_you_are_disabled_warnings_interval
        lifetime = max(mm_cfg.PENDING_REQUEST_LIFE,
                       interval * (max(info.noticesleft, 0) + 1) + DAY)
        if info.cookie:
            record = self.pend_confirm(info.cookie, expunge=False)
            if record and record[0] == Pending.RE_ENABLE and \
                    str(record[-1]).lower() == member.lower():
                self.pend_repend(info.cookie, record, lifetime=lifetime)
                return info.cookie
        info.cookie = self.pend_new(Pending.RE_ENABLE, self.internal_name(),
                                    member, lifetime=lifetime)
        return info.cookie

    def sendNextNotification(self, member):
        """Send MEMBER the next you-are-disabled notice or, when none are
        left, remove MEMBER from the list.  The list must be locked."""
        from Mailman import Message
        from Mailman import Utils
        from Mailman.i18n import _
        info = self.getBounceInfo(member)
        if info is None:
            return
        listname = self.internal_name()
        status = self.getDeliveryStatus(member)
        if info.noticesleft <= 0:
            address = self.getMemberCPAddress(member)
            if info.cookie:
                self.pend_confirm(info.cookie, expunge=True)
            self.ApprovedDeleteMember(member, whence='disabled address',
                                      admin_notif=False)
            if self.bounce_notify_owner_on_removal:
                self._bounce_owner_notice(address, 'removal', None, info)
            if status == MemberAdaptor.BYBOUNCE:
                syslog('bounce', '%s: %s deleted after exhausting notices',
                       listname, address)
            syslog('subscribe', '%s: %s auto-unsubscribed [reason: %s]',
                   listname, Utils.log_safe(address),
                   REASONS.get(status, 'unknown'))
            return
        cookie = self._reenable_cookie(member, info)
        lang = self.getMemberLanguage(member)
        text = Utils.maketext('disabled.txt', {
            'listname': self.real_name,
            'reason': _(REASONS.get(status, REASONS[MemberAdaptor.UNKNOWN])),
            # Reminders still to come after this one.
            'noticesleft': info.noticesleft - 1,
            'confirmurl': (self.GetScriptURL('confirm', absolute=1) + '/' +
                           cookie),
            'optionsurl': self.GetOptionsURL(member, absolute=1),
            'requestaddr': self.GetRequestEmail(),
            'cookie': cookie,
            'owneraddr': self.GetOwnerEmail(),
        }, lang=lang, mlist=self)
        notice = Message.UserNotification(
            self.getMemberCPAddress(member), self.GetRequestEmail(cookie),
            'confirm ' + cookie, text, lang)
        # A warning must reach people whose filters drop bulk mail.
        notice.send(self, noprecedence=True)
        info.noticesleft -= 1
        info.lastnotice = self._today()
        self.setBounceInfo(member, info)
        syslog('bounce', '%s: %s sent disabled notice, %d left', listname,
               member, info.noticesleft)

    # ------------------------------------------------------------ daily pass
    def processDisabledMembers(self, statuses=(MemberAdaptor.BYBOUNCE,),
                               force=False):
        """cron/disabled's work on this list: send the notices that are due
        to members whose delivery is off for one of STATUSES (all of them
        with FORCE), remove those with no notices left, forget stale
        bounce records, and disable members whose score is over the
        threshold.  Returns (noticed, removed, disabled) counts.  The list
        must be locked."""
        now = clock_time()
        today = self._today()
        interval = self.bounce_you_are_disabled_warnings_interval
        due = []
        for member in self.getDeliveryStatusMembers(tuple(statuses)):
            info = self.getBounceInfo(member)
            if info is None:
                # Disabled some other way (or by an old release): give the
                # member a record so that the notices can be counted.
                info = _BounceInfo(member, 0, today,
                                   self.bounce_you_are_disabled_warnings)
                self.setBounceInfo(member, info)
            if force or day_start(info.lastnotice) + interval <= now:
                due.append(member)
        disabled = 0
        for member in list(self.getBouncingMembers()):
            if not self.isMember(member) or \
                    self.getDeliveryStatus(member) != MemberAdaptor.ENABLED:
                continue
            info = self.getBounceInfo(member)
            if day_start(info.date) + self.bounce_info_stale_after < \
                    day_start(today):
                syslog('bounce', '%s: %s stale bounce info dropped',
                       self.internal_name(), member)
                self.setBounceInfo(member, None)
            elif info.score >= self.bounce_score_threshold:
                self.disableBouncingMember(member, info, None)
                disabled += 1
        noticed = removed = 0
        for member in due:
            if not self.isMember(member):
                continue
            info = self.getBounceInfo(member)
            if info is not None and info.noticesleft <= 0:
                removed += 1
            else:
                noticed += 1
            self.sendNextNotification(member)
        return noticed, removed, disabled

    # ------------------------------------------------------------ owners
    def _bounce_owner_notice(self, member, action, msg, info):
        """Tell the owners that MEMBER's bounces led to ACTION ('increment',
        'disable' or 'removal'), with the bounce MSG attached if there is
        one."""
        from Mailman import Message
        from Mailman import Utils
        from Mailman.i18n import _
        actions = {
            'increment': _('bounce score incremented'),
            'disable': _('delivery disabled'),
            'removal': _('removed from the list'),
        }
        subjects = {
            'increment': _('Bounce action notification'),
            'disable': _('Bounce action notification'),
            'removal': _('%(member)s unsubscribed from %(listname)s '
                         'mailing list due to bounces'),
        }
        values = {'member': member, 'listname': self.real_name}
        text = Utils.maketext('bounce.txt', {
            'listname': self.real_name,
            'member': member,
            'action': actions[action],
            'score': info.score if info else '',
            'threshold': self.bounce_score_threshold,
            'noticesleft': info.noticesleft if info else '',
            'owneraddr': self.GetOwnerEmail(),
            'adminurl': self.GetScriptURL('admin', absolute=1) + '/members',
        }, mlist=self)
        subject = subjects[action] % values
        if msg is None or not msg.keys():
            notice = Message.OwnerNotification(self, subject, text,
                                               tomoderators=0)
        else:
            notice = Message.OwnerNotification(self, subject, tomoderators=0)
            Message.attach_original(notice, text, msg,
                                    self.preferred_language)
        notice.send(self)


def _datestr(day):
    return '%04d-%02d-%02d' % tuple(day)
