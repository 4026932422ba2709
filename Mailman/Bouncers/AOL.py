"""Bounce detector: AOL's own notices, naming screen names."""

from Mailman.Bouncers._flufl import detector

process = detector('aol', 'AOL')
