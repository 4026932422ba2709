"""The archive side of a list: its settings and its directories.

archives/private/<list>/ holds the HTML archive and
archives/private/<list>.mbox/<list>.mbox every post.  While the archive is
public, archives/public/<list> is a symlink to the private directory, so the
web server can serve it as static files; making the archive private removes
the link (and the mbox link, when PUBLIC_MBOX is set).

ArchiveMail is what the archive queue runner calls for each post: the mbox
first (ARCHIVE_TO_MBOX 1 or 2), then, unless the mbox is all the site
wants (1), the list's external archiver if one is set, else the HTML
archive (HyperArch).  ARCHIVE_TO_MBOX -1 turns archiving off.
"""

import errno
import os
import traceback

from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog

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

    def ExternalArchiver(self):
        """The external archiver command for this list, or None."""
        if self.archive_private:
            command = mm_cfg.PRIVATE_EXTERNAL_ARCHIVER
        else:
            command = mm_cfg.PUBLIC_EXTERNAL_ARCHIVER
        return command if isinstance(command, str) and command.strip() \
            else None

    def ArchiveMail(self, msg, msgdata=None):
        """Archive MSG (the caller holds the list lock)."""
        from Mailman.Archiver import External, Mbox
        msgdata = msgdata or {}
        if mm_cfg.ARCHIVE_TO_MBOX == -1:
            return              # the site archives nothing
        offset = -1
        if mm_cfg.ARCHIVE_TO_MBOX in (1, 2):
            offset = Mbox.append_to_mbox(self.ArchiveFileName(), msg,
                                         msgdata)
            if mm_cfg.ARCHIVE_TO_MBOX == 1:
                return
        external = self.ExternalArchiver()
        if external:
            External.run(external, self, Mbox.message_bytes(msg))
            return
        try:
            from Mailman.Archiver.HyperArch import HTMLArchive
            archive = HTMLArchive(self)
            try:
                archive.add(msg, offset)
            finally:
                archive.close()
        except Exception:
            # The post is safe in the mbox; bin/arch rebuilds the pages.
            syslog('error', 'archiving to HTML failed for list %s:\n%s',
                   self.internal_name(), traceback.format_exc())

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
        if not os.path.exists(os.path.join(private_dir, 'index.html')):
            from Mailman.Archiver.HyperArch import write_empty_index
            try:
                write_empty_index(self)
            except OSError as error:
                syslog('error', 'cannot write the empty archive index of '
                       '%s: %s', name, error)
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
