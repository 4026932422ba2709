"""Bounce detector: RFC 3464 (and RFC 1894) delivery status notifications: every
message/delivery-status part, one block per recipient; "failed" is a
permanent failure, "delayed" a temporary one."""

from Mailman.Bouncers._flufl import detector

process = detector('dsn', 'DSN')
