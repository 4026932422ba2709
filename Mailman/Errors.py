"""Mailman's exceptions, with the names 2.1 code and site scripts use."""


class MailmanError(Exception):
    """Base of all Mailman exceptions."""


# ------------------------------------------------------------------ lists
class MMListError(MailmanError):
    pass


class MMUnknownListError(MMListError):
    pass


class MMCorruptListDatabaseError(MMListError):
    pass


class MMListNotReadyError(MMListError):
    pass


class MMListAlreadyExistsError(MMListError):
    pass


class BadListNameError(MMListError):
    pass


# ------------------------------------------------------------------ members
class MMMemberError(MailmanError):
    pass


class MMBadUserError(MMMemberError):
    pass


class MMAlreadyAMember(MMMemberError):
    pass


class MMAlreadyPending(MMMemberError):
    pass


class NotAMemberError(MMMemberError):
    pass


class MembershipIsBanned(MMMemberError):
    pass


class HostileSubscriptionError(MMMemberError):
    """An invitation to one list was used to join another."""


class MMBadPasswordError(MMMemberError):
    pass


class MMPasswordsMustMatch(MMMemberError):
    pass


class MMNeedApproval(MMMemberError):
    pass


class MMSubscribeNeedsConfirmation(MMMemberError):
    pass


class MMBadConfirmation(MMMemberError):
    pass


class MMCookieError(MMMemberError):
    pass


class MMExpiredCookieError(MMCookieError):
    pass


class AlreadyReceivingDigests(MMMemberError):
    pass


class AlreadyReceivingRegularDeliveries(MMMemberError):
    pass


class CantDigestError(MMMemberError):
    pass


class MustDigestError(MMMemberError):
    pass


# Kept for site scripts written against 2.0 names.
MMAlreadyDigested = AlreadyReceivingDigests
MMAlreadyUndigested = AlreadyReceivingRegularDeliveries
MMCantDigestError = CantDigestError
MMMustDigestError = MustDigestError


# ------------------------------------------------------------------ addresses
class EmailAddressError(MailmanError):
    """The address is not one Mailman can accept."""


class MMBadEmailError(EmailAddressError):
    pass


class MMHostileAddress(EmailAddressError):
    pass


# ------------------------------------------------------------------ pipeline
class HandlerError(MailmanError):
    """A pipeline handler stops processing of a message."""


class HoldMessage(HandlerError):
    """The message is held for moderator approval."""
    reason = None
    rejection = None

    def __init__(self, reason=None, rejection=None):
        super().__init__(reason)
        if reason is not None:
            self.reason = reason
        if rejection is not None:
            self.rejection = rejection

    def reason_notice(self):
        return self.reason

    def rejection_notice(self, mlist):
        return self.rejection


class DiscardMessage(HandlerError):
    """The message is dropped without notice (it is logged)."""


class LoopError(DiscardMessage):
    """The message has already been through this list (X-BeenThere)."""


class RejectMessage(HandlerError):
    """The message is returned to its sender with a notice."""

    def notice(self):
        return self.args[0] if self.args else ''


class SomeRecipientsFailed(HandlerError):
    """Delivery failed for some recipients."""

    def __init__(self, tempfailures, permfailures):
        super().__init__(tempfailures, permfailures)
        self.tempfailures = tempfailures
        self.permfailures = permfailures


class LostHeldMessage(MailmanError):
    """A held message's file is missing."""


class PasswordError(MailmanError):
    pass
