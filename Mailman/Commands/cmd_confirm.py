"""confirm: carry out a request that waits for confirmation."""

import sys

from Mailman import Errors
from Mailman import Pending
from Mailman import mm_cfg
from Mailman.Commands import STOP, usage
from Mailman.UserDesc import UserDesc
from Mailman.i18n import _

HELP = """\
    confirm <confirmation-string> [<new-password>]
        Confirm a request: joining or leaving the list, a change of
        address, a held message of yours, re-enabling your delivery.  The
        confirmation string is in the message that asked you to confirm.
        A password reset needs your new password after the string.
"""


def gethelp(mlist):
    return _(HELP)


def process(res, args):
    mlist = res.mlist
    if len(args) not in (1, 2):
        return usage(res, sys.modules[__name__])
    cookie = args[0].strip().lower()
    context = res.msg
    if len(args) == 2:
        # The new password of a reset (or, for a held message, the
        # approval password).
        context = UserDesc(password=args[1])
    days = int(mm_cfg.PENDING_REQUEST_LIFE / 86400 + 0.5)
    owner = mlist.GetOwnerEmail()
    try:
        result = mlist.ProcessConfirmation(cookie, context)
    except Errors.MMBadConfirmation:
        res.results.append(_(
            'Invalid confirmation string.  Confirmation strings expire about\n'
            '%(days)s days after the request.  If yours has expired, please\n'
            'make your request again.') % {'days': days})
    except Errors.MMNeedApproval:
        res.results.append(_(
            'Your request has been forwarded to the list moderator for\n'
            'approval.'))
    except Errors.MMAlreadyAMember:
        res.results.append(_('You are already subscribed.'))
    except Errors.NotAMemberError:
        res.results.append(_(
            'You are not currently a member.  Have you already unsubscribed\n'
            'or changed your address?'))
    except Errors.MembershipIsBanned:
        res.results.append(_(
            'You are banned from this list.  If you think that is a mistake,\n'
            'write to the list owners at %(owner)s.') % {'owner': owner})
    except Errors.EmailAddressError:
        res.results.append(_(
            'The address of this request is not one Mailman accepts.'))
    except Errors.MMBadPasswordError:
        res.results.append(_(
            'Wrong approval password: the held message is still being held.'))
    except Errors.PasswordError:
        res.results.append(_(
            'To reset your password, send the confirmation string followed\n'
            'by your new password:\n'
            '    confirm %(cookie)s <new-password>\n'
            'or visit the web page named in the message you received.')
            % {'cookie': cookie})
    except Errors.MMMemberError as error:
        # HostileSubscriptionError and others a list may raise.
        if type(error).__name__ == 'HostileSubscriptionError':
            res.results.append(_(
                'You were not invited to this mailing list.  The invitation\n'
                'has been discarded and the list owners have been told.'))
        else:
            raise
    else:
        op = result[0]
        if (op == Pending.SUBSCRIPTION and mlist.send_welcome_msg) or \
                (op == Pending.UNSUBSCRIPTION and mlist.send_goodbye_msg):
            # The welcome (goodbye) message says it all.
            res.respond = False
        elif op == Pending.PROBE_BOUNCE:
            res.results.append(_(
                'That confirmation string belongs to a probe message, which\n'
                'needs no answer.  Nothing was changed.'))
        elif op == Pending.PASSWORD_RESET:
            res.results.append(_('Your password has been changed.'))
        else:
            res.results.append(_('Confirmation succeeded'))
        # A reply quoting the request may repeat the line: do not report
        # the repeats as unprocessed.
        res.quiet_lines.add('confirm ' + cookie)
    # One confirmation per message.
    return STOP
