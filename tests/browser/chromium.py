"""Driving Debian's headless Chromium without a driver: `--dump-dom` after the page's scripts ran
(virtual time), console messages read from Chromium's own log on stderr, `--screenshot` for review.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
          "--enable-logging=stderr", "--v=0", "--virtual-time-budget=20000"]
_CONSOLE = re.compile(r':CONSOLE[:(]\d*\)?\]? *"(?P<msg>.*)", source: (?P<src>\S*)')


@dataclass
class Rendered:
    """What Chromium saw: the DOM after scripts ran, console messages, the screenshot."""

    dom: str
    console: list[str]
    screenshot: Path | None


def render(page: Path, screenshot: Path | None = None, *, width: int = 1300, height: int = 2400) -> Rendered:
    """Open `page` from disk in headless Chromium; returns the DOM and console messages."""
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed (scripts/test installs Debian's chromium)")
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="lantern-chromium-") as prof:
        base = [CHROMIUM, *_FLAGS, f"--user-data-dir={prof}", f"--window-size={width},{height}"]
        run = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=180)
        console = [m.group("msg") for m in _CONSOLE.finditer(run.stderr)]
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([*base, f"--screenshot={screenshot.resolve()}", url], capture_output=True, text=True,
                           timeout=180)
    return Rendered(run.stdout, console, screenshot if screenshot and screenshot.exists() else None)


def charts(dom: str) -> tuple[int, int]:
    """(chart divs on the page, chart divs plotly drew an SVG into)."""
    divs = re.findall(r'<div id="[^"]+" class="lantern-chart([^"]*)"', dom)
    drawn = sum("js-plotly-plot" in d for d in divs)
    pieces = re.split(r'<div id="[^"]+" class="lantern-chart', dom)[1:]
    with_svg = sum(1 for p in pieces if "main-svg" in p.split('class="lantern-chart', 1)[0][:200000])
    return len(divs), min(drawn, with_svg)
