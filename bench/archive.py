#!/usr/bin/env python3
"""Archive benchmark: rebuilding a list's archive, and adding one post.

    python3 bench/archive.py [--sizes 10000,100000] [--keep]

For each size, writes an mbox of that many generated posts (threads of
replies with In-Reply-To and References, about 1.5 KB each, spread over
several years so that monthly volumes hold about 900 posts each), then

  rebuild   archives the whole mbox into an empty HTML archive, as
            `bin/arch --wipe` does: messages per second;
  add       archives one more post the way the archive runner does
            (mlist.ArchiveMail: mbox append, page, neighbours' links,
            the volume's four index pages, the table of contents): the
            median and worst of ADD_RUNS posts, in milliseconds;

and prints the size of the largest volume index page, which is the part
of adding a post that grows with the volume.

It runs in process against the source tree (the unit tests' shadow
package in a temporary var directory; nothing is installed) and prints
figures; it never fails on time.  Targets: rebuild faster than 1,000
messages per second; one added message under 50 ms at 100,000.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / 'tests' / 'unit'))

import conftest  # noqa: E402,F401  (builds the shadow Mailman package)

ADD_RUNS = 15
WORDS = ('archive list message thread reply python mailman server volume '
         'index page search number stable scale benchmark patch release '
         'question answer config option error traceback module queue').split()
PER_MONTH = 900


def body(rng, lines=20):
    text = []
    for _ in range(lines):
        text.append(' '.join(rng.choice(WORDS) for _ in range(11)))
    return '\n'.join(text) + '\n'


def generate(path, count, seed=1):
    """COUNT posts in threads, PER_MONTH a month, oldest first."""
    rng = random.Random(seed)
    start = time.mktime((2010, 1, 1, 0, 0, 0, 0, 0, -1))
    step = 30 * 86400 / PER_MONTH
    threads = []
    with open(path, 'w', encoding='utf-8') as f:
        for num in range(count):
            when = start + num * step
            msgid = f'<bench-{num}@example.org>'
            headers = []
            if threads and rng.random() < 0.7:
                root, parents, subject = rng.choice(threads[-40:])
                parent = rng.choice(parents)
                headers.append(f'In-Reply-To: {parent}')
                headers.append(f'References: {root} {parent}')
                parents.append(msgid)
                subject = 'Re: ' + subject
            else:
                subject = ' '.join(rng.choice(WORDS) for _ in range(5))
                threads.append((msgid, [msgid], subject))
            date = time.strftime('%a, %d %b %Y %H:%M:%S +0000',
                                 time.gmtime(when))
            sender = f'user{rng.randrange(500)}@example.org'
            f.write(f'From {sender} {time.asctime(time.gmtime(when))}\n'
                    f'From: User {sender[4:-12]} <{sender}>\n'
                    f'To: bench@lists.example.com\nSubject: {subject}\n'
                    f'Date: {date}\nMessage-ID: {msgid}\n'
                    + ''.join(h + '\n' for h in headers) +
                    '\n' + body(rng) + '\n')


def make_list():
    from Mailman import Passwords
    from Mailman.MailList import MailList
    name = 'bench-%d' % os.getpid()
    m = MailList()
    m.Create(name, 'owner@example.com', Passwords.hash_password('x'))
    m.Save()
    return m


def run(size, workdir):
    from Mailman.Archiver.HyperArch import HTMLArchive
    from Mailman.Archiver.Article import parse_bytes
    mbox = os.path.join(workdir, f'bench-{size}.mbox')
    generate(mbox, size)
    mlist = make_list()
    try:
        shutil.copy(mbox, mlist.ArchiveFileName())
        archive = HTMLArchive(mlist)
        began = time.perf_counter()
        archive.rebuild(mlist.ArchiveFileName(), wipe=True)
        rebuild = time.perf_counter() - began
        archive.close()
        # The rebuild and the mbox copy leave ~150 MB of dirty pages at
        # 100,000; the first post's fsync of the mbox would pay for them.
        os.sync()
        rng = random.Random(7)
        times = []
        last = (2010 * 12 + (size - 1) // PER_MONTH)
        year, month = divmod(last, 12)
        for run in range(ADD_RUNS):
            raw = (f'From: Late Poster <late@example.org>\nTo: bench@lists.'
                   f'example.com\nSubject: Re: added {run}\nDate: {1 + run:02d}'
                   f' {time.strftime("%b", (2000, month + 1, 1) + (0,) * 6)}'
                   f' {year} 12:00:00 +0000\nMessage-ID: <added-{run}@x>\n'
                   f'In-Reply-To: <bench-{size - 5}@example.org>\n\n'
                   + body(rng)).encode('utf-8')
            msg = parse_bytes(raw)
            began = time.perf_counter()
            mlist.ArchiveMail(msg, {'received_time': time.time()})
            times.append((time.perf_counter() - began) * 1000)
        largest = 0
        for root, dirs, files in os.walk(mlist.archive_dir()):
            for name in files:
                if name in ('thread.html', 'date.html', 'subject.html',
                            'author.html'):
                    largest = max(largest, os.path.getsize(
                        os.path.join(root, name)))
        print(f'{size:>8,}  rebuild {rebuild:7.1f} s  {size / rebuild:8,.0f} '
              f'msg/s   add median {statistics.median(times):6.1f} ms  '
              f'worst {max(times):6.1f} ms   largest index page '
              f'{largest // 1024:,} KB', flush=True)
    finally:
        mlist.Unlock()
        for path in (mlist.archive_dir(),
                     os.path.dirname(mlist.ArchiveFileName()),
                     mlist.fullpath()):
            shutil.rmtree(path, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', default='10000,100000')
    parser.add_argument('--keep', action='store_true',
                        help='keep the generated mboxes')
    options = parser.parse_args()
    import tempfile
    workdir = tempfile.mkdtemp(prefix='mailman-bench-archive-')
    print(f'archive benchmark ({os.cpu_count()} CPUs); targets: rebuild '
          '> 1,000 msg/s, add < 50 ms at 100,000')
    try:
        for size in (int(s) for s in options.sizes.split(',')):
            run(size, workdir)
    finally:
        if options.keep:
            print('mboxes kept in', workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(conftest.SHADOW, ignore_errors=True)


if __name__ == '__main__':
    main()
