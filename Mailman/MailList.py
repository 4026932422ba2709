"""One mailing list: its settings, its members, its state on disk.

A MailList is built from mixins, one per area, as in 2.1; each contributes
InitVars() (its attributes with their defaults) and its methods.  The state
is every public attribute, pickled to lists/<name>/config.pck.

Writers must hold the list lock:

    mlist = MailList('mylist')          # loads and locks
    try:
        ...change it...
        mlist.Save()
    finally:
        mlist.Unlock()

MailList('mylist', lock=0) loads without locking, for reading.
"""

import copy
import os
import pickle
import shutil
import socket
import time

from Mailman import Errors
from Mailman import ListFile
from Mailman import LockFile
from Mailman import Utils
from Mailman import mm_cfg
from Mailman import versions
from Mailman.Archiver.Archiver import Archiver
from Mailman.Autoresponder import Autoresponder
from Mailman.Bouncer import Bouncer
from Mailman.Deliverer import Deliverer
from Mailman.Digester import Digester
from Mailman.GatewayManager import GatewayManager
from Mailman.ListAdmin import ListAdmin
from Mailman.Logging.Syslog import syslog
from Mailman.OldStyleMemberships import OldStyleMemberships
from Mailman.Pending import Pending
from Mailman.SecurityManager import SecurityManager
from Mailman.TopicMgr import TopicMgr
from Mailman.Version import DATA_FILE_VERSION

CONFIG_FILE = 'config.pck'
# Mailman 2.0 kept the state as marshal data here (read, never written).
OLD_CONFIG_FILE = 'config.db'
STATE_MODE = 0o660
LIST_DIR_MODE = 0o2775

_MIXINS = (ListAdmin, Deliverer, Digester, SecurityManager, Bouncer,
           GatewayManager, Autoresponder, TopicMgr, Pending, Archiver)


class MailList(ListAdmin, Deliverer, Digester, SecurityManager, Bouncer,
               GatewayManager, Autoresponder, TopicMgr, Pending, Archiver):

    def __init__(self, name=None, lock=1):
        # Everything until InitTempVars is process-local, not list state.
        self.__dict__['_MailList__lock'] = None
        self._memberadaptor = None
        if name is None:
            return
        name = name.lower()
        if not Utils.valid_list_name(name):
            raise Errors.MMUnknownListError(name)
        self.InitTempVars(name)
        if lock:
            self.Lock()
        else:
            self.Load()

    def __getattr__(self, name):
        # The member API lives on the member adaptor; 2.1 code calls it on
        # the list (mlist.isMember(...)).
        if name.startswith('_'):
            raise AttributeError(name)
        adaptor = self.__dict__.get('_memberadaptor')
        if adaptor is not None:
            try:
                return getattr(adaptor, name)
            except AttributeError:
                pass
        raise AttributeError(name)

    def __repr__(self):
        if self.__lock is None:
            return '<MailList (unnamed)>'
        state = 'locked' if self.Locked() else 'unlocked'
        return f'<MailList "{self.internal_name()}" ({state})>'

    # ------------------------------------------------------------ locking
    def Lock(self, timeout=0):
        """Lock the list and (re)load its state, so that changes are made
        to the latest version."""
        self.__lock.lock(timeout)
        try:
            self.Load()
        except BaseException:
            self.__lock.unlock(unconditionally=True)
            raise

    def Unlock(self):
        self.__lock.unlock(unconditionally=True)

    def Locked(self):
        return self.__lock is not None and self.__lock.locked()

    # ------------------------------------------------------------ names
    def internal_name(self):
        return self._internal_name

    def fullpath(self):
        return self._full_path

    def getListAddress(self, extra=None):
        if extra is None:
            return f'{self._internal_name}@{self.host_name}'
        return f'{self._internal_name}-{extra}@{self.host_name}'

    def GetListEmail(self):
        return self.getListAddress()

    def GetOwnerEmail(self):
        return self.getListAddress('owner')

    def GetRequestEmail(self, cookie=''):
        if mm_cfg.VERP_CONFIRMATIONS and cookie:
            return self.GetConfirmEmail(cookie)
        return self.getListAddress('request')

    def GetConfirmEmail(self, cookie):
        return mm_cfg.VERP_CONFIRM_FORMAT % {
            'addr': f'{self._internal_name}-confirm',
            'cookie': cookie} + '@' + self.host_name

    def GetBouncesEmail(self):
        return self.getListAddress('bounces')

    def GetNoReplyEmail(self):
        return f'noreply@{self.host_name}'

    def GetConfirmJoinSubject(self, listname, cookie):
        # With VERP_CONFIRMATIONS the cookie travels in the reply address,
        # so the subject can be readable, as in 2.1.
        if mm_cfg.VERP_CONFIRMATIONS and cookie:
            from Mailman.i18n import _
            return _('Your confirmation is required to join the %s mailing '
                     'list') % listname
        return f'confirm {cookie}'

    def GetConfirmLeaveSubject(self, listname, cookie):
        if mm_cfg.VERP_CONFIRMATIONS and cookie:
            from Mailman.i18n import _
            return _('Your confirmation is required to leave the %s mailing '
                     'list') % listname
        return f'confirm {cookie}'

    def GetScriptURL(self, target, absolute=0):
        """The URL of web page TARGET for this list."""
        base = self.web_page_url
        if not base.endswith('/'):
            base += '/'
        return f'{base}{target}{mm_cfg.CGIEXT}/{self._internal_name}'

    def GetOptionsURL(self, user, obscure=0, absolute=0):
        address = Utils.ObscureEmail(user) if obscure else user
        return f'{self.GetScriptURL("options", absolute)}/{address}'

    def GetDescription(self):
        return self.description or ''

    def GetAvailableLanguages(self):
        languages = [lang for lang in self.available_languages
                     if lang in mm_cfg.LC_DESCRIPTIONS]
        if self.preferred_language not in languages:
            languages.append(self.preferred_language)
        return languages or [mm_cfg.DEFAULT_SERVER_LANGUAGE]

    # ------------------------------------------------------------ admin GUI
    # 2.1's entry points to the admin categories (declared in Mailman/Gui).
    def GetConfigCategories(self):
        """{name: (title, category object)}, in ADMIN_CATEGORIES order."""
        from Mailman import Gui
        return {gui.NAME: (gui.GetConfigCategory()[1], gui)
                for gui in Gui.categories()}

    def GetConfigSubCategories(self, category):
        """[(name, title), ...] of CATEGORY, or None."""
        from Mailman import Gui
        gui = Gui.category(category)
        return gui.GetConfigSubCategories(category) if gui else None

    def GetConfigInfo(self, category, subcat=None):
        """CATEGORY's declarations (for SUBCAT), or None."""
        from Mailman import Gui
        gui = Gui.category(category)
        return gui.GetConfigInfo(self, category, subcat) if gui else None

    # ------------------------------------------------------------ state
    def InitTempVars(self, name):
        """Process-local state: the lock, the paths, the member adaptor."""
        self._internal_name = name
        self._full_path = os.path.join(mm_cfg.LIST_DATA_DIR, name)
        self.__lock = LockFile.LockFile(
            os.path.join(mm_cfg.LOCK_DIR, name + '.lock'),
            lifetime=mm_cfg.LIST_LOCK_LIFETIME,
            withlogging=mm_cfg.LIST_LOCK_DEBUGGING)
        self.__loaded_stamp = None
        self._memberadaptor = OldStyleMemberships(self)
        for mixin in _MIXINS:
            init = mixin.__dict__.get('InitTempVars')
            if init is not None:
                init(self)
        self._run_extend_hook()

    def _run_extend_hook(self):
        """2.1's per-list customisation: lists/<name>/extend.py with an
        extend(mlist) function, installed by the site administrator."""
        path = os.path.join(self._full_path, 'extend.py')
        if not os.path.isfile(path):
            return
        namespace = {'__file__': path, '__name__': 'extend'}
        with open(path, encoding='utf-8') as f:
            exec(compile(f.read(), path, 'exec'), namespace)
        if 'extend' in namespace:
            namespace['extend'](self)

    def InitVars(self, name=None, admin='', crypted_password='', urlhost=None):
        """Every list attribute with its default for a new list."""
        for attribute, setting in _CORE_DEFAULTS.items():
            setattr(self, attribute, copy.deepcopy(getattr(mm_cfg, setting)))
        self.created_at = time.time()
        self.data_version = DATA_FILE_VERSION
        self.last_post_time = 0
        self.post_id = 1.0
        self.volume = 1
        self.members = {}
        self.passwords = {}
        self.user_options = {}
        self.language = {}
        self.usernames = {}
        self.hold_and_cmd_autoresponses = {}
        self.owner = [admin] if admin else []
        self.moderator = []
        self.password = crypted_password
        self.preferred_language = mm_cfg.DEFAULT_SERVER_LANGUAGE
        self.available_languages = [self.preferred_language]
        self.host_name = mm_cfg.DEFAULT_EMAIL_HOST
        self.web_page_url = mm_cfg.DEFAULT_URL or \
            mm_cfg.DEFAULT_URL_PATTERN % (urlhost or mm_cfg.DEFAULT_URL_HOST)
        name = name or getattr(self, '_internal_name', '') or ''
        self.real_name = name[:1].upper() + name[1:]
        self.description = ''
        self.info = ''
        self.welcome_msg = ''
        self.goodbye_msg = ''
        self.reply_to_address = ''
        self.include_rfc2369_headers = 1
        self.include_list_post_header = 1
        self.include_sender_header = 1
        self.emergency = 0
        self.encode_ascii_prefixes = 0
        self.personalize = 0
        self.header_filter_rules = []
        self.ban_list = []
        self.accept_these_nonmembers = []
        self.hold_these_nonmembers = []
        self.reject_these_nonmembers = []
        self.discard_these_nonmembers = []
        self.nonmember_rejection_notice = ''
        self.member_moderation_action = 0
        self.member_moderation_notice = ''
        self.dmarc_moderation_notice = ''
        self.dmarc_moderation_addresses = []
        self.advertised = mm_cfg.DEFAULT_LIST_ADVERTISED
        self.umbrella_member_suffix = mm_cfg.DEFAULT_UMBRELLA_MEMBER_ADMIN_SUFFIX
        self.subject_prefix = mm_cfg.DEFAULT_SUBJECT_PREFIX % {
            'real_name': self.real_name}
        for mixin in _MIXINS:
            init = mixin.__dict__.get('InitVars')
            if init is not None:
                init(self)

    def Create(self, name, admin, crypted_password, langs=None,
               emailhost=None, urlhost=None):
        """Create the list NAME, owned by ADMIN, with the already hashed
        administrator password CRYPTED_PASSWORD.  Leaves the list locked;
        the caller saves and unlocks it."""
        name = name.lower() if name else name
        if not Utils.valid_list_name(name):
            raise Errors.BadListNameError(name)
        Utils.ValidateEmail(admin)
        self.InitTempVars(name)
        # Lock first, then look: two admins creating the same list at the
        # same moment must not both succeed.
        self.__lock.lock()
        try:
            if Utils.list_exists(name):
                raise Errors.MMListAlreadyExistsError(name)
            os.makedirs(self._full_path, exist_ok=True)
            os.chmod(self._full_path, LIST_DIR_MODE)
            self.InitVars(name, admin, crypted_password, urlhost)
            if emailhost:
                self.host_name = emailhost
            if langs:
                self.available_languages = list(langs)
                self.preferred_language = langs[0]
            self.CheckValues()
        except BaseException:
            self.__lock.unlock(unconditionally=True)
            raise

    def _state(self):
        return {key: value for key, value in self.__dict__.items()
                if not key.startswith('_') and not callable(value)}

    def Save(self):
        """Write the list's state: a temporary file, flushed and fsynced,
        then renamed over config.pck; the previous version stays as
        config.pck.last."""
        if not self.Locked():
            raise LockFile.NotLockedError(
                f'{self._internal_name}: Save() needs the list lock')
        self.__lock.refresh()
        data = pickle.dumps(self._state(), protocol=4)
        path = os.path.join(self._full_path, CONFIG_FILE)
        temporary = f'{path}.tmp.{socket.gethostname()}.{os.getpid()}'
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     STATE_MODE)
        try:
            with os.fdopen(fd, 'wb') as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, STATE_MODE)
            last = path + '.last'
            if os.path.exists(path):
                try:
                    os.unlink(last)
                except FileNotFoundError:
                    pass
                os.link(path, last)
            os.rename(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass
            raise
        Utils.sync_directory(self._full_path)
        st = os.stat(path)
        self.__loaded_stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        self.SaveRequestsDb()
        self.CheckHTMLArchiveDir()

    def _read_state(self, path):
        with open(path, 'rb') as f:
            data = f.read()
        if not data:
            raise ListFile.ListFileError(f'{path}: empty file')
        if os.path.basename(path).startswith(OLD_CONFIG_FILE):
            state = ListFile.loads_marshal(data, path)
        else:
            state = ListFile.loads(data, path)
        if not isinstance(state, dict):
            raise ListFile.ListFileError(f'{path}: not a list state')
        return state

    def Load(self, check_version=True):
        """Read the list's state from config.pck, or, when that is missing
        or damaged, from config.pck.last (and say so in logs/error).  A
        list that has neither (one from Mailman 2.0, never saved since) is
        read from its marshal file config.db, or config.db.last; the next
        Save() writes config.pck and leaves config.db alone."""
        path = os.path.join(self._full_path, CONFIG_FILE)
        try:
            st = os.stat(path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp is not None and stamp == self.__loaded_stamp:
            return      # nothing changed on disk since we read it
        failures = []
        state = None
        for candidate in self._state_candidates(path):
            try:
                state = self._read_state(candidate)
            except FileNotFoundError:
                failures.append(f'{candidate}: missing')
                continue
            except (OSError, ListFile.ListFileError) as error:
                failures.append(str(error))
                syslog('error', 'list file cannot be read: %s', error)
                continue
            if os.path.basename(candidate).startswith(OLD_CONFIG_FILE):
                syslog('error', 'list %s: no config.pck; loaded the Mailman '
                       '2.0 file %s (the next save writes config.pck)',
                       self._internal_name, candidate)
            elif candidate != path:
                self._recover_from(candidate, path)
            break
        if state is None:
            if all(f.endswith(': missing') for f in failures):
                raise Errors.MMUnknownListError(self._internal_name)
            raise Errors.MMCorruptListDatabaseError(
                f'{self._internal_name}: ' + '; '.join(failures))
        self.__dict__.update(state)
        self.__loaded_stamp = stamp
        if check_version:
            self.CheckVersion(state)
            self.CheckValues()

    def _state_candidates(self, path):
        """The files Load() tries in turn.  The 2.0 marshal files count
        only while no pickle exists: state saved since then is newer, even
        when damaged, and must not be silently replaced by it."""
        yield path
        yield path + '.last'
        if os.path.exists(path) or os.path.exists(path + '.last'):
            return
        old = os.path.join(self._full_path, OLD_CONFIG_FILE)
        yield old
        yield old + '.last'

    def _recover_from(self, good, path):
        syslog('error', 'list %s: config.pck was missing or damaged; '
               'loaded %s instead', self._internal_name, good)
        if not self.Locked():
            return      # repairs wait for a process that holds the lock
        if os.path.exists(path):
            os.replace(path, path + '.corrupt')
        shutil.copy2(good, path + '.safety')
        shutil.copy2(good, path)
        os.chmod(path, STATE_MODE)

    def CheckVersion(self, stored_state):
        """Bring state from an older data version up to date."""
        if self.data_version >= DATA_FILE_VERSION:
            return
        versions.Update(self, stored_state)
        self.data_version = DATA_FILE_VERSION

    def CheckValues(self):
        """Normalise values that 2.1 also normalised on load."""
        if self.web_page_url and not self.web_page_url.endswith('/'):
            self.web_page_url += '/'
        if not self.available_languages:
            self.available_languages = [self.preferred_language]
        self.owner = [address for address in self.owner if address]


    # ------------------------------------------------------------ members
    def IsBanned(self, address):
        """True if ADDRESS matches the list's or the site's ban list.
        Entries starting with ^ are regular expressions."""
        return Utils.address_is_banned(
            address, list(self.ban_list) + list(mm_cfg.GLOBAL_BAN_LIST))

    def ApprovedAddMember(self, userdesc, ack=None, admin_notif=None,
                          text='', whence=''):
        """Add a member without confirmation or approval (both were
        already given, or an administrator acts).  The list must be locked."""
        assert self.Locked()
        address = userdesc.address
        Utils.ValidateEmail(address)
        if self.IsBanned(address):
            raise Errors.MembershipIsBanned(address)
        if self.isMember(address):
            raise Errors.MMAlreadyAMember(address)
        digest = getattr(userdesc, 'digest', None)
        if digest is None:
            digest = self.digest_is_default
        if digest and not self.digestable:
            digest = False
        elif not digest and not self.nondigestable:
            digest = True
        language = getattr(userdesc, 'language', None) or \
            self.preferred_language
        password = getattr(userdesc, 'password', None)
        # A password that is already a hash (see "Subscription and
        # membership flows" below) is stored as it is.
        from Mailman import Passwords
        prehashed = bool(password) and (
            getattr(userdesc, 'password_hashed', False)
            or Passwords.is_modern_hash(password))
        self.addNewMember(address, digest=digest,
                          password=None if prehashed else password,
                          language=language,
                          realname=getattr(userdesc, 'fullname', None) or None)
        if prehashed:
            self.passwords[address.lower()] = password
        for flag in mm_cfg.OPTINFO.values():
            if flag and self.new_member_options & flag:
                self.setMemberOption(address, flag, 1)
        if self.default_member_moderation:
            self.setMemberOption(address, mm_cfg.Moderate, 1)
        if digest and not self.mime_is_default_digest:
            self.setMemberOption(address, mm_cfg.DisableMime, 1)
        kind = 'digest' if digest else 'regular'
        name = getattr(userdesc, 'fullname', '') or ''
        syslog('subscribe', '%s: new %s %s %s', self.internal_name(), kind,
               Utils.log_safe(address), Utils.log_safe(name) or '')
        if ack is None:
            ack = self.send_welcome_msg
        if admin_notif is None:
            admin_notif = self.admin_notify_mchanges
        if ack:
            self.SendSubscribeAck(address, password, digest, text)
        if admin_notif:
            self._notify_owners('adminsubscribeack.txt',
                                'subscription notification', address, whence)

    def ApprovedDeleteMember(self, name, whence=None, admin_notif=None,
                             userack=None):
        """Remove member NAME.  The list must be locked.  USERACK: send the
        goodbye notice (None: as send_goodbye_msg says)."""
        assert self.Locked()
        address = self.getMemberCPAddress(name)
        language = self.getMemberLanguage(name)
        self.removeMember(name)
        if admin_notif is None:
            admin_notif = self.admin_notify_mchanges
        if userack is None:
            userack = self.send_goodbye_msg
        if userack:
            self.SendUnsubscribeAck(address, language)
        if admin_notif:
            self._notify_owners('adminunsubscribeack.txt',
                                'unsubscribe notification', address,
                                whence or '')
        syslog('subscribe', '%s: deleted %s%s', self.internal_name(),
               Utils.log_safe(address),
               f'; {whence}' if whence else '')

    def _notify_owners(self, template, what, address, whence):
        from Mailman import Message
        from Mailman.i18n import _
        text = Utils.maketext(template, {
            'listname': self.real_name, 'member': address,
            'whence': f'\n{_("Done by")}: {whence}' if whence else ''},
            mlist=self)
        subject = f'{self.real_name} {_(what)}'
        Message.OwnerNotification(self, subject, text).send(self)

    # ====================================================================
    # Subscription and membership flows
    #
    # What members and would-be members ask for by mail or on the web, and
    # what the list does about it: subscribe (AddMember), unsubscribe
    # (DeleteMember, ConfirmUnsubscription), change of address, invitations,
    # confirmations of every pending operation (ProcessConfirmation), and
    # the password reset that replaces 2.1's clear-text reminders.  (The
    # cap on automatic replies, autorespondToSender, is in ListAdmin.)
    # Used by Mailman/Commands, the web pages and bin/ scripts.  Every
    # method here that changes anything needs the list lock.
    #
    # Passwords never wait in clear text.  A subscription pending
    # confirmation (pending.pck) carries a UserDesc whose password is
    # Passwords.hash_password() of the chosen one, with
    # userdesc.password_hashed = True; a subscription held for approval
    # hands HoldSubscription() that same hash.  ApprovedAddMember() stores
    # such a hash as it is (passwords[key] = hash) instead of hashing it
    # again; it recognises it by the password_hashed flag, or by the hash
    # form itself when the record comes back from request.pck.
    # ====================================================================
    def _own_address_locals(self):
        name = self.internal_name()
        return {name} | {f'{name}-{extra}' for extra in (
            'admin', 'bounces', 'confirm', 'join', 'leave', 'owner',
            'request', 'subscribe', 'unsubscribe')}

    def IsListOwnAddress(self, address):
        """True if ADDRESS is one of this list's own addresses (also in
        the VERP'd forms list-bounces+x and list-confirm+cookie)."""
        local, at, domain = (address or '').lower().rpartition('@')
        if not at or domain != self.host_name.lower():
            return False
        return local.split('+', 1)[0] in self._own_address_locals()

    @staticmethod
    def _canonical_address(address):
        """ADDRESS stripped, with its domain in lower case."""
        address = (address or '').strip()
        local, at, domain = address.rpartition('@')
        return f'{local}@{domain.lower()}' if at else address

    def HasAutoApprovedSender(self, sender):
        """True if SENDER's subscription needs no approval: it matches an
        address or ^regexp of subscribe_auto_approval, or is a member of a
        list named there as @listname."""
        for entry in self.subscribe_auto_approval or []:
            entry = (entry or '').strip()
            if not entry:
                continue
            if entry.startswith('@'):
                name = entry[1:].lower()
                if name == self.internal_name():
                    continue
                if not Utils.list_exists(name):
                    continue
                try:
                    other = MailList(name, lock=0)
                except Errors.MMListError:
                    continue
                if not other.isMember(sender):
                    continue
            elif not Utils.address_is_banned(sender, [entry]):
                # address_is_banned is the plain-or-^regexp matcher.
                continue
            syslog('vette', '%s: auto approved subscribe from %s',
                   self.internal_name(), Utils.log_safe(sender))
            return True
        return False

    def _pending_for(self, address, ops):
        """True if a confirmation of one of OPS for ADDRESS is pending."""
        from Mailman import Pending
        address = address.lower()
        for entry in self.pend_cookies().values():
            op, data = entry[0], entry[1:]
            if op not in ops or not data:
                continue
            if op == Pending.SUBSCRIPTION:
                who = getattr(data[0], 'address', '')
            else:
                who = data[0]
            if isinstance(who, str) and who.lower() == address:
                return True
        return False

    def _held_subscription_for(self, address):
        for request_id in self.GetSubscriptionIds():
            try:
                record = self.GetRecord(request_id)
            except KeyError:
                continue
            if len(record) > 1 and str(record[1]).lower() == address.lower():
                return True
        return False

    def _held_unsubscription_for(self, address):
        for request_id in self.GetUnsubscriptionIds():
            try:
                record = self.GetRecord(request_id)
            except KeyError:
                continue
            if str(record).lower() == address.lower():
                return True
        return False

    def _send_confirmation(self, template, recipient, address, cookie,
                           lang, remote=None, subject=None, sender=None,
                           extra=None):
        """Mail RECIPIENT the request to confirm COOKIE, from TEMPLATE."""
        from Mailman import Message
        from Mailman.i18n import _
        confirmurl = '%s/%s' % (self.GetScriptURL('confirm', absolute=1),
                                cookie)
        days = int(mm_cfg.PENDING_REQUEST_LIFE / 86400 + 0.5)
        values = {
            'email': address,
            'listaddr': self.GetListEmail(),
            'listname': self.real_name,
            'hostname': self.host_name,
            'cookie': cookie,
            'requestaddr': self.getListAddress('request'),
            'confirmaddr': self.GetRequestEmail(cookie),
            'remote': (_(' from %(remote)s') % {'remote': remote}
                       if remote else ''),
            'listadmin': self.GetOwnerEmail(),
            'listowner': self.GetOwnerEmail(),
            'confirmurl': confirmurl,
            'days': days,
        }
        values.update(extra or {})
        text = (values.pop('text', '') or '') + Utils.maketext(
            template, values, lang=lang, mlist=self)
        if sender is None:
            sender = self.GetRequestEmail(cookie)
        if subject is None:
            subject = self.GetConfirmJoinSubject(self.real_name, cookie)
        msg = Message.UserNotification(recipient, sender, subject, text,
                                       lang)
        msg['Reply-To'] = sender
        msg.send(self)

    def AddMember(self, userdesc, remote=None):
        """Subscribe USERDESC as the list's subscribe_policy says.

        REMOTE says where the request came from (an address or a host),
        for the logs and the confirmation text.  Returns when the address
        was subscribed at once; otherwise raises MMSubscribeNeedsConfirmation
        (a confirmation was mailed) or MMNeedApproval (the request waits for
        a moderator).  Refusals: MMBadEmailError, MMHostileAddress,
        MembershipIsBanned, MMAlreadyAMember, MMAlreadyPending,
        CantDigestError, MustDigestError.
        """
        from Mailman import Passwords
        from Mailman import Pending
        from Mailman.UserDesc import UserDesc
        from Mailman.i18n import _
        assert self.Locked()
        address = self._canonical_address(getattr(userdesc, 'address', ''))
        Utils.ValidateEmail(address)
        if self.IsListOwnAddress(address):
            raise Errors.MMBadEmailError(
                _('a list cannot be subscribed to itself'))
        if self.IsBanned(address):
            syslog('vette', '%s banned subscription: %s%s',
                   self.internal_name(), Utils.log_safe(address),
                   f' (from {Utils.log_safe(remote)})' if remote else '')
            raise Errors.MembershipIsBanned(address)
        if self.isMember(address):
            raise Errors.MMAlreadyAMember(address)
        digest = getattr(userdesc, 'digest', None)
        if digest is None:
            digest = self.digest_is_default
        digest = bool(digest)
        if digest and not self.digestable:
            raise Errors.CantDigestError(address)
        if not digest and not self.nondigestable:
            raise Errors.MustDigestError(address)
        language = getattr(userdesc, 'language', None)
        if language not in self.GetAvailableLanguages():
            language = self.preferred_language
        fullname = getattr(userdesc, 'fullname', '') or ''
        password = getattr(userdesc, 'password', None)
        # Without a chosen password the member gets none (2.1 made up a
        # random one): the welcome says how to set one (a reset link).
        if not password:
            hashed = None
        elif getattr(userdesc, 'password_hashed', False):
            hashed = password
        else:
            hashed = Passwords.hash_password(password)
        # A fresh record: the caller's may carry the clear password.
        pending = UserDesc(address, fullname, hashed, digest, language)
        pending.password_hashed = True
        policy = self.subscribe_policy
        if policy == 0 and not mm_cfg.ALLOW_OPEN_SUBSCRIBE:
            policy = 1      # open lists need the site's permission
        who = f'{fullname} <{address}>' if fullname else address
        if policy == 0:
            self.ApprovedAddMember(pending, whence=remote or '')
            return
        if policy in (1, 3):
            if mm_cfg.REFUSE_SECOND_PENDING and \
                    self._pending_for(address, (Pending.SUBSCRIPTION,)):
                raise Errors.MMAlreadyPending(address)
            cookie = self.pend_new(Pending.SUBSCRIPTION, pending)
            self._send_confirmation('verify.txt',
                                    self.GetMemberAdminEmail(address),
                                    address, cookie, language, remote)
            syslog('subscribe', '%s: pending %s%s', self.internal_name(),
                   Utils.log_safe(who),
                   f' {Utils.log_safe(remote)}' if remote else '')
            raise Errors.MMSubscribeNeedsConfirmation(address)
        # Approval by a moderator (policy 2).
        if self.HasAutoApprovedSender(address):
            self.ApprovedAddMember(pending, whence=remote or '')
            return
        if mm_cfg.REFUSE_SECOND_PENDING and \
                self._held_subscription_for(address):
            raise Errors.MMAlreadyPending(address)
        self.HoldSubscription(address, fullname, hashed, digest, language)
        raise Errors.MMNeedApproval(
            _('subscriptions to %(listname)s require moderator approval')
            % {'listname': self.real_name})

    def DeleteMember(self, name, whence=None, admin_notif=None,
                     userack=True):
        """Unsubscribe NAME, or when unsubscribe_policy asks for it, hold
        the request for a moderator and raise MMNeedApproval."""
        from Mailman.i18n import _
        assert self.Locked()
        if not self.isMember(name):
            raise Errors.NotAMemberError(name)
        if not self.unsubscribe_policy:
            self.ApprovedDeleteMember(name, whence, admin_notif, userack)
            return
        address = self.getMemberCPAddress(name)
        if not self._held_unsubscription_for(address):
            self.HoldUnsubscription(address)
        raise Errors.MMNeedApproval(
            _('unsubscriptions from %(listname)s require moderator approval')
            % {'listname': self.real_name})

    def ConfirmUnsubscription(self, addr, lang=None, remote=None):
        """Mail member ADDR a request to confirm leaving the list."""
        from Mailman import Pending
        assert self.Locked()
        if not self.isMember(addr):
            raise Errors.NotAMemberError(addr)
        addr = self.getMemberCPAddress(addr)
        if mm_cfg.REFUSE_SECOND_PENDING and \
                self._pending_for(addr, (Pending.UNSUBSCRIPTION,)):
            raise Errors.MMAlreadyPending(addr)
        if lang is None:
            lang = self.getMemberLanguage(addr)
        cookie = self.pend_new(Pending.UNSUBSCRIPTION, addr)
        self._send_confirmation(
            'unsub.txt', self.GetMemberAdminEmail(addr), addr, cookie, lang,
            remote, subject=self.GetConfirmLeaveSubject(self.real_name,
                                                        cookie))
        syslog('subscribe', '%s: pending unsubscription of %s%s',
               self.internal_name(), Utils.log_safe(addr),
               f' {Utils.log_safe(remote)}' if remote else '')
        return cookie

    def ChangeMemberAddress(self, oldaddr, newaddr, globally=False):
        """Ask NEWADDR to confirm that member OLDADDR moves there (on every
        list of this host where OLDADDR is a member, when GLOBALLY)."""
        from Mailman import Pending
        from Mailman.i18n import _
        assert self.Locked()
        newaddr = self._canonical_address(newaddr)
        Utils.ValidateEmail(newaddr)
        if not self.isMember(oldaddr):
            raise Errors.NotAMemberError(oldaddr)
        if self.IsListOwnAddress(newaddr):
            raise Errors.MMBadEmailError(
                _('a list cannot be subscribed to itself'))
        if not globally and self.isMember(newaddr) and \
                newaddr.lower() != oldaddr.lower():
            raise Errors.MMAlreadyAMember(newaddr)
        if self.IsBanned(newaddr):
            syslog('vette', '%s banned address change: %s -> %s',
                   self.internal_name(), Utils.log_safe(oldaddr),
                   Utils.log_safe(newaddr))
            raise Errors.MembershipIsBanned(newaddr)
        oldaddr = self.getMemberCPAddress(oldaddr)
        cookie = self.pend_new(Pending.CHANGE_OF_ADDRESS, oldaddr, newaddr,
                               bool(globally))
        self._send_confirmation('verify.txt', newaddr, newaddr, cookie,
                                self.getMemberLanguage(oldaddr))
        return cookie

    def _move_member(self, oldaddr, newaddr):
        """Change OLDADDR to NEWADDR here; when NEWADDR is already another
        member, just drop OLDADDR."""
        cpold = self.getMemberCPAddress(oldaddr)
        if cpold == newaddr:
            return
        if newaddr.lower() != cpold.lower() and self.isMember(newaddr):
            self.removeMember(oldaddr)
            syslog('subscribe', '%s: %s removed, %s already a member',
                   self.internal_name(), Utils.log_safe(cpold),
                   Utils.log_safe(newaddr))
            return
        # (A change of case only is a change of address too.)
        self.changeMemberAddress(oldaddr, newaddr)
        self.log_and_notify_admin(cpold, newaddr)

    def ApprovedChangeMemberAddress(self, oldaddr, newaddr, globally=False):
        """Move member OLDADDR to NEWADDR without confirmation; with
        GLOBALLY also on the other lists of this host OLDADDR belongs to."""
        assert self.Locked()
        if self.IsBanned(newaddr):
            syslog('vette', '%s banned address change: %s -> %s',
                   self.internal_name(), Utils.log_safe(oldaddr),
                   Utils.log_safe(newaddr))
            raise Errors.MembershipIsBanned(newaddr)
        self._move_member(oldaddr, newaddr)
        if not globally:
            return
        for name in Utils.list_names():
            if name == self.internal_name():
                continue
            try:
                other = MailList(name, lock=0)
            except Errors.MMListError:
                continue
            if other.host_name != self.host_name or \
                    not other.isMember(oldaddr) or other.IsBanned(newaddr):
                continue
            other.Lock()
            try:
                if other.isMember(oldaddr):
                    other._move_member(oldaddr, newaddr)
                    other.Save()
            finally:
                other.Unlock()

    def log_and_notify_admin(self, oldaddr, newaddr):
        """Log a change of member address; tell the owners if they want
        to hear about membership changes."""
        from Mailman import Message
        from Mailman.i18n import _
        syslog('subscribe', '%s: changed member address from %s to %s',
               self.internal_name(), Utils.log_safe(oldaddr),
               Utils.log_safe(newaddr))
        if not self.admin_notify_mchanges:
            return
        text = Utils.maketext('adminaddrchgack.txt', {
            'name': self.getMemberName(newaddr) or '',
            'oldaddr': oldaddr, 'newaddr': newaddr,
            'listname': self.real_name}, mlist=self)
        subject = _('%(listname)s address change notification') % {
            'listname': self.real_name}
        Message.OwnerNotification(self, subject, text).send(self)

    def InviteNewMember(self, userdesc, text=''):
        """Invite USERDESC: a pending subscription the invitee confirms
        (no approval needed then, whatever the policy); TEXT goes before
        the invitation."""
        from Mailman import Passwords
        from Mailman import Pending
        from Mailman.UserDesc import UserDesc
        assert self.Locked()
        address = self._canonical_address(getattr(userdesc, 'address', ''))
        Utils.ValidateEmail(address)
        if self.IsListOwnAddress(address):
            raise Errors.MMBadEmailError(address)
        if self.IsBanned(address):
            raise Errors.MembershipIsBanned(address)
        if self.isMember(address):
            raise Errors.MMAlreadyAMember(address)
        password = getattr(userdesc, 'password', None)
        digest = getattr(userdesc, 'digest', None)
        if digest is None:
            digest = self.digest_is_default
        language = getattr(userdesc, 'language', None)
        if language not in self.GetAvailableLanguages():
            language = self.preferred_language
        pending = UserDesc(
            address, getattr(userdesc, 'fullname', '') or '',
            Passwords.hash_password(password) if password else None,
            bool(digest), language)
        pending.password_hashed = True
        # Only invitations carry this: the name of the inviting list.
        pending.invitation = self.internal_name()
        cookie = self.pend_new(Pending.SUBSCRIPTION, pending)
        self._send_confirmation('invite.txt', address, address, cookie,
                                language, extra={'text': text})
        syslog('subscribe', '%s: invited %s', self.internal_name(),
               Utils.log_safe(address))
        return cookie

    def SendHostileSubscriptionNotice(self, listname, address):
        """Tell the owners of this list and of LISTNAME that ADDRESS tried
        to use an invitation to LISTNAME for this list."""
        from Mailman import Message
        from Mailman.i18n import _
        syslog('mischief', '%s: invitation to %s misused by %s',
               self.internal_name(), Utils.log_safe(listname),
               Utils.log_safe(address))
        text = _('%(address)s was invited to the %(invited)s list, but '
                 'tried to use the invitation to join %(listname)s.  The '
                 'invitation was discarded.') % {
                     'address': address, 'invited': listname,
                     'listname': self.real_name}
        subject = _('Misused invitation to %(listname)s') % {
            'listname': listname}
        Message.OwnerNotification(self, subject, Utils.wrap(text)).send(self)
        if listname != self.internal_name() and Utils.list_exists(listname):
            try:
                other = MailList(listname, lock=0)
            except Errors.MMListError:
                return
            Message.OwnerNotification(other, subject,
                                      Utils.wrap(text)).send(other)

    def SendPasswordReset(self, address, remote=None):
        """Mail member ADDRESS a one-time link (and cookie) with which to
        choose a new password.  Passwords are never mailed."""
        from Mailman import Pending
        from Mailman.i18n import _
        assert self.Locked()
        if not self.isMember(address):
            raise Errors.NotAMemberError(address)
        address = self.getMemberCPAddress(address)
        lang = self.getMemberLanguage(address)
        cookie = self.pend_new(Pending.PASSWORD_RESET, address)
        # Not "confirm <cookie>": a plain reply would confirm without the
        # new password; and the request address rather than the VERP'd
        # confirm address, for the same reason.
        subject = _('Your password reset for the %(listname)s mailing '
                    'list') % {'listname': self.real_name}
        self._send_confirmation('passwordreset.txt',
                                self.GetMemberAdminEmail(address), address,
                                cookie, lang, remote, subject=subject,
                                sender=self.GetRequestEmail())
        syslog('subscribe', '%s: password reset mailed to %s%s',
               self.internal_name(), Utils.log_safe(address),
               f' (asked by {Utils.log_safe(remote)})' if remote else '')
        return cookie

    @staticmethod
    def _approval_password(msg):
        """The password of an Approved:/Approve: header, or of such a line
        opening the first text/plain part of MSG; None if there is none."""
        import email.iterators
        for header in ('approved', 'approve', 'x-approved', 'x-approve'):
            value = msg.get(header)
            if value:
                return str(value).strip()
        for part in email.iterators.typed_subpart_iterator(msg, 'text',
                                                           'plain'):
            payload = part.get_payload(decode=True) or b''
            charset = part.get_content_charset('us-ascii')
            try:
                text = payload.decode(charset, 'replace')
            except (LookupError, UnicodeError):
                text = payload.decode('us-ascii', 'replace')
            for line in text.splitlines():
                if not line.strip():
                    continue
                key, colon, value = line.partition(':')
                if colon and key.strip().lower() in ('approve', 'approved'):
                    return value.strip()
                return None
            return None
        return None

    def ProcessConfirmation(self, cookie, context=None):
        """Carry out what COOKIE was pending for.

        CONTEXT is the confirming mail (a Message), or from the web a
        UserDesc with the choices made there (name, digest, language, a
        new password).  Returns a tuple that starts with the op, as 2.1:
          S  (op, address, None, digest, language)
          U  (op, address)
          C  (op, oldaddress, newaddress)
          H  (op,)
          E  (op, address)
          P  (op, address)     a probe: nothing to do, the cookie stays
          R  (op, address)     the password was reset
        Raises MMBadConfirmation for an unknown or expired cookie, and as
        the operation needs: MMNeedApproval, MMAlreadyAMember,
        NotAMemberError, MembershipIsBanned, HostileSubscriptionError,
        MMBadPasswordError (held message: wrong approval password; the
        cookie stays), PasswordError (reset without a new password; the
        cookie stays).
        """
        import email.message
        from Mailman import MemberAdaptor
        from Mailman import Passwords
        from Mailman import Pending
        from Mailman.UserDesc import UserDesc
        from Mailman.i18n import _
        assert self.Locked()
        record = self.pend_confirm(cookie)
        if record is None or not isinstance(record, tuple) or not record:
            raise Errors.MMBadConfirmation(f'no pending request {cookie}')
        op, data = record[0], record[1:]
        # A record too short for its op (a broken or foreign pending
        # database) is no request at all.
        if len(data) < (2 if op == Pending.CHANGE_OF_ADDRESS else 1):
            raise Errors.MMBadConfirmation(f'bad pending record {record!r}')
        from_mail = isinstance(context, email.message.Message)
        if op == Pending.SUBSCRIPTION:
            if not data or not hasattr(data[0], 'address'):
                raise Errors.MMBadConfirmation(f'bad subscription {data!r}')
            userdesc = data[0]
            address = userdesc.address
            whence = 'via email confirmation'
            if getattr(userdesc, 'password', None) and \
                    not getattr(userdesc, 'password_hashed', False):
                # A request pended by 2.1, with the password in clear.
                userdesc.password = Passwords.hash_password(
                    userdesc.password)
                userdesc.password_hashed = True
            if isinstance(context, UserDesc):
                override = UserDesc()
                override += context
                if getattr(override, 'password', None):
                    if not getattr(context, 'password_hashed', False):
                        override.password = Passwords.hash_password(
                            override.password)
                    userdesc.password_hashed = True
                userdesc += override
                userdesc.address = address
                whence = 'via web confirmation'
            invitation = getattr(userdesc, 'invitation', None)
            if invitation:
                if invitation != self.internal_name():
                    self.SendHostileSubscriptionNotice(invitation, address)
                    raise Errors.HostileSubscriptionError(address)
            elif self.subscribe_policy in (2, 3) and \
                    not self.HasAutoApprovedSender(address):
                self.HoldSubscription(
                    address, getattr(userdesc, 'fullname', '') or '',
                    getattr(userdesc, 'password', None),
                    getattr(userdesc, 'digest', self.digest_is_default),
                    getattr(userdesc, 'language', self.preferred_language))
                raise Errors.MMNeedApproval(
                    _('subscriptions to %(listname)s require moderator '
                      'approval') % {'listname': self.real_name})
            self.ApprovedAddMember(userdesc, whence=whence)
            return (op, address, None,
                    getattr(userdesc, 'digest', None),
                    getattr(userdesc, 'language', None))
        if op == Pending.UNSUBSCRIPTION:
            address = data[0]
            if not self.isMember(address):
                raise Errors.NotAMemberError(address)
            whence = 'email confirmation' if from_mail \
                else 'web confirmation'
            if self.unsubscribe_policy:
                self.DeleteMember(address, whence)   # raises MMNeedApproval
            self.ApprovedDeleteMember(address, whence=whence)
            return op, address
        if op == Pending.CHANGE_OF_ADDRESS:
            oldaddr, newaddr = data[:2]
            globally = data[2] if len(data) > 2 else False
            if not self.isMember(oldaddr):
                raise Errors.NotAMemberError(oldaddr)
            self.ApprovedChangeMemberAddress(oldaddr, newaddr, globally)
            return op, oldaddr, newaddr
        if op == Pending.HELD_MESSAGE:
            request_id = data[0]
            approved = None
            if from_mail:
                approved = self._approval_password(context)
            elif isinstance(context, UserDesc):
                approved = getattr(context, 'password', None)
            if approved:
                # Only the list's own passwords; not the site password.
                if self.Authenticate([mm_cfg.AuthListAdmin,
                                      mm_cfg.AuthListModerator],
                                     approved) == mm_cfg.UnAuthorized:
                    self.pend_repend(cookie, record)
                    raise Errors.MMBadPasswordError(request_id)
                action = mm_cfg.APPROVE
            else:
                # The sender withdraws their own held post.
                action = mm_cfg.DISCARD
            try:
                self.HandleRequest(request_id, action)
            except KeyError:
                # Already dealt with on the moderation pages.
                syslog('error', '%s: held message %s is gone (confirmation)',
                       self.internal_name(), request_id)
            return (op,)
        if op == Pending.RE_ENABLE:
            address = data[1] if len(data) > 1 else data[0]
            self.setDeliveryStatus(address, MemberAdaptor.ENABLED)
            syslog('bounce', '%s: %s re-enabled by confirmation',
                   self.internal_name(), Utils.log_safe(address))
            return op, address
        if op == Pending.PROBE_BOUNCE:
            # A probe that arrived needs no confirmation; the cookie must
            # stay for the bounce runner in case the probe bounces later.
            self.pend_repend(cookie, record)
            return op, data[0]
        if op == Pending.PASSWORD_RESET:
            address = data[0]
            if isinstance(context, UserDesc):
                password = getattr(context, 'password', None)
            elif isinstance(context, str):
                password = context
            else:
                password = None
            if not self.isMember(address):
                raise Errors.NotAMemberError(address)
            if not password:
                self.pend_repend(cookie, record)
                raise Errors.PasswordError(address)
            self.setMemberPassword(address, password)
            # The first reset used is the last: drop any other.
            for other, entry in self.pend_cookies().items():
                if entry[0] == Pending.PASSWORD_RESET and len(entry) > 1 \
                        and str(entry[1]).lower() == address.lower():
                    self.pend_confirm(other)
            syslog('subscribe', '%s: password reset for %s',
                   self.internal_name(), Utils.log_safe(address))
            return op, address
        raise Errors.MMBadConfirmation(f'unknown pending operation {op!r}')


# Attributes whose new-list default is mm_cfg.DEFAULT_<NAME>.
_CORE_DEFAULTS = {attribute: 'DEFAULT_' + attribute.upper() for attribute in (
    'acceptable_aliases', 'admin_immed_notify',
    'admin_member_chunksize', 'admin_notify_mchanges', 'administrivia',
    'anonymous_list', 'bounce_matching_headers', 'collapse_alternatives',
    'convert_html_to_plaintext', 'default_member_moderation', 'drop_cc',
    'dmarc_moderation_action', 'dmarc_none_moderation_action',
    'dmarc_quarantine_moderation_action', 'dmarc_wrapped_message_text',
    'equivalent_domains', 'filter_action', 'filter_content',
    'filter_filename_extensions', 'filter_mime_types', 'first_strip_reply_to',
    'forward_auto_discards', 'from_is_list', 'generic_nonmember_action',
    'max_days_to_hold', 'max_message_size', 'max_num_recipients',
    'member_verbosity_interval', 'member_verbosity_threshold', 'msg_footer',
    'msg_header', 'new_member_options', 'nondigestable', 'obscure_addresses',
    'pass_filename_extensions', 'pass_mime_types', 'private_roster',
    'regular_exclude_ignore', 'regular_exclude_lists', 'regular_include_lists',
    'reply_goes_to_list', 'require_explicit_destination',
    'respond_to_post_requests', 'scrub_nondigest', 'send_goodbye_msg',
    'send_reminders', 'send_welcome_msg', 'subscribe_auto_approval',
    'subscribe_policy', 'umbrella_list', 'unsubscribe_policy')}


# ====================================================================
# Subscription and membership flows: module-level part (see the section
# of that name in MailList).
# ====================================================================
