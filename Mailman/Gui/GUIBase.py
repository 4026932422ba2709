"""What every admin category shares: the shape of its declarations, and the
conversion and checking of new values.

A category's GetConfigInfo() returns a list whose first item is the
category's description; after it come section headings (plain strings) and
one tuple per setting:

    (attribute, widget_type, params, dependencies, description, details)

`params` depends on the widget: the labels of a Radio or Toggle, the width
of a String, Email, Host or Number field, (rows, columns) of a Text,
EmailList or FileUpload box, (codes, names, selected index) of a Select,
(labels, checked states, 0, keys) of a Checkbox group, 0 for the Topics and
HeaderFilter editors.

convert() turns a new value into what the list stores, or raises
ValidationError.  It takes either what a web form posts (strings, a list of
strings for checkboxes) or a Python value read from a bin/config_list file.
Two settings are shown in other units than they are stored in, and one
radio group does not start at 0; convert(..., form=True) takes the value as
the web page shows it, form=False (the default) as it is stored:

  * bounce_info_stale_after and bounce_you_are_disabled_warnings_interval
    are stored in seconds; the web page shows days.
  * subscribe_policy is stored as 0 (open), 1 (confirm), 2 (approve),
    3 (confirm and approve); without ALLOW_OPEN_SUBSCRIBE the page offers
    only the last three, so the form's choice N means the stored N + 1.

display_value() is the inverse, for rendering the value on a form.
"""

import re

from Mailman import Errors
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.i18n import _


class ValidationError(ValueError):
    """A value that cannot be stored in ATTRIBUTE; MESSAGE says why."""

    def __init__(self, attribute, message):
        super().__init__(attribute, message)
        self.attribute = attribute
        self.message = message

    def __str__(self):
        return f'{self.attribute}: {self.message}'


# ------------------------------------------------------------------ declarations
def entry(attribute, widget_type, params, description, details='',
          dependencies=0):
    """One setting's declaration tuple, in 2.1's order of fields."""
    return (attribute, widget_type, params, dependencies, description,
            details)


def yes_no():
    return (_('No'), _('Yes'))


class GUIBase:
    """Base of the admin categories.  A subclass sets NAME and TITLE (and
    SUBCATEGORIES when it has them) and builds its declarations in
    GetConfigInfo()."""

    NAME = None
    TITLE = None
    SUBCATEGORIES = None        # [(name, title), ...] or None

    def GetConfigCategory(self):
        return self.NAME, _(self.TITLE)

    def GetConfigSubCategories(self, category):
        if category != self.NAME or self.SUBCATEGORIES is None:
            return None
        return [(name, _(title)) for name, title in self.SUBCATEGORIES]

    def GetConfigInfo(self, mlist, category, subcat=None):
        return None

    def _subcategory(self, subcat):
        """SUBCAT, or the first subcategory when it is missing or unknown."""
        names = [name for name, title in self.SUBCATEGORIES or []]
        if subcat in names:
            return subcat
        return names[0] if names else None

    # The value hooks; categories with nothing special inherit these.
    def convert(self, mlist, attribute, widget_type, params, value, **kws):
        return convert(mlist, attribute, widget_type, params, value, **kws)

    def display_value(self, mlist, attribute, widget_type, params):
        return display_value(mlist, attribute, widget_type, params)


# ------------------------------------------------------------------ special cases
# Settings that 2.1 stores as bool (their defaults are Yes/No); every other
# Toggle and Radio setting is stored as an int.
BOOL_ATTRIBUTES = frozenset({
    'anonymous_list', 'first_strip_reply_to', 'umbrella_list',
    'send_reminders', 'send_welcome_msg', 'send_goodbye_msg',
    'admin_immed_notify', 'admin_notify_mchanges', 'respond_to_post_requests',
    'administrivia', 'drop_cc', 'nondigestable', 'scrub_nondigest',
    'regular_exclude_ignore', 'digestable', 'digest_is_default',
    'mime_is_default_digest', 'digest_send_periodic', 'advertised',
    'obscure_addresses', 'default_member_moderation',
    'dmarc_quarantine_moderation_action', 'dmarc_none_moderation_action',
    'forward_auto_discards', 'require_explicit_destination',
    'bounce_processing', 'bounce_unrecognized_goes_to_list_owner',
    'bounce_notify_owner_on_bounce_increment',
    'bounce_notify_owner_on_disable', 'bounce_notify_owner_on_removal',
    'archive', 'filter_content', 'collapse_alternatives',
    'convert_html_to_plaintext',
})

# Number settings stored as float.
FLOAT_ATTRIBUTES = frozenset({'bounce_score_threshold'})

# Number settings stored in seconds but shown in days on the web page.
DAY_ATTRIBUTES = frozenset({'bounce_info_stale_after',
                            'bounce_you_are_disabled_warnings_interval'})
SECONDS_PER_DAY = 24 * 60 * 60

# Smallest allowed value of a Number setting: 0 unless listed here (None:
# no limit).
NUMBER_MINIMUM = {
    'admin_member_chunksize': 1,
    'bounce_you_are_disabled_warnings': 0,
    'topics_bodylines_limit': None,      # negative: scan the whole body
}

# Text settings stored as a list of strings, one per line of the text.
LIST_TEXT_ATTRIBUTES = frozenset({'filter_mime_types', 'pass_mime_types',
                                  'filter_filename_extensions',
                                  'pass_filename_extensions'})
_MIME_TYPE = re.compile(r'[-\w.+]+(/[-\w.+*]+)?')
_EXTENSION = re.compile(r'\.?[-\w.+]+')

# Email settings that may be left empty.
EMPTY_EMAIL_ATTRIBUTES = frozenset({'reply_to_address'})

# Text settings whose non-empty lines are regular expressions.
REGEX_LINES_ATTRIBUTES = frozenset({'acceptable_aliases'})

# Header and footer templates, and the substitutions they may use.
TEMPLATE_ATTRIBUTES = frozenset({'msg_header', 'msg_footer',
                                 'digest_header', 'digest_footer'})
TEMPLATE_NAMES = ('real_name', 'list_name', 'host_name', 'web_page_url',
                  'description', 'info', 'cgiext', '_internal_name')
PERSONALIZED_TEMPLATE_NAMES = ('user_address', 'user_delivered_to',
                               'user_password', 'user_name',
                               'user_optionsurl')

# Actions a header_filter_rules rule may take.
HEADER_FILTER_ACTIONS = (mm_cfg.DEFER, mm_cfg.HOLD, mm_cfg.REJECT,
                         mm_cfg.DISCARD, mm_cfg.ACCEPT)

# new_member_options: the options the page offers, and every option bit.
NEW_MEMBER_OPTION_KEYS = ('hide', 'ack', 'notmetoo', 'nodupes')
ALL_OPTION_BITS = 0
for _bit in mm_cfg.OPTINFO.values():
    ALL_OPTION_BITS |= _bit
del _bit

_HOST_LABEL = re.compile(r'[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?', re.IGNORECASE)


def radio_offset(attribute):
    """The stored value of a Radio setting's first choice."""
    if attribute == 'subscribe_policy' and not mm_cfg.ALLOW_OPEN_SUBSCRIBE:
        return 1
    return 0


# ------------------------------------------------------------------ conversion
def convert(mlist, attribute, widget_type, params, value, *, form=False,
            pending=None, warnings=None):
    """Return VALUE for ATTRIBUTE of MLIST in the form the list stores it,
    or raise ValidationError.

    FORM: VALUE is in the units and numbering of the web page (see the
    module's docstring); otherwise in stored units.  PENDING: the other new
    values given together with this one ({attribute: raw value}), for the
    checks that relate settings (the preferred language must be among the
    available ones).  WARNINGS: a list to which (attribute, message) pairs
    are appended for doubtful but acceptable values.
    """
    handler = _CONVERTERS.get(widget_type)
    if handler is None:
        raise ValidationError(attribute, _('unknown widget type %(type)r')
                              % {'type': widget_type})
    context = _Context(mlist, attribute, widget_type, params, form,
                       pending or {}, warnings if warnings is not None else [])
    return handler(context, value)


def display_value(mlist, attribute, widget_type, params):
    """The current value of ATTRIBUTE as a web form shows it."""
    value = getattr(mlist, attribute, None)
    if attribute in DAY_ATTRIBUTES and isinstance(value, (int, float)):
        days = value / SECONDS_PER_DAY
        return int(days) if days == int(days) else days
    if widget_type == mm_cfg.Radio and isinstance(value, int):
        return int(value) - radio_offset(attribute)
    if attribute in LIST_TEXT_ATTRIBUTES and isinstance(value, list):
        return '\n'.join(value)
    if widget_type in (mm_cfg.EmailList, mm_cfg.EmailListEx) and \
            isinstance(value, list):
        return '\n'.join(value)
    return value


class _Context:
    def __init__(self, mlist, attribute, widget_type, params, form, pending,
                 warnings):
        self.mlist = mlist
        self.attribute = attribute
        self.widget_type = widget_type
        self.params = params
        self.form = form
        self.pending = pending
        self.warnings = warnings

    def error(self, message, **values):
        return ValidationError(self.attribute, _(message) % values)

    def warn(self, message, **values):
        self.warnings.append((self.attribute, _(message) % values))

    def current(self, default=None):
        return getattr(self.mlist, self.attribute, default)


def _parse_int(c, value):
    """An int from a form string, an int, or a bool (as 0 or 1)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r'[-+]?\d+', text):
            try:
                return int(text)
            except ValueError:
                # More digits than int() converts (sys.int_info).
                raise c.error('the number is too large') from None
    raise c.error('%(value)r is not a whole number', value=value)


def _choice(c, value):
    """Toggle and Radio: an index into the choices, stored as an int or, for
    the settings 2.1 keeps as bool, as a bool."""
    number = _parse_int(c, value)
    if c.widget_type == mm_cfg.Toggle:
        low, count = 0, 2
    else:
        count = len(c.params)
        low = radio_offset(c.attribute)
        if c.form:
            number += low
    if not low <= number < low + count:
        raise c.error('%(value)r is not one of the allowed values '
                      '%(low)d to %(high)d', value=value, low=low,
                      high=low + count - 1)
    if c.attribute == 'dmarc_moderation_action' and \
            number < mm_cfg.DEFAULT_DMARC_MODERATION_ACTION:
        raise c.error('the site requires at least %(level)d here',
                      level=mm_cfg.DEFAULT_DMARC_MODERATION_ACTION)
    current = c.current()
    if type(current) in (bool, int) and current == number:
        return current      # unchanged: keep the stored type
    if c.attribute in BOOL_ATTRIBUTES:
        return bool(number)
    return number


def _string(c, value):
    if not isinstance(value, str):
        raise c.error('must be a string, not %(value)r', value=value)
    if '\n' in value or '\r' in value:
        raise c.error('must be a single line')
    if c.attribute == 'real_name' and \
            value.lower() != c.mlist.internal_name().lower():
        raise c.error('may only change the case of letters of the list '
                      'name %(name)r', name=c.mlist.internal_name())
    return value


def _normalise_lines(text):
    return text.replace('\r\n', '\n').replace('\r', '\n')


def _lines(c, value):
    """A list of stripped, non-empty lines from a list of strings or from a
    newline-separated text."""
    if isinstance(value, str):
        items = _normalise_lines(value).split('\n')
    elif isinstance(value, (list, tuple)):
        items = list(value)
        for item in items:
            if not isinstance(item, str):
                raise c.error('must be a list of strings; %(item)r is not '
                              'a string', item=item)
    else:
        raise c.error('must be a list of strings or a text with one entry '
                      'per line, not %(value)r', value=value)
    return [item.strip() for item in items if item.strip()]


def _text(c, value):
    if c.attribute in LIST_TEXT_ATTRIBUTES:
        items = _lines(c, value)
        pattern = _MIME_TYPE if 'mime' in c.attribute else _EXTENSION
        for item in items:
            if not pattern.fullmatch(item):
                raise c.error('%(item)r is not a valid entry', item=item)
        return items
    if not isinstance(value, str):
        raise c.error('must be a string, not %(value)r', value=value)
    if value != c.current():
        # New text gets \n line ends; the stored text is left as it is
        # (2.1 may have stored \r\n), so that a round trip changes nothing.
        value = _normalise_lines(value)
    if c.attribute in REGEX_LINES_ATTRIBUTES:
        for line in value.split('\n'):
            line = line.strip()
            if line:
                try:
                    re.compile(line, re.IGNORECASE)
                except re.error as error:
                    raise c.error('%(line)r is not a valid regular '
                                  'expression (%(why)s)', line=line,
                                  why=error)
    elif c.attribute in TEMPLATE_ATTRIBUTES:
        _check_template(c, value)
    elif c.attribute == 'bounce_matching_headers':
        for line in value.split('\n'):
            line = line.strip()
            if line and not line.startswith('#') and ':' not in line:
                c.warn('line %(line)r is not "header: pattern" and is '
                       'ignored', line=line)
    return value


def _check_template(c, text):
    """Warn about substitutions a header or footer cannot fill in."""
    allowed = set(TEMPLATE_NAMES)
    if getattr(c.mlist, 'personalize', 0):
        allowed.update(PERSONALIZED_TEMPLATE_NAMES)
    unknown = []
    for name in re.findall(r'%\(([^)]*)\)', text):
        if name not in allowed and name not in unknown:
            unknown.append(name)
    for name in unknown:
        c.warn('%%(%(name)s)s is not a known substitution and will not be '
               'replaced', name=name)

    class Anything(dict):
        def __missing__(self, key):
            return ''
    try:
        text % Anything()
    except (ValueError, TypeError, KeyError):
        c.warn('the text has a %% that does not start a %%(name)s '
               'substitution; write %%%% for a percent sign')


def _validate_address(c, address):
    try:
        Utils.ValidateEmail(address)
    except (Errors.MMBadEmailError, Errors.MMHostileAddress):
        raise c.error('%(address)r is not a valid email address',
                      address=address) from None


def _email(c, value):
    if not isinstance(value, str):
        raise c.error('must be a string, not %(value)r', value=value)
    value = value.strip()
    if not value and c.attribute in EMPTY_EMAIL_ATTRIBUTES:
        return ''
    _validate_address(c, value)
    return value


def _email_list(c, value):
    addresses = _lines(c, value)
    for address in addresses:
        _validate_address(c, address)
    if c.attribute == 'owner' and not addresses:
        raise c.error('a list needs at least one owner')
    return addresses


def _email_list_ex(c, value):
    entries = _lines(c, value)
    for item in entries:
        if item.startswith('^'):
            try:
                re.compile(item, re.IGNORECASE)
            except re.error as error:
                raise c.error('%(item)r is not a valid regular expression '
                              '(%(why)s)', item=item, why=error) from None
        elif item.startswith('@'):
            if not Utils.list_exists(item[1:]):
                raise c.error('%(item)r does not name a list on this site',
                              item=item)
        else:
            _validate_address(c, item)
    return entries


def _host(c, value):
    if not isinstance(value, str):
        raise c.error('must be a string, not %(value)r', value=value)
    value = value.strip()
    labels = value.split('.')
    if not value or len(value) > 253 or \
            not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise c.error('%(value)r is not a valid host name', value=value)
    return value


def _number(c, value):
    if isinstance(value, bool):
        raise c.error('must be a number, not %(value)r', value=value)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise c.error('%(value)r is not a number',
                              value=text) from None
    if not isinstance(value, (int, float)) or value != value or \
            value in (float('inf'), float('-inf')):
        raise c.error('must be a number, not %(value)r', value=value)
    try:
        if c.form and c.attribute in DAY_ATTRIBUTES:
            value = round(value * SECONDS_PER_DAY)
        # Settings are used with floats (times, scores): each must be one.
        float(value)
    except OverflowError:
        raise c.error('the number is too large') from None
    minimum = NUMBER_MINIMUM.get(c.attribute, 0)
    if minimum is not None and value < minimum:
        raise c.error('must be at least %(minimum)s', minimum=minimum)
    if c.attribute in FLOAT_ATTRIBUTES or isinstance(c.current(), float):
        return float(value)
    if value != int(value):
        raise c.error('must be a whole number, not %(value)r', value=value)
    return int(value)


def _file_upload(c, value):
    if isinstance(value, bytes):
        try:
            value = value.decode('utf-8')
        except UnicodeDecodeError:
            raise c.error('the file is not UTF-8 text') from None
    if not isinstance(value, str):
        raise c.error('must be a string, not %(value)r', value=value)
    return value


def _language_codes(value):
    """Language codes from a raw value, or None if it is not codes."""
    if isinstance(value, str):
        return [value.strip()]
    if isinstance(value, (list, tuple)) and \
            all(isinstance(item, str) for item in value):
        return [item.strip() for item in value]
    return None


def _select(c, value):
    if not isinstance(value, str):
        raise c.error('must be a string, not %(value)r', value=value)
    value = value.strip()
    if c.attribute == 'preferred_language':
        if value not in mm_cfg.LC_DESCRIPTIONS:
            raise c.error('%(value)r is not a language this site knows',
                          value=value)
        available = _language_codes(c.pending.get('available_languages'))
        if available is None:
            available = list(c.mlist.available_languages)
        if value not in available:
            raise c.error('%(value)r is not one of the available languages '
                          '%(available)s', value=value,
                          available=', '.join(available))
        return value
    choices = c.params[0] if c.params else []
    if value not in choices:
        raise c.error('%(value)r is not one of %(choices)s', value=value,
                      choices=', '.join(map(str, choices)))
    return value


def _checkbox(c, value):
    if c.attribute == 'new_member_options':
        return _new_member_options(c, value)
    if c.attribute == 'available_languages':
        return _available_languages(c, value)
    keys = list(c.params[3]) if c.params and len(c.params) > 3 else []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or \
            any(item not in keys for item in value):
        raise c.error('must be a list of some of %(keys)s',
                      keys=', '.join(map(str, keys)))
    return list(value)


def _new_member_options(c, value):
    keys = NEW_MEMBER_OPTION_KEYS
    if c.params and len(c.params) > 3:
        keys = tuple(c.params[3])
    if isinstance(value, str) and re.fullmatch(r'\d+', value.strip()):
        value = int(value)
    elif isinstance(value, str):
        value = [value] if value.strip() else []
    if isinstance(value, bool):
        raise c.error('must be a number or a list of option names, not '
                      '%(value)r', value=value)
    if isinstance(value, int):
        if value < 0 or value & ~ALL_OPTION_BITS:
            raise c.error('%(value)r has bits that are not member options',
                          value=value)
        bits = value
    elif isinstance(value, (list, tuple)):
        bits = 0
        for name in value:
            if name not in keys:
                raise c.error('%(name)r is not one of the options %(keys)s',
                              name=name, keys=', '.join(keys))
            bits |= mm_cfg.OPTINFO[name]
        if c.form:
            # Options the page does not offer keep their current state.
            shown = 0
            for name in keys:
                shown |= mm_cfg.OPTINFO[name]
            bits |= (c.current(0) or 0) & ~shown
    else:
        raise c.error('must be a number or a list of option names, not '
                      '%(value)r', value=value)
    return bits


def _available_languages(c, value):
    codes = _language_codes(value)
    if codes is None:
        raise c.error('must be a list of language codes, not %(value)r',
                      value=value)
    codes = [code for code in codes if code]
    if not codes:
        raise c.error('at least one language must be available')
    for code in codes:
        if code not in mm_cfg.LC_DESCRIPTIONS:
            raise c.error('%(code)r is not a language this site knows',
                          code=code)
    preferred = c.pending.get('preferred_language')
    if not isinstance(preferred, str):
        preferred = c.mlist.preferred_language
    if preferred.strip() not in codes:
        raise c.error('must include the preferred language %(code)r',
                      code=preferred.strip())
    return codes


def _regex(c, pattern, what):
    if not isinstance(pattern, str):
        raise c.error('the %(what)s %(value)r is not a string', what=what,
                      value=pattern)
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise c.error('%(pattern)r is not a valid regular expression '
                      '(%(why)s)', pattern=pattern, why=error) from None


def _flag(c, value, what):
    if isinstance(value, bool) or value in (0, 1):
        return value
    raise c.error('the %(what)s flag %(value)r must be True or False',
                  what=what, value=value)


def _topics(c, value):
    if not isinstance(value, (list, tuple)):
        raise c.error('must be a list of (name, pattern, description, '
                      'empty) tuples, not %(value)r', value=value)
    result = []
    names = set()
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 4:
            raise c.error('%(item)r is not a (name, pattern, description, '
                          'empty) tuple', item=item)
        name, pattern, description, empty = item
        if not isinstance(name, str) or not name.strip():
            raise c.error('a topic needs a name, not %(name)r', name=name)
        if name in names:
            raise c.error('the topic name %(name)r is used twice', name=name)
        names.add(name)
        _regex(c, pattern, 'pattern')
        if not isinstance(description, str):
            raise c.error('the description %(value)r is not a string',
                          value=description)
        result.append((name, pattern, description, _flag(c, empty, 'empty')))
    return result


def _header_filter(c, value):
    if not isinstance(value, (list, tuple)):
        raise c.error('must be a list of (patterns, action, empty) tuples, '
                      'not %(value)r', value=value)
    result = []
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise c.error('%(item)r is not a (patterns, action, empty) tuple',
                          item=item)
        patterns, action, empty = item
        if not isinstance(patterns, str):
            raise c.error('the patterns %(value)r are not a string',
                          value=patterns)
        for line in _normalise_lines(patterns).split('\n'):
            if line.strip():
                _regex(c, line.strip(), 'pattern')
        if isinstance(action, bool) or action not in HEADER_FILTER_ACTIONS:
            raise c.error('%(action)r is not a header filter action (one of '
                          '%(actions)s)', action=action,
                          actions=', '.join(map(str, HEADER_FILTER_ACTIONS)))
        result.append((patterns, action, _flag(c, empty, 'empty')))
    return result


_CONVERTERS = {
    mm_cfg.Toggle: _choice,
    mm_cfg.Radio: _choice,
    mm_cfg.String: _string,
    mm_cfg.Text: _text,
    mm_cfg.Email: _email,
    mm_cfg.EmailList: _email_list,
    mm_cfg.Host: _host,
    mm_cfg.Number: _number,
    mm_cfg.FileUpload: _file_upload,
    mm_cfg.Select: _select,
    mm_cfg.Topics: _topics,
    mm_cfg.Checkbox: _checkbox,
    mm_cfg.EmailListEx: _email_list_ex,
    mm_cfg.HeaderFilter: _header_filter,
}


# ------------------------------------------------------------------ relations
def cross_check(mlist, values):
    """Errors in how the settings relate, with VALUES (converted new
    values) overriding MLIST's current ones.  Returns a list of
    ValidationError.  (The preferred and available languages are checked
    against each other by convert(), through its PENDING argument.)"""
    def value(name):
        return values[name] if name in values else getattr(mlist, name, None)

    errors = []
    if value('reply_goes_to_list') == 2 and not value('reply_to_address'):
        errors.append(ValidationError(
            'reply_to_address',
            _('an address is required when replies go to an explicit '
              'address (reply_goes_to_list = 2)')))
    return errors
