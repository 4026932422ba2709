"""Bounce detector: Microsoft SMTPSVC notices."""

from Mailman.Bouncers._flufl import detector

process = detector('microsoft', 'Microsoft')
