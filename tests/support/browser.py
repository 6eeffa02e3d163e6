"""A real browser against a real server, shared by the ``/admin`` and ``/chat`` browser tests.

``browser``: headless Chromium (Debian ``chromium`` + ``chromium-driver``) driven by selenium,
one per test module; a module may set ``WINDOW_SIZE = (width, height)``. Missing pieces FAIL
the tests (they do not skip): a silently skipped browser test would let a broken page ship.
:func:`live_server` serves a Flask app on 127.0.0.1 with werkzeug in a thread.

Import the fixture into a test module to use it:
``from tests.support.browser import browser  # noqa: F401  (fixture)``.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import threading
from typing import Iterator

import pytest
from werkzeug.serving import make_server

INSTALL = ("run `apt-get update && apt-get install -y chromium chromium-driver` and `pip install selenium` "
           "(or point CHROME_BIN / CHROMEDRIVER at them)")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run")
WINDOW_SIZE = (1400, 1100)


def _binary(env: str, *names: str) -> str | None:
    return os.environ.get(env) or next((p for p in map(shutil.which, names) if p), None)


@pytest.fixture(scope="module")
def browser(request, tmp_path_factory):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail(f"selenium is not installed: {INSTALL}")
    chromium = _binary("CHROME_BIN", "chromium", "chromium-browser", "google-chrome")
    driver_path = _binary("CHROMEDRIVER", "chromedriver")
    if not chromium or not driver_path:
        pytest.fail(f"headless Chromium tests need Chromium and its driver (found chromium={chromium!r}, "
                    f"chromedriver={driver_path!r}): {INSTALL}")
    width, height = getattr(request.module, "WINDOW_SIZE", WINDOW_SIZE)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium  # both paths given: selenium-manager has nothing to look up or download
    for flag in (*FLAGS, f"--window-size={width},{height}",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def page_wait(driver, timeout: float = 10):
    """A ``WebDriverWait`` that keeps polling while a form post replaces the page under it.

    Between the click and the new document, an element the condition just found can belong to the
    old page: chromedriver then answers "stale element" or, racing the swap, a bare inspector error
    ("Node with given id does not belong to the document"). Both mean "not yet", never "no": the wait
    still fails with a timeout if the condition never holds."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException, WebDriverException))


@contextlib.contextmanager
def live_server(app) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 for the ``with`` block; yields its base URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(10)
