"""Bounce detector: IMail's SMTP32 (X-Mailer: <SMTP32 v...)."""

from Mailman.Bouncers._flufl import detector

process = detector('smtp32', 'SMTP32')
