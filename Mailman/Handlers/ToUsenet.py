"""Queue the post for the Usenet gateway (qfiles/news).

Only when the list gateways mail to news, and not for digests or for
articles that came from the newsgroup in the first place.  A gateway
without a newsgroup or an NNTP server is a configuration error: it is
logged and the post is not gated.
"""

from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog
from Mailman.Queue.Switchboard import Switchboard


def process(mlist, msg, msgdata):
    if not mlist.gateway_to_news or msgdata.get('isdigest') \
            or msgdata.get('fromusenet'):
        return
    missing = []
    if not mlist.linked_newsgroup:
        missing.append('no newsgroup')
    if not mlist.nntp_host:
        missing.append('no NNTP host')
    if missing:
        syslog('error', 'NNTP gateway of %s improperly configured: %s',
               mlist.internal_name(), ', '.join(missing))
        return
    data = dict(msgdata)
    data['listname'] = mlist.internal_name()
    Switchboard(mm_cfg.NEWSQUEUE_DIR).enqueue(msg, data)
