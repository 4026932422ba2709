"""A real news server for the Usenet gateway tests: INN 2 from Debian.

Setup, once per machine (the package's set-up script needs a domain):
    apt-get install -y inn2   (fails at "configure" without a domain), then
    in /etc/news/inn.conf:  domain: localdomain   bindaddress: 127.0.0.1
                            bindaddress6: none
    dpkg --configure inn2
news_server() starts innd (as the news user, through rc.news) when nothing
answers on 127.0.0.1:119, and stop() stops it again if it was started here.
Each test makes its own newsgroup.
"""

import os
import socket
import subprocess
import tempfile
import time
import uuid

from mmtest import need, need_root

HOST = '127.0.0.1'
PORT = 119
INN_BIN = '/usr/lib/news/bin'


def _answers():
    try:
        with socket.create_connection((HOST, PORT), timeout=2) as sock:
            return sock.recv(3) in (b'200', b'201')
    except OSError:
        return False


def _as_news(command, timeout=60):
    # Output goes to a file: rc.news leaves daemons behind that would keep
    # a pipe open long after it has returned.
    with tempfile.TemporaryFile('w+') as output:
        result = subprocess.run(['runuser', '-u', 'news', '--', *command],
                                stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT, text=True,
                                timeout=timeout)
        output.seek(0)
        result.stdout, result.stderr = output.read(), ''
    return result


class NewsServer:
    def __init__(self):
        self.started_here = False

    def start(self):
        need(os.path.exists(f'{INN_BIN}/rc.news'),
             'needs INN (apt-get install inn2; see tests/innserver.py)')
        if _answers():
            return self
        need_root()
        result = _as_news([f'{INN_BIN}/rc.news'])
        deadline = time.monotonic() + 30
        while not _answers():
            if time.monotonic() > deadline:
                raise RuntimeError('innd did not start: '
                                   f'{result.stdout}{result.stderr}')
            time.sleep(0.2)
        self.started_here = True
        return self

    def new_group(self, prefix='mailman.test'):
        """A new, empty newsgroup; its name."""
        name = f'{prefix}.g{uuid.uuid4().hex[:12]}'
        result = _as_news([f'{INN_BIN}/ctlinnd', 'newgroup', name, 'y'])
        assert result.returncode == 0, result.stdout + result.stderr
        return name

    def remove_group(self, name):
        _as_news([f'{INN_BIN}/ctlinnd', 'rmgroup', name])

    def stop(self):
        if self.started_here:
            _as_news([f'{INN_BIN}/rc.news', 'stop'])
            self.started_here = False

    @property
    def hostspec(self):
        return f'{HOST}:{PORT}'
