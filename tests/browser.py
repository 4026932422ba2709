"""Headless Chromium for the tests: Debian's /usr/bin/chromium driven by
Playwright (the PyPI package only; its own browser downloads are never used).

    from browser import browser          # the pytest fixture
    def test_x(browser):
        page = browser.new_page()
        page.goto('http://localhost:8000/mailman/listinfo/x')
        page.fill('input[name=email]', 'a@example.com')
        page.click('input[type=submit]')  # waits for the next page
        page.screenshot('subscribed')     # tests/artifacts/test_x/01-subscribed.png
        assert 'Confirm' in page.text()

Outside pytest, `with Browser('name') as browser:` does the same.  Every
browser starts with a fresh profile directory, removed at the end.
Screenshots go to $MAILMAN_TEST_ARTIFACTS/<name>/, else
tests/artifacts/<name>/, so that CI can keep them.
"""

import importlib.util
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from mmtest import need

CHROMIUM = '/usr/bin/chromium'
# The flags of /work/shared/ENVIRONMENT.md; --headless and the profile
# directory are given by Playwright from launch options.
CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic',
                  '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync']
TIMEOUT_MS = 30_000
ARTIFACTS = Path(__file__).resolve().parent / 'artifacts'


def need_chromium():
    """Skip (locally) or fail (in CI) unless Chromium and Playwright are here."""
    need(os.access(CHROMIUM, os.X_OK),
         f'needs Chromium at {CHROMIUM} (apt-get install chromium)')
    need(importlib.util.find_spec('playwright') is not None,
         'needs the playwright package (tests/requirements.txt)')


def artifacts_dir(name):
    """The directory for the artefacts of test NAME (created)."""
    top = Path(os.environ.get('MAILMAN_TEST_ARTIFACTS') or ARTIFACTS)
    directory = top / (re.sub(r'[^A-Za-z0-9_.-]+', '_', name).strip('_') or 'test')
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class Page:
    """One browser tab, with the few steps the tests take."""

    def __init__(self, page, browser):
        self.raw = page         # the Playwright Page, for anything else
        self._browser = browser

    def goto(self, url):
        """Load URL; returns the HTTP status of the page."""
        response = self.raw.goto(url, wait_until='load')
        return response.status if response else None

    def fill(self, selector, text):
        self.raw.fill(selector, text)

    def click(self, selector):
        """Click SELECTOR and wait for the page it leads to (if any)."""
        self.raw.click(selector)
        self.raw.wait_for_load_state('load')

    def text(self):
        """The visible text of the page."""
        return self.raw.inner_text('body')

    def html(self):
        return self.raw.content()

    @property
    def url(self):
        return self.raw.url

    def screenshot(self, label):
        """Save a full-page PNG as NN-LABEL.png in the artefacts directory;
        returns its path."""
        return self._browser.save_screenshot(self.raw, label)


class Browser:
    """A headless Chromium with a fresh profile; a context manager."""

    def __init__(self, name):
        self.name = name
        self.artifacts = artifacts_dir(name)
        self._shots = 0
        self._playwright = None
        self._context = None
        self._profile = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()

    def start(self):
        from playwright.sync_api import sync_playwright
        self._profile = tempfile.mkdtemp(prefix='mailman-chromium-')
        self._playwright = sync_playwright().start()
        try:
            self._context = self._playwright.chromium.launch_persistent_context(
                self._profile, executable_path=CHROMIUM, headless=True,
                args=CHROMIUM_FLAGS)
            self._context.set_default_timeout(TIMEOUT_MS)
        except BaseException:
            self.close()
            raise
        return self

    def new_page(self):
        return Page(self._context.new_page(), self)

    def save_screenshot(self, raw_page, label):
        self._shots += 1
        safe = re.sub(r'[^A-Za-z0-9_.-]+', '-', label).strip('-') or 'page'
        path = self.artifacts / f'{self._shots:02d}-{safe}.png'
        raw_page.screenshot(path=str(path), full_page=True)
        return path

    def close(self):
        if self._context is not None:
            self._context.close()
            self._context = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None


@pytest.fixture
def browser(request):
    """A started Browser named after the test; skipped without Chromium."""
    need_chromium()
    with Browser(request.node.name) as started:
        yield started
