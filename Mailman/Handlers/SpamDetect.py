"""The first step of every pipeline: DMARC, verbose members, spam rules.

1. DMARC (not for mail to -owner).  When dmarc_moderation_action is not
   Accept and the From: address is in dmarc_moderation_addresses or its
   domain publishes a DMARC policy that the list's settings cover (see
   Mailman.DMARC), the action is taken: Munge From and Wrap Message set
   msgdata['from_is_list'] to 1 or 2 for CookHeaders and WrapMessage,
   Reject returns the post with dmarc_moderation_notice, Discard drops it.
   Otherwise msgdata['from_is_list'] is 0 and the list's from_is_list
   applies.  This comes first, so that it also covers approved posts.

2. Verbose members (not for mail to -owner).  With member_verbosity_
   threshold non-zero, a member who posts more than that many times
   within member_verbosity_interval seconds gets the moderation flag.
   The recent post times are kept in lists/<name>/verbosity.json, so
   that every runner process (and host) sees the same counts.

3. Unless the post is approved: the site's KNOWN_SPAMMERS rules (discard)
   and the list's header_filter_rules.  The rules are matched against
   every header of every part, "Name: value" one per line, RFC 2047
   decoded and normalised with NORMALIZE_FORM (as are the patterns); the
   first rule that matches decides: discard, reject, hold, or accept
   (skip the remaining rules).  Rules with the action Defer are skipped.
   For -owner mail, reject and hold become discard and accept, so that a
   forged sender cannot be made to receive notices.
"""

import json
import os
import re
import time
import unicodedata
from email.header import Header, decode_header
from email.utils import getaddresses

from Mailman import Errors
from Mailman import Utils
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.Handlers.Hold import hold_for_approval
from Mailman.ListAdmin import wrap
from Mailman.Logging.Syslog import syslog

VERBOSITY_FILE = 'verbosity.json'


def _(text):
    return text


class SpamDetected(Errors.DiscardMessage):
    """The message matched the site's KNOWN_SPAMMERS."""


class HeaderMatchHold(Errors.HoldMessage):
    def __init__(self, pattern):
        super().__init__()
        self.pattern = pattern

    def reason_notice(self):
        return i18n._('Header matched regexp: %(pattern)s') % {
            'pattern': self.pattern}

    def rejection_notice(self, mlist):
        return i18n._('Your message matched a header filter rule of the '
                      'list.')


DMARC_REJECT_NOTICE = _(
    'You are not allowed to post to this mailing list From: a domain which '
    'publishes a DMARC policy of reject or quarantine, and your message has '
    'been automatically rejected.  If you think that your messages are '
    'being rejected in error, contact the mailing list owner at '
    '%(listowner)s.')

del _
_ = i18n._


# ------------------------------------------------------------------ text
def _decode_bytes(data, charset, fallback):
    for candidate in (charset, 'utf-8', fallback):
        if not candidate or candidate in ('unknown-8bit', 'x-unknown'):
            continue
        try:
            return data.decode(candidate)
        except (UnicodeError, LookupError):
            continue
    return data.decode('latin-1')


def header_text(value, fallback='utf-8'):
    """A header value as text: unfolded, RFC 2047 encoded words decoded,
    raw 8-bit bytes decoded as UTF-8 or else the FALLBACK charset."""
    if value is None:
        return ''
    try:
        if isinstance(value, Header):
            fragments = decode_header(value)
        else:
            value = str(value)
            if any('\udc80' <= c <= '\udcff' for c in value):
                # Undecoded 8-bit bytes kept by the parser.
                raw = value.encode('ascii', 'surrogateescape')
                value = _decode_bytes(raw, None, fallback)
            fragments = decode_header(re.sub(r'\r?\n[ \t]+', ' ', value))
    except Exception:
        return str(value)
    out = []
    for fragment, charset in fragments:
        if isinstance(fragment, bytes):
            fragment = _decode_bytes(fragment, charset, fallback)
        out.append(fragment)
    return ''.join(out)


def normalize(text):
    try:
        return unicodedata.normalize(mm_cfg.NORMALIZE_FORM, text)
    except (ValueError, TypeError):
        return text


def decoded_headers(msg, fallback='utf-8'):
    """Every header of every part of MSG as 'Name: value' lines, decoded
    and normalised."""
    lines = []
    for part in msg.walk():
        for name, value in part.items():
            lines.append('%s: %s' % (name, normalize(
                header_text(value, fallback))))
    return '\n'.join(lines) + '\n'


def _xml_to_text(pattern):
    """Turn XML character references (&#NNN; &#xHHH;) and \\uHHHH escapes,
    as the web form may store them, into characters."""
    def replace(match):
        try:
            if match.group(1):
                return chr(int(match.group(1)))
            return chr(int(match.group(2) or match.group(3), 16))
        except (ValueError, OverflowError):
            return '\ufffd'
    return re.sub(r'&#(?:(\d+)|[xX]([0-9a-fA-F]+));|\\u([0-9a-fA-F]{4})',
                  replace, pattern)


# ------------------------------------------------------------------ addresses
def address_matches(mlist, address, patterns, at_list=None):
    """The entry of PATTERNS that ADDRESS matches, or None.  An entry is
    an address (compared ignoring case), a regexp starting with ^, or
    @listname: the members of another list of this site.  AT_LIST names
    the setting, for the log."""
    if not address:
        return None
    lowered = address.lower()
    for entry in patterns or []:
        entry = entry.strip()
        if not entry or entry.startswith(('^', '@')):
            continue
        if entry.lower() == lowered:
            return entry
    for entry in patterns or []:
        entry = entry.strip()
        if entry.startswith('^'):
            try:
                if re.search(entry, address, re.IGNORECASE):
                    return entry
            except re.error:
                syslog('error', '%s: bad regexp in %s: %s',
                       mlist.internal_name(), at_list or 'a sender list',
                       entry)
        elif entry.startswith('@') and len(entry) > 1:
            name = entry[1:].strip().lower()
            if name == mlist.internal_name():
                syslog('error', '%s in %s refers to the list itself',
                       entry, mlist.internal_name())
                continue
            if _member_of_list(name, lowered):
                return entry
    return None


def _member_of_list(listname, address):
    from Mailman.MailList import MailList
    if not Utils.list_exists(listname):
        syslog('error', 'sender filter refers to the list %s, which does '
               'not exist', listname)
        return False
    try:
        other = MailList(listname, lock=0)
    except Errors.MMListError as error:
        syslog('error', 'cannot read list %s: %s', listname, error)
        return False
    return other.isMember(address)


# ------------------------------------------------------------------ verbosity
def _verbosity_path(mlist):
    return os.path.join(mlist.fullpath(), VERBOSITY_FILE)


def note_post_and_check_verbosity(mlist, sender, now=None):
    """Record a post by member SENDER; True if the member is now over the
    list's member_verbosity_threshold."""
    threshold = mlist.member_verbosity_threshold
    if threshold <= 0 or not sender or not mlist.isMember(sender):
        return False
    now = time.time() if now is None else now
    interval = float(mlist.member_verbosity_interval)
    path = _verbosity_path(mlist)
    try:
        with open(path, encoding='utf-8') as f:
            posts = json.load(f)
        if not isinstance(posts, dict):
            posts = {}
    except (OSError, ValueError):
        posts = {}
    key = sender.lower()
    # Forget posts older than the interval, for everyone.
    fresh = {}
    for address, times in posts.items():
        if not isinstance(times, list):
            continue
        kept = [t for t in times
                if isinstance(t, (int, float)) and t > now - interval]
        if kept:
            fresh[address] = kept
    fresh.setdefault(key, []).append(now)
    # Bound the file for lists with many posters.
    limit = max(int(getattr(mm_cfg, 'VERBOSE_CLEAN_LIMIT', 1000) or 1000),
                1)
    if len(fresh) > limit:
        newest = sorted(fresh, key=lambda a: max(fresh[a]), reverse=True)
        fresh = {address: fresh[address] for address in newest[:limit]}
        fresh.setdefault(key, [now])
    try:
        Utils.write_file_atomically(path, json.dumps(fresh), mode=0o660)
    except OSError as error:
        syslog('error', '%s: cannot write %s: %s', mlist.internal_name(),
               path, error)
    return len(fresh[key]) > threshold


# ------------------------------------------------------------------ handler
def _dmarc(mlist, msg, msgdata):
    msgdata['from_is_list'] = 0
    action = mlist.dmarc_moderation_action
    if not action:
        return
    addresses = [address for _name, address in
                 getaddresses([str(v) for v in msg.get_all('from', [])])
                 if address]
    if not addresses:
        return
    address = addresses[0]
    applies = address_matches(mlist, address,
                              mlist.dmarc_moderation_addresses,
                              'dmarc_moderation_addresses')
    if not applies:
        from Mailman import DMARC
        applies = DMARC.is_dmarc_prohibited(mlist, address)
    if not applies:
        return
    if action == 1:
        msgdata['from_is_list'] = 1
    elif action == 2:
        msgdata['from_is_list'] = 2
    elif action == 3:
        if mlist.dmarc_moderation_notice:
            text = wrap(mlist.dmarc_moderation_notice)
        else:
            text = wrap(_(DMARC_REJECT_NOTICE) % {
                'listowner': mlist.GetOwnerEmail()})
        syslog('vette', '%s: DMARC rejection of post from %s',
               mlist.real_name, Utils.log_safe(address))
        raise Errors.RejectMessage(text)
    elif action == 4:
        syslog('vette', '%s: DMARC discard of post from %s',
               mlist.real_name, Utils.log_safe(address))
        raise Errors.DiscardMessage


def process(mlist, msg, msgdata):
    toowner = msgdata.get('toowner')
    if not toowner:
        _dmarc(mlist, msg, msgdata)
        if mlist.member_verbosity_threshold > 0:
            for sender in msg.get_senders():
                if mlist.isMember(sender):
                    break
            else:
                sender = msg.get_sender()
            if note_post_and_check_verbosity(mlist, sender) and \
                    not mlist.getMemberOption(sender, mm_cfg.Moderate):
                mlist.setMemberOption(sender, mm_cfg.Moderate, 1)
                syslog('vette', '%s: Automatically Moderated %s for verbose '
                       'postings.', mlist.real_name, Utils.log_safe(sender))
    if msgdata.get('approved'):
        return
    # The site's own rules.
    for header, pattern in mm_cfg.KNOWN_SPAMMERS:
        try:
            regexp = re.compile(pattern, re.IGNORECASE)
        except re.error:
            syslog('error', 'bad KNOWN_SPAMMERS regexp: %s', pattern)
            continue
        for value in msg.get_all(header, []):
            if regexp.search(str(value)) or \
                    regexp.search(header_text(value)):
                syslog('vette', '%s: message discarded by KNOWN_SPAMMERS '
                       'rule %s: %s', mlist.internal_name(), header, pattern)
                raise SpamDetected
    # The list's rules.
    if not mlist.header_filter_rules:
        return
    fallback = Utils.GetCharSet(mlist.preferred_language)
    if fallback in ('us-ascii', 'ascii'):
        fallback = 'latin-1'
    headers = decoded_headers(msg, fallback)
    for patterns, action, _empty in mlist.header_filter_rules:
        if action == mm_cfg.DEFER:
            continue
        for pattern in (patterns or '').splitlines():
            if pattern.startswith('#') or not pattern.strip():
                continue
            pattern = normalize(_xml_to_text(pattern))
            try:
                match = re.search(pattern, headers,
                                  re.IGNORECASE | re.MULTILINE)
            except re.error:
                syslog('error', 'ignoring header_filter_rules invalid '
                       'pattern: %s', pattern)
                continue
            if not match:
                continue
            if action == mm_cfg.DISCARD:
                syslog('vette', '%s: message discarded by header filter '
                       'rule: %s', mlist.internal_name(), pattern)
                raise Errors.DiscardMessage
            if action == mm_cfg.REJECT:
                if toowner:
                    raise Errors.DiscardMessage
                raise Errors.RejectMessage(
                    _('Message rejected by filter rule match'))
            if action == mm_cfg.HOLD:
                if toowner:
                    return
                hold_for_approval(mlist, msg, msgdata,
                                  HeaderMatchHold(pattern))
            if action == mm_cfg.ACCEPT:
                return
