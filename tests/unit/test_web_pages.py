"""The public web pages, in process: listinfo (overview and list page),
subscribe and confirm, called as the driver calls them, with a CGI
environment and a byte stream, and their answers parsed."""

import html.parser
import io
import re
import time
import urllib.parse
import uuid

import pytest

from webhelp import (SCRIPT, Response, call, drain_virgin,  # noqa: F401
                     lists, make_list, reload, unique_remote)


def token(mlist, remote, age=10):
    from Mailman.Cgi import Page
    return Page.make_subscribe_token(mlist.internal_name(), remote,
                                     now=time.time() - age)


def subscribe(mlist, address, remote, tok='default', **extra):
    form = {'email': address, 'fullname': 'Web Person', 'pw': 'pw-12345',
            'pw-conf': 'pw-12345', 'digest': '0', 'language': 'en',
            'email-button': 'Subscribe'}
    if tok == 'default':
        tok = token(mlist, remote)
    if tok is not None:
        form['sub_form_token'] = tok
    form.update(extra)
    return call('subscribe', '/' + mlist.internal_name(), 'POST', form,
                remote=remote)


# ---------------------------------------------------------------- listinfo
def test_overview_lists_advertised_lists_of_this_host(lists):
    shown = lists(description='Shown here')
    hidden = lists(advertised=0)
    other = lists(web_page_url='http://other.example.net/mailman/')
    r = call('listinfo')
    assert r.status == 200
    assert shown.internal_name() in r.text and 'Shown here' in r.text
    assert hidden.internal_name() not in r.text
    assert other.internal_name() not in r.text
    r = call('listinfo', host='other.example.net:8080')
    assert other.internal_name() in r.text
    assert shown.internal_name() not in r.text


def test_overview_without_host_filter(lists, monkeypatch):
    from Mailman import mm_cfg
    monkeypatch.setattr(mm_cfg, 'VIRTUAL_HOST_OVERVIEW', 0)
    other = lists(web_page_url='http://other.example.net/mailman/')
    assert other.internal_name() in call('listinfo').text


def test_listinfo_page_has_form_and_token(lists):
    from Mailman.Cgi import Page
    m = lists(description='About things', info='Long text')
    r = call('listinfo', '/' + m.internal_name(), remote='192.0.2.77')
    assert r.status == 200
    assert r.headers['content-type'] == 'text/html; charset=utf-8'
    assert r.headers['x-content-type-options'] == 'nosniff'
    assert r.headers['x-frame-options'] == 'DENY'
    assert r.headers['referrer-policy'] == 'same-origin'
    assert 'About things' in r.text and 'Long text' in r.text
    assert m.GetListEmail() in r.text
    forms = [a for t, a in r.parser.tags if t == 'form']
    assert any(a['action'] == m.GetScriptURL('subscribe', 1) for a in forms)
    tok = r.hidden('sub_form_token')
    assert tok
    assert Page.check_subscribe_token(tok, m.internal_name(), '192.0.2.77',
                                      now=time.time() + 10) == 'ok'
    # Bound to the list and the client network.
    assert Page.check_subscribe_token(tok, 'otherlist', '192.0.2.77',
                                      now=time.time() + 10) == 'bad'
    assert Page.check_subscribe_token(tok, m.internal_name(), '203.0.113.5',
                                      now=time.time() + 10) == 'bad'
    assert not re.search(r'<mm-', r.text, re.I)


def test_script_in_list_values_is_inert_everywhere(lists):
    m = lists(description=SCRIPT, info=SCRIPT)
    pages = [call('listinfo', '/' + m.internal_name()), call('listinfo')]
    remote = unique_remote()
    pages.append(subscribe(m, f'x{SCRIPT}@example.org', remote))
    pages.append(subscribe(m, 'ok@example.org', remote))
    cookie = [re.search(r'[0-9a-f]{40}', str(msg['subject'])).group(0)
              for msg, data in drain_virgin()][0]
    pages.append(call('confirm', f'/{m.internal_name()}/{cookie}'))
    for r in pages:
        assert '<script' not in r.text.lower()
    assert '&lt;script&gt;' in pages[0].text


def test_script_in_real_name_is_escaped(lists):
    from Mailman.MailList import MailList
    m = lists()
    locked = MailList(m.internal_name())
    try:
        locked.real_name = SCRIPT
        locked.Save()
    finally:
        locked.Unlock()
    r = call('listinfo', '/' + m.internal_name())
    assert '<script' not in r.text.lower() and '&lt;script&gt;' in r.text


@pytest.mark.parametrize('page', ['listinfo', 'subscribe', 'confirm'])
def test_unknown_list_is_404_and_escaped(page):
    r = call(page, '/' + '"><img src=x onerror=alert(1)>')
    assert r.status == 404
    assert '<img' not in r.text
    assert 'onerror' not in [k for t, a in r.parser.tags for k in a]
    name = 'nosuchlist-' + uuid.uuid4().hex[:6]
    r = call(page, '/' + name)
    assert r.status == 404
    # Attacker text is not echoed at all, escaped or not.
    assert name not in r.text


# ---------------------------------------------------------------- subscribe
def test_subscribe_with_valid_token_sends_confirmation(lists):
    m = lists()
    r = subscribe(m, 'Web.User@Example.org', unique_remote())
    assert r.status == 200
    assert 'confirm' in r.plain.lower()
    found = drain_virgin()
    assert len(found) == 1
    msg, data = found[0]
    assert [a.lower() for a in data['recips']] == ['web.user@example.org']
    cookie = re.search(r'[0-9a-f]{40}', str(msg['subject'])).group(0)
    assert not reload(m).isMember('web.user@example.org')
    # The cookie is the one the confirm page knows.
    r = call('confirm', f'/{m.internal_name()}/{cookie}')
    assert 'Web.User@example.org' in r.plain


@pytest.mark.parametrize('kind', ['missing', 'forged', 'expired', 'too-fast',
                                  'other-client'])
def test_bad_tokens_subscribe_nobody(lists, kind):
    from Mailman import mm_cfg
    m = lists()
    remote = unique_remote()
    tok = {'missing': None,
           'forged': token(m, remote)[:-4] + '0000',
           'expired': token(m, remote, age=mm_cfg.FORM_LIFETIME + 60),
           'too-fast': token(m, remote, age=0),
           'other-client': token(m, '203.0.113.9')}[kind]
    r = subscribe(m, 'victim@example.org', remote, tok=tok)
    assert r.status == 200
    assert 'form' in r.plain.lower()
    assert drain_virgin() == []
    assert not reload(m).isMember('victim@example.org')


def test_mismatched_passwords_refused(lists):
    m = lists()
    r = subscribe(m, 'p@example.org', unique_remote(), **{'pw-conf': 'other'})
    assert 'passwords' in r.plain and drain_virgin() == []


def test_rate_limit_refuses_a_burst(lists, monkeypatch):
    from Mailman import mm_cfg
    monkeypatch.setattr(mm_cfg, 'WEB_SUBSCRIBE_RATE_LIMIT', 3, raising=False)
    m = lists()
    remote = unique_remote()
    answers = [subscribe(m, f'burst{i}@example.org', remote)
               for i in range(5)]
    assert [r.status for r in answers] == [200, 200, 200, 429, 429]
    assert 'Too many' in answers[-1].plain
    assert len(drain_virgin()) == 3
    # Another client is not affected.
    assert subscribe(m, 'calm@example.org', unique_remote()).status == 200


def test_private_roster_hides_membership(lists):
    from Mailman.MailList import MailList
    from Mailman.UserDesc import UserDesc
    m = lists(private_roster=1)
    locked = MailList(m.internal_name())
    try:
        locked.ApprovedAddMember(UserDesc('member@example.org', '', None,
                                          False, 'en'), ack=False,
                                 admin_notif=False)
        locked.Save()
    finally:
        locked.Unlock()
    drain_virgin()
    member = subscribe(m, 'member@example.org', unique_remote())
    stranger = subscribe(m, 'stranger@example.org', unique_remote())
    normalise = lambda r: r.text.replace('member@example.org', 'X').replace(
        'stranger@example.org', 'X')
    assert member.status == stranger.status == 200
    assert normalise(member) == normalise(stranger)
    assert 'already' not in member.plain.lower()
    # The member is told of the attempt by mail (not the visitor).
    mails = {tuple(data['recips']): msg for msg, data in drain_virgin()}
    assert 'privacy' in str(mails[('member@example.org',)]['subject']).lower()
    assert ('stranger@example.org',) in mails
    # Without a private roster the member is told.
    public = lists(private_roster=0)
    r = subscribe(public, 'member@example.org', unique_remote())
    assert 'confirm' in r.plain.lower()
    assert 'already' not in r.plain.lower()


def test_site_secret_file_is_private(lists):
    import os
    import stat
    from Mailman import mm_cfg
    from Mailman.Cgi import Page
    Page.site_secret()
    path = os.path.join(mm_cfg.DATA_DIR, Page.SECRET_FILE_NAME)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_configured_secret_is_used(lists, monkeypatch):
    from Mailman import mm_cfg
    from Mailman.Cgi import Page
    m = lists()
    tok = token(m, '192.0.2.1')
    monkeypatch.setattr(mm_cfg, 'SUBSCRIBE_FORM_SECRET', 'another secret')
    assert Page.check_subscribe_token(tok, m.internal_name(),
                                      '192.0.2.1') == 'bad'


# ---------------------------------------------------------------- confirm
def _pending_cookie(m, address):
    subscribe(m, address, unique_remote())
    (msg, data), = drain_virgin()
    return re.search(r'[0-9a-f]{40}', str(msg['subject'])).group(0)


def test_confirm_get_then_post_subscribes(lists):
    m = lists()
    cookie = _pending_cookie(m, 'joiner@example.org')
    r = call('confirm', f'/{m.internal_name()}/{cookie}')
    assert r.status == 200 and 'joiner@example.org' in r.plain
    tok = r.hidden('confirm_token')
    assert tok
    assert not reload(m).isMember('joiner@example.org')
    r = call('confirm', f'/{m.internal_name()}/{cookie}', 'POST',
             {'cookie': cookie, 'confirm_token': tok, 'submit': 'Confirm'})
    assert r.status == 200 and 'now subscribed' in r.plain
    assert reload(m).isMember('joiner@example.org')
    # Used once only.
    r = call('confirm', f'/{m.internal_name()}/{cookie}')
    assert r.status == 404 and 'not valid' in r.plain


def test_confirm_post_with_forged_token_does_nothing(lists):
    m = lists()
    cookie = _pending_cookie(m, 'victim2@example.org')
    for tok in ('', '0' * 64, call('confirm', f'/{m.internal_name()}/{cookie}')
                .hidden('confirm_token')[:-1] + 'x'):
        r = call('confirm', f'/{m.internal_name()}/{cookie}', 'POST',
                 {'cookie': cookie, 'confirm_token': tok})
        assert r.status == 403
    assert not reload(m).isMember('victim2@example.org')


def test_confirm_unknown_cookie(lists):
    m = lists()
    r = call('confirm', f'/{m.internal_name()}/{"a" * 40}')
    assert r.status == 404 and 'not valid' in r.plain
    r = call('confirm', f'/{m.internal_name()}/<b>junk')
    assert r.status == 404 and '<b>' not in r.text


def test_confirm_invitation(lists):
    from Mailman.MailList import MailList
    from Mailman.UserDesc import UserDesc
    m = lists()
    locked = MailList(m.internal_name())
    try:
        locked.InviteNewMember(UserDesc('guest@example.org', 'Guest', None,
                                        False, 'en'))
        locked.Save()
    finally:
        locked.Unlock()
    (msg, data), = drain_virgin()
    cookie = re.search(r'[0-9a-f]{40}', str(msg['subject']) + str(
        msg.get_payload())).group(0)
    r = call('confirm', f'/{m.internal_name()}/{cookie}')
    assert 'invited' in r.plain
    r = call('confirm', f'/{m.internal_name()}/{cookie}', 'POST',
             {'confirm_token': r.hidden('confirm_token')})
    assert reload(m).isMember('guest@example.org')


# ---------------------------------------------------------------- machinery
def test_driver_runs_the_pages(lists):
    from Mailman.Cgi import driver
    m = lists()
    out = io.BytesIO()
    driver.main('listinfo', {'REQUEST_METHOD': 'GET',
                             'PATH_INFO': '/' + m.internal_name(),
                             'REMOTE_ADDR': '192.0.2.3'}, out)
    r = Response(out.getvalue())
    assert r.status == 200 and r.hidden('sub_form_token')


def test_oversized_or_foreign_bodies_are_refused(lists):
    from Mailman.Cgi import Page, subscribe as page
    m = lists()
    for ctype, length in (('application/x-www-form-urlencoded',
                           Page.MAX_BODY + 1),
                          ('text/plain', 10), ('multipart/form-data', 10)):
        out = io.BytesIO()
        page.main({'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': ctype,
                   'CONTENT_LENGTH': str(length),
                   'PATH_INFO': '/' + m.internal_name(),
                   'wsgi.input': io.BytesIO(b'e' * length),
                   'REMOTE_ADDR': unique_remote()}, out)
        assert Response(out.getvalue()).status == 400
    assert drain_virgin() == []


def test_template_tags(lists):
    from Mailman import HTMLFormatter
    m = lists(description='D&D')
    ctx = HTMLFormatter.Context(m, sub_form_token='1:ab"c')
    text = HTMLFormatter.fill_template(
        '<mm-list-name>|<MM-DESCRIPTION>|<MM-Unknown-Tag>|'
        '<MM-Subscribe-Form-Start>|<MM-Form-End>', ctx)
    name, description, unknown, form, end = text.split('|')
    assert name == m.real_name and description == 'D&amp;D'
    assert unknown == '<MM-Unknown-Tag>'
    assert 'value="1:ab&quot;c"' in form and end == '</form>'


COUNT_IN_CHILD = """
import sys
sys.path[:0] = {path!r}
from Mailman.Cgi import Page
print(sum(Page.rate_limited('test', {remote!r}, {limit}) for _ in range(10)))
"""


def test_rate_limit_is_shared_between_processes():
    """Four separate processes share one count (new interpreters, not
    forks: the test process may have threads)."""
    import subprocess
    import sys
    remote = unique_remote()
    code = COUNT_IN_CHILD.format(path=sys.path, remote=remote, limit=15)
    children = [subprocess.Popen([sys.executable, '-c', code],
                                 stdout=subprocess.PIPE, text=True)
                for _ in range(4)]
    refused = 0
    for child in children:
        out, _ = child.communicate(timeout=60)
        assert child.returncode == 0
        refused += int(out)
    # 40 attempts, 15 allowed in the minute.
    assert refused == 25


def test_old_rate_counts_are_forgotten_and_ipv6_counts_by_network():
    import os
    from Mailman import mm_cfg
    from Mailman.Cgi import Page
    assert not Page.rate_limited('v6', '2001:db8:1:2::1', 1)
    assert Page.rate_limited('v6', '2001:db8:1:2::99', 1)
    assert not Page.rate_limited('v6', '2001:db8:1:3::1', 1)
    old = os.path.join(mm_cfg.LOCK_DIR, 'web-rate.old')
    fresh = os.path.join(mm_cfg.LOCK_DIR, 'web-rate.fresh')
    for path in (old, fresh):
        open(path, 'w').close()
    os.utime(old, (time.time() - 1000,) * 2)
    Page.forget_old_files('web-rate.', 120)
    assert not os.path.exists(old) and os.path.exists(fresh)


VOID = {'meta', 'input', 'br', 'hr', 'img', 'link'}


class Nesting(html.parser.HTMLParser):
    """Fails on unbalanced elements or a form inside a form."""

    def __init__(self):
        super().__init__()
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        assert not (tag == 'form' and 'form' in self.stack), self.stack
        self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()


@pytest.mark.parametrize('roster', [0, 1, 2])
def test_pages_are_well_formed(lists, roster):
    m = lists(private_roster=roster, description='d', info='a\nb')
    pages = [call('listinfo', '/' + m.internal_name()), call('listinfo'),
             subscribe(m, 'wf@example.org', unique_remote())]
    for r in pages:
        assert r.text.startswith('<!DOCTYPE html>')
        checker = Nesting()
        checker.feed(r.text)
        checker.close()
        assert checker.stack == []


# ---------------------------------------------------------------- bot defences
def test_one_address_cannot_be_flooded_from_many_clients(lists):
    from Mailman import mm_cfg
    m = lists()
    address = f'target-{uuid.uuid4().hex[:8]}@example.org'
    answers = [subscribe(m, address, unique_remote()).status
               for _ in range(mm_cfg.WEB_SUBSCRIBE_ADDRESS_LIMIT + 1)]
    assert answers[:-1] == [200] * mm_cfg.WEB_SUBSCRIBE_ADDRESS_LIMIT
    assert answers[-1] == 429


@pytest.fixture
def arithmetic_captcha():
    from Mailman import mm_cfg
    mm_cfg.SUBSCRIBE_ARITHMETIC_CAPTCHA = True
    yield
    mm_cfg.SUBSCRIBE_ARITHMETIC_CAPTCHA = False


def _question_and_answer(page_text):
    words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven',
             'eight', 'nine', 'ten']
    match = re.search(r'What is (\w+) plus (\w+)\?', page_text)
    return str(words.index(match.group(1)) + words.index(match.group(2)))


def test_arithmetic_captcha_must_be_answered(lists, arithmetic_captcha):
    from Mailman.Cgi import Captcha
    m = lists()
    remote = unique_remote()
    page = call('listinfo', '/' + m.internal_name(), remote=remote)
    assert page.hidden(Captcha.QUESTION_FIELD)
    # A form as the page makes it, but served ten seconds ago.
    tok = token(m, remote)
    fields = Captcha.form_fields('en', tok)
    hidden = re.search(r'name="captcha_idx" value="([^"]+)"', fields).group(1)
    right = _question_and_answer(fields)
    wrong = str(int(right) + 1)
    for answer in (None, wrong):
        extra = {Captcha.QUESTION_FIELD: hidden}
        if answer is not None:
            extra[Captcha.ANSWER_FIELD] = answer
        r = subscribe(m, f'cap-{uuid.uuid4().hex[:6]}@example.org', remote,
                      tok=tok, **extra)
        assert 'answer to the question on the form was wrong' in r.plain
    assert not drain_virgin()
    r = subscribe(m, 'cap-ok@example.org', remote, tok=tok,
                  **{Captcha.QUESTION_FIELD: hidden,
                     Captcha.ANSWER_FIELD: right})
    assert 'confirm' in r.plain and 'wrong' not in r.plain
    assert drain_virgin()
    # The question cannot be carried to another form, nor changed.
    assert not Captcha.answered('en', token(m, remote, age=30), hidden, right)
    tampered = hidden.replace('sum-', 'sum-1', 1)
    assert not Captcha.answered('en', tok, tampered, right)


def test_site_captcha_questions(lists):
    from Mailman import mm_cfg
    from Mailman.Cgi import Captcha
    mm_cfg.CAPTCHAS = {'en': [('Name the colour of grass', '(?i)green')]}
    try:
        fields = Captcha.form_fields('fr', 'tok')
        assert 'colour of grass' in fields
        hidden = re.search(r'name="captcha_idx" value="([^"]+)"',
                           fields).group(1)
        assert Captcha.answered('fr', 'tok', hidden, ' Green ')
        assert not Captcha.answered('fr', 'tok', hidden, 'blue')
    finally:
        mm_cfg.CAPTCHAS = None


def test_multipart_forms_are_read_with_uploaded_files_as_text():
    from Mailman.Cgi import Page
    boundary = 'b0undary'
    body = (f'--{boundary}\r\n'
            'Content-Disposition: form-data; name="subscribees"\r\n\r\n'
            'a@example.org\r\n'
            f'--{boundary}\r\n'
            'Content-Disposition: form-data; name="subscribees_upload"; '
            'filename="list.txt"\r\nContent-Type: text/plain\r\n\r\n'
            'b@example.org\nc\u00e9@example.org\n\r\n'
            f'--{boundary}--\r\n').encode('utf-8')
    request = Page.Request({
        'REQUEST_METHOD': 'POST', 'CONTENT_LENGTH': str(len(body)),
        'CONTENT_TYPE': f'multipart/form-data; boundary={boundary}',
        'wsgi.input': io.BytesIO(body)})
    assert request.get('subscribees') == 'a@example.org'
    assert request.form['subscribees_upload'] == \
        ['b@example.org\nc\u00e9@example.org\n']


# ---------------------------------------------------------------- confirm kinds
def _confirm(m, cookie):
    """GET the confirmation page for COOKIE, then press its button."""
    page = call('confirm', f'/{m.internal_name()}/{cookie}')
    assert page.status == 200, page.plain
    done = call('confirm', f'/{m.internal_name()}/{cookie}', 'POST',
                {'cookie': cookie, 'confirm_token': page.hidden('confirm_token'),
                 'submit': 'Confirm'})
    return page, done


def _with_member(m, address):
    from Mailman.UserDesc import UserDesc
    m.Lock()
    try:
        m.ApprovedAddMember(UserDesc(address, 'Member', 'pw'), ack=False,
                            admin_notif=False)
        m.Save()
    finally:
        m.Unlock()
    drain_virgin()


def _pend(m, op, *data):
    m.Lock()
    try:
        cookie = m.pend_new(op, *data)
        m.Save()
    finally:
        m.Unlock()
    return cookie


def test_confirm_unsubscription(lists):
    from Mailman import Pending
    m = lists()
    _with_member(m, 'leaver@example.org')
    cookie = _pend(m, Pending.UNSUBSCRIPTION, 'leaver@example.org')
    page, done = _confirm(m, cookie)
    assert 'should leave' in page.plain
    assert done.status == 200 and 'has left' in done.plain
    assert not reload(m).isMember('leaver@example.org')


def test_confirm_change_of_address(lists):
    from Mailman import Pending
    m = lists()
    _with_member(m, 'old@example.org')
    cookie = _pend(m, Pending.CHANGE_OF_ADDRESS, 'old@example.org',
                   'new@example.org', False)
    page, done = _confirm(m, cookie)
    assert 'new@example.org' in page.plain
    assert done.status == 200
    after = reload(m)
    assert after.isMember('new@example.org')
    assert not after.isMember('old@example.org')


def test_confirm_withdraws_a_held_post(lists):
    from Mailman.Message import Message
    m = lists()
    msg = Message()
    msg['From'] = 'poster@example.net'
    msg['Subject'] = 'Please hold me'
    msg.set_payload('A held post.\n')
    m.Lock()
    try:
        m.HoldMessage(msg, 'Post by non-member', notify=True)
        m.Save()
    finally:
        m.Unlock()
    notices = [n for n, _ in drain_virgin()
               if 'poster@example.net' in str(n.get('To', ''))]
    cookie = re.search(r'[0-9a-f]{40}',
                       notices[0].as_string()).group(0)
    assert reload(m).GetHeldMessageIds()
    page, done = _confirm(m, cookie)
    assert 'withdraw' in page.plain.lower()
    assert done.status == 200 and 'withdrawn' in done.plain
    assert reload(m).GetHeldMessageIds() == []
