"""lists: the public lists of this site (of this list's virtual host)."""

from Mailman import Errors
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.i18n import _

HELP = """\
    lists
        The public mailing lists of this site.
"""


def gethelp(mlist):
    return _(HELP)


def process(res, args):
    from Mailman.MailList import MailList
    mlist = res.mlist
    if args:
        from Mailman.Commands import usage
        import sys
        return usage(res, sys.modules[__name__])
    res.results.append(_('Public mailing lists at %(hostname)s:')
                       % {'hostname': mlist.host_name})
    number = 0
    for name in Utils.list_names():
        if name == mlist.internal_name():
            other = mlist
        else:
            try:
                other = MailList(name, lock=0)
            except Errors.MMListError:
                continue
            if not other.advertised:
                continue
        if mm_cfg.VIRTUAL_HOST_OVERVIEW and \
                other.host_name.lower() != mlist.host_name.lower():
            continue
        number += 1
        if number > 1:
            res.results.append('')
        values = {'i': number, 'realname': other.real_name,
                  'description': other.description or _('n/a'),
                  'requestaddr': other.GetRequestEmail()}
        res.results.append(_('%(i)3d. List name:   %(realname)s') % values)
        res.results.append(_('     Description: %(description)s') % values)
        res.results.append(_('     Requests to: %(requestaddr)s') % values)
