"""join: another name for subscribe."""

from Mailman.Commands.cmd_subscribe import process
from Mailman.i18n import _

__all__ = ['process', 'gethelp']

HELP = """\
    join [<password>] [digest|nodigest] [address=<address>]
        The same as `subscribe'.
"""


def gethelp(mlist):
    return _(HELP)
