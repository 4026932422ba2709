"""Bounce detector: sina.com's own mail server."""

from Mailman.Bouncers._flufl import detector

process = detector('sina', 'Sina')
