"""Bounce detector: Microsoft Exchange (and Hotmail/Outlook.com's older) notices:
"did not reach the following recipient(s)"."""

from Mailman.Bouncers._flufl import detector

process = detector('exchange', 'Exchange')
