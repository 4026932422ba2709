"""Bounce detector: Novell GroupWise, NTMail and Internet Mail Service notices."""

from Mailman.Bouncers._flufl import detector

process = detector('groupwise', 'GroupWise')
