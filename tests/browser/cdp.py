"""Driving Debian's headless Chromium over the DevTools protocol (no driver; `websockets`):
screen or print media, a given window width, JavaScript run in the page, full-page screenshots
and print-to-PDF. Used by the pack and analysts' edition tests, and to look at those pages."""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

from tests.browser.chromium import CHROMIUM

_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
]


class Tab:
    """One page in headless Chromium."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.n = 0

    def call(self, method: str, **params: object) -> dict[str, Any]:
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=120))
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def js(self, expression: str) -> Any:
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"script failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def open(self, page: Path, *, width: int = 1400, height: int = 1000, media: str = "screen") -> None:
        """Load `page` at `width` css px (screen or print media) and wait until its charts are drawn."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        self.call("Emulation.setEmulatedMedia", media=media)
        self.call("Page.navigate", url=page.resolve().as_uri())
        for _ in range(600):
            done = self.js(
                "document.readyState === 'complete' && Array.from(document.querySelectorAll('.lantern-chart'))"
                ".every(function (d) { return d.querySelector('.main-svg'); })"
            )
            if done:
                break
            time.sleep(0.1)
        time.sleep(0.3)

    def media(self, media: str, width: int | None = None) -> None:
        if width is not None:
            self.call("Emulation.setDeviceMetricsOverride", width=width, height=1000, deviceScaleFactor=1, mobile=False)
        self.call("Emulation.setEmulatedMedia", media=media)
        time.sleep(0.5)

    def screenshot(self, target: Path) -> Path:
        h = int(self.js("Math.ceil(document.documentElement.scrollHeight)"))
        w = int(self.js("Math.ceil(document.documentElement.scrollWidth)"))
        data = self.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": w, "height": min(h, 16000), "scale": 1},
        )["data"]
        target.write_bytes(base64.b64decode(data))
        return target

    def pdf(self) -> bytes:
        data = self.call("Page.printToPDF", preferCSSPageSize=True, printBackground=True)["data"]
        return base64.b64decode(data)


@contextmanager
def chromium() -> Iterator[Tab]:
    """A headless Chromium with one tab; closed on exit."""
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed")
    with tempfile.TemporaryDirectory(prefix="lantern-cdp-") as prof:
        proc = subprocess.Popen(
            [CHROMIUM, *_FLAGS, f"--user-data-dir={prof}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port_file = Path(prof) / "DevToolsActivePort"
            for _ in range(300):
                if port_file.exists() and port_file.read_text().strip():
                    break
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            pages = []
            for _ in range(100):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:  # noqa: S310  (local DevTools)
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                if pages:
                    break
                time.sleep(0.1)
            with connect(pages[0]["webSocketDebuggerUrl"], max_size=None) as ws:
                tab = Tab(ws)
                tab.call("Page.enable")
                yield tab
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
