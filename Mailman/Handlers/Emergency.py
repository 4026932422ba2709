"""Emergency moderation: while the list's emergency flag is set, every
post is held, silently (neither the poster nor the owners are mailed; the
posts wait on the moderation page).  Only a post approved with a moderator
or administrator password (msgdata['adminapproved']) gets through -- a
post approved by other means, such as a member's Usenet gateway, does not.
"""

from Mailman import Errors
from Mailman import i18n
from Mailman.Handlers.Hold import stored_msgdata
from Mailman.Logging.Syslog import syslog


def _(text):
    return text


class EmergencyHold(Errors.HoldMessage):
    reason = _('Emergency hold on all list traffic is in effect')
    rejection = _('Your message was deemed inappropriate by the moderator.')


del _


def process(mlist, msg, msgdata):
    if not mlist.emergency or msgdata.get('adminapproved'):
        return
    msgdata['rejection_notice'] = i18n._(EmergencyHold.rejection)
    mlist.HoldMessage(msg, i18n._(EmergencyHold.reason),
                      stored_msgdata(msgdata, 'Emergency'), notify=False)
    syslog('vette', '%s: emergency hold of post from %s, message-id=%s',
           mlist.internal_name(), msg.get_sender(),
           msg.get('message-id', 'n/a'))
    raise EmergencyHold
