"""Helpers shared by every test: how to skip locally, or fail in CI, when a
part of the machine that a test needs is missing."""

import os

import pytest

IN_CI = os.environ.get('CI') == 'true'


def need(condition, reason):
    """Skip the test with REASON unless CONDITION holds; in CI, fail."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f'required in CI: {reason}')
    pytest.skip(reason)


def need_root():
    need(os.geteuid() == 0, 'needs root (creates users, groups and setgid files)')
