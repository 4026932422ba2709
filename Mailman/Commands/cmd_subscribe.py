"""subscribe: join the list (through the list's subscription policy)."""

import sys

from Mailman import Errors
from Mailman.Commands import STOP, sender_address, sender_name
from Mailman.Commands import split_address_arg, usage
from Mailman.UserDesc import UserDesc
from Mailman.i18n import _

HELP = """\
    subscribe [<password>] [digest|nodigest] [address=<address>]
        Join this mailing list.  The password is the one you will use to
        change your options; without one you can set one later (see the
        `password' command).  `digest' asks for the posts bundled into
        digests, `nodigest' for each post as it comes.  To subscribe
        another address than the one you are writing from, add
        `address=<address>' (no brackets, no quotes); the confirmation
        request then goes to that address.
"""


def gethelp(mlist):
    return _(HELP)


def process(res, args):
    mlist = res.mlist
    module = sys.modules[__name__]
    args, address = split_address_arg(args)
    if len(args) > 2:
        return usage(res, module)
    password = digest = None
    if len(args) == 2:
        password, spec = args
        if spec.lower() not in ('digest', 'nodigest'):
            res.results.append(_('Bad digest specifier: %(arg)s')
                               % {'arg': spec})
            return usage(res, module)
        digest = spec.lower() == 'digest'
    elif len(args) == 1:
        if args[0].lower() in ('digest', 'nodigest'):
            digest = args[0].lower() == 'digest'
        else:
            password = args[0]
    realname = ''
    if not address:
        address = sender_address(res)
        realname = sender_name(res)
    if not address:
        res.results.append(_('No valid address found to subscribe'))
        return STOP
    userdesc = UserDesc(address, realname, password, digest,
                        res.msgdata.get('lang'))
    owner = mlist.GetOwnerEmail()
    remote = res.msg.get_sender()
    try:
        mlist.AddMember(userdesc, remote)
    except Errors.MembershipIsBanned:
        res.results.append(_(
            'The address you gave is banned from this mailing list.  If you\n'
            'think that is a mistake, write to the list owners at\n'
            '%(owner)s.') % {'owner': owner})
        return STOP
    except Errors.MMHostileAddress:
        res.results.append(_(
            'Mailman will not accept that address: it contains characters\n'
            'that are not allowed in an email address.'))
        return STOP
    except Errors.MMBadEmailError:
        res.results.append(_(
            'Mailman will not accept that address as a valid address (for\n'
            'example, it must contain an @ and a domain).'))
        return STOP
    except Errors.MMAlreadyAMember:
        res.results.append(_('You are already subscribed!'))
        return STOP
    except Errors.MMAlreadyPending:
        res.results.append(_(
            'A subscription request for this address is already waiting for\n'
            'confirmation.'))
        return STOP
    except Errors.CantDigestError:
        res.results.append(
            _('No one can subscribe to the digest of this list!'))
        return STOP
    except Errors.MustDigestError:
        res.results.append(_('This list only supports digest subscriptions!'))
        return STOP
    except Errors.MMSubscribeNeedsConfirmation:
        # The confirmation request that went out is the answer.
        res.respond = False
    except Errors.MMNeedApproval:
        res.results.append(_(
            'Your subscription request has been forwarded to the list\n'
            'administrator at %(owner)s for review.') % {'owner': owner})
    else:
        res.results.append(_('Subscription request succeeded.'))
