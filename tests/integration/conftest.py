"""Fixtures shared by the integration tests."""

import pytest

from installs import build_and_install, current_group, current_user


@pytest.fixture(scope='session')
def site_install(tmp_path_factory):
    """One installation as the current user, shared by the tests that only
    need a working site.  Tests give their lists unique names."""
    workdir = tmp_path_factory.mktemp('site')
    group = current_group()
    return build_and_install(
        workdir, f'--with-username={current_user()}',
        f'--with-groupname={group}', f'--with-mail-gid={group}',
        f'--with-cgi-gid={group}', '--without-permcheck',
        '--with-mailhost=lists.example.com', '--with-urlhost=www.example.com')
