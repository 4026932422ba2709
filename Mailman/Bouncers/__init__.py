"""Bounce detectors: one module per notice format, behind BouncerAPI.

A detector only reads the message it is given and returns addresses; it
never looks at or changes list state.
"""
