"""Mailman/Defaults.py.in defines every 2.1 setting with its 2.1 default.

The reference dump /work/shared/reference/mailman-2.1-defaults.tsv lists each
module-level name of 2.1's Defaults.py with the repr of its value, taken with
configure's placeholders filled by example values.  We fill our template with
the same example values, run it, and compare name by name.
"""

import ast
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / 'Mailman' / 'Defaults.py.in'
TSV = REPO_ROOT.parent / 'shared' / 'reference' / 'mailman-2.1-defaults.tsv'

# The example values the TSV was produced with.
SUBSTITUTIONS = {
    '@MAILHOST@': 'lists.example.com',
    '@URLHOST@': 'www.example.com',
    '@prefix@': '/usr/local/mailman',
    '@exec_prefix@': '/usr/local/mailman',
    '@VAR_PREFIX@': '/usr/local/mailman',
    '@PYTHON@': '/usr/bin/python2',
    '@CGIEXT@': '',
    '@MAILMAN_USER@': 'mailman',
    '@MAILMAN_GROUP@': 'mailman',
    '@MAIL_GROUP@': 'mailman',
    '@CGI_GROUP@': 'mailman',
}

# The TSV shortens long reprs to their first 150 characters followed by
# '...', so ast.literal_eval cannot parse them.  For these names we check
# that our repr starts with the visible part (plus the extra checks in
# test_truncated_values_in_full below).  LC_DESCRIPTIONS is a dict printed
# in Python 2 hash order, so for it we compare the complete entries that are
# visible instead of the repr prefix.
TRUNCATED_IN_TSV = {
    'NNTP_REMOVE_HEADERS',
    'NNTP_REWRITE_DUPLICATE_HEADERS',
    'GLOBAL_PIPELINE',
    'QRUNNERS',
    'ADMIN_CATEGORIES',
    'DEFAULT_BOUNCE_MATCHING_HEADERS',
    'MIME_DIGEST_KEEP_HEADERS',
    'LC_DESCRIPTIONS',
}


def _substituted_source():
    text = TEMPLATE.read_text(encoding='utf-8')
    for placeholder, value in SUBSTITUTIONS.items():
        text = text.replace(placeholder, value)
    return text


def _load_defaults():
    namespace = {'__name__': 'Mailman.Defaults'}
    exec(compile(_substituted_source(), str(TEMPLATE), 'exec'), namespace)
    return namespace


def _read_tsv():
    if not TSV.exists():
        pytest.skip(f'reference dump not found at {TSV} '
                    '(the shared reference directory is absent)')
    rows = []
    with TSV.open(encoding='utf-8') as fp:
        next(fp)                                # header line
        for line in fp:
            line = line.rstrip('\n')
            if line:
                section, name, value = line.split('\t', 2)
                rows.append((section, name, value))
    return rows


def _py2_to_py3(text):
    """Turn Python 2 repr forms into Python 3 ones: u'' and 123L."""
    out = []
    pos = 0
    # Walk the text token by token so that string contents are left alone.
    token = re.compile(r"""
        (?P<str>[uU]?[bB]?[rR]?('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"))
      | (?P<long>\b\d+)[lL]\b
      """, re.VERBOSE)
    for m in token.finditer(text):
        out.append(text[pos:m.start()])
        if m.group('str') is not None:
            s = m.group('str')
            if s[0] in 'uU':
                s = s[1:]
            out.append(s)
        else:
            out.append(m.group('long'))
        pos = m.end()
    out.append(text[pos:])
    return ''.join(out)


def _strict_equal(ours, theirs):
    """Equal values of the same types, all the way down (so 1 != True)."""
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, (list, tuple)):
        return (len(ours) == len(theirs)
                and all(_strict_equal(a, b) for a, b in zip(ours, theirs)))
    if isinstance(ours, dict):
        return (ours.keys() == theirs.keys()
                and all(_strict_equal(ours[k], theirs[k]) for k in ours))
    return ours == theirs


@pytest.fixture(scope='module')
def defaults():
    return _load_defaults()


@pytest.fixture(scope='module')
def rows():
    return _read_tsv()


def test_tsv_has_the_expected_shape(rows):
    names = [name for _, name, _ in rows]
    assert len(names) == 302
    assert len(set(names)) == 302
    truncated = {name for _, name, value in rows if value.endswith('...')}
    assert truncated == TRUNCATED_IN_TSV


def test_every_name_is_defined(defaults, rows):
    missing = [name for _, name, _ in rows if name not in defaults]
    assert missing == []


def test_values_equal_the_2_1_defaults(defaults, rows):
    mismatches = []
    checked = 0
    for section, name, tsv_repr in rows:
        if name in TRUNCATED_IN_TSV:
            continue
        expected = ast.literal_eval(_py2_to_py3(tsv_repr))
        actual = defaults[name]
        checked += 1
        if not _strict_equal(actual, expected):
            mismatches.append(f'{section} / {name}: ours {actual!r}, '
                              f'2.1 {expected!r}')
    assert mismatches == []
    assert checked == 302 - len(TRUNCATED_IN_TSV)


def test_truncated_values_match_visible_part(defaults, rows):
    mismatches = []
    for _, name, tsv_repr in rows:
        if name not in TRUNCATED_IN_TSV or name == 'LC_DESCRIPTIONS':
            continue
        visible = _py2_to_py3(tsv_repr[:-len('...')])
        ours = repr(defaults[name])
        if not ours.startswith(visible):
            mismatches.append(f'{name}: ours {ours!r}, 2.1 starts {visible!r}')
    assert mismatches == []


def test_lc_descriptions_visible_entries(defaults, rows):
    tsv_repr = {name: value for _, name, value in rows}['LC_DESCRIPTIONS']
    entries = re.findall(r"'([A-Za-z_]+)': (\('[^']*', '[^']*', '[^']*'\))",
                         tsv_repr)
    assert entries, 'no complete entries found in the TSV value'
    ours = defaults['LC_DESCRIPTIONS']
    for code, value in entries:
        assert ours.get(code) == ast.literal_eval(value), code


def test_truncated_values_in_full(defaults):
    # What the reference (sections 7, 10.2 and 14) says about the values the
    # TSV cuts short.
    d = defaults
    assert d['GLOBAL_PIPELINE'] == [
        'SpamDetect', 'Approve', 'Replybot', 'Moderate', 'Hold', 'MimeDel',
        'Scrubber', 'Emergency', 'Tagger', 'CalcRecips', 'AvoidDuplicates',
        'Cleanse', 'CleanseDKIM', 'CookHeaders', 'ToDigest', 'ToArchive',
        'ToUsenet', 'AfterDelivery', 'Acknowledge', 'WrapMessage',
        'ToOutgoing']
    assert d['QRUNNERS'] == [
        ('ArchRunner', 1), ('BounceRunner', 1), ('CommandRunner', 1),
        ('IncomingRunner', 1), ('NewsRunner', 1), ('OutgoingRunner', 1),
        ('VirginRunner', 1), ('RetryRunner', 1)]
    assert d['ADMIN_CATEGORIES'] == [
        'general', 'passwords', 'language', 'members', 'nondigest', 'digest',
        'privacy', 'bounce', 'archive', 'gateway', 'autoreply',
        'contentfilter', 'topics']
    assert len(d['MIME_DIGEST_KEEP_HEADERS']) == 16
    assert d['NNTP_REMOVE_HEADERS'][-1] == 'received'
    assert d['NNTP_REWRITE_DUPLICATE_HEADERS'][-1] == (
        'mime-version', 'X-MIME-Version')
    assert d['DEFAULT_BOUNCE_MATCHING_HEADERS'].endswith(
        'from: .*@uplinkpro.com\n')
    lc = d['LC_DESCRIPTIONS']
    assert sorted(lc) == sorted(
        'ar ast ca cs da de el en eo es et eu fa fi fr gl he hr hu ia it ja '
        'ko lt nl no pl pt pt_BR ro ru sk sl sr sv tr uk vi zh_CN zh_TW'
        .split())
    assert {code for code, (_, _, direction) in lc.items()
            if direction == 'rtl'} == {'ar', 'fa', 'he'}


def test_only_known_placeholders():
    text = TEMPLATE.read_text(encoding='utf-8')
    assert set(re.findall(r'@[A-Za-z_]+@', text)) == set(SUBSTITUTIONS)


def test_imports_only_the_standard_library():
    tree = ast.parse(TEMPLATE.read_text(encoding='utf-8'))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split('.')[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or '').split('.')[0])
    # Beside the standard library, only Mailman.Version (for mm_cfg.VERSION).
    assert imported <= {'os', 're', 'time', 'Mailman'}


def test_new_names(defaults):
    assert defaults['MAIL_GROUP'] == 'mailman'
    assert defaults['CGI_GROUP'] == 'mailman'
    assert defaults['PASSWORD_HASH_SCHEME'] == 'pbkdf2_sha256'
    assert defaults['DMARC_RESOLVER_NAMESERVERS'] is None
    assert defaults['DMARC_RESOLVER_PORT'] == 53
    assert '_' not in defaults


def test_helpers(defaults):
    d = defaults
    assert (d['Yes'], d['On'], d['No'], d['Off']) == (True, True, False, False)
    assert d['seconds'](7) == 7
    assert d['minutes'](2) == 120
    assert d['hours'](1) == 3600
    assert d['days'](2) == 172800
    assert d['SMTP_HELO_HOST'] == d['DEFAULT_URL_HOST']


def test_add_virtualhost_and_add_language():
    d = _load_defaults()                    # fresh copy: we mutate it
    d['add_virtualhost']('WWW.Example.ORG')
    assert d['VIRTUAL_HOSTS']['www.example.org'] == 'example.org'
    d['add_virtualhost']('web.example.net', 'Lists.Example.NET')
    assert d['VIRTUAL_HOSTS']['web.example.net'] == 'lists.example.net'
    d['add_virtualhost']('lists.example.info')
    assert d['VIRTUAL_HOSTS']['lists.example.info'] == 'lists.example.info'
    d['add_language']('xx', 'Example', 'utf-8')
    assert d['LC_DESCRIPTIONS']['xx'] == ('Example', 'utf-8', 'ltr')
    d['add_language']('yy', 'Other', 'utf-8', 'rtl')
    assert d['LC_DESCRIPTIONS']['yy'] == ('Other', 'utf-8', 'rtl')


def test_exec_prefix_defaults_to_prefix():
    # Without --exec-prefix, configure leaves the literal text ${prefix}.
    text = TEMPLATE.read_text(encoding='utf-8').replace(
        '@exec_prefix@', '${prefix}')
    for placeholder, value in SUBSTITUTIONS.items():
        text = text.replace(placeholder, value)
    namespace = {}
    exec(compile(text, str(TEMPLATE), 'exec'), namespace)
    assert namespace['EXEC_PREFIX'] == '/usr/local/mailman'
    assert namespace['WRAPPER_DIR'] == '/usr/local/mailman/mail'
