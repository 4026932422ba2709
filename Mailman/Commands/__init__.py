"""The commands people can mail to a list's -request address.

One module per command, named cmd_<command>.py, as in 2.1; the
CommandRunner imports the module named by a line's first word.  Each
module has

    process(res, args) -> STOP (1) to stop reading further lines, or a
                          false value to go on
    gethelp(mlist)     -> the command's help text

`res` is the CommandRunner's Results: res.mlist (locked), res.msg,
res.msgdata, res.results (lines for the reply), res.commands (the lines
being read, the Subject first), res.returnaddr (reply to another address
than the sender), res.respond (false: no reply at all).

The helpers below are shared by the command modules.
"""

import email.errors
import email.utils
from email.header import decode_header, make_header

from Mailman.i18n import _

CONTINUE = 0
STOP = 1


def sender_address(res):
    """The address a command speaks for when it names none: the From:
    address, else the sender the message otherwise names."""
    address = ''
    value = res.msg.get('from')
    if value:
        try:
            address = email.utils.parseaddr(str(value))[1]
        except (TypeError, ValueError):
            address = ''
    if not address or '@' not in address:
        address = res.msg.get_sender(preserve_case=1) or ''
    return address.strip()


def sender_name(res):
    """The real name in the From: header, decoded, or ''."""
    value = res.msg.get('from')
    if not value:
        return ''
    try:
        name = email.utils.parseaddr(str(value))[0]
        name = str(make_header(decode_header(name)))
    except (TypeError, ValueError, LookupError, UnicodeError,
            email.errors.HeaderParseError):
        return ''
    return ''.join(c for c in name if c.isprintable()).strip()


def split_address_arg(args):
    """Split ARGS into (other arguments, the address of an address=<addr>
    argument or None).  Brackets around the address are tolerated."""
    rest, address = [], None
    for arg in args:
        if arg.lower().startswith('address='):
            address = arg[len('address='):].strip().strip('<>')
        else:
            rest.append(arg)
    return rest, address


def usage(res, module, mlist=None):
    """Add the command's help to the results, as a usage reminder."""
    res.results.append(_('Usage:'))
    res.results.append(module.gethelp(mlist or res.mlist).strip('\n'))
    return STOP


def not_a_member(res, address):
    res.results.append(
        _('%(address)s is not a member of the %(listname)s mailing list.')
        % {'address': address, 'listname': res.mlist.real_name})
    return STOP
