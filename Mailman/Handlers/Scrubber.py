"""Turn a post into plain text, keeping its attachments as files.

The archiver (and the plain digest) need messages as flat text; a list
with scrub_nondigest wants the same for regular deliveries.  Every part
that is not plain text is stored under

    archives/private/<list>/attachments/<YYYYMMDD>/<hash>/<file>

(the date from the Date: header, the hash from the Message-ID:) and is
replaced in the message by a short note with its name, type, size,
description and URL.  Then the text parts are joined into one text/plain
body, separated by "-------------- next part --------------" lines.

text/html parts follow ARCHIVE_HTML_SANITIZER: 0 removes them (a post that
is only HTML is discarded), 1 stores them HTML-escaped, 2 leaves them
inline, 3 stores them as they are, and a command line (run without a
shell, %(filename)s being the HTML file) filters them into text.

File names of attachments are never trusted: with
SCRUBBER_DONT_USE_ATTACHMENT_FILENAME the stored name is "attachment",
otherwise the sender's name stripped of directories, leading dots and
anything but letters, digits, '-', '_' and '.', and cut to 240
characters.  The extension comes from the MIME type unless it is one the
type allows (or SCRUBBER_USE_ATTACHMENT_FILENAME_EXTENSION says to keep
it).  A counter makes names unique.

process() is the pipeline step (it only acts when the list has
scrub_nondigest); scrub() does the work for any caller and returns the
message, changed in place.
"""

import hashlib
import html
import mimetypes
import os
import re
import shlex
import subprocess
import tempfile
import time
from email.utils import parsedate

from Mailman import Errors
from Mailman import LockFile
from Mailman import Utils
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.ListAdmin import oneline
from Mailman.Logging.Syslog import syslog

_ = i18n._

# Path separators of the common platforms.
_PATH_SEPARATORS = re.compile(r'[/\\:]')
# What may stay in a stored file name.
_UNSAFE = re.compile(r'[^-\w.]', re.ASCII)
_LEADING_DOTS = re.compile(r'^\.*')
MAX_FILEBASE = 240
DIR_MODE = 0o2775
FILE_MODE = 0o664
BR = '<br>\n'
SANITIZER_TIMEOUT = 60


def separator():
    return _('-------------- next part --------------\n')


# ------------------------------------------------------------------ names
def guess_extension(ctype, ext):
    """An extension for type CTYPE: EXT if the type allows it, else the
    most usual one."""
    candidates = mimetypes.guess_all_extensions(ctype, strict=False)
    if ext and ext.lower() in candidates:
        return ext.lower()
    if ctype == 'application/octet-stream':
        return '.bin'
    if ctype == 'text/plain':
        return '.txt'
    return candidates[0] if candidates else ''


def _date_dir(msg, msgdata):
    fmt = '%Y%m%d'
    value = msg.get('date')
    if value:
        parsed = parsedate(str(value))
        if parsed:
            try:
                return time.strftime(fmt, parsed)
            except (ValueError, OverflowError, TypeError):
                pass
    received = msgdata.get('received_time')
    if isinstance(received, (int, float)):
        try:
            return time.strftime(fmt, time.gmtime(received))
        except (ValueError, OverflowError, OSError):
            pass
    value = msg.get('x-list-received-date')
    if value:
        parsed = parsedate(str(value))
        if parsed:
            try:
                return time.strftime(fmt, parsed)
            except (ValueError, OverflowError, TypeError):
                pass
    return time.strftime(fmt, time.gmtime())


def calculate_attachments_dir(mlist, msg, msgdata=None):
    """attachments/<date>/<hash> for MSG (relative to the archive)."""
    msgdata = msgdata or {}
    msgid = msg.get('message-id')
    if msgid is None:
        msgid = Utils.unique_message_id(mlist)
        msg['Message-ID'] = msgid
    digest = hashlib.sha1(str(msgid).encode('utf-8', 'replace')).hexdigest()
    return os.path.join('attachments', _date_dir(msg, msgdata),
                        digest[:4] + digest[-4:])


def safe_filebase(filename):
    """A harmless file name (without extension) from a sender's one."""
    filename = _PATH_SEPARATORS.split(filename)[-1]
    filename = _LEADING_DOTS.sub('', filename)
    filename = _UNSAFE.sub('', filename)
    return filename[:MAX_FILEBASE]


def _makedirs(path):
    if os.path.isdir(path):
        return
    os.makedirs(path, exist_ok=True)
    # makedirs' mode is cut by the umask; set it on each level we own.
    head = path
    while head and os.path.isdir(head) and \
            head.startswith(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR) and \
            head != mm_cfg.PRIVATE_ARCHIVE_FILE_DIR:
        try:
            os.chmod(head, DIR_MODE)
        except OSError:
            break
        head = os.path.dirname(head)


def _run_sanitizer(command, data):
    """ARCHIVE_HTML_SANITIZER as a command: filter DATA (bytes)."""
    fd, filename = tempfile.mkstemp(suffix='.html', prefix='mailman-')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        argv = [arg % {'filename': filename} if '%(' in arg else arg
                for arg in shlex.split(command)]
        if filename not in argv:
            argv.append(filename)
        result = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL,
                                timeout=SANITIZER_TIMEOUT, check=False)
        if result.returncode:
            syslog('error', 'HTML sanitizer exited with non-zero status: %s',
                   result.returncode)
        return result.stdout
    except (OSError, ValueError, KeyError, TypeError,
            subprocess.SubprocessError) as error:
        syslog('error', 'HTML sanitizer %r failed: %s', command, error)
        return html.escape(data.decode('utf-8', 'replace')).encode('utf-8')
    finally:
        try:
            os.unlink(filename)
        except FileNotFoundError:
            pass


def save_attachment(mlist, part, dirpath, filter_html=True, data=None):
    """Store PART (or DATA, bytes, in its place) under the list's archive
    directory DIRPATH; returns the URL, in angle brackets."""
    fsdir = os.path.join(mlist.archive_dir(), dirpath)
    _makedirs(fsdir)
    ctype = part.get_content_type()
    if data is None:
        if ctype == 'message/rfc822':
            submsg = part.get_payload(0) if part.is_multipart() else \
                part.get_payload()
            text = submsg.as_string() if hasattr(submsg, 'as_string') \
                else str(submsg)
            data = html.escape(text).encode('utf-8', 'replace')
        else:
            try:
                data = part.get_payload(decode=True)
            except Exception:
                data = None
            if data is None:
                payload = part.get_payload()
                data = payload.encode('utf-8', 'surrogateescape') \
                    if isinstance(payload, str) else b''
    lcset = Utils.GetCharSet(mlist.preferred_language)
    try:
        sender_name = part.get_filename('') or ''
    except Exception:
        sender_name = ''
    sender_name = oneline(sender_name, lcset)
    filebase, fnext = os.path.splitext(sender_name)
    if mm_cfg.SCRUBBER_USE_ATTACHMENT_FILENAME_EXTENSION:
        ext = fnext or guess_extension(ctype, fnext)
    else:
        ext = guess_extension(ctype, fnext)
    if not ext:
        ext = '.txt' if ctype == 'message/rfc822' else '.bin'
    sanitizer = mm_cfg.ARCHIVE_HTML_SANITIZER
    run_filter = filter_html and ctype == 'text/html' and \
        isinstance(sanitizer, str)
    if run_filter:
        ext = '.txt'
    ext = _UNSAFE.sub('', ext)[:16]
    if ext and not ext.startswith('.'):
        ext = '.' + ext
    if not filebase or mm_cfg.SCRUBBER_DONT_USE_ATTACHMENT_FILENAME:
        filebase = 'attachment'
    else:
        filebase = safe_filebase(filebase) or 'attachment'
    if run_filter:
        data = _run_sanitizer(sanitizer, data)
    lock = LockFile.LockFile(os.path.join(fsdir, 'attachments.lock'))
    lock.lock()
    try:
        counter = 0
        extra = ''
        while True:
            path = os.path.join(fsdir, filebase + extra + ext)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             FILE_MODE)
            except FileExistsError:
                counter += 1
                extra = '-%04d' % counter
                continue
            break
    finally:
        lock.unlock()
    with os.fdopen(fd, 'wb') as f:
        f.write(data)
    os.chmod(path, FILE_MODE)
    baseurl = mlist.GetBaseArchiveURL()
    if not baseurl.endswith('/'):
        baseurl += '/'
    return '<%s%s/%s%s%s>' % (baseurl, dirpath.replace(os.sep, '/'),
                              filebase, extra, ext)


# ------------------------------------------------------------------ text
def _pick_charset(text, *candidates):
    for charset in candidates:
        if not charset:
            continue
        try:
            text.encode(charset)
        except (UnicodeError, LookupError):
            continue
        return charset
    return 'utf-8'


def replace_payload_by_text(part, text, charset):
    """Make PART a text/plain part holding TEXT."""
    del part['content-type']
    del part['content-transfer-encoding']
    part.set_payload(text, _pick_charset(text, 'us-ascii', charset, 'utf-8'))


def _header_line(value, charset, default):
    if value is None:
        return default
    return oneline(value, charset) or default


# ------------------------------------------------------------------ steps
def process(mlist, msg, msgdata=None):
    """The pipeline step: scrub regular deliveries only when the list has
    scrub_nondigest.  Without MSGDATA (the archiver, digests) it always
    scrubs.  Returns the message."""
    if msgdata is not None and not mlist.scrub_nondigest:
        return msg
    return scrub(mlist, msg, msgdata)


def scrub(mlist, msg, msgdata=None):
    """Scrub MSG in place (see the module docstring); returns it."""
    msgdata = msgdata or {}
    sanitize = mm_cfg.ARCHIVE_HTML_SANITIZER
    dirpath = calculate_attachments_dir(mlist, msg, msgdata)
    lcset = Utils.GetCharSet(mlist.preferred_language)
    charset = None
    fmt = delsp = None
    outer = True
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == 'text/plain':
            if charset is None:
                charset = part.get_content_charset(lcset)
                fmt = part.get_param('format')
                delsp = part.get_param('delsp')
            disposition = str(part.get('content-disposition', '')).strip()
            if disposition.split(';')[0].strip().lower() == 'attachment' \
                    and not part.get_content_charset():
                url = save_attachment(mlist, part, dirpath)
                filename = _header_line(part.get_filename(None), lcset,
                                        _('not available'))
                replace_payload_by_text(part, _(
                    'A text attachment without a character set was '
                    'removed...\nName: %(filename)s\nURL: %(url)s\n') % {
                        'filename': filename, 'url': url}, lcset)
        elif ctype == 'text/html' and isinstance(sanitize, int) and \
                not isinstance(sanitize, bool):
            if sanitize == 0:
                if outer:
                    raise Errors.DiscardMessage
                replace_payload_by_text(
                    part, _('HTML attachment removed\n'), lcset)
            elif sanitize == 2:
                pass    # the archiver escapes it when it shows it
            elif sanitize == 3:
                url = save_attachment(mlist, part, dirpath,
                                      filter_html=False)
                replace_payload_by_text(part, _(
                    'An HTML attachment was removed...\nURL: %(url)s\n')
                    % {'url': url}, lcset)
            else:
                # Stored escaped, so that it shows as its source text.
                text = html.escape(Utils.part_text(part))
                lines = [line.expandtabs(8).replace(' ', '&nbsp;')
                         for line in text.split('\n')]
                page = '<tt>\n' + BR.join(lines) + '\n</tt>\n'
                url = save_attachment(mlist, part, dirpath,
                                      filter_html=False,
                                      data=page.encode('utf-8'))
                replace_payload_by_text(part, _(
                    'An HTML attachment was removed...\nURL: %(url)s\n')
                    % {'url': url}, lcset)
        elif ctype == 'message/rfc822':
            submsg = part.get_payload(0) if part.is_multipart() else None
            url = save_attachment(mlist, part, dirpath)
            if submsg is not None and hasattr(submsg, 'get'):
                subject = _header_line(submsg.get('subject'), lcset,
                                       _('no subject'))
                date = _header_line(submsg.get('date'), lcset, _('no date'))
                who = _header_line(submsg.get('from'), lcset,
                                   _('unknown sender'))
                size = len(submsg.as_string())
            else:
                subject, date, who, size = (_('no subject'), _('no date'),
                                            _('unknown sender'), 0)
            replace_payload_by_text(part, _(
                'An embedded message was removed...\n'
                'From: %(who)s\nSubject: %(subject)s\nDate: %(date)s\n'
                'Size: %(size)s\nURL: %(url)s\n') % {
                    'who': who, 'subject': subject, 'date': date,
                    'size': size, 'url': url}, lcset)
        elif not part.is_multipart() and part.get_payload():
            try:
                payload = part.get_payload(decode=True)
            except Exception:
                payload = None
            if payload is None:
                outer = False
                continue
            url = save_attachment(mlist, part, dirpath, data=None)
            desc = _header_line(part.get('content-description'), lcset,
                                _('not available'))
            filename = _header_line(part.get_filename(None), lcset,
                                    _('not available'))
            replace_payload_by_text(part, _(
                'A non-text attachment was removed...\n'
                'Name: %(filename)s\nType: %(ctype)s\n'
                'Size: %(size)d bytes\nDesc: %(desc)s\nURL: %(url)s\n') % {
                    'filename': filename, 'ctype': ctype,
                    'size': len(payload), 'desc': desc, 'url': url}, lcset)
        outer = False
    if msg.is_multipart():
        texts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            if not part.get_payload():
                continue
            partctype = part.get_content_type()
            if partctype != 'text/plain' and (partctype != 'text/html'
                                              or sanitize != 2):
                texts.append(_('Skipped content of type %(partctype)s\n')
                             % {'partctype': partctype})
                continue
            text = Utils.part_text(part)
            if not text.endswith('\n'):
                text += '\n'
            texts.append(text)
        body = separator().join(texts)
        if not charset or charset == 'us-ascii':
            charset = lcset
        del msg['content-type']
        del msg['content-transfer-encoding']
        msg.set_payload(body, _pick_charset(body, 'us-ascii', charset,
                                            lcset, 'utf-8'))
        if fmt:
            msg.set_param('Format', fmt)
        if delsp:
            msg.set_param('DelSp', delsp)
        msg.preamble = None
        msg.epilogue = None
    return msg
