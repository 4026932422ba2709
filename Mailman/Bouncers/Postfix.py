"""Bounce detector: Postfix (and Keftamail, BNS Postfix, SMTP_Gateway) notices: the
text/plain part with Content-Description: notification."""

from Mailman.Bouncers._flufl import detector

process = detector('postfix', 'Postfix')
