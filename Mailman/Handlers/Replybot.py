"""Automatic replies to posts and to mail for -owner and -request.

Which text applies depends on where the mail went: autorespond_admin and
autoresponse_admin_text for -owner mail (msgdata['toowner']),
autorespond_requests and autoresponse_request_text for -request, -join,
-leave and -confirm mail, autorespond_postings and
autoresponse_postings_text for posts.  The texts may use %(listname)s,
%(listurl)s, %(requestemail)s, %(owneremail)s and %(adminemail)s (or the
$-forms when the list has use_dollar_strings).

No reply goes to mail with X-Ack: no, to bulk, junk or list mail (by its
Precedence:) unless it asks with X-Ack: yes, or when msgdata['noack'] is
set.  A sender answered once gets no other reply of the same kind for
autoresponse_graceperiod days (0: reply every time); X-Ack: yes ignores
the grace period.
"""

import re
import time

from Mailman import Message
from Mailman import i18n
from Mailman.ListAdmin import wrap
from Mailman.Logging.Syslog import syslog

_ = i18n._
DAY = 24 * 60 * 60


class _SafeDict(dict):
    def __missing__(self, key):
        return '%(' + key + ')s'


def to_percent(text):
    """$-substitutions ($name, ${name}) as %(name)s ones."""
    text = text.replace('%', '%%')
    return re.sub(r'\$(?:\{(\w+)\}|(\w+))|\$\$',
                  lambda m: '$' if m.group(0) == '$$' else
                  '%%(%s)s' % (m.group(1) or m.group(2)), text)


def process(mlist, msg, msgdata):
    ack = str(msg.get('x-ack', '')).strip().lower()
    if ack == 'no' or msgdata.get('noack'):
        return
    precedence = str(msg.get('precedence', '')).strip().lower()
    if ack != 'yes' and precedence in ('bulk', 'junk', 'list'):
        return
    toadmin = msgdata.get('toowner')
    torequest = (msgdata.get('torequest') or msgdata.get('toconfirm')
                 or msgdata.get('tojoin') or msgdata.get('toleave'))
    if toadmin:
        enabled = mlist.autorespond_admin
        responses = mlist.admin_responses
        rtext = mlist.autoresponse_admin_text
    elif torequest:
        enabled = mlist.autorespond_requests
        responses = mlist.request_responses
        rtext = mlist.autoresponse_request_text
    else:
        enabled = mlist.autorespond_postings
        responses = mlist.postings_responses
        rtext = mlist.autoresponse_postings_text
    if not enabled:
        return
    sender = msg.get_sender()
    if not sender:
        return
    now = time.time()
    graceperiod = mlist.autoresponse_graceperiod
    if graceperiod > 0 and ack != 'yes':
        if responses.get(sender, 0) > now:
            return
    realname = mlist.real_name
    values = _SafeDict({
        'listname': realname,
        'listurl': mlist.GetScriptURL('listinfo'),
        'requestemail': mlist.GetRequestEmail(),
        # Not advertised any more, but old texts use it.
        'adminemail': mlist.GetBouncesEmail(),
        'owneremail': mlist.GetOwnerEmail(),
    })
    if getattr(mlist, 'use_dollar_strings', 0):
        rtext = to_percent(rtext)
    try:
        text = rtext % values
    except (ValueError, TypeError, KeyError):
        syslog('error', 'Bad autoreply text for list: %s\n%s',
               mlist.internal_name(), rtext)
        text = rtext
    subject = _('Auto-response for your message to the "%(realname)s" '
                'mailing list') % {'realname': realname}
    reply = Message.UserNotification(sender, mlist.GetBouncesEmail(),
                                     subject, wrap(text),
                                     mlist.preferred_language)
    reply['X-Mailer'] = _('The Mailman Replybot')
    # Robots must not answer this answer.
    reply['X-Ack'] = 'No'
    reply.send(mlist)
    if graceperiod > 0:
        responses[sender] = now + graceperiod * DAY
