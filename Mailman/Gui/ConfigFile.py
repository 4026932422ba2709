"""Reading and writing config_list files: a list's admin settings as
Python assignments.

Writing: every admin setting with its help as comments.  Reading: the file
is parsed with the ast module and never executed; only `name = literal`
(or `mlist.name = literal`) assignments are accepted, and every value is
checked as the admin pages check it.  bin/config_list is the command.
"""

import ast
import pprint
import sys
import textwrap
import time

from Mailman import Errors
from Mailman import Gui
from Mailman import mm_cfg
from Mailman.Gui.Passwords import PASSWORD_ATTRIBUTES
from Mailman.MailList import MailList

PROG = 'config_list'
WIDTH = 72


class Failure(Exception):
    """A fatal problem, reported as one line."""


# ------------------------------------------------------------------ output
def comment(text, indent=''):
    """TEXT as '# ' comment lines, wrapped."""
    lines = []
    for paragraph in text.split('\n\n'):
        wrapped = textwrap.wrap(' '.join(paragraph.split()),
                                WIDTH - 2 - len(indent))
        lines.extend(f'# {indent}{line}' for line in wrapped)
        lines.append('#')
    while lines and lines[-1] == '#':
        lines.pop()
    return lines


def triple_quoted(text):
    """TEXT as a triple-quoted literal, or None if that would not read back
    as exactly TEXT."""
    out = []
    for i, char in enumerate(text):
        if char == '\\':
            out.append('\\\\')
        elif char == '"':
            # A quote is escaped when another quote or the end follows it,
            # so that no run of three quotes can end the literal early.
            last = i == len(text) - 1
            out.append('\\"' if last or text[i + 1] == '"' else '"')
        elif char in '\n\t' or (char.isprintable() and char != '\r'):
            out.append(char)
        else:
            out.append(repr(char)[1:-1])
    literal = '"""' + ''.join(out) + '"""'
    try:
        if ast.literal_eval(literal) == text:
            return literal
    except (SyntaxError, ValueError):
        pass
    return None


def literal(value):
    """VALUE as Python source that reads back as an equal value of the same
    type: triple-quoted for text with several lines, pretty-printed for
    long containers."""
    if isinstance(value, str) and '\n' in value:
        quoted = triple_quoted(value)
        if quoted is not None:
            return quoted
    text = pprint.pformat(value, width=WIDTH, sort_dicts=False)
    try:
        if _same(ast.literal_eval(text), value):
            return text
    except (SyntaxError, ValueError, RecursionError):
        pass
    return repr(value)


def _same(a, b):
    """Equal, with the same types all the way down (True is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


def legal_values(attribute, widget_type, params):
    """Comment lines describing the values a setting accepts."""
    lines = []
    if widget_type in (mm_cfg.Radio, mm_cfg.Toggle):
        offset = Gui.GUIBase.radio_offset(attribute)
        lines.append('# legal values are:')
        for i, label in enumerate(params):
            lines.append(f'#    {i + offset} = "{label}"')
    elif attribute == 'new_member_options':
        lines.append('# the sum of some of these option bits:')
        labels, states, ignored, keys = params
        for label, key in zip(labels, keys):
            lines.append(f'#    {mm_cfg.OPTINFO[key]} = {key}: {label}')
    elif widget_type in (mm_cfg.Checkbox, mm_cfg.Select):
        codes = ', '.join(sorted(mm_cfg.LC_DESCRIPTIONS))
        lines.append('# language codes known to this site:')
        lines.extend(textwrap.wrap(codes, WIDTH, initial_indent='#    ',
                                   subsequent_indent='#    '))
    return lines


def export(mlist, out):
    listname = mlist.internal_name()
    write = out.write
    write('# -*- python -*-\n')
    write('# -*- coding: utf-8 -*-\n')
    write(f'## "{listname}" mailing list configuration settings\n')
    write(f'## captured on {time.ctime()}\n')
    for gui, subcat, info in Gui.sections(mlist):
        title = gui.GetConfigCategory()[1].rstrip('.')
        if subcat:
            subtitles = dict(gui.GetConfigSubCategories(gui.NAME))
            title = f'{title}: {subtitles[subcat]}'
        write(f'\n\n## {title}\n')
        write('\n'.join(comment(info[0])) + '\n')
        for item in info[1:]:
            if isinstance(item, str):
                write(f'\n## -- {item} --\n')
                continue
            attribute, widget_type, params, depends, short, details = item
            if not Gui.is_setting(attribute) or \
                    attribute in PASSWORD_ATTRIBUTES:
                continue
            lines = comment(short)
            if details:
                lines += ['#'] + comment(details)
            extra = legal_values(attribute, widget_type, params)
            if extra:
                lines += ['#'] + extra
            write('\n' + '\n'.join(lines) + '\n')
            value = getattr(mlist, attribute)
            write(f'{attribute} = {literal(value)}\n')


# ------------------------------------------------------------------ input
def read_assignments(data, filename):
    """The assignments of a config file: [(line, attribute, value)], and a
    list of error lines.  Nothing in the file is executed."""
    errors = []
    try:
        tree = ast.parse(data, filename)
    except SyntaxError as error:
        return [], [f'{filename}: line {error.lineno}: {error.msg}']
    except (ValueError, RecursionError, MemoryError) as error:
        return [], [f'{filename}: cannot be read: {error}']
    assignments = []
    for node in tree.body:
        line = node.lineno
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            errors.append(f'{filename}: line {line}: only "name = value" '
                          f'assignments are allowed')
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name):
            name = target.id
        elif isinstance(target, ast.Attribute) and \
                isinstance(target.value, ast.Name) and \
                target.value.id == 'mlist':
            name = target.attr
        else:
            errors.append(f'{filename}: line {line}: only "name = value" '
                          f'assignments are allowed')
            continue
        try:
            value = ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, RecursionError,
                MemoryError):
            errors.append(f'{name}: line {line}: the value is not a '
                          f'literal (only strings, numbers, True, False, '
                          f'None, lists, tuples and dicts are allowed)')
            continue
        assignments.append((line, name, value))
    return assignments, errors


def _compatible(old, new):
    """Whether NEW may replace OLD in a non-standard attribute."""
    numbers = (bool, int, float)
    if old is None or new is None:
        return True
    if isinstance(old, numbers) and isinstance(new, numbers):
        return True
    return isinstance(new, type(old)) or isinstance(old, type(new))


def check(mlist, assignments):
    """Convert the assignments for MLIST.  Returns (admin values,
    non-standard values, errors, warnings); errors and warnings are
    (attribute, message) pairs."""
    amap = Gui.attribute_map(mlist)
    state = mlist._state()
    values, others, errors, warnings = {}, {}, [], []
    seen = {}
    for line, name, value in assignments:
        if name in seen:
            warnings.append((name, f'set again on line {line}; the value '
                             f'of line {seen[name]} is ignored'))
        seen[name] = line
        if name in amap and Gui.is_setting(name):
            values[name] = value
            others.pop(name, None)
        elif name in amap:
            errors.append((name, 'is an action of the web page, not a '
                           'setting'))
        elif name in PASSWORD_ATTRIBUTES:
            errors.append((name, 'passwords cannot be set from a '
                           'configuration file'))
        elif name in state and not name.startswith('_'):
            if not _compatible(state[name], value):
                errors.append((name, f'must be a '
                               f'{type(state[name]).__name__}, like its '
                               f'current value, not {value!r}'))
            else:
                others[name] = value
                warnings.append((name, 'non-standard property, set '
                                 'without checks'))
        else:
            errors.append((name, 'unknown list attribute'))
    converted, failures, notes = Gui.validate(mlist, values)
    errors.extend((error.attribute, error.message) for error in failures)
    warnings.extend(notes)
    return converted, others, errors, warnings


def short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def do_input(listname, filename, checkonly, verbose):
    try:
        if filename == '-':
            data = sys.stdin.buffer.read()
        else:
            with open(filename, 'rb') as f:
                data = f.read()
    except OSError as error:
        raise Failure(f'cannot read {filename}: {error.strerror}') from None
    assignments, file_errors = read_assignments(data, filename)
    try:
        mlist = MailList(listname, lock=not checkonly)
    except Errors.MMUnknownListError:
        raise Failure(f'no such list "{listname}"') from None
    try:
        values, others, errors, warnings = check(mlist, assignments)
        for attribute, message in warnings:
            print(f'{PROG}: warning: {attribute}: {message}', file=sys.stderr)
        for error in file_errors:
            print(f'{PROG}: {error}', file=sys.stderr)
        for attribute, message in errors:
            print(f'{PROG}: {attribute}: {message}', file=sys.stderr)
        if file_errors or errors:
            return 1        # nothing was changed
        if checkonly:
            print(f'{PROG}: {filename}: no errors found')
            return 0
        for attribute, value in list(values.items()) + list(others.items()):
            if verbose:
                print(f'{PROG}: set {attribute} = {short(value)}')
            setattr(mlist, attribute, value)
        mlist.Save()
    finally:
        if mlist.Locked():
            mlist.Unlock()
    return 0


def do_output(listname, filename):
    try:
        mlist = MailList(listname, lock=0)
    except Errors.MMUnknownListError:
        raise Failure(f'no such list "{listname}"') from None
    if filename == '-':
        export(mlist, sys.stdout)
        sys.stdout.flush()
        return 0
    try:
        with open(filename, 'w', encoding='utf-8') as out:
            export(mlist, out)
    except OSError as error:
        raise Failure(f'cannot write {filename}: {error.strerror}') from None
    return 0
