"""The rules behind bin/check_perms: groups, modes and setgid bits.

Mailman's security rests on group ownership: every file and directory of an
installation belongs to MAILMAN_GROUP, directories are setgid so new files
inherit that group, and the wrappers are setgid so the MTA and the web
server can act as Mailman.  `check(fix=...)` walks the installed tree,
reports every departure from these rules and, when asked, repairs it.
"""

import grp
import os
import stat

from Mailman import mm_cfg

DIR_MODE = stat.S_ISGID | 0o775             # 02775
PRIVATE_DIR_MODE = stat.S_ISGID | 0o770     # 02770, for queues and private archives
SOURCE_MODE = 0o644
SHARED_DATA_MODE = 0o660
SECRET_MODE = 0o640

# Per-list files the runners, the web and cron all write.
LIST_FILES = {'config.pck', 'config.pck.last', 'config.db', 'config.db.last',
              'next-digest', 'next-digest-topics', 'digest.mbox',
              'pending.pck', 'request.db', 'request.db.tmp', 'request.pck'}


class Report:
    """Collects problems; prints each one as it is found."""

    def __init__(self, fix=False, verbose=False, out=print):
        self.fix = fix
        self.verbose = verbose
        self.out = out
        self.problems = 0
        self.unfixed = 0

    def note(self, text):
        if self.verbose:
            self.out(text)

    def warn(self, text):
        self.out('Warning: ' + text)

    def problem(self, text, repair=None):
        """Report a problem; with fix on, REPAIR() is called to mend it."""
        self.problems += 1
        if self.fix and repair is not None:
            try:
                repair()
            except OSError as error:
                self.unfixed += 1
                self.out(f'{text} (cannot fix: {error.strerror})')
            else:
                self.out(f'{text} (fixed)')
        else:
            self.unfixed += 1
            self.out(text)


def _mode_text(mode):
    return '%04o' % mode


def _change_mode(path, add=0, remove=0):
    """Add and remove mode bits, starting from the mode the file has now:
    an earlier repair of the same file may already have changed it."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    os.chmod(path, (mode | add) & ~remove)


def _group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


class Checker:
    def __init__(self, report):
        self.report = report
        self.group = mm_cfg.MAILMAN_GROUP
        try:
            self.gid = grp.getgrnam(self.group).gr_gid
        except KeyError:
            self.gid = None
        self.var_prefix = os.path.normpath(mm_cfg.VAR_PREFIX)
        self.queue_dir = os.path.normpath(mm_cfg.QUEUE_DIR)
        self.private_dir = os.path.normpath(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR)
        self.list_dir = os.path.normpath(mm_cfg.LIST_DATA_DIR)
        self.secret_files = {os.path.normpath(mm_cfg.SITE_PW_FILE),
                             os.path.normpath(mm_cfg.LISTCREATOR_PW_FILE)}
        self.cgi_dir = os.path.join(os.path.normpath(mm_cfg.EXEC_PREFIX),
                                    'cgi-bin')
        self.mail_wrapper = os.path.join(os.path.normpath(mm_cfg.WRAPPER_DIR),
                                         'mailman')

    # ---------------------------------------------------------- helpers
    def require_bits(self, path, mode, required, what):
        if mode & required != required:
            self.report.problem(
                f'{path}: {what} mode is {_mode_text(mode)}, '
                f'needs at least {_mode_text(required)}',
                lambda: _change_mode(path, add=required))

    def check_group(self, path, st):
        if self.gid is None or st.st_gid == self.gid:
            return
        self.report.problem(
            f'{path}: group is {_group_name(st.st_gid)}, '
            f'should be {self.group}',
            lambda: self._chgrp(path, st))

    def _chgrp(self, path, st):
        os.chown(path, -1, self.gid, follow_symlinks=False)
        # chown clears the setgid bit; put back what was there.
        os.chmod(path, stat.S_IMODE(st.st_mode))

    def _under(self, path, top):
        return path == top or path.startswith(top + os.sep)

    # ---------------------------------------------------------- rules
    def check_directory(self, path, mode):
        if self._under(path, self.queue_dir) and path != self.queue_dir:
            required = PRIVATE_DIR_MODE
        elif path == self.private_dir or (
                self._under(path, self.private_dir)
                and os.path.basename(path) == 'database'):
            required = PRIVATE_DIR_MODE
        else:
            required = DIR_MODE
        self.require_bits(path, mode, required, 'directory')
        if path == self.private_dir:
            if mode & stat.S_IROTH:
                self.report.problem(
                    f'{path}: private archives must not be readable by '
                    'other users (o+r)',
                    lambda: _change_mode(path, remove=stat.S_IROTH))
            elif mode & stat.S_IXOTH:
                self.report.warn(
                    f'{path} is o+x: other local users can open private '
                    'archives whose names they know.  On a shared system, '
                    'see section 4 of the installation manual to close it.')

    def check_file(self, path, mode):
        name = os.path.basename(path)
        directory = os.path.dirname(path)
        if path in self.secret_files:
            if mode != SECRET_MODE:
                self.report.problem(
                    f'{path}: mode is {_mode_text(mode)}, must be '
                    f'{_mode_text(SECRET_MODE)}',
                    lambda: os.chmod(path, SECRET_MODE))
        elif name.endswith('.py'):
            self.require_bits(path, mode, SOURCE_MODE, 'source file')
        elif name.endswith('.mbox'):
            self.require_bits(path, mode, SHARED_DATA_MODE, 'mbox file')
        elif name.endswith('-article') and self._under(path, self.private_dir):
            self.require_bits(path, mode, SHARED_DATA_MODE,
                              'archive database file')
        elif name in LIST_FILES and os.path.dirname(directory) == self.list_dir:
            self.require_bits(path, mode, SHARED_DATA_MODE, 'list data file')
        if path == self.mail_wrapper or (
                directory == self.cgi_dir and mode & stat.S_IXGRP):
            if not mode & stat.S_ISGID:
                self.report.problem(
                    f'{path}: wrapper must be setgid (mode is '
                    f'{_mode_text(mode)})',
                    lambda: _change_mode(path, add=stat.S_ISGID))

    def check_path(self, path):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if stat.S_ISLNK(st.st_mode):
            return
        mode = stat.S_IMODE(st.st_mode)
        self.report.note(f'checking {path}')
        self.check_group(path, st)
        if stat.S_ISDIR(st.st_mode):
            self.check_directory(path, mode)
        elif stat.S_ISREG(st.st_mode):
            self.check_file(path, mode)

    def walk(self, top):
        self.check_path(top)
        for directory, subdirs, files in os.walk(top):
            subdirs.sort()
            for name in sorted(subdirs) + sorted(files):
                self.check_path(os.path.join(directory, name))

    def roots(self):
        seen = []
        for root in (mm_cfg.PREFIX, mm_cfg.EXEC_PREFIX, mm_cfg.VAR_PREFIX):
            root = os.path.normpath(root)
            if any(self._under(root, other) for other in seen):
                continue
            seen = [r for r in seen if not self._under(r, root)] + [root]
        return seen

    def run(self):
        if self.gid is None:
            self.report.problem(f'group {self.group} does not exist')
            return
        for root in self.roots():
            self.walk(root)
        self.check_mta()

    def check_mta(self):
        mta = getattr(mm_cfg, 'MTA', None)
        if not mta:
            return
        try:
            module = __import__('Mailman.MTA.' + mta, fromlist=['checkperms'])
        except ImportError as error:
            self.report.problem(f'MTA = {mta!r} names no usable module: {error}')
            return
        checkperms = getattr(module, 'checkperms', None)
        if checkperms is not None:
            checkperms(self.report)


def check(fix=False, verbose=False, out=print):
    """Check the installation; return the Report."""
    report = Report(fix=fix, verbose=verbose, out=out)
    Checker(report).run()
    return report
