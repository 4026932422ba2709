"""Mailman/Py2Marshal.py, and lists that still keep a 2.0 config.db.

The fixtures in tests/data/py2marshal/ were written by a real Python 2.7
(make_fixtures.py there) with marshal format versions 0, 1 and 2;
expected.json holds the values a correct reader produces.
"""

import json
import marshal
import os
import pickle
import random
import shutil
import uuid
from pathlib import Path

import pytest

from Mailman import Py2Marshal
from Mailman.Py2Marshal import Py2MarshalError

DATA = Path(__file__).resolve().parents[1] / 'data' / 'py2marshal'
EXPECTED = json.loads((DATA / 'expected.json').read_text(encoding='utf-8'))
VERSIONS = [0, 1, 2]


def fixture(name, version):
    return (DATA / f'{name}-m{version}.db').read_bytes()


def as_json(value):
    """VALUE with tuples as lists, as expected.json holds it."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(item) for item in value]
    return value


# ------------------------------------------------------------- the reader

@pytest.mark.parametrize('version', VERSIONS)
def test_config_fixture_loads(version):
    state = Py2Marshal.loads(fixture('config-v21', version))
    assert as_json(state) == EXPECTED['config-v21']
    assert all(type(key) is str for key in state)
    assert state['description'] == 'Liste f\u00fcr Caf\u00e9-Freunde'
    assert state['welcome_msg'] == 'Willkommen, sch\u00f6n dass du da bist!'
    assert state['info'] == 'Caf\u00e9 talk \u2013 since 1999'
    assert state['passwords']['carol@example.net'] == 'car\u00f6lpw'
    assert state['bounce_info'] == {
        'bob.smith@example.org': [1009000000.0, 40, 41]}


@pytest.mark.parametrize('version', VERSIONS)
def test_misc_fixture_loads(version):
    value = Py2Marshal.loads(fixture('misc', version))
    assert value.pop('set') == {'a', 'b'}
    assert value.pop('frozenset') == frozenset({1, 2})
    assert type(value['tuple']) is tuple and type(value['tuple'][2]) is tuple
    assert value.pop(1) == 'int key'
    assert value.pop((1, 'x')) == 'tuple key'
    assert value.pop('long') == 123456789012345678901234567890
    assert value.pop('negative_long') == -98765432109876543210
    assert value['int64'] == 4102444800
    assert value['empty'] == ((), [], {}, '')
    assert value['latin1_interned'] == ['caf\u00e9', 'caf\u00e9']
    assert value['unicode'] == '\u65e5\u672c \U0001f600'
    assert as_json(value) == EXPECTED['misc']


def test_versions_differ_in_encoding_but_not_in_value():
    # The fixtures really differ: interned strings from version 1 on.
    interned = []
    for version in VERSIONS:
        reader = Py2Marshal._Reader(fixture('misc', version), None)
        reader.read()
        interned.append(len(reader.interned))
    assert interned[0] == 0 and interned[1] > 0 and interned[2] > 0
    loaded = [Py2Marshal.loads(fixture('misc', v)) for v in VERSIONS]
    assert loaded[0] == loaded[1] == loaded[2]
    assert len({fixture('misc', v) for v in VERSIONS}) == 3


def test_python3_marshal_is_no_substitute():
    # Why the module exists: Python 3's marshal gives Python 2 strings back
    # as bytes (version 0) and cannot read string references (version 1+).
    old = marshal.loads(fixture('config-v21', 0))
    assert b'real_name' in old and old[b'real_name'] == b'Oldies'
    with pytest.raises(ValueError):
        marshal.loads(fixture('config-v21', 1))


def test_charset_hint_decodes_non_utf8_bytes():
    data = b's\x03\x00\x00\x00\xb1\xb6x'
    assert Py2Marshal.loads(data) == '\u00b1\u00b6x'
    assert Py2Marshal.loads(data, charset_hint='iso-8859-2') == '\u0105\u015bx'
    # UTF-8 wins over the hint; a hint that cannot decode falls back.
    assert Py2Marshal.loads(b's\x02\x00\x00\x00\xc3\xa9',
                            charset_hint='iso-8859-2') == '\u00e9'
    assert Py2Marshal.loads(data, charset_hint='no-such-codec') == \
        '\u00b1\u00b6x'


def test_interned_references():
    # ['ab', <ref 0>, 'cd' interned, <ref 1>]
    data = (b'[\x04\x00\x00\x00t\x02\x00\x00\x00abR\x00\x00\x00\x00'
            b't\x02\x00\x00\x00cdR\x01\x00\x00\x00')
    assert Py2Marshal.loads(data) == ['ab', 'ab', 'cd', 'cd']


def test_code_objects_are_refused():
    with pytest.raises(Py2MarshalError, match='code objects'):
        Py2Marshal.loads((DATA / 'code.marshal').read_bytes())
    # Also when hidden inside a list's state.
    data = b'{s\x01\x00\x00\x00x' + (DATA / 'code.marshal').read_bytes() + \
        b'0'
    with pytest.raises(Py2MarshalError, match='code objects'):
        Py2Marshal.loads(data)


@pytest.mark.parametrize('data, message', [
    (b'S', 'StopIteration'),
    (b'.', 'Ellipsis'),
    (b'?', 'unmarshallable'),
    (b'0', 'NULL outside a dict'),
    (b'[\x01\x00\x00\x000', 'NULL outside a dict'),
    (b'Z', 'unknown marshal type code'),
    (b'r\x00\x00\x00\x00', 'unknown marshal type code'),   # Python 3 only
    (b'\xe9\x01\x00\x00\x00', 'unknown marshal type code'),
    (b'', 'no marshal data'),
])
def test_unknown_and_refused_types(data, message):
    with pytest.raises(Py2MarshalError, match=message):
        Py2Marshal.loads(data)


@pytest.mark.parametrize('name', ['config-v21', 'misc'])
@pytest.mark.parametrize('version', VERSIONS)
def test_every_truncation_is_an_error(name, version):
    data = fixture(name, version)
    for end in range(len(data)):
        with pytest.raises(Py2MarshalError):
            Py2Marshal.loads(data[:end])


@pytest.mark.parametrize('data, message', [
    (b'Nx', 'trailing data'),
    (b's\xff\xff\xff\x7fabc', 'truncated'),          # forged length
    (b's\xff\xff\xff\xff', 'negative'),
    (b'(\xff\xff\xff\x7fN', 'truncated'),
    (b'[\x00\x00\x00\x80', 'negative'),
    (b'l\xff\xff\xff\x7f\x01\x00', 'truncated'),
    (b'l\x01\x00\x00\x00\x00\x80', 'bad digit'),
    (b'R\x00\x00\x00\x00', 'out of range'),
    (b'[\x02\x00\x00\x00t\x01\x00\x00\x00aR\x01\x00\x00\x00', 'out of range'),
    (b'{[\x00\x00\x00\x00N0', 'unhashable list'),
    (b'<\x01\x00\x00\x00[\x00\x00\x00\x00', 'unhashable'),
    (b'f\x03abc', 'bad float'),
    (b'f\x04 1.5', 'bad float'),
    (b'f\x031_0', 'bad float'),
    (b'u\x02\x00\x00\x00\xc3(', 'bad UTF-8'),
])
def test_malformed_data(data, message):
    with pytest.raises(Py2MarshalError, match=message):
        Py2Marshal.loads(data)


def test_float_texts_python2_wrote():
    def text_float(text):
        return b'f' + bytes([len(text)]) + text
    assert Py2Marshal.loads(text_float(b'-1.5e-07')) == -1.5e-07
    assert Py2Marshal.loads(text_float(b'inf')) == float('inf')
    assert Py2Marshal.loads(text_float(b'-inf')) == float('-inf')
    value = Py2Marshal.loads(text_float(b'nan'))
    assert value != value


def test_nesting_is_bounded():
    depth = Py2Marshal.MAX_DEPTH
    deep_ok = b'[\x01\x00\x00\x00' * depth + b'N'
    value = Py2Marshal.loads(deep_ok)
    for _ in range(depth):
        value = value[0]
    assert value is None
    too_deep = b'[\x01\x00\x00\x00' * (depth + 1) + b'N'
    with pytest.raises(Py2MarshalError, match='nested deeper'):
        Py2Marshal.loads(too_deep)
    # Far beyond Python's recursion limit: still a clean error.
    with pytest.raises(Py2MarshalError, match='nested deeper'):
        Py2Marshal.loads(b'{s\x01\x00\x00\x00k' * 100000 + b'N')


def test_damaged_fixtures_only_raise_py2marshalerror():
    rng = random.Random(2026)
    data = bytearray(fixture('config-v21', 1))
    for _ in range(3000):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            value = Py2Marshal.loads(bytes(damaged))
        except Py2MarshalError:
            continue
        assert value is None or isinstance(
            value, (dict, list, tuple, set, frozenset, str, int, float,
                    complex))


def test_needs_bytes_and_reads_files(tmp_path):
    with pytest.raises(TypeError):
        Py2Marshal.loads('N')
    path = tmp_path / 'config.db'
    path.write_bytes(fixture('config-v21', 2))
    with open(path, 'rb') as f:
        assert Py2Marshal.load(f)['real_name'] == 'Oldies'


# -------------------------------------------- lists that keep config.db

@pytest.fixture
def old_list():
    """A list directory holding only a Mailman 2.0 config.db."""
    from Mailman import mm_cfg
    name = 'old20-' + uuid.uuid4().hex[:10]
    directory = Path(mm_cfg.LIST_DATA_DIR) / name
    directory.mkdir(parents=True)
    try:
        yield name, directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize('version', VERSIONS)
def test_list_with_only_config_db_loads_upgrades_and_saves(old_list, version):
    from Mailman import mm_cfg
    from Mailman.MailList import MailList
    from Mailman.MemberAdaptor import UNKNOWN, ENABLED
    from Mailman.Version import DATA_FILE_VERSION
    name, directory = old_list
    original = fixture('config-v21', version)
    (directory / 'config.db').write_bytes(original)

    m = MailList(name)                 # locked: loads and upgrades
    try:
        assert m.data_version == DATA_FILE_VERSION
        assert m.real_name == 'Oldies'
        assert m.description == 'Liste f\u00fcr Caf\u00e9-Freunde'
        assert sorted(m.getRegularMemberKeys()) == [
            'alice@example.com', 'bob.smith@example.org', 'dave@example.com']
        assert m.getDigestMemberKeys() == ['carol@example.net']
        assert m.getMemberCPAddress('bob.smith@example.org') == \
            'Bob.Smith@example.org'
        # Clear-text passwords are hashes now, and still work.
        assert all(value.startswith('$pbkdf2-sha256$')
                   for value in m.passwords.values())
        assert m.authenticateMember('alice@example.com', 'alicepw')
        assert m.authenticateMember('carol@example.net', 'car\u00f6lpw')
        assert not m.authenticateMember('alice@example.com', 'bobpw')
        # 2.0's nomail bit became a delivery status; other bits stay.
        assert m.getDeliveryStatus('dave@example.com') == UNKNOWN
        assert 'dave@example.com' not in m.user_options
        assert m.getDeliveryStatus('alice@example.com') == ENABLED
        assert m.getMemberOption('bob.smith@example.org',
                                 mm_cfg.AcknowledgePosts)
        # 2.0's bounce records (plain lists) are gone, as in 2.1.
        assert m.bounce_info == {}
        # Attributes 2.0 never had have their defaults.
        assert m.preferred_language == mm_cfg.DEFAULT_SERVER_LANGUAGE
        assert 'friend@example.org' in m.accept_these_nonmembers
        m.Save()
    finally:
        m.Unlock()

    saved = (directory / 'config.pck').read_bytes()
    assert saved[:2] == b'\x80\x04'
    assert b'alicepw' not in saved
    state = pickle.loads(saved)
    assert state['data_version'] == DATA_FILE_VERSION
    # config.db stays as it was, as 2.1 left it.
    assert (directory / 'config.db').read_bytes() == original
    # From now on config.pck is what loads.
    (directory / 'config.db').write_bytes(b'damaged')
    again = MailList(name, lock=0)
    assert again.authenticateMember('dave@example.com', 'davepw')
    assert again.getDeliveryStatus('dave@example.com') == UNKNOWN


def test_config_db_last_is_the_fallback(old_list):
    from Mailman.MailList import MailList
    from unithelp import log_text
    name, directory = old_list
    (directory / 'config.db').write_bytes(fixture('config-v21', 1)[:100])
    (directory / 'config.db.last').write_bytes(fixture('config-v21', 1))
    m = MailList(name, lock=0)
    assert m.real_name == 'Oldies'
    assert m.authenticateMember('alice@example.com', 'alicepw')
    log = log_text('error')
    assert f'{name}/config.db: cannot be read: marshal data is truncated' \
        in log
    assert 'loaded the Mailman 2.0 file' in log
    # Reading repairs nothing: both files are as they were.
    assert len((directory / 'config.db').read_bytes()) == 100
    assert not (directory / 'config.pck').exists()


def test_damaged_config_db_is_a_corrupt_list(old_list):
    from Mailman import Errors
    from Mailman.MailList import MailList
    name, directory = old_list
    (directory / 'config.db').write_bytes(
        b'{s\x01\x00\x00\x00x' + (DATA / 'code.marshal').read_bytes() + b'0')
    with pytest.raises(Errors.MMCorruptListDatabaseError,
                       match='code objects are refused'):
        MailList(name, lock=0)
    (directory / 'config.db').write_bytes(b'[\x00\x00\x00\x00')
    with pytest.raises(Errors.MMCorruptListDatabaseError,
                       match='not a list state'):
        MailList(name, lock=0)


def test_config_db_never_replaces_a_pickle(old_list):
    """Once config.pck exists, even a damaged one, the years-old config.db
    is not a fallback: loading it would silently undo later changes."""
    from Mailman import Errors
    from Mailman.MailList import MailList
    name, directory = old_list
    (directory / 'config.db').write_bytes(fixture('config-v21', 2))
    (directory / 'config.pck').write_bytes(b'\x80\x04garbage')
    with pytest.raises(Errors.MMCorruptListDatabaseError):
        MailList(name, lock=0)
    os.unlink(directory / 'config.pck')
    assert MailList(name, lock=0).real_name == 'Oldies'
