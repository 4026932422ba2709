"""Members kept in the list's own config.pck, in 2.1's layout.

Every table is keyed by the lower-cased address:

  members, digest_members   key -> 0, or the address in its subscribed case
                            when that differs from the key
  passwords                 key -> password hash (2.1: clear text)
  user_options              key -> option bits (absent when 0)
  language, usernames       key -> language code, real name
  topics_userinterest       key -> list of topic names
  delivery_status           key -> (status, time) when delivery is disabled
  bounce_info               key -> Bouncer._BounceInfo
"""

import time

from Mailman import Errors
from Mailman import MemberAdaptor
from Mailman import Passwords
from Mailman import mm_cfg
from Mailman.MemberAdaptor import ENABLED, UNKNOWN, BYUSER, BYADMIN, BYBOUNCE


class OldStyleMemberships(MemberAdaptor.MemberAdaptor):
    def __init__(self, mlist):
        self.__mlist = mlist

    # ------------------------------------------------------------ helpers
    def __key(self, member):
        """The key of MEMBER, or None if not a member."""
        key = member.lower()
        mlist = self.__mlist
        if key in mlist.members or key in mlist.digest_members:
            return key
        return None

    def __assert_member(self, member):
        key = self.__key(member)
        if key is None:
            raise Errors.NotAMemberError(member)
        return key

    # ------------------------------------------------------------ reading
    def getMembers(self):
        return list(self.__mlist.members) + list(self.__mlist.digest_members)

    def getRegularMemberKeys(self):
        return list(self.__mlist.members)

    def getDigestMemberKeys(self):
        return list(self.__mlist.digest_members)

    def isMember(self, member):
        return self.__key(member) is not None

    def getMemberKey(self, member):
        return self.__assert_member(member)

    def getMemberCPAddress(self, member):
        key = self.__assert_member(member)
        mlist = self.__mlist
        value = mlist.members.get(key, mlist.digest_members.get(key))
        return value if isinstance(value, str) and value else key

    def getMemberCPAddresses(self, members):
        mlist = self.__mlist
        result = []
        for member in members:
            key = member.lower()
            value = mlist.members.get(key, mlist.digest_members.get(key))
            if value is None:
                result.append(None)
            else:
                result.append(value if isinstance(value, str) and value
                              else key)
        return result

    def getMemberPassword(self, member):
        key = self.__assert_member(member)
        return self.__mlist.passwords.get(key)

    def authenticateMember(self, member, response):
        key = self.__assert_member(member)
        stored = self.__mlist.passwords.get(key)
        if not stored or not response:
            return False
        if not Passwords.is_modern_hash(stored):
            # A clear-text password from 2.1 data not yet migrated.
            ok = Passwords.constant_time_equal(stored, response)
            replacement = Passwords.hash_password(response) if ok else None
        else:
            ok, replacement = Passwords.verify(response, stored)
        if ok and replacement:
            self.__mlist.passwords[key] = replacement
        return ok

    def getMemberLanguage(self, member):
        # Like 2.1, anyone gets an answer: a non-member the list's language.
        key = member.lower()
        language = self.__mlist.language.get(key,
                                             self.__mlist.preferred_language)
        if language in self.__mlist.GetAvailableLanguages():
            return language
        return self.__mlist.preferred_language

    def getMemberOption(self, member, flag):
        key = self.__assert_member(member)
        if flag == mm_cfg.Digests:
            return key in self.__mlist.digest_members
        if flag == mm_cfg.DisableDelivery:
            return self.getDeliveryStatus(key) != ENABLED
        return bool(self.__mlist.user_options.get(key, 0) & flag)

    def getMemberName(self, member):
        key = self.__assert_member(member)
        return self.__mlist.usernames.get(key)

    def getMemberTopics(self, member):
        key = self.__assert_member(member)
        return list(self.__mlist.topics_userinterest.get(key, []))

    def getDeliveryStatus(self, member):
        key = self.__assert_member(member)
        entry = self.__mlist.delivery_status.get(key)
        if entry is None:
            return ENABLED
        status = entry[0]
        return status if status in (ENABLED, UNKNOWN, BYUSER, BYADMIN,
                                    BYBOUNCE) else UNKNOWN

    def getDeliveryStatusChangeTime(self, member):
        key = self.__assert_member(member)
        entry = self.__mlist.delivery_status.get(key)
        return entry[1] if entry else 0

    def getDeliveryStatusMembers(self, status=(UNKNOWN, BYUSER, BYADMIN,
                                               BYBOUNCE)):
        return [key for key in self.getMembers()
                if self.getDeliveryStatus(key) in status]

    def getBouncingMembers(self):
        return [key.lower() for key in self.__mlist.bounce_info]

    def getBounceInfo(self, member):
        key = self.__assert_member(member)
        return self.__mlist.bounce_info.get(key)

    # ------------------------------------------------------------ writing
    def addNewMember(self, member, **kws):
        assert self.__mlist.Locked()
        unknown = set(kws) - {'digest', 'password', 'language', 'realname'}
        if unknown:
            raise ValueError(f'unexpected keywords: {sorted(unknown)}')
        if self.isMember(member):
            raise Errors.MMAlreadyAMember(member)
        key = member.lower()
        value = 0 if member == key else member
        if kws.get('digest'):
            self.__mlist.digest_members[key] = value
        else:
            self.__mlist.members[key] = value
        password = kws.get('password')
        if password:
            self.setMemberPassword(key, password)
        language = kws.get('language')
        if language:
            self.__mlist.language[key] = language
        realname = kws.get('realname')
        if realname:
            self.__mlist.usernames[key] = realname

    def removeMember(self, member):
        assert self.__mlist.Locked()
        key = self.__assert_member(member)
        mlist = self.__mlist
        for table in (mlist.members, mlist.digest_members, mlist.passwords,
                      mlist.user_options, mlist.language, mlist.usernames,
                      mlist.topics_userinterest, mlist.bounce_info,
                      mlist.delivery_status):
            table.pop(key, None)

    def changeMemberAddress(self, member, newaddress, nodelete=0):
        assert self.__mlist.Locked()
        key = self.__assert_member(member)
        mlist = self.__mlist
        digest = key in mlist.digest_members
        password = mlist.passwords.get(key)
        options = mlist.user_options.get(key, 0)
        language = mlist.language.get(key)
        realname = mlist.usernames.get(key)
        topics = mlist.topics_userinterest.get(key)
        status = mlist.delivery_status.get(key)
        newkey = newaddress.lower()
        # Check before removing anything: a refused change must leave the
        # member as they were.
        if newkey != key and self.isMember(newaddress):
            raise Errors.MMAlreadyAMember(newaddress)
        if not nodelete:
            self.removeMember(key)
        value = 0 if newaddress == newkey else newaddress
        (mlist.digest_members if digest else mlist.members)[newkey] = value
        if password:
            mlist.passwords[newkey] = password
        if options:
            mlist.user_options[newkey] = options
        if language:
            mlist.language[newkey] = language
        if realname:
            mlist.usernames[newkey] = realname
        if topics:
            mlist.topics_userinterest[newkey] = list(topics)
        if status and status[0] != BYBOUNCE:
            mlist.delivery_status[newkey] = status

    def setMemberPassword(self, member, password):
        assert self.__mlist.Locked()
        key = self.__assert_member(member)
        if password:
            self.__mlist.passwords[key] = Passwords.hash_password(password)
        else:
            self.__mlist.passwords.pop(key, None)

    def setMemberLanguage(self, member, language):
        assert self.__mlist.Locked()
        key = self.__assert_member(member)
        self.__mlist.language[key] = language

    def setMemberOption(self, member, flag, value):
        assert self.__mlist.Locked()
        key = self.__assert_member(member)
        mlist = self.__mlist
        if flag == mm_cfg.Digests:
            self.__set_digest(key, value)
            return
        if flag == mm_cfg.DisableDelivery:
            self.setDeliveryStatus(key, UNKNOWN if value else ENABLED)
            return
        options = mlist.user_options.get(key, 0)
        options = options | flag if value else options & ~flag
        if options:
            mlist.user_options[key] = options
        else:
            mlist.user_options.pop(key, None)

    def __set_digest(self, key, value):
        mlist = self.__mlist
        if value:
            if key in mlist.digest_members:
                raise Errors.AlreadyReceivingDigests(key)
            if not mlist.digestable:
                raise Errors.CantDigestError(key)
            mlist.digest_members[key] = mlist.members.pop(key)
        else:
            if key in mlist.members:
                raise Errors.AlreadyReceivingRegularDeliveries(key)
            if not mlist.nondigestable:
                raise Errors.MustDigestError(key)
            cpaddress = mlist.digest_members.pop(key)
            mlist.members[key] = cpaddress
            # The posts collected so far still reach the member in one last
            # digest.
            mlist.one_last_digest[key] = cpaddress or key

    def setMemberName(self, member, realname):
        assert self.__mlist.Locked()
        key = self.__assert_member(member)
        if realname:
            self.__mlist.usernames[key] = realname
        else:
            self.__mlist.usernames.pop(key, None)

    def setMemberTopics(self, member, topics):
        assert self.__mlist.Locked()
        key = self.__assert_member(member)
        if topics:
            self.__mlist.topics_userinterest[key] = list(topics)
        else:
            self.__mlist.topics_userinterest.pop(key, None)

    def setDeliveryStatus(self, member, status):
        assert status in (ENABLED, UNKNOWN, BYUSER, BYADMIN, BYBOUNCE)
        assert self.__mlist.Locked()
        key = self.__assert_member(member)
        if status == ENABLED:
            self.__mlist.delivery_status.pop(key, None)
            # Re-enabled members start over with a clean bounce record.
            self.__mlist.bounce_info.pop(key, None)
        else:
            self.__mlist.delivery_status[key] = (status, time.time())

    def setBounceInfo(self, member, info):
        assert self.__mlist.Locked()
        key = self.__assert_member(member)
        if info is None:
            self.__mlist.bounce_info.pop(key, None)
        else:
            self.__mlist.bounce_info[key] = info
