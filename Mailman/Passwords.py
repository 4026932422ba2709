"""Password hashing for every password Mailman keeps.

New hashes use the passlib scheme named by mm_cfg.PASSWORD_HASH_SCHEME.
Hashes written by Mailman 2.1 still verify: its site, creator and list
passwords were unsalted SHA-1 hex digests (older lists: MD5 or crypt).
`verify()` tells the caller when a stored hash should be replaced, so old
hashes are upgraded on the first successful login.
"""

import hashlib
import hmac

from Mailman import mm_cfg

# 2.1 forms, recognised only to verify and then upgrade them.
LEGACY_SCHEMES = ['hex_sha1', 'md5_crypt', 'des_crypt']

# Converting a big 2.1 list's clear-text member passwords at full cost would
# take minutes per 10,000 members, so that one-time conversion uses few
# rounds; such a hash counts as outdated and is redone at full cost on the
# member's next successful login.
FULL_PBKDF2_ROUNDS = 29000
QUICK_PBKDF2_ROUNDS = 1000

_contexts = {}


def _context():
    scheme = getattr(mm_cfg, 'PASSWORD_HASH_SCHEME', 'pbkdf2_sha256')
    context = _contexts.get(scheme)
    if context is None:
        # Imported here: passlib takes tens of milliseconds to load, which
        # every web page would pay even when it checks no password.
        from passlib.context import CryptContext
        schemes = [scheme] + [s for s in ['pbkdf2_sha256'] + LEGACY_SCHEMES
                              if s != scheme]
        context = CryptContext(schemes=schemes, default=scheme,
                               deprecated=['auto'],
                               pbkdf2_sha256__default_rounds=FULL_PBKDF2_ROUNDS,
                               pbkdf2_sha256__min_rounds=FULL_PBKDF2_ROUNDS)
        _contexts[scheme] = context
    return context


# Longest password a form may set: passlib refuses to hash more than 4096
# bytes, and 1024 characters are at most 4096 bytes of UTF-8.
MAX_LENGTH = 1024


def hash_password(plaintext, quick=False):
    """Return a salted hash of PLAINTEXT in the site's current scheme.
    QUICK: a cheap hash for bulk conversion of old clear-text passwords."""
    if quick:
        from passlib.hash import pbkdf2_sha256
        return pbkdf2_sha256.using(rounds=QUICK_PBKDF2_ROUNDS).hash(plaintext)
    return _context().hash(plaintext)


def _legacy_md5_matches(plaintext, stored):
    # Very old 2.1 lists kept the raw 16-byte MD5 digest, which a Python 2
    # pickle hands us as text of 16 characters.
    if len(stored) != 16:
        return False
    digest = hashlib.md5(plaintext.encode('utf-8')).digest()
    return hmac.compare_digest(digest, stored.encode('latin-1', 'replace'))


def verify(plaintext, stored):
    """Check PLAINTEXT against the STORED hash.

    Returns (ok, replacement): replacement is a new hash to store when the
    stored one is in an outdated scheme, otherwise None.
    """
    if not stored or plaintext is None:
        return False, None
    if isinstance(stored, bytes):
        stored = stored.decode('latin-1')
    context = _context()
    try:
        ok, replacement = context.verify_and_update(plaintext, stored)
    except ValueError:
        # Not a hash passlib knows: try the raw MD5 form.
        ok, replacement = _legacy_md5_matches(plaintext, stored), None
        if ok:
            replacement = context.hash(plaintext)
    return ok, replacement


def constant_time_equal(a, b):
    """Compare two secrets without leaking where they differ."""
    return hmac.compare_digest(a.encode('utf-8'), b.encode('utf-8'))


def is_modern_hash(value):
    """True if VALUE is a hash in modular crypt form ($scheme$...), the only
    form this release writes for member passwords.  Anything else stored as
    a member password is 2.1's clear text."""
    return isinstance(value, str) and value.startswith('$') and is_hashed(value)


def is_hashed(value):
    """True if VALUE looks like a hash this module can verify."""
    try:
        return _context().identify(value) is not None
    except (ValueError, TypeError):
        return False
