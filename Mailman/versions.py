"""Bring a list's state from an older data version up to this one.

Lists created by any 2.1.x release (data versions up to 112), and 2.0
lists read from config.db, load here: attributes added since that release
get their new-list defaults, 2.0-era names are carried over to their 2.1
names, 2.0's nomail option bit and bounce records are converted as 2.1 did,
and member passwords kept in clear text are replaced by hashes.
MailList.CheckVersion() calls Update() when the stored data_version is
older than Version.DATA_FILE_VERSION.
"""

import time

from Mailman import Passwords
from Mailman.Logging.Syslog import syslog
from Mailman.MemberAdaptor import UNKNOWN

# 2.0's DisableDelivery member option (mm_cfg.DisableDelivery).
DISABLE_DELIVERY_BIT = 1

# Old attribute -> (new attribute, conversion)
RENAMES = {
    'posters': ('accept_these_nonmembers', list),
    'bad_posters': ('reject_these_nonmembers', list),
    'forbidden_posters': ('hold_these_nonmembers', list),
    'automatic_bounce_action': ('bounce_processing', bool),
    'ban_list_regex': ('ban_list', list),
}


def _new_list_defaults(mlist):
    """The attributes and defaults of a new list with MLIST's name."""
    from Mailman.MailList import MailList
    blank = MailList()
    blank._internal_name = mlist.internal_name()
    blank.InitVars(mlist.internal_name())
    return {key: value for key, value in blank.__dict__.items()
            if not key.startswith('_')}


def Update(mlist, stored_state):
    old_version = stored_state.get('data_version', 0)
    for old, (new, convert) in RENAMES.items():
        if old in stored_state and new not in stored_state:
            setattr(mlist, new, convert(stored_state[old]))
    added = []
    for attribute, default in _new_list_defaults(mlist).items():
        if attribute not in mlist.__dict__:
            setattr(mlist, attribute, default)
            added.append(attribute)
    disabled = convert_disable_delivery_bits(mlist, stored_state)
    dropped = drop_old_bounce_info(mlist)
    hashed = hash_clear_text_passwords(mlist)
    syslog('config', 'list %s: data version %s upgraded to the current '
           'one; %d attributes added, %d member passwords hashed, '
           '%d old nomail flags and %d old bounce records converted',
           mlist.internal_name(), old_version, len(added), hashed,
           disabled, dropped)


def convert_disable_delivery_bits(mlist, stored_state):
    """Mailman 2.0 stopped a member's mail with user_options bit 1; 2.1
    keeps that as a delivery status instead.  State 2.1 already converted
    says so with useropts_version.  Returns how many were converted."""
    if stored_state.get('useropts_version', 0) > 0:
        return 0
    count = 0
    for key, flags in list(mlist.user_options.items()):
        if not isinstance(flags, int) or not flags & DISABLE_DELIVERY_BIT:
            continue
        flags &= ~DISABLE_DELIVERY_BIT
        if flags:
            mlist.user_options[key] = flags
        else:
            del mlist.user_options[key]
        if key in mlist.members or key in mlist.digest_members:
            mlist.delivery_status.setdefault(key, (UNKNOWN, time.time()))
            count += 1
    return count


def drop_old_bounce_info(mlist):
    """Bounce records older than 2.1 are plain lists that 2.1's scoring
    cannot use; 2.1 dropped them, and so do we.  Returns how many."""
    from Mailman.Bouncer import _BounceInfo
    old = [key for key, info in mlist.bounce_info.items()
           if not isinstance(info, _BounceInfo)]
    for key in old:
        del mlist.bounce_info[key]
    return len(old)


def hash_clear_text_passwords(mlist):
    """Replace 2.1's clear-text member passwords with hashes; returns how
    many were replaced."""
    count = 0
    for key, value in list(mlist.passwords.items()):
        if value and not Passwords.is_modern_hash(value):
            mlist.passwords[key] = Passwords.hash_password(value, quick=True)
            count += 1
        elif not value:
            del mlist.passwords[key]
    return count

