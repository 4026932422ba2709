"""The admin settings declared in Mailman/Gui: every 2.1 attribute, with its
widget type, choices and help, in its category; and GUIBase.convert(), the
value checks shared by the web admin pages and bin/config_list."""

import csv
import io
import shutil
from pathlib import Path

import pytest

from Mailman import Gui
from Mailman import Passwords
from Mailman import mm_cfg
from Mailman.Gui import GUIBase
from Mailman.Gui.GUIBase import ValidationError, convert
from Mailman.MailList import MailList

SHARED_TSV = Path('/work/shared/reference/mailman-2.1-gui-attributes.tsv')

# The 2.1 admin attributes (reference/mailman-2.1-gui-attributes.tsv without
# its default column): category, subcategory, attribute, widget type, choices.
REFERENCE_TSV = '''\
category	subcategory	attribute	widget_type	choices
general		real_name	String	
general		owner	EmailList	
general		moderator	EmailList	
general		description	String	
general		info	Text	
general		subject_prefix	String	
general		from_is_list	Radio	('No', 'Munge From', 'Wrap Message')
general		anonymous_list	Radio	('No', 'Yes')
general		first_strip_reply_to	Radio	('No', 'Yes')
general		reply_goes_to_list	Radio	('Poster', 'This list', 'Explicit address')
general		reply_to_address	Email	
general		umbrella_list	Radio	('No', 'Yes')
general		umbrella_member_suffix	String	
general		send_reminders	Radio	('No', 'Yes')
general		welcome_msg	Text	
general		send_welcome_msg	Radio	('No', 'Yes')
general		goodbye_msg	Text	
general		send_goodbye_msg	Radio	('No', 'Yes')
general		admin_immed_notify	Radio	('No', 'Yes')
general		admin_notify_mchanges	Radio	('No', 'Yes')
general		respond_to_post_requests	Radio	('No', 'Yes')
general		emergency	Toggle	
general		new_member_options	Checkbox	(["Conceal the member's address", "Acknowledge the member's posting", "Do not send a copy of a member's own post", 'Filter out duplicate messages to list members (if possible)'], [0, 0, 0, 256], 0, ('hide', 'ack', 'notmetoo', 'nodupes'))
general		administrivia	Radio	('No', 'Yes')
general		max_message_size	Number	
general		admin_member_chunksize	Number	
general		host_name	Host	
general		include_rfc2369_headers	Radio	('No', 'Yes')
general		include_list_post_header	Radio	('No', 'Yes')
general		include_sender_header	Radio	('No', 'Yes')
general		drop_cc	Radio	('No', 'Yes')
general		max_days_to_hold	Number	
language		preferred_language	Select	(['en'], ['English (USA)'], 0)
language		available_languages	Checkbox	(['Arabic', 'Asturian', 'Catalan', 'Czech', 'Danish', 'German', 'Greek', 'English (USA)', 'Esperanto', 'Spanish (Spain)', 'Estonian', 'Euskara', 'Persian', 'Finnish', 'French', 'Galician', 'Hebrew', 'Croatian', 'Hungarian', 'Interlingua', 'Italian', 'Japanese', 'Korean', 'Lithuanian', 'Dutch', 'Norwegian', 'Polish', 'Portuguese', 'Portuguese (Brazil)', 'Romanian', 'Russian', 'Slovak', 'Slovenian', 'Serbian', 'Swedish', 'Turkish', 'Ukrainian', 'Vietnamese', 'Chinese (China)', 'Chinese (Taiwan)'], [False, False, False, False, False, False, False, True, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False, False], 0, ['ar', 'ast', 'ca', 'cs', 'da', 'de', 'el', 'en', 'eo', 'es', 'et', 'eu', 'fa', 'fi', 'fr', 'gl', 'he', 'hr', 'hu', 'ia', 'it', 'ja', 'ko', 'lt', 'nl', 'no', 'pl', 'pt', 'pt_BR', 'ro', 'ru', 'sk', 'sl', 'sr', 'sv', 'tr', 'uk', 'vi', 'zh_CN', 'zh_TW'])
language		encode_ascii_prefixes	Radio	('Never', 'Always', 'As needed')
nondigest		nondigestable	Toggle	
nondigest		msg_header	Text	
nondigest		msg_footer	Text	
nondigest		scrub_nondigest	Toggle	
nondigest		regular_exclude_lists	EmailList	
nondigest		regular_exclude_ignore	Toggle	
nondigest		regular_include_lists	EmailList	
digest		digestable	Toggle	
digest		digest_is_default	Radio	('Regular', 'Digest')
digest		mime_is_default_digest	Radio	('Plain', 'MIME')
digest		digest_size_threshhold	Number	
digest		digest_send_periodic	Radio	('No', 'Yes')
digest		digest_header	Text	
digest		digest_footer	Text	
digest		digest_volume_frequency	Radio	('Yearly', 'Monthly', 'Quarterly', 'Weekly', 'Daily')
digest		_new_volume	Toggle	
digest		_send_digest_now	Toggle	
privacy	subscribing	advertised	Radio	('No', 'Yes')
privacy	subscribing	subscribe_policy	Radio	('Confirm', 'Require approval', 'Confirm and approve')
privacy	subscribing	subscribe_auto_approval	EmailListEx	
privacy	subscribing	unsubscribe_policy	Radio	('No', 'Yes')
privacy	subscribing	ban_list	EmailListEx	
privacy	subscribing	private_roster	Radio	('Anyone', 'List members', 'List admin only')
privacy	subscribing	obscure_addresses	Radio	('No', 'Yes')
privacy	sender	default_member_moderation	Radio	('No', 'Yes')
privacy	sender	member_verbosity_threshold	Number	
privacy	sender	member_verbosity_interval	Number	
privacy	sender	member_moderation_action	Radio	('Hold', 'Reject', 'Discard')
privacy	sender	member_moderation_notice	Text	
privacy	sender	dmarc_moderation_action	Radio	('Accept', 'Munge From', 'Wrap Message', 'Reject', 'Discard')
privacy	sender	dmarc_quarantine_moderation_action	Radio	('No', 'Yes')
privacy	sender	dmarc_none_moderation_action	Radio	('No', 'Yes')
privacy	sender	dmarc_moderation_notice	Text	
privacy	sender	dmarc_moderation_addresses	EmailListEx	
privacy	sender	dmarc_wrapped_message_text	Text	
privacy	sender	equivalent_domains	Text	
privacy	sender	accept_these_nonmembers	EmailListEx	
privacy	sender	hold_these_nonmembers	EmailListEx	
privacy	sender	reject_these_nonmembers	EmailListEx	
privacy	sender	discard_these_nonmembers	EmailListEx	
privacy	sender	generic_nonmember_action	Radio	('Accept', 'Hold', 'Reject', 'Discard')
privacy	sender	forward_auto_discards	Radio	('No', 'Yes')
privacy	sender	nonmember_rejection_notice	Text	
privacy	recipient	require_explicit_destination	Radio	('No', 'Yes')
privacy	recipient	acceptable_aliases	Text	
privacy	recipient	max_num_recipients	Number	
privacy	spam	header_filter_rules	HeaderFilter	
privacy	spam	bounce_matching_headers	Text	
bounce		bounce_processing	Toggle	
bounce		bounce_score_threshold	Number	
bounce		bounce_info_stale_after	Number	
bounce		bounce_you_are_disabled_warnings	Number	
bounce		bounce_you_are_disabled_warnings_interval	Number	
bounce		bounce_unrecognized_goes_to_list_owner	Toggle	
bounce		bounce_notify_owner_on_bounce_increment	Toggle	
bounce		bounce_notify_owner_on_disable	Toggle	
bounce		bounce_notify_owner_on_removal	Toggle	
archive		archive	Toggle	
archive		archive_private	Radio	('public', 'private')
archive		archive_volume_frequency	Radio	('Yearly', 'Monthly', 'Quarterly', 'Weekly', 'Daily')
gateway		nntp_host	String	
gateway		linked_newsgroup	String	
gateway		gateway_to_news	Toggle	
gateway		gateway_to_mail	Toggle	
gateway		news_moderation	Radio	('None', 'Open list, moderated group', 'Moderated')
gateway		news_prefix_subject_too	Toggle	
gateway		_mass_catchup	Toggle	
autoreply		autorespond_postings	Toggle	
autoreply		autoresponse_postings_text	FileUpload	
autoreply		autorespond_admin	Toggle	
autoreply		autoresponse_admin_text	FileUpload	
autoreply		autorespond_requests	Radio	('No', 'Yes, w/discard', 'Yes, w/forward')
autoreply		autoresponse_request_text	FileUpload	
autoreply		autoresponse_graceperiod	Number	
contentfilter		filter_content	Radio	('No', 'Yes')
contentfilter		filter_mime_types	Text	
contentfilter		pass_mime_types	Text	
contentfilter		filter_filename_extensions	Text	
contentfilter		pass_filename_extensions	Text	
contentfilter		collapse_alternatives	Radio	('No', 'Yes')
contentfilter		convert_html_to_plaintext	Radio	('No', 'Yes')
contentfilter		filter_action	Radio	('Discard', 'Reject', 'Forward to List Owner', 'Preserve')
topics		topics_enabled	Radio	('Disabled', 'Enabled')
topics		topics_bodylines_limit	Number	
topics		topics	Topics	
'''

WIDGETS = {name: getattr(mm_cfg, name) for name in (
    'Toggle', 'Radio', 'String', 'Text', 'Email', 'EmailList', 'Host',
    'Number', 'FileUpload', 'Select', 'Topics', 'Checkbox', 'EmailListEx',
    'HeaderFilter')}
WIDGET_NAMES = {value: name for name, value in WIDGETS.items()}
LISTNAME = 'guitest'


def tsv_rows():
    rows = list(csv.reader(io.StringIO(REFERENCE_TSV), delimiter='\t',
                           quoting=csv.QUOTE_NONE))
    header, rows = rows[0], rows[1:]
    assert header == ['category', 'subcategory', 'attribute', 'widget_type',
                      'choices']
    return [dict(zip(header, row)) for row in rows]


def remove_list(name):
    for path in (Path(mm_cfg.LIST_DATA_DIR) / name,
                 Path(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR) / name,
                 Path(mm_cfg.PRIVATE_ARCHIVE_FILE_DIR) / (name + '.mbox')):
        shutil.rmtree(path, ignore_errors=True)
    for path in (Path(mm_cfg.PUBLIC_ARCHIVE_FILE_DIR) / name,
                 Path(mm_cfg.PUBLIC_ARCHIVE_FILE_DIR) / (name + '.mbox')):
        if path.is_symlink():
            path.unlink()


def create_list(name):
    m = MailList()
    m.Create(name, 'owner@example.com', Passwords.hash_password('x'))
    m.Save()
    m.Unlock()


@pytest.fixture(scope='module')
def listname():
    remove_list(LISTNAME)
    create_list(LISTNAME)
    create_list('guitest-other')
    yield LISTNAME
    remove_list(LISTNAME)
    remove_list('guitest-other')


@pytest.fixture
def mlist(listname):
    return MailList(listname, lock=0)


def declared(mlist, attribute):
    category, subcat, widget_type, params = Gui.attribute_map(mlist)[attribute]
    return widget_type, params


def ok(mlist, attribute, value, **kws):
    widget_type, params = declared(mlist, attribute)
    return convert(mlist, attribute, widget_type, params, value, **kws)


def bad(mlist, attribute, value, **kws):
    widget_type, params = declared(mlist, attribute)
    with pytest.raises(ValidationError) as info:
        convert(mlist, attribute, widget_type, params, value, **kws)
    assert info.value.attribute == attribute
    assert info.value.message
    return info.value


# ---------------------------------------------------------------- declarations
def test_embedded_reference_matches_the_shared_one():
    if not SHARED_TSV.exists():
        pytest.skip(f'{SHARED_TSV} is not here')
    with open(SHARED_TSV, newline='', encoding='utf-8') as f:
        shared = [row[:5] for row in csv.reader(f, delimiter='\t',
                                                 quoting=csv.QUOTE_NONE)]
    embedded = list(csv.reader(io.StringIO(REFERENCE_TSV), delimiter='\t',
                               quoting=csv.QUOTE_NONE))
    assert embedded == shared


def test_every_tsv_attribute_is_declared_as_in_2_1(mlist):
    amap = Gui.attribute_map(mlist)
    for row in tsv_rows():
        attribute = row['attribute']
        assert attribute in amap, attribute
        category, subcat, widget_type, params = amap[attribute]
        assert category == row['category'], attribute
        assert (subcat or '') == row['subcategory'], attribute
        assert WIDGET_NAMES[widget_type] == row['widget_type'], attribute
        if row['choices']:
            assert repr(params) == row['choices'], attribute
        if widget_type == mm_cfg.Toggle:
            assert params == ('No', 'Yes'), attribute


def test_declarations_follow_the_tsv_order_and_nothing_else(mlist):
    expected = [(r['category'], r['subcategory'] or None, r['attribute'])
                for r in tsv_rows()]
    actual = [(name, subcat, item[0])
              for name, subcat, item in Gui.declarations(mlist)]
    assert actual == expected


def test_every_declaration_has_help(mlist):
    for gui, subcat, info in Gui.sections(mlist):
        assert isinstance(info[0], str) and info[0].strip()
        for item in info[1:]:
            if isinstance(item, str):
                assert item.strip()
                continue
            assert len(item) == 6, item
            attribute, widget_type, params, depends, short, details = item
            assert short.strip() and details.strip(), attribute
            assert short.rstrip().endswith('.'), attribute
            assert len(details) > len(short) // 2, attribute


def test_categories_in_admin_order():
    guis = Gui.categories()
    assert [g.GetConfigCategory()[0] for g in guis] == mm_cfg.ADMIN_CATEGORIES
    for gui in guis:
        name, title = gui.GetConfigCategory()
        assert title
        module = type(gui).__module__.rsplit('.', 1)[1]
        assert module == type(gui).__name__
    privacy = Gui.category('privacy')
    assert [s[0] for s in privacy.GetConfigSubCategories('privacy')] == \
        ['subscribing', 'sender', 'recipient', 'spam']
    assert privacy.GetConfigSubCategories('general') is None
    assert Gui.category('general').GetConfigSubCategories('general') is None


def test_get_config_info_shape(mlist):
    general = Gui.category('general')
    assert general.GetConfigInfo(mlist, 'digest') is None
    info = general.GetConfigInfo(mlist, 'general')
    assert isinstance(info[0], str)
    assert any(isinstance(item, str) for item in info[1:])
    assert Gui.category('passwords').GetConfigInfo(mlist, 'passwords') is None
    assert Gui.category('members').GetConfigInfo(mlist, 'members') is None
    privacy = Gui.category('privacy')
    # An unknown or missing subcategory shows the first one, as in 2.1.
    assert privacy.GetConfigInfo(mlist, 'privacy') == \
        privacy.GetConfigInfo(mlist, 'privacy', 'subscribing')


def test_site_settings_change_what_is_declared(mlist, monkeypatch):
    monkeypatch.setattr(mm_cfg, 'OWNERS_CAN_ENABLE_PERSONALIZATION', True)
    monkeypatch.setattr(mm_cfg, 'ALLOW_OPEN_SUBSCRIBE', True)
    monkeypatch.setattr(mm_cfg, 'ALLOW_RFC2369_OVERRIDES', False)
    monkeypatch.setattr(mm_cfg, 'ALLOW_SENDER_OVERRIDES', False)
    monkeypatch.setattr(mm_cfg, 'OWNERS_CAN_PRESERVE_FILTERED_MESSAGES', False)
    amap = Gui.attribute_map(mlist)
    nondigest = [item[0] for name, subcat, item in Gui.declarations(mlist)
                 if name == 'nondigest']
    assert nondigest[:2] == ['nondigestable', 'personalize']
    assert amap['personalize'][2:] == (
        mm_cfg.Radio, ('No', 'Yes', 'Full Personalization'))
    assert amap['subscribe_policy'][3] == (
        'None', 'Confirm', 'Require approval', 'Confirm and approve')
    for attribute in ('include_rfc2369_headers', 'include_list_post_header',
                      'include_sender_header'):
        assert attribute not in amap
    assert amap['filter_action'][3] == (
        'Discard', 'Reject', 'Forward to List Owner')
    # With open subscription the form's choice is the stored value.
    assert ok(mlist, 'subscribe_policy', '0', form=True) == 0
    bad(mlist, 'filter_action', 3)


def test_default_site_settings(mlist):
    amap = Gui.attribute_map(mlist)
    assert 'personalize' not in amap
    # Without open subscription, choice N of the form is stored as N + 1.
    assert ok(mlist, 'subscribe_policy', '0', form=True) == 1
    assert ok(mlist, 'subscribe_policy', 1) == 1
    bad(mlist, 'subscribe_policy', 0)
    bad(mlist, 'subscribe_policy', '3', form=True)


# ---------------------------------------------------------------- convert
def test_convert_accepts_every_current_value_unchanged(mlist):
    for name, subcat, item in Gui.declarations(mlist):
        attribute, widget_type, params = item[:3]
        if not Gui.is_setting(attribute):
            continue
        current = getattr(mlist, attribute)
        warnings = []
        result = convert(mlist, attribute, widget_type, params, current,
                         warnings=warnings)
        assert result == current, attribute
        assert type(result) is type(current), attribute
        assert not warnings, (attribute, warnings)


# One unacceptable value per widget type (and per special case).
BAD_VALUES = [
    ('emergency', 2),                       # Toggle
    ('emergency', 'yes'),
    ('reply_goes_to_list', 3),              # Radio
    ('reply_goes_to_list', -1),
    ('anonymous_list', 1.5),
    ('description', 42),                    # String
    ('description', 'two\nlines'),
    ('real_name', 'Another'),
    ('info', ['not', 'text']),              # Text
    ('acceptable_aliases', '^(unclosed\n'),
    ('pass_mime_types', ['text plain']),
    ('reply_to_address', 'not an address'),  # Email
    ('owner', ['not an address']),          # EmailList
    ('owner', []),
    ('moderator', 'good@example.com\nbad@'),
    ('host_name', 'bad host!'),             # Host
    ('host_name', ''),
    ('max_message_size', 'big'),            # Number
    ('max_message_size', -1),
    ('max_message_size', 40.5),
    ('max_message_size', True),
    ('admin_member_chunksize', 0),
    ('autoresponse_postings_text', 7),      # FileUpload
    ('autoresponse_postings_text', b'\xff\xfe'),
    ('preferred_language', 'xx'),           # Select
    ('preferred_language', 'de'),           # known, but not available
    ('topics', [('name', '(unclosed', 'desc', False)]),  # Topics
    ('topics', [('only', 'two')]),
    ('topics', 'not a list'),
    ('available_languages', ['xx']),        # Checkbox
    ('available_languages', ['de']),        # leaves out preferred 'en'
    ('available_languages', []),
    ('new_member_options', ['bogus']),
    ('new_member_options', 1 << 12),
    ('ban_list', ['^(unclosed']),           # EmailListEx
    ('ban_list', ['@no-such-list']),
    ('ban_list', ['not an address']),
    ('header_filter_rules', [('(unclosed', mm_cfg.HOLD, False)]),  # HeaderFilter
    ('header_filter_rules', [('^subject: x', 99, False)]),
    ('header_filter_rules', 'x'),
]


def test_bad_values_cover_every_widget_type(mlist):
    types = {declared(mlist, attribute)[0] for attribute, value in BAD_VALUES}
    assert types == set(WIDGETS.values())


@pytest.mark.parametrize('attribute,value', BAD_VALUES,
                         ids=[f'{a}-{i}' for i, (a, v) in enumerate(BAD_VALUES)])
def test_convert_rejects(mlist, attribute, value):
    error = bad(mlist, attribute, value)
    assert str(error).startswith(f'{attribute}: ')


def test_unknown_widget_type(mlist):
    with pytest.raises(ValidationError):
        convert(mlist, 'info', 99, None, 'x')


def test_toggle_and_radio_types(mlist):
    # bools are 0/1; the stored type is 2.1's: bool for advertised (its
    # default is Yes), int for emergency and include_rfc2369_headers.
    assert ok(mlist, 'advertised', 0) is False
    assert ok(mlist, 'advertised', '0', form=True) is False
    assert ok(mlist, 'advertised', True) is True
    assert ok(mlist, 'emergency', True) == 1
    assert type(ok(mlist, 'emergency', True)) is int
    assert ok(mlist, 'emergency', '1', form=True) == 1
    assert type(ok(mlist, 'include_rfc2369_headers', False)) is int
    assert ok(mlist, 'reply_goes_to_list', '1') == 1
    assert ok(mlist, 'archive_volume_frequency', 4) == 4


def test_numbers(mlist):
    assert ok(mlist, 'max_message_size', '100') == 100
    assert ok(mlist, 'max_message_size', 100.0) == 100
    assert type(ok(mlist, 'max_message_size', 100.0)) is int
    assert ok(mlist, 'max_message_size', 0) == 0
    score = ok(mlist, 'bounce_score_threshold', 3)
    assert score == 3.0 and type(score) is float
    assert ok(mlist, 'bounce_score_threshold', '2.5', form=True) == 2.5
    assert ok(mlist, 'topics_bodylines_limit', -1) == -1
    # Days on the web page, seconds in config files.
    assert ok(mlist, 'bounce_info_stale_after', 86400) == 86400
    assert ok(mlist, 'bounce_info_stale_after', '2', form=True) == 2 * 86400
    assert ok(mlist, 'bounce_you_are_disabled_warnings_interval', '0.5',
              form=True) == 43200
    widget_type, params = declared(mlist, 'bounce_info_stale_after')
    assert GUIBase.display_value(mlist, 'bounce_info_stale_after',
                                 widget_type, params) == 7


def test_text_and_strings(mlist):
    assert ok(mlist, 'info', 'a\r\nb\rc\n') == 'a\nb\nc\n'
    assert ok(mlist, 'subject_prefix', '[Test %d] ') == '[Test %d] '
    assert ok(mlist, 'real_name', 'GUITEST') == 'GUITEST'
    assert ok(mlist, 'pass_mime_types', 'text/plain\r\n\r\nimage\n') == \
        ['text/plain', 'image']
    assert ok(mlist, 'filter_filename_extensions', ['exe', ' bat ']) == \
        ['exe', 'bat']
    assert ok(mlist, 'autoresponse_postings_text', b'caf\xc3\xa9') == 'café'


def test_addresses(mlist):
    assert ok(mlist, 'owner', 'a@example.com\n\n b@example.com \n') == \
        ['a@example.com', 'b@example.com']
    assert ok(mlist, 'reply_to_address', '  ') == ''
    assert ok(mlist, 'reply_to_address', 'x@example.com') == 'x@example.com'
    assert ok(mlist, 'ban_list', ['^.*@spam\\.example$', '@guitest-other',
                                  'who@example.com']) == \
        ['^.*@spam\\.example$', '@guitest-other', 'who@example.com']
    assert ok(mlist, 'host_name', 'Lists.Example.COM') == 'Lists.Example.COM'


def test_checkboxes_and_select(mlist):
    assert ok(mlist, 'new_member_options', ['hide', 'nodupes'],
              form=True) == 16 + 256
    assert ok(mlist, 'new_member_options', 'ack', form=True) == 4
    assert ok(mlist, 'new_member_options', [], form=True) == 0
    assert ok(mlist, 'new_member_options', 2 + 32) == 34
    assert ok(mlist, 'available_languages', ['en', 'de']) == ['en', 'de']
    assert ok(mlist, 'available_languages', 'en', form=True) == ['en']
    # The preferred language and the available ones are checked together.
    assert ok(mlist, 'available_languages', ['de'],
              pending={'preferred_language': 'de'}) == ['de']
    assert ok(mlist, 'preferred_language', 'de',
              pending={'available_languages': ['en', 'de']}) == 'de'


def test_topics_and_header_filters(mlist):
    topics = [['cooking', 'recipe|cook', 'About food', False]]
    assert ok(mlist, 'topics', topics) == \
        [('cooking', 'recipe|cook', 'About food', False)]
    bad(mlist, 'topics', topics + topics)      # names must be unique
    rules = [('^subject: .*viagra\n^from: .*@spam', mm_cfg.DISCARD, False)]
    assert ok(mlist, 'header_filter_rules', rules) == rules


def test_template_warnings(mlist):
    warnings = []
    value = ok(mlist, 'msg_footer', '%(real_name)s %(nonsense)s 100%',
               warnings=warnings)
    assert value == '%(real_name)s %(nonsense)s 100%'
    attributes = [attribute for attribute, message in warnings]
    assert attributes == ['msg_footer', 'msg_footer']
    assert 'nonsense' in warnings[0][1]
    warnings = []
    ok(mlist, 'digest_footer', mlist.digest_footer, warnings=warnings)
    assert warnings == []


def test_validate_cross_checks(mlist):
    converted, errors, warnings = Gui.validate(
        mlist, {'reply_goes_to_list': 2})
    assert [e.attribute for e in errors] == ['reply_to_address']
    converted, errors, warnings = Gui.validate(
        mlist, {'reply_goes_to_list': 2, 'reply_to_address': 'r@example.com'})
    assert errors == []
    assert converted == {'reply_goes_to_list': 2,
                         'reply_to_address': 'r@example.com'}
    converted, errors, warnings = Gui.validate(
        mlist, {'preferred_language': 'de', 'available_languages': ['de']})
    assert errors == []
    converted, errors, warnings = Gui.validate(
        mlist, {'max_message_size': 'big', 'owner': ['nope'],
                'subscribe_policy': 9, 'available_languages': ['xx'],
                'no_such_thing': 1})
    assert sorted(e.attribute for e in errors) == [
        'available_languages', 'max_message_size', 'no_such_thing', 'owner',
        'subscribe_policy']


def test_site_minimum_dmarc_action(mlist, monkeypatch):
    monkeypatch.setattr(mm_cfg, 'DEFAULT_DMARC_MODERATION_ACTION', 1)
    bad(mlist, 'dmarc_moderation_action', 0)
    assert ok(mlist, 'dmarc_moderation_action', 3) == 3


def test_stored_text_is_kept_as_it_is(mlist):
    # A text already stored with \r\n (2.1 kept what browsers sent) comes
    # back unchanged, so that a config_list round trip changes nothing;
    # new text gets \n line ends.
    mlist.goodbye_msg = 'one\r\ntwo'
    assert ok(mlist, 'goodbye_msg', 'one\r\ntwo') == 'one\r\ntwo'
    assert ok(mlist, 'goodbye_msg', 'one\r\nthree') == 'one\nthree'


def test_display_values_invert_form_conversion(mlist):
    for attribute in ('subscribe_policy', 'bounce_you_are_disabled_warnings_interval',
                      'pass_mime_types', 'owner', 'advertised'):
        widget_type, params = declared(mlist, attribute)
        shown = GUIBase.display_value(mlist, attribute, widget_type, params)
        if isinstance(shown, int) and not isinstance(shown, bool):
            shown = str(shown)
        assert ok(mlist, attribute, shown, form=True) == \
            getattr(mlist, attribute), attribute
