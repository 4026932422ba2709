#! @PYTHON@
"""Convert a list's headers, footers and autoresponses to $-substitutions.

    withlist -l -r convert LISTNAME

A bin/withlist script (use -a for every list).  Lists from before 2.1
write substitutions in their texts (msg_header, msg_footer, digest_header,
digest_footer and the three autoresponse texts) as %(name)s.  This
rewrites them as ${name}, keeping every other character's meaning ("%%"
becomes "%", a plain "$" becomes "$$"), and sets use_dollar_strings so
they are read that way from then on.  A list already converted is left
as it is.
"""

import sys

import paths  # noqa: F401  (puts the installed Mailman on sys.path)
from Mailman import Cli
from Mailman import Utils

PROGRAM = 'convert'


def convert(mlist, *args):
    Cli.ArgumentParser(PROGRAM, __doc__).parse_args(args)
    listname = mlist.internal_name()
    if getattr(mlist, 'use_dollar_strings', 0):
        print(f'List {listname} already uses $-substitutions')
        return
    if not mlist.Locked():
        mlist.Lock()
    print(f'Converting list {listname} to $-substitutions')
    for attribute in Utils.DOLLAR_STRING_ATTRIBUTES:
        text = getattr(mlist, attribute, None)
        if isinstance(text, str):
            setattr(mlist, attribute, Utils.to_dollar(text))
    mlist.use_dollar_strings = 1
    mlist.Save()


if __name__ == '__main__':
    sys.exit(Cli.withlist_only(PROGRAM, __doc__))
