"""Test stand-in for CookHeaders (installed only while the real one is
missing): adds X-BeenThere."""


def process(mlist, msg, msgdata):
    del msg['X-BeenThere']
    msg['X-BeenThere'] = mlist.GetListEmail()
