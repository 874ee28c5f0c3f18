"""The planner's messages and page furniture as HTML text (no widgets): the style sheet, coloured
notes, the table of problems in an upload, refused edits, warnings, and plotly figures and
downloads as notebook outputs."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.io as pio

from .. import views
from ..errors import InputError, Problem
from ..words import count

CSS = """
<style>
.wb-app { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
.wb-title { font-size: 1.5em; font-weight: 600; margin: 4px 0; }
.wb-kpis { display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0; }
.wb-kpi { border: 1px solid #e0e0e0; border-radius: 8px; padding: 8px 12px; min-width: 130px;
          background: #fafafa; }
.wb-kpi-label { font-size: 0.8em; color: #616161; text-transform: uppercase; letter-spacing: .03em; }
.wb-kpi-value { font-size: 1.6em; font-weight: 600; color: #1b5e20; }
.wb-kpi-hint { font-size: 0.75em; color: #757575; }
.wb-scroll { max-height: 460px; overflow: auto; border: 1px solid #eee; }
.wb-table { border-collapse: collapse; font-size: 0.85em; width: 100%; }
.wb-table th { position: sticky; top: 0; background: #eceff1; text-align: left; padding: 4px 8px; }
.wb-table td { padding: 3px 8px; border-top: 1px solid #eee; white-space: nowrap; }
.wb-table td:last-child { white-space: normal; }
.wb-error { background: #ffebee; border-left: 4px solid #c62828; padding: 8px 12px; margin: 6px 0; }
.wb-warn { background: #fff8e1; border-left: 4px solid #f9a825; padding: 8px 12px; margin: 6px 0; }
.wb-ok { background: #e8f5e9; border-left: 4px solid #2e7d32; padding: 8px 12px; margin: 6px 0; }
.wb-note { color: #616161; font-size: 0.85em; }
.wb-empty { color: #757575; font-style: italic; }
.wb-downloads a { display: inline-block; margin: 4px 10px 4px 0; padding: 6px 10px; border-radius: 4px;
                  background: #1565c0; color: white; text-decoration: none; }
</style>
"""


def message(kind: str, text: str) -> str:
    """A coloured note: ``kind`` is ``ok``, ``warn``, ``error`` or ``note``; ``text`` is HTML already."""
    return f'<div class="wb-{kind}">{text}</div>'


def problems_html(error: InputError, intro: str) -> str:
    """Every problem of an InputError as a readable table (file, row, column, what is wrong)."""
    rows = []
    for p in error.problems:
        what = p.message
        if p.value is not None:
            what += f" (found “{p.value}”" + (f"; expected {p.expected})" if p.expected else ")")
        elif p.expected:
            what += f" (expected {p.expected})"
        rows.append(
            {
                "file / sheet": p.file,
                "row": "" if p.row is None else p.row,
                "column": p.column or "",
                "what is wrong": what,
            }
        )
    table = views.table_html(pd.DataFrame(rows), "wb-problems", max_rows=200)
    return message(
        "error",
        f"<b>{html.escape(intro)}</b> {count(len(error.problems), 'problem')} found; "
        f"fix them in the spreadsheet and try again.{table}",
    )


def reasons_html(intro: str, reasons: Iterable[str], kind: str = "error") -> str:
    """A short list of sentences under a bold first line (a refused edit and why)."""
    items = "".join(f"<li>{html.escape(r)}</li>" for r in reasons)
    return message(kind, f'<b>{html.escape(intro)}</b><ul class="wb-reasons">{items}</ul>')


def warnings_html(warnings: tuple[str, ...] | list[Problem] | list[str]) -> str:
    """The things to know about loaded data (unknown columns, implausible values), folded."""
    if not warnings:
        return ""
    items = "".join(f"<li>{html.escape(str(x))}</li>" for x in warnings)
    return message(
        "warn",
        f"<details><summary>{count(len(warnings), 'thing')} to know about this data</summary>"
        f"<ul>{items}</ul></details>",
    )


def html_to_text(markup: str) -> str:
    """What a person reads in ``markup``: tags dropped, entities decoded, white space collapsed."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))).strip()


def figure_output(fig: Any) -> dict[str, Any]:
    """A display_data output with plotly's own mimetype: JupyterLab and Voilà render it with the
    plotly.js bundled in the jupyterlab-plotly extension, so no CDN is needed."""
    spec = json.loads(pio.to_json(fig, validate=False))
    spec.setdefault("config", {})["displaylogo"] = False
    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {"application/vnd.plotly.v1+json": spec, "text/plain": "<plotly figure>"},
    }


def data_link(filename: str, data: bytes, mime: str, label: str) -> str:
    """A download link carrying ``data`` itself (no server round trip, works in Voilà)."""
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<a download="{html.escape(filename)}" href="data:{mime};base64,{encoded}">'
        f"⬇ {html.escape(label)}</a>"
    )
