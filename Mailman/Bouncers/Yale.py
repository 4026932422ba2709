"""Bounce detector: Yale's mail server: user names given at cs.yale.edu and yale.edu."""

from Mailman.Bouncers._flufl import detector

process = detector('yale', 'Yale')
