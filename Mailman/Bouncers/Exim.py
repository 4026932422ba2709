"""Bounce detector: Exim: the X-Failed-Recipients header."""

from Mailman.Bouncers._flufl import detector

process = detector('exim', 'Exim')
