"""Bounce detector: caiwireless.net's pseudo-MIME notices."""

from Mailman.Bouncers._flufl import detector

process = detector('caiwireless', 'Caiwireless')
