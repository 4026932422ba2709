"""A loopback SMTP server that keeps every message it is given in a Maildir.

It plays the part of the whole outside world for a development site: set
SMTPHOST/SMTPPORT to it and every message Mailman sends, to any address,
lands in one Maildir, one file per recipient, with a Delivered-To and a
Return-Path header on top as a real mailbox delivery adds them.  Read it
with any mail reader that knows Maildir (`mutt -f DIR`), or as plain files
in DIR/new.

Run it on its own with

    PYTHONPATH=$prefix/pythonlib python3 misc/mailcapture.py --maildir DIR [--port 8026]
"""

import argparse
import mailbox
import sys

import smtpserve


class MaildirCapture:
    """aiosmtpd handler: accepts every recipient and files each copy."""

    def __init__(self, path, log=None):
        self.maildir = mailbox.Maildir(str(path), create=True)
        self.log = log or (lambda text: None)

    async def handle_DATA(self, server, session, envelope):
        sender = envelope.mail_from or ''
        # Files in a Maildir end their lines the Unix way.
        text = envelope.original_content.replace(b'\r\n', b'\n')
        for recipient in envelope.rcpt_tos:
            header = (f'Delivered-To: {recipient}\n'
                      f'Return-Path: <{sender}>\n').encode('utf-8')
            key = self.maildir.add(header + text)
            self.log(f'mail for {recipient} from <{sender}>: new/{key}')
        return '250 2.0.0 OK: delivered to the capture maildir'


def make_controller(handler, port, host='127.0.0.1'):
    """An aiosmtpd Controller for HANDLER on HOST:PORT, not yet started.
    SMTPUTF8 and 8BITMIME are offered, as by any current receiver."""
    return smtpserve.make_controller(handler, port, 'Mail capture', host,
                                     smtputf8=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--maildir', required=True,
                        help='the Maildir to store messages in (created if missing)')
    parser.add_argument('--port', type=int, default=8026)
    options = parser.parse_args(argv)
    handler = MaildirCapture(options.maildir,
                             log=lambda text: print(text, flush=True))
    return smtpserve.serve_until_stopped(
        make_controller(handler, options.port),
        f'Capturing mail on 127.0.0.1:{options.port} into {options.maildir}')


if __name__ == '__main__':
    sys.exit(main())
