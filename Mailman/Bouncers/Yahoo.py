"""Bounce detector: Yahoo! Mail's own notices (sender mailer-daemon@yahoo...)."""

from Mailman.Bouncers._flufl import detector

process = detector('yahoo', 'Yahoo')
