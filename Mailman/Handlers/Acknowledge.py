"""Tell the poster their post was accepted, if they asked for that
(the AcknowledgePosts option).  Uses the postack.txt template."""

from Mailman import Errors
from Mailman import Message
from Mailman import Utils
from Mailman import mm_cfg
from Mailman import i18n
from Mailman.Handlers.CookHeaders import oneline


def process(mlist, msg, msgdata):
    sender = msgdata.get('original_sender') or msg.get_sender()
    try:
        if not mlist.getMemberOption(sender, mm_cfg.AcknowledgePosts):
            return
        address = mlist.getMemberCPAddress(sender)
        language = msgdata.get('lang') or mlist.getMemberLanguage(sender)
    except Errors.NotAMemberError:
        return
    charset = Utils.GetCharSet(language)
    saved = i18n.get_language()
    i18n.set_language(language)
    try:
        subject = msgdata.get('origsubj')
        if subject is None:
            subject = msg.get('subject')
        subject = oneline(subject, charset) if subject else \
            i18n._('(no subject)')
        text = Utils.maketext('postack.txt', {
            'subject': subject,
            'listname': mlist.real_name,
            'listinfo_url': mlist.GetScriptURL('listinfo', absolute=1),
            'optionsurl': mlist.GetOptionsURL(address, absolute=1),
        }, lang=language, mlist=mlist, raw=False)
        title = i18n._('%(realname)s post acknowledgement') % {
            'realname': mlist.real_name}
    finally:
        i18n.set_language(saved)
    ack = Message.UserNotification(address, mlist.GetBouncesEmail(), title,
                                   text, language)
    ack.send(mlist)
