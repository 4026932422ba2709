"""Reading the pickle files a list keeps (config.pck, request.pck,
pending.pck), in our format or in the format Python 2 Mailman 2.1 wrote.

Our files are pickles of plain data (protocol 4).  They are read with an
unpickler that resolves only the few Mailman classes that may appear in
them, so a damaged or planted file cannot run code.  Files in Python 2's
protocols 0 to 2 are handed to Py2Pickle, which turns 2.1's byte strings
and class paths into ours.  The marshal files of Mailman 2.0 (config.db,
config.db.last) are read by Py2Marshal.
"""

import io
import pickle

# Classes our list files may contain, as (module, name).
ALLOWED_CLASSES = {
    ('Mailman.Bouncer', '_BounceInfo'),
    ('Mailman.UserDesc', 'UserDesc'),
    ('builtins', 'set'),
    ('builtins', 'frozenset'),
}


class ListFileError(Exception):
    """A list file could not be read; the message names the file."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in ALLOWED_CLASSES:
            raise pickle.UnpicklingError(
                f'{module}.{name} is not allowed in a list file')
        return super().find_class(module, name)


def is_python3_pickle(data):
    return len(data) >= 2 and data[0] == 0x80 and data[1] >= 3


def loads(data, name='<data>', charset_hint=None):
    try:
        if is_python3_pickle(data):
            return _RestrictedUnpickler(io.BytesIO(data)).load()
        from Mailman import Py2Pickle
        return Py2Pickle.loads(data, charset_hint=charset_hint)
    except Exception as error:
        raise ListFileError(f'{name}: cannot be read: {error}') from error


def load_pickle_file(path, charset_hint=None):
    with open(path, 'rb') as f:
        data = f.read()
    return loads(data, path, charset_hint)


def loads_marshal(data, name='<data>', charset_hint=None):
    """The object in DATA, Python 2 marshal data (a 2.0-era config.db)."""
    from Mailman import Py2Marshal
    try:
        return Py2Marshal.loads(data, charset_hint=charset_hint)
    except Py2Marshal.Py2MarshalError as error:
        raise ListFileError(f'{name}: cannot be read: {error}') from error


def load_marshal_file(path, charset_hint=None):
    with open(path, 'rb') as f:
        data = f.read()
    return loads_marshal(data, path, charset_hint)


def load_all(data, name='<data>'):
    """Every pickle stored one after another in DATA (a queue file holds
    the message and its metadata)."""
    if not is_python3_pickle(data):
        return [loads(data, name)]
    stream = io.BytesIO(data)
    objects = []
    try:
        while stream.tell() < len(data):
            objects.append(_RestrictedUnpickler(stream).load())
    except Exception as error:
        raise ListFileError(f'{name}: cannot be read: {error}') from error
    return objects
