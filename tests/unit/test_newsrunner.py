"""The Usenet gateway's posting side: Mailman.NNTP and NewsRunner.

The news server here is a small NNTP responder on 127.0.0.1 that records
what it is sent and answers as a server configured by each test would.
"""

import email
import shutil
import socket
import threading

import pytest

from Mailman import NNTP
from Mailman import Passwords
from Mailman import mm_cfg
from Mailman.MailList import MailList
from Mailman.Message import Message
from Mailman.Queue import NewsRunner


class NewsServer:
    """Answers one connection per expected session with scripted codes."""

    def __init__(self, greeting='200 ready', post='340 send it',
                 posted='240 article posted', auth_user='381 more',
                 auth_pass='281 ok'):
        self.replies = dict(greeting=greeting, post=post, posted=posted,
                            auth_user=auth_user, auth_pass=auth_pass)
        self.commands = []
        self.articles = []
        self._listener = socket.create_server(('127.0.0.1', 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with conn, conn.makefile('rb') as reader:
                self._session(conn, reader)

    def _session(self, conn, reader):
        send = lambda text: conn.sendall(text.encode() + b'\r\n')  # noqa: E731
        send(self.replies['greeting'])
        while True:
            line = reader.readline()
            if not line:
                return
            assert line.endswith(b'\r\n'), line
            command = line[:-2].decode()
            self.commands.append(command)
            verb = command.split(' ', 2)
            if verb[0] == 'QUIT':
                send('205 bye')
                return
            if verb[:2] == ['AUTHINFO', 'USER']:
                send(self.replies['auth_user'])
            elif verb[:2] == ['AUTHINFO', 'PASS']:
                send(self.replies['auth_pass'])
            elif verb[0] == 'POST':
                send(self.replies['post'])
                if not self.replies['post'].startswith('340'):
                    continue
                data = b''
                while not data.endswith(b'\r\n.\r\n'):
                    chunk = reader.readline()
                    if not chunk:
                        return
                    data += chunk
                self.articles.append(data)
                send(self.replies['posted'])
            else:
                send('500 what?')

    def close(self):
        self._listener.close()


@pytest.fixture
def news_list():
    mlist = MailList()
    mlist.Create('newsgate', 'owner@example.com', Passwords.hash_password('x'))
    mlist.linked_newsgroup = 'comp.lang.example'
    mlist.gateway_to_news = 1
    mlist.Save()
    yield mlist
    mlist.Unlock()
    shutil.rmtree(mlist.fullpath())


POST = (b'From: ann@example.com\n'
        b'To: newsgate@lists.example.com\n'
        b'Cc: one@example.com\n'
        b'Cc: two@example.com\n'
        b'Subject: [Newsgate] hello\n'
        b'Received: from somewhere\n'
        b'NNTP-Posting-Host: evil.example.com\n'
        b'Message-ID: <n1@example.com>\n'
        b'\n'
        b'Body\n'
        b'.a line with a leading dot\n')


def message():
    return email.message_from_bytes(POST, _class=Message)


def test_article_framing():
    assert NNTP.article_bytes(b'a\n.b\nc\n') == b'a\r\n..b\r\nc\r\n.\r\n'
    assert NNTP.split_host('news.example.com:1119') == ('news.example.com', 1119)
    assert NNTP.split_host('news.example.com') == ('news.example.com', 119)


def test_prepare_message(news_list):
    news_list.news_prefix_subject_too = 0
    msg = message()
    data = {'stripped_subject': 'hello'}
    NewsRunner.prepare_message(news_list, msg, data)
    assert msg['Newsgroups'] == 'comp.lang.example'
    assert msg['Subject'] == 'hello'
    assert 'Received' not in msg and 'NNTP-Posting-Host' not in msg
    assert msg.get_all('Cc') == ['one@example.com']
    assert msg['X-Original-Cc'] == 'two@example.com'
    assert 'Approved' not in msg
    assert data['prepped']


def test_prepare_message_prefix_and_moderation(news_list):
    news_list.news_prefix_subject_too = 1
    news_list.news_moderation = 2
    msg = message()
    NewsRunner.prepare_message(news_list, msg, {'stripped_subject': 'hello'})
    assert msg['Subject'] == '[Newsgate] hello'
    assert msg['Approved'] == news_list.GetListEmail()


def test_runner_posts_the_article(news_list, monkeypatch):
    server = NewsServer()
    try:
        news_list.nntp_host = f'127.0.0.1:{server.port}'
        runner = NewsRunner.NewsRunner()
        requeue = runner._dispose(news_list, message(), {})
        assert requeue is False
        [article] = server.articles
        assert b'Newsgroups: comp.lang.example\r\n' in article
        assert b'\r\n..a line with a leading dot\r\n' in article
        assert server.commands[0] == 'POST'
    finally:
        server.close()


def test_authentication(news_list, monkeypatch):
    server = NewsServer()
    monkeypatch.setattr(mm_cfg, 'NNTP_USERNAME', 'gate', raising=False)
    monkeypatch.setattr(mm_cfg, 'NNTP_PASSWORD', 'secret', raising=False)
    try:
        news_list.nntp_host = f'127.0.0.1:{server.port}'
        assert NewsRunner.NewsRunner()._dispose(news_list, message(), {}) is False
        assert server.commands[:3] == ['AUTHINFO USER gate',
                                       'AUTHINFO PASS secret', 'POST']
    finally:
        server.close()


def test_temporary_failure_requeues_and_permanent_one_raises(news_list):
    busy = NewsServer(post='440 posting not allowed right now')
    refused = NewsServer(posted='441 posting failed: duplicate')
    try:
        news_list.nntp_host = f'127.0.0.1:{busy.port}'
        assert NewsRunner.NewsRunner()._dispose(news_list, message(), {}) is True
        news_list.nntp_host = f'127.0.0.1:{refused.port}'
        with pytest.raises(NNTP.NNTPError):
            NewsRunner.NewsRunner()._dispose(news_list, message(), {})
    finally:
        busy.close()
        refused.close()


def test_unreachable_server_requeues(news_list):
    listener = socket.create_server(('127.0.0.1', 0))
    port = listener.getsockname()[1]
    listener.close()
    news_list.nntp_host = f'127.0.0.1:{port}'
    assert NewsRunner.NewsRunner()._dispose(news_list, message(), {}) is True


def test_gateway_without_newsgroup_is_shunted_not_dropped(news_list):
    news_list.linked_newsgroup = ''
    with pytest.raises(ValueError):
        NewsRunner.NewsRunner()._dispose(news_list, message(), {})
