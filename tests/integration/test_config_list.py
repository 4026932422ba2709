"""bin/config_list, installed: exporting a list's settings and importing
them again, the checks on imported values, and that an imported file is
never executed."""

import hashlib
import itertools
import os
import pickle
from pathlib import Path

import pytest

from installs import run


# ---------------------------------------------------------------- helpers
def python(install, code, *args, check=True, **kwargs):
    """Run CODE with the installed interpreter the way the installed
    programs run: -S, from bin/, after `import paths`."""
    shebang = (install.prefix / 'bin' / 'config_list').read_text().split('\n')[0]
    interpreter = shebang[2:].strip()
    return run([interpreter, '-S', '-c', 'import paths\n' + code,
                *map(str, args)], cwd=install.prefix / 'bin', check=check,
               **kwargs)


def create_list(install, name):
    if (install.prefix / 'bin' / 'newlist').exists():
        result = install.bin('newlist', '-q', name, 'owner@example.com', 'pw')
        assert result.returncode == 0, result.stderr
        return
    python(install,
           'import sys\n'
           'from Mailman.MailList import MailList\n'
           'from Mailman import Passwords\n'
           'm = MailList()\n'
           'm.Create(sys.argv[1], "owner@example.com",'
           ' Passwords.hash_password("pw"))\n'
           'm.Save()\n'
           'm.Unlock()\n', name)


def change_list(install, name, code):
    """Run CODE with `m` bound to the locked list, then save."""
    python(install,
           'import sys\n'
           'from Mailman.MailList import MailList\n'
           'm = MailList(sys.argv[1])\n'
           'try:\n'
           + ''.join(f'    {line}\n' for line in code.splitlines()) +
           '    m.Save()\n'
           'finally:\n'
           '    m.Unlock()\n', name)


def state(install, name):
    """The list's config.pck, unpickled by the installed code."""
    result = python(
        install,
        'import pickle, sys\n'
        'from Mailman import ListFile\n'
        'path = sys.argv[1]\n'
        'state = ListFile.loads(open(path, "rb").read(), path)\n'
        'sys.stdout.buffer.write(pickle.dumps(state, protocol=4))\n',
        config_pck(install, name), text=False)
    return pickle.loads(result.stdout)


def config_pck(install, name):
    return install.var_prefix / 'lists' / name / 'config.pck'


def fingerprint(install, name):
    path = config_pck(install, name)
    st = os.stat(path)
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns


def config_list(install, *args, **kwargs):
    return install.bin('config_list', *args, **kwargs)


def assert_same_state(before, after):
    assert sorted(before) == sorted(after)
    for key in before:
        assert pickle.dumps(before[key], protocol=4) == \
            pickle.dumps(after[key], protocol=4), key
    assert before == after


def write(path, text):
    Path(path).write_text(text, encoding='utf-8')
    return path


_numbers = itertools.count(1)


@pytest.fixture
def listname(site_install):
    name = f'cfg-{os.getpid()}-{next(_numbers)}'
    create_list(site_install, name)
    return name


# ---------------------------------------------------------------- export/import
def test_round_trip_changes_nothing(site_install, listname, tmp_path):
    install = site_install
    create_list(install, listname + '-sib')
    # Values that exercise the writer: quotes, backslashes, blank lines,
    # non-ASCII text, lists of tuples, regexes, floats.
    change_list(install, listname, '''
m.info = 'Line one\\n\\n"Quoted" and \\'single\\' and \\\\ backslash\\n\\tTabbed \\u00e9t\\u00e9\\n"""\\n'
m.description = 'Caf\\u00e9 list'
m.msg_footer = m.msg_footer + 'ends with a quote"'
m.owner = ['owner@example.com', 'second@example.com']
m.topics = [('food', 'recipe|cook(ing)?', 'About food', False)]
m.topics_enabled = 1
m.header_filter_rules = [('^subject: .*win\\n^x-spam: yes', 3, False)]
m.ban_list = ['^.*@spam\\\\.example$', 'bad@example.com']
m.accept_these_nonmembers = ['@' + sys.argv[1] + '-sib']
m.bounce_score_threshold = 2.5
m.available_languages = ['en', 'de']
m.reply_goes_to_list = 2
m.reply_to_address = 'replies@example.com'
m.new_member_options = 16 + 256
m.goodbye_msg = 'trailing spaces   \\n\\r\\nand a CR'
''')
    before = state(install, listname)
    exported = tmp_path / 'settings.py'
    result = config_list(install, '-o', exported, listname)
    assert result.returncode == 0, result.stderr
    text = exported.read_text(encoding='utf-8')
    assert text.startswith('# -*- python -*-\n# -*- coding: utf-8 -*-\n')
    assert f'## "{listname}" mailing list configuration settings' in text
    assert '## captured on ' in text
    assert '\ninfo = """Line one\n' in text           # readable multi-line text
    assert '#    0 = "Poster"' in text                 # Radio legal values
    for secret in ('password =', 'mod_password', 'post_password'):
        assert secret not in text
    assert before['password'] not in text

    result = config_list(install, '-i', exported, listname)
    assert result.returncode == 0, result.stderr
    assert_same_state(before, state(install, listname))

    # -o - writes the same file to standard output.
    result = config_list(install, '-o', '-', listname)
    assert result.returncode == 0
    strip = lambda t: [l for l in t.splitlines() if '## captured on' not in l]
    assert strip(result.stdout) == strip(text)


def test_default_list_round_trip(site_install, listname, tmp_path):
    before = state(site_install, listname)
    exported = tmp_path / 'settings.py'
    assert config_list(site_install, '-o', exported, listname).returncode == 0
    result = config_list(site_install, '-i', exported, listname)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ''
    assert_same_state(before, state(site_install, listname))


def test_import_applies_and_verbose(site_install, listname, tmp_path):
    settings = write(tmp_path / 'in.py', '''\
# a comment
max_message_size = 100
mlist.subject_prefix = '[new] '
advertised = 0
digest_footer = """two
lines"""
next_digest_number = 7
''')
    result = config_list(site_install, '-v', '-i', settings, listname)
    assert result.returncode == 0, result.stderr
    assert 'set max_message_size = 100' in result.stdout
    assert 'set subject_prefix' in result.stdout
    assert "config_list: warning: next_digest_number: non-standard property" \
        in result.stderr
    saved = state(site_install, listname)
    assert saved['max_message_size'] == 100
    assert saved['subject_prefix'] == '[new] '
    assert saved['advertised'] is False
    assert saved['digest_footer'] == 'two\nlines'
    assert saved['next_digest_number'] == 7


# ---------------------------------------------------------------- refusals
def test_bad_values_are_all_reported_and_nothing_is_saved(site_install,
                                                          listname, tmp_path):
    before = fingerprint(site_install, listname)
    settings = write(tmp_path / 'bad.py', '''\
description = 'fine, but not applied'
max_message_size = 'big'
owner = ['not an address']
subscribe_policy = 9
available_languages = ['xx']
no_such_attribute = 1
''')
    result = config_list(site_install, '-i', settings, listname)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    for attribute in ('max_message_size', 'owner', 'subscribe_policy',
                      'available_languages', 'no_such_attribute'):
        assert any(line.startswith(f'config_list: {attribute}: ')
                   for line in lines), (attribute, result.stderr)
    assert not any('description' in line for line in lines)
    assert fingerprint(site_install, listname) == before


def test_cross_field_errors(site_install, listname, tmp_path):
    before = fingerprint(site_install, listname)
    settings = write(tmp_path / 'bad.py', 'reply_goes_to_list = 2\n'
                     "preferred_language = 'de'\n")
    result = config_list(site_install, '-i', settings, listname)
    assert result.returncode == 1
    assert 'config_list: reply_to_address: ' in result.stderr
    assert 'config_list: preferred_language: ' in result.stderr
    assert fingerprint(site_install, listname) == before


@pytest.mark.parametrize('code', [
    'import os\n',
    "x = __import__('os').system('touch {marker}')\n",
    "real_name = __import__('os').system('touch {marker}')\n",
    "mlist.__class__ = open('{marker}', 'w')\n",
    "def f():\n    open('{marker}', 'w')\nf()\n",
    "info = f'{{open(\"{marker}\", \"w\")}}'\n",
    "[max_message_size] = [3]\n",
    "password = 'abc'\n",
    "_new_volume = 1\n",
    "members = []\n",
])
def test_code_is_never_run(site_install, listname, tmp_path, code):
    marker = tmp_path / 'marker'
    before = fingerprint(site_install, listname)
    settings = write(tmp_path / 'evil.py',
                     'max_message_size = 10\n' + code.format(marker=marker))
    result = config_list(site_install, '-i', settings, listname)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith('config_list: ')
    assert 'Traceback' not in result.stderr
    assert not marker.exists()
    assert fingerprint(site_install, listname) == before


def test_syntax_error_names_the_line(site_install, listname, tmp_path):
    settings = write(tmp_path / 'broken.py', 'a = 1\nb = (\n')
    result = config_list(site_install, '-i', settings, listname)
    assert result.returncode == 1
    assert 'line ' in result.stderr and 'Traceback' not in result.stderr


def test_check_only(site_install, listname, tmp_path):
    before = fingerprint(site_install, listname)
    good = write(tmp_path / 'good.py', 'max_message_size = 99\n')
    result = config_list(site_install, '-c', '-i', good, listname)
    assert result.returncode == 0, result.stderr
    assert 'no errors' in result.stdout
    assert fingerprint(site_install, listname) == before
    bad = write(tmp_path / 'bad.py', 'max_message_size = -5\n')
    result = config_list(site_install, '-c', '-i', bad, listname)
    assert result.returncode == 1
    assert result.stderr.startswith('config_list: max_message_size: ')
    assert fingerprint(site_install, listname) == before


def test_unknown_list_and_usage(site_install, tmp_path):
    result = config_list(site_install, '-o', tmp_path / 'x.py', 'cfg-nosuch')
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert 'cfg-nosuch' in result.stderr
    assert not (tmp_path / 'x.py').exists()
    result = config_list(site_install, '-i', tmp_path / 'x.py', 'cfg-nosuch')
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    result = config_list(site_install, 'cfg-nosuch')
    assert result.returncode != 0
    result = config_list(site_install, '--help')
    assert result.returncode == 0 and '-i' in result.stdout
