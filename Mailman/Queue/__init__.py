"""Queues (qfiles/<name>/) and the runners that work them."""
