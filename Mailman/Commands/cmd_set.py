"""set: see or change your membership options."""

import email.utils

from Mailman import Errors
from Mailman import MemberAdaptor
from Mailman import mm_cfg
from Mailman.Commands import STOP, not_a_member, sender_address
from Mailman.Commands import split_address_arg
from Mailman.i18n import _

HELP = """\
    set ...
        See or change your membership options.  `set help' explains the
        options; `set show' shows your current settings.
"""

DETAILS = """\
    set help
        This explanation.

    set show [address=<address>]
        Your current option settings.  If you are writing from another
        address than your membership address, add `address=<address>' (no
        brackets, no quotes); the answer then goes to that address.

    set authenticate <password> [address=<address>]
        Needed once, before any command that changes an option, with your
        membership password (the list administrator's password works too).
        Add `address=<address>' as above when writing from another address.

    set ack on|off
        Whether you get a short acknowledgement of each of your posts.

    set digest plain|mime|off
        Receive the posts bundled into digests (plain text or MIME), or
        (off) each post as it is sent.

    set delivery on|off
        Turn delivery of posts to you off, for example during a holiday,
        without leaving the list; and on again when you are back.
        (`set nomail on|off' is the same with the opposite sense.)

    set myposts on|off
        Whether you receive copies of your own posts (regular delivery
        only).  (`set notmetoo' has the opposite sense.)

    set hide on|off
        Whether your address is hidden from the list of members.

    set duplicates on|off
        `off' spares you a list copy of posts that already name you in
        their To: or Cc: headers.  (`set nodupes' has the opposite sense.)

    set reminders on|off
        Whether you receive the periodic membership reminder of this list.
        (`set noremind' has the opposite sense.)
"""

# Simple on/off options: name -> (flag, True if `on' sets the flag)
FLAGS = {
    'ack': (mm_cfg.AcknowledgePosts, True),
    'myposts': (mm_cfg.DontReceiveOwnPosts, False),
    'notmetoo': (mm_cfg.DontReceiveOwnPosts, True),
    'hide': (mm_cfg.ConcealSubscription, True),
    'duplicates': (mm_cfg.DontReceiveDuplicates, False),
    'nodupes': (mm_cfg.DontReceiveDuplicates, True),
    'reminders': (mm_cfg.SuppressPasswordReminder, False),
    'noremind': (mm_cfg.SuppressPasswordReminder, True),
}
CONFIRMATIONS = {
    'ack': 'ack option set', 'myposts': 'myposts option set',
    'notmetoo': 'myposts option set', 'hide': 'hide option set',
    'duplicates': 'duplicates option set',
    'nodupes': 'duplicates option set', 'reminders': 'reminder option set',
    'noremind': 'reminder option set',
}


def gethelp(mlist):
    return _(HELP)


class SetCommands:
    """The state kept between the set lines of one message: who has
    authenticated."""

    def __init__(self):
        self.address = None

    def usage(self, res):
        res.results.append(_('Usage:'))
        res.results.append(_(DETAILS).rstrip('\n'))
        return STOP

    def process(self, res, args):
        if not args:
            res.results.append(_(DETAILS).rstrip('\n'))
            return STOP
        subcommand = args[0].lower()
        args = args[1:]
        if subcommand == 'help':
            res.results.append(_(DETAILS).rstrip('\n'))
            return None
        if subcommand == 'show':
            return self.show(res, args)
        if subcommand == 'authenticate':
            return self.authenticate(res, args)
        if subcommand == 'digest':
            return self.digest(res, args)
        if subcommand in ('delivery', 'nomail'):
            return self.delivery(res, subcommand, args)
        if subcommand in FLAGS:
            return self.flag(res, subcommand, args)
        res.results.append(_('Bad set command: %(subcmd)s')
                           % {'subcmd': subcommand})
        return self.usage(res)

    # ---------------------------------------------------------------- show
    def show(self, res, args):
        mlist = res.mlist
        args, address = split_address_arg(args)
        if args:
            return self.usage(res)
        address = address or sender_address(res)
        if not mlist.isMember(address):
            # Said to the sender: never mail a stranger named in address=.
            return not_a_member(res, address)
        if address.lower() != sender_address(res).lower():
            res.returnaddr = mlist.getMemberCPAddress(address)

        def onoff(value):
            return _('on') if value else _('off')

        option = mlist.getMemberOption
        res.results.append(_('Your current option settings:'))
        res.results.append(_('    ack %(onoff)s') % {
            'onoff': onoff(option(address, mm_cfg.AcknowledgePosts))})
        if option(address, mm_cfg.Digests):
            if option(address, mm_cfg.DisableMime):
                res.results.append(_('    digest plain'))
            else:
                res.results.append(_('    digest mime'))
        else:
            res.results.append(_('    digest off'))
        status = mlist.getDeliveryStatus(address)
        how = {MemberAdaptor.BYUSER: _('by you'),
               MemberAdaptor.BYADMIN: _('by the admin'),
               MemberAdaptor.BYBOUNCE: _('due to bounces'),
               MemberAdaptor.UNKNOWN: _('for unknown reasons')}.get(status)
        if how is None:
            res.results.append(_('    delivery on'))
        else:
            changed = mlist.getDeliveryStatusChangeTime(address)
            if changed:
                res.results.append(
                    _('    delivery off (%(how)s on %(date)s)') % {
                        'how': how, 'date': email.utils.formatdate(changed)})
            else:
                res.results.append(_('    delivery off (%(how)s)')
                                   % {'how': how})
        res.results.append(_('    myposts %(onoff)s') % {
            'onoff': onoff(not option(address, mm_cfg.DontReceiveOwnPosts))})
        res.results.append(_('    hide %(onoff)s') % {
            'onoff': onoff(option(address, mm_cfg.ConcealSubscription))})
        res.results.append(_('    duplicates %(onoff)s') % {
            'onoff': onoff(not option(address,
                                      mm_cfg.DontReceiveDuplicates))})
        res.results.append(_('    reminders %(onoff)s') % {
            'onoff': onoff(not option(address,
                                      mm_cfg.SuppressPasswordReminder))})
        return None

    # ---------------------------------------------------------------- auth
    def authenticate(self, res, args):
        mlist = res.mlist
        args, address = split_address_arg(args)
        if len(args) != 1:
            return self.usage(res)
        address = address or sender_address(res)
        if not mlist.isMember(address):
            return not_a_member(res, address)
        if mlist.Authenticate([mm_cfg.AuthUser, mm_cfg.AuthListAdmin],
                              args[0], address) == mm_cfg.UnAuthorized:
            res.results.append(_('You did not give the correct password'))
            return STOP
        self.address = mlist.getMemberCPAddress(address)
        res.results.append(_('Authenticated.'))
        return None

    def _authenticated(self, res):
        if self.address is None or not res.mlist.isMember(self.address):
            res.results.append(_('Not authenticated'))
            self.usage(res)
            return False
        return True

    @staticmethod
    def _onoff(res, args):
        """True/False for on/off; None (after saying so) otherwise."""
        if len(args) != 1 or args[0].lower() not in ('on', 'off'):
            res.results.append(_('Bad argument: %(arg)s')
                               % {'arg': ' '.join(args)})
            return None
        return args[0].lower() == 'on'

    # ---------------------------------------------------------------- options
    def flag(self, res, name, args):
        value = self._onoff(res, args)
        if value is None:
            return self.usage(res)
        if not self._authenticated(res):
            return STOP
        flag, sense = FLAGS[name]
        res.mlist.setMemberOption(self.address, flag,
                                  1 if value == sense else 0)
        res.results.append(_(CONFIRMATIONS[name]))
        return None

    def delivery(self, res, name, args):
        value = self._onoff(res, args)
        if value is None:
            return self.usage(res)
        if not self._authenticated(res):
            return STOP
        if name == 'nomail':
            value = not value
        if value:
            res.mlist.setDeliveryStatus(self.address, MemberAdaptor.ENABLED)
            res.results.append(_('delivery enabled'))
        else:
            res.mlist.setDeliveryStatus(self.address, MemberAdaptor.BYUSER)
            res.results.append(_('delivery disabled by user'))
        return None

    def digest(self, res, args):
        mlist = res.mlist
        if len(args) != 1 or args[0].lower() not in ('plain', 'mime', 'off'):
            res.results.append(_('Bad argument: %(arg)s')
                               % {'arg': ' '.join(args)})
            return self.usage(res)
        if not self._authenticated(res):
            return STOP
        mode = args[0].lower()
        try:
            if mode == 'off':
                if mlist.getMemberOption(self.address, mm_cfg.Digests):
                    mlist.setMemberOption(self.address, mm_cfg.Digests, 0)
            else:
                if not mlist.getMemberOption(self.address, mm_cfg.Digests):
                    mlist.setMemberOption(self.address, mm_cfg.Digests, 1)
                mlist.setMemberOption(self.address, mm_cfg.DisableMime,
                                      1 if mode == 'plain' else 0)
        except Errors.CantDigestError:
            res.results.append(_('This list does not offer digests.'))
            return STOP
        except Errors.MustDigestError:
            res.results.append(_('This list only supports digest delivery.'))
            return STOP
        res.results.append(_('digest option set'))
        return None


def process(res, args):
    state = getattr(res, 'setstate', None)
    if state is None:
        state = res.setstate = SetCommands()
    return state.process(res, args)
