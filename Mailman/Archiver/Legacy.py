"""Taking over an archive built by Mailman 2.1's pipermail.

2.1 numbered messages 000000, 000001, ... in mbox order and wrote one
<volume>/NNNNNN.html page per message.  Its article pages carry the
message's Message-ID in the reply link (mailto:...&In-Reply-To=<id>), and
ours carry it in <meta name="message-id">.  Reading those back tells which
number each Message-ID had, so a rebuild keeps every URL.
"""

import os
import re
import urllib.parse

_PAGE_NAME = re.compile(r'^(\d{6})\.html$')
_OUR_META = re.compile(rb'<meta name="message-id" content="([^"]*)"')
_REPLY_LINK = re.compile(rb'In-Reply-To=([^"&\s>]+)', re.IGNORECASE)
# The Message-ID is near the top of a page; no need to read all of it.
HEAD_BYTES = 8192


def _message_id(head):
    match = _OUR_META.search(head)
    if match:
        value = match.group(1).decode('utf-8', 'replace')
        value = (value.replace('&lt;', '<').replace('&gt;', '>')
                 .replace('&quot;', '"').replace('&#x27;', "'")
                 .replace('&amp;', '&'))
    else:
        match = _REPLY_LINK.search(head)
        if not match:
            return ''
        value = urllib.parse.unquote(match.group(1).decode('latin-1'))
    return value.strip().strip('<>').strip()


def numbers_from_pages(archive_dir):
    """{Message-ID: number} from the article pages under ARCHIVE_DIR; the
    lowest number wins for an ID found on several pages."""
    found = {}
    try:
        volumes = os.listdir(archive_dir)
    except FileNotFoundError:
        return found
    for volume in volumes:
        directory = os.path.join(archive_dir, volume)
        if volume == 'attachments' or os.path.islink(directory) or \
                not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            match = _PAGE_NAME.match(name)
            if not match:
                continue
            try:
                with open(os.path.join(directory, name), 'rb') as f:
                    head = f.read(HEAD_BYTES)
            except OSError:
                continue
            msgid = _message_id(head)
            num = int(match.group(1))
            if msgid and (msgid not in found or num < found[msgid]):
                found[msgid] = num
    return found
