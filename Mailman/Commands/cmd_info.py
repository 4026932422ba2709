"""info: what the list is and where to reach it."""

from Mailman.i18n import _

HELP = """\
    info
        Information about this mailing list: its description and its
        addresses.
"""


def gethelp(mlist):
    return _(HELP)


def process(res, args):
    mlist = res.mlist
    if args:
        from Mailman.Commands import usage
        import sys
        return usage(res, sys.modules[__name__])
    values = {
        'listname': mlist.real_name,
        'description': mlist.description or _('n/a'),
        'postaddr': mlist.GetListEmail(),
        'requestaddr': mlist.GetRequestEmail(),
        'owneraddr': mlist.GetOwnerEmail(),
        'listurl': mlist.GetScriptURL('listinfo', absolute=1),
    }
    for line in (_('List name: %(listname)s'),
                 _('Description: %(description)s'),
                 _('Postings to: %(postaddr)s'),
                 _('List Helpbot: %(requestaddr)s'),
                 _('List Owners: %(owneraddr)s'),
                 _('More information: %(listurl)s')):
        res.results.append(line % values)
    if mlist.info:
        res.results.append('')
        res.results.extend(mlist.info.strip('\n').splitlines())
