"""A loopback SMTP server that stands in for the MTA in front of Mailman.

It accepts mail for the list addresses of one installed site and pipes each
message into the site's mail wrapper, `$prefix/mail/mailman COMMAND LIST`,
the way a Postfix or Exim alias would: the message bytes on standard input
with a Delivered-To header in front of them, the envelope in the
environment, and the wrapper's exit status read as sysexits.h says
(67, no such user: a permanent refusal; 75, try again later: a temporary
one).  Recipients that name no list are refused at RCPT time with 550.

It is for development and the quick start only: it listens on 127.0.0.1,
has no queue of its own and never retries.  Run it on its own with

    PYTHONPATH=$prefix/pythonlib python3 misc/mtaentry.py \
        --prefix $prefix [--lists-dir $var_prefix/lists] [--port 8025]
"""

import argparse
import asyncio
import os
import sys
from pathlib import Path

import smtpserve

# The address suffixes of a list, each naming the wrapper command that an
# alias for it runs; the bare list name runs `post`.
SUFFIX_COMMANDS = ('admin', 'bounces', 'confirm', 'join', 'leave', 'owner',
                   'request', 'subscribe', 'unsubscribe')

# sysexits.h: what an MTA makes of a delivery command's exit status.
EX_TEMPORARY = {71, 72, 73, 74, 75}         # OSERR .. TEMPFAIL: retry later
EX_PERMANENT = set(range(64, 79)) - EX_TEMPORARY
WRAPPER_TIMEOUT = 300                       # seconds, as a pipe's time limit


def route(local_part, list_exists):
    """(command, listname) for the local part of a recipient, or None when
    it names no list.  LIST_EXISTS(name) says whether a list exists.  An
    address extension after '+' (VERP bounces, confirmation cookies) does
    not take part in the lookup, as with Postfix's recipient_delimiter."""
    base = local_part.split('+', 1)[0].lower()
    if base and list_exists(base):
        return 'post', base
    listname, dash, suffix = base.rpartition('-')
    if dash and suffix in SUFFIX_COMMANDS and listname and list_exists(listname):
        return suffix, listname
    return None


def reply_for_status(status, stderr_text):
    """The SMTP reply for a wrapper's exit STATUS (negative: killed by that
    signal), in the manner of an MTA's pipe delivery agent."""
    detail = ' '.join(stderr_text.split())[:200] or f'exit status {status}'
    if status == 0:
        return '250 2.0.0 delivered to Mailman'
    if status in EX_PERMANENT:
        return f'550 5.1.1 {detail}' if status == 67 else f'554 5.3.0 {detail}'
    # Temporary sysexits and everything else (a wrapper's own failures such
    # as a group mismatch, a crash, a signal): keep the mail, try again.
    return f'451 4.3.0 {detail}'


class MailmanEntry:
    """aiosmtpd handler: routes recipients to the list wrapper."""

    def __init__(self, prefix, lists_dir=None, log=None):
        self.wrapper = Path(prefix) / 'mail' / 'mailman'
        self.lists_dir = Path(lists_dir or Path(prefix) / 'lists')
        self.log = log or (lambda text: None)

    def list_exists(self, name):
        if '/' in name or name.startswith('.'):
            return False
        return (self.lists_dir / name / 'config.pck').exists()

    async def handle_RCPT(self, server, session, envelope, address, options):
        local_part = address.rpartition('@')[0] if '@' in address else address
        if route(local_part, self.list_exists) is None:
            return f'550 5.1.1 <{address}>: no such list on this site'
        envelope.rcpt_tos.append(address)
        return '250 2.1.5 OK'

    async def handle_DATA(self, server, session, envelope):
        replies = []
        for recipient in envelope.rcpt_tos:
            local_part, _, domain = recipient.rpartition('@')
            command, listname = route(local_part or recipient, self.list_exists)
            reply = await self.deliver(command, listname, recipient, domain,
                                       envelope)
            self.log(f'{recipient}: mail/mailman {command} {listname}: {reply}')
            replies.append(reply)
        # One reply for the whole transaction: success only if every pipe
        # took the message; a temporary failure wins over a permanent one so
        # that the client keeps the message.
        for first_digit in '45':
            for reply in replies:
                if reply.startswith(first_digit):
                    return reply
        return '250 2.0.0 OK'

    async def deliver(self, command, listname, recipient, domain, envelope):
        sender = envelope.mail_from or ''
        # Postfix's local delivery agent adds this header (its mail loop
        # detection reads it); the envelope goes in the environment.
        header = f'Delivered-To: {recipient}\r\n'.encode('utf-8')
        environment = {
            'PATH': '/usr/bin:/bin', 'SENDER': sender,
            'RECIPIENT': recipient, 'ORIGINAL_RECIPIENT': recipient,
            'LOCAL': recipient.rpartition('@')[0], 'DOMAIN': domain,
            'LOGNAME': os.environ.get('LOGNAME', ''),
            'USER': os.environ.get('USER', ''),
            'HOME': os.environ.get('HOME', '/'),
        }
        try:
            process = await asyncio.create_subprocess_exec(
                str(self.wrapper), command, listname, env=environment,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, cwd='/')
        except OSError as error:
            return f'451 4.3.0 cannot run {self.wrapper}: {error.strerror}'
        try:
            stdout, stderr = await asyncio.wait_for(
                process.communicate(header + envelope.original_content),
                WRAPPER_TIMEOUT)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            return '451 4.4.7 the mail wrapper timed out'
        return reply_for_status(process.returncode,
                                (stderr or stdout).decode('utf-8', 'replace'))


def make_controller(handler, port, host='127.0.0.1'):
    """An aiosmtpd Controller for HANDLER on HOST:PORT, not yet started."""
    return smtpserve.make_controller(handler, port, 'Mailman entry', host)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--prefix', required=True,
                        help="Mailman's installation prefix")
    parser.add_argument('--lists-dir',
                        help='the lists directory (default: PREFIX/lists)')
    parser.add_argument('--port', type=int, default=8025)
    options = parser.parse_args(argv)
    handler = MailmanEntry(options.prefix, options.lists_dir,
                           log=lambda text: print(text, flush=True))
    return smtpserve.serve_until_stopped(
        make_controller(handler, options.port),
        f'Mailman entry listening on 127.0.0.1:{options.port}')


if __name__ == '__main__':
    sys.exit(main())
