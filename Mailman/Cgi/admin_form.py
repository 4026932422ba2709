"""The settings form of the list admin pages: one table row per declared
setting, drawn from its Mailman/Gui declaration by widget type, and the
reading of a posted form back into raw values for GUIBase.convert().

Form field names are 2.1's: the attribute name for ordinary settings;
topic_box_NN, topic_rebox_NN, topic_desc_NN, topic_delete_NN and
topic_new_NN for the topics editor; hdrfilter_rebox_NN,
hdrfilter_action_NN, hdrfilter_delete_NN and hdrfilter_new_NN for the
header filter rules.
"""

from Mailman import mm_cfg
from Mailman.Cgi.Page import escape

# The button of the settings form.  Its presence tells a whole-page post
# (where an unticked checkbox group means "none") from a script posting a
# few fields.
SUBMIT = 'submit'

SINGLE_LINE = (mm_cfg.String, mm_cfg.Email, mm_cfg.Host, mm_cfg.Number)
TEXT_BOXES = (mm_cfg.Text, mm_cfg.EmailList, mm_cfg.EmailListEx,
              mm_cfg.FileUpload)

HEADER_FILTER_CHOICES = ((mm_cfg.DEFER, 'Defer'), (mm_cfg.HOLD, 'Hold'),
                         (mm_cfg.REJECT, 'Reject'),
                         (mm_cfg.DISCARD, 'Discard'),
                         (mm_cfg.ACCEPT, 'Accept'))


class FormError(Exception):
    """A posted editor row that cannot be read (ATTRIBUTE, MESSAGE)."""

    def __init__(self, attribute, message):
        super().__init__(attribute, message)
        self.attribute = attribute
        self.message = message


# ------------------------------------------------------------------ reading
def _first(form, name):
    """The first posted value of NAME, unstripped (a trailing space of a
    subject prefix matters), with browser line ends made \\n."""
    values = form.get(name)
    if not values:
        return None
    return values[0]


def _text_value(text):
    return (text or '').replace('\r\n', '\n').replace('\r', '\n')


def posted_values(form, info):
    """{attribute: raw value} for the settings of INFO (a GetConfigInfo
    list) that FORM carries, and a list of FormError for editor rows that
    cannot be read."""
    values, errors = {}, []
    whole_page = SUBMIT in form
    for item in info[1:]:
        if not isinstance(item, tuple):
            continue
        attribute, widget_type = item[0], item[1]
        try:
            if widget_type == mm_cfg.Topics:
                if 'topic_box_01' in form:
                    values[attribute] = _posted_topics(form, attribute)
            elif widget_type == mm_cfg.HeaderFilter:
                if 'hdrfilter_rebox_01' in form:
                    values[attribute] = _posted_header_filters(form,
                                                               attribute)
            elif widget_type == mm_cfg.Checkbox:
                if attribute in form:
                    values[attribute] = [v for v in form[attribute] if v]
                elif whole_page:
                    values[attribute] = []
            elif attribute in form:
                values[attribute] = _first(form, attribute)
        except FormError as error:
            errors.append(error)
    return values, errors


def _rows(form, prefix):
    number = 1
    while f'{prefix}{number:02d}' in form:
        yield number
        number += 1


def _posted_topics(form, attribute):
    topics = []
    for n in _rows(form, 'topic_box_'):
        if f'topic_delete_{n:02d}' in form:
            continue
        name = (_first(form, f'topic_box_{n:02d}') or '').strip()
        pattern = _text_value(_first(form, f'topic_rebox_{n:02d}')).strip()
        description = _text_value(_first(form, f'topic_desc_{n:02d}'))
        if not (name or pattern or description.strip()):
            continue
        if not name or not pattern:
            raise FormError(attribute, f'topic {n} needs both a name and a '
                                       'pattern')
        topics.append((name, pattern, description, False))
    return topics


def _posted_header_filters(form, attribute):
    rules = []
    for n in _rows(form, 'hdrfilter_rebox_'):
        if f'hdrfilter_delete_{n:02d}' in form:
            continue
        patterns = _text_value(_first(form, f'hdrfilter_rebox_{n:02d}'))
        if not patterns.strip():
            continue
        action = _first(form, f'hdrfilter_action_{n:02d}')
        try:
            action = int(action) if action is not None else mm_cfg.DEFER
        except ValueError:
            raise FormError(attribute, f'rule {n} has no valid action')
        rules.append((patterns, action, False))
    return rules


def as_shown(gui, mlist, info, attribute, value):
    """True if VALUE, posted for ATTRIBUTE, is exactly what the page shows
    for the list's current value (so it changes nothing)."""
    for item in info[1:]:
        if isinstance(item, tuple) and item[0] == attribute:
            break
    else:
        return False
    if attribute.startswith('_'):
        return False            # an action is never "as shown"
    shown = gui.display_value(mlist, attribute, item[1], item[2])
    if isinstance(value, str):
        if isinstance(shown, bool):
            shown = int(shown)
        return shown is not None and \
            _text_value(value) == _text_value(str(shown))
    if item[1] == mm_cfg.Checkbox and isinstance(shown, (list, tuple)):
        # Boxes come back in page order, whatever order the list keeps.
        return sorted(value) == sorted(shown)
    if isinstance(shown, (list, tuple)) and isinstance(value, list):
        return [tuple(v) for v in value] == [tuple(s) for s in shown]
    return False


# ------------------------------------------------------------------ drawing
def help_url(admin_url, category, subcat, attribute):
    where = f'{category}/{subcat}/{attribute}' if subcat \
        else f'{category}/{attribute}'
    return f'{admin_url}/?VARHELP={where}'


def settings_table(gui, mlist, info, category, subcat, admin_url,
                   posted=None, errors=None):
    """The settings of INFO as a table (safe HTML).  POSTED: raw values to
    show instead of the current ones (after a refused post); ERRORS:
    {attribute: message} shown beside their fields."""
    posted = posted or {}
    errors = errors or {}
    rows = []
    for item in info[1:]:
        if not isinstance(item, tuple):
            rows.append(f'<tr><th colspan="2" scope="colgroup">'
                        f'{escape(item)}</th></tr>')
            continue
        attribute, widget_type, params = item[0], item[1], item[2]
        description = item[4] if len(item) > 4 else ''
        if attribute in posted:
            shown, from_post = posted[attribute], True
        else:
            shown = gui.display_value(mlist, attribute, widget_type, params)
            if attribute.startswith('_'):
                shown = 0       # an action (_new_volume...) starts at No
            from_post = False
        control = widget(attribute, widget_type, params, shown, from_post)
        error = ''
        if attribute in errors:
            error = (f'<p class="error" role="alert" id="{escape(attribute)}'
                     f'-error">{escape(errors[attribute])}</p>')
        url = help_url(admin_url, category, subcat, attribute)
        link = (f'<a href="{escape(url)}">'
                f'(Details for {escape(attribute)})</a>')
        if widget_type in SINGLE_LINE + TEXT_BOXES + (mm_cfg.Select,):
            caption = (f'<label for="{escape(attribute)}">'
                       f'{escape(description)}</label>')
        else:
            caption = escape(description)
        rows.append(f'<tr><td>{caption}<br><code>{escape(attribute)}</code>'
                    f' {link}</td><td>{error}{control}</td></tr>')
    return ('<table class="settings"><thead><tr><th scope="col">Description'
            '</th><th scope="col">Value</th></tr></thead><tbody>\n'
            + '\n'.join(rows) + '\n</tbody></table>')


def widget(attribute, widget_type, params, shown, from_post=False):
    name = escape(attribute)
    if widget_type in (mm_cfg.Toggle, mm_cfg.Radio):
        return _radios(attribute, attribute, params, shown)
    if widget_type in SINGLE_LINE:
        size = params if isinstance(params, int) and params > 0 else 30
        value = '' if shown is None else shown
        return (f'<input type="text" id="{name}" name="{name}" '
                f'size="{max(size, 5)}" value="{escape(value)}">')
    if widget_type in TEXT_BOXES:
        rows, cols = params if isinstance(params, tuple) and \
            len(params) == 2 else (4, 50)
        return _textarea(attribute, attribute, shown, rows, cols)
    if widget_type == mm_cfg.Select:
        return _select(attribute, params, shown)
    if widget_type == mm_cfg.Checkbox:
        return _checkboxes(attribute, params, shown, from_post)
    if widget_type == mm_cfg.Topics:
        return topics_editor(shown)
    if widget_type == mm_cfg.HeaderFilter:
        return header_filter_editor(shown)
    return (f'<p class="error">{name}: this kind of setting cannot be '
            'shown.</p>')


def _textarea(field_id, name, value, rows, cols, label=None):
    aria = f' aria-label="{escape(label)}"' if label else ''
    # A newline right after <textarea> is dropped by the HTML parser, so
    # one is always written: a value that starts with one keeps it.
    return (f'<textarea id="{escape(field_id)}" name="{escape(name)}" '
            f'rows="{int(rows)}" cols="{int(cols)}"{aria}>\n'
            f'{escape("" if value is None else value)}</textarea>')


def _radios(field_id, name, labels, shown):
    if isinstance(shown, bool):
        shown = int(shown)
    current = '' if shown is None else str(shown).strip()
    choices = []
    for index, label in enumerate(labels):
        checked = ' checked' if str(index) == current else ''
        choices.append(f'<label><input type="radio" name="{escape(name)}" '
                       f'value="{index}"{checked}> {escape(label)}</label>')
    return (f'<div role="radiogroup" aria-label="{escape(field_id)}">'
            + ' '.join(choices) + '</div>')


def _select(attribute, params, shown):
    codes, names = list(params[0]), list(params[1])
    options = []
    for code, label in zip(codes, names):
        selected = ' selected' if str(code) == str(shown) else ''
        options.append(f'<option value="{escape(code)}"{selected}>'
                       f'{escape(label)}</option>')
    return (f'<select id="{escape(attribute)}" name="{escape(attribute)}">'
            + ''.join(options) + '</select>')


def _checkboxes(attribute, params, shown, from_post):
    labels, states, keys = params[0], params[1], params[3]
    boxes = []
    for label, state, key in zip(labels, states, keys):
        on = (key in shown) if from_post else bool(state)
        checked = ' checked' if on else ''
        boxes.append(f'<label><input type="checkbox" '
                     f'name="{escape(attribute)}" value="{escape(key)}"'
                     f'{checked}> {escape(label)}</label>')
    return (f'<div role="group" aria-label="{escape(attribute)}">'
            + '<br>\n'.join(boxes) + '</div>')


def topics_editor(topics):
    """One fieldset per topic plus an empty one for a new topic."""
    topics = list(topics or [])
    parts = []
    rows = [(t[0], t[1], t[2], False) for t in topics] + [('', '', '', True)]
    for n, (name, pattern, description, new) in enumerate(rows, 1):
        tag = f'{n:02d}'
        title = 'New topic' if new else f'Topic {n}'
        extra = (f'<input type="hidden" name="topic_new_{tag}" value="1">'
                 if new else
                 f'<label><input type="checkbox" name="topic_delete_{tag}" '
                 f'value="1"> Delete this topic</label>')
        parts.append(
            f'<fieldset><legend>{title}</legend>'
            f'<label for="topic_box_{tag}">Name</label> '
            f'<input type="text" id="topic_box_{tag}" name="topic_box_{tag}" '
            f'size="30" value="{escape(name)}"><br>'
            f'<label for="topic_rebox_{tag}">Pattern (regular expression)'
            f'</label><br>'
            + _textarea(f'topic_rebox_{tag}', f'topic_rebox_{tag}', pattern,
                        3, 50) +
            f'<br><label for="topic_desc_{tag}">Description</label><br>'
            + _textarea(f'topic_desc_{tag}', f'topic_desc_{tag}',
                        description, 3, 50) +
            f'<br>{extra}</fieldset>')
    return '\n'.join(parts)


def header_filter_editor(rules):
    """One fieldset per rule plus an empty one for a new rule."""
    rules = list(rules or [])
    rows = [(r[0], r[1], False) for r in rules] + [('', mm_cfg.DEFER, True)]
    parts = []
    for n, (patterns, action, new) in enumerate(rows, 1):
        tag = f'{n:02d}'
        title = 'New rule' if new else f'Rule {n}'
        choices = []
        for value, label in HEADER_FILTER_CHOICES:
            checked = ' checked' if str(value) == str(action) else ''
            choices.append(f'<label><input type="radio" '
                           f'name="hdrfilter_action_{tag}" value="{value}"'
                           f'{checked}> {label}</label>')
        extra = (f'<input type="hidden" name="hdrfilter_new_{tag}" value="1">'
                 if new else
                 f'<label><input type="checkbox" name="hdrfilter_delete_{tag}"'
                 f' value="1"> Delete this rule</label>')
        parts.append(
            f'<fieldset><legend>{title}</legend>'
            f'<label for="hdrfilter_rebox_{tag}">Patterns, one regular '
            f'expression per line</label><br>'
            + _textarea(f'hdrfilter_rebox_{tag}', f'hdrfilter_rebox_{tag}',
                        patterns, 3, 50) +
            f'<div role="radiogroup" aria-label="Action of rule {n}">Action: '
            + ' '.join(choices) + f'</div>{extra}</fieldset>')
    return '\n'.join(parts)
