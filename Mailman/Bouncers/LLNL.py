"""Bounce detector: LLNL's customised Sendmail."""

from Mailman.Bouncers._flufl import detector

process = detector('llnl', 'LLNL')
