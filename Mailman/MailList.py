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
        return f'confirm {cookie}'

    def GetConfirmLeaveSubject(self, listname, cookie):
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
        Utils._sync_directory(self._full_path)
        st = os.stat(path)
        self.__loaded_stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        self.SaveRequestsDb()
        self.CheckHTMLArchiveDir()

    def _read_state(self, path):
        with open(path, 'rb') as f:
            data = f.read()
        if not data:
            raise ListFile.ListFileError(f'{path}: empty file')
        state = ListFile.loads(data, path)
        if not isinstance(state, dict):
            raise ListFile.ListFileError(f'{path}: not a list state')
        return state

    def Load(self, check_version=True):
        """Read the list's state from config.pck, or, when that is missing
        or damaged, from config.pck.last (and say so in logs/error)."""
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
        for candidate in (path, path + '.last'):
            try:
                state = self._read_state(candidate)
            except FileNotFoundError:
                failures.append(f'{candidate}: missing')
                continue
            except (OSError, ListFile.ListFileError) as error:
                failures.append(str(error))
                syslog('error', 'list file cannot be read: %s', error)
                continue
            if candidate != path:
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
        self.addNewMember(address, digest=digest, password=password,
                          language=language,
                          realname=getattr(userdesc, 'fullname', None) or None)
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
