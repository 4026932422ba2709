"""leave: another name for unsubscribe."""

from Mailman.Commands.cmd_unsubscribe import process
from Mailman.i18n import _

__all__ = ['process', 'gethelp']

HELP = """\
    leave [<password>] [address=<address>]
        The same as `unsubscribe'.
"""


def gethelp(mlist):
    return _(HELP)
