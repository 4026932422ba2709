"""The archive on an installed site: the archive runner, bin/arch,
bin/cleanarch and cron/nightly_gzip, and a real list's archive built and
crawled for broken links."""

import contextlib
import gzip
import re
import shutil
import signal
import subprocess
import sys
import urllib.parse
import uuid
from pathlib import Path

import pytest

from archcrawl import crawl, pages

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from browser import Browser, need_chromium  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / 'data' / 'archive'
REAL = DATA / 'real'
# Real public lists' archives (each directory's README says whose), with
# the fewest messages each must hold and a word to search for.
CORPORA = {
    'real': (REAL, 20, 'reality'),
    'twisted-python': (DATA / 'twisted-python', 4000, 'Deferred'),
}
OWNER = 'owner@example.com'


def newlist(install, prefix='ar', **attributes):
    name = f'{prefix}-{uuid.uuid4().hex[:8]}'
    result = install.bin('newlist', '-q', name, OWNER, 'pw')
    assert result.returncode == 0, result.stderr
    if attributes:
        install.python(
            'from Mailman.MailList import MailList\n'
            f'm = MailList({name!r})\n'
            f'for k, v in {attributes!r}.items():\n'
            '    setattr(m, k, v)\n'
            'm.Save()\nm.Unlock()\n')
    return name


def archive_dir(install, name):
    return install.var_prefix / 'archives' / 'private' / name


def mbox_path(install, name):
    return install.var_prefix / 'archives' / 'private' / f'{name}.mbox' / \
        f'{name}.mbox'


def base_url(install, name):
    return install.python(
        'from Mailman.MailList import MailList\n'
        f'print(MailList({name!r}, lock=0).GetBaseArchiveURL())\n'
    ).stdout.strip()


def numbers(top):
    """{message: number} from the pages of the archive TOP; a message is
    known by its Message-ID, subject and date (some real ones have no
    Message-ID)."""
    found = {}
    for page in top.glob('*/[0-9][0-9][0-9][0-9][0-9][0-9].html'):
        text = page.read_text(encoding='utf-8')
        key = (re.search(r'<meta name="message-id" content="([^"]*)"',
                         text).group(1),
               re.search(r'<h1>(.*?)</h1>', text).group(1),
               re.search(r'<i>(.*?)</i></p>', text).group(1))
        assert key not in found
        found[key] = int(page.stem)
    return found


def real_mbox(target, corpus=REAL):
    """A real list's archive (the monthly *.txt volumes in the directory
    CORPUS; see its README) as one mbox at TARGET; returns the number of
    messages."""
    parts = sorted(corpus.glob('*.txt'))
    assert parts, f'the real archive in {corpus} is missing'
    with open(target, 'wb') as out:
        for part in parts:
            data = part.read_bytes()
            out.write(data.rstrip(b'\n') + b'\n\n')
    return sum(len(re.findall(rb'(?:\A|\n\n)From ', p.read_bytes()))
               for p in parts)


# ---------------------------------------------------------------- runner
@pytest.mark.parametrize('private', [0, 1])
def test_runner_archives_accepted_posts(site_install, private):
    install = site_install
    name = newlist(install, archive_private=private)
    post = (f'From: Ann <ann@example.org>\nTo: {name}@lists.example.com\n'
            'Subject: Archived <b>post</b>\n'
            'Message-ID: <runner-1@example.org>\n\nHello archive\n')
    install.python(
        'import time\n'
        'from Mailman import mm_cfg\n'
        'from Mailman.Queue.Switchboard import Switchboard\n'
        'Switchboard(mm_cfg.ARCHQUEUE_DIR).enqueue('
        f'{post.encode()!r}, listname={name!r}, received_time=time.time())\n')
    result = install.bin('qrunner', '-r', 'Arch', '-o')
    assert result.returncode == 0, result.stderr
    top = archive_dir(install, name)
    assert b'Hello archive' in mbox_path(install, name).read_bytes()
    pages_ = list(top.glob('*/000000.html'))
    assert len(pages_) == 1
    text = pages_[0].read_text(encoding='utf-8')
    assert 'Archived &lt;b&gt;post&lt;/b&gt;' in text
    assert 'Hello archive' in text
    public = install.var_prefix / 'archives' / 'public' / name
    assert public.is_symlink() == (not private)
    assert crawl(top, base_url(install, name)) == []


# ---------------------------------------------------------------- bin/arch
def test_arch_rebuilds_keeping_numbers(site_install, tmp_path):
    install = site_install
    name = newlist(install)
    source = tmp_path / 'real.mbox'
    count = real_mbox(source)
    mbox = mbox_path(install, name)
    shutil.copy(source, mbox)
    result = install.bin('arch', name)
    assert result.returncode == 0, result.stderr
    assert f'{count} messages archived' in result.stdout
    top = archive_dir(install, name)
    first = numbers(top)
    assert sorted(first.values()) == list(range(len(first)))
    # Rebuilding from scratch, and from an mbox in another order, keeps
    # every number.
    result = install.bin('arch', '--wipe', '-q', name)
    assert result.returncode == 0 and result.stdout == ''
    assert numbers(top) == first
    entries = re.split(rb'\n\n(?=From )', source.read_bytes())
    reordered = tmp_path / 'reordered.mbox'
    reordered.write_bytes(b'\n\n'.join(reversed(entries)).rstrip(b'\n')
                          + b'\n\n')
    assert install.bin('arch', '--wipe', name, reordered).returncode == 0
    assert numbers(top) == first
    assert install.bin('arch', '-s', '2', '-e', '4', name).returncode == 0
    assert numbers(top) == first


def test_arch_errors_are_one_line(site_install, tmp_path):
    install = site_install
    result = install.bin('arch', 'no-such-list-here')
    assert result.returncode != 0
    assert result.stderr.strip().count('\n') == 0
    assert 'No such list' in result.stderr
    name = newlist(install)
    result = install.bin('arch', name, tmp_path / 'missing.mbox')
    assert result.returncode != 0 and 'Cannot open' in result.stderr
    assert install.bin('arch', '--help').returncode == 0


# ---------------------------------------------------------------- the real list
@pytest.mark.parametrize('corpus', sorted(CORPORA))
def test_real_list_archive_has_no_broken_links(site_install, corpus):
    """Real public lists' archives, one small and one of thousands of
    messages: every message gets a page, every page is UTF-8 and inert,
    and no internal link is broken."""
    directory, at_least, word = CORPORA[corpus]
    install = site_install
    name = newlist(install, 'real')
    count = real_mbox(mbox_path(install, name), directory)
    assert count >= at_least
    result = install.bin('arch', name)
    assert result.returncode == 0, result.stderr
    top = archive_dir(install, name)
    articles = list(top.glob('*/[0-9]*.html'))
    assert len(articles) == count
    every = pages(top)
    assert len(every) > count
    for page in every:
        text = Path(page).read_bytes().decode('utf-8')
        assert '<script' not in text.lower(), page
    assert crawl(top, base_url(install, name)) == []
    # The search page finds a word of the archive.
    found = install.python(
        'import io, os\n'
        'from Mailman.Cgi import search\n'
        'out = io.BytesIO()\n'
        f'search.main({{"REQUEST_METHOD": "GET", "PATH_INFO": "/{name}", '
        f'"QUERY_STRING": "q={word}"}}, out)\n'
        'print(out.getvalue().decode())\n').stdout
    assert re.search(r'Messages 1 to \d+ of \d+', found), found[-2000:]


# ---------------------------------------------------------------- cleanarch
def test_cleanarch(site_install):
    install = site_install
    mbox = (b'From a@example.org Thu Nov 26 10:00:00 2026\n'
            b'Subject: one\n\nFrom my point of view\n\n'
            b'From b@example.org Thu Nov 26 11:00:00 2026\n'
            b'Subject: two\n\nbody\n')
    result = subprocess.run([str(install.prefix / 'bin' / 'cleanarch')],
                            input=mbox, capture_output=True)
    assert result.returncode == 0
    assert result.stdout == mbox.replace(b'\nFrom my', b'\n>From my')
    assert b'1 Unix-From line(s) changed' in result.stderr
    result = subprocess.run([str(install.prefix / 'bin' / 'cleanarch'),
                             '-n', '-q'], input=mbox, capture_output=True)
    assert result.returncode == 0
    assert result.stdout == b'' and result.stderr == b''


# ---------------------------------------------------------------- nightly_gzip
def test_nightly_gzip(site_install, tmp_path):
    install = site_install
    name = newlist(install)
    shutil.copy(DATA / 'legacy21' / 'legacy.mbox', mbox_path(install, name))
    assert install.bin('arch', '-q', name).returncode == 0
    top = archive_dir(install, name)
    text = top / '2026-November.txt'
    assert text.exists()
    # Off by default: nothing happens.
    result = install.run_cron('nightly_gzip', name)
    assert result.returncode == 0, result.stderr
    assert not (top / '2026-November.txt.gz').exists()
    settings = install.prefix / 'Mailman' / 'mm_cfg.py'
    original = settings.read_text()
    settings.write_text(original + '\nGZIP_ARCHIVE_TXT_FILES = Yes\n')
    try:
        result = install.run_cron('nightly_gzip', '-v', name)
    finally:
        settings.write_text(original)
    assert result.returncode == 0, result.stderr
    with gzip.open(top / '2026-November.txt.gz') as f:
        assert f.read() == text.read_bytes()
    assert 'href="2026-November.txt.gz"' in (top / 'index.html').read_text()


# ---------------------------------------------------------------- browser
@contextlib.contextmanager
def devserver(install):
    """bin/devserver on a free port; yields its root URL."""
    server = subprocess.Popen(
        [str(install.prefix / 'bin' / 'devserver'), '--port', '0'],
        cwd=install.prefix, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    try:
        first = server.stdout.readline()
        assert 'http://' in first, first
        yield first[first.index('http://'):].split('/mailman/')[0]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_chromium_renders_the_real_archive(site_install, request):
    """The real list's archive, served by bin/devserver, in Chromium: the
    table of contents, a thread index, every message page (following the
    links a reader follows) and a search."""
    need_chromium()
    install = site_install
    name = newlist(install, 'view')
    count = real_mbox(mbox_path(install, name))
    assert install.bin('arch', '-q', name).returncode == 0
    with devserver(install) as root:
        archive = f'{root}/pipermail/{name}/'
        with Browser(request.node.name) as browser:
            page = browser.new_page()
            assert page.goto(archive) == 200
            page.screenshot('toc')
            assert 'Archives' in page.text()
            volume = page.raw.get_attribute('a[href$="/thread.html"]',
                                            'href')
            assert page.goto(urllib.parse.urljoin(archive, volume)) == 200
            page.screenshot('thread')
            links = page.raw.eval_on_selector_all(
                'ul.index a[href$=".html"]', 'els => els.map(e => e.href)')
            assert links
            seen = 0
            for link in links:
                assert page.goto(link) == 200
                assert page.raw.inner_text('pre.body').strip()
                seen += 1
            page.screenshot('article')
            assert seen <= count
            search = (f'{root}/mailman/search/{name}?'
                      + urllib.parse.urlencode({'q': 'Reality'}))
            assert page.goto(search) == 200
            page.screenshot('search')
            assert re.search(r'Messages 1 to \d+ of \d+', page.text())


def test_chromium_renders_every_page_of_thousands(site_install, request):
    """A real archive of thousands of messages, built by bin/arch and
    served by bin/devserver: Chromium loads and lays out every page, and
    every archive link on every rendered page answers 200."""
    need_chromium()
    directory, at_least, _ = CORPORA['twisted-python']
    install = site_install
    name = newlist(install, 'big')
    count = real_mbox(mbox_path(install, name), directory)
    assert count >= at_least
    assert install.bin('arch', '-q', name).returncode == 0
    top = archive_dir(install, name)
    every = [Path(p).relative_to(top).as_posix() for p in pages(top)]
    assert len(every) > count
    # Thousands of distinct messages, not only repeats of a few.
    ids = {re.search(r'<meta name="message-id" content="([^"]*)"',
                     (top / p).read_text(encoding='utf-8')).group(1)
           for p in every if re.search(r'/\d{6}\.html$', p)}
    assert len(ids) >= 2000
    with devserver(install) as root, Browser(request.node.name) as browser:
        archive = f'{root}/pipermail/{name}/'
        page = browser.new_page()
        linked = set()
        for relative in every:
            url = archive + relative
            assert page.goto(url) == 200, url
            rendered = page.raw.evaluate(
                '() => [document.body.innerText.trim().length,'
                ' document.body.getBoundingClientRect().height,'
                ' Array.from(document.querySelectorAll("a[href]"),'
                ' a => a.href)]')
            length, height, hrefs = rendered
            assert length > 0 and height > 0, url
            linked.update(h.split('#')[0] for h in hrefs
                          if h.startswith(archive))
            if relative in ('index.html', '2002-October/thread.html') or \
                    relative.endswith('/000000.html'):
                page.screenshot(relative.replace('/', '-'))
        loaded = {archive + r for r in every}
        for url in sorted(linked - loaded):
            # Directory indexes, text downloads and attachments.
            response = page.raw.request.get(url)
            assert response.status == 200, url
