"""The shape of each notebook as a lesson: main-path words, long main-path code cells, and
whether it opens with "In one minute" and ends its main path with "What to remember".

The main path is every cell outside the "Going deeper: ..." sections (see CONTRIBUTING.md).
Words are counted in its markdown cells, a piece of inline or display math ($...$) counting
as one word. Main-path code cells are the code cells a student reads along the story: not
under Going deeper, not skipped in the slideshow, not evidence (tag ``evidence``) and not
a collapsed solution (tag ``solution``).

    python tools/lesson_shape.py            # a table for every notebook
    python tools/lesson_shape.py notebooks/03_reparameterization.ipynb
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

WORDS_TARGET, WORDS_LIMIT = 1500, 2000   # main-path prose per notebook
CODE_LINES = 15                          # lines of a main-path code cell
HEADING = re.compile(r"^(#+)\s+(.*)")
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _source(cell) -> str:
    return "".join(cell.get("source", ""))


def main_path(cells) -> list[dict]:
    """The cells outside every "Going deeper" section, in order."""
    deep, kept = None, []
    for c in cells:
        if c.get("cell_type") == "markdown":
            for line in _source(c).splitlines():
                m = HEADING.match(line)
                if not m:
                    continue
                level = len(m.group(1))
                if m.group(2).lower().startswith("going deeper"):
                    deep = level if deep is None else min(deep, level)
                elif deep is not None and level <= deep:
                    deep = None
        if deep is None:
            kept.append(c)
    return kept


def words(text: str) -> int:
    text = re.sub(r"\$\$.*?\$\$", " x ", text, flags=re.S)
    return len(re.sub(r"\$[^$]*\$", " x ", text).split())


def shape(path) -> dict:
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    main = main_path(cells)
    prose = sum(words(_source(c)) for c in main if c.get("cell_type") == "markdown")
    long_cells = []
    for i, c in enumerate(cells):
        meta = c.get("metadata", {})
        tags = set(meta.get("tags", []))
        if (c.get("cell_type") == "code" and any(c is m for m in main)
                and meta.get("slideshow", {}).get("slide_type") != "skip"
                and not tags & {"evidence", "solution"}):
            n = len(_source(c).rstrip().splitlines())
            if n > CODE_LINES:
                long_cells.append((i, n))
    headings = [HEADING.match(line).group(2).strip().lower()
                for c in main if c.get("cell_type") == "markdown"
                for line in _source(c).splitlines() if HEADING.match(line)]
    first = next((_source(c) for c in cells if c.get("cell_type") == "markdown"), "")
    return {"words": prose, "long_code_cells": long_cells,
            "in_one_minute": "in one minute" in first.lower(),
            "what_to_remember": any(h.startswith("what to remember") for h in headings)}


def problems(path) -> list[str]:
    """What keeps a notebook from the lesson shape; [] when it has it."""
    s, out = shape(path), []
    if s["words"] > WORDS_LIMIT:
        out.append(f"{s['words']} words of main-path prose (at most {WORDS_LIMIT}, "
                   f"target about {WORDS_TARGET})")
    if s["long_code_cells"]:
        out.append(f"main-path code cells over {CODE_LINES} lines (cell, lines): "
                   f"{s['long_code_cells']}")
    if not s["in_one_minute"]:
        out.append('no "In one minute" in the first markdown cell')
    if not s["what_to_remember"]:
        out.append('no "What to remember" heading on the main path')
    return out


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for p in paths:
        s = shape(p)
        issues = problems(p)
        print(f"{p.name:32s} {s['words']:5d} words  long code cells {len(s['long_code_cells']):2d}"
              f"  one minute {'yes' if s['in_one_minute'] else 'no ':3s}"
              f"  remember {'yes' if s['what_to_remember'] else 'no ':3s}"
              f"  {'lesson shape' if not issues else '; '.join(issues)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
