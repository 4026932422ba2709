"""The notice text of a bounce, without the message it returns.

Classifying a bounce by what it says (a DMARC rejection, an auto-reply)
must not read the returned original: a post that talks about DMARC must
not make its own bounce look like a DMARC rejection.
"""

import re

from Mailman import Utils

# Where a plain-text notice starts quoting the returned message.
_QUOTE_START = re.compile(
    r'^\s*(-+\s*)?(original message|this is a copy of the message|'
    r'the original message was received|below this line is a copy|'
    r'unsent message below|message follows|returned message follows|'
    r'---+ ?(begin|start) (of )?(returned|original) message)'
    r'|^(received|return-path|message-id|dkim-signature): ',
    re.IGNORECASE | re.MULTILINE)

_RETURNED_TYPES = ('message/rfc822', 'text/rfc822-headers',
                   'message/rfc822-headers', 'text/rfc822')


def notice_parts(msg):
    """The text and delivery-status parts of MSG, as (content type, text),
    leaving out every returned message."""
    found = []

    def walk(part):
        ctype = part.get_content_type()
        if ctype in _RETURNED_TYPES:
            return
        if ctype == 'message/delivery-status':
            # Its payload is a list of header blocks.
            blocks = part.get_payload()
            if isinstance(blocks, list):
                text = '\n\n'.join(block.as_string() for block in blocks)
            else:
                text = Utils.part_text(part)
            found.append((ctype, text))
            return
        if part.is_multipart():
            for sub in part.get_payload():
                walk(sub)
            return
        if part.get_content_maintype() == 'text':
            found.append((ctype, Utils.part_text(part)))

    walk(msg)
    return found


def notice_text(msg):
    """All the notice text of MSG, a plain-text notice cut where it starts
    quoting the returned message."""
    texts = []
    for ctype, text in notice_parts(msg):
        if ctype != 'message/delivery-status' and not msg.is_multipart():
            cut = _QUOTE_START.search(text)
            if cut:
                text = text[:cut.start()]
        texts.append(text)
    return '\n'.join(texts)


def returned_headers(msg):
    """The headers of the message MSG returns, as an email.message.Message,
    or None when it returns none in a MIME part."""
    import email
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == 'message/rfc822':
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                return payload[0]
        elif ctype in ('text/rfc822-headers', 'message/rfc822-headers'):
            text = Utils.part_text(part)
            try:
                return email.message_from_string(text.lstrip())
            except Exception:
                return None
    return None


def status_blocks(msg):
    """The per-recipient header blocks of every message/delivery-status
    part of MSG (the first block of each part is the per-message one)."""
    blocks = []
    for part in msg.walk():
        if part.get_content_type() != 'message/delivery-status':
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks.extend(payload[1:])
    return blocks
