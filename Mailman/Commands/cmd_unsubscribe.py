"""unsubscribe: leave the list."""

import sys

from Mailman import Errors
from Mailman import mm_cfg
from Mailman.Commands import STOP, not_a_member, sender_address
from Mailman.Commands import split_address_arg, usage
from Mailman.i18n import _

HELP = """\
    unsubscribe [<password>] [address=<address>]
        Leave this mailing list.  Without a password a confirmation request
        is mailed to the member's address, and nothing happens until it is
        answered; with the member's password the request is carried out at
        once.  If the list's owners approve unsubscriptions, the request
        then waits for them.  To unsubscribe another address than the one
        you are writing from, add `address=<address>' (no brackets, no
        quotes).
"""


def gethelp(mlist):
    return _(HELP)


def process(res, args):
    mlist = res.mlist
    args, address = split_address_arg(args)
    if len(args) > 1:
        return usage(res, sys.modules[__name__])
    password = args[0] if args else None
    if not address:
        address = sender_address(res)
    if not address:
        res.results.append(_('No valid address found to unsubscribe'))
        return STOP
    if not mlist.isMember(address):
        return not_a_member(res, address)
    address = mlist.getMemberCPAddress(address)
    if password is None:
        try:
            mlist.ConfirmUnsubscription(address, remote=res.msg.get_sender())
        except Errors.MMAlreadyPending:
            res.results.append(_(
                'An unsubscription request for this address is already\n'
                'waiting for confirmation.'))
            return STOP
        # The confirmation request that went out is the answer.
        res.respond = False
        return None
    role = mlist.Authenticate([mm_cfg.AuthUser, mm_cfg.AuthListAdmin],
                              password, address)
    if role == mm_cfg.UnAuthorized:
        res.results.append(_('You gave the wrong password'))
        return STOP
    try:
        if role == mm_cfg.AuthListAdmin:
            mlist.ApprovedDeleteMember(address, 'mailcmd')
        else:
            mlist.DeleteMember(address, 'mailcmd')
    except Errors.MMNeedApproval:
        res.results.append(_(
            'Your unsubscription request has been forwarded to the list\n'
            'administrator for approval.'))
    else:
        res.results.append(_('Unsubscription request succeeded.'))
    return None
