"""In-process tests against the source tree, with no configure or install.

The package needs a configured Mailman/Defaults.py.  Rather than write one
into the source tree (where configure puts its own), we build a shadow
package in a temporary directory: symlinks to every source file, plus a
Defaults.py generated from Defaults.py.in with a temporary var prefix and
the current user and group.  That directory goes first on sys.path.
"""

import grp
import os
import pwd
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _build_shadow_package():
    top = Path(tempfile.mkdtemp(prefix='mailman-unit-'))
    var_prefix = top / 'var'
    for name in ('lists', 'data', 'logs', 'locks', 'qfiles', 'archives/private',
                 'archives/public', 'spam'):
        (var_prefix / name).mkdir(parents=True, exist_ok=True)
    package = top / 'Mailman'
    package.mkdir()
    source = REPO_ROOT / 'Mailman'
    for entry in source.iterdir():
        if entry.name in ('Defaults.py', 'mm_cfg.py', '__pycache__'):
            continue
        (package / entry.name).symlink_to(entry)
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    values = {
        '@PYTHON@': sys.executable, '@prefix@': str(top / 'prefix'),
        '@exec_prefix@': str(top / 'prefix'), '@VAR_PREFIX@': str(var_prefix),
        '@MAILHOST@': 'lists.example.com', '@URLHOST@': 'www.example.com',
        '@CGIEXT@': '', '@MAILMAN_USER@': user, '@MAILMAN_GROUP@': group,
        '@MAIL_GROUP@': group, '@CGI_GROUP@': group,
    }
    text = (source / 'Defaults.py.in').read_text(encoding='utf-8')
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    (package / 'Defaults.py').write_text(text, encoding='utf-8')
    prefix = top / 'prefix'
    prefix.mkdir()
    (prefix / 'templates').symlink_to(REPO_ROOT / 'templates')
    (package / 'mm_cfg.py').write_text('from Mailman.Defaults import *\n',
                                       encoding='utf-8')
    return top


SHADOW = _build_shadow_package()
sys.path.insert(0, str(SHADOW))


def pytest_unconfigure(config):
    import shutil
    shutil.rmtree(SHADOW, ignore_errors=True)
