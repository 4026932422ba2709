"""misc/quickstart.py: the passwords it makes and keeps.

A password from secrets.token_urlsafe once started with "-", and bin/newlist
took it for an option; the quick start now makes letters and digits only,
and keeps what it made for the next run.
"""

import stat
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'misc'))
import quickstart  # noqa: E402


def test_passwords_are_letters_and_digits():
    made = [quickstart.make_password() for _ in range(500)]
    assert all(len(password) == 12 and password.isalnum() and password.isascii()
               for password in made)
    assert len(set(made)) == len(made)


def test_passwords_are_kept_for_the_next_run(tmp_path):
    (tmp_path / 'data').mkdir()
    site = SimpleNamespace(dir=tmp_path)
    first = quickstart.load_passwords(site)
    assert set(first) == {'site', quickstart.SAMPLE_LIST}
    kept = tmp_path / 'data' / 'quickstart-passwords'
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert quickstart.load_passwords(site) == first


def test_a_kept_dashed_password_is_passed_after_double_dash(tmp_path):
    (tmp_path / 'data').mkdir()
    (tmp_path / 'data' / 'quickstart-passwords').write_text(
        'site -siteword\nsample -listword\n')
    calls = []

    class Recorder:
        dir = tmp_path

        def bin(self, program, *args, **keywords):
            calls.append((program, *args))

        def list_exists(self, name):
            return False

        def run_python(self, code, *args):
            calls.append(('python', *args))

    site = Recorder()
    quickstart.create_lists(site, quickstart.load_passwords(site))
    for program, *args in calls:
        if program in ('mmsitepass', 'newlist'):
            dashed = [arg for arg in args if arg.startswith('-') and arg.endswith('word')]
            assert dashed and args.index('--') < args.index(dashed[0]), (program, args)
