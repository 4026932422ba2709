"""A real Apache for an installed Mailman tree, set up as manual section 5
says: mod_cgid, ScriptAlias /mailman/ to the wrappers, Alias /pipermail/ to
the public archives (following the list symlinks) and Alias /icons/.

Apache gets a configuration file of its own in a temporary directory and is
started with `apache2 -f`, so the system's configuration and the system's
Apache (if one runs) are left alone.  It listens on 127.0.0.1 only.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

APACHE = '/usr/sbin/apache2'
MODULES = Path('/usr/lib/apache2/modules')
# mod_cgid needs a threaded MPM; event is Debian's default.
# (mod_log_config and mod_unixd are compiled into Debian's apache2.)
LOADED = ['mpm_event', 'authz_core', 'authz_host', 'mime', 'alias', 'dir',
          'autoindex', 'cgid', 'headers']


def available():
    return os.access(APACHE, os.X_OK) and all(
        (MODULES / f'mod_{name}.so').exists() for name in LOADED)


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def configuration(install, port, rundir, user='www-data', group='www-data'):
    cgi_bin = install.exec_prefix / 'cgi-bin'
    public = install.var_prefix / 'archives' / 'public'
    icons = install.prefix / 'icons'
    modules = '\n'.join(f'LoadModule {name}_module {MODULES}/mod_{name}.so'
                        for name in LOADED)
    return f"""\
# Written by tests/integration/apache.py for one test run.
ServerRoot "{rundir}"
DefaultRuntimeDir "{rundir}"
PidFile "{rundir}/apache2.pid"
Mutex file:{rundir} default
ScriptSock "{rundir}/cgid.sock"
{modules}
User {user}
Group {group}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
ErrorLog "{rundir}/error.log"
LogLevel warn
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog "{rundir}/access.log" common
TypesConfig /etc/mime.types
AddType application/gzip .gz
Timeout 60
KeepAlive Off
DocumentRoot "{rundir}/htdocs"

<Directory />
    Options -Indexes -FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
<Directory "{rundir}/htdocs">
    Require all granted
</Directory>

ScriptAlias /mailman/ "{cgi_bin}/"
<Directory "{cgi_bin}">
    AllowOverride None
    Options +ExecCGI -Indexes
    Require all granted
</Directory>

Alias /pipermail/ "{public}/"
<Directory "{public}">
    AllowOverride None
    Options +FollowSymLinks +Indexes
    AddDefaultCharset Off
    # Scrubbed attachments are served as the type their name says, never
    # as what a browser might guess from their content.
    Header set X-Content-Type-Options nosniff
    Require all granted
</Directory>
<Directory "{install.var_prefix}/archives/private">
    AllowOverride None
    Options +FollowSymLinks +Indexes
    Require all granted
</Directory>

Alias /icons/ "{icons}/"
<Directory "{icons}">
    AllowOverride None
    Options -Indexes
    Require all granted
</Directory>
"""


class Apache:
    """configure() writes the files, start() and stop() run apache2."""

    def __init__(self, install, rundir, port=None):
        self.install = install
        self.rundir = Path(rundir)
        self.port = port or free_port()
        self.conf = self.rundir / 'apache2.conf'
        self.base_url = f'http://127.0.0.1:{self.port}'

    def configure(self):
        self.rundir.mkdir(parents=True, exist_ok=True)
        # The children (www-data) reach the cgid socket in this directory.
        self.rundir.chmod(0o755)
        (self.rundir / 'htdocs').mkdir(exist_ok=True)
        self.conf.write_text(configuration(self.install, self.port, self.rundir))
        check = self._apache('-t')
        if check.returncode != 0:
            raise RuntimeError(f'apache2 -t failed:\n{check.stderr}')

    def _apache(self, *args):
        return subprocess.run([APACHE, '-f', str(self.conf), *args],
                              capture_output=True, text=True, env={
                                  'PATH': '/usr/sbin:/usr/bin:/sbin:/bin',
                                  'LANG': 'C'})

    def start(self, timeout=20):
        result = self._apache('-k', 'start')
        if result.returncode != 0:
            raise RuntimeError(f'apache2 -k start failed:\n{result.stderr}\n'
                               f'{self.error_log()}')
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(('127.0.0.1', self.port), 1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f'apache2 did not listen on port {self.port}:\n'
                           f'{self.error_log()}')

    def stop(self, timeout=20):
        pidfile = self.rundir / 'apache2.pid'
        if not pidfile.exists():
            return
        self._apache('-k', 'stop')
        deadline = time.monotonic() + timeout
        while pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.1)

    def error_log(self):
        path = self.rundir / 'error.log'
        return path.read_text(errors='replace') if path.exists() else ''

    def remove(self):
        shutil.rmtree(self.rundir, ignore_errors=True)
