"""end: stop reading commands."""

from Mailman.Commands import STOP
from Mailman.i18n import _

HELP = """\
    end
        Stop reading commands: nothing after this line is looked at.  Handy
        when your mail program adds a signature that does not start with
        the usual "-- " line.
"""


def gethelp(mlist):
    return _(HELP)


def process(res, args):
    return STOP
