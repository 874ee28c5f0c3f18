"""The Export tab: downloads of the plan on screen, one volunteer's calendar and page, and saving
everything to a folder (asking before anything is overwritten)."""

from __future__ import annotations

import html
import io
import tempfile
import zipfile
from pathlib import Path

import ipywidgets as w

from .. import export
from ..words import count
from .messages import data_link, message
from .state import Run
from .tabs import ALL, set_options

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportPanel:
    """Builds the files of a run only when asked (the Export tab opened, a volunteer chosen, Save pressed):
    a workbook and calendars take a moment, and most solves are never exported."""

    def __init__(self, export_folder: str) -> None:
        self.run: Run | None = None
        self.stale = True
        self.downloads_html = w.HTML(message("note", "Solve first; the files of the plan on screen appear here."))
        self.ics_picker = w.Dropdown(options=[("nobody has a session", ALL)], description="Volunteer",
                                     layout=w.Layout(width="360px"))
        self.ics_picker.observe(lambda _: self.render_volunteer(), names="value")
        self.volunteer_links = w.HTML()
        self.folder = w.Text(value=export_folder, description="Folder", layout=w.Layout(width="420px"))
        self.save_button = w.Button(description="Save all files", icon="save")
        self.save_button.on_click(lambda _: self.save(self.folder.value))
        self.overwrite_button = w.Button(description="Yes, overwrite", button_style="danger",
                                         layout=w.Layout(display="none"))
        self.cancel_button = w.Button(description="Cancel", layout=w.Layout(display="none"))
        self.overwrite_button.on_click(lambda _: self.confirm_overwrite(True))
        self.cancel_button.on_click(lambda _: self.confirm_overwrite(False))
        self.message = w.HTML()
        self._pending: Path | None = None
        self.widget = w.VBox(
            [
                w.HTML("<b>Download</b>"),
                self.downloads_html,
                w.HTML("<b>One volunteer's calendar and page</b>"),
                self.ics_picker,
                self.volunteer_links,
                w.HTML("<b>Save everything to a folder</b> (schedule, workbook, a calendar and a page per volunteer)"),
                w.HBox([self.folder, self.save_button]),
                self.message,
                w.HBox([self.overwrite_button, self.cancel_button]),
            ]
        )

    def show(self, run: Run, volunteer_options: list[tuple[str, str]], visible: bool) -> None:
        """A new plan on screen: its files are made now if the tab is ``visible``, else when it is opened."""
        self.run = run
        self.stale = True
        set_options(self.ics_picker, volunteer_options or [("nobody has a session", ALL)])
        if visible:
            self.render()
        else:
            self.downloads_html.value = message("note", "The files are prepared when you open this tab.")
            self.volunteer_links.value = ""

    def clear(self) -> None:
        self.run = None
        self.stale = True
        self.downloads_html.value = message("note", "Solve first; the files of the plan on screen appear here.")
        set_options(self.ics_picker, [("nobody has a session", ALL)])
        self.volunteer_links.value = ""

    def opened(self) -> None:
        if self.stale:
            self.render()

    def render(self) -> None:
        run = self.run
        if run is None:
            return
        self.stale = False
        s, r = run.scenario, run.result
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in run.name)
        try:
            links = [
                data_link(f"{stem}-schedule.xlsx",
                          export.schedule_workbook_bytes(r.schedule, s.volunteers, s.citizens, s.requests,
                                                         r.unassigned),
                          XLSX_MIME, "Workbook (.xlsx)"),
                data_link(f"{stem}-schedule.csv",
                          export.schedule_csv_text(r.schedule, s.volunteers, s.citizens, s.requests).encode("utf-8"),
                          "text/csv", "schedule.csv"),
                data_link(f"{stem}-unassigned.csv", r.unassigned.to_csv(index=False).encode("utf-8"), "text/csv",
                          "unassigned.csv"),
                data_link(f"{stem}-everything.zip", self.everything_zip(run), "application/zip", "Everything (.zip)"),
            ]
            self.downloads_html.value = f'<div class="wb-downloads">{"".join(links)}</div>'
        except Exception as error:  # noqa: BLE001 - a failed export must not break the app
            self.downloads_html.value = message("error", f"Could not prepare the files: {html.escape(str(error))}")
        self.render_volunteer()

    @staticmethod
    def everything_zip(run: Run) -> bytes:
        """Every export of the run (export_all into a temporary folder), zipped for one download."""
        buffer = io.BytesIO()
        with tempfile.TemporaryDirectory(prefix="workbench-export-") as tmp:
            export.export_all(run.result.schedule, run.scenario, tmp, unassigned=run.result.unassigned)
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(Path(tmp).rglob("*")):
                    if path.is_file():
                        archive.write(path, path.relative_to(tmp).as_posix())
        return buffer.getvalue()

    def render_volunteer(self) -> None:
        run, vid = self.run, self.ics_picker.value
        if run is None or not vid or self.stale:
            self.volunteer_links.value = ""
            return
        s, r = run.scenario, run.result
        try:
            ics = export.volunteer_calendar_bytes(r.schedule, s.volunteers, s.citizens, s.requests, vid)
            page = export.volunteer_page_html(r.schedule, s.volunteers, s.citizens, s.requests, vid,
                                              start_date=s.settings.start_date)
        except Exception as error:  # noqa: BLE001 - a failed export must not break the app
            self.volunteer_links.value = message("error", f"Could not prepare the files: {html.escape(str(error))}")
            return
        stem = export.safe_filename(vid)
        self.volunteer_links.value = (
            '<div class="wb-downloads">'
            + data_link(f"{stem}.ics", ics, "text/calendar", "Calendar (.ics)")
            + data_link(f"{stem}.html", page.encode("utf-8"), "text/html", "Printable page (.html)")
            + "</div>"
        )

    def save(self, folder: str | Path, overwrite: bool = False) -> list[Path] | None:
        """Write every export of the plan on screen into ``folder``.

        When files exist and ``overwrite`` is false nothing is written: the panel asks for
        confirmation instead (the *Yes, overwrite* button) and None is returned.
        """
        run = self.run
        if run is None:
            self.message.value = message("error", "Solve first: there is no plan to export.")
            return None
        target = Path(folder).expanduser()
        try:
            paths = export.export_all(run.result.schedule, run.scenario, target, unassigned=run.result.unassigned,
                                      overwrite=overwrite)
        except export.OverwriteRefused:
            self._pending = target
            self.message.value = message("warn", f"{html.escape(str(target))} already holds exported files. "
                                                 "Replace them?")
            self.overwrite_button.layout.display = None
            self.cancel_button.layout.display = None
            return None
        except Exception as error:  # noqa: BLE001 - e.g. a folder without write permission
            self.message.value = message("error", f"Could not save: {html.escape(str(error))}")
            return None
        self._hide_confirm()
        self.message.value = message("ok", f"Saved {count(len(paths), 'file')} in {html.escape(str(target))}.")
        return paths

    def confirm_overwrite(self, yes: bool) -> None:
        target, self._pending = self._pending, None
        self._hide_confirm()
        if yes and target is not None:
            self.save(target, overwrite=True)
        else:
            self.message.value = message("note", "Nothing was saved.")

    def _hide_confirm(self) -> None:
        self.overwrite_button.layout.display = "none"
        self.cancel_button.layout.display = "none"
