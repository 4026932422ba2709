"""Run one of flufl.bounce's detectors and give back text addresses.

flufl.bounce (by Mailman's own authors) carries the format knowledge of
2.1's detectors, kept up to date.  Each of our format modules names the
flufl detector class it uses; this module makes the call and turns its
answer (two sets of bytes: temporary, permanent) into sets of str.
"""

import importlib

from Mailman.Logging.Syslog import syslog


def _text(address):
    if isinstance(address, bytes):
        return address.decode('utf-8', 'replace')
    return str(address)


def detector(module, classname):
    """A function msg -> (temporary, permanent) sets of addresses, running
    flufl.bounce's MODULE.CLASSNAME detector; a detector that fails on a
    strange message finds nothing rather than stopping the scan."""
    def process(msg):
        try:
            found = importlib.import_module(
                f'flufl.bounce._detectors.{module}')
            temporary, permanent = getattr(found, classname)().process(msg)
        except Exception as error:
            syslog('bounce', 'bounce detector %s failed on message %s: %s',
                   classname, msg.get('message-id', 'n/a'), error)
            return set(), set()
        return ({_text(a) for a in temporary if a},
                {_text(a) for a in permanent if a})
    process.__name__ = f'process_{classname}'
    return process
