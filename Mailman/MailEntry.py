"""What mail/mailman COMMAND LISTNAME does with the message on stdin.

The message is stored, byte for byte as the MTA gave it (a leading Unix
'From ' line included, if there is one), in the queue the command names,
with the flags the runners look for:

  post                   qfiles/in        tolist=1
  owner                  qfiles/in        toowner=1, envsender=<site list>-
                                          bounces@<list host>,
                                          pipeline=OWNER_PIPELINE
  bounces, admin         qfiles/bounces
  request                qfiles/commands  torequest=1
  join, subscribe        qfiles/commands  tojoin=1
  leave, unsubscribe     qfiles/commands  toleave=1
  confirm                qfiles/commands  toconfirm=1

plus listname and received_time.  Nothing is parsed here, so no message,
however broken, is refused for its content.

Exit statuses follow sysexits.h, which every MTA understands: 0 once the
queue file is on disk (written, fsynced and renamed); 67 (EX_NOUSER) makes
the MTA bounce mail for an unknown list with our message; 75 (EX_TEMPFAIL)
makes it keep the message and try again later, when the queue cannot be
written.
"""

import sys
import time

from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog

EX_OK = 0
EX_USAGE = 64
EX_NOUSER = 67
EX_TEMPFAIL = 75

COMMANDS = ('admin', 'bounces', 'confirm', 'join', 'leave', 'owner', 'post',
            'request', 'subscribe', 'unsubscribe')


def queue_and_flags(command, listname):
    """(queue directory, metadata flags) for COMMAND on list LISTNAME."""
    if command == 'post':
        return mm_cfg.INQUEUE_DIR, {'tolist': 1}
    if command == 'owner':
        return mm_cfg.INQUEUE_DIR, {
            'toowner': 1,
            'envsender': Utils.get_site_email(_list_host(listname),
                                              'bounces'),
            'pipeline': list(mm_cfg.OWNER_PIPELINE),
        }
    if command in ('bounces', 'admin'):
        return mm_cfg.BOUNCEQUEUE_DIR, {}
    if command == 'request':
        return mm_cfg.CMDQUEUE_DIR, {'torequest': 1}
    if command in ('join', 'subscribe'):
        return mm_cfg.CMDQUEUE_DIR, {'tojoin': 1}
    if command in ('leave', 'unsubscribe'):
        return mm_cfg.CMDQUEUE_DIR, {'toleave': 1}
    if command == 'confirm':
        return mm_cfg.CMDQUEUE_DIR, {'toconfirm': 1}
    raise ValueError(command)


def _list_host(listname):
    """The list's mail host; the site's default if the list cannot be
    read (the runner will report that)."""
    try:
        from Mailman.MailList import MailList
        return MailList(listname, lock=0).host_name
    except Exception as error:
        syslog('error', 'owner mail for %s: cannot read the list (%s); '
               'using the default host', listname, error)
        return mm_cfg.DEFAULT_EMAIL_HOST


def _read_all(stdin):
    stream = getattr(stdin, 'buffer', stdin)
    data = stream.read()
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    return data


def main(command, args, stdin=None, stderr=None):
    stdin = stdin or sys.stdin
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
    try:
        message = _read_all(stdin)
    except OSError as error:
        print(f'Mailman: cannot read the message: {error}', file=stderr)
        syslog('error', '%s for list %s: cannot read stdin: %s', command,
               listname, error)
        return EX_TEMPFAIL
    try:
        from Mailman.Queue.Switchboard import Switchboard
        queue, flags = queue_and_flags(command, listname)
        Switchboard(queue).enqueue(message, flags, listname=listname,
                                   received_time=time.time())
    except Exception as error:
        # Whatever went wrong (disk full, permissions, a broken install),
        # the MTA keeps the message and tries again.
        print(f'Mailman: cannot queue the message for {listname}: {error}',
              file=stderr)
        syslog('error', '%s for list %s could not be queued: %s: %s',
               command, listname, type(error).__name__, error)
        return EX_TEMPFAIL
    return EX_OK
