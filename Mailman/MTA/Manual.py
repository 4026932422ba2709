"""MTA = 'Manual': Mailman touches no MTA file; the site administrator adds
and removes the aliases by hand.

`create()` and `remove()` show the /etc/aliases lines for one list, in the
layout 2.1 printed for sendmail-style MTAs::

    ## mylist mailing list
    mylist:              "|/usr/local/mailman/mail/mailman post mylist"
    mylist-admin:        "|/usr/local/mailman/mail/mailman admin mylist"
    ...

On the command line (bin/newlist, bin/rmlist) the text goes to standard
output.  With cgi=True, when a list is made or removed from the web, the
text is returned instead, for the caller to mail to the site owner.
`regenerate()` (bin/genaliases) prints the aliases of every list.
"""

import io
import sys

from Mailman import Utils
from Mailman.i18n import _
from Mailman.MTA.Utils import (field_width, loop_local_part, loop_mbox,
                               makealiases)


def alias_lines(listname):
    """The /etc/aliases lines of LISTNAME, without a final newline."""
    width = field_width(listname)
    # 2.1 printed "alias:", the padding and the command as three print
    # items, hence one space on each side of the padding.
    return '\n'.join(f'{alias}: {" " * (width - len(alias))} {command}'
                     for alias, command in makealiases(listname))


def _stanza(listname):
    return _('## %(listname)s mailing list') % {'listname': listname} + \
        '\n' + alias_lines(listname) + '\n'


def create(mlist, cgi=False, nolock=False, quiet=False):
    """Show the aliases to add for MLIST.  Returns the text when CGI is
    true; prints it otherwise.  QUIET leaves out the explanation."""
    listname = mlist.internal_name()
    out = io.StringIO()
    if not quiet:
        if cgi:
            out.write(_("""\
The mailing list %(listname)s was created through the web.  It cannot
receive mail until its addresses are known to the mail server: add the
lines below to /etc/aliases (or your MTA's equivalent) and run
`newaliases' if your MTA needs it.
""") % {'listname': listname})
        else:
            out.write(_("""\
The list %(listname)s exists, but the mail server does not know its
addresses yet.  Add these lines to /etc/aliases (or your MTA's equivalent),
then run `newaliases' if your MTA needs it:
""") % {'listname': listname})
        out.write('\n')
    out.write(_stanza(listname))
    return _deliver(out.getvalue(), cgi)


def remove(mlist, cgi=False):
    """Show the aliases to delete now that MLIST is gone."""
    listname = mlist.internal_name()
    out = io.StringIO()
    if cgi:
        out.write(_("""\
The mailing list %(listname)s was removed through the web.  Remove the
lines below from /etc/aliases (or your MTA's equivalent) and run
`newaliases' if your MTA needs it.
""") % {'listname': listname})
    else:
        out.write(_("""\
The list %(listname)s is gone.  Remove these lines from /etc/aliases (or
your MTA's equivalent), then run `newaliases' if your MTA needs it:
""") % {'listname': listname})
    out.write('\n')
    out.write(_stanza(listname))
    return _deliver(out.getvalue(), cgi)


def all_aliases(quiet=False):
    """The aliases of the whole site: the -loop alias, then every list."""
    out = io.StringIO()
    if not quiet:
        out.write(_("""\
Mailman does not manage your MTA's aliases (MTA = 'Manual').  These are
the aliases every list on this site needs, in /etc/aliases format, with
the loop-stopper address that catches bounces of mail to the site list's
owners.  Make sure your aliases file has them, then run `newaliases' if
your MTA needs it.
""") + '\n')
    loop = loop_local_part()
    out.write(_('## the loop stopper address') + '\n')
    out.write(f'{loop}: {_quote_path(loop_mbox())}\n')
    for listname in Utils.list_names():
        out.write('\n' + _stanza(listname))
    return out.getvalue()


def regenerate(quiet=False):
    """bin/genaliases: print the aliases of every list."""
    sys.stdout.write(all_aliases(quiet))


def _quote_path(path):
    return f'"{path}"' if any(c.isspace() for c in path) else path


def _deliver(text, cgi):
    if cgi:
        return text
    sys.stdout.write(text + ('' if text.endswith('\n\n') else '\n'))
    sys.stdout.flush()
    return None
