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


def test_the_map_of_00_links_every_notebook_and_names_what_the_student_writes():
    source = "".join(_cells(NOTEBOOKS[0])[1]["source"])
    rows = [r for r in source.splitlines() if r.startswith("| [")]
    assert [re.search(r"\]\(([^)]+)\)", r)[1] for r in rows] == [p.name for p in NOTEBOOKS[1:]]
    assert all(r.count("|") == 5 and r.rstrip(" |").split("|")[-1].strip() for r in rows), \
        "every row of the map says what the student writes in that notebook"


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
    for heading in ("(Summary|What to remember)", "References"):
        assert re.search(rf"^#+ .*{heading}", markdown, re.M), f"{path.name}: no {heading}"
    solutions = [c for c in cells if "solution" in c.get("metadata", {}).get("tags", [])]
    assert solutions, f"{path.name}: no exercise solution cell"
    assert all(c["metadata"].get("jupyter", {}).get("source_hidden") for c in solutions), \
        f"{path.name}: solutions must be collapsed"
    assert all(c["metadata"].get("slideshow", {}).get("slide_type") == "skip" for c in solutions), \
        f"{path.name}: solutions stay off the slides (slide type skip)"
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


# --- Evidence folded (vaelib.claims): claims live in hidden notes cells ----------------------

def _source(cell) -> str:
    return "".join(cell.get("source", ""))


def _calls_claim(cell) -> bool:
    return (cell["cell_type"] == "code"
            and re.search(r"(^|[^\w.])claim\(", _source(cell)) is not None)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_claims_are_folded_evidence_off_the_slides(path):
    for i, c in enumerate(_cells(path)):
        if not _calls_claim(c):
            continue
        meta = c.get("metadata", {})
        where = f"{path.name}: code cell {i}"
        assert meta.get("slideshow", {}).get("slide_type") in ("notes", "skip"), \
            f"{where} checks claims, so it belongs in the speaker notes (slide_type 'notes')"
        assert meta.get("jupyter", {}).get("source_hidden"), f"{where}: hide the claim code"
        assert "evidence" in meta.get("tags", []), f"{where}: tag the cell 'evidence'"
        assert "print(" not in _source(c), f"{where}: a claim cell prints nothing of its own"
        outs = c.get("outputs", [])
        assert not [o for o in outs if o["output_type"] == "stream"], \
            f"{where}: a claim line printed as plain output (run it in a kernel, not a script)"
        folded = [o for o in outs if o["output_type"] == "display_data"
                  and "".join(o["data"].get("text/html", "")).startswith(
                      '<details class="vaelib-evidence"')]
        assert len(folded) == 1, f"{where}: expected one folded evidence output, got {len(folded)}"


def test_no_claim_line_is_printed_in_view():
    """No stream output starts with a claim mark (exercise check cells, which call a
    vaelib.checks.check_* function, print their own verdicts and are not claims)."""
    seen = []
    for path in NOTEBOOKS:
        for i, c in enumerate(_cells(path)):
            if re.search(r"\bcheck_\w+\(", _source(c)):
                continue
            for o in c.get("outputs", []):
                if o["output_type"] == "stream":
                    seen += [f"{path.name} cell {i}: {line[:60]}"
                             for line in "".join(o["text"]).splitlines()
                             if line.strip().startswith(("\u2713 ", "\u2717 "))
                             and "is correct (" not in line]
    assert not seen, "claim lines in plain view:\n" + "\n".join(seen)


# --- Going deeper: optional sections at the end of a notebook ----------------------------------

GOING_DEEPER = re.compile(r"^(#+)\s+Going deeper:\s*(\S.*)$")
HEADING = re.compile(r"^(#+)\s+(.*)$")


def sections(path):
    """[(level, title, going_deeper, [cells])] for the notebook's markdown headings."""
    out = []
    for c in _cells(path):
        first = _source(c).lstrip().splitlines()[0] if _source(c).strip() else ""
        m = HEADING.match(first) if c["cell_type"] == "markdown" else None
        if m:
            deep = GOING_DEEPER.match(first) is not None
            out.append([len(m.group(1)), m.group(2).strip(), deep, [c]])
        elif out:
            out[-1][3].append(c)
    return out


def going_deeper(path):
    """The Going deeper sections with every cell under them (down to the next heading of
    the same or a higher level): [(title, heading cell, [cells])]."""
    secs, found = sections(path), []
    for k, (level, title, deep, cells) in enumerate(secs):
        if not deep:
            continue
        body = list(cells)
        for lv, _, _, more in secs[k + 1:]:
            if lv <= level:
                break
            body += more
        found.append((title, cells[0], body))
    return found


def test_some_notebook_goes_deeper():
    assert any(going_deeper(p) for p in NOTEBOOKS), "no notebook has a 'Going deeper:' section"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_going_deeper_is_collapsed_skipped_and_at_the_end(path):
    secs = sections(path)
    deep_levels = [lv for lv, _, deep, _ in secs if deep]
    if not deep_levels:
        return
    level = min(deep_levels)
    first = next(k for k, s in enumerate(secs) if s[2])
    for lv, title, deep, _ in secs[first:]:
        assert lv > level or deep or title == "References", (
            f"{path.name}: '{title}' follows a Going deeper section; the main path comes first, "
            "then 'Going deeper: ...' sections, then References")
    for title, heading, body in going_deeper(path):
        assert heading["metadata"].get("jp-MarkdownHeadingCollapsed") is True, \
            f"{path.name}: save 'Going deeper: {title}' collapsed (jp-MarkdownHeadingCollapsed)"
        for c in body:
            kind = c["metadata"].get("slideshow", {}).get("slide_type")
            assert kind in ("skip", "notes"), \
                f"{path.name}: a cell under 'Going deeper: {title}' is on a slide ({kind})"


def test_no_main_path_needs_a_going_deeper_section():
    """A later notebook's main path never points into an earlier notebook's Going deeper."""
    for k, path in enumerate(NOTEBOOKS):
        for title, _, _ in going_deeper(path):
            for later in NOTEBOOKS[k + 1:]:
                deep_cells = {id(c) for _, _, body in going_deeper(later) for c in body}
                for c in _cells(later):
                    if id(c) not in deep_cells and c["cell_type"] == "markdown":
                        assert title.lower() not in _source(c).lower(), (
                            f"{later.name}'s main path refers to '{title}' of {path.name}, "
                            "which is optional")
