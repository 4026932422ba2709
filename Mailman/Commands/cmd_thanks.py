"""thanks: another name for end (people like to sign off politely)."""

from Mailman.Commands.cmd_end import process
from Mailman.i18n import _

__all__ = ['process', 'gethelp']

HELP = """\
    thanks
        The same as `end'.
"""


def gethelp(mlist):
    return _(HELP)
