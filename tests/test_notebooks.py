"""Every saved notebook follows the course's rules (see CONTRIBUTING.md)."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_the_course_has_all_its_notebooks():
    names = [p.stem for p in NOTEBOOKS]
    assert names[0] == "00_start_here" and len(names) >= 9, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_slide_metadata_on_every_cell(path):
    cells = _cells(path)
    types = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in cells]
    assert all(t in SLIDE_TYPES for t in types), f"cells without slide metadata in {path.name}"
    assert types[0] == "slide" and types.count("slide") >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_executed_clean_and_small(path):
    assert path.stat().st_size < 3_000_000
    for i, c in enumerate(_cells(path)):
        if c["cell_type"] != "code" or not "".join(c["source"]).strip():
            continue
        assert c["execution_count"] is not None, f"{path.name}: code cell {i} not executed"
        tags = c.get("metadata", {}).get("tags", [])
        for out in c.get("outputs", []):
            assert out["output_type"] != "error" or "raises-exception" in tags, \
                f"{path.name}: code cell {i} saved with an error"
            text = json.dumps(out)
            assert not re.search(r"/(work|tmp|root|home)/[A-Za-z0-9_.-]+", text), \
                f"{path.name}: code cell {i} output shows an absolute path"
            assert "Error displaying widget" not in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_skeleton_goals_summary_exercises_references(path):
    cells = _cells(path)
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert markdown.lstrip().startswith("# ")
    for heading in ("Summary", "References"):
        assert re.search(rf"^#+ .*{heading}", markdown, re.M), f"{path.name}: no {heading}"
    solutions = [c for c in cells if "solution" in c.get("metadata", {}).get("tags", [])]
    assert solutions, f"{path.name}: no exercise solution cell"
    assert all(c["metadata"].get("jupyter", {}).get("source_hidden") for c in solutions), \
        f"{path.name}: solutions must be collapsed"
    pinned = [c for c in cells if "".join(c.get("source", "")).startswith("# NBVAL_CHECK_OUTPUT")]
    assert pinned, f"{path.name}: no output pinned with # NBVAL_CHECK_OUTPUT"


SLIDE_CODE_LINES = 30   # about what a RISE slide shows at 1280 x 720 with its default font


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_code_cell_runs_off_its_slide(path):
    # long drawing or plumbing code goes into vaelib or a cell skipped in the slideshow,
    # and the slide shows the call
    long = [(i, len("".join(c["source"]).splitlines())) for i, c in enumerate(_cells(path))
            if c["cell_type"] == "code"
            and c["metadata"].get("slideshow", {}).get("slide_type") != "skip"
            and len("".join(c["source"]).splitlines()) > SLIDE_CODE_LINES]
    assert not long, f"{path.name}: (cell, lines) over {SLIDE_CODE_LINES} lines on a slide: {long}"
