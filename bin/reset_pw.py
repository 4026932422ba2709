#! @PYTHON@
"""Give every member of a list a new random password.

    withlist -l -r reset_pw LISTNAME [-v]

A bin/withlist script (use -a for every list).  Each member gets a new
random password of MEMBER_PASSWORD_LENGTH characters; as always only a
salted hash is kept, so old passwords stop working and nobody, not even
this script, can read the new ones back.  Members set a password of their
own from their options page (the password reminder tells them how).
With -v, each member's address is printed as it is changed.
"""

import sys

import paths  # noqa: F401  (puts the installed Mailman on sys.path)
from Mailman import Cli
from Mailman import Passwords
from Mailman import Utils

PROGRAM = 'reset_pw'


def reset_pw(mlist, *args):
    parser = Cli.ArgumentParser(PROGRAM, __doc__)
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='print each member as it is changed')
    options = parser.parse_args(args)
    if not mlist.Locked():
        mlist.Lock()
    listname = mlist.internal_name()
    if options.verbose:
        print(f'Changing passwords for list: {listname}')
    for member in mlist.getMembers():
        # A random password this long needs no key stretching to resist
        # guessing, and a full-cost hash per member would take minutes on a
        # big list; like 2.1's clear-text passwords converted on upgrade,
        # it is rehashed at full cost when the member next logs in.
        key = mlist.getMemberKey(member)
        mlist.passwords[key] = Passwords.hash_password(
            Utils.MakeRandomPassword(), quick=True)
        if options.verbose:
            print(f'    {mlist.getMemberCPAddress(member)}')
    mlist.Save()


if __name__ == '__main__':
    sys.exit(Cli.withlist_only(PROGRAM, __doc__))
