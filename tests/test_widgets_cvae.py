"""Notebook 06's widget, built from the notebook's own cells: pick a class or move eps, the
picture changes, and a redraw stays well under 0.1 s."""

import ast
import dataclasses
import statistics
from functools import partial

import pytest
from notebook_cells import code_cell

NOTEBOOK = "06_cvae.ipynb"
_source = partial(code_cell, NOTEBOOK)



def _run(source: str, ns: dict, keep=lambda node: True) -> None:
    """Run the top-level statements of a cell that ``keep`` accepts."""
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if keep(node)]
    exec(compile(tree, NOTEBOOK, "exec"), ns)


def _assigns(*names):
    return lambda node: isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id in names for t in node.targets)


@pytest.fixture(scope="module")
def cvae_widget(tmp_path_factory):
    """The notebook's widget over its two 2-D CVAEs, trained for a few steps only (same configs)."""
    ns: dict = {}
    _run(_source("import ipywidgets"), ns, lambda n: isinstance(n, (ast.Import, ast.ImportFrom)))
    _run(_source("cm_config = "), ns, _assigns("cm_config", "cvae_steps"))
    _run(_source("li_config = "), ns, _assigns("li_config"))
    train = ns["load_data"]("train")
    steps = dataclasses.replace(ns["cvae_steps"], steps=40)
    for name, config in [("class_mean_vae", ns["cm_config"]), ("label_vae", ns["li_config"])]:
        ns[name], _ = ns["train_or_load"](config, steps, train, progress=False,
                                          directory=tmp_path_factory.mktemp("checkpoints"))
    _run(_source("@torch.no_grad()\ndef generate"), ns, lambda n: isinstance(n, ast.FunctionDef))
    _run(_source("def draw_cvae"), ns)
    return ns["cvae_widget"]


def test_cvae_widget_redraws_when_the_class_or_the_style_changes(cvae_widget):
    w = cvae_widget
    assert w.values == {"digit": 9, "eps1": 0.0, "eps2": 0.0}
    before, count = w.image.value, w.draw_count
    w.controls["digit"].value = 4
    assert w.image.value != before and w.draw_count == count + 1
    after_digit = w.image.value
    w.controls["eps1"].value = 1.0
    assert w.image.value != after_digit
    after_eps1 = w.image.value
    w.set(digit=7, eps2=-1.5)
    assert w.image.value != after_eps1 and w.draw_count == count + 3


def test_cvae_widget_redraws_quickly(cvae_widget):
    times = []
    for digit in (4, 7, 1, 3, 9):
        cvae_widget.set(digit=digit, eps1=1.0)
        times.append(cvae_widget.last_draw_seconds)
    assert statistics.median(times) < 0.1, times
