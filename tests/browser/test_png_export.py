"""Figures as PNG for reports: rendered by kaleido through Debian's Chromium, from the suppressed
figure data the page embeds."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dashboards.exports import figures_of_page, write_pngs


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is installed by scripts/test")
def test_page_figures_export_as_png(sample_settings, sample_warehouse, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BROWSER_PATH", shutil.which("chromium") or "")
    pages = sorted((sample_settings.build / "profile").glob("*/index.html"))
    assert pages, "no published index page"
    figs = figures_of_page(pages[-1])
    assert len(figs) >= 3
    written = write_pngs(figs[:2], tmp_path)
    assert len(written) == 2
    for p in written:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000
    assert os.environ["BROWSER_PATH"]
