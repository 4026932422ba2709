"""The list removal page (Mailman.Cgi.rmlist): who may remove a list,
with or without its archives, and the site list that cannot go."""

import os
import urllib.parse

import pytest

from webhelp import (SCRIPT, call, lists,  # noqa: F401
                     site_passwords, unique_remote)

CREATOR_PW = 'creator-pw-rm'
SITE_PW = 'site-pw-rm'


@pytest.fixture
def passwords():
    with site_passwords(CREATOR_PW, SITE_PW):
        yield


def with_archive(mlist):
    """Put a page into MLIST's archive; returns its path."""
    page = os.path.join(mlist.archive_dir(), 'index.html')
    os.makedirs(os.path.dirname(page), exist_ok=True)
    with open(page, 'w') as f:
        f.write('archive')
    return page


def remove(mlist, password, remote=None, **fields):
    form = {'password': password, 'doit': 'Delete this list'}
    form.update(fields)
    return call('rmlist', '/' + mlist.internal_name(), 'POST', form,
                remote=remote or unique_remote())


def test_confirm_form(lists):
    m = lists()
    r = call('rmlist', '/' + m.internal_name())
    assert r.status == 200
    names = {attrs.get('name') for tag, attrs in r.parser.tags
             if tag == 'input'}
    assert {'password', 'delarchives', 'doit'} <= names
    assert r.text.count('<h1') == 1


def test_site_password_removes_list_and_keeps_archives(lists, passwords):
    from Mailman import Utils
    m = lists()
    page = with_archive(m)
    r = remove(m, SITE_PW)
    assert r.status == 200, r.plain
    assert not Utils.list_exists(m.internal_name())
    assert not os.path.exists(m.fullpath())
    assert os.path.exists(page)
    assert 'removed' in r.plain and 'kept' in r.plain
    # The Manual MTA's instructions are shown.
    assert f'{m.internal_name()}-request' in r.plain


def test_creator_password_removes_list_with_archives(lists, passwords):
    from Mailman import Utils
    m = lists()
    page = with_archive(m)
    r = remove(m, CREATOR_PW, delarchives='1')
    assert r.status == 200
    assert not Utils.list_exists(m.internal_name())
    assert not os.path.exists(page)
    assert not os.path.exists(os.path.dirname(m.ArchiveFileName()))


@pytest.mark.parametrize('password', ['', 'wrong', 'adminpw'])
def test_wrong_or_owner_password_removes_nothing(lists, passwords, password):
    from Mailman import Utils, mm_cfg
    assert not mm_cfg.OWNERS_CAN_DELETE_THEIR_OWN_LISTS
    m = lists()
    r = remove(m, password)
    assert r.status == 401
    assert Utils.list_exists(m.internal_name())
    assert 'not authorized' in r.plain


def test_owner_attempt_is_logged_as_mischief(lists, passwords):
    from Mailman import mm_cfg
    m = lists()
    remove(m, 'adminpw')
    with open(os.path.join(mm_cfg.LOG_DIR, 'mischief')) as f:
        assert m.internal_name() in f.read()


def test_owner_may_remove_when_the_site_allows(lists, passwords,
                                               monkeypatch):
    from Mailman import Utils, mm_cfg
    monkeypatch.setattr(mm_cfg, 'OWNERS_CAN_DELETE_THEIR_OWN_LISTS', True)
    m = lists()
    r = remove(m, 'adminpw')
    assert r.status == 200
    assert not Utils.list_exists(m.internal_name())
    # The owner's password opens only the owner's own list.
    other = lists(password='otherpw')
    assert remove(other, 'adminpw').status == 401
    assert Utils.list_exists(other.internal_name())


def test_site_list_is_refused(lists, passwords, monkeypatch):
    from Mailman import Utils, mm_cfg
    m = lists()
    monkeypatch.setattr(mm_cfg, 'MAILMAN_SITE_LIST', m.internal_name())
    assert call('rmlist', '/' + m.internal_name()).status == 403
    r = remove(m, SITE_PW, delarchives='1')
    assert r.status == 403
    assert Utils.list_exists(m.internal_name())


def test_get_never_removes(lists, passwords):
    from Mailman import Utils
    m = lists()
    query = urllib.parse.urlencode({'password': SITE_PW, 'doit': '1'})
    r = call('rmlist', '/' + m.internal_name(), query=query)
    assert r.status == 200
    assert Utils.list_exists(m.internal_name())


def test_attempts_are_rate_limited(lists, passwords):
    from Mailman import Utils
    from Mailman.Cgi import Auth
    m = lists()
    remote = unique_remote()
    for _ in range(Auth.LOGIN_ATTEMPT_LIMIT):
        assert remove(m, 'wrong', remote).status == 401
    assert remove(m, SITE_PW, remote).status == 429
    assert Utils.list_exists(m.internal_name())


def test_script_is_inert(lists, passwords):
    m = lists(real_name='X' + SCRIPT)
    for r in (call('rmlist', '/' + m.internal_name()),
              remove(m, SCRIPT),
              call('rmlist', '/' + SCRIPT)):
        assert '<script>' not in r.text
    r = remove(m, SITE_PW)
    assert r.status == 200 and '<script>' not in r.text
    assert SCRIPT in r.plain
