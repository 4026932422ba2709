"""help: the command help, for every command this site knows."""

import importlib
import os

from Mailman import Utils
from Mailman.i18n import _

HELP = """\
    help
        This help.
"""


def gethelp(mlist):
    return _(HELP)


def command_names():
    """The names of every command module in this package."""
    directory = os.path.dirname(os.path.abspath(__file__))
    names = set()
    for filename in os.listdir(directory):
        base, ext = os.path.splitext(filename)
        if ext in ('.py', '.pyc') and base.startswith('cmd_') and \
                base[4:].isidentifier():
            names.add(base[4:])
    return sorted(names)


def process(res, args):
    from Mailman.Commands import sender_address
    mlist = res.mlist
    address = sender_address(res)
    if address and mlist.isMember(address):
        res.results.append(
            _('Your personal options are at this web page:'))
        res.results.append(mlist.GetOptionsURL(
            mlist.getMemberCPAddress(address), absolute=1))
        res.results.append('')
    helps = []
    for name in command_names():
        try:
            module = importlib.import_module('Mailman.Commands.cmd_' + name)
        except ImportError:
            continue
        gethelp = getattr(module, 'gethelp', None)
        if gethelp is not None:
            helps.append(gethelp(mlist).rstrip('\n'))
    from Mailman import Version
    text = Utils.maketext('help.txt', {
        'listname': mlist.real_name,
        'version': getattr(Version, 'VERSION', ''),
        'listinfo_url': mlist.GetScriptURL('listinfo', absolute=1),
        'requestaddr': mlist.GetRequestEmail(),
        'adminaddr': mlist.GetOwnerEmail(),
        'commands': '\n\n'.join(helps),
    }, lang=res.msgdata.get('lang'), mlist=mlist)
    res.results.extend(text.rstrip('\n').splitlines())
