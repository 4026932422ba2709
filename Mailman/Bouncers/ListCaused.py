"""Bounces the list caused, not the member's address.

A receiving server may refuse a list's mail because of the list itself:
the poster's domain publishes a DMARC reject policy the list's copy
cannot pass, the list server is on a blocklist (DNSBL) or has a poor
reputation, or the message was taken for spam.  The member's address is
fine; scoring it would remove good members.  These notices are recognised
here by what the notice itself says (never by the returned message).
"""

import re

from Mailman.Bouncers._text import notice_text, status_blocks

# (reason, pattern): the first match names the reason.
_PATTERNS = [
    ('dmarc', r'\bdmarc\b'),
    ('dmarc', r'\b5\.7\.26\b'),                   # Gmail: unauthenticated
    ('dmarc', r'\b5\.7\.509\b'),                  # Outlook.com: DMARC reject
    ('dmarc', r'unauthenticated (e-?mail|message)'),
    ('blocklist', r'\b(block|black|deny|ban)[- ]?list(ed)?\b'),
    ('blocklist', r'\bblocked using\b'),
    ('blocklist', r'\b(dnsbl|rbl|rbls|uribl|surbl)\b'),
    ('blocklist', r'\b(spamhaus|spamcop|sorbs|barracudacentral|'
                  r'abuseat|cbl\.|psbl|invaluement)\b'),
    ('blocklist', r'\blisted (at|in|on|by) [\w.-]+\.\w+'),
    ('blocklist', r'\b(poor|bad|low) (ip |sender |domain )?reputation\b'),
    ('blocklist', r'\bclient host \[?[\d.:a-f]+\]? blocked\b'),
    ('spam', r'\blikely unsolicited (mail|e-?mail|message)\b'),
    ('spam', r'\b(message|mail|content) (was |is )?'
             r'(identified|classified|detected|rejected) as spam\b'),
    ('spam', r'\bspam (message )?rejected\b'),
]
_COMPILED = [(reason, re.compile(pattern, re.IGNORECASE))
             for reason, pattern in _PATTERNS]


def reason(msg):
    """'dmarc', 'blocklist' or 'spam' when the notice MSG says the list's
    message was refused for such a reason, else None."""
    return text_reason(notice_text(msg))


def text_reason(text):
    """The same for TEXT, a notice's words or an SMTP server's reply."""
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    # Folded lines (diagnostic codes, multi-line replies) are read as one.
    text = re.sub(r'\s+', ' ', str(text or ''))
    for why, pattern in _COMPILED:
        if pattern.search(text):
            return why
    return None


def per_recipient(msg):
    """For a DSN: {lower-cased recipient: reason or None}, from each
    recipient's own Status and Diagnostic-Code; {} when MSG has no
    delivery-status part."""
    reasons = {}
    for block in status_blocks(msg):
        recipient = block.get('original-recipient') or \
            block.get('final-recipient') or ''
        address = str(recipient).partition(';')[2].strip().strip('<>')
        if not address:
            continue
        text = ' '.join(str(block.get(name, ''))
                        for name in ('status', 'diagnostic-code'))
        why = text_reason(text)
        # Both headers may name the recipient; either spelling counts.
        for header in ('original-recipient', 'final-recipient'):
            value = str(block.get(header, '')).partition(';')[2]
            value = value.strip().strip('<>').lower()
            if value:
                reasons[value] = reasons.get(value) or why
    return reasons
