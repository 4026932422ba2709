"""Remove DomainKeys and DKIM signatures, and Authentication-Results.

Mailman changes posts (subject prefix, footer, From: rewrite), which
breaks the poster's signatures; removing them avoids a misleading "bad
signature" verdict and lets the site's MTA sign the message itself.

REMOVE_DKIM_HEADERS: 0 never; 1 only when From: is being munged for this
post (from_is_list or the DMARC action is Munge From); 2 always; 3 always,
keeping copies as X-Mailman-Original-... headers.  Anonymous lists always
remove them: the signature names the poster's domain.
"""

from Mailman import mm_cfg
from Mailman.Handlers.CookHeaders import from_is_list

SIGNATURE_HEADERS = ('DomainKey-Signature', 'DKIM-Signature',
                     'Authentication-Results')


def process(mlist, msg, msgdata):
    setting = mm_cfg.REMOVE_DKIM_HEADERS
    if not setting and not mlist.anonymous_list:
        return
    if setting == 1 and not mlist.anonymous_list and \
            from_is_list(mlist, msgdata) != 1:
        return
    if setting == 3:
        for name in SIGNATURE_HEADERS:
            for value in msg.get_all(name, []):
                msg['X-Mailman-Original-' + name] = value
    for name in SIGNATURE_HEADERS:
        del msg[name]
