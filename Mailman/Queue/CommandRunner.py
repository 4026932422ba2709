"""The runner of qfiles/commands: mail to a list's -request, -join, -leave
and -confirm addresses.

The metadata says which address the mail came to:

  torequest   the Subject: line and the first body lines are commands
              (Mailman/Commands/cmd_*.py); the reply reports on each
  tojoin      subscribe the sender (the `join' command)
  toleave     unsubscribe the sender (the `leave' command)
  toconfirm   the `confirm' command, with the cookie from the
              list-confirm+<cookie> address (VERP_CONFIRM_REGEXP), or, when
              the address has none, from the Subject: (`confirm <cookie>')

How commands are read (as 2.1): the Subject: comes first; an unknown word
there is retried without a `Re:'-style prefix, then with the next word
(past further prefixes: `Fwd: Re: help'),
and if it still is not a command it is skipped.  Then the first text/plain
part, up to DEFAULT_MAIL_COMMANDS_MAX_LINES lines (the rest is reported as
ignored) and never past a signature line (`-- ').  Reading stops at the
first body line that is not a command, or when a command says so (end,
stop, thanks, echo, confirm, most errors).

The reply, to the sender (or the address a command chose), quotes each
command line after `>>>>', then its results; lists the lines left
unprocessed and the ignored ones; ends with `- Done.'; and attaches the
original message as RESPONSE_INCLUDE_LEVEL allows.  No reply goes to
robots: mail with Precedence: bulk, junk or list (unless X-Ack: yes),
Auto-Submitted: other than no, or from an empty, daemon or list address
is dropped unread.  Replies to one address are capped at
MAX_AUTORESPONSES_PER_DAY (MailList.autorespondToSender).  A message with
no command at all is dropped when DISCARD_MESSAGE_WITH_NO_COMMAND.

process_commands(mlist, msg, msgdata) does all of it; the runner's
_dispose() calls it.
"""

import email.errors
import email.utils
import importlib
import re

from email.header import decode_header, make_header
from email.iterators import typed_subpart_iterator
from email.mime.message import MIMEMessage
from email.mime.text import MIMEText

from Mailman import Message
from Mailman import Utils
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog
from Mailman.i18n import _

from Mailman.Queue.Runner import Runner
from Mailman.Queue.Runner import lock_list

NL = '\n'
CONTINUE = 0
STOP = 1
BADCMD = 2
BADSUBJ = 3

_COMMAND_NAME = re.compile(r'[a-z][a-z0-9_]*')
_ROBOT_LOCALS = ('mailer-daemon', 'postmaster-daemon', 'noreply',
                 'no-reply', 'majordomo', 'listserv', 'mailman-bounces')


def _load_command(name):
    """The module of command NAME, or None if there is no such command."""
    if not _COMMAND_NAME.fullmatch(name or ''):
        return None
    modname = 'Mailman.Commands.cmd_' + name
    try:
        return importlib.import_module(modname)
    except ModuleNotFoundError as error:
        if error.name == modname:
            return None
        raise


def _decoded_subject(msg):
    """The Subject: as ASCII text (commands are ASCII; a translated Re:
    prefix may not be, and is dropped).  When its encoded words cannot
    be decoded, the raw text: a command beside them still counts."""
    value = msg.get('subject')
    if value is None:
        return ''
    try:
        text = str(make_header(decode_header(str(value))))
    except (LookupError, UnicodeError, ValueError, TypeError,
            email.errors.HeaderParseError):
        # Unknown charsets, broken base64 (HeaderParseError)...
        text = str(value)
    return text.encode('us-ascii', 'ignore').decode('us-ascii')


def _part_text(part):
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ''
    charset = part.get_content_charset(None) or 'us-ascii'
    try:
        return payload.decode(charset, 'replace')
    except (LookupError, UnicodeError):
        # Unknown charsets, and codecs (idna, punycode...) that cannot
        # replace what they fail to decode.
        return payload.decode('us-ascii', 'replace')


def _is_signature(line):
    return line.rstrip() == '--'


class Results:
    """The commands of one message, and what they answered."""

    def __init__(self, mlist, msg, msgdata):
        self.mlist = mlist
        self.msg = msg
        self.msgdata = msgdata
        # Set by a command when the reply must go elsewhere than to the
        # sender (e.g. to a member named by address=).
        self.returnaddr = None
        self.commands = []
        self.results = []
        self.ignored = []
        # Lines (lower-cased, whitespace-normalised) not to report as
        # unprocessed, e.g. repeats of a confirm line.
        self.quiet_lines = set()
        self.lineno = 0
        self.subjcmdretried = 0
        self.respond = True
        # The Subject: is always line 0, even when empty.
        self.commands.append(_decoded_subject(msg))
        part = None
        for part in typed_subpart_iterator(msg, 'text', 'plain'):
            break
        if part is None or part is not msg:
            # No text/plain part at all, or some other parts were skipped.
            self.results.append(_('Ignoring non-text/plain MIME parts'))
        if part is None:
            return
        lines = _part_text(part).splitlines()
        for index, line in enumerate(lines):
            if _is_signature(line):
                lines = lines[:index]
                break
        limit = int(mm_cfg.DEFAULT_MAIL_COMMANDS_MAX_LINES)
        self.commands.extend(lines[:limit])
        self.ignored.extend(lines[limit:])

    # ------------------------------------------------------------ running
    def process(self):
        """Run the command lines in order; returns CONTINUE or STOP if any
        command ran, else BADCMD."""
        found = BADCMD
        self.lineno = len(self.commands)
        for index, line in enumerate(self.commands):
            if not line or not line.strip():
                continue
            args = line.split()
            command = args.pop(0).lower()
            ret = self.do_command(command, args, line=line,
                                  subject=(index == 0))
            if ret in (CONTINUE, STOP):
                found = ret
            if ret == STOP:
                self.lineno = index + 1
                break
            if ret == BADCMD:
                self.lineno = index
                break
        return found

    def do_command(self, cmd, args=None, line=None, subject=False):
        """Run one command; returns CONTINUE, STOP, BADCMD, or for a Subject:
        that is not a command BADSUBJ."""
        args = list(args or ())
        module = _load_command(cmd.lower())
        if module is None:
            if not subject:
                return BADCMD
            # A Subject: line: `Re: help', `Re:help', `AW: help'...
            if self.subjcmdretried < 1:
                self.subjcmdretried += 1
                if re.search(r'^.*:.+', cmd):
                    return self.do_command(re.sub(r'.*:', '', cmd).lower(),
                                           args, line, subject)
            if self.subjcmdretried < 2 and args:
                self.subjcmdretried += 1
                word = args.pop(0)
                # Further reply/forward prefixes: `Re: Re:', `Fwd: AW:'.
                while word.endswith(':') and args:
                    word = args.pop(0)
                return self.do_command(re.sub(r'^.*:', '', word).lower(),
                                       args, line, subject)
            return BADSUBJ
        if line is None:
            line = ' '.join([cmd] + args)
        self.results.append('>>>> ' + line.strip())
        if module.process(self, args):
            return STOP
        return CONTINUE

    # ------------------------------------------------------------ replying
    def _unprocessed(self):
        lines = []
        for index, line in enumerate(self.commands):
            if index < max(self.lineno, 1) or not line or not line.strip():
                continue
            if ' '.join(line.split()).lower() in self.quiet_lines:
                continue
            lines.append(line)
        return lines

    def reply_text(self):
        """The text part of the reply."""
        def indent(items):
            out = []
            for item in items:
                out.extend('    ' + piece if piece else ''
                           for piece in str(item).split(NL))
            return out

        level = mm_cfg.RESPONSE_INCLUDE_LEVEL
        parts = [Utils.wrap(_(
            'The results of your email command are provided below.  '
            'Attached is your original message.')), '']
        if self.results:
            parts.append(_('- Results:'))
            parts.extend(indent(self.results))
        unprocessed = self._unprocessed()
        if unprocessed and level >= 2:
            parts.append('')
            parts.append(_('- Unprocessed:'))
            parts.extend(indent(unprocessed))
        if not unprocessed and not self.results:
            parts.append(Utils.wrap(_(
                'No commands were found in this message.  To obtain '
                'instructions, send a message containing just the word '
                '"help".')))
        if self.ignored and level >= 2:
            parts.append('')
            parts.append(_('- Ignored:'))
            parts.extend(indent(self.ignored))
        parts.append('')
        parts.append(_('- Done.'))
        parts.append('')
        return NL.join(parts)

    def _original(self, charset):
        level = mm_cfg.RESPONSE_INCLUDE_LEVEL
        if level <= 0:
            return MIMEText(
                _('Original message suppressed by Mailman site '
                  'configuration\n'), _charset=charset)
        if level == 1:
            headers_only = Message.Message()
            for name, value in self.msg.items():
                if name.lower().startswith('content-') or \
                        name.lower() == 'mime-version':
                    continue
                headers_only[name] = value
            headers_only.set_payload(
                _('Message body suppressed by Mailman site configuration\n'))
            return MIMEMessage(headers_only)
        return MIMEMessage(self.msg)

    def send_response(self):
        if not self.respond:
            return
        lang = self.msgdata.get('lang') or self.mlist.preferred_language
        recipient = self.returnaddr or self.msg.get_sender()
        if not recipient:
            return
        if not self.mlist.autorespondToSender(recipient, lang):
            return
        text = self.reply_text()
        charset = Utils.GetCharSet(lang)
        try:
            text.encode('us-ascii')
            charset = 'us-ascii'
        except UnicodeEncodeError:
            try:
                text.encode(charset)
            except (UnicodeEncodeError, LookupError):
                charset = 'utf-8'
        reply = Message.UserNotification(
            recipient, self.mlist.GetOwnerEmail(),
            _('The results of your email commands'), lang=lang)
        reply.set_type('multipart/mixed')
        reply.attach(MIMEText(text, _charset=charset))
        reply.attach(self._original(charset))
        msgid = self.msg.get('message-id')
        if msgid:
            reply['In-Reply-To'] = str(msgid)
            reply['References'] = str(msgid)
        reply.send(self.mlist)


# ---------------------------------------------------------------- policy
def unanswerable(mlist, msg):
    """The reason not to answer MSG at all, or None.  Robots, bounces and
    mail loops get no reply (and their commands are not run)."""
    precedence = str(msg.get('precedence', '')).strip().lower()
    ack = str(msg.get('x-ack', '')).strip().lower()
    if ack != 'yes' and precedence in ('bulk', 'junk', 'list'):
        return f'Precedence: {precedence}'
    auto = str(msg.get('auto-submitted', '')).strip().lower()
    if auto and not auto.startswith('no'):
        return f'Auto-Submitted: {auto}'
    sender = msg.get_sender()
    if not sender or '@' not in sender:
        return 'no sender address'
    local, _at, domain = sender.lower().rpartition('@')
    if local in _ROBOT_LOCALS:
        return f'sender {sender} is a robot'
    if mlist.IsListOwnAddress(sender) or \
            sender.lower() in (Utils.get_site_email(mlist.host_name).lower(),
                               Utils.get_site_email(mlist.host_name,
                                                    'bounces').lower()):
        return f'sender {sender} is a list address'
    if str(msg.get('x-beenthere', '')).strip().lower() == \
            mlist.GetListEmail().lower():
        return 'X-BeenThere: this list (loop)'
    return None


def _confirm_cookie(msg):
    """The cookie of a list-confirm+<cookie> address the mail came to."""
    for header in ('to', 'delivered-to', 'x-original-to', 'envelope-to',
                   'cc'):
        for value in msg.get_all(header, []):
            for _name, address in email.utils.getaddresses([str(value)]):
                match = re.match(mm_cfg.VERP_CONFIRM_REGEXP, address)
                if match:
                    return match.group('cookie')
            match = re.match(mm_cfg.VERP_CONFIRM_REGEXP, str(value))
            if match:
                return match.group('cookie')
    return None


def _run_replybot(mlist, msg, msgdata):
    """Answer -request mail with the list's autoresponse, if the handler
    exists and the list wants it; True when the commands must not run
    (autorespond_requests 1, `Yes, w/discard')."""
    if not msgdata.get('torequest') or not mlist.autorespond_requests:
        return False
    try:
        from Mailman.Handlers import Replybot
    except ImportError:
        Replybot = None
    if Replybot is not None:
        Replybot.process(mlist, msg, msgdata)
    return mlist.autorespond_requests == 1


def process_commands(mlist, msg, msgdata):
    """Handle one message of the commands queue for MLIST.

    Returns True when the message must be tried again later (the list
    lock could not be had within LIST_LOCK_TIMEOUT), else False.  If
    MLIST is already locked by the caller it is used as it is and stays
    locked (and saved); otherwise it is locked here, saved and unlocked.
    """
    reason = unanswerable(mlist, msg)
    if reason:
        syslog('vette', '%s: command message discarded (%s), msgid: %s',
               mlist.internal_name(), reason,
               Utils.log_safe(msg.get('message-id', 'n/a')))
        return False
    locked_here = False
    if not mlist.Locked():
        if not lock_list(mlist, mm_cfg.LIST_LOCK_TIMEOUT):
            return True
        locked_here = True
    old_language = i18n.get_language()
    try:
        if not msgdata.get('lang'):
            sender = msg.get_sender()
            msgdata['lang'] = mlist.getMemberLanguage(sender) \
                if sender and mlist.isMember(sender) \
                else mlist.preferred_language
        i18n.set_language(msgdata['lang'])
        if _run_replybot(mlist, msg, msgdata):
            syslog('vette', '%s: -request autoresponse sent, commands '
                   'discarded', mlist.internal_name())
            mlist.Save()
            return False
        res = Results(mlist, msg, msgdata)
        ret = BADCMD
        if msgdata.get('torequest'):
            ret = res.process()
        elif msgdata.get('tojoin'):
            res.lineno = len(res.commands)
            ret = res.do_command('join')
        elif msgdata.get('toleave'):
            res.lineno = len(res.commands)
            ret = res.do_command('leave')
        elif msgdata.get('toconfirm'):
            cookie = _confirm_cookie(msg)
            if cookie:
                res.lineno = len(res.commands)
                ret = res.do_command('confirm', [cookie])
            else:
                # No cookie in the address: read `confirm <cookie>' from
                # the Subject: (and body), as for -request.
                ret = res.process()
        if ret == BADCMD and mm_cfg.DISCARD_MESSAGE_WITH_NO_COMMAND:
            syslog('vette', '%s: no command, message discarded, msgid: %s',
                   mlist.internal_name(),
                   Utils.log_safe(msg.get('message-id', 'n/a')))
            return False
        res.send_response()
        mlist.Save()
    finally:
        i18n.set_language(old_language)
        if locked_here:
            mlist.Unlock()
    return False


class CommandRunner(Runner):
    QDIR = mm_cfg.CMDQUEUE_DIR

    def _dispose(self, mlist, msg, msgdata):
        return process_commands(mlist, msg, msgdata)
