"""Helpers used throughout Mailman: list names, site passwords, safe files."""

import os
import re
import tempfile

from Mailman import mm_cfg
from Mailman import Passwords


# ------------------------------------------------------------------ files
def write_file_atomically(path, data, mode=0o660):
    """Replace PATH with DATA (bytes or str) so that readers, and a crash at
    any moment, see either the old or the new contents, never a mix."""
    if isinstance(data, str):
        data = data.encode('utf-8')
    directory = os.path.dirname(path) or '.'
    fd, temporary = tempfile.mkstemp(dir=directory,
                                     prefix='.' + os.path.basename(path) + '.')
    try:
        with os.fdopen(fd, 'wb') as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    _sync_directory(directory)


def _sync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------ lists
def valid_list_name(name):
    """True if NAME can be a list name: the site's acceptable characters
    only, within the length limit, and nothing that walks the file system."""
    if not name or name.startswith('.') or name != name.strip():
        return False
    # ASCII only, compared in lower case: a case-insensitive regex would let
    # Unicode look-alikes through (KELVIN SIGN folds to 'k').
    if not name.isascii():
        return False
    pattern = '%s+' % mm_cfg.ACCEPTABLE_LISTNAME_CHARACTERS
    if not re.fullmatch(pattern, name.lower()):
        return False
    if '/' in name or '\0' in name:
        return False
    limit = getattr(mm_cfg, 'MAX_LISTNAME_LENGTH', 0)
    return not (limit and len(name) > limit)


def list_exists(name):
    """True if the list NAME exists on this site (any case)."""
    name = (name or '').lower()
    if not valid_list_name(name):
        return False
    directory = os.path.join(mm_cfg.LIST_DATA_DIR, name)
    return any(os.path.exists(os.path.join(directory, f))
               for f in ('config.pck', 'config.pck.last',
                         'config.db', 'config.db.last'))


def list_names():
    """Names of all lists on the site, sorted."""
    try:
        entries = os.listdir(mm_cfg.LIST_DATA_DIR)
    except FileNotFoundError:
        return []
    return sorted(name for name in entries if list_exists(name))


# ------------------------------------------------------------------ site passwords
SITE_PASSWORD_MODE = 0o640


def _site_password_file(siteadmin):
    return mm_cfg.SITE_PW_FILE if siteadmin else mm_cfg.LISTCREATOR_PW_FILE


def set_global_password(password, siteadmin=True):
    """Store the site (or, with siteadmin=False, the list creator) password
    as a salted hash."""
    path = _site_password_file(siteadmin)
    write_file_atomically(path, Passwords.hash_password(password) + '\n',
                          SITE_PASSWORD_MODE)


def get_global_password(siteadmin=True):
    try:
        with open(_site_password_file(siteadmin)) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def check_global_password(response, siteadmin=True):
    """True if RESPONSE is the site (or creator) password.  A hash in 2.1's
    SHA-1 form is replaced by a salted one on success."""
    stored = get_global_password(siteadmin)
    if stored is None:
        return False
    ok, replacement = Passwords.verify(response, stored)
    if ok and replacement:
        try:
            write_file_atomically(_site_password_file(siteadmin),
                                  replacement + '\n', SITE_PASSWORD_MODE)
        except OSError:
            pass    # still a valid login; the upgrade waits for next time
    return ok
