import math

import numpy as np
import pytest
import torch

from vaelib.claims import FAIL, PASS, Claim, claim


def _one_line(capsys) -> str:
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 1, f"a claim prints exactly one line, got {lines}"
    return lines[0]


def test_a_claim_that_holds_prints_a_tick_with_its_numbers(capsys):
    result = claim("the VAE's samples lie nearer the data", 0.41 < 0.63, "median 0.41 vs 0.63")
    line = _one_line(capsys)
    assert line == "\u2713 the VAE's samples lie nearer the data (median 0.41 vs 0.63)"
    assert line.startswith(PASS) and isinstance(result, Claim) and result


def test_a_claim_that_fails_says_the_data_disagree_and_what_was_measured(capsys):
    result = claim("the gap is larger on test images", 1.2 > 3.4, "1.2 vs 3.4 nats")
    line = _one_line(capsys)
    assert line.startswith(FAIL) and not result
    assert "On this run the data disagree with the text" in line
    assert '"the gap is larger on test images"' in line and "1.2 vs 3.4 nats" in line


@pytest.mark.parametrize("holds, expected", [
    (torch.tensor(True), True), (torch.tensor([0.5]) > 0, True), (np.bool_(False), False),
    (np.float64(2.0) > 1, True), (1, True), (0, False), (math.nan > 0, False),
])
def test_scalars_of_every_kind(holds, expected, capsys):
    assert bool(claim("x", holds)) is expected
    assert _one_line(capsys).startswith(PASS if expected else FAIL)


@pytest.mark.parametrize("holds", [torch.tensor([True, False]), np.array([1, 1]), torch.ones(0)])
def test_a_condition_with_several_values_fails_without_raising(holds, capsys):
    assert not claim("all of them", holds, "d")
    line = _one_line(capsys)
    assert line.startswith(FAIL) and "values, not one" in line


def test_a_condition_that_cannot_be_evaluated_fails_without_raising(capsys):
    class Weird:
        def __bool__(self):
            raise RuntimeError("no truth here")

    assert not claim("weird", Weird())
    line = _one_line(capsys)
    assert line.startswith(FAIL) and "could not be evaluated" in line and "no truth here" in line


def test_multiline_text_and_detail_stay_on_one_line(capsys):
    claim("a sentence\nwrapped  over lines", False, "first\nsecond")
    line = _one_line(capsys)
    assert "a sentence wrapped over lines" in line and "first second" in line


def test_without_details_the_failure_still_says_so(capsys):
    claim("x", False)
    assert "no numbers given" in _one_line(capsys)


def test_the_result_shows_nothing_in_a_notebook():
    from IPython.core.interactiveshell import InteractiveShell

    result = claim("x", True)
    assert hasattr(result, "_ipython_display_") and result._ipython_display_() is None
    assert InteractiveShell  # IPython is present: the display hook uses _ipython_display_


# --- Evidence folded: what a notebook cell shows --------------------------------------------

def _run_cells(*sources):
    """Execute the cells in a real kernel; return the notebook with its outputs."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    return nb


@pytest.fixture(scope="module")
def folded():
    return _run_cells(
        "from vaelib.claims import claim\n"
        "claim('first', True, '1 vs 2')\nprint('between')\nclaim('second', 2 > 1, 'two')\n"
        "claim('third', 1.0 < 2.0)",
        "claim('this one fails', 3 < 1, '3 vs 1')\nclaim('this one holds', True)",
        "x = 1  # no claims here",
        "claim('alone', True, 'n = 1')\nraise ValueError('after the claim')",
    )


def _evidence(cell):
    shown = [o for o in cell.outputs if o.output_type == "display_data"
             and "text/html" in o.get("data", {})]
    assert len(shown) <= 1, "one folded evidence output per cell"
    return shown[0] if shown else None


def test_a_cell_shows_its_claims_as_one_folded_line(folded):
    cell = folded.cells[0]
    streams = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert streams == "between\n", "no claim line is printed as plain output"
    out = _evidence(cell)
    html_text, plain = out.data["text/html"], out.data["text/plain"]
    assert html_text.startswith('<details class="vaelib-evidence" ') and " open" not in \
        html_text.split(">")[0], "a passing cell's evidence is closed"
    assert "<summary" in html_text and "3 checks agree with the text above" in html_text
    for line in ("\u2713 first (1 vs 2)", "\u2713 second (two)", "\u2713 third"):
        assert line in plain and line in html_text
    assert plain.splitlines()[0] == "\u2713 3 checks agree with the text above"


def test_a_failing_check_is_open_and_marked(folded):
    out = _evidence(folded.cells[1])
    html_text, plain = out.data["text/html"], out.data["text/plain"]
    assert html_text.split(">")[0].endswith(" open") or " open " in html_text.split(">")[0]
    assert plain.splitlines()[0] == "\u2717 1 of 2 checks disagrees with the text above"
    fails = [line.strip() for line in plain.splitlines()[1:]
             if line.strip().startswith(FAIL.strip())]
    assert len(fails) == 1 and "this one fails" in fails[0] and "3 vs 1" in fails[0]
    assert "\u2713 this one holds" in plain


def test_no_evidence_without_claims_and_claims_survive_an_error(folded):
    assert _evidence(folded.cells[2]) is None
    cell = folded.cells[3]
    assert any(o.output_type == "error" for o in cell.outputs)
    assert "\u2713 the check agrees with the text above" in _evidence(cell).data["text/plain"]


def test_the_evidence_escapes_html():
    from vaelib.claims import Evidence

    ev = Evidence([Claim("a < b & c", True, "\u2713 a < b & c")])
    assert "a &lt; b &amp; c" in ev._repr_html_() and "<b" not in ev._repr_html_().split("<ul")[1]


def test_static_html_and_text_exports_carry_the_evidence(folded):
    """A web page built from the notebook folds the evidence; a text export keeps every line."""
    from nbconvert import HTMLExporter, MarkdownExporter

    page, _ = HTMLExporter().from_notebook_node(folded)
    assert page.count('<details class="vaelib-evidence"') == 3
    assert "<summary" in page and "&lt;details" not in page, "the evidence is HTML, not text"
    text, _ = MarkdownExporter(exclude_output=False).from_notebook_node(folded)
    for line in ("\u2713 first (1 vs 2)", "\u2713 second (two)", "this one fails"):
        assert line in text
