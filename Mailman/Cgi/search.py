"""Full-text search of a list's archive: /mailman/search/<list>?q=words.

The archive's SQLite index has an FTS5 table over subjects, authors and
bodies.  The words of the query are all required (each taken literally,
so no FTS syntax reaches the engine); results are shown best first, 20 a
page, linking to the archived messages.  A private archive is searched
only by its members, moderators and administrators.
"""

import os
import re
import sqlite3
import time

from Mailman import mm_cfg
from Mailman.Archiver import Article
from Mailman.Archiver.Store import Store, index_path
from Mailman.Cgi import Auth
from Mailman.Cgi import Page
from Mailman.Cgi.Page import escape

PAGE_SIZE = 20
MAX_WORDS = 12
MAX_START = 10000
_WORD = re.compile(r'\w+')
ROLES = (mm_cfg.AuthSiteAdmin, mm_cfg.AuthListAdmin,
         mm_cfg.AuthListModerator, mm_cfg.AuthUser)


def fts_query(text):
    """TEXT as an FTS5 query requiring each of its words, or ''."""
    words = _WORD.findall(text or '')[:MAX_WORDS]
    return ' '.join('"%s"' % word for word in words)


def authorize(environ, request, mlist):
    """Who may read the private archive of MLIST: (session, message), the
    session being None when the visitor must (still) log in.  Cookies of a
    member, moderator or administrator login open it, and so does a POST
    of username and password."""
    session = Auth.from_cookies(environ, mlist, ROLES)
    if session is not None:
        return session, ''
    if request.method != 'POST' or not request.has('password'):
        return None, ''
    username = request.get('username') or None
    roles = ROLES if username else ROLES[:-1]
    session = Auth.login(environ, mlist, roles, request.get('password'),
                         user=username)
    if session is None:
        return None, 'Authorization failed.'
    return session, ''


def _login_page(stdout, mlist, query, message):
    body = Auth.login_form(
        mlist.GetScriptURL('search', 1),
        f'{mlist.real_name} private archive search', message,
        fields=[('username', 'Email address:', 'text'),
                ('password', 'Password:', 'password')],
        hidden=[('q', query)] if query else ())
    Page.respond(stdout, Page.document(
        f'{mlist.real_name} private archive authentication', body))


def _shown(text):
    if mm_cfg.ARCHIVER_OBSCURES_EMAILADDRS:
        return Article.obscure_addresses(text)
    return text


def _snippet(text):
    text = _shown(text)
    return (escape(text).replace('\x02', '<mark>')
            .replace('\x03', '</mark>'))


def _results(mlist, query, start):
    """(total, rows) of the search, or (0, []) when nothing is archived."""
    path = index_path(mlist)
    if not os.path.exists(path):
        return 0, []
    store = Store(path, readonly=True)
    try:
        return store.search(query, PAGE_SIZE, start)
    except sqlite3.OperationalError:
        # An archive from before search existed has no search table.
        return 0, []
    finally:
        store.close()


def search_page(stdout, mlist, text, start, headers=()):
    action = mlist.GetScriptURL('search', 1)
    title = f'{mlist.real_name} archive search'
    parts = [f'<h1>{escape(title)}</h1>',
             f'<form method="get" action="{escape(action)}" role="search">'
             f'<input type="search" name="q" value="{escape(text)}" '
             'aria-label="Search words" required> '
             '<button type="submit">Search</button></form>']
    base = mlist.GetBaseArchiveURL()
    if not base.endswith('/'):
        base += '/'
    parts.append(f'<p><a href="{escape(base)}">Browse the archives</a></p>')
    query = fts_query(text)
    if text and not query:
        parts.append('<p>Please give some words to search for.</p>')
    elif query:
        total, rows = _results(mlist, query, start)
        if not total:
            parts.append(f'<p>No messages match {escape(text)}.</p>')
        else:
            last = min(start + len(rows), total)
            parts.append(f'<p>Messages {start + 1} to {last} of {total} '
                         f'matching {escape(text)}:</p>\n<ol start="'
                         f'{start + 1}" class="results">')
            for row in rows:
                url = '%s%s/%06d.html' % (base, row['volume'], row['num'])
                when = time.strftime('%Y-%m-%d', time.localtime(row['date']))
                parts.append(
                    f'<li><a href="{escape(url)}">{escape(row["subject"])}'
                    f'</a> <i>{escape(_shown(row["author"]))}</i> '
                    f'{escape(when)}'
                    f'<br><small>{_snippet(row["snippet"])}</small></li>')
            parts.append('</ol>')
            links = []
            if start > 0:
                links.append(_page_link(action, text, max(0, start -
                                                           PAGE_SIZE),
                                        'Previous results'))
            if last < total and last < MAX_START:
                links.append(_page_link(action, text, last, 'More results'))
            if links:
                parts.append('<p>' + ' | '.join(links) + '</p>')
    Page.respond(stdout, Page.document(title, '\n'.join(parts)),
                 extra_headers=headers)


def _page_link(action, text, start, label):
    import urllib.parse
    query = urllib.parse.urlencode({'q': text, 'start': start})
    return f'<a href="{escape(action)}?{escape(query)}">{escape(label)}</a>'


def main(environ, stdout):
    request, mlist = Page.request_and_list(environ, stdout)
    if mlist is None:
        return
    if not mlist.archive:
        Page.error_page(stdout, 'No archive',
                        f'The {mlist.real_name} list keeps no archive.',
                        status='404 Not Found')
        return
    text = request.get('q')[:500]
    try:
        start = min(max(int(request.get('start') or 0), 0), MAX_START)
    except ValueError:
        start = 0
    headers = ()
    if mlist.archive_private:
        try:
            session, message = authorize(environ, request, mlist)
        except Auth.TooManyAttempts:
            Auth.too_many_attempts_page(stdout)
            return
        if session is None:
            _login_page(stdout, mlist, text, message)
            return
        headers = session.headers
    search_page(stdout, mlist, text, start, headers)
