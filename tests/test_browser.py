"""The web page in a real browser: Debian's Chromium, headless, driven by Selenium through
Debian's chromedriver (`make test` installs both). On a small demo home (its audio analysed, text
read, weeks written) served by uvicorn on 127.0.0.1: pick a listener, see 30 rows and the
drawn flow, open a track (its analysis drawn), an artist and the status page. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Debian's chromium and chromium-driver are not installed (make test installs them: make browser)")

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import uvicorn

    from tastemaker import snapshots
    from tastemaker.cli import run
    from tastemaker.config import load_settings
    from tastemaker.demo.run import run_demo
    from tastemaker.engine import DuckDBEngine
    from tastemaker.service import create_app

    settings = load_settings(tmp_path_factory.mktemp("site") / "home")
    run_demo(settings, n_users=60, n_artists=16, tracks_per_artist=6, weeks=3, seed=5, audio_seconds=2.0,
             log=lambda *_: None)
    assert run(["--home", str(settings.home), "-q", "analyze", str(settings.home / "demo-world" / "audio")]) == 0
    with DuckDBEngine.open(settings.warehouse_path) as engine:
        snapshots.publish(engine, settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "the service did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", settings
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1800",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def _wait(driver, check, what: str, seconds: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: check(d), message=what)


def test_a_listener_their_week_a_track_an_artist_and_the_status(site, browser):
    from selenium.webdriver.common.by import By

    base, _ = site
    browser.get(base + "/")
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true",
          "the page's first view")
    rows = browser.find_elements(By.CSS_SELECTOR, "#tracks tbody tr")
    assert len(rows) == 30
    assert all(r.find_elements(By.CSS_SELECTOR, ".badge") for r in rows)          # each row's source
    lines = browser.find_elements(By.CSS_SELECTOR, "#flow svg polyline")
    assert lines, "the flow plot has no line"
    assert {line.get_attribute("data-series") for line in lines} >= {"tempo", "loudness"}
    assert "What they did with the list of" in browser.find_element(By.ID, "last-title").text
    browser.save_screenshot(str(ARTIFACTS / "page-week.png"))

    # a track: its facts, its analysis drawn, its neighbours by each model
    first = rows[0].find_elements(By.TAG_NAME, "a")[1]
    title = first.text
    first.click()
    _wait(browser, lambda d: d.find_element(By.ID, "track").is_displayed()
          and d.find_elements(By.CSS_SELECTOR, "#analysis svg .loudness"), "the track's analysis")
    assert title in browser.find_element(By.ID, "track-title").text
    assert browser.find_elements(By.CSS_SELECTOR, "#analysis svg .beats")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#track-audio li a"), "tracks that sound alike")
    assert browser.find_elements(By.CSS_SELECTOR, "#features tr")
    browser.save_screenshot(str(ARTIFACTS / "page-track.png"))

    # its artist: terms by kind, neighbours by each model
    browser.find_element(By.CSS_SELECTOR, "#track-title a").click()
    _wait(browser, lambda d: d.find_element(By.ID, "artist").is_displayed()
          and d.find_elements(By.CSS_SELECTOR, "#artist-collaborative li"), "the artist's page")
    assert browser.find_elements(By.CSS_SELECTOR, "#terms .term"), "no terms drawn"
    assert browser.find_elements(By.CSS_SELECTOR, "#artist-text li a")
    browser.save_screenshot(str(ARTIFACTS / "page-artist.png"))

    # the status: models, weeks, the feedback chart
    browser.find_element(By.ID, "to-status").click()
    _wait(browser, lambda d: d.find_element(By.ID, "status").is_displayed()
          and d.find_elements(By.CSS_SELECTOR, "#models tbody tr"), "the status page")
    kinds = {r.find_elements(By.TAG_NAME, "td")[0].text for r in browser.find_elements(By.CSS_SELECTOR, "#models tbody tr")}
    assert {"collaborative", "audio"} <= kinds
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#feedback-chart svg"), "the feedback chart")
    browser.save_screenshot(str(ARTIFACTS / "page-status.png"))

    # an unknown listener is said so on the page, no stack trace
    browser.get(base + "/#user=nobody-at-all")
    _wait(browser, lambda d: d.find_element(By.ID, "error").is_displayed(), "the error line")
    assert "No user 'nobody-at-all'" in browser.find_element(By.ID, "error").text
