"""Crawling a built HTML archive for broken internal links.

crawl(top, base_url) reads every page under the archive directory TOP and
follows each link that stays inside the archive: relative links, and
absolute ones under BASE_URL (the list's archive URL, as attachment links
are written).  It returns the broken ones as (page, link, reason).  A link
with a #fragment must find an element with that id (or name) in its
target.  A browser test can reuse pages() to get the list of pages to load
and crawl() to check what it followed.
"""

import html.parser
import os
import urllib.parse


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name in ('href', 'src') and tag in ('a', 'link', 'img',
                                                   'script', 'iframe'):
                self.links.append(value)
            elif name in ('id', 'name') and tag != 'input' and \
                    tag != 'meta':
                self.ids.add(value)


def pages(top):
    """Every HTML page under TOP (symlinked index.html pages once)."""
    found = []
    for root, dirs, files in os.walk(top):
        for name in sorted(files):
            path = os.path.join(root, name)
            if name.endswith('.html') and not os.path.islink(path):
                found.append(path)
    return found


def _parse(path, cache):
    if path not in cache:
        parser = _Page()
        with open(path, encoding='utf-8') as f:
            parser.feed(f.read())
        cache[path] = parser
    return cache[path]


def crawl(top, base_url):
    """[(page, link, reason)] for each broken internal link under TOP."""
    top = os.path.realpath(top)
    base = base_url if base_url.endswith('/') else base_url + '/'
    cache = {}
    broken = []
    for page in pages(top):
        for link in _parse(page, cache).links:
            if link.startswith(base):
                target = os.path.join(top, urllib.parse.unquote(
                    link[len(base):].split('#')[0].split('?')[0]))
                fragment = urllib.parse.urlsplit(link).fragment
            else:
                parts = urllib.parse.urlsplit(link)
                if parts.scheme or parts.netloc or link.startswith('/'):
                    continue            # another site or another page
                path = urllib.parse.unquote(parts.path)
                target = os.path.join(os.path.dirname(page), path) \
                    if path else page
                fragment = parts.fragment
            target = os.path.realpath(target)
            if not target.startswith(top + os.sep) and target != top:
                broken.append((page, link, 'leaves the archive'))
            elif os.path.isdir(target):
                if not os.path.exists(os.path.join(target, 'index.html')):
                    broken.append((page, link, 'directory without index'))
            elif not os.path.exists(target):
                broken.append((page, link, 'missing'))
            elif fragment and target.endswith('.html') and \
                    fragment not in _parse(target, cache).ids:
                broken.append((page, link, 'no such anchor'))
    return broken
