# -*- coding: utf-8 -*-
"""Write the 2.1 pipermail state files of this fixture with a real Python 2.

    /root/.pyenv/versions/2.7.18/bin/python \
        tests/data/archive/legacy21/make_database.py

2.1 keeps, per volume, `database/<volume>-article`: a marshal dump of a
dict from the bare Message-ID to a protocol-0 pickle of the message's
Article (its body emptied), whose `sequence` is the message's number.
The `-date`, `-author`, `-subject` and `-thread` files are marshal dicts
from sort keys to Message-IDs.  `pipermail.pck` is a pickled dict of the
archiver's state; `sequence` is the next number to hand out.

What the files say here:
  first@example.org   0   (its page is there too)
  second@example.org  1   (removed from the mbox later)
  third@example.org   2   (its page is there too)
  000003              3   (a message without Message-ID: 2.1 keyed it by
                           its number; nothing can be matched to it)
  fourth@example.org  4   (its page was lost)
  next number         6   (number 5's article was dropped from the index)
The Article class is a classic class in a module at 2.1's path, as in 2.1,
so the pickles name `Mailman.Archiver.HyperArch.Article`.
"""

import marshal
import os
import shutil
import sys
import tempfile
import cPickle

HERE = os.path.dirname(os.path.abspath(__file__))
VOLUME = '2026-November'

# A stand-in for 2.1's module layout, so pickles name the 2.1 class path.
stub = tempfile.mkdtemp()
os.makedirs(os.path.join(stub, 'Mailman', 'Archiver'))
open(os.path.join(stub, 'Mailman', '__init__.py'), 'w').close()
open(os.path.join(stub, 'Mailman', 'Archiver', '__init__.py'), 'w').close()
with open(os.path.join(stub, 'Mailman', 'Archiver', 'HyperArch.py'),
          'w') as f:
    f.write('class Article:\n    pass\n')
sys.path.insert(0, stub)
from Mailman.Archiver.HyperArch import Article


def article(sequence, msgid, subject, author, email, date, parent=None):
    a = Article()
    a.sequence = sequence
    a.msgid = msgid
    a.subject = subject
    a.author = author
    a.email = email
    a.date = '%011i' % date
    a.datestr = 'Mon Nov  2 09:00:00 2026'
    a.headers = {'message-id': '<%s>' % msgid}
    a.in_reply_to = parent or ''
    a.references = parent and [parent] or []
    a.parentID = parent
    a.threadKey = '%011i-%06i' % (date, sequence)
    a.filename = '%06i.html' % sequence
    a.body = []
    a.decoded = {'author': author, 'subject': subject}
    a.charset = 'us-ascii'
    a.ctype = 'text/plain'
    a.cenc = '7bit'
    return a


articles = [
    article(0, 'first@example.org', '[Legacy] First post', 'Ann Example',
            'ann@example.org', 1793610000),
    article(1, 'second@example.org', 'Removed', 'Dan Example',
            'dan@example.org', 1793613600),
    article(2, 'third@example.org', 'Re: [Legacy] First post',
            'Bob Example', 'bob@example.org', 1793700000,
            parent='first@example.org'),
    article(3, '3', 'No Message-ID', 'Eve Example', 'eve@example.org',
            1793703600),
    article(4, 'fourth@example.org', '[Legacy] Page lost', 'Cat Example',
            'cat@example.org', 1793790000),
]

database = os.path.join(HERE, 'database')
if os.path.isdir(database):
    shutil.rmtree(database)
os.mkdir(database)


def dump(name, value):
    with open(os.path.join(database, VOLUME + '-' + name), 'wb') as f:
        marshal.dump(value, f)


dump('article', dict((a.msgid, cPickle.dumps(a)) for a in articles))
dump('date', dict((a.date + '\0' + a.msgid, a.msgid) for a in articles))
dump('author', dict((a.author + '\0' + a.date + '\0' + a.msgid, a.msgid)
                    for a in articles))
dump('subject', dict((a.subject + '\0' + a.date + '\0' + a.msgid, a.msgid)
                     for a in articles))
dump('thread', dict((a.threadKey, a.msgid) for a in articles))

state = {
    'sequence': 6,
    'archives': [VOLUME],
    'firstdate': 1793610000.0,
    'lastdate': 1793790000.0,
    'type': 'HyperArchive',
    'version': '0.09 (Mailman edition)',
    '_dirty_archives': [],
}
with open(os.path.join(HERE, 'pipermail.pck'), 'wb') as f:
    cPickle.dump(state, f)
shutil.rmtree(stub)
