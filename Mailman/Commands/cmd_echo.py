"""echo: repeat the arguments back."""

from Mailman.Commands import STOP
from Mailman.i18n import _

HELP = """\
    echo [<text>]
        Reply with the text given, to check that your mail gets through.
        Lines after it are not read.
"""


def gethelp(mlist):
    return _(HELP)


def process(res, args):
    res.results.append('echo ' + ' '.join(args))
    return STOP
