"""Bring up a complete Mailman site on this machine's loopback, for trying it.

    python3 misc/quickstart.py [--dir DIR] [--smtp-port N] [--web-port N]
                               [--capture-port N] [--no-install-packages]

From a checkout of the source, as any user (or as root): builds and installs
Mailman into DIR (default: site/ in the checkout) for the current user and
group, points it at loopback servers, creates the site list and a list
called `sample` with three members, and runs

  - the queue runners (bin/mailmanctl),
  - an SMTP entry point on --smtp-port that hands each message to the
    installed mail/mailman wrapper as an MTA's pipe alias would,
  - an SMTP capture on --capture-port that stores every message Mailman
    sends, to whatever address, in DIR/maildir,
  - the development web server (bin/devserver) on --web-port,

then prints the web pages, the list addresses and the passwords, and runs
until Ctrl-C (or SIGTERM), when it stops all of them.  Running it again
reuses the build, the lists and the passwords.  As root on Debian it first
installs the build tools that are missing (gcc, make, libc6-dev) with
apt-get, unless --no-install-packages is given.
"""

import argparse
import grp
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import string
import subprocess
import sys
import threading
import time
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent
READY_LINE = 'The Mailman quick start site is ready.'
URL_HOST = 'localhost'
EMAIL_HOST = 'lists.localhost'
SITE_LIST = 'mailman'               # MAILMAN_SITE_LIST's default
SAMPLE_LIST = 'sample'
SAMPLE_OWNER = 'owner@example.com'
SAMPLE_MEMBERS = ('Alice Example <alice@example.com>',
                  'Bob Example <bob@example.com>',
                  'Carol Example <carol@example.com>')
SETTINGS_BEGIN = '# BEGIN quick start settings (misc/quickstart.py rewrites this block)'
SETTINGS_END = '# END quick start settings'
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# What the build needs, as (what to look for, Debian package).
BUILD_TOOLS = (('gcc', 'gcc'), ('make', 'make'),
               ('/usr/include/stdio.h', 'libc6-dev'))


class QuickStartError(Exception):
    """A step failed; the message says what to do about it."""


def say(text=''):
    print(text, flush=True)


# ------------------------------------------------------------ build tools
def missing_build_tools(python):
    """Debian package names for the build tools that are not there."""
    missing = []
    for tool, package in BUILD_TOOLS:
        present = os.path.exists(tool) if tool.startswith('/') else shutil.which(tool)
        if not present:
            missing.append(package)
    # make install fetches the Python dependencies with the site's pip.
    has_pip = subprocess.run([python, '-m', 'pip', '--version'],
                             capture_output=True).returncode == 0
    if not has_pip:
        if not python.startswith('/usr/bin/'):
            raise QuickStartError(f'{python} has no pip; add it with '
                                  f'{python} -m ensurepip, or use another python3')
        missing.append('python3-pip')
    return missing


def ensure_build_tools(python, install_packages):
    missing = missing_build_tools(python)
    if not missing:
        return
    can_install = (install_packages and os.geteuid() == 0
                   and shutil.which('apt-get'))
    if not can_install:
        raise QuickStartError(
            'the build needs ' + ', '.join(missing) + ' (Debian package names); '
            'install them, e.g. as root: apt-get install ' + ' '.join(missing))
    say('Installing the build tools: ' + ' '.join(missing))
    quiet = dict(stdout=subprocess.DEVNULL, check=True)
    try:
        subprocess.run(['apt-get', 'update', '-q'], **quiet)
        subprocess.run(['apt-get', 'install', '-y', '-q', *missing],
                       env={**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'},
                       **quiet)
    except subprocess.CalledProcessError as error:
        raise QuickStartError(f'apt-get failed (exit status {error.returncode}); '
                              'install ' + ' '.join(missing) + ' by hand') from None


def base_interpreter():
    """This Python outside any virtual environment: the site's wrappers
    and scripts run with it."""
    if sys.version_info < (3, 11):
        raise QuickStartError('Mailman needs Python 3.11 or newer; run this '
                              'with such a python3')
    return os.path.realpath(getattr(sys, '_base_executable', sys.executable))


# ------------------------------------------------------------ configure, make
def _mtime(path):
    try:
        return path.stat().st_mtime
    except OSError:
        return 0


class Site:
    """The installed site in DIRECTORY and how to run its programs."""

    def __init__(self, directory, python):
        self.dir = Path(directory)
        self.python = python
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.group = grp.getgrgid(os.getgid()).gr_name
        self.build_log = self.dir / 'logs' / 'quickstart-build'

    def configure_arguments(self):
        return [f'--prefix={self.dir}', f'--with-python={self.python}',
                f'--with-username={self.user}', f'--with-groupname={self.group}',
                f'--with-mail-gid={self.group}', f'--with-cgi-gid={self.group}',
                f'--with-mailhost={EMAIL_HOST}', f'--with-urlhost={URL_HOST}']

    def prepare_directory(self):
        """Manual section 2.2: the prefix belongs to Mailman's group and is
        setgid and group-writable."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            os.chown(self.dir, -1, os.getgid())
            self.dir.chmod(0o2775)
            self.build_log.parent.mkdir(exist_ok=True)
        except OSError as error:
            raise QuickStartError(f'cannot prepare {self.dir}: {error}') from None

    def _build_step(self, command, what):
        with open(self.build_log, 'a') as log:
            log.write(f'\n$ {shlex.join(command)}\n')
            log.flush()
            result = subprocess.run(command, cwd=SOURCE, stdout=log,
                                    stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            lines = self.build_log.read_text(errors='replace').splitlines()
            raise QuickStartError(
                f'{what} failed (exit status {result.returncode}); the end of '
                f'{self.build_log}:\n    ' + '\n    '.join(lines[-15:]))

    def configure_is_current(self, arguments):
        """True when the checkout was configured with ARGUMENTS and every
        file configure makes is there and newer than its template."""
        status = SOURCE / 'config.status'
        if not status.exists() or _mtime(status) < _mtime(SOURCE / 'configure'):
            return False
        result = subprocess.run([str(status), '--config'], cwd=SOURCE,
                                capture_output=True, text=True)
        if result.returncode != 0 or shlex.split(result.stdout) != arguments:
            return False
        match = re.search(r'^config_files="([^"]*)"', status.read_text(), re.M)
        outputs = match.group(1).split() if match else []
        return bool(outputs) and all(
            (SOURCE / name).exists()
            and _mtime(SOURCE / name) >= _mtime(SOURCE / (name + '.in'))
            for name in outputs)

    def build_and_install(self):
        self.prepare_directory()
        self.build_log.write_text('')
        arguments = self.configure_arguments()
        if not self.configure_is_current(arguments):
            say(f'Configuring the checkout for {self.dir} ...')
            self._build_step(['./configure', *arguments], './configure')
        say(f'Installing into {self.dir} (make install; log: {self.build_log}) ...')
        self._build_step(['make', 'install'], 'make install')

    # -------------------------------------------------------- programs
    def bin(self, program, *args, input=None, check=True):
        result = subprocess.run([str(self.dir / 'bin' / program), *args],
                                cwd=self.dir, input=input, text=True,
                                capture_output=True)
        if check and result.returncode != 0:
            raise QuickStartError(
                f'bin/{program} failed (exit status {result.returncode}):\n'
                + (result.stderr or result.stdout).strip())
        return result

    def run_python(self, code, *args):
        """Run CODE with the site's Python, as its scripts run."""
        result = subprocess.run(
            [self.python, '-S', '-c', 'import paths\n' + code, *args],
            cwd=self.dir / 'bin', capture_output=True, text=True)
        if result.returncode != 0:
            raise QuickStartError('setting up the lists failed:\n'
                                  + result.stderr.strip())
        return result.stdout

    def list_exists(self, name):
        return (self.dir / 'lists' / name / 'config.pck').exists()


# ------------------------------------------------------------ settings
def settings_block(ports):
    return '\n'.join([
        SETTINGS_BEGIN,
        '# Every message Mailman sends goes to the capture server.',
        "SMTPHOST = '127.0.0.1'",
        f'SMTPPORT = {ports.capture}',
        '# No MTA to configure: the quick start entry point finds the lists.',
        'MTA = None',
        f"DEFAULT_URL_HOST = '{URL_HOST}'",
        f"DEFAULT_EMAIL_HOST = '{EMAIL_HOST}'",
        f"DEFAULT_URL_PATTERN = 'http://%s:{ports.web}/mailman/'",
        'add_virtualhost(DEFAULT_URL_HOST, DEFAULT_EMAIL_HOST)',
        SETTINGS_END, ''])


def write_settings(site, ports):
    """Put the loopback settings into mm_cfg.py, replacing an earlier
    block of ours and keeping everything else the file says."""
    path = site.dir / 'Mailman' / 'mm_cfg.py'
    text = path.read_text()
    begin, end = text.find(SETTINGS_BEGIN), text.find(SETTINGS_END)
    if begin >= 0 and end > begin:
        tail = text[end + len(SETTINGS_END):].lstrip('\n')
        text = text[:begin] + tail
    if not text.endswith('\n'):
        text += '\n'
    path.write_text(text + '\n' + settings_block(ports))


# ------------------------------------------------------------ lists
PASSWORD_ALPHABET = string.ascii_letters + string.digits


def make_password(length=12):
    """Letters and digits only: a password that starts with "-" would be
    read as an option by the bin/ programs, and one with "_" or "-" is
    harder to copy from a terminal."""
    return ''.join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def load_passwords(site):
    """The site and sample list passwords, made once and kept in a file
    only the owner can read, so that every run prints the same ones."""
    path = site.dir / 'data' / 'quickstart-passwords'
    passwords = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition(' ')
            if key and value:
                passwords[key] = value
    for key in ('site', SAMPLE_LIST):
        passwords.setdefault(key, make_password())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'w') as file:
        file.writelines(f'{key} {value}\n' for key, value in passwords.items())
    return passwords


# Runs with the site's Python: sets the sample list's password and moves
# every list to the current web address (the web port may have changed).
_SETTLE_LISTS = '''
import sys
from Mailman import mm_cfg, Passwords, Utils
from Mailman.MailList import MailList
listname, password = sys.argv[1:3]
for name in Utils.list_names():
    mlist = MailList(name)
    try:
        mlist.web_page_url = mm_cfg.DEFAULT_URL_PATTERN % mm_cfg.DEFAULT_URL_HOST
        if name == listname:
            mlist.password = Passwords.hash_password(password)
        mlist.Save()
    finally:
        mlist.Unlock()
'''


def create_lists(site, passwords):
    # "--" ends the options, so that a password kept from an earlier run
    # is taken as a password even if it starts with "-".
    site.bin('mmsitepass', '--', passwords['site'])
    if not site.list_exists(SITE_LIST):
        say(f'Creating the site list {SITE_LIST!r} ...')
        site.bin('newlist', '-q', '--', SITE_LIST, SAMPLE_OWNER,
                 passwords['site'])
    if not site.list_exists(SAMPLE_LIST):
        say(f'Creating the list {SAMPLE_LIST!r} with {len(SAMPLE_MEMBERS)} members ...')
        site.bin('newlist', '-q', '--', SAMPLE_LIST, SAMPLE_OWNER,
                 passwords[SAMPLE_LIST])
        site.bin('add_members', '-r', '-', '-w', 'y', '-a', 'n', SAMPLE_LIST,
                 input='\n'.join(SAMPLE_MEMBERS) + '\n')
    site.run_python(_SETTLE_LISTS, SAMPLE_LIST, passwords[SAMPLE_LIST])


# ------------------------------------------------------------ the servers
def port_is_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def wait_for_port(port, process, log_path, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    tail = log_path.read_text(errors='replace').splitlines()[-10:]
    raise QuickStartError(f'the web server did not start; the end of '
                          f'{log_path}:\n    ' + '\n    '.join(tail))


def process_is_gone(pid):
    """True when PID has exited (a zombie waiting for its parent counts)."""
    try:
        with open(f'/proc/{pid}/stat') as stat:
            return stat.read().rpartition(')')[2].split()[0] == 'Z'
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


class Services:
    """The running parts, stopped in the reverse order of their start."""

    def __init__(self, site, ports):
        self.site = site
        self.ports = ports
        self.controllers = []
        self.devserver = None
        self.master_pid = None

    def start(self):
        # The servers' code needs aiosmtpd, which make install put into
        # the site's pythonlib for this Python.
        sys.path.insert(0, str(self.site.dir / 'pythonlib'))
        import mailcapture
        import mtaentry

        def log(text):
            say('  ' + text)
        capture = mailcapture.MaildirCapture(self.site.dir / 'maildir', log=log)
        self._start_controller(mailcapture.make_controller(capture, self.ports.capture))
        entry = mtaentry.MailmanEntry(self.site.dir, self.site.dir / 'lists', log=log)
        self._start_controller(mtaentry.make_controller(entry, self.ports.smtp))
        self._start_runners()
        self._start_devserver()

    def _start_controller(self, controller):
        controller.start()
        self.controllers.append(controller)

    def _start_runners(self):
        pid_file = self.site.dir / 'data' / 'master-qrunner.pid'
        if pid_file.exists():
            try:
                old = int(pid_file.read_text().strip())
            except ValueError:
                old = None
            if old and not process_is_gone(old):
                raise QuickStartError(
                    f'the queue runners of {self.site.dir} are already running '
                    f'(pid {old}); stop them with {self.site.dir}/bin/mailmanctl stop')
        self.site.bin('mailmanctl', '-q', '-s', 'start')
        self.master_pid = int(pid_file.read_text().strip())

    def _start_devserver(self):
        log_path = self.site.dir / 'logs' / 'devserver'
        with open(log_path, 'a') as log:
            self.devserver = subprocess.Popen(
                [str(self.site.dir / 'bin' / 'devserver'),
                 '--port', str(self.ports.web)],
                cwd=self.site.dir, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)
        wait_for_port(self.ports.web, self.devserver, log_path)

    def stop(self):
        if self.master_pid:
            self.site.bin('mailmanctl', '-q', 'stop', check=False)
            deadline = time.monotonic() + 60
            while (not process_is_gone(self.master_pid)
                   and time.monotonic() < deadline):
                time.sleep(0.1)
            self.master_pid = None
        if self.devserver and self.devserver.poll() is None:
            self.devserver.terminate()
            try:
                self.devserver.wait(30)
            except subprocess.TimeoutExpired:
                self.devserver.kill()
                self.devserver.wait()
        while self.controllers:
            self.controllers.pop().stop()

    def trouble(self):
        """Why the site cannot go on, or None while all parts run."""
        if self.devserver.poll() is not None:
            return f'the web server stopped (see {self.site.dir}/logs/devserver)'
        if process_is_gone(self.master_pid):
            return f'the queue runners stopped (see {self.site.dir}/logs/error)'
        return None


def announce(site, ports, passwords):
    web = f'http://{URL_HOST}:{ports.web}/mailman'
    say()
    say('Web pages')
    say(f'  lists:              {web}/listinfo')
    say(f'  the sample list:    {web}/listinfo/{SAMPLE_LIST}')
    say(f'  its admin pages:    {web}/admin/{SAMPLE_LIST}')
    say(f'  its held messages:  {web}/admindb/{SAMPLE_LIST}')
    say(f'  list admin password of {SAMPLE_LIST}: {passwords[SAMPLE_LIST]}')
    say(f'  site password (any list, bin/mmsitepass): {passwords["site"]}')
    say('Mail')
    say(f'  send mail to the lists over SMTP at 127.0.0.1:{ports.smtp}, e.g.')
    say(f'    {SAMPLE_LIST}@{EMAIL_HOST} (post), {SAMPLE_LIST}-request@{EMAIL_HOST} (commands),')
    say(f'    {SAMPLE_LIST}-join@{EMAIL_HOST}, {SAMPLE_LIST}-leave@{EMAIL_HOST}, '
        f'{SAMPLE_LIST}-owner@{EMAIL_HOST}')
    say('  members of the sample list: ' + ', '.join(
        member.split('<')[1].rstrip('>') for member in SAMPLE_MEMBERS))
    say(f'  all mail Mailman sends (any address) lands in the Maildir {site.dir}/maildir')
    say(f'    (SMTP capture on 127.0.0.1:{ports.capture}; read it with mutt -f or as files in new/)')
    say(f'Programs and logs: {site.dir}/bin, {site.dir}/logs')
    say()
    say(READY_LINE + '  Press Ctrl-C to stop it.')


# ------------------------------------------------------------ main
def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog='quickstart.py', description=__doc__.split('\n\n')[0],
        epilog=__doc__.split('\n\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--dir', default=str(SOURCE / 'site'),
                        help='where to install the site (default: site/ in the checkout)')
    parser.add_argument('--smtp-port', dest='smtp', type=int, metavar='PORT', default=8025,
                        help='loopback port of the SMTP entry point (default: 8025)')
    parser.add_argument('--web-port', dest='web', type=int, metavar='PORT', default=8000,
                        help='loopback port of the web server (default: 8000)')
    parser.add_argument('--capture-port', dest='capture', type=int, metavar='PORT', default=8026,
                        help='loopback port of the SMTP capture (default: 8026)')
    parser.add_argument('--no-install-packages', dest='install_packages',
                        action='store_false',
                        help='never install system packages, only say what is missing')
    options = parser.parse_args(argv)
    ports = [options.smtp, options.web, options.capture]
    if len(set(ports)) != 3 or not all(0 < port < 65536 for port in ports):
        parser.error('the three ports must be different numbers from 1 to 65535')
    return options


def wait_for_stop(services):
    """Block until Ctrl-C, SIGTERM or SIGHUP, or until a part dies."""
    stop = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(1):
        problem = services.trouble()
        if problem:
            say(f'Stopping: {problem}.')
            return 1
    return 0


def main(argv=None):
    options = parse_arguments(argv)
    # SIGTERM and SIGHUP, like Ctrl-C, stop what was started so far.
    for signum in STOP_SIGNALS[1:]:
        signal.signal(signum, signal.default_int_handler)
    services = None
    status = 0
    try:
        python = base_interpreter()
        ensure_build_tools(python, options.install_packages)
        busy = [str(port) for port in (options.smtp, options.web, options.capture)
                if not port_is_free(port)]
        if busy:
            raise QuickStartError(
                'port(s) ' + ', '.join(busy) + ' of 127.0.0.1 are in use; '
                'choose others with --smtp-port, --web-port or --capture-port')
        site = Site(Path(options.dir).absolute(), python)
        site.build_and_install()
        write_settings(site, options)
        passwords = load_passwords(site)
        create_lists(site, passwords)
        services = Services(site, options)
        services.start()
        announce(site, options, passwords)
        status = wait_for_stop(services)
    except QuickStartError as error:
        print(f'quickstart: {error}', file=sys.stderr, flush=True)
        status = 1
    except KeyboardInterrupt:
        status = 0 if services else 130
    finally:
        if services:
            # A second Ctrl-C must not cut the stopping short.
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            say('Stopping the web server, the runners and the SMTP servers ...')
            services.stop()
            say('Stopped.')
    return status


if __name__ == '__main__':
    sys.exit(main())
