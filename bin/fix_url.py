#! @PYTHON@
"""Point a list at a new web host (and the mail host that goes with it).

    withlist -l -r fix_url LISTNAME [-u URLHOST] [-v]

A bin/withlist script.  It sets the list's web_page_url to
DEFAULT_URL_PATTERN filled in with URLHOST, and its host_name to the mail
host that VIRTUAL_HOSTS gives URLHOST (URLHOST itself when it has none).
Without -u, DEFAULT_URL_HOST and DEFAULT_EMAIL_HOST are used.  The list is
saved.  Run it on every list with `withlist -l -a -r fix_url -- -u HOST`.

If the mail host changed and your MTA keeps virtual domains (Postfix with
POSTFIX_STYLE_VIRTUAL_DOMAINS), run bin/genaliases afterwards.
"""

import re
import sys

import paths  # noqa: F401  (puts the installed Mailman on sys.path)
from Mailman import Cli
from Mailman import mm_cfg

PROGRAM = 'fix_url'

# A web host as DEFAULT_URL_PATTERN wants it: a name, perhaps with a port.
# "http://..." or a path given by mistake would make every URL wrong.
WEB_HOST = re.compile(r'(?!-)[A-Za-z0-9-]{1,63}(?<!-)'
                      r'(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?(:[0-9]{1,5})?')


def new_hosts(urlhost):
    """(web_page_url, host_name) for URLHOST, or for the site defaults."""
    if not urlhost:
        return (mm_cfg.DEFAULT_URL_PATTERN % mm_cfg.DEFAULT_URL_HOST,
                mm_cfg.DEFAULT_EMAIL_HOST)
    return (mm_cfg.DEFAULT_URL_PATTERN % urlhost,
            mm_cfg.VIRTUAL_HOSTS.get(urlhost.lower(), urlhost))


def fix_url(mlist, *args):
    parser = Cli.ArgumentParser(PROGRAM, __doc__)
    parser.add_argument('-u', '--urlhost', help='the new web host')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='say what is set')
    options = parser.parse_args(args)
    if options.urlhost is not None and not WEB_HOST.fullmatch(options.urlhost):
        parser.error(f'not a web host name: {options.urlhost!r}')
    web_page_url, host_name = new_hosts(options.urlhost)
    if options.verbose:
        print(f'Setting web_page_url to: {web_page_url}')
        print(f'Setting host_name to: {host_name}')
    if not mlist.Locked():
        mlist.Lock()
    mlist.web_page_url = web_page_url
    mlist.host_name = host_name
    mlist.Save()
    if options.verbose:
        print(f'Saved list {mlist.internal_name()}')


if __name__ == '__main__':
    sys.exit(Cli.withlist_only(PROGRAM, __doc__))
