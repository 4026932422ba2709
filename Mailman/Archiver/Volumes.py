"""Archive volumes: which period a message belongs to, and its name.

archive_volume_frequency: 0 yearly (2026), 1 monthly (2026-November),
2 quarterly (2026q4), 3 weekly (Week-of-Mon-20261123), 4 daily (20261127).
Periods are in the server's local time, as in 2.1.
"""

import datetime
import re
import time

YEARLY, MONTHLY, QUARTERLY, WEEKLY, DAILY = range(5)
MONTHS = ('January', 'February', 'March', 'April', 'May', 'June', 'July',
          'August', 'September', 'October', 'November', 'December')

_NAME_PATTERNS = (
    r'\d{4}',
    r'\d{4}-(?:%s)' % '|'.join(MONTHS),
    r'\d{4}q[1-4]',
    r'Week-of-Mon-\d{8}',
    r'\d{8}',
)
VOLUME_NAME = re.compile(r'^(?:%s)$' % '|'.join(_NAME_PATTERNS))


def volume_name(when, frequency):
    """The name of the volume holding a message dated WHEN (seconds)."""
    day = datetime.date(*time.localtime(when)[:3])
    if frequency == YEARLY:
        return '%04d' % day.year
    if frequency == QUARTERLY:
        return '%04dq%d' % (day.year, (day.month - 1) // 3 + 1)
    if frequency == WEEKLY:
        monday = day - datetime.timedelta(days=day.weekday())
        return 'Week-of-Mon-%04d%02d%02d' % (monday.year, monday.month,
                                             monday.day)
    if frequency == DAILY:
        return '%04d%02d%02d' % (day.year, day.month, day.day)
    return '%04d-%s' % (day.year, MONTHS[day.month - 1])


def is_volume_name(name):
    return bool(VOLUME_NAME.match(name))


def sort_key(name):
    """A key ordering volume names by time (newest last)."""
    if name.startswith('Week-of-Mon-'):
        return name[12:]
    match = re.match(r'^(\d{4})-(\w+)$', name)
    if match and match.group(2) in MONTHS:
        return '%s%02d' % (match.group(1), MONTHS.index(match.group(2)) + 1)
    match = re.match(r'^(\d{4})q(\d)$', name)
    if match:
        return '%s%02d' % (match.group(1), (int(match.group(2)) - 1) * 3 + 1)
    return name
