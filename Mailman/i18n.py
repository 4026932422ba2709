"""Translation of Mailman's own texts.

`_()` returns the translation of a text in the current language (English
texts are their own translation).  Catalogues live in
messages/<lang>/LC_MESSAGES/mailman.mo.
"""

import contextlib
import gettext

from Mailman import mm_cfg

_translation = gettext.NullTranslations()
_language = 'en'


def set_language(language=None):
    global _translation, _language
    language = language or mm_cfg.DEFAULT_SERVER_LANGUAGE
    try:
        _translation = gettext.translation('mailman', mm_cfg.MESSAGES_DIR,
                                           [language])
    except (OSError, ValueError):
        _translation = gettext.NullTranslations()
    _language = language


def get_language():
    return _language


@contextlib.contextmanager
def using(language):
    """Translate into LANGUAGE for the duration of a with-block."""
    previous = get_language()
    set_language(language)
    try:
        yield
    finally:
        set_language(previous)


def _(text):
    if not text:
        return text
    return _translation.gettext(text)


def C_(text):
    """Like _(), for texts that are marked but used before translation."""
    return _(text)
