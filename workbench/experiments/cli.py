"""``workbench experiment SPEC.toml --out DIR [--workers N] [--scheduler ADDRESS]``.

Writes ``DIR/results.csv`` (one row per run), ``DIR/summary.csv`` (means with
95% intervals over seeds, each with the largest gap of its runs and a flag when
they stopped far from their bound) and ``DIR/figures/*.html``.

The main CLI (``workbench/cli.py``) calls :func:`add_parser` to register the
sub-command and :func:`run` to execute it. Exit codes: 0 every run succeeded,
1 some runs failed (each recorded with its error in ``results.csv``), 2 the
spec or the options are invalid (a message on stderr, no traceback),
130 interrupted (finished runs are kept; the same command resumes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``experiment`` on an ``argparse`` sub-parsers object; return its parser."""
    p = subparsers.add_parser(
        "experiment",
        help="run a sweep of scenarios × seeds × methods into one results table",
        description="Run every variant × seed × method of an experiment spec (TOML). Each finished run is "
        "stored in DIR/runs/ as it finishes; running the same command again resumes. The tidy "
        "table is DIR/results.csv, means with 95%% confidence intervals DIR/summary.csv, and the "
        "figures DIR/figures/*.html. A spec with a [simulate] table simulates the waiting list week by week.",
    )
    p.add_argument("spec", metavar="SPEC.toml", help="the experiment spec")
    p.add_argument(
        "--out", required=True, metavar="DIR", help="folder for runs and results (created; resumable)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="local worker processes (default: every core; 0 = run in this process)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on a dask.distributed cluster, e.g. tcp://10.0.0.5:8786, instead of local processes "
        "(workbench must be importable on the scheduler and on every worker)",
    )
    p.add_argument("--retry-failed", action="store_true", help="run again the runs stored as failed")
    p.add_argument("--no-figures", action="store_true", help="write the tables only")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
    return p


def _error(message: str) -> int:
    print(f"workbench experiment: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Execute the sub-command; return the exit code."""
    from .spec import SpecError, load_spec

    try:
        spec = load_spec(args.spec)
    except SpecError as e:
        return _error(str(e))
    if args.workers is not None and args.workers < 0:
        return _error(f"--workers: expected a number ≥ 0, got {args.workers}")
    if args.scheduler and args.workers is not None:
        return _error("--workers and --scheduler exclude each other (the cluster decides its workers)")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return _error(f"--out: {out} exists and is not a folder")

    client = None
    executor = None
    if args.scheduler:
        try:
            from distributed import Client

            client = Client(args.scheduler, timeout="10s")
        except Exception as e:  # noqa: BLE001 - unreachable address, bad URL, version mismatch
            return _error(f"--scheduler: cannot connect to {args.scheduler}: {e}")
        executor = client.get_executor(pure=False)

    from .run import run_experiment
    from .stats import format_ci, is_share, summarize

    budget = "greedy: deterministic"
    if "cpsat" in spec.methods:
        per = "per week" if spec.simulates else "per solve"
        budget = f"cpsat effort {spec.effort:g} {per} (reproducible)" if spec.effort is not None else ""
        if spec.time_limit is not None:
            budget += (", " if budget else "") + f"time limit {spec.time_limit:g} s {per} (depends on the machine)"
    kind = f"{spec.simulation['weeks']}-week simulations" if spec.simulates else "runs"
    print(
        f"{spec.name}: {len(spec)} {kind} ({len(spec.modifications)} variants × {len(spec.seeds)} seeds × "
        f"{len(spec.methods)} methods; {budget}) → {out}",
        file=sys.stderr,
    )
    try:
        table = run_experiment(
            spec,
            out,
            executor=executor,
            progress=not args.no_progress,
            workers=args.workers,
            retry_failed=args.retry_failed,
        )
    except KeyboardInterrupt:
        print(
            f"interrupted; finished runs are stored in {out / 'runs'}; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    except OSError as e:  # out folder not writable, disk full: say so, no traceback
        return _error(f"--out: cannot write results to {out}: {e}")
    finally:
        if client is not None:
            client.close()

    summary = summarize(table)
    from ..outputs import write_text

    write_text(out / "summary.csv", summary.to_csv(index=False, lineterminator="\n"))
    headline = "coverage"
    if spec.simulates:  # the longest horizon the simulation observed
        have = set(summary.loc[summary["n"] > 0, "metric"])
        headline = next((m for m in ("matched_within_12w", "matched_within_8w", "matched_within_4w") if m in have),
                        "mean_waiting")
    for _, row in summary[summary["metric"] == headline].iterrows():
        ci = format_ci(row["mean"], row["ci_low"], row["ci_high"], percent=is_share(headline))
        mark = f"  ⚠ gap up to {row['max_gap']:.1%}" if row["flag"] else ""
        print(f"{row['variant']:<40} {row['method']:<7} {headline} {ci}  (n={row['n']}){mark}")
    flagged = summary.loc[summary["flag"].astype(bool), ["variant", "method"]].drop_duplicates()
    if len(flagged):
        print(f"warning: {len(flagged)} variant/method group(s) have runs far from their proven bound; their "
              f"differences may be the search, not the change (see max_gap and flag in {out / 'summary.csv'}; "
              "give more effort)", file=sys.stderr)
    written = "" if args.no_figures else _write_figures(spec, table, out)
    print(f"results: {out / 'results.csv'}; summary: {out / 'summary.csv'}{written}")
    failed = int((table["status"] == "ERROR").sum())
    if failed:
        print(
            f"{failed} of {len(table)} runs failed; see the error column of {out / 'results.csv'}",
            file=sys.stderr,
        )
        return 1
    return 0


def _write_figures(spec: Any, table: Any, out: Path) -> str:
    """Write the experiment's standard figures into ``out/figures``; return a note for the final line."""
    from ..outputs import write_text
    from ..simulate.output import figure_files
    from . import plots
    from .run import load_series

    series = curves = None
    if spec.simulates:
        series, curves = load_series(out, spec)
    files = figure_files(plots.standard_figures(table, series, curves), "figures")
    for rel, text in files.items():
        write_text(out / rel, text)
    return f"; figures: {out / 'figures'}" if files else ""


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m workbench.experiments.cli SPEC.toml --out DIR``)."""
    parser = argparse.ArgumentParser(prog="workbench")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["experiment", *(sys.argv[1:] if argv is None else argv)])
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
