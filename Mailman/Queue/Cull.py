"""Clearing stale entries out of qfiles/bad and qfiles/shunt.

A message lands in bad or shunt because it could not be processed; an
admin looks at it, fixes the cause and unshunts it.  What nobody claimed
within BAD_SHUNT_STALE_AFTER is removed by cron/cull_bad_shunt, or, when
BAD_SHUNT_ARCHIVE_DIRECTORY names a directory, moved there so that nothing
is thrown away unseen.
"""

import os
import shutil
import time

from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog


def stale_entries(directory, stale_after, now=None):
    """Paths of the entries in DIRECTORY older than STALE_AFTER seconds."""
    now = time.time() if now is None else now
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    found = []
    for name in sorted(names):
        path = os.path.join(directory, name)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        if os.path.isfile(path) and now - st.st_mtime > stale_after:
            found.append(path)
    return found


def cull(directories=None, stale_after=None, archive=None):
    """Remove (or with ARCHIVE move there) the stale entries; returns how
    many were handled."""
    if directories is None:
        directories = (mm_cfg.BADQUEUE_DIR, mm_cfg.SHUNTQUEUE_DIR)
    if stale_after is None:
        stale_after = mm_cfg.BAD_SHUNT_STALE_AFTER
    if archive is None:
        archive = mm_cfg.BAD_SHUNT_ARCHIVE_DIRECTORY
    if not stale_after:
        return 0        # zero keeps everything, as the setting says
    handled = 0
    for directory in directories:
        for path in stale_entries(directory, stale_after):
            if archive:
                target = os.path.join(archive, os.path.basename(directory))
                os.makedirs(target, exist_ok=True)
                shutil.move(path, os.path.join(target, os.path.basename(path)))
                syslog('error', 'cull_bad_shunt: archived %s to %s', path,
                       target)
            else:
                os.unlink(path)
                syslog('error', 'cull_bad_shunt: removed %s', path)
            handled += 1
    return handled
