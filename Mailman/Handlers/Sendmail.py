"""Deliver by piping the message into the local sendmail program.

An alternative DELIVERY_MODULE for sites that cannot use SMTP: SENDMAIL_CMD
(a program path, optionally followed by options, split like a shell would
split words but never run by a shell) is started with

    SENDMAIL_CMD -oi -f <envelope sender> -- <recipient> ...

and the message on its standard input.  Recipients are passed in groups
whose command line stays under MAX_CMDLINE characters.  An address that
starts with '-' (it would be read as an option), or that holds white
space or control characters, is refused as a permanent failure and never
reaches the command line.  A non-zero exit status, or a program that
cannot be started, is a temporary failure of that group: the program
accepts or refuses a whole group, and the MTA itself bounces what it
cannot deliver later.

The message is decorated once (header and footer) and gets the same
Sender: and Errors-To: headers as with SMTPDirect; there is no per-member
personalisation or VERP here.
"""

import importlib
import re
import shlex
import subprocess
import time
from email.generator import BytesGenerator
from io import BytesIO

from Mailman import Errors
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog

MAX_CMDLINE = 3000
TIMEOUT = 600
_UNSAFE = re.compile(r'[\x00-\x20\x7f<>]')


def _usable(address):
    return bool(address) and not address.startswith('-') \
        and not _UNSAFE.search(address)


def _groups(recips):
    group, length = [], 0
    for recip in recips:
        if group and length + len(recip) + 1 > MAX_CMDLINE:
            yield group
            group, length = [], 0
        group.append(recip)
        length += len(recip) + 1
    if group:
        yield group


def process(mlist, msg, msgdata):
    recips = msgdata.get('recips')
    if not recips:
        return
    envsender = msgdata.get('envsender') or mlist.GetBouncesEmail()
    if not msgdata.get('decorated') and not msgdata.get('nodecorate'):
        importlib.import_module('Mailman.Handlers.Decorate').process(
            mlist, msg, msgdata)
        msgdata['decorated'] = True
    if mlist.include_sender_header:
        from Mailman.Handlers.SMTPDirect import _sender_header
        del msg['Sender']
        msg['Sender'] = _sender_header(mlist, envsender)
    del msg['Errors-To']
    msg['Errors-To'] = envsender
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False,
                   policy=msg.policy.clone(linesep='\n')).flatten(msg)
    # Local programs want the local line end.
    data = re.sub(rb'\r\n|\r', b'\n', out.getvalue())
    listname = mlist.internal_name()
    sender = msgdata.get('original_sender', msg.get_sender())
    tempfailures, permfailures = [], []
    good = []
    for recip in recips:
        if _usable(recip):
            good.append(recip)
        else:
            permfailures.append(recip)
            syslog('smtp-failure', 'Sendmail: refusing unsafe address %r', recip)
    if not _usable(envsender):
        syslog('smtp-failure', 'Sendmail: unsafe envelope sender %r', envsender)
        raise Errors.SomeRecipientsFailed(good, permfailures)
    command = shlex.split(mm_cfg.SENDMAIL_CMD)
    t0 = time.time()
    for group in _groups(good):
        argv = command + ['-oi', '-f', envsender, '--'] + group
        try:
            result = subprocess.run(argv, input=data, capture_output=True,
                                    timeout=TIMEOUT, shell=False)
            status = result.returncode
            problem = result.stderr.decode('utf-8', 'replace').strip()
        except (OSError, subprocess.SubprocessError) as error:
            status, problem = -1, str(error)
        if status:
            tempfailures.extend(group)
            syslog('post', 'post to %s from %s, size=%d, failure=%d',
                   listname, sender, len(data), status)
            syslog('smtp-failure', 'Sendmail: %s exited %s for %d recipients: %s',
                   command[0] if command else '(none)', status, len(group),
                   ' '.join(problem.split())[:500])
        else:
            syslog('post', 'post to %s from %s, size=%d, success',
                   listname, sender, len(data))
    syslog('smtp', '%s sendmail to %s for %d recips, completed in %.3f seconds',
           msg.get('message-id', 'n/a'), listname, len(recips),
           time.time() - t0)
    if tempfailures or permfailures:
        raise Errors.SomeRecipientsFailed(tempfailures, permfailures)
