"""Notebook 00's warm-up check names the usual wrong answers (run from the notebook's own cell)."""

import json
from pathlib import Path

import pytest
import torch

from vaelib.checks import check_function

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "00_start_here.ipynb"


def _check_cell() -> str:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return next("".join(c["source"]) for c in cells if c["cell_type"] == "code"
                and "check_function(to_unit_interval," in "".join(c["source"]))


@pytest.mark.parametrize("answer, expected", [
    (lambda p: p.float() / 255, "✓ `to_unit_interval` is correct"),
    (lambda p: (p.float() - p.min()) / (p.max() - p.min()), "min-max scaling"),
    (lambda p: p.float() / p.max(), "divides by the largest value in the image"),
    (lambda p: p / 256, "divide by 255"),
])
def test_the_warm_up_check_names_each_mistake(capsys, answer, expected):
    exec(_check_cell(), {"torch": torch, "check_function": check_function,
                         "to_unit_interval": answer})
    assert expected in capsys.readouterr().out
