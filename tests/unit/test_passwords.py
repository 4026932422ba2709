"""Mailman/Passwords.py: salted hashes, and 2.1's old hashes verified and upgraded.

Mailman 2.1 stored site, creator and list passwords as unsalted SHA-1 hex
digests (older lists: the raw MD5 digest, or crypt()).  Those must still
log in, and verify() must hand back a replacement in the current scheme so
the caller can upgrade the stored hash.
"""

import hashlib

import pytest
from passlib.hash import des_crypt, md5_crypt
from passlib.registry import get_crypt_handler

from Mailman import Passwords
from Mailman import mm_cfg

PASSWORD = 'correct horse'
NON_ASCII = 'pässwörd-€-密码'


def _in_current_scheme(value):
    handler = get_crypt_handler(mm_cfg.PASSWORD_HASH_SCHEME)
    return handler.identify(value)


def _assert_upgraded(password, stored):
    """STORED verifies for PASSWORD and comes back with a replacement in the
    current scheme, which verifies in turn and needs no further upgrade."""
    ok, replacement = Passwords.verify(password, stored)
    assert ok is True
    assert replacement is not None
    assert _in_current_scheme(replacement)
    assert Passwords.verify(password, replacement) == (True, None)
    assert Passwords.verify(password + 'x', replacement) == (False, None)


# ---------------------------------------------------------------- new hashes
def test_hash_is_salted():
    """Two hashes of one password differ (salted, unlike 2.1's SHA-1)."""
    first = Passwords.hash_password(PASSWORD)
    second = Passwords.hash_password(PASSWORD)
    assert first != second
    assert PASSWORD not in first
    assert _in_current_scheme(first) and _in_current_scheme(second)


def test_hash_verifies_and_wrong_password_is_refused():
    """verify() accepts the password and refuses any other."""
    stored = Passwords.hash_password(PASSWORD)
    assert Passwords.verify(PASSWORD, stored)[0] is True
    assert Passwords.verify('wrong', stored) == (False, None)
    assert Passwords.verify('', stored) == (False, None)
    assert Passwords.verify(PASSWORD.upper(), stored) == (False, None)


def test_current_scheme_needs_no_replacement():
    """A hash already in the current scheme verifies with no replacement."""
    stored = Passwords.hash_password(PASSWORD)
    assert Passwords.verify(PASSWORD, stored) == (True, None)


# ---------------------------------------------------------------- 2.1 hashes
def test_sha1_hex_digest_from_21_is_upgraded():
    """2.1's unsalted sha.new(pw).hexdigest() verifies and is replaced."""
    stored = hashlib.sha1(PASSWORD.encode()).hexdigest()
    _assert_upgraded(PASSWORD, stored)
    assert Passwords.verify('wrong', stored) == (False, None)


def test_raw_md5_digest_is_upgraded():
    """The raw 16-byte MD5 digest of very old lists, read from a Python 2
    pickle as 16 latin-1 characters, verifies and is replaced."""
    stored = hashlib.md5(PASSWORD.encode()).digest().decode('latin-1')
    assert len(stored) == 16
    _assert_upgraded(PASSWORD, stored)
    assert Passwords.verify('wrong', stored) == (False, None)


@pytest.mark.parametrize('handler', [md5_crypt, des_crypt],
                         ids=['md5_crypt', 'des_crypt'])
def test_crypt_hashes_are_upgraded(handler):
    """crypt() hashes (md5_crypt, des_crypt) verify and are replaced."""
    stored = handler.hash(PASSWORD)
    _assert_upgraded(PASSWORD, stored)
    assert Passwords.verify('wrong', stored) == (False, None)


# ---------------------------------------------------------------- odd inputs
@pytest.mark.parametrize('stored', ['', None, b''])
def test_empty_stored_value_never_matches(stored):
    """No stored password means no login, not an open door."""
    assert Passwords.verify('', stored) == (False, None)
    assert Passwords.verify(PASSWORD, stored) == (False, None)


def test_garbage_stored_value_is_refused():
    """Something that is no known hash is refused, without an exception."""
    assert Passwords.verify(PASSWORD, 'not a hash at all') == (False, None)
    assert Passwords.verify(PASSWORD, PASSWORD) == (False, None)


def test_bytes_stored_values():
    """Hashes read back as bytes (Python 2 pickles) verify like text."""
    current = Passwords.hash_password(PASSWORD).encode('ascii')
    assert Passwords.verify(PASSWORD, current) == (True, None)
    assert Passwords.verify('wrong', current) == (False, None)
    sha1 = hashlib.sha1(PASSWORD.encode()).hexdigest().encode('ascii')
    _assert_upgraded(PASSWORD, sha1)
    raw_md5 = hashlib.md5(PASSWORD.encode()).digest()
    _assert_upgraded(PASSWORD, raw_md5)
    assert Passwords.verify('wrong', raw_md5) == (False, None)


def test_non_ascii_passwords():
    """Non-ASCII passwords hash and verify (UTF-8), old forms included."""
    stored = Passwords.hash_password(NON_ASCII)
    assert Passwords.verify(NON_ASCII, stored) == (True, None)
    assert Passwords.verify(NON_ASCII[:-1], stored) == (False, None)
    _assert_upgraded(NON_ASCII,
                     hashlib.sha1(NON_ASCII.encode('utf-8')).hexdigest())
    _assert_upgraded(NON_ASCII, hashlib.md5(NON_ASCII.encode('utf-8'))
                     .digest().decode('latin-1'))
    _assert_upgraded(NON_ASCII, md5_crypt.hash(NON_ASCII))


# ---------------------------------------------------------------- is_hashed
def test_is_hashed():
    """is_hashed() recognises current and 2.1 hashes, not plain text."""
    assert Passwords.is_hashed(Passwords.hash_password(PASSWORD))
    assert Passwords.is_hashed(hashlib.sha1(PASSWORD.encode()).hexdigest())
    assert Passwords.is_hashed(md5_crypt.hash(PASSWORD))
    assert Passwords.is_hashed(des_crypt.hash(PASSWORD))
    assert not Passwords.is_hashed(PASSWORD)
    assert not Passwords.is_hashed('secret')
    assert not Passwords.is_hashed('')
    assert not Passwords.is_hashed(None)
