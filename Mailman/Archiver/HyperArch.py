"""The HTML archive of one list (pipermail's pages, 2.1's names and URLs).

    <list>/index.html                    volumes, with their text downloads
    <list>/<volume>/{thread,date,subject,author}.html
    <list>/<volume>/index.html           -> thread.html
    <list>/<volume>/NNNNNN.html          one page per message
    <list>/<volume>.txt[.gz]             the volume's messages as text
    <list>/attachments/...               what the scrubber took out

Adding a message writes its page, mends the navigation of the (at most
four) pages next to it by date and by thread, appends to the volume's text
file and rewrites that volume's four index pages and the table of
contents; nothing else, however large the archive.  The facts the pages
are built from are kept in the list's SQLite index (Store).

Page writes are not fsynced: pages can always be rebuilt from the mbox,
which is.
"""

import gzip
import html
import importlib
import os
import re
import shutil
import time
import urllib.parse

from Mailman import Errors
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Archiver import Article
from Mailman.Archiver import Legacy
from Mailman.Archiver import Mbox
from Mailman.Archiver import Volumes
from Mailman.Archiver.Store import (MAX_DEPTH, Store, index_path,
                                    thread_component)

DIR_MODE = 0o2775
FILE_MODE = 0o664
INDEX_ORDERS = ('thread', 'date', 'subject', 'author')
_NAV = re.compile(r'<!--nav-->.*?<!--/nav-->', re.DOTALL)
# Where the navigation goes in a page rendered before its neighbours are
# known (a rebuild).
_NAV_SLOT = '\x00nav\x00'
_TXT_DATE = '%a %b %d %H:%M:%S %Y'


def escape(value):
    return html.escape(str(value), quote=True)


def article_filename(num):
    return '%06d.html' % num


def format_date(when):
    return time.strftime('%a %b %d %H:%M:%S %Z %Y', time.localtime(when))


def write_page(path, text):
    """Replace PATH with TEXT (UTF-8), atomically for readers."""
    temporary = '%s.tmp%d' % (path, os.getpid())
    with open(temporary, 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(temporary, FILE_MODE)
    os.replace(temporary, path)


def make_dir(path):
    if not os.path.isdir(path):
        os.makedirs(path, exist_ok=True)
        os.chmod(path, DIR_MODE)


def write_empty_index(mlist):
    """Give a list without posts its "the archive is empty" index.html."""
    path = os.path.join(mlist.archive_dir(), 'index.html')
    if os.path.exists(path):
        return
    listinfo = mlist.GetScriptURL('listinfo', absolute=1)
    text = Utils.maketext('emptyarchive.html', {
        'lang': escape(mlist.preferred_language),
        'listname': escape(mlist.real_name), 'listinfo': escape(listinfo)},
        lang=mlist.preferred_language, mlist=mlist)
    write_page(path, text)


class _Template(dict):
    """Leaves unknown placeholders empty rather than failing."""

    def __missing__(self, key):
        return ''


class HTMLArchive:
    def __init__(self, mlist):
        self.mlist = mlist
        self.dir = mlist.archive_dir()
        make_dir(self.dir)
        self.store = Store(index_path(mlist))
        self.obscure = bool(mm_cfg.ARCHIVER_OBSCURES_EMAILADDRS)
        self.frequency = mlist.archive_volume_frequency
        self.lang = mlist.preferred_language
        self._templates = {}
        self._scrubber = None
        listinfo = mlist.GetScriptURL('listinfo', absolute=1)
        search = mlist.GetScriptURL('search', absolute=1)
        name = escape(mlist.real_name)
        self.searchform = (
            f'<form class="search" method="get" action="{escape(search)}" '
            'role="search"><label>Search the archives: <input type="search" '
            'name="q" required></label> <button type="submit">Search'
            '</button></form>')
        self.footer = (
            f'<p><a href="{escape(listinfo)}">More information about the '
            f'{name} mailing list</a></p>\n{self.searchform}')
        self.common = {'lang': escape(self.lang), 'listname': name,
                       'listinfo': escape(listinfo),
                       'searchform': self.searchform, 'footer': self.footer}

    def close(self):
        self.store.close()

    # -------------------------------------------------------------- helpers
    def template(self, name):
        if name not in self._templates:
            self._templates[name] = Utils.findtext(
                name, raw=True, lang=self.lang, mlist=self.mlist)[0]
        return self._templates[name]

    def fill(self, name, **values):
        data = _Template(self.common)
        data.update(values)
        return self.template(name) % data

    def scrub(self, msg):
        if not msg.is_multipart() and msg.get_content_type() == 'text/plain' \
                and 'content-disposition' not in msg:
            return msg          # nothing the scrubber would take out
        if self._scrubber is None:
            self._scrubber = importlib.import_module(mm_cfg.ARCHIVE_SCRUBBER)
        try:
            return self._scrubber.process(self.mlist, msg)
        except Errors.DiscardMessage:
            return None

    def shown(self, text):
        """TEXT (a name, which may be an address) as pages show it."""
        return Article.obscure_addresses(text) if self.obscure else text

    def volume_dir(self, volume):
        return os.path.join(self.dir, volume)

    def page_path(self, volume, num):
        return os.path.join(self.dir, volume, article_filename(num))

    # -------------------------------------------------------------- adding
    def _prepare(self, raw, from_line, fallback_date, key_for, number_for,
                 offset=-1):
        """Parse RAW, number and thread it, and store it in the index;
        returns its Article.  KEY_FOR(msgid, raw) gives the numbering key
        and NUMBER_FOR(key) the number.  The parent is the first of
        In-Reply-To and References (newest first) archived in the same
        volume; a message that names none is threaded under the first one
        of the volume with the same subject (less reply markers and list
        tags), as 2.1 did."""
        msg = Article.parse_bytes(raw)
        article = Article.from_message(msg, from_line, fallback_date)
        article.key = key_for(article.msgid, raw)
        article.num = number_for(article.key)
        article.offset = offset
        article.volume = Volumes.volume_name(article.date, self.frequency)
        sortsubject = Article.thread_subject(article.subject)
        parent = self.store.find_parent(article.volume, article.in_reply_to)
        if parent is None and not article.in_reply_to:
            parent = self.store.find_by_subject(article.volume, sortsubject,
                                                article.num)
        own = thread_component(article.date, article.num)
        if parent is None:
            threadkey, depth, parent_num = own, 0, None
        else:
            depth = min(parent['depth'] + 1, MAX_DEPTH)
            base = parent['threadkey']
            if parent['depth'] >= MAX_DEPTH:
                base = base.rsplit('/', 1)[0]
            threadkey, parent_num = base + '/' + own, parent['num']
        scrubbed = self.scrub(msg)
        if scrubbed is None:
            article.body = '[HTML content removed]\n'
        else:
            article.body = Article.body_text(scrubbed)
        self.store.remember_number(article.key, article.num)
        self.store.insert_article({
            'num': article.num, 'msgid': article.msgid,
            'volume': article.volume, 'date': article.date,
            'author': article.author, 'email': article.email,
            'subject': article.subject, 'sortsubject': sortsubject,
            'parent': parent_num, 'threadkey': threadkey, 'depth': depth,
            'offset': article.offset}, article.body)
        return article

    def take_over_21(self):
        """Once per index: record the numbers of a 2.1 archive found in
        this directory (see Legacy), so that rebuilds keep them and new
        posts are numbered after them even before the first rebuild."""
        store = self.store
        if store.get_meta('taken_over'):
            return
        if not store.has_numbers():
            numbers, first_free = Legacy.taken_over_numbers(self.dir)
            for msgid, num in numbers.items():
                store.remember_number(Article.number_key(msgid, 0), num)
            store.reserve_numbers(first_free)
            store.set_meta('legacy_next', first_free)
        store.set_meta('taken_over', 1)
        store.db.commit()

    def _incremental_key(self, msgid, raw):
        # A number with no article is free for its key again (a rebuild
        # is under way), unless it is a 2.1 page not yet rebuilt.
        legacy_next = int(self.store.get_meta('legacy_next', 0))
        base = Article.number_key(msgid, 0, raw)
        occurrence = 0
        while True:
            key = Article.number_key(base, occurrence)
            num = self.store.number_for(key)
            if num is None or (self.store.article(num) is None
                               and num >= legacy_next):
                return key
            occurrence += 1

    def _incremental_number(self, key):
        num = self.store.number_for(key)
        return num if num is not None else self.store.next_number()

    def add(self, msg_or_bytes, offset=-1):
        """Archive one message (a Message or its bytes); returns its
        Article."""
        raw = msg_or_bytes
        if not isinstance(raw, bytes):
            raw = Mbox.message_bytes(msg_or_bytes)
        self.take_over_21()
        db = self.store.db
        with db:
            article = self._prepare(raw, '', None, self._incremental_key,
                                    self._incremental_number, offset)
            self.store.update_volume(article.volume)
            self._start_volume(article.volume)
            self.write_article(article)
            row = self.store.article(article.num)
            touched = set()
            for order in ('date', 'thread'):
                for neighbour in self.store.neighbours(row, order):
                    if neighbour is not None:
                        touched.add(neighbour['num'])
            for num in touched:
                self.patch_nav(self.store.article(num))
            with open(self.txt_path(article.volume), 'a',
                      encoding='utf-8') as f:
                f.write(self.txt_entry(article))
            self.write_indexes(article.volume)
            self.write_toc()
        return article

    # -------------------------------------------------------------- article
    def _nav(self, row):
        links = []
        for order in ('date', 'thread'):
            before, after = self.store.neighbours(row, order)
            links.append((order, before and before['num'],
                          before and before['subject']))
            links.append((order, after and after['num'],
                          after and after['subject']))
        return nav_html(row['num'], links)

    def _email_html(self, article):
        if not article.email:
            return ''
        if self.obscure:
            return escape(Utils.ObscureEmail(article.email, for_text=True))
        query = urllib.parse.urlencode({
            'Subject': 'Re: ' + article.subject,
            'In-Reply-To': '<%s>' % article.msgid}, quote_via=urllib.parse.quote)
        return '<a href="mailto:%s?%s">%s</a>' % (
            escape(urllib.parse.quote(article.email, safe='@')),
            escape(query), escape(article.email))

    def render_article(self, article, nav):
        return self.fill(
            'article.html', msgid=escape(article.msgid),
            title=escape(article.subject),
            author=escape(self.shown(article.author)),
            email=self._email_html(article),
            datestr=escape(format_date(article.date)), nav=nav,
            body=Article.body_html(article.body, self.obscure))

    def write_article(self, article):
        nav = self._nav(self.store.article(article.num))
        write_page(self.page_path(article.volume, article.num),
                   self.render_article(article, nav))

    def patch_nav(self, row, nav=None):
        """Put fresh navigation links into an existing page."""
        path = self.page_path(row['volume'], row['num'])
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except (FileNotFoundError, UnicodeDecodeError):
            return
        nav = nav if nav is not None else self._nav(row)
        new = _NAV.sub(lambda m: nav, text)
        if new != text:
            write_page(path, new)

    # -------------------------------------------------------------- volumes
    def _start_volume(self, volume):
        directory = self.volume_dir(volume)
        make_dir(directory)
        link = os.path.join(directory, 'index.html')
        if not os.path.lexists(link):
            os.symlink('thread.html', link)

    def txt_path(self, volume):
        return os.path.join(self.dir, volume + '.txt')

    def txt_entry(self, article):
        sender = article.email or 'unknown'
        shown = Utils.ObscureEmail(sender, for_text=True)
        body = article.body
        if self.obscure:
            body = Article.obscure_addresses(body)
        body = re.sub(r'(?m)^From ', '>From ', body)
        lines = ['From %s  %s' % (shown, time.strftime(
                     _TXT_DATE, time.localtime(article.date))),
                 'From: %s (%s)' % (shown, Article.obscure_addresses(
                     article.author)),
                 'Date: %s' % format_date(article.date),
                 'Subject: %s' % article.subject]
        if article.in_reply_to:
            lines.append('In-Reply-To: <%s>' % article.in_reply_to[0])
        if article.msgid:
            lines.append('Message-ID: <%s>' % article.msgid)
        return '\n'.join(lines) + '\n\n' + body.rstrip('\n') + '\n\n'

    def write_indexes(self, volume):
        info = self.store.volume(volume)
        if info is None:
            return
        for order in INDEX_ORDERS:
            links = ' '.join(
                f'<a href="{other}.html">[ {other} ]</a>'
                for other in INDEX_ORDERS if other != order)
            values = dict(archive=escape(volume), sortedby=order,
                          sortlinks=links, size=info['count'],
                          firstdate=escape(format_date(info['first'])),
                          lastdate=escape(format_date(info['last'])),
                          archivedate=escape(format_date(time.time())))
            parts = [self.fill('archidxhead.html', **values)]
            entry = self.template('archidxentry.html')
            depth = 0
            for row in self.store.volume_rows(volume, order):
                if order == 'thread':
                    while depth < row['depth']:
                        parts.append('<li class="replies"><ul>\n')
                        depth += 1
                    while depth > row['depth']:
                        parts.append('</ul></li>\n')
                        depth -= 1
                parts.append(entry % _Template(
                    filename=article_filename(row['num']),
                    subject=escape(row['subject']),
                    sequence=row['num'],
                    author=escape(self.shown(row['author']))))
            while depth > 0:
                parts.append('</ul></li>\n')
                depth -= 1
            parts.append(self.fill('archidxfoot.html', **values))
            write_page(os.path.join(self.volume_dir(volume),
                                    order + '.html'), ''.join(parts))

    def write_toc(self):
        volumes = sorted(self.store.volumes(),
                         key=lambda v: Volumes.sort_key(v['name']),
                         reverse=True)
        if not volumes:
            write_page(os.path.join(self.dir, 'index.html'),
                       self.fill('emptyarchive.html'))
            return
        rows = []
        for volume in volumes:
            name = volume['name']
            textlink = ''
            for suffix, label in (('.txt.gz', "Gzip'd Text"),
                                  ('.txt', 'Text')):
                path = os.path.join(self.dir, name + suffix)
                if os.path.exists(path):
                    size = os.path.getsize(path)
                    textlink = '<a href="%s">[ %s %d KB ]</a>' % (
                        escape(urllib.parse.quote(name + suffix)), label,
                        (size + 1023) // 1024)
                    break
            rows.append(self.template('archtocentry.html') % _Template(
                archive=escape(name), archivelabel=escape(name),
                textlink=textlink))
        listing = ('<table class="volumes">\n<tr><th>Archive</th>'
                   '<th>View by:</th><th>Downloadable version</th></tr>\n'
                   + ''.join(rows) + '</table>')
        write_page(os.path.join(self.dir, 'index.html'),
                   self.fill('archtoc.html', listing=listing))

    def gzip_texts(self, volumes=None, level=6):
        """Write <volume>.txt.gz for each volume whose text is newer."""
        names = volumes if volumes is not None else \
            [v['name'] for v in self.store.volumes()]
        for name in names:
            source = self.txt_path(name)
            target = source + '.gz'
            try:
                mtime = os.path.getmtime(source)
            except FileNotFoundError:
                continue
            if os.path.exists(target) and os.path.getmtime(target) >= mtime:
                continue
            temporary = target + '.tmp%d' % os.getpid()
            with open(source, 'rb') as src, \
                    gzip.open(temporary, 'wb', compresslevel=level) as dst:
                shutil.copyfileobj(src, dst)
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, target)

    # -------------------------------------------------------------- rebuild
    def wipe(self):
        """Remove the HTML archive (keeping the numbers in the index)."""
        for name in os.listdir(self.dir):
            path = os.path.join(self.dir, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        self.store.clear_articles()
        self.store.db.commit()

    def rebuild(self, mbox_path, start=None, end=None, progress=None,
                wipe=False):
        """Archive the messages of MBOX_PATH numbered START..END (from 0,
        both included; all when not given), keeping message numbers.
        Returns the number of messages archived."""
        store = self.store
        db = store.db
        full = start is None and end is None
        start = start or 0
        self.take_over_21()
        known = store.all_numbers()
        if wipe:
            inside = os.path.realpath(mbox_path).startswith(
                os.path.realpath(self.dir) + os.sep)
            if inside:
                raise ValueError('the mbox %s is inside the archive that '
                                 '--wipe would remove; move it first'
                                 % mbox_path)
            self.wipe()
        elif full:
            store.clear_articles()
            shutil.rmtree(os.path.join(self.dir, 'attachments'),
                          ignore_errors=True)
        used = set(known.values())
        next_free = [store.next_number()]
        seen = {}

        def key_for(msgid, raw):
            base = Article.number_key(msgid, 0, raw)
            occurrence = seen.get(base, 0)
            seen[base] = occurrence + 1
            return Article.number_key(base, occurrence)

        def number_for(key):
            num = known.get(key)
            if num is None:
                while next_free[0] in used:
                    next_free[0] += 1
                num = next_free[0]
                used.add(num)
                known[key] = num
            else:
                old = store.article(num)
                if old is not None:
                    store.delete_article(num)
            return num

        touched = {}
        texts = {}
        count = 0
        previous_date = None
        db.execute('CREATE TEMP TABLE IF NOT EXISTS pending_pages '
                   '(num INTEGER PRIMARY KEY, html TEXT NOT NULL)')
        try:
            for index, (offset, from_line, raw) in enumerate(
                    Mbox.entries(mbox_path)):
                if index < start or (end is not None and index > end):
                    if end is not None and index > end:
                        break
                    # Still counted, so that repeats are numbered alike.
                    msgid = Article.message_ids(
                        _header_value(raw, b'message-id'))
                    key_for(msgid[0] if msgid else '', raw)
                    continue
                article = self._prepare(raw, from_line, previous_date,
                                        key_for, number_for, offset)
                previous_date = article.date
                if article.volume not in touched:
                    touched[article.volume] = True
                    self._start_volume(article.volume)
                    mode = 'w' if full else 'a'
                    texts[article.volume] = open(
                        self.txt_path(article.volume), mode, encoding='utf-8')
                texts[article.volume].write(self.txt_entry(article))
                # Pages are written once their neighbours are known.
                db.execute('INSERT OR REPLACE INTO pending_pages VALUES '
                           '(?, ?)', (article.num, self.render_article(
                               article, _NAV_SLOT)))
                count += 1
                if progress is not None:
                    progress.step()
            for volume in touched:
                store.update_volume(volume)
            db.commit()
        except BaseException:
            db.rollback()
            raise
        finally:
            for f in texts.values():
                f.close()
        for volume in touched:
            self._renav_volume(volume)
            self.write_indexes(volume)
        db.execute('DROP TABLE pending_pages')
        db.commit()
        if mm_cfg.GZIP_ARCHIVE_TXT_FILES:
            self.gzip_texts(list(touched))
        self.write_toc()
        return count

    def _renav_volume(self, volume):
        """Write the navigation links of every page of VOLUME."""
        store = self.store
        by_date = [r['num'] for r in store.volume_rows(volume, 'date')]
        by_thread = [r['num'] for r in store.volume_rows(volume, 'thread')]
        rows = {r['num']: r for r in store.db.execute(
            'SELECT num, subject, volume FROM articles WHERE volume = ?',
            (volume,))}

        def around(order):
            result = {}
            for i, num in enumerate(order):
                result[num] = (order[i - 1] if i > 0 else None,
                               order[i + 1] if i + 1 < len(order) else None)
            return result

        dates, threads = around(by_date), around(by_thread)
        pending = dict(store.db.execute(
            'SELECT p.num, p.html FROM pending_pages p JOIN articles a '
            'ON a.num = p.num WHERE a.volume = ?', (volume,)))
        for num in by_date:
            links = []
            for order, table in (('date', dates), ('thread', threads)):
                for other in table[num]:
                    links.append((order, other, other is not None and
                                  rows[other]['subject']))
            nav = nav_html(num, links)
            page = pending.pop(num, None)
            if page is None:
                self.patch_nav(rows[num], nav)
            else:
                # A rebuild writes many pages: no temporary file each.
                path = self.page_path(volume, num)
                with open(path, 'w', encoding='utf-8') as f:
                    f.write(page.replace(_NAV_SLOT, nav))


def nav_html(num, links):
    """The navigation block of message NUM.  LINKS holds (order, number,
    subject) for the previous and next message by date, then by thread;
    number None where there is none."""
    items = []
    for index, (order, other, subject) in enumerate(links):
        if other is None:
            continue
        which = 'Previous' if index % 2 == 0 else 'Next'
        items.append(f'<li>{which} message (by {order}): <a href="'
                     f'{article_filename(other)}">{escape(subject)}</a></li>')
    sorts = ' '.join(f'<a href="{order}.html#{num}">[ {order} ]</a>'
                     for order in ('date', 'thread', 'subject', 'author'))
    items.append(f'<li><b>Messages sorted by:</b> {sorts}</li>')
    return '<!--nav--><ul class="nav">\n%s\n</ul><!--/nav-->' % (
        '\n'.join(items))


def _header_value(raw, name):
    """The value of header NAME in the message bytes RAW (first line only
    is enough for a Message-ID)."""
    head = raw.split(b'\n\n', 1)[0]
    match = re.search(rb'(?im)^' + re.escape(name) + rb':[ \t]*(.*(?:\n[ \t].*)*)',
                      head)
    return match.group(1).decode('latin-1') if match else ''
