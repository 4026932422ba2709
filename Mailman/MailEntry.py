"""What mail/mailman COMMAND LISTNAME does with the message on stdin.

Exit statuses follow sysexits.h, which every MTA understands: 67
(EX_NOUSER) makes the MTA bounce mail for an unknown list with our message,
75 (EX_TEMPFAIL) makes it keep the message and try again later.
"""

import sys

from Mailman import Utils
from Mailman.Logging.Syslog import syslog

EX_OK = 0
EX_USAGE = 64
EX_NOUSER = 67
EX_TEMPFAIL = 75

COMMANDS = ('admin', 'bounces', 'confirm', 'join', 'leave', 'owner', 'post',
            'request', 'subscribe', 'unsubscribe')


def main(command, args, stdin=None, stderr=None):
    stderr = stderr or sys.stderr
    if command not in COMMANDS:
        print(f'Mailman: unknown mail command {command!r}', file=stderr)
        return EX_USAGE
    if not args:
        print(f'Mailman: the {command} script needs a list name', file=stderr)
        syslog('error', '%s script got no list name', command)
        return EX_USAGE
    listname = args[0].lower()
    if not Utils.list_exists(listname):
        print(f'Mailman: no such list: {args[0]!r}', file=stderr)
        syslog('error', '%s to a nonexistent list: %r', command, args[0])
        return EX_NOUSER
    # Queueing the message for the runners arrives with the mail path
    # (Mailman/Queue).  Until then, ask the MTA to keep it and retry.
    print('Mailman: this installation does not accept list mail yet; '
          'the message stays with the mail server', file=stderr)
    syslog('error', '%s for list %s deferred: no queue runners installed',
           command, listname)
    return EX_TEMPFAIL
