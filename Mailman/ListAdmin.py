"""The list's database of requests awaiting a moderator: held posts,
subscriptions and unsubscriptions, kept in lists/<name>/request.pck.

The file is a dict: request id -> (type, data), plus 'version': (0, 1).
Data by type:
  HELDMSG       (time, sender, subject, reason, filename, msgdata)
  SUBSCRIPTION  (time, address, fullname, password, digest, language)
  UNSUBSCRIPTION address
Ids come from the list's next_request_id.  Acting on requests (approve,
reject, discard, defer) arrives with the moderation queue.
"""

import os
import pickle

from Mailman import Utils

IGN = 0
HELDMSG = 1
SUBSCRIPTION = 2
UNSUBSCRIPTION = 3

REQUESTS_FILE_VERSION = (0, 1)


class ListAdmin:
    def InitVars(self):
        self.next_request_id = 1

    def InitTempVars(self):
        self.__db = None
        self.__db_stamp = None

    def _requests_file(self):
        return os.path.join(self.fullpath(), 'request.pck')

    def __opendb(self):
        path = self._requests_file()
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if self.__db is None:
                self.__db = {'version': REQUESTS_FILE_VERSION}
            return
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if self.__db is not None and stamp == self.__db_stamp:
            return
        from Mailman import ListFile
        self.__db = ListFile.load_pickle_file(path)
        self.__db_stamp = stamp

    def SaveRequestsDb(self):
        if self.__db is None:
            return
        Utils.write_file_atomically(self._requests_file(),
                                    pickle.dumps(self.__db, protocol=4),
                                    mode=0o660)
        st = os.stat(self._requests_file())
        self.__db_stamp = (st.st_mtime_ns, st.st_size, st.st_ino)

    def NumRequestsPending(self):
        self.__opendb()
        return len(self.__db) - 1

    def __request_ids(self, rtype):
        self.__opendb()
        return sorted(key for key, value in self.__db.items()
                      if key != 'version' and value[0] == rtype)

    def GetHeldMessageIds(self):
        return self.__request_ids(HELDMSG)

    def GetSubscriptionIds(self):
        return self.__request_ids(SUBSCRIPTION)

    def GetUnsubscriptionIds(self):
        return self.__request_ids(UNSUBSCRIPTION)

    def GetRecord(self, request_id):
        self.__opendb()
        return self.__db[request_id][1]

    def GetRecordType(self, request_id):
        self.__opendb()
        return self.__db[request_id][0]

    def _add_request(self, rtype, data):
        """Store a new request; returns its id.  The list must be locked."""
        assert self.Locked()
        self.__opendb()
        request_id = self.next_request_id
        self.next_request_id += 1
        self.__db[request_id] = (rtype, data)
        return request_id

    def _remove_request(self, request_id):
        assert self.Locked()
        self.__opendb()
        del self.__db[request_id]
