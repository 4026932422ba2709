"""Bring a list's state from an older data version up to this one.

Lists created by any 2.1.x release (data versions up to 112) load here:
attributes added since that release get their new-list defaults, 2.0-era
names are carried over to their 2.1 names, and member passwords kept in
clear text are replaced by hashes.  MailList.CheckVersion() calls Update()
when the stored data_version is older than Version.DATA_FILE_VERSION.
"""

from Mailman import Passwords
from Mailman.Logging.Syslog import syslog

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
    hashed = hash_clear_text_passwords(mlist)
    syslog('config', 'list %s: data version %s upgraded to the current '
           'one; %d attributes added, %d member passwords hashed',
           mlist.internal_name(), old_version, len(added), hashed)


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

