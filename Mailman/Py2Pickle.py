"""Load pickles written by Mailman 2.1 under Python 2, safely.

A 2.1 site keeps its per-list state in `lists/<name>/config.pck`,
`request.pck` and `pending.pck`, and its queue entries and held messages in
`.pck` files too; all were written by Python 2's cPickle with protocol 0, 1
or 2.  This module reads them (and ordinary Python 3 pickles as well, so one
loader serves both formats) and hands back plain Python 3 objects.

Strings
    Python 2 had two string types.  Its `unicode` values are real text and
    come back unchanged.  Its `str` values are bytes; in 2.1 they are mostly
    ASCII, but real names, descriptions, headers, footers and templates may
    hold non-ASCII bytes in the list's charset.  Every such byte string comes
    back as `str`, decoded

      1. as UTF-8, if the bytes are valid UTF-8;
      2. else with `charset_hint` (a codec name, typically the charset of
         the list's preferred language), if given and it decodes;
      3. else as Latin-1, which never fails and loses nothing.

    Byte strings are recognised by their opcodes (STRING, BINSTRING,
    SHORT_BINSTRING), never by looking at the text, so a Python 2 `unicode`
    value is never decoded twice.

Raw binary values
    A few 2.1 values are not text at all (very old lists kept the raw 16-byte
    MD5 digest of a password).  Such a value was almost never valid UTF-8, so
    without a hint (or with a Latin-1 hint) it was decoded as Latin-1 and
    `s.encode('latin-1')` gives back exactly the original bytes.  A value that
    happened to be valid UTF-8 comes back with `s.encode('utf-8')`.  Callers
    that must compare binary data can use `possible_bytes(s)`, which returns
    both candidates.

Classes
    `CLASS_MAP` maps 2.1 class paths to the Python 3 classes that replace
    them, named by import path and imported lazily, so the list core (at the
    same module paths) supplies the real classes.  While a target module does
    not exist yet, instances load as `LegacyObject`, which keeps the pickled
    state in its `__dict__`; code that reads attributes works either way.
    Old `email` message objects (and Mailman's subclasses) are rebuilt as
    `email.message.Message`; `sets.Set`/`ImmutableSet` become `set` and
    `frozenset`; `datetime` values load normally.

Safety
    List files are data and loading one never runs code.  Only the classes
    named above and a few harmless builtins can be resolved.  Unknown names
    inside the `Mailman` and `email` packages load as `LegacyObject` (with a
    note in the optional `warnings` list); any other global (`os.system`,
    `builtins.eval`, `subprocess.Popen`, ...) raises `pickle.UnpicklingError`
    naming it.  Malformed or truncated data raises `pickle.UnpicklingError`,
    or `EOFError` when the data ends between two opcodes (empty data, for
    one); nothing else escapes `load()`.
"""

import builtins
import codecs
import datetime
import email.charset
import email.errors
import email.header
import email.message
import importlib
import io
import pickle
import struct
import warnings as _pywarnings
from email._policybase import Compat32, Policy

__all__ = ['load', 'loads', 'possible_bytes', 'LegacyObject', 'CLASS_MAP']


# 2.1 class path -> Python 3 class path.  The targets are imported when a
# pickle first needs them; the list core may add entries of its own.
CLASS_MAP = {
    ('Mailman.Bouncer', '_BounceInfo'): ('Mailman.Bouncer', '_BounceInfo'),
    ('Mailman.UserDesc', 'UserDesc'): ('Mailman.UserDesc', 'UserDesc'),
}

# Top-level packages whose unknown names load as LegacyObject instead of
# being refused.  Nothing is ever imported from them on that path.
LEGACY_PACKAGES = ('Mailman', 'email', 'mimelib')

# Message classes of the old email package, of Python 3's, and of Mailman;
# all are rebuilt as email.message.Message.
_MESSAGE_MODULES = (
    'email.Message', 'email.message', 'Mailman.Message', 'mimelib.Message',
    'email.MIMEText', 'email.MIMEBase', 'email.MIMEMultipart',
    'email.MIMENonMultipart', 'email.MIMEMessage', 'email.MIMEImage',
    'email.MIMEAudio', 'email.mime.text', 'email.mime.base',
    'email.mime.multipart', 'email.mime.nonmultipart', 'email.mime.message',
    'email.mime.image', 'email.mime.audio', 'email.mime.application',
)
_MESSAGE_NAMES = (
    'Message', 'UserNotification', 'OwnerNotification', 'MIMEText',
    'MIMEBase', 'MIMEMultipart', 'MIMENonMultipart', 'MIMEMessage',
    'MIMEImage', 'MIMEAudio', 'MIMEApplication',
)


# ---------------------------------------------------------------------------
# String decoding

class _Py2Str(bytes):
    """A Python 2 byte string, as pushed by the STRING opcodes.

    It lives only while a pickle loads; `load()` turns every one into `str`.
    """
    __slots__ = ()


def _decode(raw, charset_hint):
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        pass
    if charset_hint:
        try:
            return raw.decode(charset_hint)
        except (UnicodeDecodeError, LookupError):
            pass
    return raw.decode('latin-1')


def possible_bytes(text):
    """Return the byte strings a loaded TEXT may have been in Python 2.

    For a value that is really binary (an old raw MD5 digest), compare
    against each candidate: Latin-1 first (the common case), then UTF-8.
    """
    candidates = []
    try:
        candidates.append(text.encode('latin-1'))
    except UnicodeEncodeError:
        pass
    as_utf8 = text.encode('utf-8', 'surrogatepass')
    if as_utf8 not in candidates:
        candidates.append(as_utf8)
    return candidates


# ---------------------------------------------------------------------------
# Stand-ins for classes we do not (yet) have

class LegacyObject:
    """An instance of a 2.1 class with no Python 3 counterpart (yet).

    The pickled state is kept in `__dict__`, so `obj.member`, `obj.score`
    etc. work as they did; `legacy_class_path()` names the original class.
    Each original class gets its own subclass (see `_legacy_class`), and an
    instance pickles in a form that comes back as the real class once the
    list core provides it.
    """
    _legacy_module = None
    _legacy_name = None

    def __init__(self, *args, **kws):
        # Reached only when a pickle calls the class; keep what it passed.
        if args:
            self.__dict__['_legacy_args'] = args
        if kws:
            self.__dict__['_legacy_kws'] = kws

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2 and (
                state[0] is None or isinstance(state[0], dict)) and (
                state[1] is None or isinstance(state[1], dict)):
            for part in state:
                if part:
                    self.__dict__.update(_str_keys(part))
        elif isinstance(state, dict):
            self.__dict__.update(_str_keys(state))
        elif state is not None:
            self.__dict__['_legacy_state'] = state

    @classmethod
    def legacy_class_path(cls):
        return '%s.%s' % (cls._legacy_module, cls._legacy_name)

    def __reduce__(self):
        return (_legacy_restore,
                (self._legacy_module, self._legacy_name, dict(self.__dict__)))

    def __repr__(self):
        return '<LegacyObject %s %r>' % (self.legacy_class_path(),
                                         self.__dict__)


def _str_keys(state):
    return {k: v for k, v in state.items() if isinstance(k, str)}


# One subclass per original class path; a cache of classes made on demand.
_legacy_classes = {}


def _legacy_class(module, name):
    cls = _legacy_classes.get((module, name))
    if cls is None:
        cls = type(name, (LegacyObject,), {
            '__module__': __name__,
            '__qualname__': 'LegacyObject',
            '_legacy_module': module,
            '_legacy_name': name,
        })
        _legacy_classes[(module, name)] = cls
    return cls


def _resolve_mapped(module, name):
    """The real class for a CLASS_MAP entry, or None if it does not exist."""
    target = CLASS_MAP.get((module, name))
    if target is None:
        return None
    try:
        return getattr(importlib.import_module(target[0]), target[1])
    except (ImportError, AttributeError):
        return None


def _legacy_restore(module, name, state):
    """Rebuild a LegacyObject pickled by Python 3 (see LegacyObject)."""
    cls = _resolve_mapped(module, name) or _legacy_class(module, name)
    obj = cls.__new__(cls)
    setstate = getattr(type(obj), '__setstate__', None)
    if setstate is not None:
        setstate(obj, state)
    else:
        obj.__dict__.update(_str_keys(state))
    return obj


class _SetShim(set):
    """sets.Set while loading; becomes a plain set afterwards."""
    frozen = False

    def __setstate__(self, state):
        # sets.Set pickles (data,), ImmutableSet (data, hashcode); data is
        # a dict whose keys are the elements.
        if isinstance(state, tuple) and state:
            data = state[0]
            if isinstance(data, dict):
                self.update(data)


class _FrozenSetShim(_SetShim):
    frozen = True


class _MessageShim:
    """An email message while loading; rebuilt as email.message.Message.

    It keeps the pickled state unconverted so the payload's bytes survive.
    """

    def __init__(self, *args, **kws):
        self.state = {}

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2:
            merged = {}
            for part in state:
                if isinstance(part, dict):
                    merged.update(part)
            state = merged
        self.state = state if isinstance(state, dict) else {}


class _MailmanMessageShim(_MessageShim):
    """Mailman.Message.* while loading; rebuilt as the list core's
    Mailman.Message.Message when that exists."""


class _CharsetShim(_MessageShim):
    """email.Charset.Charset; rebuilt as email.charset.Charset."""


class _HeaderShim(_MessageShim):
    """email.Header.Header; rebuilt as the header's RFC 2047 text."""


# ---------------------------------------------------------------------------
# The few callables a pickle may use, in harmless forms

def _reconstructor(cls, base, state):
    # copy_reg._reconstructor, restricted to classes this module resolved.
    if not isinstance(cls, type) or not isinstance(base, type) or \
            not issubclass(cls, base):
        raise pickle.UnpicklingError('bad _reconstructor arguments')
    if base is object:
        return cls.__new__(cls)
    obj = base.__new__(cls, state)
    if base.__init__ is not object.__init__:
        base.__init__(obj, state)
    return obj


def _newobj(cls, *args):
    if not isinstance(cls, type):
        raise pickle.UnpicklingError('bad __newobj__ argument')
    return cls.__new__(cls, *args)


def _newobj_ex(cls, args, kwargs):
    if not isinstance(cls, type):
        raise pickle.UnpicklingError('bad __newobj_ex__ argument')
    return cls.__new__(cls, *args, **kwargs)


def _codecs_encode(text, encoding='utf-8', errors='strict'):
    # Python 3 pickles bytes for protocols < 3 as encode(text, 'latin1').
    if not isinstance(text, str) or \
            codecs.lookup(encoding).name != 'iso8859-1':
        raise pickle.UnpicklingError('refusing _codecs.encode(%r)'
                                     % (encoding,))
    return text.encode('latin-1', errors)


_DATE_TYPES = (datetime.datetime, datetime.date, datetime.time)

_SAFE_BUILTINS = {
    'set': set, 'frozenset': frozenset, 'object': object, 'list': list,
    'dict': dict, 'tuple': tuple, 'bytes': bytes, 'bytearray': bytearray,
    'complex': complex,
}

_SAFE_GLOBALS = {
    ('copy_reg', '_reconstructor'): _reconstructor,
    ('copyreg', '_reconstructor'): _reconstructor,
    ('copy_reg', '__newobj__'): _newobj,
    ('copyreg', '__newobj__'): _newobj,
    ('copyreg', '__newobj_ex__'): _newobj_ex,
    ('_codecs', 'encode'): _codecs_encode,
    ('sets', 'Set'): _SetShim,
    ('sets', 'ImmutableSet'): _FrozenSetShim,
    ('datetime', 'datetime'): datetime.datetime,
    ('datetime', 'date'): datetime.date,
    ('datetime', 'time'): datetime.time,
    ('datetime', 'timedelta'): datetime.timedelta,
    ('datetime', 'timezone'): datetime.timezone,
    ('email.Charset', 'Charset'): _CharsetShim,
    ('email.charset', 'Charset'): _CharsetShim,
    ('email.Header', 'Header'): _HeaderShim,
    ('email.header', 'Header'): _HeaderShim,
    ('email._policybase', 'Compat32'): Compat32,
    (__name__, '_legacy_restore'): _legacy_restore,
}


# ---------------------------------------------------------------------------
# Turning loaded values into plain Python 3 values

class _Converter:
    """Replaces every _Py2Str in a loaded object graph by `str`, rebuilds
    shims, and keeps shared and cyclic references intact."""

    def __init__(self, charset_hint, warnings):
        self.hint = charset_hint
        self.warnings = warnings
        self.memo = {}

    def __call__(self, obj):
        kind = type(obj)
        if kind is _Py2Str:
            return _decode(obj, self.hint)
        if kind in _ATOMS:
            return obj
        key = id(obj)
        done = self.memo.get(key)
        if done is not None:
            return done[1]
        if kind is tuple:
            # Keep the original alive in the memo so its id stays unique.
            self.memo[key] = (obj, obj)
            result = tuple([self(item) for item in obj])
            self.memo[key] = (obj, result)
            return result
        if isinstance(obj, _SetShim):
            items = [self(item) for item in obj]
            result = frozenset(items) if obj.frozen else set(items)
        elif isinstance(obj, frozenset):
            result = frozenset([self(item) for item in obj])
        elif isinstance(obj, _CharsetShim):
            result = self._charset(obj)
        elif isinstance(obj, _HeaderShim):
            result = self._header(obj)
        elif isinstance(obj, _MessageShim):
            result = self._message(obj)
            return result
        else:
            self.memo[key] = (obj, obj)
            if isinstance(obj, list):
                obj[:] = [self(item) for item in obj]
            elif isinstance(obj, dict):
                items = [(self(k), self(v)) for k, v in obj.items()]
                obj.clear()
                obj.update(items)
            elif isinstance(obj, set):
                items = [self(item) for item in obj]
                obj.clear()
                obj.update(items)
            if not isinstance(obj, type) and \
                    isinstance(getattr(obj, '__dict__', None), dict):
                state = obj.__dict__
                items = [(self(k), self(v)) for k, v in state.items()]
                state.clear()
                state.update((k, v) for k, v in items if isinstance(k, str))
            return obj
        self.memo[key] = (obj, result)
        return result

    def _state(self, shim):
        # The pickled state with its (Python 2 byte string) keys as str.
        return {self(k): v for k, v in shim.state.items()}

    def _charset(self, shim):
        name = self(self._state(shim).get('input_charset')) or 'us-ascii'
        try:
            return email.charset.Charset(name)
        except (UnicodeError, LookupError, ValueError):
            return email.charset.Charset('us-ascii')

    def _header(self, shim):
        # Old Header objects keep (bytes in charset, Charset) chunks.
        header = email.header.Header()
        for chunk in self._state(shim).get('_chunks') or ():
            try:
                text, charset = chunk
            except (TypeError, ValueError):
                continue
            charset = self(charset)
            if not isinstance(charset, email.charset.Charset):
                charset = email.charset.Charset('us-ascii')
            if type(text) is _Py2Str:
                codec = (charset.output_codec or charset.input_codec
                         or 'us-ascii')
                try:
                    text = bytes(text).decode(codec)
                except (UnicodeDecodeError, LookupError):
                    text = _decode(text, self.hint)
            elif not isinstance(text, str):
                continue
            try:
                header.append(text, charset)
            except (UnicodeError, LookupError):
                header.append(text, 'utf-8')
        return header.encode(maxlinelen=0)

    def _message(self, shim):
        key = id(shim)
        msg = _new_message(isinstance(shim, _MailmanMessageShim))
        self.memo[key] = (shim, msg)
        state = self._state(shim)
        headers = []
        for item in state.pop('_headers', None) or ():
            try:
                name, value = item
            except (TypeError, ValueError):
                continue
            name, value = self(name), self(value)
            if isinstance(value, email.header.Header):
                value = value.encode(maxlinelen=0)
            if isinstance(name, str) and isinstance(value, str):
                headers.append((name, value))
        msg._headers = headers
        payload = state.pop('_payload', None)
        if type(payload) is _Py2Str:
            # What Python 3's parser does with 8-bit data: surrogate escapes,
            # so get_payload(decode=True) and BytesGenerator give the bytes.
            payload = bytes(payload).decode('ascii', 'surrogateescape')
        elif isinstance(payload, list):
            payload = [self(part) for part in payload]
        else:
            payload = self(payload)
        msg._payload = payload
        charset = self(state.pop('_charset', None))
        if isinstance(charset, str):
            charset = email.charset.Charset(charset)
        msg._charset = charset if isinstance(
            charset, email.charset.Charset) else None
        msg._unixfrom = self(state.pop('_unixfrom', None))
        msg.preamble = self(state.pop('preamble', None))
        msg.epilogue = self(state.pop('epilogue', None))
        msg._default_type = self(state.pop('_default_type', None)) \
            or 'text/plain'
        msg.defects = [d for d in (self._defect(d) for d in
                                   state.pop('defects', None) or ()) if d]
        policy = state.pop('policy', None)
        if isinstance(policy, Policy):
            msg.policy = policy
        # Anything else (attributes Mailman set on its own messages), as
        # long as it does not hide a method of the class.
        for name, value in state.items():
            if isinstance(name, str) and not hasattr(type(msg), name):
                msg.__dict__[name] = self(value)
        return msg

    def _defect(self, defect):
        defect = self(defect)
        if isinstance(defect, email.errors.MessageDefect):
            return defect
        if isinstance(defect, LegacyObject):
            cls = getattr(email.errors, defect._legacy_name or '', None)
            if isinstance(cls, type) and \
                    issubclass(cls, email.errors.MessageDefect):
                return cls()
        return None


_ATOMS = frozenset([str, int, float, bool, type(None), bytes, complex,
                    bytearray])


def _new_message(mailman):
    """An empty message: Mailman's own class for Mailman's messages when
    the list core provides it, else email.message.Message."""
    if mailman:
        try:
            from Mailman.Message import Message
            return Message()
        except (ImportError, TypeError):
            pass
    return email.message.Message()


# ---------------------------------------------------------------------------
# The unpickler

class _Unpickler(pickle._Unpickler):
    """The pure-Python unpickler, with Python 2 strings marked, and only
    known classes resolved."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, charset_hint=None, warnings=None):
        super().__init__(file, encoding='bytes')
        self.charset_hint = charset_hint
        self.warnings = warnings
        self._classes = {}

    def _convert(self, obj):
        return _Converter(self.charset_hint, self.warnings)(obj)

    def _warn(self, text):
        if self.warnings is not None and text not in self.warnings:
            self.warnings.append(text)

    # -- Python 2 byte strings

    def load_string(self):
        data = self.readline()[:-1]
        if len(data) >= 2 and data[0] == data[-1] and data[0] in b'"\'':
            data = data[1:-1]
        else:
            raise pickle.UnpicklingError(
                'the STRING opcode argument must be quoted')
        if b'\\' in data:
            with _pywarnings.catch_warnings():
                # Damaged data may hold escapes Python 2 never wrote.
                _pywarnings.simplefilter('ignore', DeprecationWarning)
                data = codecs.escape_decode(data)[0]
        self.append(_Py2Str(data))
    dispatch[pickle.STRING[0]] = load_string

    def load_binstring(self):
        size, = struct.unpack('<i', self.read(4))
        if size < 0:
            raise pickle.UnpicklingError('BINSTRING has negative length')
        self.append(_Py2Str(self._read_exactly(size)))
    dispatch[pickle.BINSTRING[0]] = load_binstring

    def load_short_binstring(self):
        size = self._read_exactly(1)[0]
        self.append(_Py2Str(self._read_exactly(size)))
    dispatch[pickle.SHORT_BINSTRING[0]] = load_short_binstring

    def load_bytearray8(self):
        # Read first, then allocate: a forged length must not cost memory.
        size, = struct.unpack('<Q', self._read_exactly(8))
        self.append(bytearray(self._read_exactly(size)))
    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8

    def _read_exactly(self, size):
        data = self.read(size)
        if len(data) != size:
            raise pickle.UnpicklingError('pickle data was truncated')
        return data

    # -- Globals

    def find_class(self, module, name):
        key = (module, name)
        found = self._classes.get(key)
        if found is None:
            found = self._find_class(module, name)
            self._classes[key] = found
        return found

    def _find_class(self, module, name):
        if module in ('__builtin__', 'builtins', 'exceptions'):
            if name in _SAFE_BUILTINS and module != 'exceptions':
                return _SAFE_BUILTINS[name]
            value = getattr(builtins, name, None)
            if isinstance(value, type) and issubclass(value, BaseException):
                return value
        elif (module, name) in _SAFE_GLOBALS:
            return _SAFE_GLOBALS[(module, name)]
        elif module in _MESSAGE_MODULES and name in _MESSAGE_NAMES:
            if module == 'Mailman.Message':
                return _MailmanMessageShim
            return _MessageShim
        elif (module, name) in CLASS_MAP:
            real = _resolve_mapped(module, name)
            if real is not None:
                return real
            self._warn('class %s.%s not available, loaded as LegacyObject'
                       % (module, name))
            return _legacy_class(module, name)
        elif module.split('.')[0] in LEGACY_PACKAGES:
            self._warn('unknown class %s.%s loaded as LegacyObject'
                       % (module, name))
            return _legacy_class(module, name)
        raise pickle.UnpicklingError('refusing to load global %s.%s'
                                     % (module, name))

    # -- Calls and state: convert Python 2 strings before classes see them

    def load_reduce(self):
        stack = self.stack
        args = stack.pop()
        func = stack[-1]
        if func in _DATE_TYPES:
            # datetime's Python 2 state is a byte string: pass it as bytes.
            args = tuple(bytes(a) if type(a) is _Py2Str else self._convert(a)
                         for a in args)
        else:
            args = self._convert(args)
        stack[-1] = func(*args)
    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_newobj(self):
        args = self._convert(self.stack.pop())
        cls = self.stack.pop()
        self.append(_newobj(cls, *args))
    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        kwargs = self._convert(self.stack.pop())
        args = self._convert(self.stack.pop())
        cls = self.stack.pop()
        self.append(_newobj_ex(cls, args, kwargs))
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def _instantiate(self, klass, args):
        if not isinstance(klass, type):
            raise pickle.UnpicklingError('cannot instantiate %r' % (klass,))
        super()._instantiate(klass, self._convert(list(args)))

    def load_build(self):
        stack = self.stack
        state = stack.pop()
        inst = stack[-1]
        if isinstance(inst, type) or type(inst) in _ATOMS:
            raise pickle.UnpicklingError('refusing to set state on %r'
                                         % (type(inst).__name__,))
        if not isinstance(inst, _MessageShim):
            state = self._convert(state)
        setstate = getattr(type(inst), '__setstate__', None)
        if setstate is not None and \
                getattr(object, '__setstate__', None) is not setstate:
            setstate(inst, state)
            return
        slotstate = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slotstate = state
        if state:
            inst.__dict__.update(_str_keys(state))
        if slotstate:
            for name, value in slotstate.items():
                if isinstance(name, str) and not name.startswith('__'):
                    setattr(inst, name, value)
    dispatch[pickle.BUILD[0]] = load_build

    def persistent_load(self, pid):
        raise pickle.UnpicklingError('persistent IDs are not supported')


class _BoundedReader:
    """Reads from a file in bounded chunks, so that a forged length in the
    data costs no more memory than the file really holds."""

    CHUNK = 1 << 20

    def __init__(self, fileobj):
        self._file = fileobj
        self.readline = fileobj.readline

    def read(self, size=-1):
        if size is None or size < 0 or size <= self.CHUNK:
            return self._file.read(size)
        chunks = []
        while size > 0:
            chunk = self._file.read(min(size, self.CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b''.join(chunks)


def load(fileobj, charset_hint=None, warnings=None):
    """Unpickle one object from the binary file FILEOBJ.

    Python 2 byte strings come back as `str` (see the module docstring for
    how CHARSET_HINT is used).  If WARNINGS is a list, notes about classes
    loaded as LegacyObject are appended to it.  Raises
    pickle.UnpicklingError for bad, truncated or dangerous data, and
    EOFError when there is nothing to read.
    """
    unpickler = _Unpickler(_BoundedReader(fileobj), charset_hint, warnings)
    try:
        obj = unpickler.load()
        return _Converter(charset_hint, warnings)(obj)
    except (pickle.UnpicklingError, EOFError, MemoryError):
        raise
    except RecursionError as error:
        raise pickle.UnpicklingError('pickle nested too deeply') from error
    except Exception as error:
        raise pickle.UnpicklingError('cannot load pickle: %s: %s'
                                     % (type(error).__name__, error)) \
            from error


def loads(data, charset_hint=None, warnings=None):
    """Unpickle one object from the bytes DATA; see load()."""
    if isinstance(data, str):
        raise TypeError("loads() needs bytes, not 'str'")
    return load(io.BytesIO(data), charset_hint, warnings)
