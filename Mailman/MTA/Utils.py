"""The mail aliases every list needs, shared by the MTA modules.

A list answers at its bare name and at ten extensions.  Each address is
delivered to the mail wrapper, `mail/mailman COMMAND LISTNAME`, where the
command is the extension (the bare name runs `post`).  `-admin` is the
old name of `-bounces` and has a command of its own that does the same.

With USE_MAILDIR the MTA drops everything into one maildir instead, and the
maildir runner works out the list and the extension from the headers.
"""

import os

from Mailman import mm_cfg

# The extensions, in the order 2.1 writes them.
EXTENSIONS = ('admin', 'bounces', 'confirm', 'join', 'leave', 'owner',
              'request', 'subscribe', 'unsubscribe')

# The longest extension sets the width of the alias column.
LONGEST_SUFFIX = '-unsubscribe'


def makealiases(listname):
    """Return [(alias, destination), ...] for LISTNAME: the bare name first,
    then one pair per extension.  A destination is a quoted pipe command
    ready for an aliases(5) file, or the maildir path with USE_MAILDIR."""
    if getattr(mm_cfg, 'USE_MAILDIR', False):
        return _maildir_aliases(listname)
    return _program_aliases(listname)


def _program_aliases(listname):
    wrapper = os.path.join(mm_cfg.WRAPPER_DIR, 'mailman')
    aliases = [(listname, f'"|{wrapper} post {listname}"')]
    for ext in EXTENSIONS:
        aliases.append((f'{listname}-{ext}',
                        f'"|{wrapper} {ext} {listname}"'))
    return aliases


def _maildir_aliases(listname):
    maildir = mm_cfg.MAILDIR_DIR
    if not maildir.endswith('/'):
        maildir += '/'      # the trailing slash asks the MTA for maildir format
    return [(listname, maildir)] + [(f'{listname}-{ext}', maildir)
                                    for ext in EXTENSIONS]


def field_width(listname):
    """Width of the alias column in the files and listings 2.1 writes."""
    return len(listname) + len(LONGEST_SUFFIX)


def loop_local_part():
    """The local part of the site list's -loop address (`mailman-loop`),
    the envelope sender of mail to the site list's owners."""
    return f'{mm_cfg.MAILMAN_SITE_LIST}-loop'


def loop_mbox():
    """Where mail to the -loop address ends up."""
    return os.path.join(mm_cfg.DATA_DIR, 'owner-bounces.mbox')
