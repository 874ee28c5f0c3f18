"""Reading what a planner uploads: an Excel workbook, or a zip of the scenario's CSV files."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from ..errors import InputError, Problem
from ..scenario.read import load
from ..scenario.types import Scenario


def scenario_from_upload(filename: str, data: bytes) -> Scenario:
    """Load an uploaded ``.xlsx`` workbook or ``.zip`` of CSV files with :func:`workbench.load`.

    The zip may hold the files at its top or inside one folder, or hold one workbook.
    Raises :class:`InputError` (with every problem) for invalid content, and for a file
    that is neither kind.
    """
    name = Path(filename).name or "upload"
    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="workbench-upload-") as tmp:
        root = Path(tmp)
        if suffix in (".xlsx", ".xlsm"):
            target = root / name
            target.write_bytes(data)
            return load(target)
        if suffix != ".zip":
            raise InputError(
                [Problem(name, "is neither an Excel workbook (.xlsx) nor a zip of CSV files (.zip)")]
            )
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise InputError([Problem(name, "is not a readable zip file")]) from None
        folder = root / Path(name).stem  # the folder's name becomes the scenario's default name
        folder.mkdir()
        with archive:
            for member in archive.infolist():
                parts = Path(member.filename).parts
                if member.is_dir() or not parts or "__MACOSX" in parts or parts[-1].startswith("."):
                    continue
                target = (folder / member.filename).resolve()
                if not target.is_relative_to(folder.resolve()):  # a crafted zip must not write elsewhere
                    raise InputError([Problem(name, f"holds an unsafe path {member.filename!r}")])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))
        tomls = sorted(folder.rglob("scenario.toml"))
        if len(tomls) == 1:
            return load(tomls[0].parent)
        books = sorted(folder.rglob("*.xlsx"))
        if not tomls and len(books) == 1:
            return load(books[0])
        if len(tomls) > 1:
            raise InputError(
                [Problem(name, "holds several scenarios (scenario.toml files); upload one at a time")]
            )
        return load(folder)  # reports every missing file
