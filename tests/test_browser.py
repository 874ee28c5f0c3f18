"""Browser test of the planner app: Voilà serves notebooks/02-planner.ipynb on 127.0.0.1 and
headless Chromium (Debian's ``chromium``, driven by Playwright) clicks through it as a coordinator
would: Solve, look at the plan, re-plan, Stop, load other data; and closes the page, after which
the page's kernel must go away.

Voilà runs with the repository's ``voila.json`` (kernel culling), copied with a short idle
timeout so the test need not wait minutes.

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
VOILA_CONFIG = ROOT / "voila.json"
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


def voila_config(folder: Path, idle_seconds: int = 3) -> dict:
    """The repository's voila.json with a short idle timeout, written into ``folder`` (Voilà reads the
    voila.json of the folder it starts in)."""
    config = json.loads(VOILA_CONFIG.read_text(encoding="utf-8"))
    config["MappingKernelManager"].update(cull_idle_timeout=idle_seconds, cull_interval=1)
    (folder / "voila.json").write_text(json.dumps(config), encoding="utf-8")
    return config


@pytest.fixture
def voila_url(tmp_path: Path) -> Iterator[str]:
    """Start Voilà on a free local port with the culling configuration; always stop it (and its kernels)."""
    port = _free_port()
    env = dict(os.environ)
    # The kernel must import this checkout's workbench even when it is not pip-installed.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["HOME"] = str(tmp_path)  # exports default to ~/workbench-exports: keep them out of the real home
    voila_config(tmp_path)
    log = (tmp_path / "voila.log").open("w")
    proc = subprocess.Popen(
        [str(VOILA), str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
        cwd=tmp_path,
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
                time.sleep(0.3)  # polling a server that is starting: nothing to wait on but time
        yield url
    finally:
        # start_new_session made voila the leader of its own group, so this ends it and its kernels only
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()


def _outside_recorder(page, outside: list[str]) -> None:
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", *HARMLESS_OUTSIDE))
            else None
        ),
    )


# how many dropdowns of the app show no choice at all (a <select> with options but none selected)
BLANK_DROPDOWNS = (
    "[...document.querySelectorAll('.wb-app select')].filter(s => s.options.length && s.selectedIndex < 0).length"
)


def _text(page, selector: str) -> str:
    return " ".join(page.locator(selector).all_inner_texts())


def _tab(page, title: str) -> None:
    page.locator(".lm-TabBar-tab, .p-TabBar-tab").filter(has_text=title).first.click()


def test_planner_solves_in_the_browser(voila_url: str) -> None:
    """A coordinator's session: Solve fills the table and cards quickly and offline, showing people as
    "name (id)" and the quick plan's points (never 0); no dropdown is blank; the Unassigned tab numbers
    weeks from 1 and says so; re-planning with no change moves nothing; Stop ends a long search; loading
    other data leaves no stale "Done"."""
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    outside: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            _outside_recorder(page, outside)
            page.goto(voila_url, wait_until="domcontentloaded")
            # the app is ready once the demo is loaded and its need-and-supply table is shown
            page.wait_for_selector("table.wb-supply-activity", timeout=120_000)
            blank_on_load = page.evaluate(BLANK_DROPDOWNS)
            supply_text = _text(page, "table.wb-supply-activity") + _text(page, "table.wb-supply-language")
            solve = page.locator("button.wb-solve")

            start = time.monotonic()
            solve.click()
            page.wait_for_selector("table.wb-schedule tbody tr", timeout=60_000)
            click_to_table = time.monotonic() - start
            progress_at_table = _text(page, ".wb-progress")
            # while the optimiser runs the page stays live: Stop is enabled and the progress line moves
            stop_enabled = page.locator("button.wb-stop:not([disabled])").count() == 1
            page.wait_for_function("document.body.innerText.includes('Done')", timeout=60_000)
            click_to_final = time.monotonic() - start

            rows = page.locator("table.wb-schedule tbody tr").count()
            volunteers = page.locator("table.wb-schedule tbody tr td:nth-child(5)").all_inner_texts()
            citizens = page.locator("table.wb-schedule tbody tr td:nth-child(6)").all_inner_texts()
            kpis = page.locator(".wb-kpi-value").all_inner_texts()
            blank_after_solve = page.evaluate(BLANK_DROPDOWNS)
            page.screenshot(path=str(ARTIFACTS / "planner.png"), full_page=True)

            _tab(page, "Unassigned")
            page.wait_for_selector("table.wb-unassigned, .wb-empty", timeout=30_000)
            unassigned_headers = page.locator("table.wb-unassigned th").all_inner_texts()
            unassigned_note = _text(page, "p.wb-note")

            # re-plan without any change: every agreed session stays, nobody needs a call
            _tab(page, "What-if")
            page.locator("button.wb-replan").click()
            page.wait_for_function(
                "[...document.querySelectorAll('.wb-progress')].some(e => /Done.*run 2/.test(e.innerText))",
                timeout=90_000,
            )
            page.wait_for_selector("p.wb-changes", timeout=30_000)
            changes = _text(page, "p.wb-changes")

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

            # other data: the old plan's "Done" line must not stay on screen
            page.locator(".wb-dataset select").select_option(label="demo.xlsx")
            page.locator("button.wb-load").click()
            page.wait_for_selector(".wb-source:has-text('demo.xlsx')", timeout=60_000)
            page.wait_for_selector(".wb-kpis.wb-empty", timeout=30_000)
            progress_after_load = _text(page, ".wb-progress")
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
    assert all(re.fullmatch(r".+ \(v\d+\)", v) for v in volunteers), volunteers[:5]
    assert all(re.fullmatch(r".+ \(c\d+\)", c) for c in citizens), citizens[:5]
    assert "IT help" in supply_text and "Danish" in supply_text and "it_help" not in supply_text
    assert blank_on_load == 0 and blank_after_solve == 0, "a dropdown shows no choice"
    points = re.search(r"([\d,]+) points", progress_at_table)
    assert points and int(points.group(1).replace(",", "")) > 0, progress_at_table
    assert "appointment" in unassigned_headers and "week 1 = the first week of the plan" in unassigned_note
    assert changes.startswith("Nothing changed"), changes
    assert stop_enabled or click_to_final < 2, "Stop was not usable while the optimiser ran"
    assert stop_to_done < 5, f"Stop took {stop_to_done:.1f} s to end a 60 s search"
    assert progress_after_load.strip() == "", f"stale progress line after loading other data: {progress_after_load}"
    assert not outside, f"the page requested outside resources: {sorted(set(outside))[:5]}"
    assert click_to_table < CLICK_TO_TABLE_MAX, f"click to table took {click_to_table:.2f} s"


def _kernel_status(url: str, kernel_id: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}api/kernels/{kernel_id}", timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _open_planner(browser, url: str) -> tuple[object, str]:
    page = browser.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("table.wb-supply-activity", timeout=120_000)
    kernel_id = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    return page, kernel_id


def test_closed_pages_leave_no_kernel_behind(voila_url: str) -> None:
    """A page closed normally shuts its kernel down at once; a page that vanishes without a word (a crashed
    tab, a lost network) has its kernel culled after the idle timeout; an open page's kernel stays."""
    sync_api = pytest.importorskip("playwright.sync_api")
    config = json.loads(VOILA_CONFIG.read_text(encoding="utf-8"))["MappingKernelManager"]
    assert config["cull_idle_timeout"] > 0 and config["cull_interval"] > 0 and not config["cull_connected"]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            closed, closed_id = _open_planner(browser, voila_url)
            vanished, vanished_id = _open_planner(browser, voila_url)
            kept, kept_id = _open_planner(browser, voila_url)
            assert {_kernel_status(voila_url, k) for k in (closed_id, vanished_id, kept_id)} == {200}
            closed.close(run_before_unload=True)  # the page says goodbye: Voilà shuts its kernel down
            vanished.close(run_before_unload=False)  # no goodbye: only culling can end its kernel
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and 200 in {_kernel_status(voila_url, k) for k in (closed_id,
                                                                                              vanished_id)}:
                kept.wait_for_timeout(500)  # the browser's own clock; the server is polled, nothing to wait on
            gone = {k: _kernel_status(voila_url, k) for k in (closed_id, vanished_id)}
            assert gone == {closed_id: 404, vanished_id: 404}, gone
            assert _kernel_status(voila_url, kept_id) == 200, "the open page lost its kernel"
        finally:
            browser.close()
