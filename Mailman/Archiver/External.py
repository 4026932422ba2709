"""Handing posts to an external archiver (PUBLIC_/PRIVATE_EXTERNAL_ARCHIVER).

The setting is a command line.  It is split like a shell would split it,
but no shell runs it; %(listname)s and %(hostname)s in it are replaced by
the list's own name and host, never by anything from the message, and the
message goes to the command's standard input.
"""

import shlex
import subprocess

from Mailman.Logging.Syslog import syslog

TIMEOUT = 300


def command_line(setting, mlist):
    values = {'listname': mlist.internal_name(), 'hostname': mlist.host_name}
    argv = []
    for word in shlex.split(setting):
        try:
            argv.append(word % values)
        except (KeyError, ValueError, TypeError):
            argv.append(word)
    return argv


def run(setting, mlist, data):
    """Run the external archiver SETTING with DATA (bytes) on its stdin;
    True when it exited 0.  Failures are logged, not raised: the message
    is already in the mbox."""
    try:
        argv = command_line(setting, mlist)
        result = subprocess.run(argv, input=data, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, timeout=TIMEOUT,
                                check=False)
    except (OSError, ValueError, subprocess.SubprocessError) as error:
        syslog('error', 'external archiver %r for list %s failed: %s',
               setting, mlist.internal_name(), error)
        return False
    if result.returncode:
        syslog('error', 'external archiver %r for list %s exited %s: %s',
               setting, mlist.internal_name(), result.returncode,
               result.stderr.decode('utf-8', 'replace').strip()[:500])
        return False
    return True
