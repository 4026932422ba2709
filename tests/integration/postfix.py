"""A real Postfix on 127.0.0.1 that delivers list mail into an installed
Mailman through its alias pipes, as manual section 6.1 sets it up.

Postfix is configured in /etc/postfix (this is a test machine: CI installs
Postfix for these tests), listens on 127.0.0.1:25, treats the test mail
domain as local, and looks up Mailman's data/aliases.  Mailman's outgoing
mail does not go through it: SMTPHOST points at the tests' capture server.
"""

import subprocess
import time
from pathlib import Path

POSTCONF = '/usr/sbin/postconf'
POSTFIX = '/usr/sbin/postfix'
SENDMAIL = '/usr/sbin/sendmail'
LOG = Path('/var/log/postfix.log')


def available():
    return all(Path(p).exists() for p in (POSTCONF, POSTFIX, SENDMAIL))


def _postconf(*settings):
    subprocess.run([POSTCONF, '-e', *settings], check=True,
                   capture_output=True, text=True)


def running():
    return subprocess.run([POSTFIX, 'status'], capture_output=True).returncode == 0


class Postfix:
    def __init__(self, mail_domain, aliases):
        self.mail_domain = mail_domain
        self.aliases = Path(aliases)

    def configure(self):
        if not Path('/etc/aliases').exists():
            Path('/etc/aliases').write_text('postmaster: root\n')
        subprocess.run(['/usr/sbin/postalias', '/etc/aliases'], check=True)
        _postconf(
            'inet_interfaces = loopback-only',
            'inet_protocols = ipv4',
            'myhostname = localhost',
            f'mydestination = localhost, {self.mail_domain}',
            f'alias_maps = hash:/etc/aliases, hash:{self.aliases}',
            'alias_database = hash:/etc/aliases',
            'recipient_delimiter = +',
            'unknown_local_recipient_reject_code = 550',
            'luser_relay =',
            f'maillog_file = {LOG}',
            'relayhost =',
            'smtputf8_enable = no',
            # Room for the tests' large posts (Postfix's default is 10 MB).
            'message_size_limit = 104857600',
            'mailbox_size_limit = 0')

    def start(self):
        self.configure()
        if running():
            subprocess.run([POSTFIX, 'reload'], check=True, capture_output=True)
        else:
            subprocess.run([POSTFIX, 'start'], check=True, capture_output=True)

    def stop(self):
        if running():
            subprocess.run([POSTFIX, 'stop'], capture_output=True)

    def sendmail(self, sender, recipients, message_bytes):
        """Submit a message with Postfix's sendmail, as a local user would."""
        result = subprocess.run([SENDMAIL, '-i', '-f', sender, *recipients],
                                input=message_bytes, capture_output=True)
        if result.returncode != 0:
            raise RuntimeError(f'sendmail failed: {result.stderr!r}')

    @staticmethod
    def flush():
        subprocess.run([POSTFIX, 'flush'], capture_output=True)

    @staticmethod
    def log_since(offset):
        if not LOG.exists():
            return ''
        with LOG.open('rb') as f:
            f.seek(offset)
            return f.read().decode('utf-8', 'replace')

    @staticmethod
    def log_offset():
        return LOG.stat().st_size if LOG.exists() else 0


def wait_for(predicate, timeout=60.0, interval=0.2):
    """Poll PREDICATE until it returns a true value; return it (or the last
    false value after TIMEOUT)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


