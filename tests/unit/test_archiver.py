"""The HTML archiver (pipermail), in process: threading, numbering,
dates, charsets, MIME, attachments, escaping, volumes, rebuilds, the mbox
and the 2.1 import."""

import base64
import email.header
import gzip
import os
import re
import shutil
import struct
import sqlite3
import sys

import pytest

from archhelp import (SCRIPT, Links, make_list, message, read,  # noqa: F401
                      remove_list)
from Mailman import mm_cfg
from Mailman.Archiver import Mbox, Volumes
from Mailman.Archiver.HyperArch import HTMLArchive
from Mailman.Archiver.Store import index_path

DATA = os.path.join(os.path.dirname(__file__), '..', 'data', 'archive')
VOLUME = '2026-November'


@pytest.fixture
def mlist():
    m = make_list()
    yield m
    remove_list(m)


@pytest.fixture
def archive(mlist):
    a = HTMLArchive(mlist)
    yield a
    a.close()


def page(mlist, num, volume=VOLUME):
    return read(os.path.join(mlist.archive_dir(), volume, '%06d.html' % num))


def nav_targets(text, label):
    """The page a navigation link LABEL (e.g. 'Next message (by thread)')
    points to, or None."""
    match = re.search(re.escape(label) + r': <a href="(\d{6})\.html"', text)
    return int(match.group(1)) if match else None


def rows(archive):
    return {r['num']: r for r in archive.store.db.execute(
        'SELECT * FROM articles')}


def html_files(top):
    for root, dirs, files in os.walk(top):
        for name in files:
            if name.endswith('.html'):
                yield os.path.join(root, name)


def write_mbox(path, messages, unixfrom=True):
    with open(path, 'wb') as f:
        for index, raw in enumerate(messages):
            if unixfrom or index:
                f.write(b'From sender@example.org Thu Nov 26 10:00:00 2026\n')
            f.write(re.sub(rb'(?m)^(>*From )', rb'>\1', raw).rstrip(b'\n')
                    + b'\n\n')


# ---------------------------------------------------------------- threads
def test_replies_thread_and_link_both_ways(mlist, archive):
    archive.add(message('Topic', msgid='<t1@x>'))
    archive.add(message('Other', msgid='<o1@x>',
                        date='Thu, 26 Nov 2026 10:30:00 +0000'))
    archive.add(message('Re: Topic', msgid='<t2@x>',
                        date='Thu, 26 Nov 2026 11:00:00 +0000',
                        headers=['In-Reply-To: <t1@x>']))
    archive.add(message('Re: Topic', msgid='<t3@x>',
                        date='Thu, 26 Nov 2026 12:00:00 +0000',
                        headers=['References: <t1@x> <t2@x>']))
    r = rows(archive)
    assert r[2]['parent'] == 0 and r[3]['parent'] == 2
    assert [r[n]['depth'] for n in range(4)] == [0, 0, 1, 2]
    # Thread order 0, 2, 3, 1; date order 0, 1, 2, 3.  The pages written
    # earlier had their links mended.
    assert nav_targets(page(mlist, 0), 'Next message (by thread)') == 2
    assert nav_targets(page(mlist, 2), 'Next message (by thread)') == 3
    assert nav_targets(page(mlist, 3), 'Next message (by thread)') == 1
    assert nav_targets(page(mlist, 1), 'Previous message (by thread)') == 3
    assert nav_targets(page(mlist, 0), 'Next message (by date)') == 1
    assert nav_targets(page(mlist, 3), 'Previous message (by date)') == 2
    assert nav_targets(page(mlist, 3), 'Next message (by date)') is None
    thread = read(os.path.join(mlist.archive_dir(), VOLUME, 'thread.html'))
    order = [int(n) for n in re.findall(r'href="(\d{6})\.html"', thread)]
    assert order == [0, 2, 3, 1]
    assert thread.count('<li class="replies"><ul>') == 2   # two levels


def test_reply_to_missing_parent_starts_a_thread(mlist, archive):
    archive.add(message('Alpha', msgid='<a@x>'))
    archive.add(message('Re: Never archived', msgid='<b@x>',
                        headers=['In-Reply-To: <gone@x>',
                                 'References: <older@x> <gone@x>']))
    assert rows(archive)[1]['parent'] is None
    # A References entry that is archived is used when In-Reply-To is not.
    archive.add(message('Re: Alpha', msgid='<c@x>',
                        headers=['In-Reply-To: <gone@x>',
                                 'References: <a@x> <gone@x>']))
    assert rows(archive)[2]['parent'] == 0


def test_subject_only_thread(mlist, archive):
    archive.add(message('[Arch] Meeting notes', msgid='<m1@x>'))
    archive.add(message('Something else', msgid='<m2@x>'))
    archive.add(message('Re: [Arch] Meeting notes', msgid='<m3@x>',
                        date='Thu, 26 Nov 2026 11:00:00 +0000'))
    assert rows(archive)[2]['parent'] == 0


def test_duplicate_message_ids_get_their_own_pages(mlist, archive):
    archive.add(message('One', msgid='<dup@x>', body='first copy\n'))
    archive.add(message('Two', msgid='<dup@x>', body='second copy\n'))
    assert 'first copy' in page(mlist, 0)
    assert 'second copy' in page(mlist, 1)
    keys = dict(archive.store.db.execute('SELECT key, num FROM numbers'))
    assert keys == {'dup@x': 0, 'dup@x#1': 1}


def test_identical_messages_without_message_id_get_their_own_pages(
        mlist, archive, tmp_path):
    """Real archives hold the same ID-less message twice (a regenerated
    2.1 text volume lists its month again); each copy keeps a page."""
    twin = message('No ID', msgid='', body='the same text\n')
    archive.add(twin)
    archive.add(twin)
    assert sorted(rows(archive)) == [0, 1]
    path = tmp_path / 'twins.mbox'
    write_mbox(path, [twin, message('Other', msgid='<o@x>'), twin])
    assert archive.rebuild(str(path), wipe=True) == 3
    assert sorted(rows(archive)) == [0, 1, 2]
    archive.rebuild(str(path), wipe=True)
    assert sorted(rows(archive)) == [0, 1, 2]


# ---------------------------------------------------------------- dates
def test_missing_and_absurd_dates(mlist, archive):
    received = 'Fri, 27 Nov 2026 08:00:00 +0000'
    archive.add(message('No date', msgid='<d1@x>', date=None,
                        headers=['X-List-Received-Date: ' + received]))
    archive.add(message('Year 1901', msgid='<d2@x>',
                        date='Mon, 01 Jan 1901 00:00:00 +0000',
                        headers=['X-List-Received-Date: ' + received]))
    archive.add(message('Far future', msgid='<d3@x>',
                        date='Sat, 01 Jan 2150 00:00:00 +0000',
                        headers=['X-List-Received-Date: ' + received]))
    archive.add(message('Garbage', msgid='<d4@x>', date='yesterday-ish'))
    r = rows(archive)
    for num in (0, 1, 2):
        assert r[num]['volume'] == VOLUME
        assert abs(r[num]['date'] - 1795766400) < 86400
    assert Volumes.is_volume_name(r[3]['volume'])


def test_rebuild_dates_from_unix_from_line(mlist, archive, tmp_path):
    path = tmp_path / 'dates.mbox'
    path.write_bytes(
        b'From a@example.org Sun Mar  1 12:00:00 2026\n'
        b'From: a@example.org\nSubject: undated\nMessage-ID: <u1@x>\n\n'
        b'no date here\n\n'
        b'From a@example.org Sun Mar  1 12:00:00 2026\n'
        b'From: a@example.org\nSubject: absurd\nMessage-ID: <u2@x>\n'
        b'Date: Thu, 01 Jan 1970 00:00:00 +0000\n\nbad date\n\n')
    assert archive.rebuild(str(path)) == 2
    assert {r['volume'] for r in rows(archive).values()} == {'2026-March'}


# ---------------------------------------------------------------- charsets
ENCODED_SUBJECTS = [
    ('iso-8859-1', 'Caf\u00e9 cr\u00e8me'),
    ('iso-8859-15', 'Prix en \u20ac'),
    ('koi8-r', '\u041f\u0440\u0438\u0432\u0435\u0442'),
    ('windows-1251', '\u0411\u0443\u043a\u0432\u044b'),
    ('iso-2022-jp', '\u65e5\u672c\u8a9e\u306e\u4ef6\u540d'),
    ('shift_jis', '\u6f22\u5b57'),
    ('euc-kr', '\ud55c\uad6d\uc5b4'),
    ('gb2312', '\u4e2d\u6587'),
    ('big5', '\u7e41\u9ad4'),
    ('iso-8859-7', '\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac'),
    ('utf-8', 'Emoji \u2603 \U0001f600'),
]


@pytest.mark.parametrize('charset,text', ENCODED_SUBJECTS)
def test_encoded_word_headers_and_bodies_in_many_charsets(
        mlist, archive, charset, text):
    subject = email.header.Header(text, charset).encode()
    author = email.header.Header('Name ' + text, charset).encode()
    body = text.encode(charset)
    raw = message(subject, sender=f'{author} <n@example.org>',
                  msgid='<cs@x>', body='',
                  headers=[f'Content-Type: text/plain; charset={charset}',
                           'Content-Transfer-Encoding: base64'])
    raw += base64.encodebytes(body)
    archive.add(raw)
    text_page = page(mlist, 0)
    assert text in text_page.split('<!--beginarticle-->')[1]
    assert f'<h1>{text}</h1>' in text_page
    assert 'Name ' + text in text_page
    for order in ('thread', 'author'):
        index = read(os.path.join(mlist.archive_dir(), VOLUME,
                                  order + '.html'))
        assert text in index
    with open(os.path.join(mlist.archive_dir(), VOLUME, '000000.html'),
              'rb') as f:
        f.read().decode('utf-8')        # every page is UTF-8


def test_raw_8bit_headers(mlist, archive):
    raw = ('From: J\u00fcrgen <j@example.org>\nSubject: Gr\u00fc\u00dfe '
           'aus K\u00f6ln\nMessage-ID: <8bit@x>\n'
           'Date: Thu, 26 Nov 2026 10:00:00 +0000\n'
           'Content-Type: text/plain; charset=utf-8\n\n'
           'Sch\u00f6ne Gr\u00fc\u00dfe\n').encode('utf-8')
    archive.add(raw)
    latin = ('From: Ren\u00e9 <r@example.org>\nSubject: D\u00e9j\u00e0 vu\n'
             'Message-ID: <latin@x>\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n'
             'Content-Type: text/plain; charset=iso-8859-1\n\n'
             'Tr\u00e8s bien\n').encode('latin-1')
    archive.add(latin)
    first, second = page(mlist, 0), page(mlist, 1)
    assert 'Gr\u00fc\u00dfe aus K\u00f6ln' in first
    assert 'J\u00fcrgen' in first and 'Sch\u00f6ne' in first
    assert 'D\u00e9j\u00e0 vu' in second and 'Tr\u00e8s bien' in second


# ---------------------------------------------------------------- MIME
def _mime(kind):
    if kind == 'html-only':
        return message('HTML only', msgid='<h1@x>', body=(
            f'<html><body><p>Hello <b>world</b></p>{SCRIPT}</body></html>\n'),
            headers=['MIME-Version: 1.0',
                     'Content-Type: text/html; charset=utf-8'])
    return message('Alternative', msgid='<alt@x>', body=(
        '--BOUND\nContent-Type: text/plain; charset=utf-8\n\n'
        'Plain version of the text\n'
        '--BOUND\nContent-Type: text/html; charset=utf-8\n\n'
        f'<p>HTML version</p>{SCRIPT}\n--BOUND--\n'),
        headers=['MIME-Version: 1.0',
                 'Content-Type: multipart/alternative; boundary="BOUND"'])


@pytest.mark.parametrize('kind', ['html-only', 'alternative'])
def test_html_mail_is_shown_safely(mlist, archive, kind):
    archive.add(_mime(kind))
    text = page(mlist, 0)
    body = text.split('<!--beginarticle-->')[1]
    if kind == 'alternative':
        assert 'Plain version of the text' in body
    # The HTML part was stored (escaped) as an attachment and linked.
    assert 'An HTML attachment was removed' in body
    assert '/attachments/' in body
    for path in html_files(mlist.archive_dir()):
        parsed = Links()
        parsed.feed(read(path))
        assert parsed.scripts == 0 and parsed.event_attrs == 0, path


def test_attachments_are_scrubbed_with_safe_names(mlist, archive):
    payload = base64.encodebytes(b'%PDF-1.4 fake pdf\n').decode('ascii')
    raw = message('With attachment', msgid='<att@x>', body=(
        '--B\nContent-Type: text/plain\n\nSee the file.\n'
        '--B\nContent-Type: application/pdf; name="../../etc/pa ss.pdf"\n'
        'Content-Disposition: attachment; filename="../../etc/pa ss.pdf"\n'
        'Content-Transfer-Encoding: base64\n\n' + payload + '--B--\n'),
        headers=['MIME-Version: 1.0',
                 'Content-Type: multipart/mixed; boundary="B"'])
    archive.add(raw)
    stored = []
    for root, dirs, files in os.walk(os.path.join(mlist.archive_dir(),
                                                  'attachments')):
        stored += [os.path.join(root, f) for f in files
                   if not f.endswith('.lock')]
    assert len(stored) == 1
    name = os.path.basename(stored[0])
    assert name.endswith('.pdf') and '/' not in name and ' ' not in name
    assert open(stored[0], 'rb').read() == b'%PDF-1.4 fake pdf\n'
    body = page(mlist, 0).split('<!--beginarticle-->')[1]
    assert 'See the file.' in body
    url = re.search(r'href="([^"]*attachments/[^"]*)"', body).group(1)
    assert url.endswith('/' + name)
    # Under the list's archive URL (PUBLIC_ARCHIVE_URL for a public one).
    assert url.startswith(mlist.GetBaseArchiveURL().rstrip('/') +
                          '/attachments/')
    assert url.startswith('http://www.example.com/pipermail/')


# ---------------------------------------------------------------- escaping
def test_script_in_every_header_and_body_is_inert(mlist, archive, tmp_path):
    hostile = [
        message(SCRIPT, sender=f'"{SCRIPT}" <x@example.org>',
                msgid=f'<{SCRIPT}@x>', body=f'{SCRIPT}\n> {SCRIPT}\n'
                'http://example.org/"><script>alert(2)</script>\n'),
        message(f'Re: {SCRIPT}', msgid='<r@x>',
                sender=f'{SCRIPT}@example.org',
                headers=[f'In-Reply-To: <{SCRIPT}@x>',
                         f'References: {SCRIPT}']),
        message('=?utf-8?q?=3Cscript=3Ealert(3)=3C/script=3E?=',
                msgid='<enc@x>',
                sender='=?utf-8?q?=3Cscript=3E?= <e@example.org>'),
        _mime('html-only'), _mime('alternative'),
    ]
    for raw in hostile:
        archive.add(raw)
    path = tmp_path / 'hostile.mbox'
    write_mbox(path, hostile)
    for rebuild in (False, True):
        if rebuild:
            archive.rebuild(str(path), wipe=True)
        pages = list(html_files(mlist.archive_dir()))
        assert len(pages) > 10
        for name in pages:
            text = read(name)
            parsed = Links()
            parsed.feed(text)
            assert parsed.scripts == 0, name
            assert parsed.event_attrs == 0, name
            assert '<script' not in text.lower(), name
            for link in parsed.links:
                assert not link.lower().startswith('javascript:'), name


def test_addresses_obscured_or_linked(mlist, archive, monkeypatch):
    archive.add(message('Hi', sender='Ann <ann@example.org>',
                        msgid='<ob1@x>', body='Write to bob@example.net\n'))
    text = page(mlist, 0)
    assert 'ann@example.org' not in text and 'bob@example.net' not in text
    assert 'ann at example.org' in text and 'bob at example.net' in text
    # An author known only by address, or written the old way without
    # angle brackets, is disguised on every page and in the text volume.
    archive.add(message('Bare', sender='carl@example.org', msgid='<ob3@x>'))
    archive.add(message('Old style', sender='Dora Example dora@example.org',
                        msgid='<ob4@x>'))
    for path in list(html_files(mlist.archive_dir())) + [
            archive.txt_path(VOLUME)]:
        text = read(path)
        assert 'carl@' not in text and 'dora@' not in text, path
    assert '<i>Dora Example</i>' in read(
        os.path.join(mlist.archive_dir(), VOLUME, 'author.html'))
    monkeypatch.setattr(mm_cfg, 'ARCHIVER_OBSCURES_EMAILADDRS', 0)
    clear = HTMLArchive(mlist)
    try:
        clear.add(message('Hi again', sender='Ann <ann@example.org>',
                          msgid='<ob2@x>'))
    finally:
        clear.close()
    assert 'href="mailto:ann@example.org?' in page(mlist, 3)
    assert 'In-Reply-To=%3Cob2%40x%3E' in page(mlist, 3)


@pytest.mark.parametrize('sender,author,address', [
    ('glyph at example.com (Glyph L)', 'Glyph L', 'glyph@example.com'),
    # Old pipermail put the obscured address in the comment too.
    ('cp at example.org (cp at example.org)', 'cp@example.org',
     'cp@example.org'),
    ('ann at example.org', 'ann@example.org', 'ann@example.org'),
    # Not an obscured address: the words are left alone.
    ('Looks at this (x)', 'x', 'Looks'),
])
def test_pipermail_text_volume_senders(mlist, archive, sender, author,
                                       address):
    """2.1's text volumes write From: as 'user at host (Name)'; rebuilt
    from them, authors keep their names and addresses."""
    row = archive.store.article(archive.add(message(
        'From a text volume', sender=sender, msgid='<tv@x>')).num)
    assert (row['author'], row['email']) == (author, address)


# ---------------------------------------------------------------- volumes
@pytest.mark.parametrize('frequency,name', [
    (0, '2026'), (1, '2026-November'), (2, '2026q4'),
    (3, 'Week-of-Mon-20261123'), (4, '20261127')])
def test_volume_names(frequency, name, monkeypatch):
    monkeypatch.setenv('TZ', 'UTC')
    import time
    time.tzset()
    try:
        when = 1795780800     # Fri, 27 Nov 2026 12:00:00 UTC
        assert Volumes.volume_name(when, frequency) == name
        assert Volumes.is_volume_name(name)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_quarterly_volumes_follow_calendar_quarters():
    import time
    for month, quarter in ((1, 1), (3, 1), (4, 2), (6, 2), (7, 3), (9, 3),
                           (10, 4), (12, 4)):
        when = time.mktime((2026, month, 15, 12, 0, 0, 0, 0, -1))
        assert Volumes.volume_name(when, 2) == f'2026q{quarter}'


def test_daily_volumes_and_toc(mlist):
    mlist.archive_volume_frequency = 4
    archive = HTMLArchive(mlist)
    try:
        archive.add(message('a', msgid='<v1@x>',
                            date='Thu, 26 Nov 2026 12:00:00 +0000'))
        archive.add(message('b', msgid='<v2@x>',
                            date='Fri, 27 Nov 2026 12:00:00 +0000'))
    finally:
        archive.close()
    top = mlist.archive_dir()
    toc = read(os.path.join(top, 'index.html'))
    assert toc.index('20261127/thread.html') < toc.index('20261126/thread.html')
    for volume in ('20261126', '20261127'):
        assert os.readlink(os.path.join(top, volume, 'index.html')) == \
            'thread.html'
        assert os.path.exists(os.path.join(top, volume + '.txt'))


def test_text_volume_and_gzip(mlist, archive, monkeypatch):
    archive.add(message('Text', sender='Ann <ann@example.org>',
                        msgid='<txt@x>', body='From the start\nline\n'))
    txt = read(archive.txt_path(VOLUME))
    assert txt.startswith('From ann at example.org  ')
    assert '\n>From the start\n' in txt and 'ann@example.org' not in txt
    archive.gzip_texts()
    archive.write_toc()
    with gzip.open(archive.txt_path(VOLUME) + '.gz', 'rt') as f:
        assert f.read() == txt
    assert f'href="{VOLUME}.txt.gz"' in read(
        os.path.join(mlist.archive_dir(), 'index.html'))


# ---------------------------------------------------------------- rebuilds
def test_rebuild_keeps_numbers(mlist, archive, tmp_path):
    msgs = [message(f'Message {i}', msgid=f'<n{i}@x>',
                    date=f'Thu, 26 Nov 2026 10:{i:02d}:00 +0000')
            for i in range(6)]
    for raw in msgs:
        archive.add(raw)
    before = {r['msgid']: n for n, r in rows(archive).items()}
    # The mbox now holds them in another order, one is gone, and one is new
    # (and a copy without a Unix From line at the top).
    reordered = [msgs[3], msgs[0], msgs[5], msgs[1],
                 message('New one', msgid='<new@x>'), msgs[4]]
    path = tmp_path / 'reordered.mbox'
    write_mbox(path, reordered, unixfrom=False)
    for wipe in (False, True):
        assert archive.rebuild(str(path), wipe=wipe) == 6
        after = {r['msgid']: n for n, r in rows(archive).items()}
        for msgid, num in after.items():
            if msgid != 'new@x':
                assert before[msgid] == num
        assert after['new@x'] == 6
        assert 'Message 3' in page(mlist, 3)
    # Partial rebuild of the 3rd and 4th message only.
    assert archive.rebuild(str(path), start=2, end=3) == 2
    assert {r['msgid'] for r in rows(archive).values()} == set(after)


def test_rebuild_from_mbox_with_and_without_unix_from(mlist, archive,
                                                      tmp_path):
    msgs = [message('Body has From', msgid='<f1@x>',
                    body='From here on\n>From quoted\nend\n'),
            message('Second', msgid='<f2@x>')]
    path = tmp_path / 'm.mbox'
    write_mbox(path, msgs, unixfrom=False)
    assert path.read_bytes().startswith(b'From: ')
    assert archive.rebuild(str(path)) == 2
    body = page(mlist, 0).split('<!--beginarticle-->')[1]
    assert 'From here on\n<i>&gt;From quoted</i>' in body


def _take_over_21_fixture(mlist, tmp_path):
    top = mlist.archive_dir()
    shutil.rmtree(top)
    shutil.copytree(os.path.join(DATA, 'legacy21'), top, symlinks=True)
    mbox = str(tmp_path / 'legacy.mbox')
    os.rename(os.path.join(top, 'legacy.mbox'), mbox)
    return top, mbox


def test_import_of_a_21_archive_keeps_numbers(mlist, archive, tmp_path):
    top, mbox = _take_over_21_fixture(mlist, tmp_path)
    assert archive.rebuild(mbox) == 3
    r = rows(archive)
    # 2 from the pages and the database; 4 from the database alone.
    assert {n: row['msgid'] for n, row in r.items()} == {
        0: 'first@example.org', 2: 'third@example.org',
        4: 'fourth@example.org'}
    assert r[2]['parent'] == 0
    assert 'A reply; the message numbered' in page(mlist, 2)
    assert 'only 2.1&#x27;s database knows' in page(mlist, 4)
    # The next post takes pipermail.pck's next number.
    assert archive.add(message('After import', msgid='<after@x>',
                               date='Wed, 04 Nov 2026 10:00:00 +0000')
                       ).num == 6
    # And a later rebuild (its index now knows the numbers) agrees.
    archive.rebuild(mbox, wipe=True)
    assert sorted(rows(archive)) == [0, 2, 4]
    # --wipe never removes the mbox it is to read.
    inside = os.path.join(top, 'kept.mbox')
    shutil.copy(mbox, inside)
    with pytest.raises(ValueError):
        archive.rebuild(inside, wipe=True)
    assert os.path.exists(inside)


def test_21_pages_alone_keep_numbers(mlist, archive, tmp_path):
    top, mbox = _take_over_21_fixture(mlist, tmp_path)
    shutil.rmtree(os.path.join(top, 'database'))
    os.unlink(os.path.join(top, 'pipermail.pck'))
    assert archive.rebuild(mbox) == 3
    # Without the database the lost page's message gets the next number.
    assert {n: row['msgid'] for n, row in rows(archive).items()} == {
        0: 'first@example.org', 2: 'third@example.org',
        3: 'fourth@example.org'}


def test_21_database_wins_over_pages(mlist, tmp_path):
    from Mailman.Archiver import Legacy
    top, mbox = _take_over_21_fixture(mlist, tmp_path)
    page_1 = os.path.join(top, '2026-November', '000001.html')
    with open(page_1, encoding='utf-8') as f:
        text = f.read()
    with open(page_1, 'w', encoding='utf-8') as f:
        f.write(text.replace('second%40example.org', 'other%40example.org')
                .replace('second@example.org', 'other@example.org'))
    numbers, first_free = Legacy.taken_over_numbers(top)
    assert numbers == {'first@example.org': 0, 'second@example.org': 1,
                       'third@example.org': 2, 'fourth@example.org': 4}
    assert first_free == 6


def test_post_to_a_21_archive_before_any_rebuild(mlist, archive, tmp_path):
    """ArchRunner may archive a post before the admin runs bin/arch: it
    must not take a number whose 2.1 page is still there."""
    top, mbox = _take_over_21_fixture(mlist, tmp_path)
    first_page = os.path.join(top, '2026-November', '000000.html')
    before = open(first_page, 'rb').read()
    # Even a repeat of a 2.1 Message-ID gets a new number.
    assert archive.add(message('Repeat', msgid='<first@example.org>',
                               date='Thu, 05 Nov 2026 10:00:00 +0000')
                       ).num == 6
    assert archive.add(message('New', msgid='<new@x>',
                               date='Thu, 05 Nov 2026 11:00:00 +0000')
                       ).num == 7
    assert open(first_page, 'rb').read() == before
    # The rebuild afterwards still gives the 2.1 messages their numbers.
    archive.rebuild(mbox)
    assert {n: row['msgid'] for n, row in rows(archive).items()} == {
        0: 'first@example.org', 2: 'third@example.org',
        4: 'fourth@example.org'}


def test_hostile_21_database_runs_nothing(mlist, archive, tmp_path):
    """2.1's database is unpickled with the safe loader: a pickle naming
    os.system is refused, and the pages still give the numbers."""
    top, mbox = _take_over_21_fixture(mlist, tmp_path)
    marker = tmp_path / 'ran'
    evil = ("cos\nsystem\n(S'touch %s'\ntR." % marker).encode()
    data = bytearray(b'{')
    for key, value in ((b'first@example.org', evil),
                       (b'fourth@example.org', b'\x80\x02garbage')):
        data += b's' + struct.pack('<i', len(key)) + key
        data += b's' + struct.pack('<i', len(value)) + value
    data += b'0'
    with open(os.path.join(top, 'database', '2026-November-article'),
              'wb') as f:
        f.write(bytes(data))
    with open(os.path.join(top, 'pipermail.pck'), 'wb') as f:
        f.write(evil)
    assert archive.rebuild(mbox) == 3
    assert not marker.exists()
    assert {n: row['msgid'] for n, row in rows(archive).items()} == {
        0: 'first@example.org', 2: 'third@example.org',
        3: 'fourth@example.org'}


# ---------------------------------------------------------------- mbox
def test_mbox_entries_are_mboxrd_and_read_back(tmp_path):
    path = str(tmp_path / 'list.mbox')
    bodies = [b'From the top\n>From once\n>>From twice\nend\n',
              b'no newline at end']
    from Mailman.Archiver.Article import parse_bytes
    for body in bodies:
        msg = parse_bytes(b'From: a@example.org\nSubject: s\n\n' + body)
        Mbox.append_to_mbox(path, msg, {'received_time': 1795780800})
    data = open(path, 'rb').read()
    assert data.count(b'\n\nFrom a@example.org ') == 1
    assert data.startswith(b'From a@example.org ')
    assert b'\n>From the top\n>>From once\n>>>From twice\n' in data
    assert data.endswith(b'\n\n')
    entries = list(Mbox.entries(path))
    assert len(entries) == 2 == Mbox.count(path)
    assert entries[0][2].endswith(bodies[0])
    assert entries[1][2].endswith(b'no newline at end\n')


# ---------------------------------------------------------------- ArchiveMail
def test_archive_mail_writes_mbox_and_html(mlist):
    from Mailman.Archiver.Article import parse_bytes
    mlist.ArchiveMail(parse_bytes(message('Posted', msgid='<p1@x>')), {})
    assert os.path.getsize(mlist.ArchiveFileName()) > 0
    assert 'Posted' in page(mlist, 0)
    offset = sqlite3.connect(index_path(mlist)).execute(
        'SELECT offset FROM articles').fetchone()[0]
    assert offset == 0


def test_archive_to_mbox_only(mlist, monkeypatch):
    from Mailman.Archiver.Article import parse_bytes
    monkeypatch.setattr(mm_cfg, 'ARCHIVE_TO_MBOX', 1)
    mlist.ArchiveMail(parse_bytes(message('Mbox only', msgid='<p2@x>')), {})
    assert os.path.getsize(mlist.ArchiveFileName()) > 0
    assert not os.path.exists(os.path.join(mlist.archive_dir(), VOLUME))


@pytest.mark.parametrize('private', [0, 1])
def test_external_archiver_runs_without_a_shell(mlist, monkeypatch,
                                                tmp_path, private):
    from Mailman.Archiver.Article import parse_bytes
    out = tmp_path / 'out'
    out.mkdir()
    script = ('import sys; open(sys.argv[1] + "/" + sys.argv[2], "wb")'
              '.write(sys.stdin.buffer.read())')
    setting = (f'{sys.executable} -c \'{script}\' {out} '
               '%(listname)s-%(hostname)s ; touch ' + str(tmp_path / 'bad'))
    name = 'PRIVATE_EXTERNAL_ARCHIVER' if private else \
        'PUBLIC_EXTERNAL_ARCHIVER'
    monkeypatch.setattr(mm_cfg, name, setting)
    mlist.archive_private = private
    raw = message(f'$(touch {tmp_path}/bad2) %(listname)s', msgid='<e@x>')
    mlist.ArchiveMail(parse_bytes(raw), {})
    written = out / f'{mlist.internal_name()}-{mlist.host_name}'
    assert b'%(listname)s' in written.read_bytes()
    assert not (tmp_path / 'bad').exists()
    assert not (tmp_path / 'bad2').exists()
    assert not os.path.exists(os.path.join(mlist.archive_dir(), VOLUME))


# ---------------------------------------------------------------- cleanarch
def test_cleanarch_quotes_stray_from_lines():
    import io
    from Mailman.Archiver import CleanArch
    source = (b'From a@example.org Thu Nov 26 10:00:00 2026\n'
              b'Subject: one\n\nFrom my point of view\n\n'
              b'From a@example.org Thu Nov 26 10:00:00 2026\n'
              b'not a header\n'
              b'From b@example.org  Fri Nov 27 10:00:00 2026\n'
              b'Subject: two\n\nbody\n')
    out, err = io.BytesIO(), io.StringIO()
    assert CleanArch.clean(io.BytesIO(source), out, err=err) == 2
    assert out.getvalue().count(b'\n>From ') == 2
    assert out.getvalue().startswith(b'From a@example.org')
    assert b'\nFrom b@example.org  Fri' in out.getvalue()
    assert CleanArch.clean(io.BytesIO(out.getvalue()), None, quiet=True) == 0


def test_new_list_has_an_empty_archive_page(mlist):
    text = read(os.path.join(mlist.archive_dir(), 'index.html'))
    assert 'No messages have been posted' in text
    assert mlist.GetScriptURL('listinfo', 1) in text


def test_archive_pages_are_valid_html(mlist, archive, tmp_path):
    """Every kind of archive page passes the Nu HTML checker (the
    scrubber's stored attachments are fragments, as in 2.1, and are not
    pages of the archive)."""
    from test_html_valid import check_html
    archive.add(message(f'Topic {SCRIPT}', msgid='<v1@x>',
                        body=f'see http://example.org/?a=1&b=2\n> {SCRIPT}\n'))
    archive.add(message('Re: Topic', msgid='<v2@x>',
                        headers=['In-Reply-To: <v1@x>']))
    archive.add(_mime('alternative'))
    archive.gzip_texts()
    archive.write_toc()
    flat = tmp_path / 'pages'
    flat.mkdir()
    top = mlist.archive_dir()
    for path in html_files(top):
        name = os.path.relpath(path, top)
        if not name.startswith('attachments' + os.sep):
            shutil.copy(path, flat / name.replace(os.sep, '__'))
    assert len(os.listdir(flat)) >= 9
    assert check_html(flat) == []
