"""Hold posts that need a moderator's look before they go out.

This step only holds; approving, rejecting and discarding outright are
other steps' business.  A post already approved (msgdata['approved']) goes
through.  Otherwise it is held when, in this order:

  * administrivia is on and the post looks like a command meant for the
    -request address (subscribe, unsubscribe, help...);
  * max_num_recipients is non-zero and To: plus Cc: name that many
    addresses or more;
  * require_explicit_destination is on and neither the list address nor
    one of acceptable_aliases is among To:, Cc:, Resent-To: and
    Resent-Cc: (posts gated from Usenet are exempt);
  * a line of bounce_matching_headers ("header: regexp") matches;
  * max_message_size (KB) is non-zero and the body is bigger;
  * the list gates to a moderated newsgroup (news_moderation == 2).

Each reason is an Errors.HoldMessage subclass carrying the text for the
moderator and the text a rejection sends the poster.  hold_for_approval()
is the way every handler holds a post: it stores the post with the list's
HoldMessage() (which sends the notices) and raises the exception that
stops the pipeline.
"""

import email.utils
import re
import sys

from Mailman import Errors
from Mailman import Utils
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.ListAdmin import _ackp, oneline, wrap
from Mailman.Logging.Syslog import syslog


def _(text):
    # Marks texts for the catalogue; they are translated when used.
    return text


class ForbiddenPoster(Errors.HoldMessage):
    reason = _('Sender is explicitly forbidden')
    rejection = _('You are forbidden from posting messages to this list.')


class ModeratedPost(Errors.HoldMessage):
    reason = _('Post to moderated list')
    rejection = _('Your message was deemed inappropriate by the moderator.')


class NonMemberPost(Errors.HoldMessage):
    reason = _('Post by non-member to a members-only list')
    rejection = _('Non-members are not allowed to post messages to this '
                  'list.')


class NotExplicitlyAllowed(Errors.HoldMessage):
    reason = _('Posting to a restricted list by sender requires approval')
    rejection = _('This list is restricted; your message was not approved.')


class TooManyRecipients(Errors.HoldMessage):
    reason = _('Too many recipients to the message')
    rejection = _('Please trim the recipient list; it is too long.')


class ImplicitDestination(Errors.HoldMessage):
    reason = _('Message has implicit destination')
    rejection = _('Blind carbon copies or other implicit destinations are '
                  'not allowed.  Try reposting your message by explicitly '
                  'including the list address in the To: or Cc: fields.')


class Administrivia(Errors.HoldMessage):
    reason = _('Message may contain administrivia')

    def rejection_notice(self, mlist):
        return i18n._(
            'Please do *not* post administrative requests to the mailing '
            'list.  If you wish to subscribe, visit %(listurl)s or send a '
            'message with the word `help\' in it to the request address, '
            '%(request)s, for further instructions.') % {
                'listurl': mlist.GetScriptURL('listinfo', absolute=1),
                'request': mlist.GetRequestEmail()}


class SuspiciousHeaders(Errors.HoldMessage):
    reason = _('Message has a suspicious header')
    rejection = _('Your message had a suspicious header.')


class MessageTooBig(Errors.HoldMessage):
    def __init__(self, msgsize, limit):
        super().__init__()
        self.msgsize = msgsize
        self.limit = limit

    def reason_notice(self):
        return i18n._('Message body is too big: %(size)d bytes with a limit '
                      'of %(limit)d KB') % {'size': self.msgsize,
                                            'limit': self.limit}

    def rejection_notice(self, mlist):
        return i18n._('Your message was too big; please trim it to less '
                      'than %(kb)d KB in size.') % {'kb': self.limit}


class ModeratedNewsgroup(ModeratedPost):
    reason = _('Posting to a moderated newsgroup')


del _
_ = i18n._

# 2.1's name: does the message accept automatic replies?
ackp = _ackp


# ------------------------------------------------------------------ tests
# Commands a message to the list address may really be meant for the
# -request address: name -> (fewest, most) arguments.
ADMINDATA = {
    'confirm': (1, 1),
    'help': (0, 0),
    'info': (0, 0),
    'lists': (0, 0),
    'options': (0, 0),
    'password': (2, 2),
    'remove': (0, 0),
    'set': (3, 3),
    'subscribe': (0, 3),
    'unsubscribe': (0, 1),
    'who': (0, 1),
}


def _text_lines(msg):
    """Lines of the text parts of MSG (decoded), in order."""
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != 'text':
            continue
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            payload = None
        if payload is None:
            continue
        charset = part.get_content_charset() or 'us-ascii'
        try:
            text = payload.decode(charset, 'replace')
        except (LookupError, UnicodeError):     # idna and punycode raise
            text = payload.decode('latin-1')
        yield from text.splitlines()


def is_administrivia(msg):
    """True if MSG looks like an e-mail command sent to the wrong place."""
    lines = []
    nonblank = 0
    for line in _text_lines(msg):
        if line == '-- ':
            break       # the signature
        if line.strip():
            nonblank += 1
        if nonblank > mm_cfg.DEFAULT_MAIL_COMMANDS_MAX_LINES:
            return False
        lines.append(line)
    if '\n'.join(lines).strip().lower() in ADMINDATA:
        return True
    candidates = lines[:5] + [oneline(msg.get('subject', ''))]
    for line in candidates:
        words = line.lower().split()
        if not words or words[0] not in ADMINDATA:
            continue
        fewest, most = ADMINDATA[words[0]]
        if fewest <= len(words) - 1 <= most:
            if words[0] == 'set' and words[2] not in ('on', 'off'):
                continue
            return True
    return False


def _addresses(msg, headers):
    values = []
    for header in headers:
        values.extend(str(value) for value in msg.get_all(header, []))
    return [(name, address) for name, address in
            email.utils.getaddresses(values)]


def has_explicit_destination(mlist, msg):
    """True if the list's address, or one of its acceptable_aliases, is
    named in To:, Cc:, Resent-To: or Resent-Cc:."""
    listaddr = mlist.GetListEmail().lower()
    listname = mlist.internal_name().lower()
    recipients = []
    for _name, address in _addresses(msg, ('to', 'cc', 'resent-to',
                                           'resent-cc')):
        if not address:
            continue
        address = address.lower()
        localpart = address.split('@')[0]
        # A bare local part naming the list counted in 2.1 too.
        if address == listaddr or localpart == listname:
            return True
        recipients.append((address, localpart))

    def matches(pattern, text):
        try:
            return re.match(pattern, text, re.IGNORECASE) is not None
        except re.error:
            return re.match(re.escape(pattern), text, re.IGNORECASE) \
                is not None

    for alias in (mlist.acceptable_aliases or '').splitlines():
        alias = alias.strip()
        if not alias:
            continue
        for address, localpart in recipients:
            # Without an '@' the alias may name just the local part.
            if '@' not in alias and matches(alias, localpart):
                return True
            if matches(alias, address):
                return True
    return False


def parse_matching_headers(mlist):
    """bounce_matching_headers as [(header, compiled regexp, line)]."""
    rules = []
    for line in (mlist.bounce_matching_headers or '').splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        header, colon, value = line.partition(':')
        if not colon:
            syslog('config', 'bad bounce_matching_header line: %s\n%s',
                   mlist.real_name, line)
            continue
        try:
            regexp = re.compile(value.lstrip(), re.IGNORECASE)
        except re.error as error:
            syslog('config', 'bad regexp in bounce_matching_header line: '
                   '%s\n%s (cause: %s)', mlist.real_name, value, error)
            continue
        rules.append((header.strip(), regexp, line))
    return rules


def matching_header(mlist, msg):
    """The bounce_matching_headers line MSG matches, or None."""
    for header, regexp, line in parse_matching_headers(mlist):
        for value in msg.get_all(header, []):
            if regexp.search(str(value)) or \
                    regexp.search(oneline(value)):
                return line
    return None


def body_size(msg):
    """Size in bytes of the body of MSG as sent (encoded payloads of every
    part, preambles and epilogues)."""
    size = 0
    for part in msg.walk():
        payload = part.get_payload()
        if isinstance(payload, str):
            size += len(payload)
        elif isinstance(payload, bytes):
            size += len(payload)
        if part.preamble:
            size += len(part.preamble)
        if part.epilogue:
            size += len(part.epilogue)
    return size


# ------------------------------------------------------------------ handler
def process(mlist, msg, msgdata):
    if msgdata.get('approved'):
        return
    if mlist.administrivia and is_administrivia(msg):
        hold_for_approval(mlist, msg, msgdata, Administrivia)
    if mlist.max_num_recipients > 0:
        recipients = [address for _name, address in
                      _addresses(msg, ('to', 'cc')) if address]
        if len(recipients) >= mlist.max_num_recipients:
            hold_for_approval(mlist, msg, msgdata, TooManyRecipients)
    if mlist.require_explicit_destination and \
            not msgdata.get('fromusenet') and \
            not has_explicit_destination(mlist, msg):
        hold_for_approval(mlist, msg, msgdata, ImplicitDestination)
    if mlist.bounce_matching_headers and matching_header(mlist, msg):
        hold_for_approval(mlist, msg, msgdata, SuspiciousHeaders)
    if mlist.max_message_size > 0:
        size = body_size(msg)
        if size / 1024.0 > mlist.max_message_size:
            hold_for_approval(mlist, msg, msgdata,
                              MessageTooBig(size, mlist.max_message_size))
    if mlist.gateway_to_news and mlist.news_moderation == 2:
        hold_for_approval(mlist, msg, msgdata, ModeratedNewsgroup)


def stored_msgdata(msgdata, handler):
    """A copy of MSGDATA to keep with a held post.  Its pipeline must go on
    after HANDLER, the step that held it, once the post is approved; a
    runner that removes a step only after it ran leaves that step first."""
    stored = dict(msgdata)
    pipeline = stored.get('pipeline')
    if isinstance(pipeline, list):
        pipeline = list(pipeline)
        if handler and pipeline and pipeline[0] == handler:
            del pipeline[0]
        stored['pipeline'] = pipeline
    return stored


def _calling_handler(depth=2):
    """The name of the handler module that called our caller."""
    try:
        name = sys._getframe(depth).f_globals.get('__name__', '')
    except ValueError:
        return None
    prefix = 'Mailman.Handlers.'
    return name[len(prefix):] if name.startswith(prefix) else None


def hold_for_approval(mlist, msg, msgdata, exc, handler=None):
    """Hold MSG for the reason EXC (a HoldMessage subclass or instance):
    store it, notify, log, and raise EXC.  HANDLER is the pipeline step
    holding it (by default, the handler module calling this)."""
    if handler is None:
        handler = _calling_handler()
    if isinstance(exc, type):
        exc = exc()
    sender = msgdata.get('sender') or msg.get_sender()
    reason = wrap(_(exc.reason_notice() or ''))
    if isinstance(exc, NonMemberPost) and mlist.nonmember_rejection_notice:
        msgdata['rejection_notice'] = wrap(
            mlist.nonmember_rejection_notice.replace(
                '%(listowner)s', mlist.GetOwnerEmail()))
    else:
        notice = exc.rejection_notice(mlist)
        msgdata['rejection_notice'] = wrap(_(notice)) if notice else ''
    mlist.HoldMessage(msg, reason, stored_msgdata(msgdata, handler))
    syslog('vette', '%s post from %s held, message-id=%s: %s',
           mlist.real_name, Utils.log_safe(sender),
           Utils.log_safe(msg.get('message-id', 'n/a')),
           Utils.log_safe(reason))
    raise exc
