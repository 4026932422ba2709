"""Emailed login links for the member options page.

A member who has no password at hand asks for a link by giving the
address; the link logs in once.  It carries a token

    <expires>.<MAC>

whose MAC, keyed with the site secret, covers the list, the member's
address, the expiry and a fingerprint of the member's stored password, so
that it works for that member of that list only, until it expires or the
password changes.  Using it leaves a marker file under locks/ named by the
token's digest; a second use finds the marker and is refused.  (Markers
live on the shared var tree, so several web hosts agree.)
"""

import hashlib
import hmac
import os
import secrets
import time
import urllib.parse

from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Cgi import Page

TOKEN_FIELD = 'login-token'
# How long a mailed login link works.
LINK_LIFETIME = 2 * 3600
TEMPLATE = 'loginlink.txt'
_MARKER_PREFIX = 'options-link.'


def _fingerprint(mlist, key):
    stored = mlist.getMemberPassword(key) if mlist.isMember(key) else None
    return hashlib.sha256(str(stored or '').encode('utf-8')).hexdigest()[:16]


def _mac(mlist, key, expires):
    message = '\0'.join(('options-login', mlist.internal_name(), key.lower(),
                         str(expires), _fingerprint(mlist, key)))
    return hmac.new(Page.site_secret(), message.encode('utf-8'),
                    hashlib.sha256).hexdigest()


def make_token(mlist, key, now=None):
    expires = int(time.time() if now is None else now) + LINK_LIFETIME
    return f'{expires}.{_mac(mlist, key, expires)}'


def token_is_valid(mlist, key, token, now=None):
    """True if TOKEN was made for member KEY of MLIST, has not expired and
    has not been used (it is not marked used here)."""
    if not token or not mlist.isMember(key):
        return False
    expires, dot, mac = token.partition('.')
    # isascii(): str.isdigit() also accepts digits int() refuses ('²').
    if not dot or not (expires.isascii() and expires.isdigit()):
        return False
    now = time.time() if now is None else now
    if int(expires) < now or int(expires) > now + LINK_LIFETIME + 60:
        return False
    expected = _mac(mlist, key, int(expires))
    if not hmac.compare_digest(mac.encode('ascii', 'replace'),
                               expected.encode('ascii')):
        return False
    return not os.path.exists(_marker_path(token))


def _marker_path(token):
    digest = hashlib.sha256(token.encode('utf-8', 'replace')).hexdigest()
    return os.path.join(mm_cfg.LOCK_DIR, _MARKER_PREFIX + digest[:40])


def use_token(token):
    """Mark TOKEN used; False if it already was (a race lost)."""
    if secrets.randbelow(50) == 0:
        # Markers outlive their token by a margin only; then the token's
        # expiry refuses it anyway.
        Page.forget_old_files(_MARKER_PREFIX, LINK_LIFETIME + 3600)
    try:
        fd = os.open(_marker_path(token), os.O_WRONLY | os.O_CREAT |
                     os.O_EXCL, 0o660)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def options_url(mlist, address):
    """The options page URL of ADDRESS (quoted for a path)."""
    return (mlist.GetScriptURL('options', absolute=1) + '/' +
            urllib.parse.quote(address, safe='@+'))


def login_url(mlist, address, token):
    return (options_url(mlist, address) + '?' +
            urllib.parse.urlencode({TOKEN_FIELD: token}))


def mail_login_link(mlist, address, remote=None):
    """Queue a mail to member ADDRESS with a one-time login link."""
    from Mailman.Message import UserNotification
    key = mlist.getMemberKey(address)
    cpaddress = mlist.getMemberCPAddress(key)
    lang = mlist.getMemberLanguage(key)
    text = Utils.maketext(TEMPLATE, {
        'listname': mlist.real_name,
        'listaddr': mlist.GetListEmail(),
        'email': cpaddress,
        'remote': f' (from {remote})' if remote else '',
        'loginurl': login_url(mlist, cpaddress, make_token(mlist, key)),
        'minutes': LINK_LIFETIME // 60,
        'listadmin': mlist.GetOwnerEmail(),
    }, lang=lang, mlist=mlist)
    subject = f'Log in to your {mlist.real_name} membership options'
    msg = UserNotification(mlist.GetMemberAdminEmail(cpaddress),
                           mlist.GetRequestEmail(), subject, text, lang)
    msg.send(mlist)
