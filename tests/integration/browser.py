"""A real browser for the dashboard's tests: Debian's Chromium, headless, driven by Selenium through
Debian's chromedriver (installed by .ci/run; nothing is downloaded).

Every host but 127.0.0.1 is unresolvable, and every request the page makes is read from the
browser's network log, so a test can say that a page asked nothing of another host. axe-core,
vendored from npm, checks each page for accessibility violations. Screenshots are kept in
``SOCIALIZER_SCREENSHOTS`` (default ``.ci-screens/`` at the repository's root).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, ImageStat
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = Path(os.environ.get("SOCIALIZER_SCREENSHOTS", Path(__file__).resolve().parents[2] / ".ci-screens"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


class Browser:
    def __init__(self, base_url: str) -> None:
        if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
            raise RuntimeError("the browser tests need Debian's chromium and chromium-driver (.ci/run installs them)")
        self.base = base_url.rstrip("/")
        self.profile = tempfile.mkdtemp(prefix="socializer-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1366,900",
            "--force-device-scale-factor=1",
            f"--user-data-dir={self.profile}",
            # Nothing but this machine resolves: a page that needs another host cannot hide it.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ):
            opts.add_argument(flag)
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        self.driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
        self.driver.set_page_load_timeout(60)
        self.requests: list[str] = []

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)

    def reset(self) -> None:
        """Forget the previous test: its cookies (its session), its console messages and its requests."""
        self.driver.get("about:blank")
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})  # every origin's (WebDriver's: the page's only)
        self.driver.get_log("browser")
        self.driver.get_log("performance")
        self.requests.clear()

    # --- navigation -------------------------------------------------------------------------
    def open(self, path: str) -> None:
        self.driver.get(self.base + path)
        WebDriverWait(self.driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def sign_in(self, api_key: str) -> None:
        """Sign in on the login page the browser is on (keeping where it was going), or open one."""
        if "/socializer/login" not in self.driver.current_url:
            self.open("/socializer/login")
        self.find("#api_key").clear()
        self.find("#api_key").send_keys(api_key)
        self.find("form button[type=submit]").click()
        WebDriverWait(self.driver, 30).until(lambda d: "/socializer/login" not in d.current_url)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_for(self, css: str, timeout: float = 30) -> WebElement:
        return WebDriverWait(self.driver, timeout).until(lambda d: d.find_element(By.CSS_SELECTOR, css))

    def follow(self, css: str, timeout: float = 30) -> None:
        """Click what navigates (a link, a form's button) and wait for the next page: the page being
        left still matches its own elements until it is gone, so waiting for one would race the load."""
        leaving = self.find("html")
        self.find(css).click()
        WebDriverWait(self.driver, timeout).until(staleness_of(leaving))
        WebDriverWait(self.driver, timeout).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def script(self, source: str, *args: Any) -> Any:
        return self.driver.execute_script(source, *args)

    # --- what the page did ------------------------------------------------------------------
    def drain_requests(self) -> list[str]:
        """Every URL the browser asked for since the last call (from the DevTools network log)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                urls.append(msg["params"]["request"]["url"])
        self.requests.extend(urls)
        return urls

    def foreign_requests(self) -> list[str]:
        """Requests over the network to any host but 127.0.0.1 (data:, blob: and the browser's own
        chrome:// pages go to no host)."""
        network = ("http", "https", "ws", "wss", "ftp")
        return [u for u in self.drain_requests() if urlsplit(u).scheme in network and urlsplit(u).hostname != "127.0.0.1"]

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now."""
        self.script(AXE.read_text())
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));"
        )
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n.get("target") for n in v["nodes"][:5]]}
            for v in result
            if v.get("impact") in ("serious", "critical")
        ]

    def page_weight(self) -> int:
        """Bytes the page transferred (document and its subresources), as the browser counted them."""
        return int(
            self.script(
                "const nav = performance.getEntriesByType('navigation')[0];"
                "return (nav ? (nav.transferSize || nav.encodedBodySize) : 0) + performance.getEntriesByType('resource').reduce((s, r) => s + (r.transferSize || r.encodedBodySize || 0), 0);"
            )
        )

    def owes(self, shot: str) -> None:
        """What every page owes: nothing asked of another host, no serious or critical accessibility
        violation, under 300 KB, no script error, and its screenshot kept (not blank)."""
        assert self.foreign_requests() == []
        assert self.axe() == []
        assert 0 < self.page_weight() < 300_000
        assert self.console_errors() == []
        self.screenshot(shot)

    def screenshot(self, name: str) -> Path:
        """Keep a screenshot of the whole page; a blank one (a single colour) is a failure."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        height = int(self.script("return Math.min(document.documentElement.scrollHeight, 4000)"))
        self.driver.set_window_size(1366, max(height, 600))
        time.sleep(0.1)
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1366, 900)
        with Image.open(path) as img:
            spread = max(hi - lo for lo, hi in ImageStat.Stat(img.convert("RGB")).extrema)
        assert spread > 32, f"the screenshot of {name} is blank"
        return path
