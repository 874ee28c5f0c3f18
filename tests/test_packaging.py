"""Packaging: pip and conda list the same dependencies; the extras split the optional parts off the
core; the wheel carries every package and every bundled dataset; import workbench stays light.

The wheel itself is built and installed into a fresh virtual environment by ``.ci/run``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# conda-forge names that differ from PyPI's
CONDA_NAMES = {"ortools": "ortools-python"}
# What only the extras bring; the core must work without any of it.
EXTRA_MODULES = ("plotly", "ipywidgets", "jupyterlab", "voila", "dask", "distributed", "papermill", "nbformat",
                 "tqdm", "lifelines", "ipykernel")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _extra(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The requirements of an extra with self-references (``workbench[planner]``) expanded."""
    out: set[str] = set()
    for req in PROJECT["project"]["optional-dependencies"][name]:
        if _name(req) == "workbench":
            for inner in re.search(r"\[(.*)\]", req).group(1).split(","):  # type: ignore[union-attr]
                if inner.strip() not in seen:
                    out |= _extra(inner.strip(), seen | {name})
        else:
            out.add(req)
    return out


def _names(requirements: set[str] | list[str]) -> set[str]:
    names = set()
    for req in requirements:
        names.add(CONDA_NAMES.get(_name(req), _name(req)))
        if "[distributed]" in req:
            names.add("distributed")
    return names


def _conda() -> set[str]:
    names = set()
    text = (ROOT / "environment.yml").read_text().split("\ndependencies:", 1)[1]
    for line in text.splitlines():
        m = re.match(r"^\s+- ([A-Za-z0-9_.-]+)", line)
        if m and m.group(1) not in ("python", "pip", "-e"):
            names.add(m.group(1).lower())
    return names


def test_environment_yml_and_pyproject_list_the_same_dependencies():
    """environment.yml (conda: everything) names exactly the core and every extra of pyproject.toml."""
    everything = set(PROJECT["project"]["dependencies"]) | _extra("dev")
    assert _names(everything) == _conda()


def test_extras_nest_as_documented():
    """[all] is [planner] and [research] together; [dev] is [all] plus the test tools; the core has no extra's part."""
    planner, research = _names(_extra("planner")), _names(_extra("research"))
    assert _names(_extra("all")) == planner | research
    assert _names(_extra("dev")) > planner | research
    assert {"ipywidgets", "voila", "jupyterlab"} <= planner and {"distributed", "papermill", "lifelines"} <= research
    core = _names(PROJECT["project"]["dependencies"])
    assert not core & {CONDA_NAMES.get(m, m) for m in EXTRA_MODULES}


def test_every_module_that_names_an_extra_is_in_it():
    """workbench.extras tells a user the extra that brings a missing module: that extra really lists it."""
    from workbench.extras import MODULE_EXTRAS

    pip_name = {"jupyterlab": "jupyterlab", "voila": "voila"}
    for module, extras in MODULE_EXTRAS.items():
        for extra in extras:
            assert pip_name.get(module, module) in _names(_extra(extra)) | {"distributed"}, (module, extra)


def test_every_package_is_listed_for_the_wheel():
    """Every folder of workbench/ with an __init__.py is in pyproject's package list (else the wheel lacks it)."""
    listed = set(PROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "workbench").rglob("__init__.py")}
    assert found <= listed, found - listed


def test_every_bundled_file_is_package_data():
    """The package-data patterns cover every file of datasets/, so the wheel carries every bundled dataset."""
    patterns = PROJECT["tool"]["setuptools"]["package-data"]["workbench.bundled"]
    assert PROJECT["tool"]["setuptools"]["package-dir"]["workbench.bundled"] == "datasets"
    files = [p.relative_to(ROOT / "datasets").as_posix() for p in (ROOT / "datasets").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.name != "__init__.py"]
    assert files
    missed = [f for f in files if not any(fnmatch(f, pat) and f.count("/") == pat.count("/") for pat in patterns)]
    assert not missed


def test_bundled_datasets_are_found_as_package_resources():
    """The datasets are found through importlib.resources, by name, and a name resolves where no path exists."""
    import importlib.resources

    import workbench

    assert {"demo", "demo.xlsx", "city-medium", "city-large"} <= set(workbench.datasets.names())
    demo = workbench.datasets.path("demo")
    assert demo == Path(str(importlib.resources.files("workbench.bundled") / "demo"))
    assert (demo / "scenario.toml").is_file()
    assert workbench.datasets.resolve("demo") == demo
    with pytest.raises(FileNotFoundError, match="no bundled dataset 'nope'"):
        workbench.datasets.path("nope")


def test_resolve_prefers_an_existing_path(tmp_path, monkeypatch):
    """A folder called 'demo' in the working directory wins over the bundled dataset of that name."""
    import workbench

    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").mkdir()
    assert workbench.datasets.resolve("demo") == Path("demo")
    assert workbench.datasets.resolve("no-such-thing") == Path("no-such-thing")


def test_import_workbench_does_not_import_ipywidgets():
    """The library stays usable without a notebook: only workbench.ui imports ipywidgets."""
    code = "import sys, workbench; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# Runs in a child process where every module of an extra is missing, as after `pip install workbench`.
_WITHOUT_EXTRAS = f"""
import importlib.abc, sys
class Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRA_MODULES!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Missing())
"""


def test_the_core_solves_checks_and_exports_without_any_extra(tmp_path):
    """Without the extras' packages, the core loads the demo by name, solves it, validates and exports it."""
    code = _WITHOUT_EXTRAS + f"""
import workbench
from workbench import cli
from workbench.export import export_all
scenario = workbench.load_dataset("demo")
result = workbench.solve(scenario, method="greedy", seed=0)
assert workbench.validate(scenario, result.schedule) == []
assert cli.main(["check", "demo"]) == 0
assert cli.main(["solve", "demo", "--out", {str(tmp_path / "out")!r}, "--method", "greedy"]) == 0
export_all(result.schedule, scenario, {str(tmp_path / "export")!r}, unassigned=result.unassigned)
print("ok", len(result.schedule))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("ok")
    assert (tmp_path / "out" / "schedule.csv").is_file() and any((tmp_path / "export").iterdir())


def test_a_command_that_needs_an_extra_says_which(tmp_path):
    """`workbench experiment` without the research extra exits 3 naming the extra to install, no traceback."""
    spec = tmp_path / "spec.toml"
    spec.write_text('seeds = [0]\nmethods = ["greedy"]\n[base]\ndataset = "demo"\n[variants.baseline]\n')
    code = _WITHOUT_EXTRAS + f"""
from workbench import cli
raise SystemExit(cli.main(["experiment", {str(spec)!r}, "--out", {str(tmp_path / "sweep")!r}]))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 3, proc.stderr
    assert "pip install 'workbench[research]'" in proc.stderr and "Traceback" not in proc.stderr


def test_console_script_is_declared():
    """pip installs a `workbench` command pointing at the CLI's entry module (outside the package), in the wheel."""
    assert PROJECT["project"]["scripts"]["workbench"] == "workbench_cli:main"
    assert "workbench_cli" in PROJECT["tool"]["setuptools"]["py-modules"]
