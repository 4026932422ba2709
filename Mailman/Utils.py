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
    sync_directory(directory)


def sync_directory(directory):
    """fsync DIRECTORY, so that a rename in it survives a crash."""
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
# Longer names are refused whatever MAX_LISTNAME_LENGTH says: the lock file
# names made from them would pass the file system's 255-byte limit.
LONGEST_LIST_NAME = 128


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
    limit = getattr(mm_cfg, 'MAX_LISTNAME_LENGTH', 0) or LONGEST_LIST_NAME
    return len(name) <= min(limit, LONGEST_LIST_NAME)


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


# ------------------------------------------------------------------ addresses
# Characters never allowed in an address Mailman accepts: they are either
# illegal, or they make trouble in a shell, a header or an MTA's map.
_BAD_ADDRESS_CHARS = re.compile(r'[][()<>|:;^,\\"\x00-\x1f\x7f-\uffff/]')
_DOMAIN_LABEL = re.compile(r'[-a-z0-9]+', re.IGNORECASE)


def ParseEmail(address):
    """Split ADDRESS into (local part, [domain labels]); lower-cases the
    domain."""
    local, at, domain = address.rpartition('@')
    if not at:
        return address, []
    return local, domain.lower().split('.')


def ValidateEmail(address):
    """Raise MMBadEmailError or MMHostileAddress unless ADDRESS is a plain
    user@domain.tld address Mailman can safely accept."""
    from Mailman import Errors
    if not address or ' ' in address:
        raise Errors.MMBadEmailError(address)
    if _BAD_ADDRESS_CHARS.search(address) or address.startswith('-'):
        raise Errors.MMHostileAddress(address)
    local, labels = ParseEmail(address)
    if not local or not labels or len(labels) < 2:
        raise Errors.MMBadEmailError(address)
    for label in labels:
        if not label or label.startswith('-') or \
                not _DOMAIN_LABEL.fullmatch(label):
            raise Errors.MMHostileAddress(address)


def get_site_email(hostname=None, extra=None):
    """The site list's address (or its -EXTRA address) on HOSTNAME."""
    hostname = hostname or mm_cfg.DEFAULT_EMAIL_HOST
    local = mm_cfg.MAILMAN_SITE_LIST
    if extra:
        local = f'{local}-{extra}'
    return f'{local}@{hostname}'


def unique_message_id(mlist):
    import email.utils
    return email.utils.make_msgid(mlist.internal_name(),
                                  domain=mlist.host_name)


def ObscureEmail(address, for_text=False):
    """Hide ADDRESS from address harvesters in pages."""
    if for_text:
        return address.replace('@', ' at ')
    return address.replace('@', '--at--')


def UnobscureEmail(address):
    return address.replace('--at--', '@')


def MakeRandomPassword(length=None):
    """A random password; easy to type when USER_FRIENDLY_PASSWORDS."""
    import secrets
    import string
    length = length or mm_cfg.MEMBER_PASSWORD_LENGTH
    if mm_cfg.USER_FRIENDLY_PASSWORDS:
        alphabet = 'abcdefghijkmnpqrstuvwxyz23456789'
    else:
        alphabet = string.ascii_letters + string.digits
    return ''.join(secrets.choice(alphabet) for _ in range(length))


# ------------------------------------------------------------------ languages
def GetCharSet(language):
    entry = mm_cfg.LC_DESCRIPTIONS.get(language)
    return entry[1] if entry else 'us-ascii'


def GetDirection(language):
    entry = mm_cfg.LC_DESCRIPTIONS.get(language)
    return entry[2] if entry and len(entry) > 2 else 'ltr'


def GetLanguageDescr(language):
    entry = mm_cfg.LC_DESCRIPTIONS.get(language)
    return entry[0] if entry else language


# ------------------------------------------------------------------ templates
class SafeDict(dict):
    """A dict for %-interpolation that leaves unknown keys as they were."""

    def __missing__(self, key):
        return '%(' + key + ')s'


# The list texts that 2.1 interpolated with %(name)s until a list was
# converted (bin/convert.py) to $name, marked by use_dollar_strings.
DOLLAR_STRING_ATTRIBUTES = (
    'msg_header', 'msg_footer', 'digest_header', 'digest_footer',
    'autoresponse_postings_text', 'autoresponse_admin_text',
    'autoresponse_request_text')

_PERCENT_FORMS = re.compile(r'%%|%\((\w+)\)s')


def to_dollar(text):
    """TEXT with its %(name)s substitutions written ${name}, as
    string.Template reads them: "%%" becomes "%" and a "$" that was plain
    text becomes "$$", so the text reads the same after conversion."""
    out = []
    last = 0
    for match in _PERCENT_FORMS.finditer(text):
        out.append(text[last:match.start()].replace('$', '$$'))
        name = match.group(1)
        out.append('%' if name is None else '${' + name + '}')
        last = match.end()
    out.append(text[last:].replace('$', '$$'))
    return ''.join(out)


def findtext(templatefile, raw_dict=None, raw=False, lang=None, mlist=None):
    """Find TEMPLATEFILE and return (text, path).

    The search goes from the most specific place to the least: the list's
    own directory, the list's virtual host, the site, the distribution; in
    each, the asked-for language, then the list's, the server's and English.
    """
    if '/' in templatefile or templatefile.startswith('.'):
        raise ValueError(f'bad template name: {templatefile!r}')
    languages = []
    for language in (lang, mlist.preferred_language if mlist else None,
                     mm_cfg.DEFAULT_SERVER_LANGUAGE, 'en'):
        if language and language not in languages:
            languages.append(language)
    directories = []
    if mlist is not None:
        directories.append(mlist.fullpath())
        directories.append(os.path.join(mm_cfg.TEMPLATE_DIR, mlist.host_name))
    directories.append(os.path.join(mm_cfg.TEMPLATE_DIR, 'site'))
    directories.append(mm_cfg.TEMPLATE_DIR)
    for language in languages:
        for directory in directories:
            path = os.path.join(directory, language, templatefile)
            try:
                with open(path, 'rb') as f:
                    data = f.read()
            except (FileNotFoundError, NotADirectoryError):
                continue
            charset = GetCharSet(language)
            try:
                text = data.decode('utf-8')
            except UnicodeDecodeError:
                text = data.decode(charset, 'replace')
            if raw_dict is not None and not raw:
                text = text % SafeDict(raw_dict)
            return text, path
    raise FileNotFoundError(f'no template {templatefile!r} for {languages}')


def maketext(templatefile, dict=None, raw=False, lang=None, mlist=None):
    """The template TEMPLATEFILE, with DICT's values filled in."""
    return findtext(templatefile, dict or {}, raw, lang, mlist)[0]


def wrap(text, column=70):
    """Fill each paragraph of TEXT to COLUMN; indented lines stay as they
    are."""
    import textwrap
    paragraphs = text.split('\n\n')
    out = []
    for paragraph in paragraphs:
        if paragraph.startswith((' ', '\t')):
            out.append(paragraph)
        else:
            # Never split an address or a URL across lines.
            out.append(textwrap.fill(paragraph, column, break_on_hyphens=False,
                                     break_long_words=False))
    return '\n\n'.join(out)


def address_is_banned(address, patterns):
    """True if ADDRESS matches one of PATTERNS: a plain address (compared
    case-insensitively) or, starting with ^, a regular expression."""
    lowered = address.lower()
    for pattern in patterns:
        if not pattern:
            continue
        if pattern.startswith('^'):
            try:
                if re.match(pattern, address, re.IGNORECASE):
                    return True
            except re.error:
                continue    # a broken pattern bans nobody
        elif pattern.lower() == lowered:
            return True
    return False


def log_safe(text):
    """TEXT with control characters escaped, fit for one log line."""
    if text is None:
        return ''
    return ''.join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def decode_bytes(data, charset=None):
    """DATA as text: in CHARSET when that decodes it, else as UTF-8, else
    in CHARSET with replacement characters, else as Latin-1 (which never
    fails).  Mail often names the wrong charset, or one Python lacks."""
    for candidate in (charset, 'utf-8'):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeError, LookupError):
            continue
    if charset:
        try:
            return data.decode(charset, 'replace')
        except (LookupError, UnicodeError):
            pass
    return data.decode('latin-1')


def part_text(part):
    """The text of the MIME PART, its transfer encoding undone and decoded
    by decode_bytes() with the part's charset; '' for a part without a
    text payload.  Broken encodings give what can be read, never an
    exception."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ''
    return decode_bytes(data, part.get_content_charset())
