"""Editing a list's templates (Mailman/Cgi/edithtml.py)."""

import os
import time

from webhelp import Client, SCRIPT, call, lists  # noqa: F401

NOT_GENUINE = 'The form has expired or was not sent by this site'


def admin_client(mlist):
    client = Client()
    r = client.post('edithtml', '/' + mlist.internal_name(),
                    form={'adminpw': 'adminpw', 'admlogin': 'x'})
    assert r.status == 200 and 'listinfo.html' in r.plain, r.plain
    return client


def list_copy(mlist, template, lang='en'):
    path = os.path.join(mlist.fullpath(), lang, template)
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as f:
        return f.read()


def page_text(response):
    """The text in the editing box, as a browser would send it back."""
    text = response.text.split('name="html_code"', 1)[1]
    text = text.split('>', 1)[1].split('</textarea>', 1)[0]
    import html
    text = html.unescape(text)
    return text[1:] if text.startswith('\n') else text


def test_needs_admin_login(lists):
    m = lists()
    r = Client().get('edithtml', f'/{m.internal_name()}/listinfo.html')
    assert 'adminpw' in r.text and 'html_code' not in r.text
    r = Client().post('edithtml', f'/{m.internal_name()}/listinfo.html',
                      form={'adminpw': 'wrong', 'html_code': 'x'})
    assert r.status == 401 and list_copy(m, 'listinfo.html') is None


def test_edit_listinfo_is_saved_and_served(lists):
    m = lists()
    client = admin_client(m)
    path = f'/{m.internal_name()}/listinfo.html'
    r = client.get('edithtml', path)
    original = page_text(r)
    assert '<MM-Subscribe-Form-Start>'.lower() in original.lower()
    new = original.replace('</body>', '<p>Our own words here.</p></body>')
    assert new != original
    r = client.post('edithtml', path, form={
        'html_code': new.replace('\n', '\r\n'),
        'csrf_token': r.hidden('csrf_token'), 'lang': 'en'})
    assert 'The template was saved' in r.plain, r.plain
    assert list_copy(m, 'listinfo.html') == new
    served = call('listinfo', '/' + m.internal_name()).text
    assert 'Our own words here.' in served
    # The editor now shows the list's copy.
    assert page_text(client.get('edithtml', path)) == new


def test_unknown_tag_or_substitution_is_refused(lists):
    m = lists()
    client = admin_client(m)
    path = f'/{m.internal_name()}/listinfo.html'
    r = client.get('edithtml', path)
    token = r.hidden('csrf_token')
    bad = page_text(r) + '<MM-No-Such-Tag>'
    r = client.post('edithtml', path, form={'html_code': bad,
                                           'csrf_token': token})
    assert 'Unknown tags: <mm-no-such-tag>' in r.plain
    assert 'Nothing was saved' in r.plain
    assert list_copy(m, 'listinfo.html') is None
    # The refused text is still in the box, not lost.
    assert page_text(r) == bad

    path = f'/{m.internal_name()}/subscribeack.txt'
    r = client.get('edithtml', path)
    text = page_text(r)
    assert '%(real_name)s' in text
    for bad, message in ((text + '%(password_of_owner)s', 'Unknown substitu'),
                         (text + ' 100% sure', 'a % sign')):
        r = client.post('edithtml', path, form={'html_code': bad,
                                               'csrf_token': token})
        assert message in r.plain, r.plain
        assert list_copy(m, 'subscribeack.txt') is None
    good = text + '\nAsk %(real_name)s for 100%% of the help you need.\n'
    r = client.post('edithtml', path, form={'html_code': good,
                                           'csrf_token': token})
    assert list_copy(m, 'subscribeack.txt') == good


def test_csrf_missing_stale_and_foreign_change_nothing(lists):
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    m, other = lists(), lists()
    client = admin_client(m)
    path = f'/{m.internal_name()}/listinfo.html'
    text = page_text(client.get('edithtml', path)) + '<p>forged</p>'
    stale = Auth.csrf_token(m, Auth.Session(mm_cfg.AuthListAdmin,
                                            m.internal_name()),
                            now=time.time() - mm_cfg.FORM_LIFETIME - 60)
    foreign = admin_client(other).get(
        'edithtml', f'/{other.internal_name()}/listinfo.html').hidden(
            'csrf_token')
    for token in (None, stale, foreign):
        form = {'html_code': text}
        if token:
            form['csrf_token'] = token
        r = client.post('edithtml', path, form=form)
        assert NOT_GENUINE in r.plain
        assert list_copy(m, 'listinfo.html') is None
    # Another list's cookie opens nothing here.
    r = admin_client(other).get('edithtml', path)
    assert 'html_code' not in r.text and 'adminpw' in r.text


def test_textarea_is_escaped(lists):
    m = lists(description=SCRIPT, real_name=SCRIPT)
    client = admin_client(m)
    path = f'/{m.internal_name()}/listinfo.html'
    r = client.get('edithtml', path)
    original = page_text(r)
    token = r.hidden('csrf_token')
    # A script is refused, and the refused text is shown back inert.
    refused = original + '</textarea>' + SCRIPT
    r = client.post('edithtml', path, form={'html_code': refused,
                                           'csrf_token': token})
    assert list_copy(m, 'listinfo.html') is None
    assert 'not allowed' in r.plain and SCRIPT not in r.text
    assert page_text(r) == refused
    # Markup that breaks out of the text box is kept as text.
    hostile = original + '</textarea><b>bold</b>'
    r = client.post('edithtml', path, form={'html_code': hostile,
                                           'csrf_token': token})
    assert list_copy(m, 'listinfo.html') == hostile
    r = client.get('edithtml', path)
    assert '</textarea><b>' not in r.text
    assert page_text(r) == hostile
    assert SCRIPT not in client.get('edithtml', '/' + m.internal_name()).text


def test_bad_template_name(lists):
    m = lists()
    client = admin_client(m)
    for name in ('../config.pck', 'nosuch.html', '<b>x'):
        r = client.get('edithtml', f'/{m.internal_name()}/{name}')
        assert r.status == 404 and '<b>x' not in r.text


def test_other_language_copy(lists):
    m = lists(available_languages=['en', 'de'])
    client = admin_client(m)
    path = f'/{m.internal_name()}/subscribeack.txt'
    r = client.get('edithtml', path, query='lang=de')
    text = page_text(r) + '\nAuf Deutsch.\n'
    client.post('edithtml', path, form={'html_code': text, 'lang': 'de',
                                       'csrf_token': r.hidden('csrf_token')})
    assert list_copy(m, 'subscribeack.txt', 'de') == text
    assert list_copy(m, 'subscribeack.txt', 'en') is None
