"""The news queue (qfiles/news): posts gated from a list to its newsgroup.

ToUsenet queues a copy of each post when the list's gateway_to_news is set.
Here it is made acceptable to a news server (headers servers refuse are
removed, duplicates renamed, Newsgroups set, moderated groups approved)
and posted with Mailman.NNTP.  A server that is down or answers 4xx gets
the article again later; a refusal that will not change is shunted with
the error logged, so nothing is lost.
"""

import email.utils

from Mailman import NNTP
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog
from Mailman.Queue.Runner import Runner

MODERATED = 2       # news_moderation: the group is moderated


def prepare_message(mlist, msg, msgdata):
    """Rewrite MSG in place for posting to the list's newsgroup."""
    if msgdata.get('prepped'):
        return
    group = mlist.linked_newsgroup
    groups = [g.strip() for g in (msg.get('newsgroups') or '').split(',')
              if g.strip()]
    if group not in groups:
        groups.append(group)
    del msg['newsgroups']
    msg['Newsgroups'] = ','.join(groups)
    stripped = msgdata.get('stripped_subject') or msgdata.get('origsubj')
    if not mlist.news_prefix_subject_too and stripped is not None:
        del msg['subject']
        msg['Subject'] = stripped
    if mlist.news_moderation == MODERATED:
        del msg['approved']
        msg['Approved'] = mlist.GetListEmail()
    for header in mm_cfg.NNTP_REMOVE_HEADERS:
        del msg[header]
    for header, rename in mm_cfg.NNTP_REWRITE_DUPLICATE_HEADERS:
        values = msg.get_all(header, [])
        if len(values) < 2:
            continue
        del msg[header]
        msg[header] = values[0]
        for value in values[1:]:
            msg[rename] = value
    if 'message-id' not in msg:
        msg['Message-ID'] = Utils.unique_message_id(mlist)
    if 'date' not in msg:
        msg['Date'] = email.utils.formatdate(localtime=True)
    msgdata['prepped'] = True


class NewsRunner(Runner):
    QDIR = mm_cfg.NEWSQUEUE_DIR

    def _dispose(self, mlist, msg, msgdata):
        if not mlist.linked_newsgroup or not mlist.nntp_host:
            # Shunted, not dropped: once the list is fixed, bin/unshunt.
            raise ValueError(f'list {mlist.internal_name()}: the news '
                             'gateway has no newsgroup or no news server')
        prepare_message(mlist, msg, msgdata)
        try:
            NNTP.post(mlist.nntp_host, msg.as_bytes(),
                      mm_cfg.NNTP_USERNAME, mm_cfg.NNTP_PASSWORD)
        except OSError as error:
            syslog('error', 'NNTP error for list %s: %s',
                   mlist.internal_name(), error)
            return True
        except NNTP.NNTPError as error:
            syslog('error', 'NNTP error for list %s: %s',
                   mlist.internal_name(), error.reply)
            if error.temporary:
                return True
            raise
        syslog('post', 'list %s: posted %s to newsgroup %s',
               mlist.internal_name(), msg.get('message-id', 'n/a'),
               mlist.linked_newsgroup)
        return False
