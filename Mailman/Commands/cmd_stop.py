"""stop: another name for end."""

from Mailman.Commands.cmd_end import process
from Mailman.i18n import _

__all__ = ['process', 'gethelp']

HELP = """\
    stop
        The same as `end'.
"""


def gethelp(mlist):
    return _(HELP)
