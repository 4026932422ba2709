"""MTA = 'Postfix': keep Postfix's view of the lists in data/.

Two text files, each compiled by a Postfix tool into the table Postfix reads:

data/aliases (postalias -> aliases.db), for alias_maps
    The loop stopper (`mailman-loop: $DATA_DIR/owner-bounces.mbox`), then one
    stanza per list::

        # STANZA START: mylist
        # CREATED: Tue Jun  4 10:00:00 2024
        mylist:             "|/usr/local/mailman/mail/mailman post mylist"
        mylist-admin:       "|/usr/local/mailman/mail/mailman admin mylist"
        ...
        # STANZA END: mylist

data/virtual-mailman (postmap -> virtual-mailman.db), for virtual_alias_maps
    Only for lists whose host_name is in POSTFIX_STYLE_VIRTUAL_DOMAINS: each
    list address in its domain maps to the local alias above (qualified with
    VIRTUAL_MAILMAN_LOCAL_DOMAIN when that is set), after the loop stopper
    and the site list address of each such domain.

Unlike 2.1, which edited stanzas in and out of the files, every change
rewrites both files from the lists on disk: the files cannot drift from the
lists.  The list being created may not be on disk in its final form yet, and
its caller may hold its lock, so create() uses the object it is given and
never loads or locks it.  All of this happens under locks/creator, as in 2.1,
and each file is replaced atomically before postalias/postmap run.

Postfix runs a pipe alias as the owner of the .db file, so the .db files
must belong to MAILMAN_USER; when run as root, this module hands the text
files to MAILMAN_USER first, and postalias/postmap (which drop root
privileges for the owner of their input) then create the .db files as that
user.  checkperms() reports, and with check_perms -f repairs, what is wrong.
"""

import errno
import grp
import os
import pwd
import shlex
import stat
import subprocess
import time

from Mailman import Errors
from Mailman import LockFile
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog
from Mailman.MTA.Utils import (field_width, loop_local_part, loop_mbox,
                               makealiases)

FILE_MODE = 0o664
# Required bits, as 2.1 checked them: owner and group may read and write.
REQUIRED_BITS = 0o660
# Postfix tools name their output after the database type; .db is hash:.
DB_SUFFIXES = ('.db', '.lmdb', '.cdb')
# Seconds the creator lock lives between refreshes.
LOCK_LIFETIME = 60


class PostfixError(Errors.MailmanError, RuntimeError):
    """postalias or postmap could not be run, or failed."""


# ------------------------------------------------------------------ paths
def aliases_path():
    return os.path.join(mm_cfg.DATA_DIR, 'aliases')


def virtual_path():
    return os.path.join(mm_cfg.DATA_DIR, 'virtual-mailman')


def makelock():
    """The lock that guards the alias files (2.1's name for it)."""
    return LockFile.LockFile(os.path.join(mm_cfg.LOCK_DIR, 'creator'),
                             lifetime=LOCK_LIFETIME)


# ------------------------------------------------------------------ API
def create(mlist, cgi=False, nolock=False, quiet=False):
    """Add MLIST's addresses to the maps.  CGI and QUIET change nothing
    here: Postfix needs no human help.  NOLOCK means the caller already
    holds the creator lock (see makelock)."""
    _rebuild(include=mlist, nolock=nolock)


def remove(mlist, cgi=False):
    """Drop MLIST's addresses from the maps (the list may still be on
    disk: bin/rmlist calls this before it deletes the list)."""
    _rebuild(exclude=mlist.internal_name())


def regenerate(quiet=False):
    """bin/genaliases: rewrite both maps from every list on the site."""
    _rebuild()


# ------------------------------------------------------------------ rebuild
def _rebuild(include=None, exclude=None, nolock=False):
    lock = None
    if not nolock:
        lock = makelock()
        lock.lock()
    try:
        lists = _site_lists(include, exclude, lock)
        _write_aliases(lists)
        write_virtual = _virtual_domains() or os.path.exists(virtual_path())
        if write_virtual:
            _write_virtual(lists)
        _compile('POSTFIX_ALIAS_CMD', aliases_path())
        if write_virtual:
            _compile('POSTFIX_MAP_CMD', virtual_path())
    finally:
        if lock is not None:
            lock.unlock(unconditionally=True)


def _site_lists(include, exclude, lock):
    """[(listname, host_name or None)] sorted by name: the lists on disk,
    less EXCLUDE, with INCLUDE (a MailList) taken from memory."""
    from Mailman.MailList import MailList
    own = include.internal_name() if include is not None else None
    lists = {}
    for name in Utils.list_names():
        if name in (own, exclude):
            continue
        try:
            lists[name] = MailList(name, lock=0).host_name
        except Errors.MMUnknownListError:
            continue            # removed since list_names() looked
        except Exception as error:
            # Its mail must still reach Mailman: keep the local aliases,
            # without the virtual domain we could not read.
            syslog('error', 'Postfix maps: cannot load list %s (%s); '
                   'writing its aliases without its virtual domain',
                   name, error)
            lists[name] = None
        if lock is not None:
            lock.refresh()
    if include is not None:
        lists[own] = include.host_name
    return sorted(lists.items())


def _virtual_domains():
    return list(getattr(mm_cfg, 'POSTFIX_STYLE_VIRTUAL_DOMAINS', None) or [])


# ------------------------------------------------------------------ data/aliases
ALIASES_HEADER = """\
# Generated by Mailman for Postfix's alias_maps; postalias compiles it into
# aliases.db.  Mailman rewrites this file whenever a list is created or
# removed and when bin/genaliases runs, so edits made here do not last, and
# an edit without postalias leaves the two files disagreeing.
"""


def _aliases_text(lists):
    created = _created_times(aliases_path())
    lines = [ALIASES_HEADER,
             '# The loop stopper: mail to the site list owners bounced',
             f'{loop_local_part()}: {_quote_path(loop_mbox())}',
             '']
    for name, _host in lists:
        width = field_width(name)
        lines += _stanza_start(name, created)
        for alias, command in makealiases(name):
            lines.append(f'{alias}: {" " * (width - len(alias))}{command}')
        lines += [f'# STANZA END: {name}', '']
    return '\n'.join(lines) + '\n'


def _write_aliases(lists):
    _write(aliases_path(), _aliases_text(lists))


# ------------------------------------------------------------------ data/virtual-mailman
VIRTUAL_HEADER = """\
# Generated by Mailman for Postfix's virtual_alias_maps; postmap compiles it
# into virtual-mailman.db.  It maps the addresses of lists in the domains of
# POSTFIX_STYLE_VIRTUAL_DOMAINS to Mailman's local aliases.  Mailman rewrites
# it whenever a list is created or removed and when bin/genaliases runs.
#
# The domains themselves must already be virtual alias domains in Postfix
# (virtual_alias_domains in main.cf, or a domain line in another map).
"""

SITE_ADDRESSES_NOTE = """\
# The site list's address in each domain, as the web overviews show it."""


def _local(local_part):
    domain = getattr(mm_cfg, 'VIRTUAL_MAILMAN_LOCAL_DOMAIN', None)
    return f'{local_part}@{domain}' if domain else local_part


def _virtual_text(lists):
    created = _created_times(virtual_path())
    virtual = set(_virtual_domains())
    in_domains = [(name, host) for name, host in lists if host in virtual]
    domains = sorted({host for _name, host in in_domains})
    loop = loop_local_part()
    site = mm_cfg.MAILMAN_SITE_LIST
    # A domain that hosts the site list gets its address from its stanza.
    site_domains = [d for d in domains if (site, d) not in in_domains]
    lines = [VIRTUAL_HEADER, '# LOOP ADDRESSES START']
    lines += [f'{loop}@{domain}\t{_local(loop)}' for domain in domains]
    lines += ['# LOOP ADDRESSES END', '', SITE_ADDRESSES_NOTE,
              '# SITE ADDRESSES START']
    lines += [f'{site}@{domain}\t{_local(site)}' for domain in site_domains]
    lines += ['# SITE ADDRESSES END', '']
    for name, host in in_domains:
        width = field_width(name)
        lines += _stanza_start(name, created)
        for alias, _command in makealiases(name):
            # 2.1 printed the address, the padding and the local name as
            # three print items: one space either side of the padding.
            lines.append(f'{alias}@{host} {" " * (width - len(alias))} '
                         f'{_local(alias)}')
        lines += [f'# STANZA END: {name}', '']
    return '\n'.join(lines) + '\n'


def _write_virtual(lists):
    _write(virtual_path(), _virtual_text(lists))


# ------------------------------------------------------------------ helpers
def _stanza_start(name, created):
    return [f'# STANZA START: {name}',
            f'# CREATED: {created.get(name) or time.ctime()}']


def _created_times(path):
    """{listname: CREATED text} from the current file, so that a rewrite
    keeps the moment each stanza first appeared."""
    times = {}
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.read()
    except OSError:
        return times
    current = None
    for line in text.splitlines():
        if line.startswith('# STANZA START:'):
            current = line.split(':', 1)[1].strip()
            continue
        if current and line.startswith('# CREATED:'):
            times[current] = line.split(':', 1)[1].strip()
        current = None
    return times


def _quote_path(path):
    return f'"{path}"' if any(c.isspace() for c in path) else path


def _mailman_ids():
    """(uid or None, gid or None) of MAILMAN_USER and MAILMAN_GROUP."""
    try:
        uid = pwd.getpwnam(mm_cfg.MAILMAN_USER).pw_uid
    except (KeyError, AttributeError):
        uid = None
    try:
        gid = grp.getgrnam(mm_cfg.MAILMAN_GROUP).gr_gid
    except (KeyError, AttributeError):
        gid = None
    return uid, gid


def _set_ownership(path):
    """Mode 0664 and group MAILMAN_GROUP; as root, user MAILMAN_USER too.
    Best effort: check_perms reports what could not be done."""
    uid, gid = _mailman_ids()
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    want_uid = uid if os.geteuid() == 0 and uid is not None else -1
    want_gid = gid if gid is not None else -1
    if (want_uid not in (-1, st.st_uid)) or (want_gid not in (-1, st.st_gid)):
        try:
            os.chown(path, want_uid, want_gid)
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EACCES):
                raise
    if stat.S_IMODE(st.st_mode) != FILE_MODE:
        try:
            os.chmod(path, FILE_MODE)
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EACCES):
                raise


def _write(path, text):
    Utils.write_file_atomically(path, text, FILE_MODE)
    _set_ownership(path)


def _compile(setting, path):
    """Run POSTFIX_ALIAS_CMD or POSTFIX_MAP_CMD on PATH, without a shell."""
    command = getattr(mm_cfg, setting)
    argv = shlex.split(command) + [path]
    shown = ' '.join(shlex.quote(a) for a in argv)
    try:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True,
                                errors='replace')
    except FileNotFoundError:
        message = (f'{argv[0]} not found: install Postfix or set {setting} '
                   'in mm_cfg.py to the right path')
        syslog('error', 'Postfix maps: %s', message)
        raise PostfixError(message) from None
    except OSError as error:
        message = f'cannot run {argv[0]} ({setting}): {error.strerror}'
        syslog('error', 'Postfix maps: %s', message)
        raise PostfixError(message) from None
    output = ' '.join(result.stderr.split('\n')).strip()
    if result.returncode != 0:
        message = (f'command failed: {shown} (exit status '
                   f'{result.returncode}): {output or "no error output"}')
        syslog('error', 'Postfix maps: %s', message)
        raise PostfixError(message)
    if output:
        syslog('error', 'Postfix maps: %s said: %s', shown, output)
    for suffix in DB_SUFFIXES:
        _set_ownership(path + suffix)


# ------------------------------------------------------------------ check_perms
def checkperms(report):
    """bin/check_perms: the map files must be group-writable and group-owned
    by MAILMAN_GROUP, and the compiled tables owned by MAILMAN_USER, since
    Postfix runs pipe aliases as the table's owner.  (check_perms's walk of
    the installation already reports a wrong group under the var prefix; it
    is checked here only where that walk does not go.)"""
    uid, gid = _mailman_ids()
    user, group = mm_cfg.MAILMAN_USER, mm_cfg.MAILMAN_GROUP
    walked = _walked_by_check_perms(mm_cfg.DATA_DIR)
    for base in (aliases_path(), virtual_path()):
        for path in [base] + [base + suffix for suffix in DB_SUFFIXES]:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            report.note(f'checking permissions and owner of {path}')
            mode = stat.S_IMODE(st.st_mode)
            if mode & REQUIRED_BITS != REQUIRED_BITS:
                report.problem(
                    f'{path}: mode is {mode:04o}, needs at least '
                    f'{REQUIRED_BITS:04o} (Mailman must be able to rewrite it)',
                    _repair_mode(path))
            if path == base:
                if gid is not None and st.st_gid != gid and not walked:
                    report.problem(
                        f'{path}: group is {_group_name(st.st_gid)}, '
                        f'should be {group}',
                        _repair_owner(path, -1, gid))
                continue
            if uid is None:
                report.problem(f'{path}: user {user} does not exist, so '
                               'Postfix cannot run Mailman as that user')
                continue
            if st.st_uid != uid or (gid is not None and st.st_gid != gid
                                    and not walked):
                report.problem(
                    f'{path}: owned by {_user_name(st.st_uid)}:'
                    f'{_group_name(st.st_gid)}, must be {user}:{group} '
                    '(Postfix runs pipe aliases as the owner of this file)',
                    _repair_owner(path, uid, -1 if gid is None else gid))


def _walked_by_check_perms(path):
    """True if check_perms's walk of the installation covers PATH."""
    path = os.path.normpath(path)
    for root in (mm_cfg.PREFIX, mm_cfg.EXEC_PREFIX, mm_cfg.VAR_PREFIX):
        root = os.path.normpath(root)
        if path == root or path.startswith(root + os.sep):
            return True
    return False


def _repair_mode(path):
    def repair():
        mode = stat.S_IMODE(os.stat(path).st_mode)
        os.chmod(path, mode | REQUIRED_BITS)
    return repair


def _repair_owner(path, uid, gid):
    def repair():
        mode = stat.S_IMODE(os.stat(path).st_mode)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    return repair


def _user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f'uid {uid}'


def _group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return f'gid {gid}'
