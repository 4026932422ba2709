"""Mailman's log files under LOG_DIR: `syslog('error', 'text %s', arg)`.

Each kind of event has its own file (post, smtp, error, qrunner, ...), one
line per event, prefixed with the time and the process id as in 2.1.  The
files are opened for appending, so several processes may share them.
"""

import os
import sys
import time

from Mailman import mm_cfg

LOG_FILE_MODE = 0o660


class Logger:
    """One log file, opened lazily and reopened on request (after rotation)."""

    def __init__(self, path):
        self.path = path
        self._file = None

    def _open(self):
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                     LOG_FILE_MODE)
        return open(fd, 'a', encoding='utf-8', errors='backslashreplace',
                    buffering=1)

    def write(self, line):
        try:
            if self._file is None:
                self._file = self._open()
            self._file.write(line)
        except OSError as error:
            # A log that cannot be written must not take the caller down;
            # say so where an admin will see it.
            print(f'Cannot write to {self.path}: {error}\n{line}',
                  end='', file=sys.stderr)

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None


class Syslog:
    def __init__(self):
        self._loggers = {}

    def __call__(self, kind, message, *args, **kwargs):
        if args or kwargs:
            try:
                message = message % (args or kwargs)
            except (TypeError, ValueError, KeyError):
                message = f'{message} {args or kwargs!r}'
        stamp = time.strftime('%b %d %H:%M:%S %Y')
        line = f'{stamp} ({os.getpid()}) {message}\n'
        logger = self._loggers.get(kind)
        if logger is None:
            path = os.path.join(mm_cfg.LOG_DIR, kind)
            logger = self._loggers[kind] = Logger(path)
        logger.write(line)

    def write_ex(self, kind, message):
        self(kind, '%s', message)

    def close(self):
        for logger in self._loggers.values():
            logger.close()

    # Called after log rotation (mailmanctl reopen).
    reopen = close


syslog = Syslog()
