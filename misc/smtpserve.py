"""What the quick start's two SMTP servers (mtaentry, mailcapture) share:
an aiosmtpd Controller on loopback, and running one until Ctrl-C or
SIGTERM when started as a program."""

import signal
import time


def make_controller(handler, port, ident, host='127.0.0.1', smtputf8=False):
    """An aiosmtpd Controller for HANDLER on HOST:PORT, not yet started."""
    from aiosmtpd.controller import Controller
    return Controller(handler, hostname=host, port=port,
                      server_hostname='localhost', ident=ident,
                      enable_SMTPUTF8=smtputf8)


def serve_until_stopped(controller, banner):
    """Start CONTROLLER, print BANNER, and serve until Ctrl-C or SIGTERM."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    controller.start()
    print(banner, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0
