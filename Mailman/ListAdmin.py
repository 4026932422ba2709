"""The list's database of requests awaiting a moderator: held posts,
subscriptions and unsubscriptions, kept in lists/<name>/request.pck.

The file is a dict: request id -> (type, data), plus 'version': (0, 1).
Data by type:
  HELDMSG       (time, sender, subject, reason, filename, msgdata)
  SUBSCRIPTION  (time, address, fullname, password, digest, language)
  UNSUBSCRIPTION address
Ids come from the list's next_request_id.

A held post's text lives in $VAR_PREFIX/data/heldmsg-<list>-<id>.pck (or
.txt when HOLD_MESSAGES_AS_PICKLES is off).  Our .pck files hold two
pickles of plain data: the message's bytes, then a dict describing the
hold; a 2.1 file holds a pickled message object instead.  Both are read
with Mailman.ListFile, which never runs code from a file.

HoldMessage() stores a post and tells the owners (admin_immed_notify) and
the poster (respond_to_post_requests, within the daily autoresponse limit)
about it; each notice carries a confirmation cookie, so that the poster can
cancel the post and a moderator can approve it (Approved: password) or
discard it by replying.  HandleRequest() carries out a moderator's
decision.  Everything here needs the list lock.
"""

import email
import email.utils
import os
import pickle
import re
import time
from email.mime.message import MIMEMessage

from Mailman import Errors
from Mailman import Utils
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog

IGN = 0
HELDMSG = 1
SUBSCRIPTION = 2
UNSUBSCRIPTION = 3

# What handling a request came to (2.1's values).
DEFER = 0
REMOVE = 1
LOST = 2

REQUESTS_FILE_VERSION = (0, 1)
HELD_FILE_MODE = 0o660
SPAM_FILE_MODE = 0o660
_HELD_NAME = re.compile(
    r'^heldmsg-(?P<list>.+)-(?P<id>\d+)\.(?P<ext>pck|txt)$')


def _(text):
    return i18n._(text)



def _plain_data(value, depth=0):
    """VALUE if it is made of plain data types only (so that request.pck
    stays loadable by the restricted unpickler); otherwise None."""
    if depth > 20:
        return None
    if value is None or isinstance(value, (str, bytes, bool, int, float)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain_data(item, depth + 1) for item in value]
        return type(value)(items) if not isinstance(value, (set, frozenset)) \
            else type(value)(item for item in items if item is not None)
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                continue
            item = _plain_data(item, depth + 1)
            if item is not None or value[key] is None:
                result[key] = item
        return result
    return None


def message_to_bytes(msg):
    """The wire form of MSG, with its envelope 'From ' line if it has one."""
    if isinstance(msg, bytes):
        return msg
    if isinstance(msg, str):
        return msg.encode('utf-8', 'surrogateescape')
    try:
        return msg.as_bytes(unixfrom=bool(msg.get_unixfrom()))
    except (UnicodeError, LookupError, TypeError, ValueError):
        text = msg.as_string(unixfrom=bool(msg.get_unixfrom()))
        return text.encode('utf-8', 'surrogateescape')


def _parse(data):
    from Mailman.Message import Message
    return email.message_from_bytes(data, _class=Message)


def readMessage(path):
    """The held message stored at PATH, as a Mailman Message.  Raises
    FileNotFoundError when the file is gone."""
    from Mailman import ListFile
    from Mailman.Message import Message
    with open(path, 'rb') as f:
        data = f.read()
    if not path.endswith('.pck'):
        return _parse(data)
    stored = ListFile.loads(data, path)
    if isinstance(stored, bytes):
        return _parse(stored)
    if isinstance(stored, str):
        # 2.1 could store the plain text; Py2Pickle hands it back decoded.
        return _parse(stored.encode('utf-8', 'surrogateescape'))
    if isinstance(stored, email.message.Message):
        # A message object pickled by 2.1: reparse it into our class.
        if isinstance(stored, Message):
            return stored
        return _parse(message_to_bytes(stored))
    raise ListFile.ListFileError(f'{path}: not a held message')


def wrap(text, column=70):
    """Fill each paragraph of TEXT to COLUMN, leaving indented paragraphs
    alone; words (addresses, URLs) are never split, not even at hyphens."""
    import textwrap
    out = []
    for paragraph in (text or '').split('\n\n'):
        if paragraph.startswith((' ', '\t')):
            out.append(paragraph)
        else:
            out.append(textwrap.fill(paragraph, column,
                                     break_long_words=False,
                                     break_on_hyphens=False))
    return '\n\n'.join(out)


def oneline(value, charset='utf-8'):
    """A header value (possibly RFC 2047 encoded, possibly a Header) as one
    line of text."""
    from email.header import decode_header, Header
    if value is None:
        return ''
    try:
        if isinstance(value, Header):
            fragments = decode_header(value)
        else:
            fragments = decode_header(re.sub(r'\r?\n[ \t]*', ' ', str(value)))
    except Exception:
        return ' '.join(str(value).split())
    out = []
    for fragment, fragment_charset in fragments:
        if isinstance(fragment, bytes):
            for candidate in (fragment_charset, 'utf-8', charset, 'latin-1'):
                if not candidate or candidate == 'unknown-8bit':
                    continue
                try:
                    fragment = fragment.decode(candidate)
                    break
                except (UnicodeError, LookupError):
                    continue
            else:
                fragment = fragment.decode('latin-1')
        out.append(fragment)
    return ' '.join(''.join(out).split())


class ListAdmin:
    def InitVars(self):
        self.next_request_id = 1

    def InitTempVars(self):
        self.__db = None
        self.__db_stamp = None

    # ------------------------------------------------------------ the file
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
        self.__db.setdefault('version', REQUESTS_FILE_VERSION)
        self.__db_stamp = stamp

    def SaveRequestsDb(self):
        if self.__db is None:
            return
        Utils.write_file_atomically(self._requests_file(),
                                    pickle.dumps(self.__db, protocol=4),
                                    mode=0o660)
        st = os.stat(self._requests_file())
        self.__db_stamp = (st.st_mtime_ns, st.st_size, st.st_ino)

    # ------------------------------------------------------------ reading
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

    def GetHeldMessagePath(self, request_id):
        record = self.GetRecord(request_id)
        return os.path.join(mm_cfg.DATA_DIR, os.path.basename(record[4]))

    def GetHeldMessage(self, request_id):
        """The held post REQUEST_ID as a Message.  Raises
        Errors.LostHeldMessage when its file is gone."""
        path = self.GetHeldMessagePath(request_id)
        try:
            return readMessage(path)
        except FileNotFoundError:
            raise Errors.LostHeldMessage(path) from None

    # ------------------------------------------------------------ adding
    def __next_free_id(self):
        """The next request id.  An id is never reused, even if the list's
        next_request_id was not saved after its last use."""
        self.__opendb()
        request_id = max(int(self.next_request_id or 1), 1)
        while request_id in self.__db or any(
                os.path.exists(os.path.join(
                    mm_cfg.DATA_DIR,
                    f'heldmsg-{self.internal_name()}-{request_id}.{ext}'))
                for ext in ('pck', 'txt')):
            request_id += 1
        self.next_request_id = request_id + 1
        return request_id

    def _add_request(self, rtype, data):
        """Store a new request; returns its id.  The list must be locked."""
        assert self.Locked()
        request_id = self.__next_free_id()
        self.__db[request_id] = (rtype, data)
        return request_id

    def _remove_request(self, request_id):
        assert self.Locked()
        self.__opendb()
        del self.__db[request_id]

    def HoldMessage(self, msg, reason, msgdata=None, notify=True):
        """Keep MSG for a moderator, because of REASON (a text); returns the
        request id.  With NOTIFY, the owners and the poster are told (see
        the module's docstring); Emergency holds are silent."""
        assert self.Locked()
        msgdata = dict(msgdata or {})
        request_id = self.__next_free_id()
        sender = msgdata.get('sender') or msg.get_sender()
        ext = 'pck' if mm_cfg.HOLD_MESSAGES_AS_PICKLES else 'txt'
        filename = f'heldmsg-{self.internal_name()}-{request_id}.{ext}'
        path = os.path.join(mm_cfg.DATA_DIR, filename)
        raw = message_to_bytes(msg)
        if ext == 'pck':
            info = {'listname': self.internal_name(), 'id': request_id,
                    'sender': sender, 'held_at': time.time(),
                    'msgdata': _plain_data(msgdata) or {}}
            data = pickle.dumps(raw, protocol=4) + \
                pickle.dumps(info, protocol=4)
        else:
            data = raw
        os.makedirs(mm_cfg.DATA_DIR, exist_ok=True)
        Utils.write_file_atomically(path, data, mode=HELD_FILE_MODE)
        subject = msg.get('subject')
        subject = str(subject) if subject is not None else _('(no subject)')
        record = (time.time(), sender or _('<missing>'), subject, reason,
                  filename, _plain_data(msgdata) or {})
        self.__db[request_id] = (HELDMSG, record)
        self.SaveRequestsDb()
        if notify:
            self.__notify_held(request_id, msg, msgdata, sender, reason)
        return request_id

    def __member_language(self, address, default=None):
        if address:
            try:
                if self.isMember(address):
                    return self.getMemberLanguage(address)
            except Errors.NotAMemberError:
                pass
        return default or self.preferred_language

    def __notify_held(self, request_id, msg, msgdata, sender, reason):
        from Mailman import Message
        from Mailman import Pending
        cookie = self.pend_new(Pending.HELD_MESSAGE, request_id)
        listname = self.real_name
        owneraddr = self.GetOwnerEmail()
        charset = Utils.GetCharSet(self.preferred_language)
        usersubject = oneline(msg.get('subject'), charset) or \
            _('(no subject)')
        values = {
            'listname': listname,
            'hostname': self.host_name,
            'reason': reason,
            'sender': sender,
            'subject': usersubject,
            'admindb_url': self.GetScriptURL('admindb', absolute=1),
            'confirmurl': '%s/%s' % (self.GetScriptURL('confirm', absolute=1),
                                     cookie),
            'cookie': cookie,
            'requestaddr': self.GetRequestEmail(),
            'owneraddr': owneraddr,
        }
        # The poster, unless the post came from Usenet, is a bulk message,
        # or the poster has had enough automatic mail from us today.
        language = self.__member_language(sender, msgdata.get('lang'))
        if (sender and not msgdata.get('fromusenet') and _ackp(msg)
                and self.respond_to_post_requests
                and self.autorespondToSender(sender, language)):
            with i18n.using(language):
                subject = _('Your message to %(listname)s awaits moderator '
                            'approval') % {'listname': listname}
                values['reason'] = _(reason)
                text = Utils.maketext('postheld.txt', values, lang=language,
                                      mlist=self)
            notice = Message.UserNotification(sender, owneraddr, subject,
                                              text, language)
            notice.send(self)
        # The owners and moderators: the reasons, the post itself, and a
        # ready-made reply that approves or discards it.
        if self.admin_immed_notify:
            language = self.preferred_language
            with i18n.using(language):
                values['reason'] = _(reason)
                subject = _('%(listname)s post from %(sender)s requires '
                            'approval') % {'listname': listname,
                                           'sender': sender}
                text = Utils.maketext('postauth.txt', values, lang=language,
                                      mlist=self)
                instructions = wrap(_(
                    'If you reply to this message, keeping the Subject: '
                    'header intact, Mailman will discard the held message.  '
                    'Do this if the message is spam.  If you reply to this '
                    'message and include an Approved: header with the list '
                    'password in it, the message will be approved for '
                    'posting to the list.  The Approved: header can also '
                    'appear in the first line of the body of the reply.'))
            notice = Message.OwnerNotification(self, subject, None,
                                               tomoderators=1)
            notice.set_type('multipart/mixed')
            notice.attach(Message.text_part(text, language))
            notice.attach(MIMEMessage(msg))
            reply = Message.text_part(instructions, language)
            requestaddr = self.GetRequestEmail()
            reply['Subject'] = 'confirm ' + cookie
            reply['Sender'] = requestaddr
            reply['From'] = requestaddr
            reply['Date'] = email.utils.formatdate(localtime=True)
            reply['Message-ID'] = Utils.unique_message_id(self)
            notice.attach(MIMEMessage(reply))
            notice.send(self, tomoderators=1)

    def HoldSubscription(self, addr, fullname, password, digest, lang):
        """Keep a subscription request for the owners' approval; returns
        the request id."""
        assert self.Locked()
        record = (time.time(), addr, fullname, password, digest, lang)
        request_id = self._add_request(SUBSCRIPTION, record)
        self.SaveRequestsDb()
        syslog('vette', '%s: held subscription request from %s',
               self.internal_name(), Utils.log_safe(addr))
        if self.admin_immed_notify:
            self.__notify_owners_of_request(
                'subauth.txt', addr,
                'New subscription request to list %(realname)s from '
                '%(addr)s')
        return request_id

    def HoldUnsubscription(self, addr):
        """Keep an unsubscription request for the owners' approval;
        returns the request id."""
        assert self.Locked()
        request_id = self._add_request(UNSUBSCRIPTION, addr)
        self.SaveRequestsDb()
        syslog('vette', '%s: held unsubscription request from %s',
               self.internal_name(), Utils.log_safe(addr))
        if self.admin_immed_notify:
            self.__notify_owners_of_request(
                'unsubauth.txt', addr,
                'New unsubscription request from %(realname)s by %(addr)s')
        return request_id

    def __notify_owners_of_request(self, template, addr, subject):
        from Mailman import Message
        language = self.preferred_language
        with i18n.using(language):
            subject = _(subject) % {'realname': self.real_name, 'addr': addr}
            text = Utils.maketext(template, {
                'username': addr,
                'listname': self.internal_name(),
                'hostname': self.host_name,
                'admindb_url': self.GetScriptURL('admindb', absolute=1),
            }, lang=language, mlist=self)
        notice = Message.OwnerNotification(self, subject, text,
                                           tomoderators=1)
        notice.send(self, tomoderators=1)

    # ------------------------------------------------------------ deciding
    def HandleRequest(self, request_id, value, comment=None, preserve=None,
                      forward=None, addr=None, sender_action=None, ban=None):
        """Carry out a moderator's decision on request REQUEST_ID.

        VALUE is mm_cfg.DEFER, APPROVE, REJECT or DISCARD (SUBSCRIBE and
        UNSUBSCRIBE are accepted for the membership requests, as 2.1's
        forms send them).  For held posts: PRESERVE keeps a copy in spam/,
        FORWARD with ADDR forwards a copy to ADDR.  SENDER_ACTION
        (mm_cfg.ACCEPT, HOLD, REJECT or DISCARD) adds the poster to the
        matching *_these_nonmembers list; BAN adds the poster (or the
        would-be member) to the list's ban_list.  COMMENT is the reason
        given to the sender of a rejected request.

        Returns DEFER, REMOVE or LOST.  Raises KeyError for an unknown id.
        """
        assert self.Locked()
        self.__opendb()
        rtype, data = self.__db[request_id]
        if rtype == HELDMSG:
            status = self.__handlepost(request_id, data, value, comment,
                                       preserve, forward, addr)
            who = data[1]
        elif rtype == UNSUBSCRIPTION:
            status = self.__handleunsubscription(data, value, comment)
            who = data
        else:
            assert rtype == SUBSCRIPTION, rtype
            status = self.__handlesubscription(data, value, comment)
            who = data[1]
        if sender_action is not None:
            self.__add_to_sender_filter(who, sender_action)
        if ban:
            self.__ban(who)
        if status != DEFER:
            self.__opendb()
            self.__db.pop(request_id, None)
            if rtype == HELDMSG:
                self.__drop_cookies(request_id)
        self.SaveRequestsDb()
        return status

    def __drop_cookies(self, request_id):
        """Forget the confirmation cookies that pointed at a held post."""
        from Mailman import Pending
        try:
            cookies = self.pend_cookies()
        except Exception as error:
            syslog('error', '%s: cannot read pending.pck: %s',
                   self.internal_name(), error)
            return
        for cookie, entry in cookies.items():
            if isinstance(entry, tuple) and len(entry) >= 2 and \
                    entry[0] == Pending.HELD_MESSAGE and \
                    entry[1] == request_id:
                self.pend_confirm(cookie, expunge=True)

    def __add_to_sender_filter(self, sender, action):
        attribute = {
            mm_cfg.ACCEPT: 'accept_these_nonmembers',
            mm_cfg.HOLD: 'hold_these_nonmembers',
            mm_cfg.REJECT: 'reject_these_nonmembers',
            mm_cfg.DISCARD: 'discard_these_nonmembers',
        }.get(action)
        if attribute is None or not sender or '@' not in sender:
            return
        entries = getattr(self, attribute)
        if sender.lower() not in [entry.lower() for entry in entries]:
            entries.append(sender)
            syslog('vette', '%s: %s added to %s', self.internal_name(),
                   Utils.log_safe(sender), attribute)

    def __ban(self, address):
        if not address or '@' not in address:
            return
        if not Utils.address_is_banned(address, self.ban_list):
            self.ban_list.append(address)
            syslog('vette', '%s: %s banned', self.internal_name(),
                   Utils.log_safe(address))

    def __handlepost(self, request_id, record, value, comment, preserve,
                     forward, addr):
        ptime, sender, subject, reason, filename, msgdata = record
        msgdata = dict(msgdata or {})
        path = os.path.join(mm_cfg.DATA_DIR, os.path.basename(filename))
        if preserve:
            try:
                self.__preserve(path)
            except FileNotFoundError:
                return LOST
        if value == mm_cfg.DEFER:
            return DEFER
        rejection = None
        if value == mm_cfg.APPROVE:
            try:
                msg = readMessage(path)
            except FileNotFoundError:
                return self.__lost(path)
            msgdata['approved'] = 1
            # Emergency moderation looks at adminapproved.
            msgdata['adminapproved'] = 1
            # The queue file it came from is long gone.
            msgdata.pop('filebase', None)
            msgdata.setdefault('listname', self.internal_name())
            del msg['X-Mailman-Approved-At']
            msg['X-Mailman-Approved-At'] = email.utils.formatdate(
                localtime=True)
            syslog('vette', '%s: held message approved, message-id: %s',
                   self.internal_name(),
                   Utils.log_safe(msg.get('message-id', 'n/a')))
            # Back to the incoming queue: the pipeline goes on after the
            # step that held it (msgdata['pipeline'] says where).
            from Mailman.Queue.Switchboard import Switchboard
            Switchboard(mm_cfg.INQUEUE_DIR).enqueue(msg, msgdata)
        elif value == mm_cfg.REJECT:
            rejection = 'Refused'
            language = self.__member_language(sender)
            charset = Utils.GetCharSet(language)
            with i18n.using(language):
                request = _('Posting of your message titled "%(subject)s"') \
                    % {'subject': oneline(subject, charset)}
                reason_text = comment or msgdata.get('rejection_notice') or \
                    _('[No reason given]')
            self._refuse(request, sender, reason_text, lang=language)
        elif value == mm_cfg.DISCARD:
            rejection = 'Discarded'
        else:
            raise ValueError(f'not a decision for a held message: {value!r}')
        if forward and addr:
            self.__forward(path, addr)
        if rejection:
            note = '%s: %s posting:\n\tFrom: %s\n\tSubject: %s' % (
                self.internal_name(), rejection, Utils.log_safe(sender),
                Utils.log_safe(subject))
            if comment:
                note += '\n\tReason: ' + Utils.log_safe(comment)
            syslog('vette', '%s', note)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return LOST
        return REMOVE

    def __lost(self, path):
        syslog('error', '%s: held message file %s is missing',
               self.internal_name(), path)
        return LOST

    def __preserve(self, path):
        """Keep a plain-text copy of the held post in SPAM_DIR."""
        msg = readMessage(path)
        name = os.path.basename(path).split('-', 1)[1]
        name = os.path.splitext('spam-' + name)[0] + '.msg'
        os.makedirs(mm_cfg.SPAM_DIR, exist_ok=True)
        Utils.write_file_atomically(os.path.join(mm_cfg.SPAM_DIR, name),
                                    message_to_bytes(msg),
                                    mode=SPAM_FILE_MODE)

    def __forward(self, path, addr):
        from Mailman import Message
        try:
            copy = readMessage(path)
        except FileNotFoundError:
            raise Errors.LostHeldMessage(path) from None
        addresses = [a for _name, a in email.utils.getaddresses([addr]) if a]
        if not addresses:
            return
        if len(addresses) == 1:
            recipient = addresses[0]
            language = self.__member_language(recipient)
        else:
            recipient = addresses
            language = self.preferred_language
        with i18n.using(language):
            subject = _('Forward of moderated message')
        notice = Message.UserNotification(recipient, self.GetBouncesEmail(),
                                          subject, None, language)
        notice.set_type('message/rfc822')
        notice.attach(copy)
        notice.send(self)

    def __handlesubscription(self, record, value, comment):
        from Mailman.UserDesc import UserDesc
        stime, addr, fullname, password, digest, lang = record
        if value == mm_cfg.DEFER:
            return DEFER
        if value == mm_cfg.DISCARD:
            syslog('vette', '%s: discarded subscription request from %s',
                   self.internal_name(), Utils.log_safe(addr))
        elif value == mm_cfg.REJECT:
            self.__reject_membership_request(
                'subscription', 'Subscription request', addr, comment,
                lang or self.preferred_language, lang)
        elif value in (mm_cfg.SUBSCRIBE, mm_cfg.APPROVE):
            userdesc = UserDesc(addr, fullname, password, digest, lang)
            try:
                self.ApprovedAddMember(userdesc, whence='via admin approval')
            except Errors.MMAlreadyAMember:
                pass    # subscribed some other way in the meantime
        else:
            raise ValueError(f'not a decision for a subscription: {value!r}')
        return REMOVE

    def __reject_membership_request(self, kind, request, addr, comment,
                                    language, refuse_language):
        """Tell ADDR their KIND request was refused, with COMMENT."""
        with i18n.using(language):
            reason = comment or _('[No reason given]')
            request = _(request)
        self._refuse(request, addr, reason, lang=refuse_language)
        syslog('vette', '%s: rejected %s request from %s\n\tReason: %s',
               self.internal_name(), kind, Utils.log_safe(addr),
               Utils.log_safe(comment or '[No reason given]'))

    def __handleunsubscription(self, record, value, comment):
        addr = record
        if value == mm_cfg.DEFER:
            return DEFER
        if value == mm_cfg.DISCARD:
            syslog('vette', '%s: discarded unsubscription request from %s',
                   self.internal_name(), Utils.log_safe(addr))
        elif value == mm_cfg.REJECT:
            language = self.__member_language(addr)
            self.__reject_membership_request(
                'unsubscription', 'Unsubscription request', addr, comment,
                language, language)
        elif value in (mm_cfg.UNSUBSCRIBE, mm_cfg.APPROVE):
            try:
                self.ApprovedDeleteMember(addr, whence='via admin approval')
            except Errors.NotAMemberError:
                pass    # already gone
        else:
            raise ValueError(
                f'not a decision for an unsubscription: {value!r}')
        return REMOVE

    def _refuse(self, request, recip, comment, origmsg=None, lang=None):
        """Tell RECIP that REQUEST (a description) was refused because of
        COMMENT."""
        from Mailman import Message
        if not recip or '@' not in recip:
            return
        if lang is None:
            lang = self.__member_language(recip)
        realname = self.real_name
        with i18n.using(lang):
            text = Utils.maketext('refuse.txt', {
                'listname': realname,
                'request': request,
                'reason': comment,
                'adminaddr': self.GetOwnerEmail(),
            }, lang=lang, mlist=self)
            if origmsg is not None:
                text = '\n'.join([
                    text, '---------- ' + _('Original Message') +
                    ' ----------', str(origmsg)])
            subject = _('Request to mailing list %(realname)s rejected') \
                % {'realname': realname}
        notice = Message.UserNotification(recip, self.GetOwnerEmail(),
                                          subject, text, lang)
        notice.send(self)

    # ------------------------------------------------------------ helpers
    def ForwardMessage(self, msg, text=None, subject=None,
                       tomoderators=True):
        """Send MSG, attached, to the owners (and moderators) with TEXT."""
        from Mailman import Message
        if text is None:
            text = _('No reason given')
        if subject is None:
            subject = _('(no subject)')
        notice = Message.OwnerNotification(self, subject, None,
                                           tomoderators=tomoderators)
        notice.set_type('multipart/mixed')
        notice.attach(Message.text_part(wrap(text), self.preferred_language))
        notice.attach(MIMEMessage(msg))
        notice.send(self)

    def autorespondToSender(self, sender, lang=None):
        """Whether Mailman may send SENDER another automatic reply today (a
        hold notice, a -request answer).  A guard against loops with mail
        robots: at most MAX_AUTORESPONSES_PER_DAY (0: no limit) per address
        and day; the reply over the limit is replaced by one last notice
        (nomoretoday.txt).  The count lives in hold_and_cmd_autoresponses,
        saved with the list."""
        from Mailman import Message
        if lang is None:
            lang = self.preferred_language
        limit = mm_cfg.MAX_AUTORESPONSES_PER_DAY
        if not limit:
            return True
        today = tuple(time.localtime()[:3])
        key = (sender or '').lower()
        info = self.hold_and_cmd_autoresponses.get(key)
        try:
            stale = tuple(info[0]) != today
            int(info[1])
        except (TypeError, IndexError, ValueError):
            stale = True            # a record this code cannot read
        if stale:
            self.hold_and_cmd_autoresponses[key] = (today, 1)
            return True
        count = info[1]
        if count < 0:
            syslog('vette', '-request/hold autoresponse discarded for: %s',
                   Utils.log_safe(sender))
            return False
        if count >= limit:
            syslog('vette', '-request/hold autoresponse limit hit for: %s',
                   Utils.log_safe(sender))
            self.hold_and_cmd_autoresponses[key] = (today, -1)
            with i18n.using(lang):
                text = Utils.maketext('nomoretoday.txt', {
                    'sender': sender,
                    'listname': f'{self.real_name}@{self.host_name}',
                    'num': count,
                    'owneremail': self.GetOwnerEmail(),
                }, lang=lang, mlist=self)
                subject = _('Last autoresponse notification for today')
            notice = Message.UserNotification(sender, self.GetOwnerEmail(),
                                              subject, text, lang)
            notice.send(self)
            return False
        self.hold_and_cmd_autoresponses[key] = (today, count + 1)
        return True


def _ackp(msg):
    """False for bulk mail that did not ask for replies (X-Ack: yes)."""
    ack = str(msg.get('x-ack', '')).strip().lower()
    precedence = str(msg.get('precedence', '')).strip().lower()
    return not (ack != 'yes' and precedence in ('bulk', 'junk', 'list'))


def parse_held_filename(name):
    """(listname, request id) of a data/heldmsg-<list>-<id>.pck|.txt file
    name, or None."""
    match = _HELD_NAME.match(os.path.basename(name))
    if not match:
        return None
    return match.group('list'), int(match.group('id'))
