"""Bounce detector: Netscape Messaging Server notices."""

from Mailman.Bouncers._flufl import detector

process = detector('netscape', 'Netscape')
