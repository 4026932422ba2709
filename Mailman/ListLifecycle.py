"""Creating and removing lists, shared by bin/newlist, bin/rmlist and the
create and rmlist web pages."""

import glob
import importlib
import os
import shutil

from Mailman import Errors
from Mailman import MailList
from Mailman import Message
from Mailman import Passwords
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.i18n import _
from Mailman.Logging.Syslog import syslog


def mta_module():
    """The module named by mm_cfg.MTA, or None when MTA is None."""
    if not mm_cfg.MTA:
        return None
    return importlib.import_module('Mailman.MTA.' + mm_cfg.MTA)


def split_hosts(name, urlhost=None, emailhost=None):
    """Resolve newlist's `name@host` form and the host options into
    (name, urlhost, emailhost): the host after @ is the web host, its mail
    host is looked up in VIRTUAL_HOSTS."""
    if '@' in name:
        name, domain = name.split('@', 1)
        urlhost = urlhost or domain
        emailhost = emailhost or mm_cfg.VIRTUAL_HOSTS.get(domain.lower(),
                                                          domain)
    urlhost = urlhost or mm_cfg.DEFAULT_URL_HOST
    emailhost = emailhost or mm_cfg.VIRTUAL_HOSTS.get(urlhost.lower(),
                                                      mm_cfg.DEFAULT_EMAIL_HOST)
    return name.lower(), urlhost, emailhost


def create_list(name, owner, password, language=None, urlhost=None,
                emailhost=None, quiet_mta=False):
    """Create list NAME owned by OWNER, with administrator PASSWORD (clear
    text; stored hashed).  Returns the unlocked MailList.  Raises
    BadListNameError, MMListAlreadyExistsError, MMBadEmailError,
    MMHostileAddress or ValueError for a bad language or empty password."""
    if not password:
        raise ValueError(_('the list password cannot be empty'))
    language = language or mm_cfg.DEFAULT_SERVER_LANGUAGE
    if language not in mm_cfg.LC_DESCRIPTIONS:
        raise ValueError(_('unknown language: %s') % language)
    mlist = MailList.MailList()
    try:
        mlist.Create(name, owner, Passwords.hash_password(password),
                     langs=[language], emailhost=emailhost, urlhost=urlhost)
        mlist.Save()
        module = mta_module()
        if module is not None and hasattr(module, 'create'):
            module.create(mlist, quiet=quiet_mta)
    finally:
        if mlist.Locked():
            mlist.Unlock()
    syslog('config', 'list %s created, owner %s', name, Utils.log_safe(owner))
    return mlist


def send_new_list_notice(mlist, password):
    """Tell the owners their list exists, with the administrator password
    (the one password Mailman sends, as 2.1 did, to people who must log in
    before anything else can be set)."""
    siteowner = Utils.get_site_email(mlist.host_name, 'owner')
    text = Utils.maketext('newlist.txt', {
        'listname': mlist.internal_name(),
        'password': password,
        'admin_url': mlist.GetScriptURL('admin', absolute=1),
        'listinfo_url': mlist.GetScriptURL('listinfo', absolute=1),
        'requestaddr': mlist.GetRequestEmail(),
        'siteowner': siteowner,
    }, mlist=mlist)
    subject = _('Your new mailing list: %s') % mlist.internal_name()
    message = Message.UserNotification(mlist.owner, siteowner, subject, text,
                                       mlist.preferred_language)
    message.send(mlist)


def remove_list(name, remove_archives=False, out=print):
    """Remove list NAME: its aliases, its directory, its held messages and
    lock, and with REMOVE_ARCHIVES its archives.  Returns True if the list
    existed."""
    name = name.lower()
    if not Utils.valid_list_name(name):
        raise Errors.BadListNameError(name)
    exists = Utils.list_exists(name)
    if exists:
        mlist = MailList.MailList(name, lock=1)
        try:
            module = mta_module()
            if module is not None and hasattr(module, 'remove'):
                module.remove(mlist)
            _remove(mlist.fullpath(), _('list info'), out)
            for held in glob.glob(os.path.join(
                    mm_cfg.DATA_DIR, f'heldmsg-{glob.escape(name)}-*')):
                _remove(held, _('held message file'), out)
        finally:
            mlist.Unlock()
    elif not os.path.exists(os.path.join(mm_cfg.LIST_DATA_DIR, name)):
        out(_('No such list: %s.  Removing its residual archives.') % name)
    if remove_archives:
        for path in (os.path.join(mm_cfg.PUBLIC_ARCHIVE_FILE_DIR, name),
                     os.path.join(mm_cfg.PUBLIC_ARCHIVE_FILE_DIR,
                                  name + '.mbox'),
                     os.path.join(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR, name),
                     os.path.join(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR,
                                  name + '.mbox')):
            _remove(path, _('archive'), out)
    else:
        out(_('Not removing archives.  Reinvoke with -a to remove them.'))
    if exists:
        syslog('config', 'list %s removed%s', name,
               ' with its archives' if remove_archives else '')
    return exists


def _remove(path, what, out):
    if os.path.islink(path):
        out(_('Removing %s') % what)
        os.unlink(path)
    elif os.path.isdir(path):
        out(_('Removing %s') % what)
        shutil.rmtree(path)
    elif os.path.exists(path):
        out(_('Removing %s') % what)
        os.unlink(path)
