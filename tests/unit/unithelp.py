"""Helpers shared by the unit tests (imported after conftest.py has put
the shadow Mailman package on sys.path)."""

import email
import os
import pickle

from Mailman import mm_cfg
from Mailman.Message import Message


def queued(queue_dir, listname=None, remove=False):
    """(message, metadata) of every entry in QUEUE_DIR, oldest name first,
    for LISTNAME only when given.  With REMOVE the entries returned are
    deleted, so that a later call sees only newer ones."""
    found = []
    if not os.path.isdir(queue_dir):
        return found
    for name in sorted(os.listdir(queue_dir)):
        if not name.endswith('.pck'):
            continue
        path = os.path.join(queue_dir, name)
        with open(path, 'rb') as f:
            stored = pickle.load(f)
            data = pickle.load(f)
        if listname is not None and data.get('listname') != listname:
            continue
        if remove:
            os.unlink(path)
        found.append((email.message_from_bytes(stored, _class=Message), data))
    return found


def log_text(kind):
    """The contents of logs/KIND, or '' if it does not exist yet."""
    path = os.path.join(mm_cfg.LOG_DIR, kind)
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()
    except FileNotFoundError:
        return ''
