"""The archive's index: one SQLite file per list.

It lives beside the list's mbox, archives/private/<list>.mbox/<list>.sqlite,
outside the HTML tree that archives/public/<list> exposes.  It holds

  numbers   every message key (Message-ID, see Article.number_key) ever
            numbered, with its number: rebuilds look numbers up here, so
            a message keeps its URL;
  articles  what the index pages and navigation links need, per message;
  volumes   message counts and date ranges per volume;
  search    an FTS5 table over subject, author and body (rowid = number).

Everything but `numbers` can be rebuilt from the mbox.
"""

import os
import sqlite3
import urllib.parse

SCHEMA = '''
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS numbers (
    key TEXT PRIMARY KEY, num INTEGER NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS articles (
    num INTEGER PRIMARY KEY,
    msgid TEXT NOT NULL,
    volume TEXT NOT NULL,
    date REAL NOT NULL,
    author TEXT NOT NULL,
    email TEXT NOT NULL,
    subject TEXT NOT NULL,
    sortsubject TEXT NOT NULL,
    parent INTEGER,
    threadkey TEXT NOT NULL,
    depth INTEGER NOT NULL,
    offset INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS articles_msgid ON articles (msgid, volume);
CREATE INDEX IF NOT EXISTS articles_date ON articles (volume, date, num);
CREATE INDEX IF NOT EXISTS articles_thread ON articles (volume, threadkey);
CREATE INDEX IF NOT EXISTS articles_subject
    ON articles (volume, sortsubject, date);
CREATE TABLE IF NOT EXISTS volumes (
    name TEXT PRIMARY KEY, count INTEGER NOT NULL,
    first REAL NOT NULL, last REAL NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5 (
    subject, author, body, tokenize = 'unicode61 remove_diacritics 2');
'''

ARTICLE_COLUMNS = ('num', 'msgid', 'volume', 'date', 'author', 'email',
                   'subject', 'sortsubject', 'parent', 'threadkey', 'depth',
                   'offset')
# A thread key gets one component per level; deeper replies are kept at
# this depth so that keys stay short.
MAX_DEPTH = 40


def index_path(mlist):
    return os.path.join(os.path.dirname(mlist.ArchiveFileName()),
                        mlist.internal_name() + '.sqlite')


def thread_component(date, num):
    return '%011d.%07d' % (max(0, int(date)), num)


class Store:
    def __init__(self, path, readonly=False):
        self.path = path
        if readonly:
            uri = 'file:%s?mode=ro' % urllib.parse.quote(path)
            self.db = sqlite3.connect(uri, uri=True, timeout=30)
        else:
            directory = os.path.dirname(path)
            os.makedirs(directory, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o660)
            os.close(fd)
            self.db = sqlite3.connect(path, timeout=60)
            self.db.executescript(SCHEMA)
        self.db.row_factory = sqlite3.Row
        self.db.execute('PRAGMA synchronous = NORMAL')

    def close(self):
        self.db.close()

    # -------------------------------------------------------------- meta
    def get_meta(self, name, default=None):
        row = self.db.execute('SELECT value FROM meta WHERE name = ?',
                              (name,)).fetchone()
        return row[0] if row else default

    def set_meta(self, name, value):
        self.db.execute('INSERT OR REPLACE INTO meta VALUES (?, ?)',
                        (name, str(value)))

    # -------------------------------------------------------------- numbers
    def number_for(self, key):
        row = self.db.execute('SELECT num FROM numbers WHERE key = ?',
                              (key,)).fetchone()
        return row[0] if row else None

    def has_numbers(self):
        return self.db.execute(
            'SELECT 1 FROM numbers LIMIT 1').fetchone() is not None

    def all_numbers(self):
        return dict(self.db.execute('SELECT key, num FROM numbers'))

    def next_number(self):
        """One more than any number handed out (or reserved) so far."""
        row = self.db.execute('SELECT MAX(num) FROM numbers').fetchone()
        highest = row[0] if row[0] is not None else -1
        reserved = int(self.get_meta('next_number', 0))
        return max(highest + 1, reserved)

    def reserve_numbers(self, upto):
        """Never hand out numbers below UPTO (pages of an imported 2.1
        archive may already use them)."""
        if upto > int(self.get_meta('next_number', 0)):
            self.set_meta('next_number', upto)

    def remember_number(self, key, num):
        self.db.execute('INSERT OR REPLACE INTO numbers VALUES (?, ?)',
                        (key, num))

    # -------------------------------------------------------------- articles
    def article(self, num):
        return self.db.execute('SELECT * FROM articles WHERE num = ?',
                               (num,)).fetchone()

    def find_parent(self, volume, msgids):
        """The first of MSGIDS archived in VOLUME, as a row, or None."""
        for msgid in msgids:
            row = self.db.execute(
                'SELECT num, threadkey, depth FROM articles '
                'WHERE msgid = ? AND volume = ? ORDER BY num LIMIT 1',
                (msgid, volume)).fetchone()
            if row is not None:
                return row
        return None

    def find_by_subject(self, volume, sortsubject, before):
        return self.db.execute(
            'SELECT num, threadkey, depth FROM articles '
            'WHERE volume = ? AND sortsubject = ? AND num != ? '
            'ORDER BY date, num LIMIT 1',
            (volume, sortsubject, before)).fetchone()

    def insert_article(self, values, body):
        self.db.execute(
            'INSERT OR REPLACE INTO articles (%s) VALUES (%s)' % (
                ', '.join(ARTICLE_COLUMNS), ', '.join('?' * len(
                    ARTICLE_COLUMNS))),
            [values[c] for c in ARTICLE_COLUMNS])
        self.db.execute('DELETE FROM search WHERE rowid = ?',
                        (values['num'],))
        self.db.execute(
            'INSERT INTO search (rowid, subject, author, body) '
            'VALUES (?, ?, ?, ?)',
            (values['num'], values['subject'],
             '%s %s' % (values['author'], values['email']), body))

    def delete_article(self, num):
        self.db.execute('DELETE FROM articles WHERE num = ?', (num,))
        self.db.execute('DELETE FROM search WHERE rowid = ?', (num,))

    def clear_articles(self):
        self.db.execute('DELETE FROM articles')
        self.db.execute('DELETE FROM search')
        self.db.execute('DELETE FROM volumes')

    def update_volume(self, volume):
        row = self.db.execute(
            'SELECT COUNT(*), MIN(date), MAX(date) FROM articles '
            'WHERE volume = ?', (volume,)).fetchone()
        if row[0]:
            self.db.execute('INSERT OR REPLACE INTO volumes VALUES '
                            '(?, ?, ?, ?)', (volume, row[0], row[1], row[2]))
        else:
            self.db.execute('DELETE FROM volumes WHERE name = ?', (volume,))

    def volumes(self):
        return self.db.execute('SELECT * FROM volumes').fetchall()

    def volume(self, name):
        return self.db.execute('SELECT * FROM volumes WHERE name = ?',
                               (name,)).fetchone()

    # -------------------------------------------------------------- orders
    _ORDERS = {
        'date': ('date', 'num'),
        'thread': ('threadkey',),
    }

    def neighbours(self, row, order):
        """(previous, next) rows of ROW in ORDER ('date' or 'thread')
        within its volume."""
        columns = self._ORDERS[order]
        values = [row[c] for c in columns]
        key = '(%s)' % ', '.join(columns)
        marks = '(%s)' % ', '.join('?' * len(columns))
        desc = ', '.join(c + ' DESC' for c in columns)
        asc = ', '.join(columns)
        before = self.db.execute(
            'SELECT num, subject FROM articles WHERE volume = ? AND '
            '%s < %s ORDER BY %s LIMIT 1' % (key, marks, desc),
            [row['volume']] + values).fetchone()
        after = self.db.execute(
            'SELECT num, subject FROM articles WHERE volume = ? AND '
            '%s > %s ORDER BY %s LIMIT 1' % (key, marks, asc),
            [row['volume']] + values).fetchone()
        return before, after

    def volume_rows(self, volume, order):
        orders = {
            'date': 'date, num',
            'thread': 'threadkey',
            'subject': 'sortsubject, date, num',
            'author': 'author COLLATE NOCASE, date, num',
        }
        return self.db.execute(
            'SELECT num, subject, author, email, date, depth FROM articles '
            'WHERE volume = ? ORDER BY ' + orders[order], (volume,))

    # -------------------------------------------------------------- search
    def search(self, query, limit=20, offset=0):
        """(total, rows) for an FTS5 QUERY, best matches first."""
        total = self.db.execute(
            'SELECT COUNT(*) FROM search WHERE search MATCH ?',
            (query,)).fetchone()[0]
        rows = self.db.execute(
            'SELECT a.num, a.volume, a.subject, a.author, a.date, '
            "snippet(search, 2, char(2), char(3), ' ... ', 24) AS snippet "
            'FROM search JOIN articles a ON a.num = search.rowid '
            'WHERE search MATCH ? ORDER BY rank LIMIT ? OFFSET ?',
            (query, limit, offset)).fetchall()
        return total, rows
