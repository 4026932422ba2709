"""The list admin pages (Mailman/Cgi/admin.py): login and logout, every
category drawn from its declaration, saving, validation, passwords, CSRF
and escaping."""

import html.parser
import io
import os
import re
import time

import pytest

from webhelp import Client, SCRIPT, lists, reload  # noqa: F401

NOT_GENUINE = 'The form has expired or was not sent by this site'


class FormFields(html.parser.HTMLParser):
    """The fields a browser would submit from the first form on a page
    that has a csrf_token (checked radios and boxes, text areas, selected
    options, the submit button named 'submit')."""

    def __init__(self):
        super().__init__()
        self.pairs, self.names = [], set()
        self.depth = 0
        self.done = False
        self.textarea = None
        self.select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'form' and not self.done:
            self.depth += 1
            self.pairs_here = []
            return
        if not self.depth or self.done:
            return
        name = attrs.get('name')
        if tag == 'input' and name:
            self.names.add(name)
            kind = attrs.get('type', 'text')
            if kind in ('radio', 'checkbox') and 'checked' not in attrs:
                return
            if kind == 'submit' and name != 'submit':
                return
            self.pairs_here.append((name, attrs.get('value') or ''))
        elif tag == 'textarea' and name:
            self.names.add(name)
            self.textarea = [name, '']
        elif tag == 'select' and name:
            self.names.add(name)
            self.select = name
        elif tag == 'option' and self.select and 'selected' in attrs:
            self.pairs_here.append((self.select, attrs.get('value')))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == 'textarea' and self.textarea is not None:
            # As in a browser, a newline right after <textarea> is not
            # part of the value.
            name, value = self.textarea
            if value.startswith('\n'):
                value = value[1:]
            self.pairs_here.append((name, value.replace('\n', '\r\n')))
            self.textarea = None
        elif tag == 'select':
            self.select = None
        elif tag == 'form' and self.depth and not self.done:
            self.depth -= 1
            if any(n == 'csrf_token' for n, v in self.pairs_here):
                self.pairs = self.pairs_here
                self.done = True


def form_of(response):
    parser = FormFields()
    parser.feed(response.text)
    return parser


def admin_client(mlist, password='adminpw'):
    client = Client()
    r = client.post('admin', '/' + mlist.internal_name(),
                    form={'adminpw': password, 'admlogin': 'Let me in...'})
    assert r.status == 200 and r.hidden('csrf_token'), r.text
    return client


def pages(mlist):
    """(path, category, subcat, info) for every settings page."""
    from Mailman import Gui
    result = []
    for gui, subcat, info in Gui.sections(mlist):
        path = f'/{mlist.internal_name()}/{gui.NAME}'
        if subcat:
            path += '/' + subcat
        result.append((path, gui.NAME, subcat, info))
    return result


def messages(response):
    """The text of the messages at the top of an admin page."""
    text = response.text.split('<main>', 1)[-1].split('<form', 1)[0]
    return ' '.join(re.sub(r'<[^>]+>', ' ', text).split())


def pck(mlist):
    with open(os.path.join(mlist.fullpath(), 'config.pck'), 'rb') as f:
        return f.read()


def settings(mlist):
    from Mailman import Gui
    m = reload(mlist)
    return {attr: getattr(m, attr, None) for attr in Gui.attribute_map(m)
            if Gui.is_setting(attr)}


def with_content(lists):
    from Mailman import mm_cfg
    return lists(topics=[('cooking', 'recipe|food', 'About food', False)],
                 header_filter_rules=[('^X-Spam: yes\n^X-Junk: 1',
                                       mm_cfg.HOLD, False)])


def test_every_category_renders_every_setting(lists):
    from Mailman import Gui, mm_cfg
    m = with_content(lists)
    client = admin_client(m)
    checked = 0
    for path, category, subcat, info in pages(m):
        r = client.get('admin', path)
        assert r.status == 200, path
        names = form_of(r).names
        assert r.text.count('<h1>') == 1
        for item in info[1:]:
            if not isinstance(item, tuple):
                continue
            attribute, widget_type = item[0], item[1]
            expected = {mm_cfg.Topics: 'topic_box_01',
                        mm_cfg.HeaderFilter: 'hdrfilter_rebox_01'}.get(
                            widget_type, attribute)
            assert expected in names, (path, attribute)
            assert f'VARHELP={category}/' in r.text
            checked += 1
    assert checked >= 110
    # The pages without declarations, and the first page.
    for extra in ('passwords', 'members', 'members/add', 'members/sync'):
        r = client.get('admin', f'/{m.internal_name()}/{extra}')
        assert r.status == 200, (extra, r.text)
    r = client.get('admin', f'/{m.internal_name()}')
    assert 'subject_prefix' in form_of(r).names
    # Every category and subcategory is linked from the navigation.
    for gui in Gui.categories():
        assert f'/admin/{m.internal_name()}/{gui.NAME}"' in r.text
        for sub, title in gui.GetConfigSubCategories(gui.NAME) or []:
            assert f'/admin/{m.internal_name()}/{gui.NAME}/{sub}"' in r.text


def test_saving_every_page_unchanged_changes_nothing(lists):
    m = with_content(lists)
    m.Lock()
    # Stored in another order than the page shows.
    m.available_languages = ['fr', 'en', 'de']
    m.Save()
    m.Unlock()
    client = admin_client(m)
    before_bytes, before = pck(m), settings(m)
    for path, category, subcat, info in pages(m):
        r = client.get('admin', path)
        fields = form_of(r).pairs
        assert ('submit', 'Submit Your Changes') in fields, path
        r = client.post('admin', path, form=fields)
        assert r.status == 200
        assert 'No setting was changed' in r.plain, (path, messages(r))
        assert 'class="error"' not in r.text, (path, r.plain)
        assert settings(m) == before, path
        assert pck(m) == before_bytes, path


BAD_VALUES = [
    ('general', None, 'max_message_size', 'lots'),
    ('language', None, 'available_languages', ['xx']),
    ('nondigest', None, 'regular_exclude_lists', 'not an address'),
    ('digest', None, 'digest_size_threshhold', '-4'),
    ('privacy', 'subscribing', 'ban_list', 'nobody at all'),
    ('privacy', 'sender', 'accept_these_nonmembers', '^[unclosed'),
    ('privacy', 'recipient', 'acceptable_aliases', '(oops'),
    ('privacy', 'spam', 'header_filter_rules', None),
    ('bounce', None, 'bounce_score_threshold', 'high'),
    ('archive', None, 'archive_volume_frequency', '9'),
    ('gateway', None, 'gateway_to_news', 'maybe'),
    ('autoreply', None, 'autoresponse_graceperiod', '1.5.2'),
    ('contentfilter', None, 'filter_mime_types', 'not a type!'),
    ('topics', None, 'topics', None),
]


@pytest.mark.parametrize('category,subcat,attribute,bad', BAD_VALUES)
def test_one_bad_field_shows_error_and_saves_nothing(lists, category, subcat,
                                                     attribute, bad):
    m = with_content(lists)
    client = admin_client(m)
    path = f'/{m.internal_name()}/{category}' + (f'/{subcat}' if subcat
                                                  else '')
    fields = form_of(client.get('admin', path)).pairs
    if attribute == 'header_filter_rules':
        replace = {'hdrfilter_rebox_01': '^Subject: (unclosed'}
    elif attribute == 'topics':
        replace = {'topic_rebox_01': '(unclosed'}
    else:
        replace = {attribute: bad}
    # Another field is changed too; it must not be saved either.
    other = {'general': ('subject_prefix', '[changed] '),
             'privacy': None}.get(category)
    fields = [(k, v) for k, v in fields if k not in replace]
    for key, value in replace.items():
        for one in (value if isinstance(value, list) else [value]):
            fields.append((key, one))
    if other:
        fields = [(k, other[1] if k == other[0] else v) for k, v in fields]
    before_bytes, before = pck(m), settings(m)
    r = client.post('admin', path, form=fields)
    assert r.status == 200
    assert 'Nothing was saved' in r.plain
    assert f'id="{attribute}-error"' in r.text, r.plain
    assert settings(m) == before
    assert pck(m) == before_bytes
    if other:
        # The refused page shows what was typed, not the stored value.
        assert form_of(r).pairs.count((other[0], other[1])) == 1


def test_subject_prefix_and_privacy_setting_change(lists):
    m = lists()
    client = admin_client(m)
    name = m.internal_name()
    fields = form_of(client.get('admin', f'/{name}/general')).pairs
    fields = [(k, '[Cooks %d] ' if k == 'subject_prefix' else v)
              for k, v in fields]
    r = client.post('admin', f'/{name}/general', form=fields)
    assert 'Saved: subject_prefix' in r.plain, r.plain
    assert reload(m).subject_prefix == '[Cooks %d] '
    assert ('subject_prefix', '[Cooks %d] ') in form_of(r).pairs

    path = f'/{name}/privacy/subscribing'
    fields = form_of(client.get('admin', path)).pairs
    assert ('private_roster', '1') in fields
    fields = [(k, '2' if k == 'private_roster' else v) for k, v in fields]
    fields = [(k, '2' if k == 'subscribe_policy' else v) for k, v in fields]
    r = client.post('admin', path, form=fields)
    m2 = reload(m)
    assert m2.private_roster == 2
    assert m2.subscribe_policy == 3     # the form's 2 is "confirm and approve"


def test_checkbox_group_and_action(lists):
    from Mailman import mm_cfg
    m = lists()
    client = admin_client(m)
    name = m.internal_name()
    fields = form_of(client.get('admin', f'/{name}/general')).pairs
    fields = [(k, v) for k, v in fields if k != 'new_member_options']
    fields.append(('new_member_options', 'hide'))
    client.post('admin', f'/{name}/general', form=fields)
    assert reload(m).new_member_options == mm_cfg.OPTINFO['hide']
    volume = reload(m).volume
    fields = form_of(client.get('admin', f'/{name}/digest')).pairs
    assert ('_new_volume', '0') in fields
    fields = [(k, '1' if k == '_new_volume' else v) for k, v in fields]
    r = client.post('admin', f'/{name}/digest', form=fields)
    assert 'A new digest volume was started' in r.plain
    assert reload(m).volume == volume + 1


def test_topics_editor_adds_and_deletes(lists):
    m = with_content(lists)
    client = admin_client(m)
    path = f'/{m.internal_name()}/topics'
    fields = form_of(client.get('admin', path)).pairs
    fields = [(k, v) for k, v in fields if not k.endswith('_02')]
    fields += [('topic_box_02', 'music'), ('topic_rebox_02', 'song'),
               ('topic_desc_02', ''), ('topic_new_02', '1'),
               ('topic_delete_01', '1')]
    r = client.post('admin', path, form=fields)
    assert 'Saved: topics' in r.plain, r.plain
    assert reload(m).topics == [('music', 'song', '', False)]


def test_csrf_missing_stale_and_foreign_change_nothing(lists):
    from Mailman import mm_cfg
    from Mailman.Cgi import Auth
    m, other = lists(), lists()
    client = admin_client(m)
    name = m.internal_name()
    fields = form_of(client.get('admin', f'/{name}/general')).pairs
    fields = [(k, '[evil] ' if k == 'subject_prefix' else v)
              for k, v in fields]
    bare = [(k, v) for k, v in fields if k != 'csrf_token']
    stale = Auth.csrf_token(m, Auth.Session(mm_cfg.AuthListAdmin, name),
                            now=time.time() - mm_cfg.FORM_LIFETIME - 60)
    other_client = admin_client(other)
    foreign = form_of(other_client.get(
        'admin', f'/{other.internal_name()}/general')).pairs
    foreign_token = dict(foreign)['csrf_token']
    before = pck(m)
    for token in (None, stale, foreign_token, 'garbage'):
        form = bare + ([('csrf_token', token)] if token else [])
        r = client.post('admin', f'/{name}/general', form=form)
        assert NOT_GENUINE in r.plain
        assert pck(m) == before
    assert reload(m).subject_prefix != '[evil] '
    # A forged post without any login gets the login page.
    r = Client().post('admin', f'/{name}/general', form=fields)
    assert 'adminpw' in form_of_any(r) and pck(m) == before


def form_of_any(response):
    return {attrs.get('name') for tag, attrs in response.parser.tags
            if tag == 'input'}


def test_script_in_list_texts_is_inert(lists):
    m = lists(description=SCRIPT, info=SCRIPT + '\nmore',
              real_name=SCRIPT, subject_prefix=SCRIPT)
    client = admin_client(m)
    for path, category, subcat, info in pages(m)[:4] + [
            (f'/{m.internal_name()}/passwords', 0, 0, 0),
            (f'/{m.internal_name()}/members', 0, 0, 0)]:
        r = client.get('admin', path)
        assert r.status == 200
        assert SCRIPT not in r.text, path
    r = client.get('admin', f'/{m.internal_name()}/general')
    assert '&lt;script&gt;' in r.text
    assert ('description', SCRIPT) in form_of(r).pairs
    r = client.get('admin', f'/{m.internal_name()}/',
                   query='VARHELP=general/description')
    assert SCRIPT not in r.text and 'description' in r.plain
    assert SCRIPT not in Client().get('admin', '/' + m.internal_name()).text
    assert SCRIPT not in Client().get('admin', '').text


def test_one_lists_cookie_does_not_open_another(lists):
    one, two = lists(), lists()
    client = admin_client(one)
    r = client.get('admin', f'/{two.internal_name()}/general')
    assert 'adminpw' in form_of_any(r)
    assert 'subject_prefix' not in form_of_any(r)
    # Even when the browser is made to send it there.
    cookie = '; '.join(f'{k}={v}' for (k, p), v in client.jar.items())
    from webhelp import call
    r = call('admin', f'/{two.internal_name()}', cookie=cookie)
    assert 'adminpw' in form_of_any(r)
    r = client.post('admin', f'/{two.internal_name()}',
                    form={'adminpw': 'wrong', 'admlogin': 'x'})
    assert r.status == 401


def test_moderator_password_does_not_open_admin(lists):
    from Mailman import Passwords
    m = lists(mod_password=Passwords.hash_password('modpw'))
    r = Client().post('admin', f'/{m.internal_name()}',
                      form={'adminpw': 'modpw', 'admlogin': 'x'})
    assert r.status == 401 and r.hidden('csrf_token') is None


def test_logout(lists):
    m = lists()
    client = admin_client(m)
    assert client.jar
    r = client.get('admin', f'/{m.internal_name()}/logout')
    assert 'logged out' in r.plain
    assert not client.jar
    r = client.get('admin', f'/{m.internal_name()}/general')
    assert 'adminpw' in form_of_any(r)


def test_change_passwords_keeps_admin_logged_in(lists):
    from Mailman import mm_cfg
    m = lists()
    client = admin_client(m)
    name = m.internal_name()
    fields = form_of(client.get('admin', f'/{name}/passwords')).pairs
    mismatch = dict(fields, newpw='one', confirmpw='two')
    r = client.post('admin', f'/{name}/passwords', form=mismatch)
    assert 'id="newpw"' in r.text and 'are not the same' in r.plain
    assert reload(m).Authenticate([mm_cfg.AuthListAdmin], 'adminpw')
    form = dict(fields, newpw='fresh-admin', confirmpw='fresh-admin',
                newmodpw='fresh-mod', confirmmodpw='fresh-mod')
    r = client.post('admin', f'/{name}/passwords', form=form)
    assert 'New password set' in r.plain, r.plain
    m2 = reload(m)
    assert m2.Authenticate([mm_cfg.AuthListAdmin], 'fresh-admin')
    assert not m2.Authenticate([mm_cfg.AuthListAdmin], 'adminpw')
    assert m2.Authenticate([mm_cfg.AuthListModerator], 'fresh-mod')
    # Still logged in, with a token valid for the new password.
    r = client.get('admin', f'/{name}/general')
    assert 'subject_prefix' in form_of(r).names
    # The old password no longer logs in.
    r = Client().post('admin', f'/{name}',
                      form={'adminpw': 'adminpw', 'admlogin': 'x'})
    assert r.status == 401


def test_bad_category_and_help(lists):
    m = lists()
    client = admin_client(m)
    r = client.get('admin', f'/{m.internal_name()}/<b>nope')
    assert r.status == 404 and '<b>nope' not in r.text
    r = client.get('admin', f'/{m.internal_name()}/privacy/nope')
    assert r.status == 404
    r = client.get('admin', f'/{m.internal_name()}/',
                   query='VARHELP=privacy/sender/member_verbosity_interval')
    assert r.status == 200 and 'member_verbosity_threshold' in r.plain
    r = client.get('admin', f'/{m.internal_name()}/',
                   query='VARHELP=general/nothing')
    assert r.status == 404


def test_passwords_and_members_pages_posted_unchanged_change_nothing(lists):
    m = lists()
    client = admin_client(m)
    before = pck(m)
    path = f'/{m.internal_name()}/passwords'
    fields = form_of(client.get('admin', path)).pairs
    r = client.post('admin', path, form=fields)
    assert 'nothing was changed' in r.plain
    assert pck(m) == before


def test_password_and_settings_in_one_post(lists):
    """2.1's scripts post adminpw together with the settings."""
    m = lists()
    name = m.internal_name()
    r = Client().post('admin', f'/{name}/general',
                      form={'adminpw': 'wrong', 'subject_prefix': '[x] '})
    assert r.status == 401
    r = Client().post('admin', f'/{name}/general',
                      form={'adminpw': 'adminpw', 'subject_prefix': '[x] '})
    assert 'Saved: subject_prefix' in r.plain
    m2 = reload(m)
    assert m2.subject_prefix == '[x] '
    # A partial post leaves the checkbox groups it did not send alone.
    assert m2.new_member_options == m.new_member_options
    assert m2.available_languages == m.available_languages


def test_stored_value_refused_today_does_not_block_the_page(lists):
    """A ban of a list that no longer exists stays as it is, and the other
    settings of the page can still be saved."""
    m = lists(ban_list=['@no-such-list'])
    client = admin_client(m)
    path = f'/{m.internal_name()}/privacy/subscribing'
    fields = form_of(client.get('admin', path)).pairs
    fields = [(k, '0' if k == 'private_roster' else v) for k, v in fields]
    r = client.post('admin', path, form=fields)
    assert 'Saved: private_roster' in r.plain, messages(r)
    assert reload(m).private_roster == 0
    assert reload(m).ban_list == ['@no-such-list']
    # Typing it anew is checked.
    fields = [(k, '@another-missing' if k == 'ban_list' else v)
              for k, v in fields]
    r = client.post('admin', path, form=fields)
    assert 'id="ban_list-error"' in r.text


# ------------------------------------------------------------------ uploads
def multipart_env(fields, files=()):
    """extra_env for webhelp.call() that replaces its urlencoded body with
    a multipart/form-data one, as a browser sends a form with a file input:
    FIELDS are (name, text) pairs, FILES (name, filename, bytes)."""
    boundary = '----mmtest' + os.urandom(8).hex()
    chunks = []
    for name, value in fields:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; '
                      f'name="{name}"\r\n\r\n'.encode('utf-8')
                      + value.encode('utf-8') + b'\r\n')
    for name, filename, data in files:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; '
                      f'name="{name}"; filename="{filename}"\r\n'
                      'Content-Type: text/plain\r\n\r\n'.encode('utf-8')
                      + data + b'\r\n')
    body = b''.join(chunks) + f'--{boundary}--\r\n'.encode('ascii')
    return {'CONTENT_TYPE': f'multipart/form-data; boundary={boundary}',
            'CONTENT_LENGTH': str(len(body)), 'wsgi.input': io.BytesIO(body)}


def post_multipart(client, page, path, fields, files=()):
    return client.post(page, path, extra_env=multipart_env(fields, files))


def form_tag(response, action_part=''):
    """The attributes of the first <form> whose action contains
    ACTION_PART."""
    for tag, attrs in response.parser.tags:
        if tag == 'form' and action_part in (attrs.get('action') or ''):
            return attrs
    return None


def test_autoresponse_upload_replaces_the_text(lists):
    m = lists(autoresponse_postings_text='old text')
    client = admin_client(m)
    path = f'/{m.internal_name()}/autoreply'
    r = client.get('admin', path)
    assert form_tag(r, '/autoreply')['enctype'] == 'multipart/form-data'
    fields = form_of(r).pairs
    for attribute in ('autoresponse_postings_text', 'autoresponse_admin_text',
                      'autoresponse_request_text'):
        assert f'{attribute}_upload' in form_of(r).names
    fields = [(k, v) for k, v in fields if not k.endswith('_upload')]
    fields = [(k, 'typed text' if k == 'autoresponse_admin_text' else v)
              for k, v in fields]
    r = post_multipart(client, 'admin', path, fields, [
        ('autoresponse_postings_text_upload', 'reply.txt',
         'Uploaded reply\r\nline two \u00e9\r\n'.encode('utf-8')),
        # An empty file input (nothing chosen) leaves the text box's value.
        ('autoresponse_admin_text_upload', '', b''),
        ('autoresponse_request_text_upload', '', b'')])
    assert r.status == 200
    assert 'Saved:' in r.plain, messages(r)
    m2 = reload(m)
    assert m2.autoresponse_postings_text == 'Uploaded reply\nline two \u00e9\n'
    assert m2.autoresponse_admin_text == 'typed text'
    assert m2.autoresponse_request_text == m.autoresponse_request_text


def test_upload_with_a_bad_field_saves_nothing(lists):
    m = lists()
    client = admin_client(m)
    path = f'/{m.internal_name()}/autoreply'
    fields = [(k, '1.5.2' if k == 'autoresponse_graceperiod' else v)
              for k, v in form_of(client.get('admin', path)).pairs
              if not k.endswith('_upload')]
    before = pck(m)
    r = post_multipart(client, 'admin', path, fields, [
        ('autoresponse_postings_text_upload', 'a.txt', b'new reply\n')])
    assert 'Nothing was saved' in r.plain
    assert 'id="autoresponse_graceperiod-error"' in r.text
    assert pck(m) == before
    # Text that is not UTF-8 is refused as a whole.
    r = post_multipart(client, 'admin', path, [
        ('csrf_token', form_of(client.get('admin', path)).pairs[0][1])], [
        ('autoresponse_postings_text_upload', 'a.txt', b'caf\xe9\n')])
    assert r.status == 400
    assert pck(m) == before


def test_upload_needs_a_genuine_form(lists):
    m = lists(autoresponse_postings_text='old text')
    client = admin_client(m)
    path = f'/{m.internal_name()}/autoreply'
    before = pck(m)
    r = post_multipart(client, 'admin', path, [('submit', 'x')], [
        ('autoresponse_postings_text_upload', 'a.txt', b'forged\n')])
    assert NOT_GENUINE in r.plain
    assert pck(m) == before


# ------------------------------------------------------------------ editors
def editor_fields(client, path, drop=()):
    """The page's form as a browser submits it, less fields named in DROP
    and the submit button (an editor button is pressed instead)."""
    return [(k, v) for k, v in form_of(client.get('admin', path)).pairs
            if k not in drop and k != 'submit']


def test_topic_add_before_and_after(lists):
    m = with_content(lists)
    client = admin_client(m)
    path = f'/{m.internal_name()}/topics'
    r = client.get('admin', path)
    assert 'name="topic_add_01" value="before"' in r.text
    assert 'name="topic_add_01" value="after"' in r.text
    # "Before" saves the page (here: a changed description) and draws an
    # empty row in front of the topic.
    fields = [(k, 'Food!' if k == 'topic_desc_01' else v)
              for k, v in editor_fields(client, path)]
    r = client.post('admin', path, form=fields + [('topic_add_01',
                                                   'before')])
    assert 'Saved: topics' in r.plain, messages(r)
    assert reload(m).topics == [('cooking', 'recipe|food', 'Food!', False)]
    shown = r.inputs()
    assert shown['topic_box_01'] == '' and 'topic_new_01' in shown
    assert shown['topic_box_02'] == 'cooking'
    assert 'topic_delete_02' in {a.get('name') for t, a in r.parser.tags}
    # The new row is filled in; it lands before the old one.
    fields = [(k, v) for k, v in form_of(r).pairs
              if k not in ('topic_box_01', 'topic_rebox_01')]
    fields += [('topic_box_01', 'music'), ('topic_rebox_01', 'song\nsinging')]
    r = client.post('admin', path, form=fields)
    assert 'Saved: topics' in r.plain, messages(r)
    assert [t[0] for t in reload(m).topics] == ['music', 'cooking']
    assert reload(m).topics[0][1] == 'song\nsinging'
    # "After" on the first, with 2.1's separate topic_where_NN choice.
    fields = editor_fields(client, path)
    r = client.post('admin', path, form=fields + [
        ('topic_add_01', 'Add new item...'), ('topic_where_01', 'after')])
    assert 'No setting was changed' in r.plain, messages(r)
    shown = r.inputs()
    assert shown['topic_box_01'] == 'music'
    assert shown['topic_box_02'] == '' and 'topic_new_02' in shown
    assert shown['topic_box_03'] == 'cooking'
    # An empty row left empty is not stored.
    r = client.post('admin', path, form=form_of(r).pairs)
    assert [t[0] for t in reload(m).topics] == ['music', 'cooking']


def test_topic_row_errors_save_nothing(lists):
    m = with_content(lists)
    client = admin_client(m)
    path = f'/{m.internal_name()}/topics'
    before = pck(m)
    base = [(k, v) for k, v in editor_fields(client, path)
            if not k.endswith('_02')]
    cases = [
        [('topic_box_02', 'music'), ('topic_rebox_02', 'ok\n(unclosed')],
        [('topic_box_02', 'cooking'), ('topic_rebox_02', 'dup')],
        [('topic_box_02', ''), ('topic_rebox_02', 'nameless')],
    ]
    for extra in cases:
        # The delete box of topic 1 is ticked too (but for the duplicate,
        # which would be none then): nothing is deleted.
        delete = [] if extra is cases[1] else [('topic_delete_01', '1')]
        fields = base + extra + delete + [('topic_desc_02', SCRIPT),
                                          ('topic_new_02', '1'),
                                          ('submit', 'x')]
        r = client.post('admin', path, form=fields)
        assert 'Nothing was saved' in r.plain
        assert 'id="topic_02-error"' in r.text, r.plain
        assert 'id="topics-error"' in r.text
        assert pck(m) == before
        # Drawn again as posted, the script inert.
        assert r.inputs()['topic_box_02'] == extra[0][1]
        assert ('topic_delete_01' in r.inputs()) == bool(delete)
        assert SCRIPT not in r.text
    assert 'is not a valid regular expression' in client.post(
        'admin', path, form=base + cases[0] + [('submit', 'x')]).plain
    # A deleted topic's name may be given to a new one.
    r = client.post('admin', path, form=base + cases[1] + [
        ('topic_desc_02', ''), ('topic_new_02', '1'),
        ('topic_delete_01', '1'), ('submit', 'x')])
    assert 'Saved: topics' in r.plain, messages(r)
    assert reload(m).topics == [('cooking', 'dup', '', False)]


def test_header_filter_add_delete_and_move(lists):
    from Mailman import mm_cfg
    m = lists(header_filter_rules=[('^A: 1', mm_cfg.HOLD, False),
                                   ('^B: 2', mm_cfg.DISCARD, False),
                                   ('^C: 3', mm_cfg.REJECT, False)])
    client = admin_client(m)
    path = f'/{m.internal_name()}/privacy/spam'
    r = client.get('admin', path)
    names = {a.get('name') for t, a in r.parser.tags}
    assert {'hdrfilter_down_01', 'hdrfilter_up_02', 'hdrfilter_down_02',
            'hdrfilter_up_03', 'hdrfilter_delete_03',
            'hdrfilter_add_01'} <= names
    assert 'hdrfilter_up_01' not in names and 'hdrfilter_down_03' not in names

    def rules():
        return [r[0] for r in reload(m).header_filter_rules]

    r = client.post('admin', path, form=editor_fields(client, path)
                    + [('hdrfilter_up_03', '1')])
    assert 'Saved: header_filter_rules' in r.plain, messages(r)
    assert rules() == ['^A: 1', '^C: 3', '^B: 2']
    r = client.post('admin', path, form=editor_fields(client, path)
                    + [('hdrfilter_down_01', '1')])
    assert rules() == ['^C: 3', '^A: 1', '^B: 2']
    assert reload(m).header_filter_rules[1][1] == mm_cfg.HOLD
    r = client.post('admin', path, form=editor_fields(client, path)
                    + [('hdrfilter_delete_02', '1'),
                       ('hdrfilter_add_01', 'after')])
    assert rules() == ['^C: 3', '^B: 2']
    shown = r.inputs()
    assert 'hdrfilter_new_02' in shown
    assert form_of(r).pairs.count(('hdrfilter_rebox_03', '^B: 2')) == 1
    # The empty row is filled in and saved in its place.
    fields = [(k, '^D: 4' if k == 'hdrfilter_rebox_02' else v)
              for k, v in form_of(r).pairs]
    fields = [(k, v) for k, v in fields if k != 'hdrfilter_action_02'] + [
        ('hdrfilter_action_02', str(mm_cfg.ACCEPT))]
    r = client.post('admin', path, form=fields)
    assert rules() == ['^C: 3', '^D: 4', '^B: 2'], messages(r)
    assert reload(m).header_filter_rules[1][1] == mm_cfg.ACCEPT


def test_header_filter_bad_row_saves_nothing(lists):
    m = with_content(lists)
    client = admin_client(m)
    path = f'/{m.internal_name()}/privacy/spam'
    before = pck(m)
    fields = [(k, v) for k, v in editor_fields(client, path)
              if not k.endswith('_02')]
    # The bad row, moved up, is marked where it is drawn now.
    for extra, where in (([('hdrfilter_rebox_02', '^Ok\n^X-(bad'),
                           ('hdrfilter_up_02', '1')], '01'),
                         ([('hdrfilter_rebox_02', '^Ok'),
                           ('hdrfilter_action_02', 'hold')], '02')):
        r = client.post('admin', path, form=fields + extra + [
            ('hdrfilter_new_02', '1')])
        assert 'Nothing was saved' in r.plain
        assert f'id="hdrfilter_{where}-error"' in r.text, r.plain
        assert 'id="header_filter_rules-error"' in r.text
        assert pck(m) == before


def test_editor_button_with_stale_token_changes_nothing(lists):
    m = with_content(lists)
    client = admin_client(m)
    path = f'/{m.internal_name()}/topics'
    fields = [(k, 'forged' if k == 'csrf_token' else v)
              for k, v in editor_fields(client, path)]
    before = pck(m)
    r = client.post('admin', path, form=fields + [('topic_delete_01', '1'),
                                                  ('topic_add_01', 'after')])
    assert NOT_GENUINE in r.plain
    assert pck(m) == before


# ------------------------------------------------------------------ varhelp
def varhelp(client, m, where):
    return client.get('admin', f'/{m.internal_name()}/',
                      query=f'VARHELP={where}')


def test_varhelp_form_changes_the_one_setting(lists):
    m = lists(description=f'Desc {SCRIPT}')
    client = admin_client(m)
    r = varhelp(client, m, 'general/description')
    attrs = form_tag(r, '/general')
    assert attrs and attrs['method'] == 'post'
    assert attrs['action'].endswith(f'/admin/{m.internal_name()}/general')
    fields = form_of(r).pairs
    assert ('description', f'Desc {SCRIPT}') in fields
    assert SCRIPT not in r.text
    fields = [(k, 'A new description' if k == 'description' else v)
              for k, v in fields]
    # The form changes its one setting only, whatever else is posted.
    fields += [('subject_prefix', '[sneaked in] ')]
    before = settings(m)
    r = client.post('admin', f'/{m.internal_name()}/general', form=fields)
    assert 'Saved: description' in r.plain, messages(r)
    after = settings(m)
    assert after.pop('description') == 'A new description'
    before.pop('description')
    assert after == before      # nothing else changed


def test_varhelp_form_bad_value_and_forgery(lists):
    m = lists()
    client = admin_client(m)
    r = varhelp(client, m, 'general/max_message_size')
    fields = [(k, 'lots' if k == 'max_message_size' else v)
              for k, v in form_of(r).pairs]
    before = pck(m)
    r = client.post('admin', f'/{m.internal_name()}/general', form=fields)
    assert 'Nothing was saved' in r.plain
    assert 'id="max_message_size-error"' in r.text
    assert pck(m) == before
    forged = [(k, 'x' if k == 'csrf_token' else v) for k, v in fields
              if k != 'csrf_token'] + [('max_message_size', '99')]
    r = client.post('admin', f'/{m.internal_name()}/general', form=forged)
    assert NOT_GENUINE in r.plain
    assert pck(m) == before


def test_varhelp_form_on_a_subcategory_and_checkboxes(lists):
    m = lists()
    client = admin_client(m)
    r = varhelp(client, m, 'privacy/sender/member_moderation_action')
    assert form_tag(r, '/privacy/sender')['action'].endswith(
        '/privacy/sender')
    fields = [(k, '2' if k == 'member_moderation_action' else v)
              for k, v in form_of(r).pairs]
    r = client.post('admin', f'/{m.internal_name()}/privacy/sender',
                    form=fields)
    assert reload(m).member_moderation_action == 2, messages(r)
    # Unticking every box of a checkbox group means none.
    r = varhelp(client, m, 'general/new_member_options')
    fields = [(k, v) for k, v in form_of(r).pairs
              if k != 'new_member_options' or v == '']
    m.Lock()
    m.new_member_options = 256      # 'nodupes'
    m.Save()
    m.Unlock()
    r = client.post('admin', f'/{m.internal_name()}/general', form=fields)
    assert 'Saved: new_member_options' in r.plain, messages(r)
    assert reload(m).new_member_options == 0
    # An upload setting's help form takes a file too.
    r = varhelp(client, m, 'autoreply/autoresponse_request_text')
    assert form_tag(r, '/autoreply')['enctype'] == 'multipart/form-data'
    assert 'autoresponse_request_text_upload' in form_of(r).names


def test_new_forms_are_valid_html(lists, tmp_path):
    import test_html_valid
    from Mailman import mm_cfg
    m = lists(description=f'D {SCRIPT}',
              topics=[(f'n{SCRIPT}', 'a|b', SCRIPT, False)],
              header_filter_rules=[(f'^X: {SCRIPT}', mm_cfg.HOLD, False),
                                   ('^Y: 1', mm_cfg.DISCARD, False)])
    client = admin_client(m)
    name = m.internal_name()
    pages = {
        'autoreply': client.get('admin', f'/{name}/autoreply'),
        'members-add': client.get('admin', f'/{name}/members/add'),
        'members-remove': client.get('admin', f'/{name}/members/remove'),
        'varhelp-text': varhelp(client, m, 'general/description'),
        'varhelp-checkbox': varhelp(client, m, 'general/new_member_options'),
        'varhelp-radio': varhelp(client, m, 'general/send_reminders'),
        'varhelp-select': varhelp(client, m, 'language/preferred_language'),
        'varhelp-upload': varhelp(client, m,
                                  'autoreply/autoresponse_admin_text'),
        'varhelp-topics': varhelp(client, m, 'topics/topics'),
        'varhelp-rules': varhelp(client, m,
                                 'privacy/spam/header_filter_rules'),
    }
    path = f'/{name}/topics'
    pages['topics-added'] = client.post(
        'admin', path, form=editor_fields(client, path)
        + [('topic_add_01', 'before')])
    pages['topics-error'] = client.post(
        'admin', path, form=[(k, '(bad' if k == 'topic_rebox_01' else v)
                             for k, v in editor_fields(client, path)]
        + [('topic_delete_02', '1'), ('submit', 'x')])
    path = f'/{name}/privacy/spam'
    pages['rules-error'] = client.post(
        'admin', path, form=[(k, '(bad' if k == 'hdrfilter_rebox_02' else v)
                             for k, v in editor_fields(client, path)]
        + [('hdrfilter_add_01', 'after')])
    for label, response in pages.items():
        assert response.status == 200, (label, response.text[:1000])
        assert response.text.count('<h1>') == 1, label
        assert SCRIPT not in response.text, label
        (tmp_path / f'{label}.html').write_text(response.text)
    errors = test_html_valid.check_html(tmp_path)
    assert not errors, '\n'.join(f'{page}:{line}: {message}  [{extract}]'
                                 for page, line, message, extract in errors)
