"""password: reset or change your membership password."""

import sys

from Mailman import Errors
from Mailman import mm_cfg
from Mailman.Commands import STOP, not_a_member, sender_address
from Mailman.Commands import split_address_arg, usage
from Mailman.i18n import _

HELP = """\
    password [<oldpassword> <newpassword>] [address=<address>]
        Without passwords: mail a one-time link to the member's address
        with which to choose a new password (passwords are never sent by
        mail).  With your old and new password: change it.  If you are
        writing from another address than your membership address, add
        `address=<address>' (no brackets, no quotes).
"""


def gethelp(mlist):
    return _(HELP)


def process(res, args):
    mlist = res.mlist
    module = sys.modules[__name__]
    args, address = split_address_arg(args)
    if len(args) not in (0, 2):
        return usage(res, module)
    address = address or sender_address(res)
    if not address or not mlist.isMember(address):
        return not_a_member(res, address or '')
    if address.lower() != sender_address(res).lower():
        # Acting for another address: the answer goes to the member.
        res.returnaddr = mlist.getMemberCPAddress(address)
    if not args:
        try:
            mlist.SendPasswordReset(address, remote=res.msg.get_sender())
        except Errors.NotAMemberError:
            return not_a_member(res, address)
        res.results.append(_(
            'A message with a link to choose a new password has been sent\n'
            'to the membership address.'))
        # One reset per message.
        return STOP
    oldpassword, newpassword = args
    if mlist.Authenticate([mm_cfg.AuthUser, mm_cfg.AuthListAdmin],
                          oldpassword, address) == mm_cfg.UnAuthorized:
        res.results.append(_(
            'You did not give the correct old password, so your password has\n'
            'not been changed.  Send the command `password\' alone to have a\n'
            'link to choose a new password mailed to you.'))
        return usage(res, module)
    mlist.setMemberPassword(address, newpassword)
    res.results.append(_('Password successfully changed.'))
    return None
