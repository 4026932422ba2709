"""A member's other lists: "set globally" and "my other subscriptions".

"Globally" means on every list of the same mail host that the address
belongs to, as in 2.1.  Each list is locked on its own, one after the
other, never two at once, and only while it changes.
"""

from Mailman import Errors
from Mailman import Utils


def other_lists(mlist, address):
    """The other lists of MLIST's host that ADDRESS is a member of
    (unlocked MailList objects, by name)."""
    from Mailman.MailList import MailList
    found = []
    for name in Utils.list_names():
        if name == mlist.internal_name():
            continue
        try:
            other = MailList(name, lock=0)
        except Errors.MMListError:
            continue
        if other.host_name == mlist.host_name and other.isMember(address):
            found.append(other)
    return found


def apply_elsewhere(mlist, address, change):
    """Call CHANGE(other_list, member_key) on each other list of ADDRESS,
    locked, and save it.  CHANGE returns False when it changed nothing
    (the list is then not saved).  Returns the real names of the lists
    that changed; a list that refuses (locked too long, or an error from
    CHANGE) is skipped."""
    from Mailman.MailList import MailList
    changed = []
    for other in other_lists(mlist, address):
        try:
            locked = MailList(other.internal_name(), lock=1)
        except Errors.MMListError:
            continue
        try:
            if not locked.isMember(address):
                continue
            try:
                result = change(locked, locked.getMemberKey(address))
            except Errors.MailmanError:
                continue
            if result is not False:
                locked.Save()
                changed.append(locked.real_name)
        finally:
            locked.Unlock()
    return changed
