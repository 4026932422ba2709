"""Mail a list sends about membership: welcome, goodbye, owner notices."""

from Mailman import Message
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.i18n import _


class Deliverer:
    def SendSubscribeAck(self, name, password, digest, text=''):
        """Welcome NAME to the list."""
        language = self.getMemberLanguage(name)
        welcome = Utils.wrap(self.welcome_msg) + '\n' if self.welcome_msg \
            else ''
        if self.umbrella_list:
            address = self.GetMemberAdminEmail(name)
            umbrella = Utils.wrap(_(
                'Note: since this is a list of mailing lists, administrative '
                'notices like the password reminder will be sent to your '
                'membership administrative address, %s.') % address)
        else:
            umbrella = ''
        text = (text or '') + Utils.maketext('subscribeack.txt', {
            'real_name': self.real_name,
            'host_name': self.host_name,
            'welcome': welcome,
            'umbrella': umbrella,
            'emailaddr': self.GetListEmail(),
            'listinfo_url': self.GetScriptURL('listinfo', absolute=True),
            'optionsurl': self.GetOptionsURL(name, absolute=True),
            'password': _('(set one on your options page)')
            if not password else _('(the one you chose)'),
            'user': self.getMemberCPAddress(name),
            'requestaddr': self.GetRequestEmail(),
        }, lang=language, mlist=self)
        subject = _('Welcome to the "%s" mailing list') % self.real_name
        if digest:
            subject += _(' (Digest mode)')
        message = Message.UserNotification(self.GetMemberAdminEmail(name),
                                           self.GetRequestEmail(), subject,
                                           text, language)
        message['X-No-Archive'] = 'yes'
        message.send(self, verp=mm_cfg.VERP_PERSONALIZED_DELIVERIES)

    def SendUnsubscribeAck(self, address, language):
        """Say goodbye to ADDRESS, who is no longer a member."""
        subject = _('You have been unsubscribed from the %s mailing list') \
            % self.real_name
        message = Message.UserNotification(
            self.GetMemberAdminEmail(address), self.GetBouncesEmail(),
            subject, Utils.wrap(self.goodbye_msg), language)
        message.send(self, verp=mm_cfg.VERP_PERSONALIZED_DELIVERIES)

    def GetMemberAdminEmail(self, member):
        """Where administrative mail for MEMBER goes: the member, or for an
        umbrella list the member list's -owner address."""
        if self.umbrella_list:
            local, _, domain = member.rpartition('@')
            return f'{local}{self.umbrella_member_suffix}@{domain}'
        return member
