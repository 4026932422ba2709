"""Bounce detector: Warnings that a message is delayed and still being retried."""

from Mailman.Bouncers._flufl import detector

process = detector('simplewarning', 'SimpleWarning')
