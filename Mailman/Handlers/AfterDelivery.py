"""Bookkeeping once a post is on its way: the time of the last post and
the post number (used by numbered subject prefixes and VERP intervals)."""

import time


def process(mlist, msg, msgdata):
    mlist.last_post_time = time.time()
    mlist.post_id += 1
