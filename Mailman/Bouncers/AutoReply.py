"""Auto-replies (vacation, out of office, "thanks for your mail") sent to
the bounce address: they are not bounces and name nobody who failed."""

import re

_SUBJECT = re.compile(
    r'\b(out of (the )?office|auto(matic)?[- ]?(reply|response|answer)|'
    r'autoreply|vacation|away from (my|the) (office|desk)|abwesenheit|'
    r'absence|on leave|r[ée]ponse automatique|respuesta autom[áa]tica)\b',
    re.IGNORECASE)


def is_autoreply(msg):
    """True when MSG says, or plainly looks like, an automatic reply."""
    submitted = str(msg.get('auto-submitted', '')).strip().lower()
    if submitted.startswith('auto-replied') and \
            msg.get_content_type() != 'multipart/report':
        return True
    for header in ('x-autoreply', 'x-autorespond', 'x-autoresponder'):
        if msg.get(header) is not None:
            return True
    for header in ('precedence', 'x-precedence'):
        if str(msg.get(header, '')).strip().lower() == 'auto_reply':
            return True
    return bool(_SUBJECT.search(str(msg.get('subject', ''))))
