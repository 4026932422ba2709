#!/usr/bin/env python3
"""Delivery benchmark: how fast does Mailman hand a post to the MTA?

    python3 bench/delivery.py [--sizes 1000,10000,100000]
                              [--modes bulk,personal] [--keep]

Builds and installs Mailman into a temporary prefix (as the integration
tests do), starts Postfix's smtp-sink on 127.0.0.1 as the MTA, creates one
list per size, and delivers one post to every member:

  bulk      the default: chunks of SMTP_MAX_RCPTS recipients, one
            transaction each, over one connection;
  personal  a personalised list (a footer naming each reader) with VERP:
            one decorated copy and one transaction per member.

The post is put into qfiles/in (as mail/mailman would, marked approved),
`bin/qrunner -r Incoming -o` runs the whole pipeline (its wall time is
the "pipeline" column) and `bin/qrunner -r Outgoing -o` delivers it; when that is not installed, a small program run with the installed
interpreter calls the delivery module itself (this is printed).  Figures:
the time from the first transaction to the acceptance of the last
recipient (SMTPDirect's own measurement, from logs/smtp), recipients per
second, the wall time of the delivering process and its peak RSS.

It prints figures and never fails on time.  Targets to compare with:
bulk 100,000 members under 5 s; personalised VERP 10,000 under 5 s.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / 'tests' / 'integration'))
sys.path.insert(0, str(TOP / 'tests'))

from installs import build_and_install, current_group, current_user  # noqa: E402

TARGETS = {('bulk', 100000): 5.0, ('personal', 10000): 5.0}
SMTP_SINK = '/usr/sbin/smtp-sink'

BODY = ('This is a benchmark post of ordinary size.  It has a few paragraphs\n'
        'of plain text, as most list traffic does, so that the figures say\n'
        'something about real deliveries rather than empty messages.\n\n') * 12

# Runs with the installed interpreter: put N members on list NAME.
ADD_MEMBERS = r'''
import sys
from Mailman.MailList import MailList
name, count, personal = sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1'
tlds = ('com', 'net', 'org', 'edu', 'de', 'fr', 'co.uk')
m = MailList(name)
try:
    m.members.update((f'member{i}@host{i % 97}.example.{tlds[i % len(tlds)]}', 0)
                     for i in range(count))
    m.personalize = 1 if personal else 0
    if personal:
        m.msg_footer += '\nThis copy was sent to %(user_address)s\n'
    m.Save()
finally:
    m.Unlock()
'''

# Runs with the installed interpreter: put the post into qfiles/in, as
# mail/mailman does, marked approved so that moderation lets it through.
# The list's own settings decide personalisation and VERP.
ENQUEUE = r'''
import sys, time
from Mailman import mm_cfg
from Mailman.Queue.Switchboard import Switchboard
name, path = sys.argv[1], sys.argv[2]
data = {'listname': name, 'tolist': 1, 'approved': 1,
        'received_time': time.time()}
Switchboard(mm_cfg.INQUEUE_DIR).enqueue(open(path, 'rb').read(), data)
'''

# Runs with the installed interpreter when there is no bin/qrunner: the
# same work as the outgoing runner, minus the queue.
DELIVER = r'''
import json, sys, time
import email
from Mailman import Errors, mm_cfg
from Mailman.MailList import MailList
from Mailman.Message import Message
import importlib
name, personal, path = sys.argv[1], sys.argv[2] == '1', sys.argv[3]
m = MailList(name, lock=0)
msg = email.message_from_bytes(open(path, 'rb').read(), _class=Message)
msgdata = {'listname': name, 'recips': m.getRegularMemberKeys(), 'tolist': 1}
if personal:
    msgdata['verp'] = 1
    msgdata['personalize'] = 1
module = importlib.import_module('Mailman.Handlers.' + mm_cfg.DELIVERY_MODULE)
t0 = time.time()
failed = 0
try:
    module.process(m, msg, msgdata)
except Errors.SomeRecipientsFailed as error:
    failed = len(error.tempfailures) + len(error.permfailures)
print(json.dumps({'elapsed': time.time() - t0, 'failed': failed}))
'''


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), 1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Sink:
    """smtp-sink, or the test capture server when Postfix is missing."""

    def __init__(self):
        self.port = free_port()
        self.process = None
        self.capture = None
        if os.path.exists(SMTP_SINK):
            command = [SMTP_SINK]
            if os.geteuid() == 0:
                command += ['-u', 'nobody']
            command += [f'127.0.0.1:{self.port}', '1000']
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL)
            if not wait_for_port(self.port):
                raise SystemExit('smtp-sink did not start')
            self.name = 'Postfix smtp-sink'
        else:
            print('NOTE: /usr/sbin/smtp-sink not found (install Postfix as '
                  '/work/shared/ENVIRONMENT.md says for real figures); using '
                  'tests/smtpcapture.py instead, which is much slower.')
            from smtpcapture import SMTPCaptureServer
            self.capture = SMTPCaptureServer(
                extensions=('8BITMIME', 'PIPELINING', 'SIZE')).start()
            self.port = self.capture.port
            self.name = 'tests/smtpcapture.py'

    def stop(self):
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.capture is not None:
            self.capture.stop()


def run_measured(command, cwd):
    """Run COMMAND; returns (stdout, exit status, wall seconds, peak RSS in
    MiB) measured on that child alone."""
    t0 = time.monotonic()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    out, err = child.stdout.read(), child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    if child.returncode != 0:
        sys.stderr.write(err.decode('utf-8', 'replace'))
    return out.decode(), child.returncode, wall, usage.ru_maxrss / 1024


def smtp_log_seconds(install, msgid):
    path = install.var_prefix / 'logs' / 'smtp'
    if not path.exists():
        return None
    found = None
    for line in path.read_text(errors='replace').splitlines():
        if msgid in line:
            match = re.search(r'completed in ([\d.]+) seconds', line)
            if match:
                found = float(match.group(1))
    return found


def delivery_problems(install, msgid):
    """'' when logs/post says the post went to everyone; else a note."""
    logs = install.var_prefix / 'logs'
    post = logs / 'post'
    lines = [l for l in post.read_text(errors='replace').splitlines()
             if msgid in l] if post.exists() else []
    if any(l.endswith(', success') for l in lines):
        return ''
    if lines:
        return '  (' + lines[-1].rsplit(', ', 1)[-1] + '; see logs/smtp-failure)'
    shunted = list((install.var_prefix / 'qfiles' / 'shunt').glob('*.pck'))
    return f'  (no post log line; {len(shunted)} shunted; see logs/error)'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', default='1000,10000,100000')
    parser.add_argument('--modes', default='bulk,personal')
    parser.add_argument('--keep', action='store_true',
                        help='keep the temporary installation')
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(',')]
    modes = args.modes.split(',')

    workdir = Path(tempfile.mkdtemp(prefix='mailman-bench-'))
    sink = None
    try:
        print(f'Building and installing Mailman in {workdir} ...', flush=True)
        t0 = time.monotonic()
        group = current_group()
        install = build_and_install(
            workdir, f'--with-username={current_user()}',
            f'--with-groupname={group}', f'--with-mail-gid={group}',
            f'--with-cgi-gid={group}', '--without-permcheck',
            '--with-mailhost=lists.example.com',
            '--with-urlhost=www.example.com')
        print(f'  installed in {time.monotonic() - t0:.1f} s', flush=True)
        sink = Sink()
        with open(install.prefix / 'Mailman' / 'mm_cfg.py', 'a') as cfg:
            cfg.write(f'\n# bench/delivery.py\nSMTPHOST = "127.0.0.1"\n'
                      f'SMTPPORT = {sink.port}\n')
        qrunner = install.prefix / 'bin' / 'qrunner'
        via_runner = qrunner.exists()
        python = install.configured_python()
        print(f'MTA: {sink.name} on 127.0.0.1:{sink.port}')
        print('Delivery: ' + ('bin/qrunner -r Incoming -o (the pipeline), '
                              'then bin/qrunner -r Outgoing -o'
                              if via_runner else
                              'bin/qrunner is not installed yet: a program run '
                              'with the installed interpreter calls '
                              'DELIVERY_MODULE.process() directly'))
        print(f'Python: {python}; {os.cpu_count()} CPUs\n')
        header = (f'{"members":>8} {"mode":<9} {"pipeline s":>10} '
                  f'{"deliver s":>9} {"rcpt/s":>9} {"wall s":>7} '
                  f'{"peak RSS":>9}  target')
        print(header)
        print('-' * len(header))
        for size in sizes:
            for mode in modes:
                personal = mode == 'personal'
                name = f'bench{size}{mode[0]}'
                result = install.bin('newlist', '-q', name, 'owner@example.com', 'pw')
                if result.returncode != 0:
                    raise SystemExit(f'newlist failed: {result.stderr}')
                install.python(ADD_MEMBERS, name, size, int(personal))
                msgid = f'<bench-{size}-{mode}-{time.time_ns()}@example.com>'
                post = workdir / f'{name}.eml'
                post.write_bytes(
                    (f'From: Poster <poster@example.com>\n'
                     f'To: {name}@lists.example.com\nSubject: Benchmark post\n'
                     f'Message-ID: {msgid}\nMIME-Version: 1.0\n'
                     f'Content-Type: text/plain; charset="us-ascii"\n\n{BODY}')
                    .encode())
                pipeline = None
                if via_runner:
                    install.python(ENQUEUE, name, post)
                    _, status, pipeline, rss_in = run_measured(
                        [str(qrunner), '-r', 'Incoming', '-o'], install.prefix)
                    if status != 0:
                        raise SystemExit(f'the incoming runner failed ({status})')
                    out, status, wall, rss = run_measured(
                        [str(qrunner), '-r', 'Outgoing', '-o'], install.prefix)
                    rss = max(rss, rss_in)
                else:
                    out, status, wall, rss = run_measured(
                        [python, '-S', '-c', 'import paths\n' + DELIVER, name,
                         str(int(personal)), str(post)], install.prefix / 'bin')
                seconds = smtp_log_seconds(install, msgid)
                note = ''
                if seconds is None and not via_runner and out.strip():
                    seconds = json.loads(out.strip().splitlines()[-1])['elapsed']
                if status != 0:
                    note = f'  (exit status {status})'
                else:
                    note = delivery_problems(install, msgid)
                target = TARGETS.get((mode, size))
                verdict = ''
                if target and seconds is not None:
                    verdict = (f'< {target:.0f} s: '
                               + ('met' if seconds < target else 'NOT met'))
                rate = f'{size / seconds:9.0f}' if seconds else f'{"n/a":>9}'
                shown = f'{seconds:9.3f}' if seconds is not None else f'{"n/a":>9}'
                piped = f'{pipeline:10.2f}' if pipeline is not None \
                    else f'{"n/a":>10}'
                print(f'{size:>8} {mode:<9} {piped} {shown} {rate} {wall:7.2f} '
                      f'{rss:7.1f}MB  {verdict}{note}', flush=True)
    finally:
        if sink is not None:
            sink.stop()
        if args.keep:
            print(f'\nKept {workdir}')
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
