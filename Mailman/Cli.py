"""What the bin/ commands share: option parsing, address files, progress
display, opening lists, and the membership operations behind them.

The commands themselves only parse their options and call in here, so the
same behaviour is there for anything else that needs it (tests, withlist
scripts).  Errors a command reports to its user are raised as CommandError;
run() prints them as one line on stderr and turns them into an exit status.
"""

import argparse
import os
import sys
import time
from contextlib import contextmanager

from Mailman import Errors
from Mailman import MemberAdaptor
from Mailman import Utils
from Mailman import mm_cfg
# Shared with the web pages; bin/ scripts and tests use them through here.
from Mailman.MemberOps import (AddressLine, address_problem,  # noqa: F401
                               delete_member, format_address,
                               notify_owners, parse_address, sync_plan)

# Inputs longer than this many lines get a progress display (when stderr is
# a terminal).
PROGRESS_THRESHOLD = 1000


class CommandError(Exception):
    """A failure to report to the user as one line; STATUS is the exit
    status of the command."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------ options
class ArgumentParser(argparse.ArgumentParser):
    """argparse with the command's docstring as help text, and one-line
    usage errors."""

    def __init__(self, prog, doc, **kwargs):
        summary, _, details = (doc or '').strip().partition('\n\n')
        kwargs.setdefault('formatter_class',
                          argparse.RawDescriptionHelpFormatter)
        super().__init__(prog=prog, description=summary,
                         epilog=details or None, **kwargs)

    def error(self, message):
        print(f'{self.prog}: {message} (try {self.prog} --help)',
              file=sys.stderr)
        sys.exit(2)


def withlist_only(prog, doc):
    """For a bin/withlist script run on its own: print how it is run (the
    second paragraph of its docstring DOC) and return exit status 2."""
    usage = doc.strip().split('\n\n')[1].strip()
    print(f'{prog}: run me through bin/withlist: {usage}', file=sys.stderr)
    return 2


def run(main, prog):
    """Call MAIN() and return the exit status for sys.exit(): CommandError
    becomes one line on stderr, an interrupted run exits 130, and a closed
    output pipe (list_members | head) is not an error."""
    try:
        status = main()
    except CommandError as error:
        print(f'{prog}: {error}', file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        print(f'{prog}: interrupted', file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Keep Python from complaining again when it flushes stdout at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return 1
    return status or 0


def yes_no(value):
    """argparse type for y/n flags: y, yes, n or no in any case."""
    answer = (value or '').strip().lower()
    if answer in ('y', 'yes'):
        return True
    if answer in ('n', 'no'):
        return False
    raise argparse.ArgumentTypeError(f'expected y or n, not {value!r}')


def expand_optional_values(argv, options):
    """Rewrite ARGV so that argparse can parse 2.1's options whose value is
    optional.

    OPTIONS maps each option string (`-d`, `--digest`) to a pair
    (long option, values): a bare option becomes `--long=` (empty value);
    when VALUES is given and the next word is one of them, the next word is
    taken as the value (`-d mime`), as 2.1 did.  `--long=value` and
    `-d=value` forms are passed through as `--long=value`.
    """
    result = []
    words = list(argv)
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word == '--':
            result.extend(words[index - 1:])
            break
        name, equals, value = word.partition('=')
        if name in options:
            long_option, values = options[name]
            if equals:
                result.append(f'{long_option}={value}')
            elif values and index < len(words) and words[index] in values:
                result.append(f'{long_option}={words[index]}')
                index += 1
            else:
                result.append(f'{long_option}=')
            continue
        result.append(word)
    return result


# ------------------------------------------------------------------ lists
def open_list(name, lock=True):
    """The list NAME (locked unless LOCK is false); CommandError with
    'No such list: NAME' when there is none."""
    try:
        return load_list(name, lock)
    except Errors.MMUnknownListError:
        raise CommandError(f'No such list: {name}') from None
    except Errors.MMCorruptListDatabaseError as error:
        raise CommandError(f'The list {name} cannot be loaded: {error}') \
            from None


def load_list(name, lock=False):
    """The list NAME, or Errors.MMUnknownListError (or another MMListError)
    when it cannot be had."""
    from Mailman.MailList import MailList
    if not Utils.list_exists(name):
        raise Errors.MMUnknownListError(name)
    return MailList(name.lower(), lock=lock)


@contextmanager
def locked_list(name, save=True):
    """Open NAME locked; save it when the block ends normally (unless SAVE
    is false), and unlock it in any case."""
    mlist = open_list(name, lock=True)
    try:
        yield mlist
        if save:
            mlist.Save()
    finally:
        mlist.Unlock()


def check_list_names(names):
    """Raise CommandError for the first of NAMES that is no list."""
    for name in names:
        if not Utils.list_exists(name):
            raise CommandError(f'No such list: {name}')


# ------------------------------------------------------------------ addresses
def read_lines(path, stdin=None):
    """The lines of PATH (`-` for standard input), decoded as UTF-8; bytes
    that are not are kept as replacement characters, which then fail
    address validation."""
    if path == '-':
        stream = stdin or sys.stdin
        data = stream.buffer.read() if hasattr(stream, 'buffer') \
            else stream.read()
    else:
        try:
            with open(path, 'rb') as f:
                data = f.read()
        except OSError as error:
            raise CommandError(
                f'Cannot read address file {path}: {error.strerror}') \
                from None
    if isinstance(data, bytes):
        data = data.decode('utf-8', 'replace')
    return data.splitlines()


def read_addresses(path, stdin=None, ignored=None):
    """Read an address file: one address per line, blank lines and lines
    starting with # skipped (appended to IGNORED when it is a list), and
    `Real Name <addr>` forms accepted.  Returns a list of AddressLine."""
    entries = []
    for lineno, raw in enumerate(read_lines(path, stdin), 1):
        text = raw.strip()
        if not text or text.startswith('#'):
            if ignored is not None:
                ignored.append(text)
            continue
        name, address = parse_address(text)
        entries.append(AddressLine(text, name, address, lineno))
    return entries


# ------------------------------------------------------------------ progress
class Progress:
    """A one-line progress display on a terminal: `label: done/total (n%)`,
    redrawn at most a few times a second.  Does nothing unless STREAM is a
    terminal and TOTAL exceeds THRESHOLD, so output to files and pipes is
    never cluttered."""

    INTERVAL = 0.2

    def __init__(self, total, label, stream=None,
                 threshold=PROGRESS_THRESHOLD):
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.label = label
        self.done = 0
        self._last = 0.0
        self._shown = False
        try:
            tty = self.stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        self.enabled = tty and total > threshold

    def __enter__(self):
        self._draw()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def step(self, count=1):
        self.done += count
        if self.enabled:
            now = time.monotonic()
            if now - self._last >= self.INTERVAL:
                self._draw(now)

    def _draw(self, now=None):
        if not self.enabled:
            return
        self._last = now if now is not None else time.monotonic()
        percent = 100 * self.done // self.total if self.total else 100
        self.stream.write(f'\r{self.label}: {self.done}/{self.total} '
                          f'({percent}%)')
        self.stream.flush()
        self._shown = True

    def clear(self):
        """Wipe the progress line (before printing something else on the
        same terminal)."""
        if self.enabled and self._shown:
            self.stream.write('\r\033[K')
            self.stream.flush()
            self._shown = False

    def close(self):
        if self.enabled:
            self._draw()
            self.stream.write('\n')
            self.stream.flush()
            self.enabled = False


# ------------------------------------------------------------------ members
STATUS_BY_NAME = {
    'enabled': MemberAdaptor.ENABLED,
    'unknown': MemberAdaptor.UNKNOWN,
    'byuser': MemberAdaptor.BYUSER,
    'byadmin': MemberAdaptor.BYADMIN,
    'bybounce': MemberAdaptor.BYBOUNCE,
}


def select_members(mlist, regular=True, digest=True, digest_kind=None,
                   nomail=False, why=None, moderated=None, invalid=False,
                   preserve=False):
    """The members of MLIST that the list_members filters select, regular
    members first, each group sorted.  DIGEST_KIND: 'mime' or 'plain';
    NOMAIL with WHY (a STATUS_BY_NAME key, or None for any reason other
    than enabled); MODERATED: True, False or None for either; INVALID:
    only addresses that fail validation.  Addresses are lower-cased unless
    PRESERVE."""
    groups = []
    if regular:
        groups.append((sorted(mlist.getRegularMemberKeys()), False))
    if digest:
        groups.append((sorted(mlist.getDigestMemberKeys()), True))
    selected = []
    for keys, is_digest in groups:
        if preserve:
            pairs = sorted(zip(mlist.getMemberCPAddresses(keys), keys))
        else:
            pairs = [(key, key) for key in keys]
        for shown, key in pairs:
            if invalid and address_problem(key) is None:
                continue
            if moderated is not None and \
                    bool(mlist.getMemberOption(key, mm_cfg.Moderate)) \
                    != moderated:
                continue
            if nomail:
                status = mlist.getDeliveryStatus(key)
                if why is None:
                    if status == MemberAdaptor.ENABLED:
                        continue
                elif status != STATUS_BY_NAME[why]:
                    continue
            if is_digest and digest_kind:
                plain = mlist.getMemberOption(key, mm_cfg.DisableMime)
                if (digest_kind == 'plain') != bool(plain):
                    continue
            selected.append((shown, key))
    return selected


def invitation_text(mlist, address, preamble=''):
    """The text of an invitation to ADDRESS to join MLIST."""
    listname = mlist.real_name
    text = []
    if preamble:
        text.append(preamble.rstrip('\n') + '\n')
    text.append(Utils.wrap(
        f'You are invited to join the {listname} mailing list at '
        f'{mlist.host_name}.  This invitation was sent by the list '
        f'administrator; you are not subscribed yet.'))
    text.append(Utils.wrap(
        'To join, visit the list information page and fill in the '
        'subscription form, or send a message with the subject '
        '"subscribe" to the request address:'))
    text.append(f'    {mlist.GetScriptURL("listinfo", absolute=1)}\n'
                f'    {mlist.GetRequestEmail()}')
    text.append(Utils.wrap(
        f'If you do not want to join, ignore this message: {address} will '
        f'not be subscribed without your action.'))
    return '\n\n'.join(text) + '\n'


def send_invitation(mlist, address, preamble=''):
    """Queue an invitation for ADDRESS to join MLIST.  The invitation
    points to the list's web page and request address; it carries no
    confirmation cookie, so accepting it is an ordinary subscription."""
    from Mailman.Message import UserNotification
    subject = f'Invitation to join the {mlist.real_name} mailing list'
    message = UserNotification(address, mlist.GetRequestEmail(), subject,
                               invitation_text(mlist, address, preamble),
                               mlist.preferred_language)
    message['X-No-Archive'] = 'yes'
    message.send(mlist)


def mass_subscribe(mlist, entries, digest=False, ack=None, nomail=False,
                   invite=False, invite_preamble='', report=print,
                   progress=None):
    """Subscribe (or with INVITE, invite) each AddressLine of ENTRIES to
    the locked MLIST, calling REPORT with one line per address as 2.1's
    add_members printed it.  ACK: send welcome messages (None: the list's
    setting).  NOMAIL: disable delivery (by the administrator) of the new
    members.  New members get no password: they log in with a link mailed
    to them.  Returns the number of addresses subscribed or invited."""
    from Mailman.UserDesc import UserDesc
    done = 0
    for entry in entries:
        member = entry.text
        if progress is not None:
            progress.step()
        problem = address_problem(entry.address)
        if problem == 'hostile':
            report(f'Hostile address (illegal characters): {member}')
            continue
        if problem == 'bad':
            report(f'Bad/Invalid email address: {member}')
            continue
        if invite:
            if mlist.isMember(entry.address):
                report(f'Already a member: {member}')
            elif mlist.IsBanned(entry.address):
                report(f'Banned address: {member}')
            else:
                send_invitation(mlist, entry.address, invite_preamble)
                report(f'Invited: {member}')
                done += 1
            continue
        userdesc = UserDesc(entry.address, entry.name or None, None,
                            1 if digest else 0)
        try:
            mlist.ApprovedAddMember(userdesc, ack=ack, admin_notif=False,
                                    whence='bin/add_members')
        except Errors.MMAlreadyAMember:
            report(f'Already a member: {member}')
        except Errors.MembershipIsBanned:
            report(f'Banned address: {member}')
        except Errors.MMHostileAddress:
            report(f'Hostile address (illegal characters): {member}')
        except Errors.EmailAddressError:
            report(f'Bad/Invalid email address: {member}')
        else:
            if nomail:
                mlist.setDeliveryStatus(entry.address,
                                        MemberAdaptor.BYADMIN)
            report(f'Subscribed: {member}')
            done += 1
    return done


AS_MEMBER = 1
AS_OWNER = 2


def find_members(patterns, listnames, owners=False):
    """Search LISTNAMES for members (and with OWNERS, owners) whose
    address matches one of the compiled regular expressions PATTERNS
    (searched, not anchored).  Returns {address: {listname: AS_MEMBER |
    AS_OWNER bits}} with members' addresses in their subscribed case."""
    matches = {}
    for listname in listnames:
        try:
            mlist = load_list(listname, lock=False)
        except Errors.MMListError:
            continue        # removed meanwhile
        keys = [key for key in mlist.getMembers()
                if any(pattern.search(key) for pattern in patterns)]
        for address in mlist.getMemberCPAddresses(keys):
            hits = matches.setdefault(address, {})
            hits[listname] = hits.get(listname, 0) | AS_MEMBER
        if owners:
            for owner in mlist.owner:
                if any(pattern.search(owner) for pattern in patterns):
                    hits = matches.setdefault(owner, {})
                    hits[listname] = hits.get(listname, 0) | AS_OWNER
    return matches


def clone_member(mlist, fromaddr, toaddr, remove=False, admins=False,
                 modify=True, say=print):
    """Give TOADDR on MLIST the membership of FROMADDR: delivery mode,
    options, password hash, language, real name, topics.  REMOVE drops
    FROMADDR afterwards; ADMINS does the same to the owner addresses.
    Without MODIFY nothing changes (MLIST need not be locked).  SAY is
    called with each line of the 2.1-style report."""
    lfrom = fromaddr.lower()
    if admins:
        oldowners = sorted(mlist.owner)
        say('    scanning list owners: ' + ' '.join(oldowners))
        newowners = []
        found = False
        for owner in mlist.owner:
            if owner.lower() == lfrom:
                found = True
                if remove:
                    continue
            if owner not in newowners:
                newowners.append(owner)
        if found and toaddr.lower() not in (o.lower() for o in newowners):
            newowners.append(toaddr)
        newowners.sort()
        if newowners != oldowners:
            if modify:
                mlist.owner = newowners
            say('    new list owners: ' + ' '.join(newowners))
        else:
            say('(no change)')
    if not mlist.isMember(fromaddr):
        say(f'    address not found: {fromaddr}')
        return False
    if mlist.IsBanned(toaddr):
        say(f'    Banned address: {toaddr}')
        return False
    # Checked first: the member adaptor may drop the old address before it
    # finds out that the new one is taken.
    if mlist.isMember(toaddr):
        say(f'    clone address is already a member: {toaddr}')
        return False
    if modify:
        mlist.changeMemberAddress(fromaddr, toaddr, 0 if remove else 1)
    say(f'    clone address added: {toaddr}')
    if remove:
        say(f'    original address removed: {fromaddr}')
    return True


def lists_in_domains(domains):
    """Names of the lists whose mail host is one of DOMAINS."""
    wanted = {domain.lower() for domain in domains}
    names = []
    for name in Utils.list_names():
        try:
            mlist = load_list(name, lock=False)
        except Errors.MMListError:
            continue
        if (mlist.host_name or '').lower() in wanted:
            names.append(name)
    return names


def change_admin_password(listname, password=None):
    """Give LISTNAME a new administrator password: PASSWORD, or a random one
    of ADMIN_PASSWORD_LENGTH characters.  Only its hash is stored.  Returns
    (the list, the clear-text password)."""
    from Mailman import Passwords
    if password is None:
        password = Utils.MakeRandomPassword(mm_cfg.ADMIN_PASSWORD_LENGTH)
    with locked_list(listname) as mlist:
        mlist.password = Passwords.hash_password(password)
    return mlist, password


def send_new_admin_password(mlist, password):
    """Mail MLIST's owners their new administrator password."""
    listname = mlist.real_name
    adminurl = mlist.GetScriptURL('admin', absolute=1)
    text = (
        f'The site administrator at {mlist.host_name} has changed the\n'
        f'administrator password of your mailing list {listname}.  It is '
        f'now\n\n    {password}\n\n'
        'Use it for all administration of the list from now on.  You may\n'
        'want to log in now and change it to one of your own choosing, on\n'
        f'the list\'s administration pages:\n\n    {adminurl}\n')
    notify_owners(mlist, f'Your new {listname} list password', text)
