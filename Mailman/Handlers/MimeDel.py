"""Content filtering of posts (the list's filter_content settings).

When filter_content is on (and the post is not a digest):

  * a post whose own type is in filter_mime_types, or not in a non-empty
    pass_mime_types, or whose file name extension is in
    filter_filename_extensions or not in a non-empty
    pass_filename_extensions, is disposed of as a whole;
  * otherwise the parts of a multipart post are filtered by the same rules,
    recursively; a post left with no parts is disposed of;
  * with collapse_alternatives, each multipart/alternative is replaced by
    its first alternative; multiparts left with one part become that part
    (multipart/signed excepted, so that signatures stay valid);
  * with convert_html_to_plaintext, text/html parts are run through
    HTML_TO_PLAIN_TEXT_COMMAND (split like a shell command line but run
    without a shell; %(filename)s is the HTML file) and become text/plain.
    If the command cannot be run the HTML part stays, and the failure is
    logged.

Types are "type/subtype" or just "type"; extensions may be given with or
without their dot.  Disposal follows filter_action: 0 discard, 1 reject
(back to the poster with the reason), 2 forward to the owners, 3 preserve
in qfiles/bad (only when the site allows it; otherwise discard).  A
changed post gets an X-Content-Filtered-By: header.
"""

import os
import shlex
import subprocess
import tempfile

from Mailman import Errors
from Mailman import Utils
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.ListAdmin import oneline
from Mailman.Logging.Syslog import syslog
from Mailman.Version import VERSION

_ = i18n._

# Seconds an HTML conversion may take.
CONVERSION_TIMEOUT = 60


def _types(values):
    return {str(value).strip().lower() for value in values or []
            if str(value).strip()}


def _extensions(values):
    return {str(value).strip().lower().lstrip('.') for value in values or []
            if str(value).strip().lstrip('.')}


def get_file_ext(part):
    """The lower-cased extension (without its dot) of PART's file name,
    from Content-Disposition: or Content-Type:, or ''."""
    try:
        filename = part.get_filename('') or part.get_param('name', '') or ''
    except Exception:
        return ''
    if isinstance(filename, tuple):      # RFC 2231 value not decoded
        filename = filename[2]
    filename = oneline(filename)
    ext = os.path.splitext(filename)[1]
    return ext[1:].lower() if len(ext) > 1 else ''


def _type_filtered(part, filtertypes, passtypes):
    ctype = part.get_content_type().lower()
    mtype = part.get_content_maintype().lower()
    if ctype in filtertypes or mtype in filtertypes:
        return _("The message's content type was explicitly disallowed")
    if passtypes and not (ctype in passtypes or mtype in passtypes):
        return _("The message's content type was not explicitly allowed")
    return None


def _ext_filtered(part, filterexts, passexts):
    ext = get_file_ext(part)
    if not ext:
        return None
    if ext in filterexts:
        return _("The message's file extension was explicitly disallowed")
    if passexts and ext not in passexts:
        return _("The message's file extension was not explicitly allowed")
    return None


def process(mlist, msg, msgdata):
    if not mlist.filter_content or msgdata.get('isdigest'):
        return
    filtertypes = _types(mlist.filter_mime_types)
    passtypes = _types(mlist.pass_mime_types)
    filterexts = _extensions(mlist.filter_filename_extensions)
    passexts = _extensions(mlist.pass_filename_extensions)
    # What filtering finds is forwarded or preserved as it arrived.
    original = _snapshot(msg) if mlist.filter_action in (2, 3) else None
    why = _type_filtered(msg, filtertypes, passtypes) or \
        _ext_filtered(msg, filterexts, passexts)
    if why:
        dispose(mlist, msg, msgdata, why)
    numparts = len(list(msg.walk()))
    if msg.is_multipart():
        before = len(msg.get_payload())
        filter_parts(msg, filtertypes, passtypes, filterexts, passexts)
        if before > 0 and not msg.get_payload():
            dispose(mlist, original or msg, msgdata,
                    _('After content filtering, the message was empty'))
    outer_type = msg.get_content_type()
    if mlist.collapse_alternatives:
        collapse_multipart_alternatives(msg)
        if outer_type == 'multipart/alternative' and msg.is_multipart() \
                and msg.get_payload():
            reset_payload(msg, msg.get_payload(0))
    if msg.is_multipart():
        recast_multipart(msg)
    changed = numparts != len(list(msg.walk()))
    if mlist.convert_html_to_plaintext and mm_cfg.HTML_TO_PLAIN_TEXT_COMMAND:
        changed = to_plaintext(msg, mlist) or changed
    # An empty body and one attachment: just the attachment.
    if msg.is_multipart() and len(msg.get_payload()) == 2:
        first = msg.get_payload(0)
        if not first.is_multipart() and first.get_payload() == '':
            reset_payload(msg, msg.get_payload(1))
            changed = True
    if changed:
        del msg['X-Content-Filtered-By']
        msg['X-Content-Filtered-By'] = f'Mailman/MimeDel {VERSION}'


def _snapshot(msg):
    """A copy of MSG that later changes to MSG leave alone."""
    import email
    from Mailman.Message import Message
    try:
        return email.message_from_bytes(msg.as_bytes(), _class=Message)
    except Exception:
        return None


def reset_payload(msg, subpart):
    """Make MSG carry SUBPART's content (and its content headers)."""
    # The stored payload as it is: get_payload() would decode 8-bit text
    # into characters that the generator then cannot write.
    msg.set_payload(subpart._payload)
    msg._charset = getattr(subpart, '_charset', None)
    for header in ('content-type', 'content-transfer-encoding',
                   'content-disposition', 'content-description'):
        del msg[header]
    msg['Content-Type'] = subpart.get('content-type', 'text/plain')
    for header in ('Content-Transfer-Encoding', 'Content-Disposition',
                   'Content-Description'):
        value = subpart.get(header)
        if value:
            msg[header] = value
    if msg.get_content_maintype() == 'multipart':
        boundary = subpart.get_boundary()
        if boundary and msg.get_boundary() != boundary:
            msg.set_boundary(boundary)
    msg.preamble = subpart.preamble
    msg.epilogue = subpart.epilogue


def filter_parts(msg, filtertypes, passtypes, filterexts, passexts):
    """Remove the subparts of MSG the rules exclude, recursively; False if
    nothing is left of a multipart that had parts."""
    if not msg.is_multipart():
        return True
    payload = msg.get_payload()
    kept = []
    for subpart in payload:
        if not filter_parts(subpart, filtertypes, passtypes, filterexts,
                            passexts):
            continue
        if _type_filtered(subpart, filtertypes, passtypes):
            continue
        if _ext_filtered(subpart, filterexts, passexts):
            continue
        kept.append(subpart)
    msg.set_payload(kept)
    return not (payload and not kept)


def collapse_multipart_alternatives(msg):
    if not msg.is_multipart():
        return
    newpayload = []
    for subpart in msg.get_payload():
        if subpart.get_content_type() == 'multipart/alternative' and \
                subpart.is_multipart():
            alternatives = subpart.get_payload()
            if not alternatives:
                continue
            first = alternatives[0]
            if msg.get_content_type() == 'message/rfc822':
                # Keep the headers of the enclosed message.
                reset_payload(subpart, first)
                newpayload.append(subpart)
            else:
                newpayload.append(first)
        elif subpart.is_multipart():
            collapse_multipart_alternatives(subpart)
            newpayload.append(subpart)
        else:
            newpayload.append(subpart)
    msg.set_payload(newpayload)


def recast_multipart(msg):
    """A multipart with one part becomes that part (not message/rfc822,
    whose headers would be lost, nor multipart/signed)."""
    if msg.get_content_type() == 'multipart/signed':
        return
    if not msg.is_multipart():
        return
    payload = msg.get_payload()
    if len(payload) == 1 and msg.get_content_type() != 'message/rfc822':
        reset_payload(msg, payload[0])
        recast_multipart(msg)
    else:
        for part in payload:
            recast_multipart(part)


def html_to_text(html, mlist=None):
    """Run HTML_TO_PLAIN_TEXT_COMMAND over the bytes HTML; the text it
    printed (bytes), or None when it could not be run."""
    command = mm_cfg.HTML_TO_PLAIN_TEXT_COMMAND
    fd, filename = tempfile.mkstemp(suffix='.html', prefix='mailman-')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(html)
        try:
            argv = [arg % {'filename': filename} if '%(' in arg else arg
                    for arg in shlex.split(command)]
        except (ValueError, KeyError, TypeError) as error:
            syslog('error', 'HTML_TO_PLAIN_TEXT_COMMAND is not usable (%s): '
                   '%s', error, command)
            return None
        if not argv:
            return None
        if filename not in argv:
            argv.append(filename)
        try:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE,
                                    timeout=CONVERSION_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError) as error:
            syslog('error', 'HTML->text/plain conversion failed, the HTML '
                   'part is kept: %s: %s', argv[0], error)
            return None
        if result.returncode:
            syslog('error', 'HTML->text/plain error: %s exited with %s: %s',
                   argv[0], result.returncode,
                   result.stderr.decode('utf-8', 'replace').strip()[:500])
            if not result.stdout.strip():
                return None
        return result.stdout
    finally:
        try:
            os.unlink(filename)
        except FileNotFoundError:
            pass


def to_plaintext(msg, mlist=None):
    changed = False
    for part in list(msg.walk()):
        if part.is_multipart() or part.get_content_type() != 'text/html':
            continue
        try:
            html = part.get_payload(decode=True)
        except Exception:
            html = None
        if html is None:
            continue
        output = html_to_text(html, mlist)
        if output is None:
            continue
        try:
            text = output.decode('utf-8')
        except UnicodeDecodeError:
            charset = part.get_content_charset() or 'latin-1'
            try:
                text = output.decode(charset)
            except (LookupError, UnicodeError):
                text = output.decode('latin-1')
        charset = 'us-ascii'
        try:
            text.encode('us-ascii')
        except UnicodeEncodeError:
            charset = 'utf-8'
        del part['content-transfer-encoding']
        del part['content-type']
        part.set_payload(text, charset)
        part.set_type('text/plain')
        changed = True
    return changed


def dispose(mlist, msg, msgdata, why):
    action = mlist.filter_action
    syslog('vette', '%s: content filtered message from %s (%s), action %s',
           mlist.internal_name(), Utils.log_safe(msg.get_sender()), why,
           action)
    if action == 1:
        raise Errors.RejectMessage(why)
    if action == 2:
        listname = mlist.internal_name()
        mlist.ForwardMessage(
            msg,
            text=_('The attached message matched the %(listname)s mailing '
                   'list\'s content filtering rules and was prevented from '
                   'being forwarded on to the list membership.  You are '
                   'receiving the only remaining copy of the discarded '
                   'message.\n\n') % {'listname': listname},
            subject=_('Content filtered message notification'))
    if action == 3 and mm_cfg.OWNERS_CAN_PRESERVE_FILTERED_MESSAGES:
        from Mailman.Queue.Switchboard import Switchboard
        Switchboard(mm_cfg.BADQUEUE_DIR).enqueue(msg, msgdata)
    raise Errors.DiscardMessage
