"""Operations on a list's membership shared by the admin commands (bin/)
and the admin web pages: reading address lines, checking and formatting
addresses, removing members with the right notices, and planning a sync.
"""

import email.utils
import re
from dataclasses import dataclass

from Mailman import Errors
from Mailman import Utils


@dataclass
class AddressLine:
    """One address line of an input file."""
    text: str           # the line as written, without surrounding spaces
    name: str           # the real name, '' when none
    address: str        # the address ('' when the line has none)
    lineno: int


def parse_address(text):
    """Split `Real Name <addr>`, `addr (Real Name)` or a bare `addr` into
    (name, address).  A bare line is taken whole, so `a@b.c junk` stays
    one (invalid) address instead of silently becoming `a@b.cjunk`."""
    text = text.strip()
    if '<' in text or '(' in text:
        name, address = email.utils.parseaddr(text)
        if address:
            return name.strip(), address.strip()
    return '', text


def address_problem(address):
    """None when ADDRESS is acceptable, else a short reason: 'bad' or
    'hostile'."""
    try:
        Utils.ValidateEmail(address)
    except Errors.MMHostileAddress:
        return 'hostile'
    except Errors.EmailAddressError:
        return 'bad'
    return None


_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def format_address(name, address):
    """`Real Name <addr>` (quoted when the name needs it), or the bare
    address when there is no name.  Unlike email.utils.formataddr, names
    outside ASCII are printed as they are, not RFC 2047 encoded."""
    if not name:
        return address
    if _SPECIALS.search(name):
        name = '"%s"' % name.replace('\\', '\\\\').replace('"', '\\"')
    return f'{name} <{address}>'


def notify_owners(mlist, subject, text, moderators=False):
    """Queue a notice to MLIST's owners (and MODERATORS too)."""
    from Mailman.Message import OwnerNotification
    OwnerNotification(mlist, subject, text,
                      tomoderators=1 if moderators else 0).send(mlist)


def delete_member(mlist, address, whence='', admin_notif=None,
                  userack=None):
    """Remove ADDRESS from the locked MLIST.  USERACK: True sends the
    goodbye message, False does not, None leaves it to the list's
    send_goodbye_msg; ADMIN_NOTIF likewise with admin_notify_mchanges."""
    if userack is None:
        userack = bool(mlist.send_goodbye_msg)
    cpaddress = mlist.getMemberCPAddress(address)
    language = mlist.getMemberLanguage(address)
    mlist.ApprovedDeleteMember(address, whence=whence,
                               admin_notif=admin_notif, userack=False)
    if userack:
        mlist.SendUnsubscribeAck(cpaddress, language)


def sync_plan(mlist, entries):
    """What makes MLIST's membership equal the addresses of ENTRIES
    (AddressLines): returns (to_add, to_remove), to_add a list of
    (name, address) in file order without duplicates, to_remove the
    case-preserved addresses of members not in the file, sorted."""
    keys = mlist.getMembers()
    current = dict(zip(keys, mlist.getMemberCPAddresses(keys)))
    wanted = set()
    to_add = []
    for entry in entries:
        key = entry.address.lower()
        if key in wanted:
            continue
        wanted.add(key)
        if key not in current:
            to_add.append((entry.name, entry.address))
    to_remove = sorted(address for key, address in current.items()
                       if key not in wanted)
    return to_add, to_remove
