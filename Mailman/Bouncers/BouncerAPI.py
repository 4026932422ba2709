"""Find who a bounce is about: the entry point of the bounce detectors.

ScanMessages(mlist, msg) keeps 2.1's contract: it returns the list of
addresses that failed permanently, the marker Stop when the message is a
notice that must be ignored (a delay or warning, or a refusal caused by
the list itself rather than the member's address), or an empty list when
no detector recognises the message.

scan(msg) gives the fuller answer BounceRunner uses: a Scan with the kind
of notice, the addresses and the detector that found them.

The detectors run in BOUNCE_PIPELINE order, the most exact first; the
first that recognises the message decides.  (2.1 ran its own order;
this one is flufl.bounce's, which its authors tuned on the same samples.
Sina, outside 2.1's pipeline, is in it.)
"""

import importlib

from Mailman.Bouncers import AutoReply
from Mailman.Bouncers import ListCaused

BOUNCE_PIPELINE = [
    'DSN', 'Exim', 'Sina', 'Yahoo', 'Yale', 'SMTP32', 'Postfix', 'Qmail',
    'GroupWise', 'Microsoft', 'Caiwireless', 'Exchange', 'Netscape', 'AOL',
    'SimpleMatch', 'SimpleWarning', 'LLNL',
]

# Kinds of notice.
PERMANENT = 'permanent'         # the addresses failed for good
TEMPORARY = 'temporary'         # a delay or warning: still being tried
LIST_CAUSED = 'list'            # refused because of the list (DMARC, ...)
AUTOREPLY = 'autoreply'         # a vacation message or the like
UNRECOGNISED = 'unrecognised'   # nothing could be made of it


class _StopMarker:
    """Returned by ScanMessages for a notice to be ignored."""

    def __repr__(self):
        return '<BouncerAPI.Stop>'

    def __bool__(self):
        return True


Stop = _StopMarker()


class Scan:
    """What the detectors made of one message."""

    def __init__(self, kind, addresses=(), detector=None, reason=None):
        self.kind = kind
        self.addresses = sorted(set(addresses))
        self.detector = detector        # module name, e.g. 'DSN'
        self.reason = reason            # for LIST_CAUSED: dmarc, blocklist..

    def __repr__(self):
        return (f'<Scan {self.kind} {self.addresses} by {self.detector}'
                f'{" (" + self.reason + ")" if self.reason else ""}>')


def _detectors():
    for name in BOUNCE_PIPELINE:
        module = importlib.import_module(f'Mailman.Bouncers.{name}')
        yield name, module.process


def scan(msg):
    """Scan MSG with every detector; see the module docstring."""
    for name, process in _detectors():
        temporary, permanent = process(msg)
        if permanent:
            return _permanent_or_list_caused(msg, permanent, name)
        if temporary:
            return Scan(TEMPORARY, temporary, name)
    if AutoReply.is_autoreply(msg):
        return Scan(AUTOREPLY)
    return Scan(UNRECOGNISED)


def _permanent_or_list_caused(msg, permanent, detector):
    """Tell the addresses refused because of the list (their own DSN
    block, or else the whole notice, says so) from the ones that failed."""
    reasons = ListCaused.per_recipient(msg)
    if reasons:
        caused = {a for a in permanent if reasons.get(a.lower())}
        failed = set(permanent) - caused
        if failed:
            return Scan(PERMANENT, failed, detector)
        why = sorted({reasons[a.lower()] for a in caused})
        return Scan(LIST_CAUSED, caused, detector, ', '.join(why))
    why = ListCaused.reason(msg)
    if why:
        return Scan(LIST_CAUSED, permanent, detector, why)
    return Scan(PERMANENT, permanent, detector)


def ScanMessages(mlist, msg):
    """2.1's entry point: addresses, Stop, or [] (see the docstring)."""
    result = scan(msg)
    if result.kind == PERMANENT:
        return list(result.addresses)
    if result.kind in (TEMPORARY, LIST_CAUSED):
        return Stop
    return []
