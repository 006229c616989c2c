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
