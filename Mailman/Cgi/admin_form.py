"""The settings form of the list admin pages: one table row per declared
setting, drawn from its Mailman/Gui declaration by widget type, and the
reading of a posted form back into raw values for GUIBase.convert().

Form field names are 2.1's: the attribute name for ordinary settings,
and <attribute>_upload for the file that may replace a FileUpload text;
topic_box_NN, topic_rebox_NN, topic_desc_NN, topic_delete_NN,
topic_new_NN and topic_add_NN (before/after; 2.1's topic_where_NN is read
too) for the topics editor; hdrfilter_rebox_NN, hdrfilter_action_NN,
hdrfilter_delete_NN, hdrfilter_new_NN, hdrfilter_add_NN (and
hdrfilter_where_NN), hdrfilter_up_NN and hdrfilter_down_NN for the header
filter rules.

An editor's "add" button saves the page and draws an empty row where it
was asked for; empty rows are never stored.
"""

import re

from Mailman import mm_cfg
from Mailman.Cgi.Page import escape

# The button of the settings form.  Its presence tells a whole-page post
# (where an unticked checkbox group means "none") from a script posting a
# few fields.
SUBMIT = 'submit'

SINGLE_LINE = (mm_cfg.String, mm_cfg.Email, mm_cfg.Host, mm_cfg.Number)
TEXT_BOXES = (mm_cfg.Text, mm_cfg.EmailList, mm_cfg.EmailListEx,
              mm_cfg.FileUpload)

# A hidden field of the help page's form: the one setting it changes.
ONLY = 'only_setting'

# The buttons of the editors; each submits the whole page, as SUBMIT does.
EDITOR_BUTTON = re.compile(r'(topic|hdrfilter)_(add|up|down)_\d+$')
EDITORS = (mm_cfg.Topics, mm_cfg.HeaderFilter)

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


class Row:
    """One row of the topics or header filter editor.  VALUES is the row as
    the list stores it: (name, pattern, description, False) for a topic,
    (patterns, action, False) for a rule.  BLANK: an empty row for a new
    item; DELETED: its delete box was ticked; ERROR: what is wrong with it,
    shown beside it."""

    def __init__(self, values, blank=False, deleted=False, error=None):
        self.values = tuple(values)
        self.blank = blank
        self.deleted = deleted
        self.error = error


BLANK_TOPIC = ('', '', '', False)
BLANK_RULE = ('', mm_cfg.DEFER, False)


def stored_rows(rows):
    """The value to store for editor ROWS."""
    return [row.values for row in rows if not row.blank and not row.deleted]


def _as_rows(value):
    """Editor rows from a stored value or from rows already read."""
    rows = []
    for item in value or []:
        if isinstance(item, Row):
            rows.append(item)
        else:
            item = tuple(item)
            rows.append(Row(item, blank=not any(item[:2])))
    return rows


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
    """Read the settings of INFO (a GetConfigInfo list) that FORM carries.

    Returns (values, errors, editors): {attribute: raw value}, a list of
    FormError for editor rows that cannot be used, and {attribute: [Row]}
    for the editors posted, to draw them again as posted."""
    values, errors, editors = {}, [], {}
    only = _first(form, ONLY)
    whole_page = only is None and (
        SUBMIT in form or any(EDITOR_BUTTON.match(key) for key in form))
    for item in info[1:]:
        if not isinstance(item, tuple):
            continue
        attribute, widget_type = item[0], item[1]
        if only is not None and attribute != only:
            continue
        rows = None
        if widget_type == mm_cfg.Topics:
            if 'topic_box_01' in form:
                rows, what = _posted_topics(form), 'Topic'
        elif widget_type == mm_cfg.HeaderFilter:
            if 'hdrfilter_rebox_01' in form:
                rows, what = _posted_header_filters(form), 'Rule'
        elif widget_type == mm_cfg.Checkbox:
            if attribute in form:
                values[attribute] = [v for v in form[attribute] if v]
            elif whole_page:
                values[attribute] = []
        elif widget_type == mm_cfg.FileUpload:
            upload = _first(form, f'{attribute}_upload')
            if upload:
                values[attribute] = _text_value(upload)
            elif attribute in form:
                values[attribute] = _text_value(_first(form, attribute))
        elif attribute in form:
            values[attribute] = _first(form, attribute)
        if rows is None:
            continue
        editors[attribute] = rows
        values[attribute] = stored_rows(rows)
        for number, row in enumerate(rows, 1):
            if row.error and not row.deleted:
                errors.append(FormError(attribute,
                                        f'{what} {number}: {row.error}'))
                break
    return values, errors, editors


def _rows(form, prefix):
    number = 1
    while f'{prefix}{number:02d}' in form:
        yield number
        number += 1


def _added(form, prefix, tag):
    """'before' or 'after' when the row's "add" button was pressed (its
    value, or 2.1's separate <prefix>_where_NN choice), else None."""
    if f'{prefix}_add_{tag}' not in form:
        return None
    for name in (f'{prefix}_add_{tag}', f'{prefix}_where_{tag}'):
        where = (_first(form, name) or '').strip().lower()
        if where in ('before', 'after'):
            return where
    return 'after'


def _place(rows, row, where, blank):
    """Append ROW to ROWS, with an empty row before or after it when
    WHERE asks for one."""
    if where == 'before':
        rows.append(Row(blank, blank=True))
    rows.append(row)
    if where == 'after':
        rows.append(Row(blank, blank=True))


def _regex_problem(lines, skip_comments=False):
    """Why one of LINES is not a regular expression, or None."""
    for line in lines:
        line = line.strip()
        if not line or (skip_comments and line.startswith('#')):
            continue
        try:
            re.compile(line, re.IGNORECASE)
        except re.error as error:
            return f'{line!r} is not a valid regular expression ({error}).'
    return None


def _posted_topics(form):
    rows, names = [], set()
    for n in _rows(form, 'topic_box_'):
        tag = f'{n:02d}'
        name = (_first(form, f'topic_box_{tag}') or '').strip()
        pattern = _text_value(_first(form, f'topic_rebox_{tag}')).strip()
        description = _text_value(_first(form, f'topic_desc_{tag}'))
        row = Row((name, pattern, description, False))
        if f'topic_delete_{tag}' in form:
            row.deleted = True
        elif not (name or pattern or description.strip()):
            # An empty row stays empty; it is drawn again only if asked.
            where = _added(form, 'topic', tag)
            if where:
                _place(rows, Row(BLANK_TOPIC, blank=True), where,
                       BLANK_TOPIC)
            continue
        elif not name or not pattern:
            row.error = 'A topic needs both a name and a pattern.'
        elif name in names:
            row.error = f'The topic name {name!r} is used twice.'
        else:
            # Each line of a pattern is an alternative (see Tagger).
            row.error = _regex_problem(pattern.splitlines())
        if not row.deleted:
            names.add(name)
        _place(rows, row, _added(form, 'topic', tag), BLANK_TOPIC)
    return rows


def _posted_header_filters(form):
    rows, move_down = [], None
    for n in _rows(form, 'hdrfilter_rebox_'):
        tag = f'{n:02d}'
        patterns = _text_value(_first(form, f'hdrfilter_rebox_{tag}'))
        where = _added(form, 'hdrfilter', tag)
        action = _first(form, f'hdrfilter_action_{tag}')
        try:
            action = int(action) if action is not None else mm_cfg.DEFER
            problem = None
        except ValueError:
            action, problem = mm_cfg.DEFER, 'Choose one of the actions.'
        row = Row((patterns, action, False))
        if f'hdrfilter_delete_{tag}' in form:
            row.deleted = True
        elif not patterns.strip():
            if where:
                _place(rows, Row(BLANK_RULE, blank=True), where, BLANK_RULE)
            continue
        else:
            row.error = problem or _regex_problem(patterns.splitlines(),
                                                  skip_comments=True)
        if where:
            _place(rows, row, where, BLANK_RULE)
        elif f'hdrfilter_up_{tag}' in form and rows:
            rows.insert(len(rows) - 1, row)
        else:
            rows.append(row)
            if f'hdrfilter_down_{tag}' in form:
                move_down = row
    if move_down is not None:
        at = rows.index(move_down)
        if at + 1 < len(rows):
            rows[at], rows[at + 1] = rows[at + 1], rows[at]
    return rows


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


def has_uploads(info):
    """True if the settings of INFO need a multipart form (a file input)."""
    return any(isinstance(item, tuple) and item[1] == mm_cfg.FileUpload
               for item in info[1:])


def labelled(widget_type):
    """True if the widget is one field with id=attribute, for a <label>
    (the others are groups with their own labels)."""
    return widget_type in SINGLE_LINE + TEXT_BOXES + (mm_cfg.Select,)


def has_editors(info):
    return any(isinstance(item, tuple) and item[1] in EDITORS
               for item in info[1:])


def setting_parts(gui, mlist, item, posted=None, errors=None, editors=None):
    """(caption, error, control) of one setting's declaration ITEM, as safe
    HTML; POSTED, ERRORS and EDITORS as for settings_table()."""
    attribute, widget_type, params = item[0], item[1], item[2]
    description = item[4] if len(item) > 4 else ''
    if editors and attribute in editors:
        shown, from_post = editors[attribute], True
    elif posted and attribute in posted:
        shown, from_post = posted[attribute], True
    else:
        shown = gui.display_value(mlist, attribute, widget_type, params)
        if attribute.startswith('_'):
            shown = 0       # an action (_new_volume...) starts at No
        from_post = False
    control = widget(attribute, widget_type, params, shown, from_post)
    error = ''
    if errors and attribute in errors:
        error = (f'<p class="error" role="alert" id="{escape(attribute)}'
                 f'-error">{escape(errors[attribute])}</p>')
    if labelled(widget_type):
        caption = (f'<label for="{escape(attribute)}">'
                   f'{escape(description)}</label>')
    else:
        caption = escape(description)
    return caption, error, control


def settings_table(gui, mlist, info, category, subcat, admin_url,
                   posted=None, errors=None, editors=None):
    """The settings of INFO as a table (safe HTML).  POSTED: raw values to
    show instead of the current ones (after a refused post); ERRORS:
    {attribute: message} shown beside their fields; EDITORS: {attribute:
    [Row]} editor rows to draw instead of the stored ones."""
    rows = []
    for item in info[1:]:
        if not isinstance(item, tuple):
            rows.append(f'<tr><th colspan="2" scope="colgroup">'
                        f'{escape(item)}</th></tr>')
            continue
        attribute = item[0]
        caption, error, control = setting_parts(gui, mlist, item, posted,
                                                errors, editors)
        url = help_url(admin_url, category, subcat, attribute)
        link = (f'<a href="{escape(url)}">'
                f'(Details for {escape(attribute)})</a>')
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
        box = _textarea(attribute, attribute, shown, rows, cols)
        if widget_type == mm_cfg.FileUpload:
            box += _upload(attribute)
        return box
    if widget_type == mm_cfg.Select:
        return _select(attribute, params, shown)
    if widget_type == mm_cfg.Checkbox:
        return _checkboxes(attribute, params, shown, from_post)
    if widget_type == mm_cfg.Topics:
        return topics_editor(_as_rows(shown))
    if widget_type == mm_cfg.HeaderFilter:
        return header_filter_editor(_as_rows(shown))
    return (f'<p class="error">{name}: this kind of setting cannot be '
            'shown.</p>')


def _upload(attribute):
    name = escape(f'{attribute}_upload')
    return (f'<br><label for="{name}">Or upload a text file to use instead '
            f'of the text above:</label> '
            f'<input type="file" id="{name}" name="{name}" '
            f'accept="text/plain,.txt">')


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


def _row_error(prefix, tag, row):
    if not row.error or row.deleted:
        return ''
    return (f'<p class="error" role="alert" id="{prefix}_{tag}-error">'
            f'{escape(row.error)}</p>')


def _add_buttons(prefix, tag, what):
    return (f'<button type="submit" name="{prefix}_add_{tag}" value="before">'
            f'Add a new {what} before this one</button> '
            f'<button type="submit" name="{prefix}_add_{tag}" value="after">'
            f'Add a new {what} after this one</button>')


def _new_or_delete(prefix, tag, row, what):
    if row.blank:
        return f'<input type="hidden" name="{prefix}_new_{tag}" value="1">'
    checked = ' checked' if row.deleted else ''
    return (f'<label><input type="checkbox" name="{prefix}_delete_{tag}" '
            f'value="1"{checked}> Delete this {what}</label>')


def topics_editor(rows):
    """One fieldset per topic row plus an empty one for a new topic."""
    rows = list(rows) + [Row(BLANK_TOPIC, blank=True)]
    parts = []
    for n, row in enumerate(rows, 1):
        tag = f'{n:02d}'
        name, pattern, description = row.values[:3]
        last = n == len(rows)
        title = 'New topic' if row.blank else f'Topic {n}'
        buttons = '' if last else '<br>' + _add_buttons('topic', tag,
                                                         'topic')
        parts.append(
            f'<fieldset><legend>{title}</legend>'
            + _row_error('topic', tag, row) +
            f'<label for="topic_box_{tag}">Name</label> '
            f'<input type="text" id="topic_box_{tag}" name="topic_box_{tag}" '
            f'size="30" value="{escape(name)}"><br>'
            f'<label for="topic_rebox_{tag}">Pattern (regular expression; '
            f'each line is an alternative)</label><br>'
            + _textarea(f'topic_rebox_{tag}', f'topic_rebox_{tag}', pattern,
                        3, 50) +
            f'<br><label for="topic_desc_{tag}">Description</label><br>'
            + _textarea(f'topic_desc_{tag}', f'topic_desc_{tag}',
                        description, 3, 50) +
            f'<br>{_new_or_delete("topic", tag, row, "topic")}{buttons}'
            '</fieldset>')
    return '\n'.join(parts)


def header_filter_editor(rows):
    """One fieldset per rule row plus an empty one for a new rule."""
    rows = list(rows) + [Row(BLANK_RULE, blank=True)]
    parts = []
    for n, row in enumerate(rows, 1):
        tag = f'{n:02d}'
        patterns, action = row.values[0], row.values[1]
        last = n == len(rows)
        title = 'New rule' if row.blank else f'Rule {n}'
        choices = []
        for value, label in HEADER_FILTER_CHOICES:
            checked = ' checked' if str(value) == str(action) else ''
            choices.append(f'<label><input type="radio" '
                           f'name="hdrfilter_action_{tag}" value="{value}"'
                           f'{checked}> {label}</label>')
        buttons = ''
        if not last:
            buttons = '<br>' + _add_buttons('hdrfilter', tag, 'rule')
            if n > 1:
                buttons += (f' <button type="submit" name="hdrfilter_up_{tag}"'
                            f' value="1">Move rule up</button>')
            if n < len(rows) - 1:
                buttons += (f' <button type="submit" '
                            f'name="hdrfilter_down_{tag}" value="1">'
                            f'Move rule down</button>')
        parts.append(
            f'<fieldset><legend>{title}</legend>'
            + _row_error('hdrfilter', tag, row) +
            f'<label for="hdrfilter_rebox_{tag}">Patterns, one regular '
            f'expression per line</label><br>'
            + _textarea(f'hdrfilter_rebox_{tag}', f'hdrfilter_rebox_{tag}',
                        patterns, 3, 50) +
            f'<div role="radiogroup" aria-label="Action of rule {n}">Action: '
            + ' '.join(choices) + '</div>'
            + _new_or_delete('hdrfilter', tag, row, 'rule') + buttons +
            '</fieldset>')
    return '\n'.join(parts)
