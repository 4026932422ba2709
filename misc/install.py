"""Lay out an installed Mailman tree.  `make install` runs this.

It creates the directories of $prefix, $exec_prefix and $var_prefix with
Mailman's group, setgid and mode 02775, installs the Python package, the
programs, the templates and the setgid wrappers, puts the third-party
dependencies into $prefix/pythonlib with pip, and byte-compiles the code so
that nothing needs to write __pycache__ at run time.  With --destdir the
tree is staged below that directory for packaging.
"""

import argparse
import compileall
import grp
import os
import shutil
import subprocess
import sys
import tempfile

DIR_MODE = 0o2775
SOURCE_MODE = 0o644
PROGRAM_MODE = 0o755
WRAPPER_MODE = 0o2755

VAR_DIRS = ['logs', 'archives', 'lists', 'locks', 'data', 'spam', 'qfiles',
            'archives/private', 'archives/public']
PACKAGE_DIRS = ['Cgi', 'Logging', 'Archiver', 'Handlers', 'Queue',
                'Bouncers', 'MTA', 'Gui', 'Commands']
PREFIX_DIRS = (['bin', 'templates', 'scripts', 'cron', 'pythonlib',
                'Mailman', 'messages', 'icons']
               + ['Mailman/' + name for name in PACKAGE_DIRS])
EXEC_DIRS = ['cgi-bin', 'mail']

# The mail wrapper may run these; one Python file serves them all.
MAIL_COMMANDS = ['admin', 'bounces', 'confirm', 'join', 'leave', 'owner',
                 'post', 'request', 'subscribe', 'unsubscribe']
CGI_PROGS = ['admin', 'admindb', 'confirm', 'create', 'edithtml', 'listinfo',
             'options', 'private', 'rmlist', 'roster', 'search', 'subscribe']

PIP_STAMP = '.mailman-requirements'


class InstallError(Exception):
    pass


class Installer:
    def __init__(self, options):
        self.srcdir = os.path.abspath(options.srcdir)
        self.destdir = options.destdir.rstrip('/')
        self.prefix = options.prefix
        self.exec_prefix = options.exec_prefix
        self.var_prefix = options.var_prefix
        self.group = options.group
        self.cgiext = options.cgiext
        self.gid = self._lookup_gid()
        self._group_warning_given = False

    def _lookup_gid(self):
        try:
            return grp.getgrnam(self.group).gr_gid
        except KeyError:
            if self.destdir:
                # A staging host need not have the group; the package's
                # post-install step must set it.
                print(f'warning: group {self.group!r} does not exist here; '
                      'staged files keep their current group')
                return None
            raise InstallError(f'group {self.group!r} does not exist')

    def staged(self, path):
        return self.destdir + path

    # Ownership and modes.  chown comes first: it clears setgid bits.
    def own(self, path, mode):
        if self.gid is not None:
            try:
                os.chown(path, -1, self.gid, follow_symlinks=False)
            except PermissionError as error:
                if not self.destdir:
                    raise InstallError(
                        f'cannot give {path} to group {self.group}: '
                        f'{error.strerror}.  Run make install as root or as '
                        f'a member of {self.group}.') from None
                if not self._group_warning_given:
                    print(f'warning: cannot set group {self.group} on staged '
                          'files; the package must set it')
                    self._group_warning_given = True
        os.chmod(path, mode)

    def make_dir(self, path, mode=DIR_MODE):
        os.makedirs(path, exist_ok=True)
        self.own(path, mode)

    def install_file(self, source, target, mode):
        """Copy SOURCE to TARGET through a temporary file and a rename, so
        a running program or a reader never sees half a file."""
        directory = os.path.dirname(target)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix='.install-')
        try:
            with os.fdopen(fd, 'wb') as out, open(source, 'rb') as src:
                shutil.copyfileobj(src, out)
            self.own(temporary, mode)
            os.replace(temporary, target)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise

    def source(self, *parts):
        return os.path.join(self.srcdir, *parts)

    # The steps.
    def directories(self):
        for root, names in ((self.prefix, PREFIX_DIRS),
                            (self.exec_prefix, EXEC_DIRS),
                            (self.var_prefix, VAR_DIRS)):
            self.make_dir(self.staged(root))
            for name in names:
                self.make_dir(self.staged(os.path.join(root, name)))
        # Private archives must not be listable by other local users.
        self.make_dir(self.staged(os.path.join(self.var_prefix,
                                               'archives/private')),
                      DIR_MODE & ~0o004)

    def package(self):
        top = self.source('Mailman')
        target_top = self.staged(os.path.join(self.prefix, 'Mailman'))
        for directory, subdirs, files in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if d != '__pycache__')
            relative = os.path.relpath(directory, top)
            target_dir = os.path.normpath(os.path.join(target_top, relative))
            self.make_dir(target_dir)
            for name in sorted(files):
                if name == 'mm_cfg.py':
                    continue    # the site's own file; handled below
                if name.endswith('.py') or name == 'mm_cfg.py.dist':
                    self.install_file(os.path.join(directory, name),
                                      os.path.join(target_dir, name),
                                      SOURCE_MODE)
        site_config = os.path.join(target_top, 'mm_cfg.py')
        if not os.path.exists(site_config):
            self.install_file(os.path.join(target_top, 'mm_cfg.py.dist'),
                              site_config, SOURCE_MODE)

    def programs(self):
        paths_py = self.source('misc', 'paths.py')
        for kind in ('bin', 'cron'):
            built = self.source('build', kind)
            target = self.staged(os.path.join(self.prefix, kind))
            for name in sorted(os.listdir(built)):
                self.install_file(os.path.join(built, name),
                                  os.path.join(target, name), PROGRAM_MODE)
            self.install_file(paths_py, os.path.join(target, 'paths.py'),
                              SOURCE_MODE)
        crontab = self.source('cron', 'crontab.in')
        self.install_file(crontab, self.staged(
            os.path.join(self.prefix, 'cron', 'crontab.in')), SOURCE_MODE)

        scripts = self.staged(os.path.join(self.prefix, 'scripts'))
        self.install_file(self.source('scripts', 'driver'),
                          os.path.join(scripts, 'driver'), SOURCE_MODE)
        for command in MAIL_COMMANDS:
            self.install_file(self.source('scripts', 'mail-command'),
                              os.path.join(scripts, command), SOURCE_MODE)
        self.install_file(paths_py, os.path.join(scripts, 'paths.py'),
                          SOURCE_MODE)

    def data_files(self):
        """Templates, message catalogues and icons: copied as trees."""
        for name in ('templates', 'messages', 'icons'):
            top = self.source(name)
            target_top = self.staged(os.path.join(self.prefix, name))
            for directory, subdirs, files in os.walk(top):
                subdirs.sort()
                relative = os.path.relpath(directory, top)
                target_dir = os.path.normpath(os.path.join(target_top,
                                                           relative))
                self.make_dir(target_dir)
                for file_name in sorted(files):
                    if file_name.startswith('.'):
                        continue
                    self.install_file(os.path.join(directory, file_name),
                                      os.path.join(target_dir, file_name),
                                      SOURCE_MODE)

    def site_data(self):
        """data/sitelist.cfg: the settings for the site list."""
        self.install_file(self.source('misc', 'sitelist.cfg'), self.staged(
            os.path.join(self.var_prefix, 'data', 'sitelist.cfg')),
            SOURCE_MODE)

    def wrappers(self):
        mail_dir = self.staged(os.path.join(self.exec_prefix, 'mail'))
        self.install_file(self.source('src', 'mailman'),
                          os.path.join(mail_dir, 'mailman'), WRAPPER_MODE)
        cgi_dir = self.staged(os.path.join(self.exec_prefix, 'cgi-bin'))
        for page in CGI_PROGS:
            self.install_file(self.source('src', page),
                              os.path.join(cgi_dir, page + self.cgiext),
                              WRAPPER_MODE)

    def dependencies(self):
        """pip-install the requirements into pythonlib, unless the same
        requirements were already installed there for this Python."""
        with open(self.source('requirements.txt')) as f:
            requirements = f.read()
        pythonlib = self.staged(os.path.join(self.prefix, 'pythonlib'))
        stamp_path = os.path.join(pythonlib, PIP_STAMP)
        stamp = f'{sys.version}\n{requirements}'
        try:
            with open(stamp_path) as f:
                if f.read() == stamp:
                    print('Dependencies in pythonlib are up to date.')
                    return
        except FileNotFoundError:
            pass
        print(f'Installing dependencies into {pythonlib} ...')
        environment = dict(os.environ, PIP_ROOT_USER_ACTION='ignore',
                           PIP_DISABLE_PIP_VERSION_CHECK='1')
        command = [sys.executable, '-m', 'pip', 'install', '--quiet',
                   '--no-compile', '--no-warn-conflicts', '--upgrade',
                   '--target', pythonlib,
                   '-r', self.source('requirements.txt')]
        if subprocess.run(command, env=environment).returncode != 0:
            raise InstallError('pip could not install the dependencies '
                               'listed in requirements.txt')
        with open(stamp_path, 'w') as f:
            f.write(stamp)

    def compile_and_settle(self):
        """Byte-compile, then give every directory and file the group and
        modes bin/check_perms expects."""
        for name in ('Mailman', 'pythonlib'):
            staged = self.staged(os.path.join(self.prefix, name))
            compileall.compile_dir(staged, quiet=1,
                                   ddir=os.path.join(self.prefix, name))
            for directory, subdirs, files in os.walk(staged):
                self.own(directory, DIR_MODE)
                for file_name in files:
                    path = os.path.join(directory, file_name)
                    if os.path.islink(path):
                        continue
                    mode = os.stat(path).st_mode & 0o7777
                    self.own(path, (mode | 0o644) & ~0o6022)

    def run(self):
        self.directories()
        self.package()
        self.programs()
        self.data_files()
        self.site_data()
        self.wrappers()
        self.dependencies()
        self.compile_and_settle()
        where = self.staged(self.prefix)
        print(f'Mailman is installed in {where}.')
        if not self.destdir:
            self.update_site_data()
            print(f'Check it with: cd {self.prefix} && bin/check_perms')

    def update_site_data(self):
        """As 2.1 did, run bin/update: lists from older releases are
        upgraded right away, not on first use."""
        update = os.path.join(self.prefix, 'bin', 'update')
        if subprocess.run([sys.executable, update]).returncode != 0:
            raise InstallError('bin/update could not upgrade every list; '
                               'see its messages above')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--srcdir', required=True)
    parser.add_argument('--destdir', default='')
    parser.add_argument('--prefix', required=True)
    parser.add_argument('--exec-prefix', required=True)
    parser.add_argument('--var-prefix', required=True)
    parser.add_argument('--group', required=True)
    parser.add_argument('--cgiext', default='')
    options = parser.parse_args()
    os.umask(0o022)
    try:
        Installer(options).run()
    except InstallError as error:
        sys.exit(f'make install: {error}')


if __name__ == '__main__':
    main()
