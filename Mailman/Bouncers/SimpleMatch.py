"""Bounce detector: Plain-text notices of many MTAs (Sendmail, Smail, MDaemon,
InterScan, hotpop, newmail.ru, Outlook.com and more) found by
start/end/address patterns."""

from Mailman.Bouncers._flufl import detector

process = detector('simplematch', 'SimpleMatch')
