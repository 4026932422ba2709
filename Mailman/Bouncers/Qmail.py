"""Bounce detector: qmail's QSBMF notices ("Hi. This is the qmail-send program")."""

from Mailman.Bouncers._flufl import detector

process = detector('qmail', 'Qmail')
