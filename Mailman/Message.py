"""Mailman's message classes.

Message adds to email.message.Message what Mailman needs to know about a
message: who sent it.  UserNotification and OwnerNotification are messages
Mailman writes itself; send() queues them for delivery in the virgin queue.
"""

import email.message
import email.utils
import time
from email.header import Header
from email.mime.message import MIMEMessage
from email.mime.text import MIMEText

from Mailman import mm_cfg
from Mailman import Utils

COMMASPACE = ', '


class Message(email.message.Message):
    def _unixfrom_sender(self):
        parts = (self.get_unixfrom() or '').split()
        return parts[1] if len(parts) >= 2 and parts[0] == 'From' else ''

    def get_sender(self, use_envelope=None, preserve_case=0):
        """The sender's address: From (then Sender), or Sender first when
        USE_ENVELOPE_SENDER (or USE_ENVELOPE) says so; the envelope sender
        when neither header names one."""
        if use_envelope is None:
            use_envelope = mm_cfg.USE_ENVELOPE_SENDER
        headers = ('sender', 'from') if use_envelope else ('from', 'sender')
        address = ''
        for header in headers:
            value = self.get(header)
            if not value:
                continue
            parsed = email.utils.getaddresses([str(value)])
            if parsed and parsed[0][1]:
                address = parsed[0][1]
                break
        else:
            address = self._unixfrom_sender()
        return address if preserve_case else address.lower()

    def get_senders(self, preserve_case=0, headers=None):
        """Every sender address the message names, in SENDER_HEADERS order
        (None there stands for the envelope sender)."""
        if headers is None:
            headers = mm_cfg.SENDER_HEADERS
        addresses = []
        for header in headers:
            if header is None:
                sender = self._unixfrom_sender()
                if sender:
                    addresses.append(sender)
                continue
            for _, address in email.utils.getaddresses(
                    [str(value) for value in self.get_all(header, [])]):
                if address:
                    addresses.append(address)
        if not preserve_case:
            addresses = [address.lower() for address in addresses]
        return addresses


class UserNotification(Message):
    """A message from Mailman to one or more people."""

    def __init__(self, recip, sender, subject=None, text=None, lang=None):
        super().__init__()
        charset = Utils.GetCharSet(lang or mm_cfg.DEFAULT_SERVER_LANGUAGE)
        if text is not None:
            self.set_payload(text, _mime_charset(text, charset))
        if subject is None:
            subject = '(no subject)'
        self['Subject'] = _header(subject, charset)
        self['From'] = sender
        if isinstance(recip, (list, tuple)):
            self['To'] = COMMASPACE.join(recip)
            self.recips = list(recip)
        else:
            self['To'] = recip
            self.recips = [recip]

    def send(self, mlist, noprecedence=False, **metadata):
        """Queue the message in the virgin queue."""
        if not noprecedence and 'precedence' not in self:
            self['Precedence'] = 'bulk'
        self._enqueue(mlist, **metadata)

    def _enqueue(self, mlist, **metadata):
        from Mailman.Queue.Switchboard import Switchboard
        if 'message-id' not in self:
            self['Message-ID'] = Utils.unique_message_id(mlist)
        if 'date' not in self:
            self['Date'] = email.utils.formatdate(localtime=True)
        self.setdefault_header('MIME-Version', '1.0')
        virgin = Switchboard(mm_cfg.VIRGINQUEUE_DIR)
        data = dict(recips=self.recips, nodecorate=1, reduced_list_headers=1,
                    listname=mlist.internal_name(), received_time=time.time())
        data.update(metadata)
        virgin.enqueue(self, data)

    def setdefault_header(self, name, value):
        if name not in self:
            self[name] = value


class OwnerNotification(UserNotification):
    """A message from Mailman to a list's owners (and moderators)."""

    def __init__(self, mlist, subject=None, text=None, tomoderators=1):
        recips = list(mlist.owner)
        if tomoderators:
            recips.extend(mlist.moderator)
        sender = Utils.get_site_email(mlist.host_name, 'bounces')
        super().__init__(recips, sender, subject, text,
                         mlist.preferred_language)
        # Loops would make the owner address answer itself.
        del self['To']
        self['To'] = mlist.GetOwnerEmail()
        self._sender = sender

    def send(self, mlist, **metadata):
        self['X-No-Archive'] = 'yes'
        super().send(mlist, envsender=self._sender, **metadata)


def _mime_charset(text, charset):
    try:
        text.encode('us-ascii')
        return 'us-ascii'
    except UnicodeEncodeError:
        return charset if charset.lower() != 'us-ascii' else 'utf-8'


def _header(text, charset):
    try:
        text.encode('us-ascii')
        return text
    except UnicodeEncodeError:
        return Header(text, charset if charset.lower() != 'us-ascii'
                      else 'utf-8')


def text_part(text, language):
    """A text/plain part for TEXT, in the charset of LANGUAGE when that can
    carry it (US-ASCII when that can), else UTF-8."""
    charset = Utils.GetCharSet(language)
    for candidate in ('us-ascii', charset, 'utf-8'):
        try:
            text.encode(candidate)
        except (UnicodeError, LookupError):
            continue
        return MIMEText(text, _charset=candidate)
    return MIMEText(text, _charset='utf-8')


def attach_original(notice, text, original, language):
    """Make NOTICE a multipart/mixed message of TEXT (in LANGUAGE's charset)
    followed by ORIGINAL, the message it is about, as message/rfc822."""
    notice.set_type('multipart/mixed')
    notice.attach(text_part(text, language))
    notice.attach(MIMEMessage(original))
    return notice
