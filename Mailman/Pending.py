"""Confirmations a list is waiting for, kept in lists/<name>/pending.pck.

Each entry maps a random cookie to what is being confirmed; the entry
expires after PENDING_REQUEST_LIFE unless given another lifetime.  The file
is a dict: cookie -> (op, data...), plus 'evictions' (cookie -> expiry
time) and 'version'.  Ops, as in 2.1:

  'S' subscription          (UserDesc,)
  'U' unsubscription        (address,)
  'C' change of address     (old, new, globally)
  'H' held message          (request id,)
  'E' re-enable             (listname, address)
  'P' probe bounce          (address, message)
  'R' password reset        (address,)   new in this release

Every change to the file needs the list lock.
"""

import os
import pickle
import re
import secrets
import time

from Mailman import ListFile
from Mailman import Utils
from Mailman import mm_cfg

SUBSCRIPTION = 'S'
UNSUBSCRIPTION = 'U'
CHANGE_OF_ADDRESS = 'C'
HELD_MESSAGE = 'H'
RE_ENABLE = 'E'
PROBE_BOUNCE = 'P'
PASSWORD_RESET = 'R'            # (address,): a member's one-time reset

OPS = (SUBSCRIPTION, UNSUBSCRIPTION, CHANGE_OF_ADDRESS, HELD_MESSAGE,
       RE_ENABLE, PROBE_BOUNCE, PASSWORD_RESET)
PENDING_FILE_VERSION = 2
_COOKIE = re.compile(r'[0-9a-f]{40}')


def valid_cookie(cookie):
    return isinstance(cookie, str) and _COOKIE.fullmatch(cookie) is not None


class Pending:
    def _pending_file(self):
        return os.path.join(self.fullpath(), 'pending.pck')

    def __load(self):
        try:
            database = ListFile.load_pickle_file(self._pending_file())
        except FileNotFoundError:
            database = {}
        database.setdefault('evictions', {})
        database['version'] = PENDING_FILE_VERSION
        return database

    def __save(self, database):
        now = time.time()
        evictions = database['evictions']
        for cookie, expiry in list(evictions.items()):
            if expiry < now:
                del evictions[cookie]
                database.pop(cookie, None)
        # Entries without an expiry are left over from bugs of the past.
        for cookie in [key for key in database
                       if key not in ('evictions', 'version')
                       and key not in evictions]:
            del database[cookie]
        Utils.write_file_atomically(self._pending_file(),
                                    pickle.dumps(database, protocol=4),
                                    mode=0o660)

    def pend_new(self, op, *content, **kws):
        """Record a confirmation for OP with CONTENT; returns the cookie.
        Keyword: lifetime (seconds, default PENDING_REQUEST_LIFE)."""
        assert self.Locked()
        assert op in OPS, op
        lifetime = kws.get('lifetime', mm_cfg.PENDING_REQUEST_LIFE)
        database = self.__load()
        while True:
            cookie = secrets.token_hex(20)
            if cookie not in database:
                break
        database[cookie] = (op,) + content
        database['evictions'][cookie] = time.time() + lifetime
        self.__save(database)
        return cookie

    def pend_confirm(self, cookie, expunge=True):
        """The entry for COOKIE, or None if there is none (or it expired).
        With EXPUNGE the entry is removed."""
        assert self.Locked()
        if not valid_cookie(cookie):
            return None
        database = self.__load()
        content = database.get(cookie)
        expiry = database['evictions'].get(cookie, 0)
        if content is None or expiry < time.time():
            return None
        if expunge:
            del database[cookie]
            del database['evictions'][cookie]
            self.__save(database)
        return content

    def pend_repend(self, cookie, data, lifetime=None):
        """Put DATA back under COOKIE (after a pend_confirm with expunge)."""
        assert self.Locked()
        if lifetime is None:
            lifetime = mm_cfg.PENDING_REQUEST_LIFE
        database = self.__load()
        database[cookie] = data
        database['evictions'][cookie] = time.time() + lifetime
        self.__save(database)

    def pend_cookies(self):
        """Live cookies and their entries (for the admin pages and cron)."""
        database = self.__load()
        now = time.time()
        return {cookie: value for cookie, value in database.items()
                if cookie not in ('evictions', 'version')
                and database['evictions'].get(cookie, 0) >= now}
