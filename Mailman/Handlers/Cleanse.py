"""Remove headers that must not go out to the members.

Always: the Approved: family and Urgent: (they may carry a password), and
requests for read receipts (Return-Receipt-To:, Disposition-Notification-To:
and friends), which would let anyone harvest the members' addresses.

On an anonymous list, everything that could identify the poster: From:,
Reply-To:, Sender:, Received:, the Message-ID: (replaced by a new one) and
so on; then every header that matches none of ANONYMOUS_LIST_KEEP_HEADERS.
The post then comes From: the list, and replies go to the list.
"""

import re

from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Handlers.CookHeaders import format_address
from Mailman.Logging.Syslog import syslog

PASSWORD_HEADERS = ('approved', 'approve', 'x-approved', 'x-approve',
                    'urgent')
RECEIPT_HEADERS = ('return-receipt-to', 'disposition-notification-to',
                   'x-confirm-reading-to', 'x-pmrqc')
IDENTIFYING_HEADERS = ('from', 'reply-to', 'sender', 'organization',
                       'return-path', 'x-originating-email',
                       'x-originating-ip', 'received', 'message-id',
                       'x-envelope-from', 'x-sender', 'x-authenticated-sender',
                       # These carry the poster's address and key.
                       'openpgp', 'autocrypt')


def _keepers():
    patterns = []
    for regexp in mm_cfg.ANONYMOUS_LIST_KEEP_HEADERS:
        try:
            patterns.append(re.compile(regexp, re.IGNORECASE))
        except re.error as error:
            syslog('error', 'ANONYMOUS_LIST_KEEP_HEADERS: bad regexp %r '
                   'ignored: %s', regexp, error)
    return patterns


def remove_nonkeepers(msg):
    """Remove the headers no ANONYMOUS_LIST_KEEP_HEADERS pattern matches.
    Patterns are searched in 'name:' so that 'x-topics:' means exactly
    that header."""
    patterns = _keepers()
    for name in {name.lower() for name in msg.keys()}:
        field = name + ':'
        if not any(pattern.search(field) for pattern in patterns):
            del msg[name]


def process(mlist, msg, msgdata):
    for name in PASSWORD_HEADERS:
        del msg[name]
    # The sender is about to disappear on anonymous lists; keep it for the
    # handlers and logs that need it.
    msgdata['original_sender'] = msg.get_sender()
    if mlist.anonymous_list:
        syslog('post', 'post to %s from %s anonymized',
               mlist.internal_name(), Utils.log_safe(msg.get('from')))
        for name in IDENTIFYING_HEADERS:
            del msg[name]
        remove_nonkeepers(msg)
        del msg['from']
        del msg['reply-to']
        del msg['message-id']
        msg['Message-ID'] = Utils.unique_message_id(mlist)
        msg['From'] = format_address(mlist.description or '',
                                     mlist.GetListEmail(), mlist)
        msg['Reply-To'] = mlist.GetListEmail()
        unixfrom = msg.get_unixfrom()
        if unixfrom:
            msg.set_unixfrom(re.sub(r'\S*@\S*', mlist.GetListEmail(),
                                    unixfrom))
    for name in RECEIPT_HEADERS:
        del msg[name]
