"""The archive search page, /mailman/search/<list>: full text over
subjects, authors and bodies, escaped, and closed to outsiders when the
archive is private."""

import urllib.parse

import pytest

from archhelp import SCRIPT, make_list, message, remove_list
from webhelp import Client, call, unique_remote
from Mailman.Archiver.HyperArch import HTMLArchive


def archived_list(private=0, **attrs):
    m = make_list(archive_private=private, **attrs)
    archive = HTMLArchive(m)
    try:
        archive.add(message('Bicycle repair tips', sender='Ann <ann@example.org>',
                            msgid='<s1@x>', body='Patch the inner tube first.\n'))
        archive.add(message('Gardening', sender='Zo\u00eb <zoe@example.org>',
                            msgid='<s2@x>',
                            body='Tomatoes need sun; bicycles do not.\n'))
        archive.add(message(SCRIPT, sender='Eve <eve@example.org>',
                            msgid='<s3@x>', body=f'hostile {SCRIPT} text\n'))
    finally:
        archive.close()
    m.Save()
    m.Unlock()
    return m


@pytest.fixture
def public():
    m = archived_list()
    yield m
    remove_list(m)


@pytest.fixture
def private():
    m = archived_list(private=1)
    m.Lock()
    m.addNewMember('member@example.org', password='memberpw')
    m.Save()
    m.Unlock()
    yield m
    remove_list(m)


def search(m, text, **kws):
    return call('search', '/' + m.internal_name(),
                query=urllib.parse.urlencode({'q': text}), **kws)


def result_links(response):
    return [a['href'] for t, a in response.parser.tags
            if t == 'a' and a.get('href', '').endswith('.html')]


def test_search_finds_bodies_subjects_and_authors(public):
    base = public.GetBaseArchiveURL().rstrip('/') + '/2026-November/'
    r = search(public, 'bicycle')
    assert r.status == 200
    # Stemming is not done: 'bicycle' is in one subject only.
    assert result_links(r) == [base + '000000.html']
    assert '<mark>' in r.text or 'Bicycle' in r.text
    assert result_links(search(public, 'tomatoes sun')) == \
        [base + '000001.html']
    assert result_links(search(public, 'zoe')) == [base + '000001.html']
    assert result_links(search(public, 'nothing-like-this')) == []


@pytest.mark.parametrize('text', ['"unbalanced', 'a OR', 'NEAR(', '*',
                                  'sub:ject', SCRIPT])
def test_query_syntax_is_taken_literally_and_escaped(public, text):
    r = search(public, text)
    assert r.status == 200
    assert '<script' not in r.text.lower()


def test_results_are_escaped(public):
    r = search(public, 'hostile')
    assert len(result_links(r)) == 1
    assert '<script' not in r.text.lower()
    assert '&lt;script&gt;' in r.text


def test_private_archive_needs_a_login(private):
    r = search(private, 'bicycle')
    assert result_links(r) == []
    assert any(t == 'input' and a.get('type') == 'password'
               for t, a in r.parser.tags)
    r = call('search', '/' + private.internal_name(), method='POST',
             form={'q': 'bicycle', 'username': '', 'password': 'wrong'},
             remote=unique_remote())
    assert result_links(r) == [] and 'Authorization failed' in r.text
    # The list administrator's password opens it, and the cookie then
    # keeps it open.
    client = Client()
    r = client.post('search', '/' + private.internal_name(),
                    form={'q': 'bicycle', 'password': 'adminpw'})
    assert len(result_links(r)) == 1
    r = client.get('search', '/' + private.internal_name(),
                   query='q=tomatoes')
    assert len(result_links(r)) == 1
    # So does a member's address and password.
    r = call('search', '/' + private.internal_name(), method='POST',
             form={'q': 'bicycle', 'username': 'member@example.org',
                   'password': 'memberpw'}, remote=unique_remote())
    assert len(result_links(r)) == 1


def test_archive_pages_carry_the_search_box(public):
    import os
    with open(os.path.join(public.archive_dir(), '2026-November',
                           '000000.html'), encoding='utf-8') as f:
        text = f.read()
    assert f'action="{public.GetScriptURL("search", 1)}"' in text
    assert 'name="q"' in text
