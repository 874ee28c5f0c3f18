"""Browser test of the planner app: Voilà serves notebooks/02-planner.ipynb on 127.0.0.1 and
headless Chromium (Debian's ``chromium``, driven by Playwright) clicks Solve.

Run: ``pytest -m browser tests/test_browser.py -s`` (prints the measured times).
The screenshot goes to ``tests/artifacts/planner.png``. Set ``WORKBENCH_CLICK_TO_TABLE_MAX``
(seconds, default 3) to relax the click-to-table target on a slow machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "02-planner.ipynb"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VOILA = shutil.which("voila")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Voilà's page template links Font Awesome from a CDN, but its own JS bundle already holds Font Awesome,
# so that request may fail offline without any effect. Every other outside request is a failure.
HARMLESS_OUTSIDE = ("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@",)
CLICK_TO_TABLE_MAX = float(os.environ.get("WORKBENCH_CLICK_TO_TABLE_MAX", "3"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="chromium is not installed (apt-get install chromium)"
    ),
    pytest.mark.skipif(VOILA is None, reason="voila is not installed (pip install voila)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def voila_url(tmp_path: Path) -> Iterator[str]:
    """Start Voilà on a free local port; always stop it (and its kernel) afterwards."""
    port = _free_port()
    env = dict(os.environ)
    # The kernel must import this checkout's workbench even when it is not pip-installed.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["HOME"] = str(tmp_path)  # exports default to ~/workbench-exports: keep them out of the real home
    log = (tmp_path / "voila.log").open("w")
    proc = subprocess.Popen(
        [str(VOILA), str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
        cwd=NOTEBOOK.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail("voila exited:\n" + (tmp_path / "voila.log").read_text())
            try:
                # any HTTP answer means the server is up; ask for a missing file so no kernel is started
                with urllib.request.urlopen(url + "voila/static/_probe_", timeout=2):
                    break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("voila did not start within 90 s:\n" + (tmp_path / "voila.log").read_text())
                time.sleep(0.3)
        yield url
    finally:
        # start_new_session made voila the leader of its own group, so this ends it and its kernel only
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()


def test_planner_solves_in_the_browser(voila_url: str) -> None:
    """Solve in the Voilà page fills the table and KPI cards quickly and offline; Stop ends a long search."""
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    outside: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on(
                "request",
                lambda r: (
                    outside.append(r.url)
                    if not r.url.startswith(
                        ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", *HARMLESS_OUTSIDE)
                    )
                    else None
                ),
            )
            page.goto(voila_url, wait_until="domcontentloaded")
            # the app is ready once the demo is loaded and its need-and-supply table is shown
            page.wait_for_selector("table.wb-supply-activity", timeout=120_000)
            solve = page.locator("button.wb-solve")

            start = time.monotonic()
            solve.click()
            page.wait_for_selector("table.wb-schedule tbody tr", timeout=60_000)
            click_to_table = time.monotonic() - start
            # while the optimiser runs the page stays live: Stop is enabled and the progress line moves
            stop_enabled = page.locator("button.wb-stop:not([disabled])").count() == 1
            page.wait_for_function("document.body.innerText.includes('Done')", timeout=60_000)
            click_to_final = time.monotonic() - start

            rows = page.locator("table.wb-schedule tbody tr").count()
            kpis = page.locator(".wb-kpi-value").all_inner_texts()
            page.screenshot(path=str(ARTIFACTS / "planner.png"), full_page=True)

            # Stop: with a long time limit, stop as soon as the optimiser reports; the best plan is kept.
            page.locator(".jupyter-widget-Collapse-header, .p-Collapse-header").filter(
                has_text="Method and time limit"
            ).first.click()
            readout = page.locator(".widget-readout").first  # the time-limit slider's editable number
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type("60")
            page.keyboard.press("Enter")
            solve.click()
            page.wait_for_selector(".wb-progress:has-text('points')", timeout=60_000)
            stop_clicked = time.monotonic()
            page.locator("button.wb-stop").click()
            page.wait_for_selector(".wb-progress:has-text('stopped early')", timeout=30_000)
            stop_to_done = time.monotonic() - stop_clicked
        finally:
            browser.close()

    timings = {
        "click_to_table_s": round(click_to_table, 2),
        "click_to_final_plan_s": round(click_to_final, 2),
        "stop_to_plan_s": round(stop_to_done, 2),
        "schedule_rows_shown": rows,
    }
    (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print("\nplanner timings:", timings)
    assert rows > 0
    assert kpis and all(re.search(r"\d", k) for k in kpis[:-1]), kpis  # the last card is the solver status
    assert stop_enabled or click_to_final < 2, "Stop was not usable while the optimiser ran"
    assert stop_to_done < 5, f"Stop took {stop_to_done:.1f} s to end a 60 s search"
    assert not outside, f"the page requested outside resources: {sorted(set(outside))[:5]}"
    assert click_to_table < CLICK_TO_TABLE_MAX, f"click to table took {click_to_table:.2f} s"
