"""The delivery half of the pipeline: CalcRecips, AvoidDuplicates, Cleanse,
CleanseDKIM, CookHeaders, ToDigest, ToArchive, ToUsenet, AfterDelivery,
Acknowledge, WrapMessage, ToOutgoing; OwnerRecips, FileRecips and Decorate;
the digests built by ToDigest and the Digester mixin.

Every list setting a handler reads has a test that fails when the handler
ignores it.  Messages are parsed from realistic text (encoded-word subjects
and bodies in UTF-8, ISO-8859-1, ISO-2022-JP and KOI8-R); what the handlers
produce is serialised, parsed again and checked for valid MIME and for the
right decoded text.
"""

import base64
import copy
import email
import email.utils
import itertools
import os
import re
import shutil
import textwrap
import time
from email.header import decode_header

import pytest

from Mailman import Errors
from Mailman import Passwords
from Mailman import mm_cfg
from Mailman.MailList import MailList
from Mailman.MemberAdaptor import BYADMIN, BYBOUNCE, BYUSER
from Mailman.Message import Message
from Mailman.Handlers import (Acknowledge, AfterDelivery, AvoidDuplicates,
                              CalcRecips, Cleanse, CleanseDKIM, CookHeaders,
                              Decorate, FileRecips, OwnerRecips, ToArchive,
                              ToDigest, ToOutgoing, ToUsenet, WrapMessage)
from unithelp import log_text, queued

_names = itertools.count()
ADMIN_PW = 'admin-secret'


# ================================================================ helpers
@pytest.fixture
def make_list():
    """Create lists with unique names (locked, as MailList.Create leaves
    them), remove them afterwards."""
    created = []

    def make(**settings):
        name = f'dlv{os.getpid()}-{next(_names)}'
        mlist = MailList()
        mlist.Create(name, 'owner@example.com',
                     Passwords.hash_password(ADMIN_PW))
        for attribute, value in settings.items():
            setattr(mlist, attribute, value)
        mlist.Save()
        created.append(mlist)
        return mlist

    yield make
    for mlist in created:
        try:
            mlist.Unlock()
        except Exception:
            pass
        shutil.rmtree(mlist.fullpath(), ignore_errors=True)
        name = mlist.internal_name()
        for path in (os.path.join(mm_cfg.PUBLIC_ARCHIVE_FILE_DIR, name),
                     os.path.join(mm_cfg.PUBLIC_ARCHIVE_FILE_DIR,
                                  name + '.mbox')):
            if os.path.islink(path):
                os.unlink(path)
        for path in (mlist.archive_dir(),
                     os.path.dirname(mlist.ArchiveFileName())):
            shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def mlist(make_list):
    return make_list()


def add(mlist, address, digest=False, realname=None, language=None,
        options=(), status=None, topics=None):
    mlist.addNewMember(address, digest=digest, realname=realname,
                       language=language)
    for flag in options:
        mlist.setMemberOption(address, flag, 1)
    if status is not None:
        mlist.setDeliveryStatus(address, status)
    if topics:
        mlist.setMemberTopics(address, topics)
    return address


def parse(text):
    """A Message from TEXT (str: dedented and UTF-8 encoded; bytes as
    they are)."""
    if isinstance(text, str):
        text = textwrap.dedent(text).lstrip('\n').encode('utf-8')
    return email.message_from_bytes(text, _class=Message)


def post(mlist, subject='A post', sender='alice@example.org', extra='',
         body='Hello members.\n'):
    return parse(f"""\
From: Alice Example <{sender}>
To: {mlist.GetListEmail()}
Subject: {subject}
Message-ID: <{next(_names)}.post@example.org>
Date: Mon, 02 Sep 2024 10:00:00 +0000
{extra}
{body}""".replace('\n\n\n', '\n\n'))


def reparse(msg):
    """MSG as the wire sees it: serialised and parsed again."""
    return email.message_from_bytes(msg.as_bytes(), _class=Message)


def assert_valid_mime(msg):
    """Every part parses without defects; every text part decodes strictly
    in its declared charset.  Returns the reparsed message."""
    again = reparse(msg)
    for part in again.walk():
        assert not part.defects, (part.get_content_type(), part.defects)
        if part.get_content_maintype() == 'text':
            data = part.get_payload(decode=True)
            data.decode(part.get_content_charset() or 'us-ascii')
    return again


def text_of(part):
    return part.get_payload(decode=True).decode(
        part.get_content_charset() or 'us-ascii')


def decoded(value):
    """The text of a header value, RFC 2047 encoded words decoded."""
    out = []
    for chunk, charset in decode_header(str(value)):
        out.append(chunk.decode(charset or 'ascii')
                   if isinstance(chunk, bytes) else chunk)
    return re.sub(r'\r?\n', '', ''.join(out))


def charsets_of(value):
    return [charset for _, charset in decode_header(str(value)) if charset]


def queue_entries(queue_dir, listname):
    """(message, metadata) of the entries of LISTNAME in QUEUE_DIR; the
    entries are removed."""
    return queued(queue_dir, listname, remove=True)


# ================================================================ CalcRecips
def test_calcrecips_regular_enabled_members_only(mlist):
    """Regular members with delivery enabled; not digest members, not
    members whose delivery is disabled for any reason."""
    add(mlist, 'reg@example.com')
    add(mlist, 'Mixed.Case@Example.com')
    add(mlist, 'dig@example.com', digest=True)
    for i, status in enumerate((BYUSER, BYADMIN, BYBOUNCE)):
        add(mlist, f'off{i}@example.com', status=status)
    msgdata = {}
    CalcRecips.process(mlist, post(mlist), msgdata)
    assert sorted(msgdata['recips']) == ['Mixed.Case@Example.com',
                                         'reg@example.com']


def test_calcrecips_keeps_existing_recipients(mlist):
    add(mlist, 'reg@example.com')
    msgdata = {'recips': ['only@example.net']}
    CalcRecips.process(mlist, post(mlist), msgdata)
    assert msgdata['recips'] == ['only@example.net']


def test_calcrecips_not_metoo(mlist):
    """A poster with DontReceiveOwnPosts does not get the post; one
    without it does."""
    add(mlist, 'Alice@Example.org', options=[mm_cfg.DontReceiveOwnPosts])
    add(mlist, 'bob@example.com')
    msgdata = {}
    CalcRecips.process(mlist, post(mlist, sender='alice@example.org'),
                       msgdata)
    assert msgdata['recips'] == ['bob@example.com']
    mlist.setMemberOption('alice@example.org', mm_cfg.DontReceiveOwnPosts, 0)
    msgdata = {}
    CalcRecips.process(mlist, post(mlist, sender='alice@example.org'),
                       msgdata)
    assert sorted(msgdata['recips']) == ['Alice@Example.org',
                                         'bob@example.com']


@pytest.mark.parametrize('which', ['admin', 'moderator', 'poster'])
def test_calcrecips_urgent_valid_password_reaches_everyone(mlist, which):
    """Urgent: with the admin, moderator or poster password: every member,
    digest members and disabled ones included."""
    mlist.mod_password = Passwords.hash_password('mod-secret')
    mlist.post_password = Passwords.hash_password('post-secret')
    password = {'admin': ADMIN_PW, 'moderator': 'mod-secret',
                'poster': 'post-secret'}[which]
    add(mlist, 'reg@example.com')
    add(mlist, 'dig@example.com', digest=True)
    add(mlist, 'off@example.com', status=BYUSER)
    msgdata = {}
    msg = post(mlist, extra=f'Urgent: {password}\n')
    CalcRecips.process(mlist, msg, msgdata)
    assert sorted(msgdata['recips']) == ['dig@example.com', 'off@example.com',
                                         'reg@example.com']


def test_calcrecips_urgent_bad_password_rejects(mlist):
    add(mlist, 'reg@example.com')
    mlist.post_password = Passwords.hash_password('post-secret')
    with pytest.raises(Errors.RejectMessage) as info:
        CalcRecips.process(mlist, post(mlist, extra='Urgent: wrong\n'), {})
    assert 'urgent' in info.value.notice().lower()
    # The site password is deliberately not accepted either.
    with pytest.raises(Errors.RejectMessage):
        CalcRecips.process(mlist, post(mlist, extra='Urgent: \n'), {})


def test_calcrecips_topics(mlist):
    """With topics enabled: members who chose topics get matching posts
    only, non-matching posts only with ReceiveNonmatchingTopics; members
    without topics get everything."""
    mlist.topics = [('cats', 'cat', '', False), ('dogs', 'dog', '', False)]
    add(mlist, 'all@example.com')
    add(mlist, 'cats@example.com', topics=['cats'])
    add(mlist, 'dogs@example.com', topics=['dogs'])
    add(mlist, 'dogsplus@example.com', topics=['dogs'],
        options=[mm_cfg.ReceiveNonmatchingTopics])
    mlist.topics_enabled = 1
    msgdata = {'topichits': ['cats']}
    CalcRecips.process(mlist, post(mlist), msgdata)
    assert sorted(msgdata['recips']) == ['all@example.com', 'cats@example.com']
    msgdata = {'topichits': []}
    CalcRecips.process(mlist, post(mlist), msgdata)
    assert sorted(msgdata['recips']) == ['all@example.com',
                                         'dogsplus@example.com']
    # Topics disabled: everyone, whatever they chose.
    mlist.topics_enabled = 0
    msgdata = {'topichits': ['cats']}
    CalcRecips.process(mlist, post(mlist), msgdata)
    assert len(msgdata['recips']) == 4


def _sibling(make_list, *members, poster=None):
    sibling = make_list()
    for address in members:
        add(sibling, address)
    if poster:
        add(sibling, poster)
    sibling.Save()
    return sibling


def test_calcrecips_regular_exclude_lists(make_list):
    mlist = make_list()
    sibling = _sibling(make_list, 'shared@example.com',
                       poster='alice@example.org')
    add(mlist, 'shared@example.com')
    add(mlist, 'own@example.com')
    mlist.regular_exclude_lists = [sibling.GetListEmail()]
    both = post(mlist, extra=f'Cc: {sibling.GetListEmail()}\n')
    msgdata = {}
    CalcRecips.process(mlist, both, msgdata)
    assert msgdata['recips'] == ['own@example.com']
    # Not addressed to the sibling: nobody is excluded.
    msgdata = {}
    CalcRecips.process(mlist, post(mlist), msgdata)
    assert sorted(msgdata['recips']) == ['own@example.com',
                                         'shared@example.com']
    # No exclude lists: nobody is excluded.
    mlist.regular_exclude_lists = []
    msgdata = {}
    CalcRecips.process(mlist, both, msgdata)
    assert len(msgdata['recips']) == 2


def test_calcrecips_regular_exclude_ignore(make_list):
    """With regular_exclude_ignore, the exclusion applies only when the
    poster is a member of the excluded list (which will then deliver)."""
    mlist = make_list()
    sibling = _sibling(make_list, 'shared@example.com')     # poster not in
    add(mlist, 'shared@example.com')
    add(mlist, 'own@example.com')
    mlist.regular_exclude_lists = [sibling.GetListEmail()]
    both = post(mlist, extra=f'Cc: {sibling.GetListEmail()}\n')
    mlist.regular_exclude_ignore = True
    msgdata = {}
    CalcRecips.process(mlist, both, msgdata)
    assert sorted(msgdata['recips']) == ['own@example.com',
                                         'shared@example.com']
    mlist.regular_exclude_ignore = False
    msgdata = {}
    CalcRecips.process(mlist, both, msgdata)
    assert msgdata['recips'] == ['own@example.com']


def test_calcrecips_exclude_ignore_equivalent_domains(make_list):
    """The poster counts as a sibling member through the sibling's
    equivalent_domains."""
    mlist = make_list()
    sibling = _sibling(make_list, 'shared@example.com',
                       poster='alice@mail.example.org')
    sibling.equivalent_domains = 'example.org,mail.example.org'
    sibling.Save()
    add(mlist, 'shared@example.com')
    mlist.regular_exclude_lists = [sibling.GetListEmail()]
    mlist.regular_exclude_ignore = True
    msgdata = {}
    CalcRecips.process(mlist, post(
        mlist, extra=f'Cc: {sibling.GetListEmail()}\n'), msgdata)
    assert msgdata['recips'] == []


def test_calcrecips_regular_include_lists(make_list):
    mlist = make_list()
    sibling = _sibling(make_list, 'extra@example.com', 'own@example.com')
    add(sibling, 'off@example.com', status=BYUSER)
    sibling.Save()
    add(mlist, 'own@example.com')
    mlist.regular_include_lists = [sibling.GetListEmail()]
    msgdata = {}
    CalcRecips.process(mlist, post(mlist), msgdata)
    assert sorted(msgdata['recips']) == ['extra@example.com',
                                         'own@example.com']
    # Addressed to the sibling too: it delivers itself.
    msgdata = {}
    CalcRecips.process(mlist, post(
        mlist, extra=f'To: {sibling.GetListEmail()}\n'), msgdata)
    assert msgdata['recips'] == ['own@example.com']


def test_calcrecips_sibling_in_other_domain(make_list, monkeypatch):
    mlist = make_list()
    sibling = _sibling(make_list, 'extra@example.com')
    sibling.host_name = 'other.example.net'
    sibling.Save()
    address = f'{sibling.internal_name()}@other.example.net'
    mlist.regular_include_lists = [address]
    monkeypatch.setattr(mm_cfg, 'ALLOW_CROSS_DOMAIN_SIBLING', False)
    msgdata = {}
    CalcRecips.process(mlist, post(mlist), msgdata)
    assert msgdata['recips'] == []
    assert 'not in the same domain' in log_text('error')
    monkeypatch.setattr(mm_cfg, 'ALLOW_CROSS_DOMAIN_SIBLING', True)
    msgdata = {}
    CalcRecips.process(mlist, post(mlist), msgdata)
    assert msgdata['recips'] == ['extra@example.com']


def test_calcrecips_missing_or_self_sibling_is_logged(mlist):
    add(mlist, 'own@example.com')
    mlist.regular_include_lists = ['nosuchlist@lists.example.com',
                                   mlist.GetListEmail()]
    msgdata = {}
    CalcRecips.process(mlist, post(mlist), msgdata)
    assert msgdata['recips'] == ['own@example.com']
    assert 'nosuchlist@lists.example.com' in log_text('error')


# ================================================================ AvoidDuplicates
def _dup_post(mlist):
    return post(mlist, extra=textwrap.dedent(f"""\
        Cc: Bob <bob@example.com>, carol@example.com,
         Dave <dave@example.net>, {mlist.GetListEmail()}
        Resent-To: erin@example.com
        """))


def test_avoid_duplicates_nodupes(mlist):
    """Members who asked not to get duplicates and were addressed directly
    (To, Cc, Resent-To) are dropped; others are flagged for
    X-Mailman-Copy."""
    add(mlist, 'bob@example.com', options=[mm_cfg.DontReceiveDuplicates])
    add(mlist, 'carol@example.com')
    add(mlist, 'erin@example.com', options=[mm_cfg.DontReceiveDuplicates])
    add(mlist, 'frank@example.com', options=[mm_cfg.DontReceiveDuplicates])
    msgdata = {'recips': ['bob@example.com', 'carol@example.com',
                          'erin@example.com', 'frank@example.com']}
    AvoidDuplicates.process(mlist, _dup_post(mlist), msgdata)
    assert msgdata['recips'] == ['carol@example.com', 'frank@example.com']
    assert msgdata['add-dup-header'] == {'carol@example.com': True}


def test_avoid_duplicates_drop_cc(mlist):
    add(mlist, 'bob@example.com', options=[mm_cfg.DontReceiveDuplicates])
    mlist.drop_cc = True
    msg = _dup_post(mlist)
    msgdata = {'recips': ['bob@example.com']}
    AvoidDuplicates.process(mlist, msg, msgdata)
    cc = msgdata['add_header']['Cc']
    assert 'bob@example.com' not in cc
    assert 'carol@example.com' in cc and 'dave@example.net' in cc
    assert mlist.GetListEmail() in cc
    # The change is applied later (WrapMessage), not yet.
    assert 'bob@example.com' in msg['cc']
    mlist.drop_cc = False
    msg = _dup_post(mlist)
    msgdata = {'recips': ['bob@example.com']}
    AvoidDuplicates.process(mlist, msg, msgdata)
    assert msgdata['recips'] == []
    assert 'add_header' not in msgdata
    assert 'bob@example.com' in msg['cc']


def test_avoid_duplicates_only_cc_dropped_removes_cc(mlist):
    add(mlist, 'bob@example.com', options=[mm_cfg.DontReceiveDuplicates])
    msg = post(mlist, extra='Cc: bob@example.com\n')
    msgdata = {'recips': ['bob@example.com', 'x@example.com']}
    AvoidDuplicates.process(mlist, msg, msgdata)
    assert msgdata['recips'] == ['x@example.com']
    assert msg['cc'] is None


def test_avoid_duplicates_ignores_list_addresses(mlist):
    """Only the list's own addresses addressed: nothing to collapse."""
    add(mlist, 'bob@example.com', options=[mm_cfg.DontReceiveDuplicates])
    msgdata = {'recips': ['bob@example.com']}
    AvoidDuplicates.process(mlist, post(
        mlist, extra=f'Cc: {mlist.GetOwnerEmail()}\n'), msgdata)
    assert msgdata['recips'] == ['bob@example.com']
    assert 'add-dup-header' not in msgdata


# ================================================================ Cleanse
_CLEANSE_POST = """\
    Received: from mx.example.org by lists.example.com
    From: Alice Example <alice@example.org>
    Reply-To: alice@home.example.org
    Sender: alice@example.org
    Organization: Secret Org
    To: {list}
    Subject: Hello
    Message-ID: <orig-id@example.org>
    Approved: {pw}
    Approve: {pw}
    X-Approved: {pw}
    X-Approve: {pw}
    Urgent: {pw}
    Return-Receipt-To: alice@example.org
    Disposition-Notification-To: alice@example.org
    X-Confirm-Reading-To: alice@example.org
    X-PMRQC: 1
    X-Originating-Email: alice@example.org
    X-Mailer: Secret Mailer 1.0
    X-Spam-Score: 0.1
    X-Topics: cats
    Keywords: hello
    Autocrypt: addr=alice@example.org; keydata=AAAA

    Body
    """


def _cleanse_post(mlist):
    return parse(_CLEANSE_POST.format(list=mlist.GetListEmail(), pw='pw1'))


def test_cleanse_removes_passwords_and_receipts(mlist):
    msg = _cleanse_post(mlist)
    msgdata = {}
    Cleanse.process(mlist, msg, msgdata)
    for name in ('approved', 'approve', 'x-approved', 'x-approve', 'urgent',
                 'return-receipt-to', 'disposition-notification-to',
                 'x-confirm-reading-to', 'x-pmrqc'):
        assert name not in msg, name
    assert 'pw1' not in msg.as_string()
    # A normal list keeps the poster's headers.
    assert msg['from'] == 'Alice Example <alice@example.org>'
    assert msg['message-id'] == '<orig-id@example.org>'
    assert msg['x-mailer'] == 'Secret Mailer 1.0'
    assert msgdata['original_sender'] == 'alice@example.org'


def test_cleanse_anonymous_list(mlist):
    mlist.anonymous_list = True
    mlist.description = 'Anonymous Readers'
    msg = _cleanse_post(mlist)
    msgdata = {}
    Cleanse.process(mlist, msg, msgdata)
    text = msg.as_string()
    assert 'alice' not in text.lower()
    assert 'Secret Org' not in text and 'Secret Mailer' not in text
    assert msg['from'] == f'Anonymous Readers <{mlist.GetListEmail()}>'
    assert msg['reply-to'] == mlist.GetListEmail()
    assert msg['message-id'] != '<orig-id@example.org>'
    assert msg.get_all('received') is None
    # Kept by the default ANONYMOUS_LIST_KEEP_HEADERS.
    assert msg['subject'] == 'Hello' and msg['keywords'] == 'hello'
    assert msg['x-spam-score'] == '0.1' and msg['x-topics'] == 'cats'
    assert msgdata['original_sender'] == 'alice@example.org'


def test_cleanse_anonymous_keep_headers_setting(mlist, monkeypatch):
    mlist.anonymous_list = True
    monkeypatch.setattr(mm_cfg, 'ANONYMOUS_LIST_KEEP_HEADERS',
                        ['^subject:', '^x-mailer:', '^to:'])
    msg = _cleanse_post(mlist)
    Cleanse.process(mlist, msg, {})
    assert msg['x-mailer'] == 'Secret Mailer 1.0'
    assert msg['keywords'] is None and msg['x-spam-score'] is None
    assert msg['subject'] == 'Hello'
    # The identifying headers go whatever the keep list says.
    monkeypatch.setattr(mm_cfg, 'ANONYMOUS_LIST_KEEP_HEADERS', ['.'])
    msg = _cleanse_post(mlist)
    Cleanse.process(mlist, msg, {})
    assert 'alice' not in msg.as_string().lower()


def test_cleanse_anonymous_rewrites_unixfrom(mlist):
    mlist.anonymous_list = True
    msg = _cleanse_post(mlist)
    msg.set_unixfrom('From alice@example.org Mon Sep  2 10:00:00 2024')
    Cleanse.process(mlist, msg, {})
    assert 'alice' not in msg.get_unixfrom()


# ================================================================ CleanseDKIM
_SIGNED = """\
    From: alice@example.org
    To: list@lists.example.com
    Subject: signed
    DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel; b=AAAA
    DomainKey-Signature: a=rsa-sha1; d=example.org; b=BBBB
    Authentication-Results: mx.example.com; dkim=pass

    Body
    """


@pytest.mark.parametrize('setting, from_is_list, msgdata_fil, removed', [
    (0, 0, None, False), (0, 1, 1, False),
    (1, 0, None, False), (1, 1, None, True), (1, 0, 1, True),
    (1, 2, None, False), (1, 1, 2, False),
    (2, 0, None, True), (3, 0, None, True)])
def test_cleanse_dkim(mlist, monkeypatch, setting, from_is_list, msgdata_fil,
                      removed):
    monkeypatch.setattr(mm_cfg, 'REMOVE_DKIM_HEADERS', setting)
    mlist.from_is_list = from_is_list
    msgdata = {} if msgdata_fil is None else {'from_is_list': msgdata_fil}
    msg = parse(_SIGNED)
    CleanseDKIM.process(mlist, msg, msgdata)
    present = [name for name in ('DKIM-Signature', 'DomainKey-Signature',
                                 'Authentication-Results') if name in msg]
    assert present == ([] if removed else present) and \
        bool(present) != removed
    originals = [name for name in msg.keys()
                 if name.startswith('X-Mailman-Original-')]
    if setting == 3:
        assert sorted(originals) == [
            'X-Mailman-Original-Authentication-Results',
            'X-Mailman-Original-DKIM-Signature',
            'X-Mailman-Original-DomainKey-Signature']
        assert msg['X-Mailman-Original-DKIM-Signature'].endswith('b=AAAA')
    else:
        assert originals == []


def test_cleanse_dkim_anonymous_list(mlist, monkeypatch):
    monkeypatch.setattr(mm_cfg, 'REMOVE_DKIM_HEADERS', 0)
    mlist.anonymous_list = True
    msg = parse(_SIGNED)
    CleanseDKIM.process(mlist, msg, {})
    assert 'dkim-signature' not in msg and 'domainkey-signature' not in msg


# ================================================================ CookHeaders: subject
def _cook(mlist, subject_header, msgdata=None):
    msg = parse(f'From: alice@example.org\nTo: {mlist.GetListEmail()}\n'
                f'{subject_header}\n\nBody\n')
    msgdata = {} if msgdata is None else msgdata
    CookHeaders.process(mlist, msg, msgdata)
    return msg, msgdata


def test_prefix_added_once(mlist):
    mlist.subject_prefix = '[Test] '
    msg, msgdata = _cook(mlist, 'Subject: Hello world')
    assert msg['subject'] == '[Test] Hello world'
    assert msgdata['origsubj'] == 'Hello world'
    assert msgdata['stripped_subject'] == 'Hello world'
    msg, _ = _cook(mlist, 'Subject: [Test] Hello world')
    assert msg['subject'] == '[Test] Hello world'


def test_prefix_empty_leaves_subject(mlist):
    mlist.subject_prefix = ''
    msg, _ = _cook(mlist, 'Subject: Hello world')
    assert msg['subject'] == 'Hello world'


def test_prefix_no_subject(mlist):
    mlist.subject_prefix = '[Test] '
    msg, _ = _cook(mlist, 'X-Nothing: here')
    assert msg['subject'] == '[Test] (no subject)'
    msg, _ = _cook(mlist, 'Subject: [Test]')
    assert msg['subject'] == '[Test] (no subject)'


@pytest.mark.parametrize('old_style, original, expected', [
    (True, 'Re: Hello', 'Re: [Test] Hello'),
    (True, 'Re: [Test] Hello', 'Re: [Test] Hello'),
    (True, '[Test] Re: Hello', 'Re: [Test] Hello'),
    (True, 'AW: Re: [Test] Re: Hello', 'Re: [Test] Hello'),
    (True, 'Re[2]: Hello', 'Re: [Test] Hello'),
    (True, 'SV: Hello', 'Re: [Test] Hello'),
    (False, 'Re: Hello', '[Test] Re: Hello'),
    (False, 'Re: [Test] Re: Hello', '[Test] Re: Hello'),
    (False, 'Regarding things', '[Test] Regarding things'),
])
def test_prefix_reply_styles(mlist, monkeypatch, old_style, original,
                             expected):
    monkeypatch.setattr(mm_cfg, 'OLD_STYLE_PREFIXING', old_style)
    mlist.subject_prefix = '[Test] '
    msg, msgdata = _cook(mlist, f'Subject: {original}')
    assert msg['subject'] == expected
    assert msgdata['stripped_subject'] == expected.replace('[Test] ', '')


def test_prefix_post_number(mlist, monkeypatch):
    """%d takes the post number; it always uses the new style, and an old
    number in the subject is replaced."""
    monkeypatch.setattr(mm_cfg, 'OLD_STYLE_PREFIXING', True)
    mlist.subject_prefix = '[Test %05d] '
    mlist.post_id = 42
    msg, _ = _cook(mlist, 'Subject: Re: [Test 00041] Hello')
    assert msg['subject'] == '[Test 00042] Re: Hello'
    mlist.subject_prefix = '[Test %d] '
    msg, _ = _cook(mlist, 'Subject: Hello')
    assert msg['subject'] == '[Test 42] Hello'


def test_prefix_with_literal_percent(mlist):
    mlist.subject_prefix = '[100% Test] '
    msg, _ = _cook(mlist, 'Subject: Hello')
    assert msg['subject'] == '[100% Test] Hello'


@pytest.mark.parametrize('header, text, charset', [
    ('=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=', 'Grüße aus Köln', 'utf-8'),
    ('=?iso-8859-1?q?Gr=FC=DFe_aus_M=FCnchen?=', 'Grüße aus München',
     'iso-8859-1'),
    ('=?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?=', '日本語の件名',
     'iso-2022-jp'),
    ('=?koi8-r?b?8NLJ18XULCDNydI=?=', 'Привет, мир', 'koi8-r'),
])
def test_prefix_encoded_subjects(mlist, header, text, charset):
    """Encoded subjects keep their text and their charset; the ASCII prefix
    stays readable (encode_ascii_prefixes: Never)."""
    mlist.subject_prefix = '[Test] '
    mlist.encode_ascii_prefixes = 0
    msg, msgdata = _cook(mlist, f'Subject: Re: {header}')
    again = assert_valid_mime(msg)
    subject = again['subject']
    assert subject.startswith('Re: [Test] =?')
    assert decoded(subject) == f'Re: [Test] {text}'
    assert charsets_of(subject) == [charset]
    assert msgdata['stripped_subject'] == f'Re: {text}'
    # Posted again with the prefix already there: still one prefix.
    msg2, _ = _cook(mlist, f'Subject: {subject}')
    assert decoded(msg2['subject']) == f'Re: [Test] {text}'


def test_prefix_encoded_subject_folded_and_split(mlist):
    """Several encoded words (folded), as long subjects arrive."""
    words = ' '.join('=?utf-8?b?' + base64.b64encode(
        part.encode()).decode() + '?=' for part in ('Ünïcödé ', 'wörds ',
                                                    'everywhere'))
    mlist.subject_prefix = '[Test] '
    msg, _ = _cook(mlist, 'Subject: ' + words.replace(' ', '\n ', 1))
    assert decoded(reparse(msg)['subject']) == \
        '[Test] Ünïcödé wörds everywhere'


def test_prefix_raw_8bit_subject(mlist):
    """A raw UTF-8 subject (not encoded, as some mailers send) is decoded
    and re-encoded properly."""
    mlist.subject_prefix = '[Test] '
    msg = parse('From: a@example.org\nSubject: caf\u00e9 ol\u00e9\n\nx\n')
    CookHeaders.process(mlist, msg, {})
    assert decoded(reparse(msg)['subject']) == '[Test] café olé'


def test_prefix_non_ascii_prefix(mlist):
    mlist.subject_prefix = '[Liste für Müller] '
    mlist.preferred_language = 'de'             # iso-8859-1
    msg, _ = _cook(mlist, 'Subject: Hello')
    assert decoded(msg['subject']) == '[Liste für Müller] Hello'
    assert charsets_of(msg['subject']) == ['iso-8859-1']
    msg, _ = _cook(mlist, 'Subject: =?koi8-r?b?8NLJ18XU?=')
    assert decoded(msg['subject']) == '[Liste für Müller] Привет'
    assert_valid_mime(msg)


@pytest.mark.parametrize('mode, subject, prefix_encoded', [
    (0, 'Hello', False), (0, '=?utf-8?q?H=C3=A9llo?=', False),
    (1, 'Hello', True), (1, '=?utf-8?q?H=C3=A9llo?=', True),
    (2, 'Hello', False), (2, '=?utf-8?q?H=C3=A9llo?=', True)])
def test_encode_ascii_prefixes(mlist, mode, subject, prefix_encoded):
    mlist.subject_prefix = '[Test] '
    mlist.encode_ascii_prefixes = mode
    msg, _ = _cook(mlist, f'Subject: {subject}')
    value = reparse(msg)['subject']
    assert value.startswith('=?') == prefix_encoded
    assert decoded(value) in ('[Test] Hello', '[Test] Héllo')


def test_no_prefix_for_digests_and_fasttrack(mlist):
    mlist.subject_prefix = '[Test] '
    msg, _ = _cook(mlist, 'Subject: Digest', {'isdigest': True})
    assert msg['subject'] == 'Digest'
    msg, _ = _cook(mlist, 'Subject: Notice', {'_fasttrack': 1})
    assert msg['subject'] == 'Notice'


# ================================================================ CookHeaders: headers
def test_beenthere_version_precedence(mlist):
    msg = parse(f"""\
        From: alice@example.org
        To: {mlist.GetListEmail()}
        X-BeenThere: other@example.net
        Precedence: bulk
        Subject: hi

        body
        """)
    CookHeaders.process(mlist, msg, {})
    assert msg.get_all('x-beenthere') == ['other@example.net',
                                          mlist.GetListEmail()]
    assert msg['x-mailman-version'] == mm_cfg.VERSION
    assert msg.get_all('precedence') == ['bulk']       # not replaced
    msg = post(mlist)
    CookHeaders.process(mlist, msg, {})
    assert msg['precedence'] == 'list'


def test_noack(mlist):
    msg = post(mlist)
    CookHeaders.process(mlist, msg, {'noack': 1})
    assert msg['x-ack'] == 'no'


def test_original_sender_recorded(mlist):
    msgdata = {}
    CookHeaders.process(mlist, post(mlist, sender='Alice@Example.org'),
                        msgdata)
    assert msgdata['original_sender'] == 'alice@example.org'


def _apply(mlist, msg, msgdata):
    """CookHeaders, then WrapMessage (which applies the recorded changes)."""
    CookHeaders.process(mlist, msg, msgdata)
    WrapMessage.process(mlist, msg, msgdata)
    return reparse(msg)


@pytest.mark.parametrize('source', ['list', 'msgdata'])
def test_from_munging(mlist, source):
    mlist.real_name = 'Friends'
    add(mlist, 'bob@example.com', realname='Bob Member')
    msgdata = {}
    if source == 'list':
        mlist.from_is_list = 1
    else:
        msgdata['from_is_list'] = 1         # the DMARC action
    msg = post(mlist)
    out = _apply(mlist, msg, msgdata)
    assert out['from'] == f'Alice Example via Friends <{mlist.GetListEmail()}>'
    assert out['reply-to'] == 'Alice Example <alice@example.org>'
    # A member without a name in From: gets the name on file; an address
    # as a name loses its domain.
    msg = parse(f'From: bob@example.com\nTo: {mlist.GetListEmail()}\n'
                'Subject: x\n\nbody\n')
    out = _apply(mlist, msg, dict(msgdata))
    assert out['from'] == f'Bob Member via Friends <{mlist.GetListEmail()}>'
    msg = parse(f'From: carol@example.net\nTo: {mlist.GetListEmail()}\n'
                'Subject: x\n\nbody\n')
    out = _apply(mlist, msg, dict(msgdata))
    assert out['from'] == f'carol--- via Friends <{mlist.GetListEmail()}>'


def test_from_munging_off(mlist):
    mlist.from_is_list = 0
    out = _apply(mlist, post(mlist), {})
    assert out['from'] == 'Alice Example <alice@example.org>'
    assert out['reply-to'] is None


def test_from_munging_non_ascii_name(mlist):
    mlist.from_is_list = 1
    msg = parse(f"""\
        From: =?koi8-r?b?8MXU0s/XLCDp18HO?= <ivan@example.ru>
        To: {mlist.GetListEmail()}
        Subject: hi

        body
        """)
    out = _apply(mlist, msg, {})
    assert_valid_mime(out)
    name, address = email.utils.parseaddr(out['from'])
    assert decoded(name) == f'Петров, Иван via {mlist.real_name}'
    assert address == mlist.GetListEmail()
    name, address = email.utils.parseaddr(out['reply-to'])
    assert (decoded(name), address) == ('Петров, Иван', 'ivan@example.ru')


def test_from_munging_keeps_poster_in_cc_when_replies_go_to_list(mlist):
    mlist.from_is_list = 1
    mlist.reply_goes_to_list = 1
    out = _apply(mlist, post(mlist), {})
    assert out['reply-to'] == mlist.GetListEmail()
    assert out['cc'] == 'Alice Example <alice@example.org>'


def test_from_munging_original_reply_to_kept(mlist):
    mlist.from_is_list = 1
    out = _apply(mlist, post(mlist, extra='Reply-To: alice@home.example\n'),
                 {})
    assert out['reply-to'] == 'alice@home.example'
    assert out['cc'] == 'Alice Example <alice@example.org>'


@pytest.mark.parametrize('mode, strip, expected', [
    (0, False, ['orig@example.org']),
    (0, True, None),
    (1, False, ['orig@example.org', 'LIST']),
    (1, True, ['LIST']),
    (2, False, ['explicit@example.net', 'orig@example.org']),
    (2, True, ['explicit@example.net']),
])
def test_reply_to(mlist, mode, strip, expected):
    mlist.reply_goes_to_list = mode
    mlist.first_strip_reply_to = strip
    mlist.reply_to_address = 'explicit@example.net'
    out = _apply(mlist, post(mlist, extra='Reply-To: orig@example.org\n'),
                 {})
    if expected is None:
        assert out['reply-to'] is None
    else:
        got = [address for _, address in
               email.utils.getaddresses(out.get_all('reply-to'))]
        assert got == [mlist.GetListEmail() if a == 'LIST' else a
                       for a in expected]
        assert len(out.get_all('reply-to')) == 1


def test_reply_to_list_uses_description(mlist):
    mlist.reply_goes_to_list = 1
    mlist.description = 'Ünïcode Friends'
    mlist.preferred_language = 'de'
    out = _apply(mlist, post(mlist), {})
    name, address = email.utils.parseaddr(out['reply-to'])
    assert decoded(name) == 'Ünïcode Friends'
    assert address == mlist.GetListEmail()


def test_personalize_2_puts_list_in_cc(mlist):
    mlist.personalize = 2
    out = _apply(mlist, post(mlist, extra='Cc: carol@example.com\n'), {})
    cc = [a for _, a in email.utils.getaddresses(out.get_all('cc'))]
    assert cc == ['carol@example.com', mlist.GetListEmail()]
    for setting in ({'personalize': 1}, {'personalize': 2,
                                         'reply_goes_to_list': 1},
                    {'personalize': 2, 'anonymous_list': True}):
        for attribute, value in setting.items():
            setattr(mlist, attribute, value)
        out = _apply(mlist, post(mlist), {})
        assert out['cc'] is None, setting
        mlist.reply_goes_to_list = 0
        mlist.anonymous_list = False


def test_cc_from_avoid_duplicates_is_merged(mlist):
    mlist.personalize = 2
    msgdata = {'add_header': {'Cc': 'carol@example.com'}}
    msg = post(mlist, extra='Cc: bob@example.com, carol@example.com\n')
    out = _apply(mlist, msg, msgdata)
    assert [a for _, a in email.utils.getaddresses(out.get_all('cc'))] == \
        ['carol@example.com', mlist.GetListEmail()]


def test_list_headers(mlist):
    mlist.description = 'Talk about things'
    msg = post(mlist)
    CookHeaders.process(mlist, msg, {})
    name = mlist.internal_name()
    assert msg['list-id'] == f'Talk about things <{name}.lists.example.com>'
    assert msg['list-post'] == f'<mailto:{mlist.GetListEmail()}>'
    assert msg['list-help'] == f'<mailto:{name}-request@lists.example.com' \
        '?subject=help>'
    assert msg['list-archive'] == \
        f'<http://www.example.com/pipermail/{name}>'
    unsub = re.sub(r'\s+', ' ', msg['list-unsubscribe'])
    assert unsub == (f'<http://www.example.com/mailman/options/{name}>, '
                     f'<mailto:{name}-request@lists.example.com'
                     '?subject=unsubscribe>')
    sub = re.sub(r'\s+', ' ', msg['list-subscribe'])
    assert sub == (f'<http://www.example.com/mailman/listinfo/{name}>, '
                   f'<mailto:{name}-request@lists.example.com'
                   '?subject=subscribe>')
    assert msg['x-list-administrivia'] is None
    assert_valid_mime(msg)


def test_list_id_without_and_with_non_ascii_description(mlist):
    msg = post(mlist)
    CookHeaders.process(mlist, msg, {})
    assert msg['list-id'] == f'<{mlist.internal_name()}.lists.example.com>'
    mlist.description = 'Обсуждение'
    mlist.preferred_language = 'ru'
    msg = post(mlist)
    CookHeaders.process(mlist, msg, {})
    name, address = email.utils.parseaddr(reparse(msg)['list-id'])
    assert decoded(name) == 'Обсуждение'
    assert address == f'{mlist.internal_name()}.lists.example.com'


def test_list_headers_settings(mlist):
    mlist.include_list_post_header = 0
    mlist.archive = 0
    msg = post(mlist)
    CookHeaders.process(mlist, msg, {})
    assert msg['list-post'] is None and msg['list-archive'] is None
    assert msg['list-help'] is not None
    mlist.include_rfc2369_headers = 0
    msg = post(mlist)
    CookHeaders.process(mlist, msg, {})
    assert [n for n in msg.keys() if n.lower().startswith('list-')] == []


def test_reduced_list_headers(mlist):
    msg = post(mlist)
    CookHeaders.process(mlist, msg, {'reduced_list_headers': 1})
    assert msg['x-list-administrivia'] == 'yes'
    assert msg['list-id'] is not None
    assert msg['list-post'] is None and msg['list-unsubscribe'] is None
    msg = post(mlist)
    CookHeaders.process(mlist, msg, {'_nolist': 1})
    assert msg['list-id'] is None


def test_existing_list_headers_replaced(mlist):
    msg = post(mlist, extra='List-Id: <other.example.net>\n'
                            'List-Post: <mailto:other@example.net>\n')
    CookHeaders.process(mlist, msg, {})
    assert msg.get_all('list-id') == [
        f'<{mlist.internal_name()}.lists.example.com>']
    assert msg.get_all('list-post') == [f'<mailto:{mlist.GetListEmail()}>']


def test_wrap_mode_records_changes(mlist):
    """When the post is to be wrapped, CookHeaders changes nothing in it:
    every header goes to msgdata['add_header'] for the outer message."""
    mlist.subject_prefix = '[Test] '
    msg = post(mlist, subject='Hello')
    before = msg.as_string()
    msgdata = {'from_is_list': 2}
    CookHeaders.process(mlist, msg, msgdata)
    assert msg.as_string() == before
    added = msgdata['add_header']
    assert added['Subject'] == '[Test] Hello'
    assert added['From'].endswith(f'<{mlist.GetListEmail()}>')
    assert added['List-Id'] and added['X-BeenThere']
    assert added['Reply-To'] == 'Alice Example <alice@example.org>'


# ================================================================ WrapMessage
def test_wrapped_post_is_decorated_outside(mlist):
    """A wrapped post gets the footer as a part of its own; the wrapped
    original is not touched."""
    mlist.from_is_list = 2
    mlist.msg_footer = 'Footer\n'
    msg = post(mlist, body='Original body\n')
    msgdata = {}
    CookHeaders.process(mlist, msg, msgdata)
    WrapMessage.process(mlist, msg, msgdata)
    Decorate.process(mlist, msg, msgdata)
    out = assert_valid_mime(msg)
    assert out.get_content_type() == 'multipart/mixed'
    wrapped, footer = out.get_payload()
    assert wrapped.get_content_type() == 'message/rfc822'
    assert wrapped.get_payload(0).get_payload() == 'Original body\n'
    assert text_of(footer) == 'Footer\n'


def test_wrap_mode_leaves_original_reply_to(mlist):
    mlist.from_is_list = 2
    mlist.first_strip_reply_to = True
    msg = post(mlist, extra='Reply-To: elsewhere@example.org\n')
    msgdata = {}
    CookHeaders.process(mlist, msg, msgdata)
    assert msg['reply-to'] == 'elsewhere@example.org'
    WrapMessage.process(mlist, msg, msgdata)
    assert msg.get_payload(0)['reply-to'] == 'elsewhere@example.org'
    assert msg['reply-to'] == 'Alice Example <alice@example.org>'


def test_wrapmessage_applies_recorded_headers(mlist):
    msg = post(mlist, extra='Cc: old@example.com\n')
    msgdata = {'add_header': {'From': 'X via L <l@example.com>',
                              'Reply-To': 'r@example.com',
                              'Cc': 'c@example.com'}}
    WrapMessage.process(mlist, msg, msgdata)
    assert msg.get_all('from') == ['X via L <l@example.com>']
    assert msg.get_all('reply-to') == ['r@example.com']
    assert msg.get_all('cc') == ['c@example.com']
    assert msg.get_content_type() == 'text/plain'


@pytest.mark.parametrize('source', ['list', 'msgdata'])
def test_wrapmessage_wraps(mlist, source):
    mlist.subject_prefix = '[Test] '
    mlist.dmarc_wrapped_message_text = 'This post was wrapped for DMARC.'
    msgdata = {}
    if source == 'list':
        mlist.from_is_list = 2
    else:
        msgdata['from_is_list'] = 2
    original = post(mlist, subject='Hello', extra=textwrap.dedent("""\
        In-Reply-To: <parent@example.org>
        References: <root@example.org> <parent@example.org>
        X-Private: secret
        DKIM-Signature: v=1; d=example.org; b=AAAA
        """))
    msg = copy.deepcopy(original)
    CookHeaders.process(mlist, msg, msgdata)
    WrapMessage.process(mlist, msg, msgdata)
    out = assert_valid_mime(msg)
    assert out['from'] == f'Alice Example via {mlist.real_name} ' \
        f'<{mlist.GetListEmail()}>'
    assert out['subject'] == '[Test] Hello'
    assert out['to'] == mlist.GetListEmail()
    assert out['in-reply-to'] == '<parent@example.org>'
    assert out['references'] == '<root@example.org> <parent@example.org>'
    assert out['date'] == 'Mon, 02 Sep 2024 10:00:00 +0000'
    assert out['x-private'] is None and out['dkim-signature'] is None
    assert out['list-id'] and out['message-id'] != original['message-id']
    if source == 'msgdata':
        # DMARC wrap with a wrapper text: a multipart/mixed.
        assert out.get_content_type() == 'multipart/mixed'
        first, second = out.get_payload()
        assert text_of(first).strip() == 'This post was wrapped for DMARC.'
        inner = second.get_payload(0)
    else:
        assert out.get_content_type() == 'message/rfc822'
        inner = out.get_payload(0)
    assert inner['from'] == 'Alice Example <alice@example.org>'
    assert inner['subject'] == 'Hello'
    assert inner['x-private'] == 'secret'
    assert inner['dkim-signature'] == 'v=1; d=example.org; b=AAAA'


# ================================================================ ToDigest
@pytest.fixture
def digest_list(make_list):
    mlist = make_list(digest_size_threshhold=0, real_name='Friends',
                      subject_prefix='[Friends] ')
    add(mlist, 'mime@example.com', digest=True, realname='Mime Reader')
    add(mlist, 'plain@example.com', digest=True,
        options=[mm_cfg.DisableMime])
    add(mlist, 'nomail@example.com', digest=True, status=BYUSER)
    add(mlist, 'regular@example.com')
    return mlist


def _digests(mlist):
    entries = queue_entries(mm_cfg.VIRGINQUEUE_DIR, mlist.internal_name())
    assert all(data['isdigest'] for _, data in entries)
    return entries


def _mime_and_plain(entries):
    mime = [(m, d) for m, d in entries if m.is_multipart()]
    plain = [(m, d) for m, d in entries if not m.is_multipart()]
    assert len(mime) == 1 and len(plain) == 1, entries
    return mime[0], plain[0]


_JP_POST = b"""\
From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>
To: list@lists.example.com
Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?=
Message-ID: <jp@example.jp>
Date: Tue, 03 Sep 2024 09:00:00 +0900
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

\x1b$BF|K\\8l$NK\\J8\x1b(B
"""

_KOI8_POST = """\
From: =?koi8-r?b?8MXU0s/X?= <petrov@example.ru>
To: list@lists.example.com
Subject: =?koi8-r?b?8NLJ18XULCDNydI=?=
Message-ID: <ru@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: base64

""".encode() + base64.encodebytes('Текст письма\n'.encode('koi8-r'))


def test_todigest_collects_and_cron_sends(digest_list):
    mlist = digest_list
    mlist.digest_header = 'Header of %(real_name)s'
    mlist.digest_footer = 'Footer of %(real_name)s'
    first = post(mlist, subject='[Friends] First post',
                 extra='X-Secret: hidden\n', body='First body\n')
    ToDigest.process(mlist, first, {})
    ToDigest.process(mlist, parse(_JP_POST), {})
    ToDigest.process(mlist, parse(_KOI8_POST), {})
    mbox = ToDigest.digest_path(mlist)
    assert os.path.getsize(mbox) > 0
    assert _digests(mlist) == []            # threshold 0: nothing sent yet
    assert mlist.send_digest_now() is True
    assert not os.path.exists(mbox)
    assert mlist.next_digest_number == 2
    (mime, mdata), (plain, pdata) = _mime_and_plain(_digests(mlist))
    assert mdata['recips'] == ['mime@example.com']
    assert pdata['recips'] == ['plain@example.com']
    digestid = 'Friends Digest, Vol 1, Issue 1'
    for digest in (mime, plain):
        assert digest['subject'] == digestid
        assert digest['from'] == mlist.GetRequestEmail()
        assert digest['to'] == mlist.GetListEmail()
        assert digest['reply-to'] == mlist.GetListEmail()
        assert digest['message-id'] and digest['date']
        assert_valid_mime(digest)
    # MIME: masthead, header, contents, the posts, footer; signoff after.
    parts = mime.get_payload()
    assert [p.get_content_type() for p in parts] == [
        'text/plain', 'text/plain', 'text/plain', 'multipart/digest',
        'text/plain']
    masthead, header, toc, container, footer = parts
    assert masthead['content-description'] == digestid
    assert mlist.GetListEmail() in text_of(masthead)
    assert mlist.GetRequestEmail() in text_of(masthead)
    assert text_of(header).strip() == 'Header of Friends'
    assert header['content-description'] == 'Digest Header'
    assert toc['content-description'] == "Today's Topics (3 messages)"
    toctext = text_of(toc)
    assert toctext.startswith("Today's Topics:\n")
    assert '   1. First post (Alice Example)' in toctext
    assert '   2. 日本語の件名 (山田)' in toctext
    assert '   3. Привет, мир (Петров)' in toctext
    assert text_of(footer).strip() == 'Footer of Friends'
    assert mime.epilogue.strip() == f'End of {digestid}'
    posts = container.get_payload()
    assert [p.get_content_type() for p in posts] == ['message/rfc822'] * 3
    inner = [p.get_payload(0) for p in posts]
    assert inner[0]['x-secret'] is None and inner[0]['message'] == '1'
    assert inner[0]['subject'] == '[Friends] First post'
    assert inner[1].get_content_charset() == 'iso-2022-jp'
    assert text_of(inner[1]).strip() == '日本語の本文'
    assert text_of(inner[2]).strip() == 'Текст письма'
    assert all(set(k.lower() for k in p.keys()) <= {
        h.lower() for h in mm_cfg.MIME_DIGEST_KEEP_HEADERS
        + mm_cfg.PLAIN_DIGEST_KEEP_HEADERS} for p in inner)
    # RFC 1153.
    text = text_of(plain)
    assert text.startswith(text_of(masthead).rstrip('\n'))
    assert 'Header of Friends' in text
    assert "Today's Topics:" in text
    assert '\n' + '-' * 70 + '\n' in text
    assert text.count('\n' + '-' * 30 + '\n') == 4
    assert 'Message: 1\nDate: Mon, 02 Sep 2024 10:00:00 +0000\n' \
        'From: Alice Example <alice@example.org>\n' in text
    assert 'Subject: [Friends] First post' in text
    assert 'X-Secret' not in text and 'hidden' not in text
    assert '\nFirst body\n' in text
    assert 'Subject: 日本語の件名' in text and '日本語の本文' in text
    assert 'Subject: Привет, мир' in text and 'Текст письма' in text
    assert 'Subject: Digest Footer\n\nFooter of Friends\n' in text
    signoff = f'End of {digestid}'
    assert text.rstrip('\n').endswith(f'{signoff}\n' + '*' * len(signoff))
    assert text.index('Message: 1') < text.index('Message: 2') \
        < text.index('Message: 3') < text.index('Digest Footer')


def test_digest_keep_headers_settings(digest_list, monkeypatch):
    mlist = digest_list
    monkeypatch.setattr(mm_cfg, 'MIME_DIGEST_KEEP_HEADERS', ['From',
                                                              'X-Secret'])
    monkeypatch.setattr(mm_cfg, 'PLAIN_DIGEST_KEEP_HEADERS',
                        ['Message', 'X-Secret', 'Subject'])
    ToDigest.process(mlist, post(mlist, extra='X-Secret: shown\n'), {})
    mlist.send_digest_now()
    (mime, _), (plain, _) = _mime_and_plain(_digests(mlist))
    inner = mime.get_payload()[-2].get_payload(0).get_payload(0)
    assert sorted(inner.keys()) == ['From', 'Message', 'Subject', 'X-Secret']
    assert inner['date'] is None
    text = text_of(plain)
    assert 'Message: 1\nX-Secret: shown\nSubject: A post\n' in text
    assert 'Date:' not in text.split('-' * 70)[1]


def test_digest_no_header_or_footer(digest_list):
    mlist = digest_list
    mlist.digest_header = '  \n'
    mlist.digest_footer = ''
    ToDigest.process(mlist, post(mlist), {})
    mlist.send_digest_now()
    (mime, _), (plain, _) = _mime_and_plain(_digests(mlist))
    descriptions = [p['content-description'] for p in mime.get_payload()]
    assert 'Digest Header' not in descriptions
    assert 'Digest Footer' not in descriptions
    assert 'Digest Footer' not in text_of(plain)


def test_digest_attachment_not_in_plain_digest(digest_list):
    mlist = digest_list
    blob = base64.encodebytes(bytes(range(256)) * 4).decode()
    msg = parse(textwrap.dedent(f"""\
        From: alice@example.org
        To: {mlist.GetListEmail()}
        Subject: with attachment
        Date: Mon, 02 Sep 2024 10:00:00 +0000
        Message-ID: <attach@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b1"

        --b1
        Content-Type: text/plain; charset=utf-8

        See the attachment.
        --b1
        Content-Type: application/octet-stream; name="data.bin"
        Content-Disposition: attachment; filename="data.bin"
        Content-Transfer-Encoding: base64

        """) + blob + '\n--b1--\n')
    ToDigest.process(mlist, msg, {})
    mlist.send_digest_now()
    (mime, _), (plain, _) = _mime_and_plain(_digests(mlist))
    text = text_of(plain)
    assert 'See the attachment.' in text
    assert blob.splitlines()[0] not in text
    inner = mime.get_payload()[-2].get_payload(0).get_payload(0)
    assert inner.get_payload(1).get_payload(decode=True) == \
        bytes(range(256)) * 4


def test_digest_size_threshold_triggers(digest_list):
    mlist = digest_list
    mlist.digest_size_threshhold = 2            # KB
    ToDigest.process(mlist, post(mlist, body='short\n'), {})
    assert _digests(mlist) == []
    ToDigest.process(mlist, post(mlist, body='x' * 3000 + '\n'), {})
    entries = _digests(mlist)
    assert len(entries) == 2
    assert not os.path.exists(ToDigest.digest_path(mlist))
    (mime, _), _ = _mime_and_plain(entries)
    assert len(mime.get_payload()[-2].get_payload()) == 2


def test_digest_threshold_zero_never_triggers(digest_list):
    mlist = digest_list
    mlist.digest_size_threshhold = 0
    ToDigest.process(mlist, post(mlist, body='x' * 50000 + '\n'), {})
    assert _digests(mlist) == []
    assert os.path.exists(ToDigest.digest_path(mlist))


def test_todigest_skips(digest_list):
    mlist = digest_list
    ToDigest.process(mlist, post(mlist), {'isdigest': True})
    assert not os.path.exists(ToDigest.digest_path(mlist))
    mlist.digestable = 0
    ToDigest.process(mlist, post(mlist), {})
    assert not os.path.exists(ToDigest.digest_path(mlist))
    assert mlist.send_digest_now() is False
    assert _digests(mlist) == []


def test_digest_mbox_quotes_from_lines(digest_list):
    mlist = digest_list
    body = 'From the start\n>From quoted\nplain\n'
    ToDigest.process(mlist, post(mlist, body=body), {})
    ToDigest.process(mlist, post(mlist, subject='second'), {})
    messages = ToDigest.read_mbox(ToDigest.digest_path(mlist))
    assert len(messages) == 2
    assert messages[0].get_payload() == body
    assert messages[1]['subject'] == 'second'


def test_one_last_digest(digest_list):
    """Members who left digest mode get the pending digest once; members
    who left the list since do not; the list is cleared."""
    mlist = digest_list
    add(mlist, 'switcher@example.com', digest=True)
    add(mlist, 'gone@example.com', digest=True)
    mlist.setMemberOption('switcher@example.com', mm_cfg.Digests, 0)
    mlist.setMemberOption('gone@example.com', mm_cfg.Digests, 0)
    mlist.removeMember('gone@example.com')
    assert set(mlist.one_last_digest) == {'switcher@example.com',
                                          'gone@example.com'}
    ToDigest.process(mlist, post(mlist), {})
    mlist.send_digest_now()
    (mime, mdata), _ = _mime_and_plain(_digests(mlist))
    assert sorted(mdata['recips']) == ['mime@example.com',
                                       'switcher@example.com']
    assert mlist.one_last_digest == {}
    ToDigest.process(mlist, post(mlist), {})
    mlist.send_digest_now()
    (mime, mdata), _ = _mime_and_plain(_digests(mlist))
    assert mdata['recips'] == ['mime@example.com']


def _stamp(year, month, day):
    return time.mktime((year, month, day, 12, 0, 0, 0, 0, -1))


@pytest.mark.parametrize('frequency, last, now, bump', [
    (0, (2024, 12, 31), (2025, 1, 1), True),
    (0, (2024, 1, 1), (2024, 12, 31), False),
    (1, (2024, 3, 31), (2024, 4, 1), True),
    (1, (2024, 3, 1), (2024, 3, 31), False),
    (1, (2023, 3, 15), (2024, 3, 15), True),
    # Calendar quarters (2.1 compared month % 4 and got all these wrong
    # but the first).
    (2, (2024, 3, 31), (2024, 4, 1), True),
    (2, (2024, 1, 15), (2024, 3, 15), False),
    (2, (2024, 4, 1), (2024, 5, 1), False),
    (2, (2024, 4, 15), (2024, 8, 15), True),
    (2, (2024, 12, 31), (2025, 1, 1), True),
    (2, (2023, 2, 1), (2024, 2, 1), True),
    (3, (2024, 9, 2), (2024, 9, 8), False),      # Monday to Sunday
    (3, (2024, 9, 8), (2024, 9, 9), True),       # Sunday to Monday
    (3, (2023, 9, 8), (2024, 9, 8), True),
    (4, (2024, 9, 2), (2024, 9, 2), False),
    (4, (2024, 9, 2), (2024, 9, 3), True),
])
def test_volume_frequency(digest_list, frequency, last, now, bump):
    mlist = digest_list
    mlist.digest_volume_frequency = frequency
    mlist.digest_last_sent_at = _stamp(*last)
    mlist.volume = 7
    mlist.next_digest_number = 5
    ToDigest.process(mlist, post(mlist), {})
    assert ToDigest.send_digests(mlist, now=_stamp(*now))
    (mime, _), _ = _mime_and_plain(_digests(mlist))
    if bump:
        assert mime['subject'] == 'Friends Digest, Vol 8, Issue 1'
        assert (mlist.volume, mlist.next_digest_number) == (8, 2)
    else:
        assert mime['subject'] == 'Friends Digest, Vol 7, Issue 5'
        assert (mlist.volume, mlist.next_digest_number) == (7, 6)
    assert mlist.digest_last_sent_at == _stamp(*now)


def test_first_digest_never_bumps(digest_list):
    mlist = digest_list
    mlist.digest_last_sent_at = 0
    mlist.digest_volume_frequency = 4
    ToDigest.process(mlist, post(mlist), {})
    mlist.send_digest_now()
    assert (mlist.volume, mlist.next_digest_number) == (1, 2)
    _digests(mlist)


def test_bump_digest_volume(mlist):
    mlist.volume, mlist.next_digest_number = 3, 9
    mlist.bump_digest_volume()
    assert (mlist.volume, mlist.next_digest_number) == (4, 1)


def test_digest_utf8_list_language(digest_list):
    """A list whose language is Russian (UTF-8) with a Cyrillic footer."""
    mlist = digest_list
    mlist.preferred_language = 'ru'
    mlist.available_languages = ['en', 'ru']
    mlist.digest_footer = 'Рассылка %(real_name)s'
    ToDigest.process(mlist, parse(_KOI8_POST), {})
    mlist.send_digest_now()
    (mime, _), (plain, _) = _mime_and_plain(_digests(mlist))
    assert text_of(mime.get_payload()[-1]).strip() == 'Рассылка Friends'
    assert plain.get_content_charset() == 'utf-8'
    assert 'Рассылка Friends' in text_of(plain)


# ================================================================ ToArchive
def test_toarchive(mlist):
    ToArchive.process(mlist, post(mlist), {'tolist': 1})
    entries = queue_entries(mm_cfg.ARCHQUEUE_DIR, mlist.internal_name())
    assert len(entries) == 1 and entries[0][1]['tolist'] == 1
    for extra, data in (('X-No-Archive: yes\n', {}),
                        ('X-No-Archive: \n', {}),
                        ('X-Archive: No\n', {}), ('', {'isdigest': True})):
        ToArchive.process(mlist, post(mlist, extra=extra), data)
    mlist.archive = 0
    ToArchive.process(mlist, post(mlist), {})
    assert queue_entries(mm_cfg.ARCHQUEUE_DIR, mlist.internal_name()) == []
    mlist.archive = 1
    ToArchive.process(mlist, post(mlist, extra='X-Archive: yes\n'), {})
    assert len(queue_entries(mm_cfg.ARCHQUEUE_DIR,
                             mlist.internal_name())) == 1


# ================================================================ ToUsenet
def test_tousenet(mlist):
    name = mlist.internal_name()
    ToUsenet.process(mlist, post(mlist), {})
    assert queue_entries(mm_cfg.NEWSQUEUE_DIR, name) == []
    mlist.gateway_to_news = 1
    ToUsenet.process(mlist, post(mlist), {})
    assert queue_entries(mm_cfg.NEWSQUEUE_DIR, name) == []
    assert f'NNTP gateway of {name} improperly configured: no newsgroup, ' \
        'no NNTP host' in log_text('error')
    mlist.linked_newsgroup = 'comp.test'
    ToUsenet.process(mlist, post(mlist), {})
    assert queue_entries(mm_cfg.NEWSQUEUE_DIR, name) == []
    assert f'{name} improperly configured: no NNTP host' in log_text('error')
    mlist.nntp_host = 'news.example.com'
    ToUsenet.process(mlist, post(mlist), {'isdigest': True})
    ToUsenet.process(mlist, post(mlist), {'fromusenet': True})
    assert queue_entries(mm_cfg.NEWSQUEUE_DIR, name) == []
    ToUsenet.process(mlist, post(mlist, subject='to news'), {})
    [(msg, data)] = queue_entries(mm_cfg.NEWSQUEUE_DIR, name)
    assert msg['subject'] == 'to news'


# ================================================================ AfterDelivery
def test_afterdelivery(mlist):
    mlist.post_id = 7
    mlist.last_post_time = 0
    before = time.time()
    AfterDelivery.process(mlist, post(mlist), {})
    assert mlist.post_id == 8
    assert mlist.last_post_time >= before


# ================================================================ Acknowledge
def test_acknowledge(mlist):
    add(mlist, 'Alice@Example.org', options=[mm_cfg.AcknowledgePosts])
    add(mlist, 'bob@example.com')
    name = mlist.internal_name()
    Acknowledge.process(mlist, post(mlist, sender='bob@example.com'), {})
    Acknowledge.process(mlist, post(mlist, sender='stranger@example.net'),
                        {})
    assert queue_entries(mm_cfg.VIRGINQUEUE_DIR, name) == []
    msgdata = {'origsubj': '=?utf-8?q?Gr=C3=BC=C3=9Fe?='}
    Acknowledge.process(mlist, post(mlist), msgdata)
    [(ack, data)] = queue_entries(mm_cfg.VIRGINQUEUE_DIR, name)
    assert data['recips'] == ['Alice@Example.org']
    assert ack['to'] == 'Alice@Example.org'
    assert ack['from'] == mlist.GetBouncesEmail()
    assert ack['subject'] == f'{mlist.real_name} post acknowledgement'
    text = text_of(ack)
    assert '    Grüße\n' in text
    assert mlist.GetScriptURL('listinfo') in text
    assert mlist.GetOptionsURL('Alice@Example.org') in text
    # The original sender recorded by Cleanse wins over a rewritten From:.
    msg = post(mlist, sender='list@lists.example.com')
    Acknowledge.process(mlist, msg, {'original_sender': 'alice@example.org'})
    assert len(queue_entries(mm_cfg.VIRGINQUEUE_DIR, name)) == 1


# ================================================================ ToOutgoing
def _outgoing(mlist, msgdata):
    ToOutgoing.process(mlist, post(mlist), msgdata)
    [(msg, data)] = queue_entries(mm_cfg.OUTQUEUE_DIR, mlist.internal_name())
    return data


def test_tooutgoing_verp(mlist, monkeypatch):
    monkeypatch.setattr(mm_cfg, 'VERP_DELIVERY_INTERVAL', 0)
    monkeypatch.setattr(mm_cfg, 'VERP_PERSONALIZED_DELIVERIES', 0)
    data = _outgoing(mlist, {'recips': ['a@example.com'], 'tolist': 1})
    assert not data.get('verp') and data['recips'] == ['a@example.com']
    assert data['tolist'] == 1 and 'personalize' not in data
    monkeypatch.setattr(mm_cfg, 'VERP_DELIVERY_INTERVAL', 1)
    assert _outgoing(mlist, {})['verp']
    monkeypatch.setattr(mm_cfg, 'VERP_DELIVERY_INTERVAL', 3)
    mlist.post_id = 9
    assert _outgoing(mlist, {})['verp']
    mlist.post_id = 10
    assert not _outgoing(mlist, {})['verp']
    # An earlier decision stands.
    assert _outgoing(mlist, {'verp': 0})['verp'] == 0


def test_tooutgoing_personalize(mlist, monkeypatch):
    monkeypatch.setattr(mm_cfg, 'VERP_DELIVERY_INTERVAL', 1)
    mlist.personalize = 1
    monkeypatch.setattr(mm_cfg, 'VERP_PERSONALIZED_DELIVERIES', 0)
    data = _outgoing(mlist, {})
    assert data['personalize'] == 1 and not data.get('verp')
    monkeypatch.setattr(mm_cfg, 'VERP_PERSONALIZED_DELIVERIES', 1)
    mlist.personalize = 2
    data = _outgoing(mlist, {})
    assert data['personalize'] == 2 and data['verp']
    # OwnerRecips said no.
    assert _outgoing(mlist, {'personalize': False})['personalize'] is False


# ================================================================ OwnerRecips
def test_ownerrecips(mlist):
    mlist.owner = ['owner@example.com', 'second@example.com']
    mlist.moderator = ['mod@example.com', 'Owner@example.com']
    msgdata = {}
    OwnerRecips.process(mlist, post(mlist), msgdata)
    assert msgdata['recips'] == ['owner@example.com', 'second@example.com',
                                 'mod@example.com']
    assert msgdata['nodecorate'] and msgdata['personalize'] is False


# ================================================================ FileRecips
def test_filerecips(mlist):
    add(mlist, 'alice@example.org', options=[mm_cfg.DontReceiveOwnPosts])
    msgdata = {}
    FileRecips.process(mlist, post(mlist), msgdata)
    assert msgdata['recips'] == []
    with open(os.path.join(mlist.fullpath(), 'members.txt'), 'w') as f:
        f.write('# the file list\nx@example.com y@example.com\n'
                'alice@example.org\n\nz@example.com\n')
    msgdata = {}
    FileRecips.process(mlist, post(mlist), msgdata)
    assert msgdata['recips'] == ['x@example.com', 'y@example.com',
                                 'z@example.com']
    mlist.setMemberOption('alice@example.org', mm_cfg.DontReceiveOwnPosts, 0)
    msgdata = {}
    FileRecips.process(mlist, post(mlist), msgdata)
    assert 'alice@example.org' in msgdata['recips']
    msgdata = {'recips': ['keep@example.com']}
    FileRecips.process(mlist, post(mlist), msgdata)
    assert msgdata['recips'] == ['keep@example.com']


# ================================================================ Decorate
@pytest.fixture
def deco_list(make_list):
    return make_list(msg_header='Header for %(real_name)s\n',
                     msg_footer='-- \nFooter for %(real_name)s '
                                '(%(list_name)s@%(host_name)s)\n',
                     real_name='Deco')


def _footer(mlist):
    return f'-- \nFooter for Deco ({mlist.internal_name()}@lists.example.com)\n'


def test_decorate_plain_ascii(deco_list):
    msg = post(deco_list, body='Hello.\n')
    Decorate.process(deco_list, msg, {})
    out = assert_valid_mime(msg)
    assert text_of(out) == 'Header for Deco\nHello.\n' + _footer(deco_list)
    assert out.get_content_type() == 'text/plain'


def test_decorate_skips(deco_list):
    for msgdata in ({'isdigest': True}, {'nodecorate': True}):
        msg = post(deco_list)
        before = msg.as_bytes()
        Decorate.process(deco_list, msg, msgdata)
        assert msg.as_bytes() == before
    deco_list.msg_header = ''
    deco_list.msg_footer = ' \n'
    msg = post(deco_list)
    before = msg.as_bytes()
    Decorate.process(deco_list, msg, {})
    assert msg.as_bytes() == before


def test_decorate_header_only_and_footer_only(deco_list):
    deco_list.msg_footer = ''
    msg = post(deco_list, body='Body\n')
    Decorate.process(deco_list, msg, {})
    assert text_of(msg) == 'Header for Deco\nBody\n'
    deco_list.msg_header = ''
    deco_list.msg_footer = 'Bye'
    msg = post(deco_list, body='Body without newline')
    Decorate.process(deco_list, msg, {})
    assert text_of(msg) == 'Body without newline\nBye\n'


_CHARSET_BODIES = [
    # charset, transfer encoding, text
    ('utf-8', '8bit', 'Grüße aus Köln — 日本\n'),
    ('utf-8', 'base64', 'Grüße aus Köln — 日本\n'),
    ('iso-8859-1', 'quoted-printable', 'Grüße aus München\n'),
    ('iso-2022-jp', '7bit', '日本語の本文です\n'),
    ('koi8-r', 'base64', 'Текст письма\n'),
    ('koi8-r', '8bit', 'Текст письма\n'),
]


def _encoded_post(mlist, charset, cte, text, extra_type=''):
    data = text.encode(charset)
    if cte == 'base64':
        body = base64.encodebytes(data)
    elif cte == 'quoted-printable':
        import quopri
        body = quopri.encodestring(data)
    else:
        body = data
    head = (f'From: alice@example.org\nTo: {mlist.GetListEmail()}\n'
            'Subject: charsets\nMIME-Version: 1.0\n'
            f'Content-Type: text/plain; charset="{charset}"{extra_type}\n'
            f'Content-Transfer-Encoding: {cte}\n\n')
    return parse(head.encode('ascii') + body)


@pytest.mark.parametrize('charset, cte, text', _CHARSET_BODIES)
def test_decorate_keeps_charset_and_encoding(deco_list, charset, cte, text):
    """ASCII header and footer go into the text in the message's own
    charset and transfer encoding."""
    msg = _encoded_post(deco_list, charset, cte, text)
    Decorate.process(deco_list, msg, {})
    out = assert_valid_mime(msg)
    assert out.get_content_type() == 'text/plain'
    assert out.get_content_charset() == charset
    assert out['content-transfer-encoding'] == cte
    assert text_of(out) == 'Header for Deco\n' + text + _footer(deco_list)


@pytest.mark.parametrize('charset, cte, text', _CHARSET_BODIES)
def test_decorate_reencodes_when_needed(deco_list, charset, cte, text):
    """A footer the message's charset cannot hold (Cyrillic and accents
    together): the text is re-encoded as UTF-8 unless it fits."""
    deco_list.msg_footer = 'Рассылка для всех — café\n'
    msg = _encoded_post(deco_list, charset, cte, text)
    Decorate.process(deco_list, msg, {})
    out = assert_valid_mime(msg)
    assert out.get_content_type() == 'text/plain'
    assert out.get_content_charset() == 'utf-8'
    assert text_of(out) == 'Header for Deco\n' + text + \
        'Рассылка для всех — café\n'


def test_decorate_ascii_message_non_ascii_footer(deco_list):
    deco_list.msg_footer = 'Liste für %(real_name)s\n'
    msg = post(deco_list, body='plain ascii\n')
    Decorate.process(deco_list, msg, {})
    out = assert_valid_mime(msg)
    assert out.get_content_charset() == 'utf-8'
    assert text_of(out).endswith('plain ascii\nListe für Deco\n')
    # With a Latin-1 list language the footer's charset is that one.
    deco_list.preferred_language = 'de'
    msg = post(deco_list, body='plain ascii\n')
    Decorate.process(deco_list, msg, {})
    out = assert_valid_mime(msg)
    assert out.get_content_charset() == 'iso-8859-1'
    assert text_of(out).endswith('Liste für Deco\n')


def test_decorate_keeps_format_flowed(deco_list):
    msg = _encoded_post(deco_list, 'utf-8', '8bit', 'Flowed text \nhere\n',
                        extra_type='; format=flowed; delsp=yes')
    Decorate.process(deco_list, msg, {})
    out = assert_valid_mime(msg)
    assert out.get_param('format') == 'flowed'
    assert out.get_param('delsp') == 'yes'


def test_decorate_undecodable_body_is_wrapped(deco_list):
    """A body that is not what its charset says (or an unknown charset) is
    not touched: header and footer become separate parts."""
    raw = (f'From: a@example.org\nTo: {deco_list.GetListEmail()}\n'
           'Subject: x\nMIME-Version: 1.0\n'
           'Content-Type: text/plain; charset=us-ascii\n'
           'Content-Transfer-Encoding: 8bit\n\n').encode() + \
        b'caf\xe9 \xff\xfe\n'
    for data in (raw, raw.replace(b'us-ascii', b'x-no-such-charset')):
        msg = parse(data)
        Decorate.process(deco_list, msg, {})
        out = reparse(msg)
        assert all(not part.defects for part in out.walk())
        assert out.get_content_type() == 'multipart/mixed'
        header, inner, footer = out.get_payload()
        assert text_of(header) == 'Header for Deco\n'
        assert text_of(footer) == _footer(deco_list)
        assert inner.get_payload(decode=True) == b'caf\xe9 \xff\xfe\n'


def test_decorate_multipart_mixed(deco_list):
    msg = parse(f"""\
        From: a@example.org
        To: {deco_list.GetListEmail()}
        Subject: mixed
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b1"

        preamble
        --b1
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit

        Grüße
        --b1
        Content-Type: image/png
        Content-Transfer-Encoding: base64

        iVBORw0KGgo=
        --b1--
        """)
    Decorate.process(deco_list, msg, {})
    out = assert_valid_mime(msg)
    parts = out.get_payload()
    assert [p.get_content_type() for p in parts] == [
        'text/plain', 'text/plain', 'image/png', 'text/plain']
    assert text_of(parts[0]) == 'Header for Deco\n'
    assert text_of(parts[1]).strip() == 'Grüße'
    assert text_of(parts[3]) == _footer(deco_list)
    assert parts[0]['content-disposition'] == 'inline'
    assert parts[2].get_payload(decode=True) == b'\x89PNG\r\n\x1a\n'


def test_decorate_multipart_alternative_is_wrapped(deco_list):
    msg = parse(f"""\
        From: a@example.org
        To: {deco_list.GetListEmail()}
        Subject: alt
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="alt"

        --alt
        Content-Type: text/plain; charset=koi8-r
        Content-Transfer-Encoding: base64

        {base64.b64encode('Привет'.encode('koi8-r')).decode()}
        --alt
        Content-Type: text/html; charset=utf-8

        <p>Привет</p>
        --alt--
        """)
    Decorate.process(deco_list, msg, {})
    out = assert_valid_mime(msg)
    assert out.get_content_type() == 'multipart/mixed'
    header, alternative, footer = out.get_payload()
    assert alternative.get_content_type() == 'multipart/alternative'
    plain, html = alternative.get_payload()
    assert text_of(plain) == 'Привет'
    assert text_of(html).strip() == '<p>Привет</p>'
    assert text_of(footer) == _footer(deco_list)
    assert out['mime-version'] == '1.0'
    assert out['subject'] == 'alt'


def test_decorate_html_and_attachment_are_wrapped(deco_list):
    for ctype, disposition in (('text/html', ''),
                               ('text/plain', 'Content-Disposition: '
                                'attachment; filename="notes.txt"\n')):
        msg = parse(f'From: a@example.org\nSubject: x\nMIME-Version: 1.0\n'
                    f'Content-Type: {ctype}; charset=utf-8\n{disposition}\n'
                    'content\n')
        Decorate.process(deco_list, msg, {})
        out = assert_valid_mime(msg)
        header, inner, footer = out.get_payload()
        assert inner.get_content_type() == ctype
        assert text_of(inner) == 'content\n'
        if disposition:
            assert inner.get_filename() == 'notes.txt'


_SIGNED_MSG = (
    b'From: alice@example.org\r\n'
    b'To: list@lists.example.com\r\n'
    b'Subject: signed\r\n'
    b'MIME-Version: 1.0\r\n'
    b'Content-Type: multipart/signed; micalg=pgp-sha256;\r\n'
    b' protocol="application/pgp-signature"; boundary="sig42"\r\n'
    b'\r\n'
    b'This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n'
    b'--sig42\r\n'
    b'Content-Type: text/plain; charset=utf-8;\r\n'
    b'\tformat=flowed;   delsp=no; x-long-parameter-to-make-the-line-longer-'
    b'than-seventy-eight=1\r\n'
    b'Content-Transfer-Encoding: quoted-printable\r\n'
    b'\r\n'
    b'Sign=C3=A9d text.  \r\n'
    b'From the heart.\r\n'
    b'\r\n'
    b'--sig42\r\n'
    b'Content-Type: application/pgp-signature; name="signature.asc"\r\n'
    b'\r\n'
    b'-----BEGIN PGP SIGNATURE-----\r\n'
    b'\r\n'
    b'iQEzBAEBCAAdFiEEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n'
    b'-----END PGP SIGNATURE-----\r\n'
    b'\r\n'
    b'--sig42--\r\n')


def _signed_content(data):
    """The bytes the signature covers (RFC 3156: the first part, CRLF
    line ends)."""
    data = data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    start = data.index(b'--sig42\r\n') + len(b'--sig42\r\n')
    end = data.index(b'\r\n--sig42\r\n', start)
    return data[start:end]


def test_decorate_multipart_signed_signature_intact(deco_list):
    """Header and footer go outside the signed part; the signed content is
    byte for byte what the poster signed."""
    msg = parse(_SIGNED_MSG)
    Decorate.process(deco_list, msg, {})
    out = assert_valid_mime(msg)
    assert out.get_content_type() == 'multipart/mixed'
    header, signed, footer = out.get_payload()
    assert signed.get_content_type() == 'multipart/signed'
    assert signed.get_param('protocol') == 'application/pgp-signature'
    assert _signed_content(msg.as_bytes()) == _signed_content(_SIGNED_MSG)
    assert text_of(footer) == _footer(deco_list)


def test_decorate_substitutions(deco_list):
    deco_list.description = 'About things'
    deco_list.info = 'Some info'
    deco_list.msg_header = ''
    deco_list.msg_footer = (
        '%(real_name)s|%(list_name)s|%(_internal_name)s|%(host_name)s|'
        '%(web_page_url)s|%(description)s|%(info)s|%(cgiext)s|'
        '%(password)s|%(user_address)s|%(unknown')
    msg = post(deco_list, body='x\n')
    Decorate.process(deco_list, msg, {})
    name = deco_list.internal_name()
    # A broken template is used as it is (and logged).
    assert text_of(msg).endswith(deco_list.msg_footer + '\n')
    assert 'cannot interpolate the non-digest footer' in log_text('error')
    deco_list.msg_footer = deco_list.msg_footer[:-len('|%(unknown')]
    msg = post(deco_list, body='x\n')
    Decorate.process(deco_list, msg, {})
    assert text_of(msg) == (
        f'x\nDeco|{name}|{name}|lists.example.com|'
        f'http://www.example.com/mailman/|About things|Some info|'
        f'{mm_cfg.CGIEXT}|%(password)s|%(user_address)s\n')


def test_decorate_trailing_spaces(deco_list):
    deco_list.msg_header = ''
    deco_list.msg_footer = '-- \nline with spaces   \n%(description)s  '
    msg = post(deco_list, body='x\n')
    Decorate.process(deco_list, msg, {})
    assert text_of(msg) == 'x\n-- \nline with spaces\n\n'


def test_decorate_personalized(deco_list):
    add(deco_list, 'Bob.Member@Example.com', realname='Bøb Member',
        language='en')
    deco_list.msg_header = ''
    deco_list.msg_footer = (
        'To %(user_name)s <%(user_address)s> delivered to '
        '%(user_delivered_to)s (%(user_language)s)\n'
        'Options: %(user_optionsurl)s\nPassword: %(user_password)s\n')
    msg = post(deco_list, body='x\n')
    Decorate.process(deco_list, msg, {'personalize': 1,
                                      'recips': ['Bob.Member@Example.com']})
    out = assert_valid_mime(msg)
    text = text_of(out)
    assert 'To Bøb Member <bob.member@example.com> delivered to ' \
        'Bob.Member@Example.com (en)\n' in text
    assert f'Options: {deco_list.GetOptionsURL("bob.member@example.com")}' \
        in text
    # Passwords are hashes: never shown.
    stored = deco_list.getMemberPassword('bob.member@example.com') or '$'
    assert stored not in text and 'Password: (hidden' in text
    # Without personalisation the user_* names stay as they are.
    msg = post(deco_list, body='x\n')
    Decorate.process(deco_list, msg, {'recips': ['Bob.Member@Example.com']})
    assert '%(user_name)s' in text_of(msg)
    # A non-member recipient gets the address only.
    msg = post(deco_list, body='x\n')
    Decorate.process(deco_list, msg, {'personalize': 1,
                                      'recips': ['guest@example.net']})
    assert '<guest@example.net>' in text_of(msg)
    assert '%(user_name)s' in text_of(msg)


def test_decorate_decoration_data(deco_list):
    deco_list.msg_header = ''
    deco_list.msg_footer = 'Note: %(note)s\n'
    msg = post(deco_list, body='x\n')
    Decorate.process(deco_list, msg, {'decoration-data': {'note': 'hi'}})
    assert text_of(msg) == 'x\nNote: hi\n'


def test_decorate_dollar_strings(deco_list):
    deco_list.use_dollar_strings = 1
    deco_list.msg_header = ''
    deco_list.msg_footer = 'List $real_name at ${host_name}\n'
    msg = post(deco_list, body='x\n')
    Decorate.process(deco_list, msg, {})
    assert text_of(msg) == 'x\nList Deco at lists.example.com\n'


# ================================================================ the whole delivery half
def test_pipeline_tail_keeps_original_headers_for_digest_and_archive(
        make_list, monkeypatch):
    """From: munging and Cc: dropping happen after the digest, archive and
    news copies are taken (WrapMessage), as in 2.1."""
    monkeypatch.setattr(mm_cfg, 'REMOVE_DKIM_HEADERS', 1)
    monkeypatch.setattr(mm_cfg, 'VERP_DELIVERY_INTERVAL', 0)
    mlist = make_list(from_is_list=1, subject_prefix='[P] ',
                      digest_size_threshhold=0, gateway_to_news=1,
                      linked_newsgroup='comp.p', nntp_host='news.example.com')
    add(mlist, 'alice@example.org', options=[mm_cfg.AcknowledgePosts])
    add(mlist, 'bob@example.com', options=[mm_cfg.DontReceiveDuplicates])
    add(mlist, 'dig@example.com', digest=True)
    msg = post(mlist, subject='Hello', extra=textwrap.dedent("""\
        Cc: bob@example.com, carol@example.net
        Approved: admin-secret
        DKIM-Signature: v=1; d=example.org; b=AAAA
        """))
    msgdata = {'tolist': 1}
    for handler in (CalcRecips, AvoidDuplicates, Cleanse, CleanseDKIM,
                    CookHeaders, ToDigest, ToArchive, ToUsenet,
                    AfterDelivery, Acknowledge, WrapMessage, ToOutgoing):
        handler.process(mlist, msg, msgdata)
    name = mlist.internal_name()
    [(out, data)] = queue_entries(mm_cfg.OUTQUEUE_DIR, name)
    assert sorted(data['recips']) == ['alice@example.org']
    assert out['from'] == f'Alice Example via {mlist.real_name} ' \
        f'<{mlist.GetListEmail()}>'
    assert out['cc'] == 'carol@example.net'
    assert out['subject'] == '[P] Hello'
    assert out['approved'] is None and out['dkim-signature'] is None
    [(archived, _)] = queue_entries(mm_cfg.ARCHQUEUE_DIR, name)
    [(news, _)] = queue_entries(mm_cfg.NEWSQUEUE_DIR, name)
    for kept in (archived, news):
        assert kept['from'] == 'Alice Example <alice@example.org>'
        assert kept['cc'] == 'bob@example.com, carol@example.net'
        assert kept['subject'] == '[P] Hello'
    [digested] = ToDigest.read_mbox(ToDigest.digest_path(mlist))
    assert digested['from'] == 'Alice Example <alice@example.org>'
    [(ack, _)] = queue_entries(mm_cfg.VIRGINQUEUE_DIR, name)
    assert '    Hello\n' in text_of(ack)
    assert mlist.post_id == 2


def test_decorate_utf16_body_becomes_utf8(deco_list):
    """UTF-16 is no charset for mail text: the decorated text goes out as
    UTF-8."""
    msg = _encoded_post(deco_list, 'utf-16', 'base64', 'Grüße\n')
    Decorate.process(deco_list, msg, {})
    out = assert_valid_mime(msg)
    assert out.get_content_charset() == 'utf-8'
    assert text_of(out) == 'Header for Deco\nGrüße\n' + _footer(deco_list)


_MALFORMED = [
    b'',
    b'Subject: =?bogus-charset?q?x=F0?= =?utf-8?b?!!!?=\nFrom: \xff\xfe <>\n'
    b'Cc: ,,,@@\nTo: <>\n\n\xff\xfe body',
    b'From: b@example.com\nSubject: \xe4\xbd\xa0\xe5\xa5\xbd raw\n'
    b'Content-Type: multipart/mixed\n\nno boundary here\n',
    b'From: "Weird, Name" <b@example.com>\n'
    b'Reply-To: =?utf-8?q?a=2C_b?= <r@x.org>, bad address\n'
    b'Subject: =?iso-2022-jp?b?GyRCRnxLXBsoQg?=\n'
    b'Content-Type: text/plain; charset=iso-2022-jp\n'
    b'Content-Transfer-Encoding: base64\n\n!!!notbase64\n',
    b'From: b@example.com\nSubject: x\nContent-Type: message/rfc822\n\n'
    b'From: inner\n\nbody\n',
    b'From: b@example.com\nSubject: ' + b'long ' * 400 +
    b'\nContent-Type: text/plain; charset=unknown-8bit\n\n\x80\x81\n',
]


@pytest.mark.parametrize('from_is_list', [0, 1, 2])
def test_malformed_messages_pass_through(make_list, from_is_list):
    """Broken headers, encodings and structures never make the delivery
    handlers fail; the result can still be serialised."""
    mlist = make_list(from_is_list=from_is_list, digest_size_threshhold=0,
                      msg_header='Hdr é %(real_name)s\n')
    add(mlist, 'b@example.com', options=[mm_cfg.AcknowledgePosts])
    add(mlist, 'd@example.com', digest=True)
    for raw in _MALFORMED:
        msg = parse(raw)
        msgdata = {'tolist': 1}
        for handler in (CalcRecips, AvoidDuplicates, Cleanse, CleanseDKIM,
                        CookHeaders, ToDigest, ToArchive, ToUsenet,
                        AfterDelivery, Acknowledge, WrapMessage, ToOutgoing):
            handler.process(mlist, msg, msgdata)
        Decorate.process(mlist, msg, {'personalize': 1,
                                      'recips': ['b@example.com']})
        assert msg.as_bytes()
    assert mlist.send_digest_now()
    name = mlist.internal_name()
    entries = queue_entries(mm_cfg.VIRGINQUEUE_DIR, name)
    [mime] = [m for m, data in entries if data.get('isdigest')]
    assert len(mime.get_payload()[-2].get_payload()) == len(_MALFORMED)
    for queue in (mm_cfg.OUTQUEUE_DIR, mm_cfg.ARCHQUEUE_DIR):
        queue_entries(queue, name)


def test_digest_toc_wraps_long_subjects(digest_list):
    mlist = digest_list
    subject = ('[Friends] A rather long subject line that will certainly '
               'need wrapping in the table of contents')
    ToDigest.process(mlist, post(mlist, subject=subject), {})
    mlist.send_digest_now()
    (mime, _), _ = _mime_and_plain(_digests(mlist))
    lines = text_of(mime.get_payload()[1]).splitlines()
    assert lines[2:4] == [
        '   1. A rather long subject line that will certainly need wrapping',
        '      in the table of contents (Alice Example)']
    assert all(len(line) <= 72 for line in lines)
