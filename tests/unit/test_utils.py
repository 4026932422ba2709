"""Mailman/Utils.py: list names, list existence, atomic writes, site passwords.

The list name is used as a directory name under lists/ and archives/, so
2.1 refuses anything outside ACCEPTABLE_LISTNAME_CHARACTERS (list_exists
logs such names as mischief).  adm.pw and creator.pw hold the site and list
creator passwords: 2.1 wrote unsalted SHA-1 hex digests with umask 026
(0640); we write salted hashes and upgrade the old ones on login.
"""

import hashlib
import os
import shutil
import stat

import pytest
from passlib.registry import get_crypt_handler

from Mailman import Passwords
from Mailman import Utils
from Mailman import mm_cfg


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ---------------------------------------------------------------- list names
@pytest.mark.parametrize('name', ['test-list', 'a.b', 'x_y+z=1', 'a', 'list2'])
def test_valid_list_name_accepts(name):
    """Names made of ACCEPTABLE_LISTNAME_CHARACTERS are list names."""
    assert Utils.valid_list_name(name)


@pytest.mark.parametrize('name', [
    '', '.hidden', '..', '../etc', 'a/b', '/abs', 'a b', ' lead', 'trail ',
    'café', 'a\x00b', 'a\nb', 'a\\b', 'a:b', 'a@b', 'a;b', 'a*'])
def test_valid_list_name_refuses(name):
    """Empty names, dot files, path separators, spaces, NUL and non-ASCII
    letters are refused: they would walk or confuse the file system."""
    assert not Utils.valid_list_name(name)


def test_valid_list_name_refuses_unicode_case_folds():
    """ACCEPTABLE_LISTNAME_CHARACTERS is ASCII: non-ASCII letters that
    Unicode case-folds onto a-z (long s, Kelvin sign, dotless i) are not
    acceptable list name characters either."""
    names = ['\u017f', '\u212a', '\u0131', 'li\u017ft', 'test-\u212aist']
    accepted = [name for name in names if Utils.valid_list_name(name)]
    assert accepted == []


def test_valid_list_name_length_limit(monkeypatch):
    """MAX_LISTNAME_LENGTH, when non-zero, caps the length; 0 leaves only
    the cap a lock file's name needs (LONGEST_LIST_NAME)."""
    monkeypatch.setattr(mm_cfg, 'MAX_LISTNAME_LENGTH', 5, raising=False)
    assert Utils.valid_list_name('abcde')
    assert not Utils.valid_list_name('abcdef')
    monkeypatch.setattr(mm_cfg, 'MAX_LISTNAME_LENGTH', 0)
    assert Utils.valid_list_name('a' * Utils.LONGEST_LIST_NAME)
    assert not Utils.valid_list_name('a' * (Utils.LONGEST_LIST_NAME + 1))
    monkeypatch.setattr(mm_cfg, 'MAX_LISTNAME_LENGTH', 1000)
    assert not Utils.valid_list_name('a' * 200)


# ---------------------------------------------------------------- lists on disk
@pytest.fixture
def make_list():
    """Create lists/<name>/<file>; everything made is removed afterwards."""
    made = []

    def make(name, filename='config.pck'):
        directory = os.path.join(mm_cfg.LIST_DATA_DIR, name)
        if not os.path.exists(directory):
            os.makedirs(directory)
            made.append(directory)
        if filename:
            with open(os.path.join(directory, filename), 'wb') as f:
                f.write(b'not really a pickle')
        return directory

    yield make
    for directory in made:
        shutil.rmtree(directory, ignore_errors=True)


def test_list_exists_missing_list():
    """A list with no lists/<name>/ directory does not exist."""
    assert not Utils.list_exists('no-such-list')


def test_list_exists_needs_config_file(make_list):
    """The directory alone is not a list; config.pck makes it one."""
    directory = make_list('half-made', filename=None)
    assert not Utils.list_exists('half-made')
    with open(os.path.join(directory, 'config.pck'), 'wb') as f:
        f.write(b'x')
    assert Utils.list_exists('half-made')


@pytest.mark.parametrize('filename', ['config.pck.last', 'config.db',
                                      'config.db.last'])
def test_list_exists_with_other_config_files(make_list, filename):
    """2.1 also counts config.pck.last and the old config.db files."""
    make_list('other-config', filename=filename)
    assert Utils.list_exists('other-config')


def test_list_exists_case_insensitive(make_list):
    """List names are matched without regard to case."""
    make_list('mixed-case')
    assert Utils.list_exists('mixed-case')
    assert Utils.list_exists('Mixed-Case')
    assert Utils.list_exists('MIXED-CASE')


@pytest.mark.parametrize('name', ['../lists', '..', '.', '', None,
                                  '../data', 'a/../b'])
def test_list_exists_refuses_hostile_names(name):
    """Names that are not valid list names never exist, even when the path
    they spell does (lists/../lists is a directory)."""
    assert not Utils.list_exists(name)


def test_list_exists_hostile_name_with_config_present(make_list):
    """A config.pck reachable through '..' does not make a list."""
    make_list('target')
    assert Utils.list_exists('target')
    assert not Utils.list_exists('../lists/target')
    assert not Utils.list_exists('x/../target')


def test_list_names(make_list):
    """list_names() gives the existing lists, sorted, and nothing else."""
    make_list('zeta')
    make_list('alpha')
    make_list('mid', filename='config.pck.last')
    make_list('no-config', filename=None)
    stray = os.path.join(mm_cfg.LIST_DATA_DIR, 'stray-file')
    with open(stray, 'w') as f:
        f.write('x')
    try:
        assert Utils.list_names() == ['alpha', 'mid', 'zeta']
    finally:
        os.unlink(stray)


# ---------------------------------------------------------------- atomic writes
def test_write_file_atomically_bytes(tmp_path):
    """Bytes are written as they are."""
    path = tmp_path / 'data.bin'
    Utils.write_file_atomically(str(path), b'\x00\xffbytes\n')
    assert path.read_bytes() == b'\x00\xffbytes\n'


def test_write_file_atomically_str(tmp_path):
    """Text is written as UTF-8."""
    path = tmp_path / 'data.txt'
    Utils.write_file_atomically(str(path), 'café\n')
    assert path.read_bytes() == 'café\n'.encode('utf-8')


def test_write_file_atomically_mode(tmp_path):
    """The mode asked for is the mode the file gets, whatever the umask;
    the default is 0660 (2.1's umask 007 for shared data files)."""
    old_umask = os.umask(0o077)
    try:
        Utils.write_file_atomically(str(tmp_path / 'a'), b'a', 0o640)
        Utils.write_file_atomically(str(tmp_path / 'b'), b'b', mode=0o604)
        Utils.write_file_atomically(str(tmp_path / 'c'), b'c')
    finally:
        os.umask(old_umask)
    assert _mode(tmp_path / 'a') == 0o640
    assert _mode(tmp_path / 'b') == 0o604
    assert _mode(tmp_path / 'c') == 0o660


def test_write_file_atomically_replaces_and_leaves_no_temporaries(tmp_path):
    """An existing file is replaced (new inode, new mode, new contents) and
    only the target is left in the directory."""
    path = tmp_path / 'config'
    path.write_bytes(b'old contents that are longer than the new ones')
    os.chmod(path, 0o600)
    old_inode = os.stat(path).st_ino
    Utils.write_file_atomically(str(path), b'new', 0o660)
    assert path.read_bytes() == b'new'
    assert _mode(path) == 0o660
    assert os.stat(path).st_ino != old_inode
    assert sorted(os.listdir(tmp_path)) == ['config']


def test_write_file_atomically_failure_keeps_old_file(tmp_path):
    """If writing fails, the old file is intact and no temporary is left."""
    path = tmp_path / 'config'
    path.write_bytes(b'old')
    with pytest.raises(TypeError):
        Utils.write_file_atomically(str(path), 12345)
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['config']


# ---------------------------------------------------------------- site passwords
@pytest.fixture
def pw_files():
    """adm.pw and creator.pw absent before the test, removed after it."""
    paths = {True: mm_cfg.SITE_PW_FILE, False: mm_cfg.LISTCREATOR_PW_FILE}
    for path in paths.values():
        assert os.path.dirname(path) == mm_cfg.DATA_DIR
        if os.path.exists(path):
            os.unlink(path)
    yield paths
    for path in paths.values():
        if os.path.exists(path):
            os.unlink(path)


def _read(path):
    with open(path) as f:
        return f.read()


@pytest.mark.parametrize('siteadmin', [True, False],
                         ids=['adm.pw', 'creator.pw'])
def test_set_and_check_global_password(pw_files, siteadmin):
    """set_global_password writes a salted hash, mode 0640, into adm.pw
    (siteadmin) or creator.pw; check_global_password accepts the password
    and refuses others."""
    path = pw_files[siteadmin]
    other = pw_files[not siteadmin]
    Utils.set_global_password('s3cret', siteadmin=siteadmin)
    assert os.path.exists(path)
    assert not os.path.exists(other)
    assert _mode(path) == 0o640
    stored = _read(path).strip()
    assert 's3cret' not in stored
    assert Passwords.is_hashed(stored)
    assert stored != hashlib.sha1(b's3cret').hexdigest()
    assert Utils.check_global_password('s3cret', siteadmin=siteadmin)
    assert not Utils.check_global_password('wrong', siteadmin=siteadmin)
    assert not Utils.check_global_password('', siteadmin=siteadmin)
    # The other password file is separate and still unset.
    assert not Utils.check_global_password('s3cret', siteadmin=not siteadmin)
    # A correct login on a current hash does not rewrite the file.
    assert _read(path).strip() == stored


def test_set_global_password_replaces(pw_files):
    """Setting the password again replaces the old one."""
    Utils.set_global_password('first')
    Utils.set_global_password('second')
    assert Utils.check_global_password('second')
    assert not Utils.check_global_password('first')
    assert _mode(pw_files[True]) == 0o640


@pytest.mark.parametrize('siteadmin', [True, False],
                         ids=['adm.pw', 'creator.pw'])
def test_missing_password_file_refuses(pw_files, siteadmin):
    """With no adm.pw / creator.pw, no password is accepted."""
    assert not Utils.check_global_password('', siteadmin=siteadmin)
    assert not Utils.check_global_password('anything', siteadmin=siteadmin)


def test_empty_password_file_refuses(pw_files):
    """An empty adm.pw accepts nothing, not even the empty password."""
    with open(pw_files[True], 'w') as f:
        f.write('\n')
    assert not Utils.check_global_password('')
    assert not Utils.check_global_password('x')


@pytest.mark.parametrize('siteadmin', [True, False],
                         ids=['adm.pw', 'creator.pw'])
def test_21_sha1_password_file_is_upgraded(pw_files, siteadmin):
    """A 2.1 adm.pw / creator.pw (sha.new(pw).hexdigest() + newline) is
    accepted, then rewritten as a salted hash in the current scheme, mode
    0640, that still verifies."""
    path = pw_files[siteadmin]
    old = hashlib.sha1(b'legacy-pw').hexdigest()
    with open(path, 'w') as f:
        f.write(old + '\n')
    os.chmod(path, 0o640)

    # A wrong password neither logs in nor touches the file.
    assert not Utils.check_global_password('wrong', siteadmin=siteadmin)
    assert _read(path) == old + '\n'

    assert Utils.check_global_password('legacy-pw', siteadmin=siteadmin)
    new = _read(path).strip()
    assert new != old
    assert get_crypt_handler(mm_cfg.PASSWORD_HASH_SCHEME).identify(new)
    assert 'pbkdf2' in new
    assert _mode(path) == 0o640
    assert Passwords.verify('legacy-pw', new) == (True, None)

    # The upgraded file keeps working and is not rewritten again.
    assert Utils.check_global_password('legacy-pw', siteadmin=siteadmin)
    assert _read(path).strip() == new
    assert not Utils.check_global_password('wrong', siteadmin=siteadmin)


# ------------------------------------------------------------------ to_dollar
@pytest.mark.parametrize('percent, dollar', [
    ('', ''),
    ('%(real_name)s list', '${real_name} list'),
    ('%(real_name)sX', '${real_name}X'),
    ('50%% off, $5 and $name', '50% off, $$5 and $$name'),
    ('%(a)s%%(b)s', '${a}%(b)s'),
    ('100% sure %(x)d', '100% sure %(x)d'),
])
def test_to_dollar(percent, dollar):
    assert Utils.to_dollar(percent) == dollar


def test_to_dollar_reads_as_the_percent_form_did():
    import string
    text = ('%(real_name)s at %(host_name)s: 50%% off, $5, ${x} $$\n'
            '%(web_page_url)slistinfo%(cgiext)s/%(_internal_name)s\n')
    values = {'real_name': 'R', 'host_name': 'H', 'web_page_url': 'U/',
              'cgiext': '', '_internal_name': 'n', 'x': 'no'}
    converted = string.Template(Utils.to_dollar(text)).safe_substitute(values)
    assert converted == text % values
