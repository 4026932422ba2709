"""Apply the From:, Reply-To: and Cc: changes CookHeaders recorded, or wrap
the post.

When the post is to be wrapped (from_is_list, or the DMARC action, says
"Wrap Message"), it becomes a message/rfc822 attachment of a new message
from the list.  The outer message keeps only To:, In-Reply-To:,
References:, X-Mailman-Approved-At:, Date: and (unless CookHeaders changed
it) Subject: of the original, and gets the headers CookHeaders recorded in
msgdata['add_header'] (the munged From:, Reply-To:, Cc:, the prefixed
Subject:, the List-* headers).  When the wrapping is the DMARC action and
the list has dmarc_wrapped_message_text, that text comes first, as its own
part of a multipart/mixed.

Otherwise only the recorded From:, Reply-To: and Cc: are applied.  They
are applied this late so that the digest, the archive and the news gateway
see the poster's own headers.
"""

import copy

from email.mime.message import MIMEMessage

from Mailman import Utils
from Mailman.Handlers.CookHeaders import wrapping
from Mailman.Handlers.Decorate import text_part

KEEPERS = ('to', 'in-reply-to', 'references', 'x-mailman-approved-at',
           'date')


def process(mlist, msg, msgdata):
    added = msgdata.get('add_header') or {}
    if not wrapping(mlist, msgdata):
        for name in ('From', 'Reply-To', 'Cc'):
            value = added.get(name)
            if value:
                del msg[name]
                msg[name] = value
        return
    original = copy.deepcopy(msg)
    keepers = list(KEEPERS)
    if 'subject' not in (name.lower() for name in added):
        keepers.append('subject')
    for name in {name.lower() for name in msg.keys()}:
        if name not in keepers:
            del msg[name]
    msg['MIME-Version'] = '1.0'
    msg['Message-ID'] = Utils.unique_message_id(mlist)
    for name, value in added.items():
        del msg[name]
        msg[name] = value
    msg.preamble = None
    msg.epilogue = None
    text = (mlist.dmarc_wrapped_message_text or '').strip()
    if text and msgdata.get('from_is_list') == 2:
        first = text_part(mlist, Utils.wrap(mlist.dmarc_wrapped_message_text)
                          + '\n')
        second = MIMEMessage(original)
        second['Content-Disposition'] = 'inline'
        msg.set_payload([first, second])
        msg['Content-Type'] = 'multipart/mixed'
    else:
        msg.set_payload([original])
        msg['Content-Type'] = 'message/rfc822'
        msg['Content-Disposition'] = 'inline'
