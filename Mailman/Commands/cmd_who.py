"""who: the list's members, for those the list lets see them."""

import sys

from Mailman import mm_cfg
from Mailman.Commands import STOP, sender_address, split_address_arg
from Mailman.Commands import usage
from Mailman.i18n import _

HELP = """\
    who [<password>] [address=<address>]
        The members of this list, if the list shows them to you.  Lists
        that show their members only to members want your membership
        password; lists that show them only to their administrators want
        the administrator's or moderator's password.  If you are writing
        from another address than your membership address, add
        `address=<address>' (no brackets, no quotes).
"""

ADMIN_ROLES = (mm_cfg.AuthListAdmin, mm_cfg.AuthListModerator)


def gethelp(mlist):
    return _(HELP)


def process(res, args):
    mlist = res.mlist
    module = sys.modules[__name__]
    args, address = split_address_arg(args)
    if len(args) > 1:
        return usage(res, module)
    password = args[0] if args else None
    address = address or sender_address(res)
    admin = False
    if password and mlist.Authenticate(list(ADMIN_ROLES), password) \
            != mm_cfg.UnAuthorized:
        admin = True
    if mlist.private_roster == 0:
        if password and not admin and not (
                mlist.isMember(address) and
                mlist.Authenticate([mm_cfg.AuthUser], password, address)):
            # A password was given, and it is wrong.
            res.results.append(_('You gave the wrong password'))
            return STOP
        allowed = True
    elif mlist.private_roster == 1:
        allowed = admin or bool(
            password and address and mlist.isMember(address) and
            mlist.Authenticate([mm_cfg.AuthUser], password, address)
            != mm_cfg.UnAuthorized)
    else:
        allowed = admin
    if not allowed:
        res.results.append(
            _('You are not allowed to retrieve the list membership.'))
        if not password:
            usage(res, module)
        return STOP
    regular = sorted(mlist.getRegularMemberKeys())
    digest = sorted(mlist.getDigestMemberKeys())
    if not regular and not digest:
        res.results.append(_('This list has no members.'))
        return None

    def show(keys):
        for key in keys:
            if not admin and \
                    mlist.getMemberOption(key, mm_cfg.ConcealSubscription):
                continue
            shown = mlist.getMemberCPAddress(key)
            name = mlist.getMemberName(key)
            res.results.append(f'    {shown} ({name})' if name
                               else f'    {shown}')

    if regular:
        res.results.append(_('Non-digest (regular) members:'))
        show(regular)
    if digest:
        res.results.append(_('Digest members:'))
        show(digest)
    return None
