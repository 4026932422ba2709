"""The archive side of a list: its settings and its directories.

archives/private/<list>/ holds the HTML archive and
archives/private/<list>.mbox/<list>.mbox every post.  While the archive is
public, archives/public/<list> is a symlink to the private directory, so the
web server can serve it as static files; making the archive private removes
the link (and the mbox link, when PUBLIC_MBOX is set).
"""

import errno
import os

from Mailman import mm_cfg

ARCHIVE_DIR_MODE = 0o2775


def _make_dir(path, mode=ARCHIVE_DIR_MODE):
    try:
        os.makedirs(path)
    except FileExistsError:
        return
    os.chmod(path, mode)


def _set_link(link, target):
    """Make LINK a symlink to TARGET, replacing a wrong one."""
    try:
        if os.readlink(link) == target:
            return
        os.unlink(link)
    except FileNotFoundError:
        pass
    except OSError as error:
        if error.errno != errno.EINVAL:     # not a symlink: leave it alone
            raise
        return
    os.symlink(target, link)


def _remove_link(link):
    if os.path.islink(link):
        os.unlink(link)


class Archiver:
    def InitVars(self):
        self.archive = mm_cfg.DEFAULT_ARCHIVE
        self.archive_private = mm_cfg.DEFAULT_ARCHIVE_PRIVATE
        self.archive_volume_frequency = mm_cfg.DEFAULT_ARCHIVE_VOLUME_FREQUENCY

    def archive_dir(self):
        return os.path.join(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR,
                            self.internal_name())

    def ArchiveFileName(self):
        """The list's mbox archive file."""
        name = self.internal_name()
        return os.path.join(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR, name + '.mbox',
                            name + '.mbox')

    def GetBaseArchiveURL(self):
        if self.archive_private:
            return self.GetScriptURL('private', absolute=1) + '/'
        hostname = self.web_page_url.split('://', 1)[-1].split('/', 1)[0]
        return mm_cfg.PUBLIC_ARCHIVE_URL % {
            'listname': self.internal_name(), 'hostname': hostname}

    def CheckHTMLArchiveDir(self):
        """Create the archive directories and point (or stop pointing) the
        public links at them.  Runs on every Save()."""
        name = self.internal_name()
        private_dir = self.archive_dir()
        mbox_dir = os.path.dirname(self.ArchiveFileName())
        _make_dir(private_dir)
        _make_dir(mbox_dir)
        public = os.path.join(mm_cfg.PUBLIC_ARCHIVE_FILE_DIR, name)
        public_mbox = os.path.join(mm_cfg.PUBLIC_ARCHIVE_FILE_DIR,
                                   name + '.mbox')
        if self.archive_private:
            _remove_link(public)
            _remove_link(public_mbox)
        else:
            _set_link(public, private_dir)
            if mm_cfg.PUBLIC_MBOX:
                _set_link(public_mbox, mbox_dir)
            else:
                _remove_link(public_mbox)
