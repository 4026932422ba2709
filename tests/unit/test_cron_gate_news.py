"""cron/gate_news (Mailman.GateNews) against a real INN server: the first
poll only catches up, later polls queue the new articles for the list
(fromusenet), skip the list's own posts, and keep the watermark; the
NNTP reading commands of Mailman.NNTP."""

import os
import pickle
import shutil
import uuid

import pytest

from innserver import NewsServer
from Mailman import GateNews
from Mailman import LockFile
from Mailman import NNTP
from Mailman import Passwords
from Mailman import mm_cfg
from Mailman.MailList import MailList
from unithelp import log_text, queued


@pytest.fixture(scope='module')
def news():
    server = NewsServer().start()
    yield server
    server.stop()


@pytest.fixture
def group(news):
    name = news.new_group()
    yield name
    news.remove_group(name)


@pytest.fixture
def mlist(news, group):
    name = f'gate-{uuid.uuid4().hex[:10]}'
    m = MailList()
    m.Create(name, 'owner@example.com',
             Passwords.hash_password('pw', quick=True))
    m.nntp_host = news.hostspec
    m.linked_newsgroup = group
    m.gateway_to_mail = 1
    m.Save()
    m.Unlock()
    yield m
    shutil.rmtree(m.fullpath(), ignore_errors=True)


def post(news, group, subject, extra='', body='A body line.\n'):
    msgid = f'<{uuid.uuid4().hex}@news.example.org>'
    article = (f'From: Poster <poster@example.org>\nNewsgroups: {group}\n'
               f'Subject: {subject}\nMessage-ID: {msgid}\n{extra}\n{body}')
    NNTP.post(news.hostspec, article.encode())
    return msgid


def incoming(mlist):
    return queued(mm_cfg.INQUEUE_DIR, mlist.internal_name(), remove=True)


def watermark(mlist):
    return getattr(MailList(mlist.internal_name(), lock=0),
                   'usenet_watermark', None)


def test_reader_commands(news, group):
    post(news, group, 'one', body='.starts with a dot\n..two dots\n')
    with NNTP.Reader(news.hostspec) as reader:
        count, first, last = reader.group(group)
        assert (count, first, last) == (1, 1, 1)
        headers = reader.head(1)
        assert b'Subject: one' in headers
        assert reader.body(1) == [b'.starts with a dot', b'..two dots']
        assert reader.head(2) is None
        with pytest.raises(NNTP.NNTPError):
            reader.group(group + '.missing')


def test_first_poll_catches_up_then_new_articles_are_gated(news, group,
                                                            mlist):
    post(news, group, 'old news 1')
    post(news, group, 'old news 2')
    incoming(mlist)
    assert GateNews.gate_list(mlist.internal_name())
    assert watermark(mlist) == 2
    assert incoming(mlist) == []
    assert f'{mlist.internal_name()} caught up to article 2' in \
        log_text('fromusenet')
    fresh = post(news, group, 'fresh news', extra='To: someone@example.org\n',
                 body='Hello.\n.dotted line\n')
    post(news, group, 'our own post',
         extra=f'X-BeenThere: {mlist.GetListEmail()}\n')
    assert GateNews.gate_list(mlist.internal_name())
    [(msg, data)] = incoming(mlist)
    assert data['fromusenet'] == 1
    assert data['listname'] == mlist.internal_name()
    assert msg['Message-ID'] == fresh
    assert msg['Subject'] == 'fresh news'
    assert msg.get_all('To') == [mlist.GetListEmail()]
    assert msg['X-Originally-To'] == 'someone@example.org'
    assert msg.get_payload() == 'Hello.\n.dotted line\n'
    assert watermark(mlist) == 4
    # Nothing new: nothing queued, the watermark stays.
    assert GateNews.gate_list(mlist.internal_name())
    assert incoming(mlist) == []
    assert watermark(mlist) == 4


def test_watermark_of_a_2_0_site(news, group, mlist):
    for number in range(3):
        post(news, group, f'article {number + 1}')
    path = os.path.join(mm_cfg.DATA_DIR, 'gate_watermarks')
    with open(path, 'wb') as f:
        pickle.dump({mlist.internal_name(): 2, 'other': 9}, f, protocol=2)
    try:
        incoming(mlist)
        assert GateNews.gate_list(mlist.internal_name())
    finally:
        os.unlink(path)
    [(msg, data)] = incoming(mlist)
    assert msg['Subject'] == 'article 3'
    assert watermark(mlist) == 3


def test_mass_catch_up(news, group, mlist):
    post(news, group, 'article 1')
    assert GateNews.gate_list(mlist.internal_name())
    post(news, group, 'article 2')
    post(news, group, 'article 3')
    # What the admin page's "mass catch-up" does; an old 2.0 watermark
    # file must not undo it.
    m = MailList(mlist.internal_name())
    m.usenet_watermark = None
    m.Save()
    m.Unlock()
    path = os.path.join(mm_cfg.DATA_DIR, 'gate_watermarks')
    with open(path, 'wb') as f:
        pickle.dump({mlist.internal_name(): 1}, f, protocol=2)
    try:
        incoming(mlist)
        assert GateNews.gate_list(mlist.internal_name())
    finally:
        os.unlink(path)
    assert incoming(mlist) == []
    assert watermark(mlist) == 3


def test_lists_without_the_gateway_are_left_alone(news, group, mlist):
    m = MailList(mlist.internal_name())
    m.gateway_to_mail = 0
    m.Save()
    m.Unlock()
    assert GateNews.gate_list(mlist.internal_name())
    assert watermark(mlist) is None


def test_unreachable_server_is_logged(mlist):
    import socket
    listener = socket.create_server(('127.0.0.1', 0))
    port = listener.getsockname()[1]
    listener.close()
    m = MailList(mlist.internal_name())
    m.nntp_host = f'127.0.0.1:{port}'
    m.Save()
    m.Unlock()
    assert not GateNews.gate_list(mlist.internal_name())
    assert f'for list {mlist.internal_name()}' in log_text('fromusenet')
    assert watermark(mlist) is None


def test_missing_group_is_logged(mlist):
    m = MailList(mlist.internal_name())
    m.linked_newsgroup = 'mailman.test.no-such-group'
    m.Save()
    m.Unlock()
    assert not GateNews.gate_list(mlist.internal_name())
    assert 'mailman.test.no-such-group' in log_text('fromusenet')


def test_a_second_run_waits_for_none(mlist):
    lock = LockFile.LockFile(GateNews.LOCK_FILE, lifetime=60)
    lock.lock()
    try:
        assert GateNews.run() == 0
    finally:
        lock.unlock()
    assert 'Could not acquire gate_news lock' in log_text('fromusenet')
    assert watermark(mlist) is None
