"""Mailman/Py2Pickle.py: loading 2.1's Python 2 pickles, safely.

The fixtures in tests/data/py2pickles/ were written by a real Python 2.7
(make_fixtures.py there), with cPickle protocols 0, 1 and 2, and
expected.json holds the values a correct loader produces.  Class checks
look at attributes only, so they hold whether Mailman.Bouncer and
Mailman.UserDesc provide the real classes or LegacyObject stands in.
"""

import datetime
import email.message
import hashlib
import io
import json
import os
import pickle
import random
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest

from Mailman import Py2Pickle
from Mailman.Py2Pickle import LegacyObject

DATA = Path(__file__).resolve().parents[1] / 'data' / 'py2pickles'
EXPECTED = json.loads((DATA / 'expected.json').read_text(encoding='utf-8'))
PROTOCOLS = EXPECTED['protocols']
FIXTURES = ['config-v112', 'config-v87', 'request', 'pending', 'message',
            'message-email3', 'misc']


def fixture_path(name, proto):
    return DATA / ('%s-p%d.pck' % (name, proto))


def load_fixture(name, proto, **kws):
    with open(fixture_path(name, proto), 'rb') as fp:
        return Py2Pickle.load(fp, **kws)


def plain(value):
    """VALUE with tuples as lists, to compare against JSON."""
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def no_byte_strings(value, seen=None):
    """True if no bytes hide anywhere in VALUE (keys, containers, objects)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return True
    seen.add(id(value))
    if isinstance(value, (bytes, bytearray)):
        return False
    if isinstance(value, dict):
        return all(no_byte_strings(k, seen) and no_byte_strings(v, seen)
                   for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(no_byte_strings(item, seen) for item in value)
    state = getattr(value, '__dict__', None)
    if isinstance(state, dict) and not isinstance(value, type):
        return no_byte_strings(state, seen)
    return True


@contextmanager
def time_limit(seconds):
    """Fail instead of hanging."""
    def expire(signum, frame):
        raise AssertionError('loading took more than %d seconds' % seconds)
    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# ---------------------------------------------------------------------------
# Every fixture, every protocol

@pytest.mark.parametrize('proto', PROTOCOLS)
@pytest.mark.parametrize('name', FIXTURES)
def test_every_fixture_loads_without_bytes(name, proto):
    assert fixture_path(name, proto).stat().st_size < 50 * 1024
    obj = load_fixture(name, proto)
    assert no_byte_strings(obj)


@pytest.mark.parametrize('proto', PROTOCOLS)
def test_loads_matches_load(proto):
    data = fixture_path('config-v112', proto).read_bytes()
    assert plain(Py2Pickle.loads(data)['members']) == \
        plain(load_fixture('config-v112', proto)['members'])


def test_the_fixtures_use_the_protocols_they_claim():
    # Protocol 2 starts with PROTO 2; 0 is text; 1 uses binary opcodes.
    assert fixture_path('config-v112', 2).read_bytes()[:2] == b'\x80\x02'
    text = fixture_path('config-v112', 0).read_bytes()
    assert text[:1] == b'(' and b"S'members'" in text
    binary = fixture_path('config-v112', 1).read_bytes()
    assert binary[:1] == b'}' and b'U\x07members' in binary


# ---------------------------------------------------------------------------
# config.pck

@pytest.mark.parametrize('proto', PROTOCOLS)
def test_config_v112_keys_and_types(proto):
    expected = EXPECTED['config-v112']
    state = load_fixture('config-v112', proto)
    assert len(state) == 145
    assert {k: type(v).__name__ for k, v in state.items()} == \
        expected['types']
    for key, value in expected['values'].items():
        assert plain(state[key]) == value, key


@pytest.mark.parametrize('proto', PROTOCOLS)
def test_config_v112_member_data(proto):
    state = load_fixture('config-v112', proto)
    assert state['data_version'] == 112
    assert state['members']['bob.smith@example.org'] == \
        'Bob.Smith@Example.org'
    assert state['members']['alice@example.com'] == 0
    assert set(state['digest_members']) == {'digest.reader@example.com'}
    assert state['passwords']['alice@example.com'] == 'alicepw'
    assert state['user_options'] == {'bob.smith@example.org': 258,
                                     'digest.reader@example.com': 264}
    # UTF-8 bytes, a Python 2 unicode value, and ASCII.
    assert state['usernames']['jose@example.net'] == 'José García'
    assert state['usernames']['mueller@example.de'] == 'Müller'
    assert state['usernames']['alice@example.com'] == 'Alice Example'
    assert state['password'] == hashlib.sha1(b'listpass').hexdigest()
    assert isinstance(state['created_at'], float)
    assert state['hold_and_cmd_autoresponses'] == {
        'stranger@example.com': ((2024, 3, 14), 2)}
    assert state['topics'] == [('Ham', 'ham|eggs', 'Ham and eggs', False)]
    assert state['delivery_status'] == {'jose@example.net':
                                        (4, 1710500000.5)}


@pytest.mark.parametrize('proto', PROTOCOLS)
def test_config_v112_bounce_info(proto):
    state = load_fixture('config-v112', proto)
    expected = EXPECTED['config-v112']['bounce_info']
    assert set(state['bounce_info']) == set(expected)
    for address, attrs in expected.items():
        info = state['bounce_info'][address]
        for name, value in attrs.items():
            assert plain(getattr(info, name)) == value, (address, name)
        # The date stays a tuple, as Bouncer compares it with one.
        assert isinstance(info.date, tuple)
    assert state['bounce_info']['jose@example.net'].score == 5.0


@pytest.mark.parametrize('proto', PROTOCOLS)
def test_latin1_description_with_and_without_hint(proto):
    expected = EXPECTED['config-v112']
    hinted = load_fixture('config-v112', proto,
                          charset_hint=expected['charset_hint'])
    assert hinted['description'] == expected['description_text'] == \
        'Liste für Café-Freunde'
    assert hinted['info'] == expected['info_text']
    # Without a hint, Latin-1 is the fallback: same text, nothing lost.
    bare = load_fixture('config-v112', proto)
    assert bare['description'] == expected['description_text']
    assert bare['description'].encode('latin-1') == \
        bytes.fromhex(expected['description_bytes_hex'])
    # A hint never overrides valid UTF-8, nor touches unicode values.
    assert hinted['usernames']['jose@example.net'] == 'José García'
    assert hinted['usernames']['mueller@example.de'] == 'Müller'


@pytest.mark.parametrize('proto', PROTOCOLS)
def test_config_v87_older_list(proto):
    expected = EXPECTED['config-v87']
    state = load_fixture('config-v87', proto)
    assert {k: type(v).__name__ for k, v in state.items()} == \
        expected['types']
    for key in expected['missing']:
        assert key not in state
    for key, value in expected['values'].items():
        assert plain(state[key]) == value, key
    assert state['data_version'] == 87
    assert state['usernames']['francois@example.fr'] == 'François'
    assert state['description'] == expected['description_text']
    # Flags were ints in those days; they stay ints.
    assert state['archive'] == 1 and type(state['archive']) is int


@pytest.mark.parametrize('proto', PROTOCOLS)
def test_raw_md5_digest_survives(proto):
    expected = EXPECTED['config-v87']
    state = load_fixture('config-v87', proto)
    digest = bytes.fromhex(expected['mod_password_hex'])
    assert digest == hashlib.md5(
        expected['mod_password_plain'].encode()).digest()
    stored = state['mod_password']
    assert isinstance(stored, str) and len(stored) == 16
    assert stored.encode('latin-1') == digest
    assert digest in Py2Pickle.possible_bytes(stored)


def test_possible_bytes_covers_utf8_decoded_values():
    assert Py2Pickle.possible_bytes('José') == ['Jos\xe9'.encode('latin-1'),
                                                'José'.encode('utf-8')]
    assert Py2Pickle.possible_bytes('€') == ['€'.encode('utf-8')]
    assert Py2Pickle.possible_bytes('abc') == [b'abc']


# ---------------------------------------------------------------------------
# request.pck and pending.pck

@pytest.mark.parametrize('proto', PROTOCOLS)
def test_request_shapes(proto):
    expected = EXPECTED['request']
    db = load_fixture('request', proto)
    assert db['version'] == (0, 1)
    assert set(db) == {'version', 1, 2, 3}
    kind, data = db[1]
    assert kind == 1 and len(data) == 6
    assert plain(db[1]) == expected['heldmsg']
    when, sender, subject, reason, filename, msgdata = data
    assert subject == 'Café question'
    assert filename == 'heldmsg-test-1.pck'
    assert msgdata['listname'] == 'test' and msgdata['tolist'] == 1
    kind, data = db[2]
    assert kind == 2 and len(data) == 6
    assert plain(db[2]) == expected['subscription']
    assert data[2] == 'Néw Bie'
    assert db[3] == (3, 'leaver@example.com')


@pytest.mark.parametrize('proto', PROTOCOLS)
def test_pending_shapes(proto):
    expected = EXPECTED['pending']
    cookies = expected['cookies']
    db = load_fixture('pending', proto)
    assert db['version'] == 2
    assert db['evictions'] == expected['evictions']
    assert set(db) == {'version', 'evictions'} | set(cookies.values())
    op, desc = db[cookies['S']]
    assert op == 'S'
    for name, value in expected['userdesc'].items():
        assert getattr(desc, name) == value, name
    for op in ('U', 'H', 'C', 'E'):
        assert isinstance(db[cookies[op]], tuple)
        assert plain(db[cookies[op]]) == expected[op]
    op, address, bounce = db[cookies['P']]
    assert (op, address) == ('P', expected['P_address'])
    assert isinstance(bounce, email.message.Message)
    assert bounce['Subject'] == expected['P_subject']
    assert bounce.get_payload() == expected['P_body']


# ---------------------------------------------------------------------------
# Messages

@pytest.mark.parametrize('proto', PROTOCOLS)
@pytest.mark.parametrize('name', ['message', 'message-email3'])
def test_message_is_rebuilt(name, proto):
    expected = EXPECTED['message']
    msg = load_fixture(name, proto)
    assert isinstance(msg, email.message.Message)
    assert msg.get_unixfrom() == expected['unixfrom']
    names = [item[0] for item in expected['headers']]
    assert msg.keys() == names
    for (header, value), (got_name, got_value) in zip(expected['headers'],
                                                      msg.items()):
        if value is not None:
            assert got_value == value, header
    # An old Header object comes back as its RFC 2047 text.
    assert msg['Subject'] == expected['subject_encoded']
    assert str(email.header.make_header(email.header.decode_header(
        msg['Subject']))) == expected['subject_text']
    assert msg['X-Raw-Name'] == 'José'
    assert msg.preamble == expected['preamble']
    assert msg.epilogue == expected['epilogue']
    assert msg.get_content_type() == expected['content_type']
    assert msg.is_multipart()
    parts = msg.get_payload()
    assert len(parts) == len(expected['parts'])
    for part, want in zip(parts, expected['parts']):
        assert isinstance(part, email.message.Message)
        assert part.get_content_type() == want['content_type']
        assert part.get_content_charset() == want['charset']
        assert part['Content-Transfer-Encoding'] == want['cte']
        assert part.get_payload(decode=True) == \
            bytes.fromhex(want['decoded_hex'])
    # The MIMEText part kept its charset object.
    assert str(parts[0].get_charset()) == 'utf-8'
    assert parts[1].get_payload() == 'Grüße aus Köln\n'


@pytest.mark.parametrize('proto', PROTOCOLS)
def test_message_serialises_again(proto):
    msg = load_fixture('message', proto)
    text = msg.as_string()
    assert 'Subject: =?iso-8859-1?q?Caf=E9_menu?=' in text
    assert '--BOUNDARY--' in text
    assert 'SGVsbG8sIHfDtnJsZCEK' in text
    from email.generator import BytesGenerator
    out = io.BytesIO()
    BytesGenerator(out).flatten(msg)
    assert 'Grüße aus Köln\n'.encode('latin-1') in out.getvalue()


# ---------------------------------------------------------------------------
# Odds and ends: sets, dates, strings, unknown classes

@pytest.mark.parametrize('proto', PROTOCOLS)
def test_misc_values(proto):
    expected = EXPECTED['misc']
    obj = load_fixture('misc', proto)
    assert obj['set'] == set(expected['set']) and type(obj['set']) is set
    assert obj['frozenset'] == frozenset(expected['frozenset'])
    assert type(obj['sets_Set']) is set
    assert obj['sets_Set'] == set(expected['sets_Set'])
    assert type(obj['sets_ImmutableSet']) is frozenset
    assert obj['sets_ImmutableSet'] == frozenset(expected['sets_ImmutableSet'])
    assert obj['datetime'] == datetime.datetime.fromisoformat(
        expected['datetime'])
    assert obj['date'] == datetime.date.fromisoformat(expected['date'])
    assert obj['time'] == datetime.time.fromisoformat(expected['time'])
    assert obj['timedelta'].total_seconds() == expected['timedelta_seconds']
    assert obj['long'] == int(expected['long']) == 2 ** 70
    assert obj['int'] == -5 and obj['float'] == 1.5e300
    assert obj['none'] is None
    assert obj['true'] is True and obj['false'] is False
    assert obj['empty'] == '' and obj['ascii'] == 'plain ascii'
    assert obj['utf8'] == expected['utf8'] == 'Köln'
    assert obj['latin1'] == expected['latin1'] == 'Köln'
    assert obj['cp1252'] == expected['cp1252_raw']
    assert obj['unicode'] == expected['unicode']
    assert obj['unicode_astral'] == expected['unicode_astral']
    # A unicode value that looks like UTF-8 is not decoded a second time.
    assert obj['unicode_mojibake'] == expected['unicode_mojibake'] == 'JosÃ©'
    assert obj['md5_digest'].encode('latin-1') == \
        bytes.fromhex(expected['md5_digest_hex'])
    assert obj['all_bytes'].encode('latin-1') == bytes(range(256))
    assert plain(obj['nested']) == expected['nested']
    assert isinstance(obj['nested'], tuple)
    assert obj['shared1'] is obj['shared2']
    assert obj[expected['unicode_key']] == 1
    assert obj[expected['utf8_key']] == 2
    assert isinstance(obj['exception'], ValueError)
    assert list(obj['exception'].args) == expected['exception_args']


@pytest.mark.parametrize('proto', PROTOCOLS)
def test_charset_hint_is_used_when_utf8_fails(proto):
    hinted = load_fixture('misc', proto, charset_hint='cp1252')
    assert hinted['cp1252'] == EXPECTED['misc']['cp1252_hinted']
    assert hinted['utf8'] == 'Köln'
    # A hint that cannot decode the bytes falls back to Latin-1.
    ascii_hint = load_fixture('misc', proto, charset_hint='ascii')
    assert ascii_hint['latin1'] == 'Köln'
    # So does a hint that names no codec at all.
    unknown = load_fixture('misc', proto, charset_hint='no-such-codec')
    assert unknown['latin1'] == 'Köln'


@pytest.mark.parametrize('proto', PROTOCOLS)
def test_unknown_classes_load_as_legacy_objects(proto):
    expected = EXPECTED['misc']
    warnings = []
    obj = load_fixture('misc', proto, warnings=warnings)
    for key in ('old_thing', 'new_thing'):
        thing = obj[key]
        assert isinstance(thing, LegacyObject)
        assert thing.legacy_class_path() == expected[key]['class']
        assert thing.__dict__ == expected[key]['attrs']
        assert any(expected[key]['class'] in note for note in warnings)
    assert all('LegacyObject' in note for note in warnings)


@pytest.mark.parametrize('proto', PROTOCOLS)
def test_missing_mapped_class_falls_back(proto, monkeypatch):
    # While the list core lacks a class, its instances still load.
    monkeypatch.setitem(Py2Pickle.CLASS_MAP,
                        ('Mailman.Bouncer', '_BounceInfo'),
                        ('Mailman.NoSuchModule', '_BounceInfo'))
    warnings = []
    state = load_fixture('config-v112', proto, warnings=warnings)
    info = state['bounce_info']['jose@example.net']
    assert isinstance(info, LegacyObject)
    assert info.legacy_class_path() == 'Mailman.Bouncer._BounceInfo'
    assert (info.member, info.score, info.date, info.noticesleft,
            info.lastnotice) == ('jose@example.net', 5.0, (2024, 3, 10), 2,
                                 (2024, 3, 15))
    assert warnings == ['class Mailman.Bouncer._BounceInfo not available, '
                        'loaded as LegacyObject']


def test_mapped_classes_resolve_to_the_list_core():
    state = load_fixture('config-v112', 2)
    info = state['bounce_info']['alice@example.com']
    try:
        from Mailman.Bouncer import _BounceInfo
    except ImportError:
        pytest.skip('Mailman.Bouncer not written yet')
    assert type(info) is _BounceInfo


def test_legacy_objects_survive_a_python3_round_trip():
    thing = load_fixture('misc', 2)['old_thing']
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        again = Py2Pickle.loads(pickle.dumps(thing, proto))
        assert isinstance(again, LegacyObject)
        assert again.legacy_class_path() == 'Mailman.Gone.OldThing'
        assert again.__dict__ == thing.__dict__


# ---------------------------------------------------------------------------
# Python 3 pickles go through the same loader

PY3_VALUE = {
    'text': 'Grüße €', 'bytes': b'\x00\xff raw', 'empty_bytes': b'',
    'int': 2 ** 80, 'float': 0.5, 'list': [1, 'two', (3, None)],
    'set': {'a', 'b'}, 'frozenset': frozenset([1]), 'bool': True,
    'when': datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
    'day': datetime.date(2023, 12, 31), 'bytearray': bytearray(b'ba'),
    ('tuple', 'key'): {'nested': {'deep': ['x']}},
}


@pytest.mark.parametrize('proto', range(pickle.HIGHEST_PROTOCOL + 1))
def test_python3_pickles_load_unchanged(proto):
    assert Py2Pickle.loads(pickle.dumps(PY3_VALUE, proto)) == PY3_VALUE


def test_python3_pickle_of_list_core_objects():
    state = load_fixture('pending', 2)
    cookie = EXPECTED['pending']['cookies']['S']
    again = Py2Pickle.loads(pickle.dumps(state, 5))
    desc = again[cookie][1]
    assert type(desc) is type(state[cookie][1])
    assert desc.fullname == 'Jürgen' and desc.language == 'de'


@pytest.mark.parametrize('proto', [2, 4, 5])
def test_python3_pickle_of_a_message(proto):
    msg = load_fixture('message', 1)
    again = Py2Pickle.loads(pickle.dumps(msg, proto))
    assert isinstance(again, email.message.Message)
    assert again.as_string() == msg.as_string()


def test_file_objects_are_left_after_the_pickle():
    # Queue files hold two pickles one after the other.
    fp = io.BytesIO(pickle.dumps('first', 1) + pickle.dumps({'b': 2}, 1))
    assert Py2Pickle.load(fp) == 'first'
    assert Py2Pickle.load(fp) == {'b': 2}


# ---------------------------------------------------------------------------
# Safety: loading never runs code

def _malicious(target):
    t = str(target).encode()
    return {
        'os.system': b"cos\nsystem\n(S'touch " + t + b"'\ntR.",
        'posix.system': b"cposix\nsystem\n(S'touch " + t + b"'\ntR.",
        'os.system via INST': b"(S'touch " + t + b"'\nios\nsystem\n.",
        'builtins.eval': b"cbuiltins\neval\n(S'open(\"" + t +
                         b"\", \"w\")'\ntR.",
        '__builtin__.eval': b"c__builtin__\neval\n(S'open(\"" + t +
                            b"\", \"w\")'\ntR.",
        '__builtin__.open': b"c__builtin__\nopen\n(S'" + t +
                            b"'\nS'w'\ntR.",
        'builtins.getattr': b"cbuiltins\ngetattr\n(cbuiltins\nobject\n"
                            b"S'__subclasses__'\ntR.",
        'subprocess.Popen': b"csubprocess\nPopen\n((S'touch'\nS'" + t +
                            b"'\nltR.",
        'copy_reg disguise': b"ccopy_reg\n_reconstructor\n(cos\nsystem\n"
                             b"c__builtin__\nobject\nNtR.",
    }


REFUSED_NAME = {
    'os.system': 'os.system', 'posix.system': 'posix.system',
    'os.system via INST': 'os.system', 'builtins.eval': 'builtins.eval',
    '__builtin__.eval': '__builtin__.eval',
    '__builtin__.open': '__builtin__.open',
    'builtins.getattr': 'builtins.getattr',
    'subprocess.Popen': 'subprocess.Popen', 'copy_reg disguise': 'os.system',
}


@pytest.mark.parametrize('case', sorted(_malicious('x')))
def test_malicious_pickles_are_refused(case, tmp_path):
    target = tmp_path / 'pwned'
    data = _malicious(target)[case]
    with pytest.raises(pickle.UnpicklingError) as info:
        Py2Pickle.loads(data)
    assert not target.exists()
    # The error names what was refused.
    assert REFUSED_NAME[case] in str(info.value)


class _Evil:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, ('touch %s' % self.target,))


@pytest.mark.parametrize('proto', range(pickle.HIGHEST_PROTOCOL + 1))
def test_python3_reduce_attack_is_refused(proto, tmp_path):
    target = tmp_path / 'pwned'
    data = pickle.dumps({'x': [_Evil(target)]}, proto)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        Py2Pickle.loads(data)
    assert not target.exists()


def test_names_in_mailman_are_never_imported(tmp_path):
    # Even a plausible-looking Mailman function only becomes data.
    target = tmp_path / 'made'
    data = b"cMailman.Utils\nmakedirs\n(S'" + str(target).encode() + \
        b"'\ntR."
    warnings = []
    obj = Py2Pickle.loads(data, warnings=warnings)
    assert isinstance(obj, LegacyObject)
    assert not target.exists()
    assert warnings == ['unknown class Mailman.Utils.makedirs loaded as '
                        'LegacyObject']


def test_state_cannot_be_set_on_classes():
    data = b"cMailman.Gone\nOldThing\n(dS'__init__'\nI1\nsb."
    with pytest.raises(pickle.UnpicklingError):
        Py2Pickle.loads(data)


def test_persistent_ids_are_refused():
    with pytest.raises(pickle.UnpicklingError):
        Py2Pickle.loads(b"Pfoo\n.")


def test_forged_lengths_cost_no_memory():
    # BINBYTES8/BYTEARRAY8 claiming 2**62 bytes, then nothing.
    for opcode in (b'\x8e', b'\x96'):
        data = b'\x80\x05' + opcode + (2 ** 62).to_bytes(8, 'little')
        with pytest.raises((pickle.UnpicklingError, EOFError)):
            Py2Pickle.load(io.BufferedReader(io.BytesIO(data)))


# ---------------------------------------------------------------------------
# Broken data

@pytest.mark.parametrize('proto', PROTOCOLS)
@pytest.mark.parametrize('name', FIXTURES)
def test_truncated_data_raises_cleanly(name, proto):
    data = fixture_path(name, proto).read_bytes()
    cuts = sorted(set(list(range(0, min(len(data), 24))) +
                      list(range(0, len(data), max(1, len(data) // 60))) +
                      [len(data) - 1]))
    with time_limit(30):
        for cut in cuts:
            with pytest.raises((pickle.UnpicklingError, EOFError)):
                Py2Pickle.loads(data[:cut])


def test_corrupted_data_raises_cleanly(tmp_path):
    rng = random.Random(2112)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with time_limit(60):
            for name in FIXTURES:
                for proto in PROTOCOLS:
                    data = bytearray(fixture_path(name, proto).read_bytes())
                    for _ in range(25):
                        broken = bytearray(data)
                        for _ in range(rng.randint(1, 4)):
                            broken[rng.randrange(len(broken))] = \
                                rng.randrange(256)
                        try:
                            Py2Pickle.loads(bytes(broken))
                        except (pickle.UnpicklingError, EOFError):
                            pass
    finally:
        os.chdir(cwd)
    assert os.listdir(tmp_path) == []


def test_empty_and_wrong_input():
    with pytest.raises(EOFError):
        Py2Pickle.loads(b'')
    with pytest.raises(pickle.UnpicklingError):
        Py2Pickle.loads(b'\xff\xfe garbage')
    with pytest.raises(TypeError):
        Py2Pickle.loads('text, not bytes')
