"""Test handler: kills its own process with SIGKILL, every time."""
import os
import signal


def process(mlist, msg, msgdata):
    os.kill(os.getpid(), signal.SIGKILL)
