"""The interface between a list and the storage of its members.

A list reaches its members only through these methods, so a site can plug in
other storage (2.1's `extend.py` hook sets `mlist._memberadaptor`).  The
default implementation, OldStyleMemberships, keeps members in config.pck.

Members are identified by their address.  Reads are case-insensitive; the
case the member subscribed with is preserved and returned by
getMemberCPAddress().
"""

# Delivery status values (why delivery is disabled).
ENABLED = 0     # delivery on
UNKNOWN = 1     # off, for a legacy reason
BYUSER = 2      # the member turned it off
BYADMIN = 3     # the list administrator turned it off
BYBOUNCE = 4    # bounce processing turned it off

STATUS_NAMES = {ENABLED: 'enabled', UNKNOWN: 'unknown', BYUSER: 'byuser',
                BYADMIN: 'byadmin', BYBOUNCE: 'bybounce'}


class MemberAdaptor:
    """Abstract base: every method raises NotImplementedError."""

    # Reading.
    def getMembers(self):
        """All members' lower-cased addresses."""
        raise NotImplementedError

    def getRegularMemberKeys(self):
        raise NotImplementedError

    def getDigestMemberKeys(self):
        raise NotImplementedError

    def isMember(self, member):
        raise NotImplementedError

    def getMemberKey(self, member):
        """The member's key (lower-cased address); NotAMemberError if none."""
        raise NotImplementedError

    def getMemberCPAddress(self, member):
        """The address with the case the member subscribed with."""
        raise NotImplementedError

    def getMemberCPAddresses(self, members):
        raise NotImplementedError

    def getMemberPassword(self, member):
        """The stored password hash, or None if the member has none."""
        raise NotImplementedError

    def authenticateMember(self, member, response):
        """True when RESPONSE is the member's password."""
        raise NotImplementedError

    def getMemberLanguage(self, member):
        raise NotImplementedError

    def getMemberOption(self, member, flag):
        raise NotImplementedError

    def getMemberName(self, member):
        raise NotImplementedError

    def getMemberTopics(self, member):
        raise NotImplementedError

    def getDeliveryStatus(self, member):
        raise NotImplementedError

    def getDeliveryStatusChangeTime(self, member):
        raise NotImplementedError

    def getDeliveryStatusMembers(self, status=(UNKNOWN, BYUSER, BYADMIN,
                                               BYBOUNCE)):
        raise NotImplementedError

    def getBouncingMembers(self):
        raise NotImplementedError

    def getBounceInfo(self, member):
        raise NotImplementedError

    # Writing.
    def addNewMember(self, member, **kws):
        """Add MEMBER; keywords: digest, password, language, realname."""
        raise NotImplementedError

    def removeMember(self, member):
        raise NotImplementedError

    def changeMemberAddress(self, member, newaddress, nodelete=0):
        raise NotImplementedError

    def setMemberPassword(self, member, password):
        raise NotImplementedError

    def setMemberLanguage(self, member, language):
        raise NotImplementedError

    def setMemberOption(self, member, flag, value):
        raise NotImplementedError

    def setMemberName(self, member, realname):
        raise NotImplementedError

    def setMemberTopics(self, member, topics):
        raise NotImplementedError

    def setDeliveryStatus(self, member, status):
        raise NotImplementedError

    def setBounceInfo(self, member, info):
        raise NotImplementedError
