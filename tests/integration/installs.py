"""Build and install Mailman from a copy of this source tree, as a user
would: ./configure with options, then make install."""

import grp
import os
import pickle
import pwd
import shutil
import tempfile
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]

# Never copied: version control, local virtualenvs, and anything configure
# or make produced in the developer's tree.
_IGNORED = {'.git', 'build', '__pycache__', '.pytest_cache', 'autom4te.cache',
            'config.status', 'config.log', 'artifacts'}


def _ignore(directory, names):
    ignored = {n for n in names if n in _IGNORED or n.startswith('.venv')}
    if Path(directory) == SOURCE:
        ignored.add('Makefile')
    if Path(directory) == SOURCE / 'src':
        ignored.update(n for n in names
                       if n == 'Makefile' or n.endswith('.o')
                       or (not n.endswith(('.c', '.h', '.in'))))
    return ignored


def copy_source(destination):
    shutil.copytree(SOURCE, destination, ignore=_ignore, symlinks=True)
    return Path(destination)


def interpreter_under_test():
    """The interpreter running the tests, outside any virtualenv, so that
    installs are made for the Python version under test."""
    return os.path.realpath(getattr(sys, '_base_executable', sys.executable))


def current_user():
    return pwd.getpwuid(os.getuid()).pw_name


def current_group():
    return grp.getgrgid(os.getgid()).gr_name


def ensure_group(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        subprocess.run(['groupadd', '--system', name], check=True)


def ensure_user(name, group):
    """Create a system user NAME in GROUP, as manual section 2.1 says."""
    ensure_group(group)
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(['useradd', '--system', '-g', group, '-d', '/nonexistent',
                        '-s', '/usr/sbin/nologin', '-c', 'GNU Mailman test',
                        name], check=True)


def prepare_directory(path, group):
    """Manual section 2.2: the install directory exists, belongs to the
    Mailman group and is setgid and group-writable."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    shutil.chown(path, group=group)
    path.chmod(0o2775)


def world_reachable_directory(prefix):
    """A new directory under /tmp that other users can reach.  pytest's own
    temporary directories sit under a 0700 directory that pytest resets at
    every session start, so they cannot hold trees that the mail server's
    or the web server's user must read."""
    path = Path(tempfile.mkdtemp(prefix=f'mailman-{prefix}-', dir='/tmp'))
    path.chmod(0o755)
    return path


@dataclass
class Install:
    source: Path
    prefix: Path
    exec_prefix: Path
    var_prefix: Path
    configure_output: str = ''
    make_output: str = ''
    user_command: list = field(default_factory=list)

    def bin(self, program, *args, **kwargs):
        """Run an installed bin/ program; returns the CompletedProcess."""
        return run([str(self.prefix / 'bin' / program), *map(str, args)],
                   cwd=self.prefix, check=False, **kwargs)

    def run_cron(self, program, *args, **kwargs):
        """Run an installed cron/ program as cron does: python -S."""
        return run([self.configured_python(), '-S',
                    str(self.prefix / 'cron' / program), *map(str, args)],
                   cwd=self.prefix, check=False, **kwargs)

    def python(self, code, *args, check=True, **kwargs):
        """Run Python CODE with the installed interpreter, as the installed
        scripts run: -S, from bin/, after `import paths`."""
        python = self.configured_python()
        return run([python, '-S', '-c', 'import paths\n' + code,
                    *map(str, args)], cwd=self.prefix / 'bin', check=check,
                   **kwargs)

    def list_state(self, name):
        """The attributes list NAME saves, loaded by the installed code."""
        result = self.python(
            'import pickle, sys\n'
            'from Mailman.MailList import MailList\n'
            'm = MailList(sys.argv[1], lock=0)\n'
            'sys.stdout.buffer.write(pickle.dumps(m._state(), protocol=4))\n',
            name, text=False)
        return pickle.loads(result.stdout)

    def configured_python(self):
        first = (self.prefix / 'bin' / 'version').read_text().splitlines()[0]
        return first[2:].strip()

    def make(self, *args, check=True):
        return run(self.user_command + ['make', *args], cwd=self.source,
                   check=check)


def run(command, check=True, **kwargs):
    kwargs.setdefault('capture_output', True)
    kwargs.setdefault('text', True)
    result = subprocess.run(command, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(
            f'{" ".join(map(str, command))} exited {result.returncode}\n'
            f'--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}')
    return result


def configure(source, *args, user_command=(), check=True):
    return run([*user_command, './configure', *args], cwd=source, check=check)


def as_user(name, home):
    """A command prefix that runs a program as user NAME (and its groups),
    with HOME set so that pip can keep its cache there."""
    return ['setpriv', f'--reuid={name}', f'--regid={pwd.getpwnam(name).pw_gid}',
            '--init-groups', 'env', f'HOME={home}',
            'PATH=/usr/local/bin:/usr/bin:/bin']


def chown_tree(top, user):
    entry = pwd.getpwnam(user)
    for directory, subdirs, files in os.walk(top):
        os.chown(directory, entry.pw_uid, entry.pw_gid)
        for name in files:
            os.chown(os.path.join(directory, name), entry.pw_uid,
                     entry.pw_gid, follow_symlinks=False)


def build_and_install(workdir, *configure_args, prefix=None, var_prefix=None,
                      exec_prefix=None, python=None, owner=None,
                      make_args=()):
    """Copy the source into WORKDIR/src, configure and make install.  With
    OWNER, the build runs as that user, in a tree that user owns."""
    workdir = Path(workdir)
    source = copy_source(workdir / 'src')
    prefix = Path(prefix or workdir / 'mm')
    args = [f'--prefix={prefix}', f'--with-python={python or interpreter_under_test()}',
            *configure_args]
    if var_prefix:
        args.append(f'--with-var-prefix={var_prefix}')
    if exec_prefix:
        args.append(f'--exec-prefix={exec_prefix}')
    user_command = []
    if owner:
        home = workdir / 'home'
        home.mkdir(exist_ok=True)
        chown_tree(workdir, owner)
        user_command = as_user(owner, home)
    configured = configure(source, *args, user_command=user_command)
    install = Install(source=source, prefix=prefix,
                      exec_prefix=Path(exec_prefix or prefix),
                      var_prefix=Path(var_prefix or prefix),
                      configure_output=configured.stdout,
                      user_command=user_command)
    install.make_output = install.make('install', *make_args).stdout
    return install


SYSTEM_PYTHON = '/usr/bin/python3'


def root_install(name, *configure_args, mail_gid='mailman'):
    """As root, the install of manual section 2: a real mailman user and
    group, a prefix prepared as section 2.2 says in a directory every user
    can reach, CGI wrappers for Apache's www-data, and Debian's Python (the
    mailman and www-data users cannot run the Pythons under /root).
    Returns (install, workdir); the caller removes WORKDIR."""
    from mmtest import need, need_root
    need_root()
    need(os.access(SYSTEM_PYTHON, os.X_OK),
         f'{SYSTEM_PYTHON} is needed: the wrappers run as other users')
    ensure_user('mailman', 'mailman')
    workdir = world_reachable_directory(name)
    prefix = workdir / 'mm'
    prepare_directory(prefix, 'mailman')
    install = build_and_install(
        workdir, f'--with-mail-gid={mail_gid}', '--with-cgi-gid=www-data',
        *configure_args, prefix=prefix, python=SYSTEM_PYTHON)
    return install, workdir
