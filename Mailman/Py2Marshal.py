"""Read marshal data written by Python 2, safely (for 2.0-era config.db).

Mailman 2.0 (and 2.1 before alpha 3) kept a list's state in
`lists/<name>/config.db`, a Python 2 `marshal` dump of a plain dict.  A
list that was never saved again by a later release still has only that
file.  This module reads such data and hands back plain Python 3 objects.

Why not the `marshal` module?  Python 3's marshal speaks a different
dialect: it reads Python 2 `str` ('s') as `bytes` but interned strings
('t') as text, so one dict ends up with keys of both kinds; it fails on
interned strings holding Latin-1 bytes; it does not know Python 2's string
references ('R') at all; and it builds code objects, which crafted data
can abuse.  So the format is parsed here by hand, and only data types are
built.

Format versions 0 to 2 are read.  Supported type codes:

    N None   T True   F False
    i int32   I int64   l long (base 2**15 digits)
    f float as text   g float as 8 bytes (version 2)
    x complex as text   y complex as 16 bytes (version 2)
    s str   t interned str (version 1+)   R reference to an interned str
    u unicode (UTF-8)
    ( tuple   [ list   { dict (ends with 0)   < set   > frozenset

Code objects ('c') and everything else are refused with Py2MarshalError,
as are truncated data, trailing bytes after the object, forged lengths and
nesting deeper than MAX_DEPTH.

Python 2 `str` values are bytes; they come back as `str`, decoded by the
same rules as byte strings in Python 2 pickles (see Mailman.Py2Pickle):
UTF-8 if valid, else `charset_hint` if given and it decodes, else Latin-1.
"""

import re
import struct

from Mailman.Py2Pickle import _decode as _decode_py2_bytes

__all__ = ['load', 'loads', 'Py2MarshalError', 'MAX_DEPTH']

# Real list data nests four or five levels deep; this leaves ample room
# while keeping forged data far from Python's own recursion limit.
MAX_DEPTH = 100

# What Python 2 wrote for a float's repr ('1.5', '1e+100', 'inf', 'nan').
# float() alone would also take spaces and underscores.
_FLOAT_TEXT = re.compile(
    rb'[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|nan)\Z', re.I)


class Py2MarshalError(ValueError):
    """The data is not Python 2 marshal data that this reader accepts."""


class _Reader:
    def __init__(self, data, charset_hint):
        self.data = data
        self.pos = 0
        self.hint = charset_hint
        self.interned = []      # the table 'R' refers into

    # -- raw fields

    def take(self, size):
        end = self.pos + size
        if size < 0 or end > len(self.data):
            raise Py2MarshalError('marshal data is truncated')
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def int32(self):
        return struct.unpack('<i', self.take(4))[0]

    def length(self, what, item_size=1):
        # Every item takes at least ITEM_SIZE bytes, so a count larger than
        # what is left is forged or truncated; say so before looping.
        size = self.int32()
        if size < 0:
            raise Py2MarshalError(f'negative {what} length')
        if size * item_size > len(self.data) - self.pos:
            raise Py2MarshalError('marshal data is truncated')
        return size

    # -- objects

    def read(self, depth=0):
        if depth > MAX_DEPTH:
            raise Py2MarshalError(
                f'marshal data nested deeper than {MAX_DEPTH} levels')
        code = self.take(1)
        reader = _READERS.get(code)
        if reader is None:
            raise Py2MarshalError(_refusal(code))
        return reader(self, depth)

    def read_none(self, depth):
        return None

    def read_true(self, depth):
        return True

    def read_false(self, depth):
        return False

    def read_int(self, depth):
        return self.int32()

    def read_int64(self, depth):
        return struct.unpack('<q', self.take(8))[0]

    def read_long(self, depth):
        count = self.int32()
        size = abs(count)
        if size * 2 > len(self.data) - self.pos:
            raise Py2MarshalError('marshal data is truncated')
        value = 0
        for shift in range(0, 15 * size, 15):
            digit = struct.unpack('<H', self.take(2))[0]
            if digit >= 1 << 15:
                raise Py2MarshalError('bad digit in a marshalled long')
            value |= digit << shift
        return -value if count < 0 else value

    def float_text(self):
        text = self.take(self.take(1)[0])
        if not _FLOAT_TEXT.match(text):
            raise Py2MarshalError(f'bad float text {text!r}')
        return float(text)

    def read_float(self, depth):
        return self.float_text()

    def read_binary_float(self, depth):
        return struct.unpack('<d', self.take(8))[0]

    def read_complex(self, depth):
        real = self.float_text()
        return complex(real, self.float_text())

    def read_binary_complex(self, depth):
        return complex(*struct.unpack('<dd', self.take(16)))

    def read_str(self, depth):
        return _decode_py2_bytes(self.take(self.length('string')), self.hint)

    def read_interned(self, depth):
        text = self.read_str(depth)
        self.interned.append(text)
        return text

    def read_stringref(self, depth):
        index = self.int32()
        if not 0 <= index < len(self.interned):
            raise Py2MarshalError(f'string reference {index} out of range')
        return self.interned[index]

    def read_unicode(self, depth):
        raw = self.take(self.length('unicode'))
        try:
            # Python 2 encoded lone surrogates too.
            return raw.decode('utf-8', 'surrogatepass')
        except UnicodeDecodeError as error:
            raise Py2MarshalError(f'bad UTF-8 in a unicode value: {error}')

    def items(self, depth):
        count = self.length('sequence')
        return [self.read(depth + 1) for _ in range(count)]

    def read_tuple(self, depth):
        return tuple(self.items(depth))

    def read_list(self, depth):
        return self.items(depth)

    def read_set(self, depth):
        return _hashed(set, self.items(depth))

    def read_frozenset(self, depth):
        return _hashed(frozenset, self.items(depth))

    def read_dict(self, depth):
        result = {}
        while True:
            if self.data[self.pos:self.pos + 1] == b'0':
                self.pos += 1
                return result
            key = self.read(depth + 1)
            value = self.read(depth + 1)
            try:
                result[key] = value
            except TypeError:
                raise Py2MarshalError(
                    f'unhashable {type(key).__name__} as a dict key')


def _hashed(kind, items):
    try:
        return kind(items)
    except TypeError as error:
        raise Py2MarshalError(f'unhashable set element: {error}')


_READERS = {
    b'N': _Reader.read_none, b'T': _Reader.read_true,
    b'F': _Reader.read_false, b'i': _Reader.read_int,
    b'I': _Reader.read_int64, b'l': _Reader.read_long,
    b'f': _Reader.read_float, b'g': _Reader.read_binary_float,
    b'x': _Reader.read_complex, b'y': _Reader.read_binary_complex,
    b's': _Reader.read_str, b't': _Reader.read_interned,
    b'R': _Reader.read_stringref, b'u': _Reader.read_unicode,
    b'(': _Reader.read_tuple, b'[': _Reader.read_list,
    b'{': _Reader.read_dict, b'<': _Reader.read_set,
    b'>': _Reader.read_frozenset,
}

# Codes Python 2 could write that are not plain data.
_REFUSED = {
    b'c': 'code objects are refused in marshal data',
    b'0': 'marshal NULL outside a dict',
    b'S': 'StopIteration in marshal data is not list data',
    b'.': 'Ellipsis in marshal data is not list data',
    b'?': 'marshal data holds an unmarshallable object',
}


def _refusal(code):
    if code in _REFUSED:
        return _REFUSED[code]
    return f'unknown marshal type code {code!r}'


def loads(data, charset_hint=None):
    """Return the object in DATA, Python 2 marshal data (bytes).

    Raises Py2MarshalError for anything but one complete object of the
    types listed in the module docstring.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"loads() needs bytes, not {type(data).__name__!r}")
    data = bytes(data)
    if not data:
        raise Py2MarshalError('no marshal data')
    reader = _Reader(data, charset_hint)
    result = reader.read()
    if reader.pos != len(data):
        raise Py2MarshalError(
            f'{len(data) - reader.pos} bytes of trailing data after the '
            'marshalled object')
    return result


def load(fileobj, charset_hint=None):
    """Read the whole binary file FILEOBJ and return its object; see
    loads()."""
    return loads(fileobj.read(), charset_hint)
