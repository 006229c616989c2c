"""Notebook 05: the student's ELBO (its solution cell) is vaelib's, and the exercise check rejects
a `predict_shares` that ignores or inverts `scale`."""

from pathlib import Path

import nbformat
import torch

from vaelib import checks, losses

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_vae.ipynb"


def _source(start: str) -> str:
    cells = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells
             if c.cell_type == "code" and c.source.startswith(start)]
    assert len(cells) == 1, start
    return cells[0].source


def test_the_solution_elbo_agrees_with_vaelib(capsys):
    ns = {"checks": checks, "torch": torch}
    exec(_source("# Solution\nimport torch.nn.functional as F"), ns)
    assert "✓" in capsys.readouterr().out
    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, 1, 28, 28, generator=g)
    logits = 3 * torch.randn(6, 1, 28, 28, generator=g)
    mu, logvar = torch.randn(6, 16, generator=g), torch.randn(6, 16, generator=g)
    torch.testing.assert_close(ns["vae_elbo_solution"](x, logits, mu, logvar),
                               losses.elbo(x, logits, mu, logvar).elbo)


def test_the_training_loop_is_short_and_uses_the_picked_elbo():
    source = _source("torch.manual_seed(seed(0))\nmodel = VAE(")
    assert "elbo_fn(" in source and "backward()" in source
    assert len(source.splitlines()) <= 15


def _exercise_namespace(gen) -> dict:
    mu = torch.randn(200, 2, generator=gen) * 1.4

    class Encoder:
        def encode(self, x):
            return mu[: len(x)], torch.zeros(len(x), 2)

    from types import SimpleNamespace
    ns = {"torch": torch, "vae2": Encoder(), "x_train": torch.zeros(200, 1, 28, 28),
          "train": SimpleNamespace(labels=torch.arange(200) % 10), "m2": torch.tensor([1.9, 1.7]),
          "eps_draws": {"2-D": torch.randn(100, 2, generator=gen, dtype=torch.float64)}}
    for start in ["def check_predict_shares", "# Solution\ndef predict_shares_solution"]:
        exec(_source(start).split("\n\ncheck_predict_shares(")[0], ns)
    return ns


def test_predict_shares_check_rejects_a_function_that_ignores_or_inverts_scale(gen, capsys):
    ns = _exercise_namespace(gen)
    solution = ns["predict_shares_solution"]

    def ignores(mu, labels, eps, scale):
        return solution(mu, labels, eps, torch.ones(2))

    def inverts(mu, labels, eps, scale):
        return solution(mu, labels, eps, 1 / scale)

    ns["check_predict_shares"](ignores, ns["m2"].sqrt())
    out = capsys.readouterr().out
    assert "`scale` is ignored" in out and "✓ `predict_shares`" not in out
    ns["check_predict_shares"](inverts, ns["m2"].sqrt())
    out = capsys.readouterr().out
    assert "do not divide" in out and "✓ `predict_shares`" not in out
    ns["check_predict_shares"](solution, [round(v, 2) for v in ns["m2"].sqrt().tolist()])
    out = capsys.readouterr().out
    assert out.count("✓") == 2 and "nearest centre, N(0, diag m)" in out
