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
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=20000",
]
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
            subprocess.run(
                [*base, f"--screenshot={screenshot.resolve()}", url], capture_output=True, text=True, timeout=180
            )
    return Rendered(run.stdout, console, screenshot if screenshot and screenshot.exists() else None)


def charts(dom: str) -> tuple[int, int]:
    """(chart divs on the page, chart divs plotly drew an SVG into)."""
    divs = re.findall(r'<div id="[^"]+" class="lantern-chart([^"]*)"', dom)
    drawn = sum("js-plotly-plot" in d for d in divs)
    pieces = re.split(r'<div id="[^"]+" class="lantern-chart', dom)[1:]
    with_svg = sum(1 for p in pieces if "main-svg" in p.split('class="lantern-chart', 1)[0][:200000])
    return len(divs), min(drawn, with_svg)


def print_pdf(page: Path, pdf: Path) -> Path | None:
    """Print `page` to PDF as Chromium prints it (A4 from the page's @page rules, print media)."""
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed (scripts/test installs Debian's chromium)")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lantern-chromium-") as prof:
        subprocess.run(
            [
                CHROMIUM,
                *_FLAGS,
                f"--user-data-dir={prof}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf.resolve()}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    return pdf if pdf.exists() else None


def page_width(page: Path, width: int) -> int:
    """The document scroll width of `page` laid out `width` px wide (in an iframe of that width:
    a headless window is never narrower than 500 px). A probe page beside it reads the frame
    after its scripts ran and writes the width into its own title."""
    probe = page.with_name(f"_probe_{page.stem}.html")
    probe.write_text(
        f"""<!doctype html><html><head><title>probe</title></head><body style="margin:0">
<iframe id="f" src="{page.name}" style="width:{width}px;height:1500px;border:0"></iframe>
<script>document.getElementById('f').addEventListener('load', function () {{
  var f = this; setTimeout(function () {{
    var d = f.contentDocument.documentElement;
    document.title = 'W=' + Math.max(d.scrollWidth, f.contentDocument.body.scrollWidth);
  }}, 1500);
}});</script></body></html>""",
        encoding="utf-8",
    )
    try:
        url = probe.resolve().as_uri()
        with tempfile.TemporaryDirectory(prefix="lantern-chromium-") as prof:
            run = subprocess.run(
                [
                    CHROMIUM,
                    *_FLAGS,
                    f"--user-data-dir={prof}",
                    "--allow-file-access-from-files",
                    "--window-size=1200,1600",
                    "--dump-dom",
                    url,
                ],
                capture_output=True,
                text=True,
                timeout=180,
            )
    finally:
        probe.unlink()
    m = re.search(r"<title>W=(\d+)</title>", run.stdout)
    if not m:
        raise AssertionError(f"{page.name}: the width probe did not run")
    return int(m.group(1))
