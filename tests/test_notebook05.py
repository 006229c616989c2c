"""Notebook 05's exercise check (digit shares before and after matching the scale) names the
usual mistakes, and accepts the solution cell."""

from pathlib import Path
from types import SimpleNamespace

import nbformat
import torch

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_vae.ipynb"


def _source(start: str) -> str:
    cells = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells
             if c.cell_type == "code" and c.source.startswith(start)]
    assert len(cells) == 1, start
    return cells[0].source


def _namespace(gen) -> dict:
    """The check's definition, run on a small stand-in for the notebook's models and data."""
    mu = torch.randn(200, 2, generator=gen) * 1.4                  # training centres [200, 2]
    labels = torch.arange(200) % 10                                # [200]

    class Encoder:
        def encode(self, x):
            return mu[: len(x)], torch.zeros(len(x), 2)

    counts = torch.full((10,), 10)
    ns = {"torch": torch, "vae2": Encoder(), "x_train": torch.zeros(200, 1, 28, 28),
          "train": SimpleNamespace(labels=labels), "m2": torch.tensor([1.9, 1.7]),
          "eps_draws": {"2-D": torch.randn(100, 2, generator=gen, dtype=torch.float64)},
          "judged": {"2-D VAE, z ~ N(0, I)": {"counts": counts},
                     "2-D VAE, z ~ N(0, diag m)": {"counts": counts}}}
    for start in ["def check_predict_shares", "# Solution\ndef predict_shares_solution"]:
        exec(_source(start).split("\n\ncheck_predict_shares(")[0], ns)   # the definitions only
    return ns


def _run(ns, fn, scale, capsys) -> str:
    ns["check_predict_shares"](fn, scale)
    return capsys.readouterr().out


def test_solution_passes_and_prints_the_table(gen, capsys):
    ns = _namespace(gen)
    out = _run(ns, ns["predict_shares_solution"], ns["m2"].sqrt(), capsys)
    assert out.count("✓") == 2 and "Not yet" not in out and "nearest centre, N(0, diag m)" in out


def test_typical_mistakes_get_their_own_hint(gen, capsys):
    ns = _namespace(gen)
    solution, m2 = ns["predict_shares_solution"], ns["m2"]

    def raises(mu, labels, eps, scale):
        raise NotImplementedError

    def counts(mu, labels, eps, scale):
        return solution(mu, labels, eps, scale) * len(eps)

    def no_minlength(mu, labels, eps, scale):
        return solution(mu, labels, eps, scale)[:9]

    def unscaled(mu, labels, eps, scale):
        return solution(mu, labels, eps * 3, scale)

    assert "Not done yet" in _run(ns, raises, None, capsys)
    assert "these are counts" in _run(ns, counts, m2.sqrt(), capsys)
    assert "minlength=10" in _run(ns, no_minlength, m2.sqrt(), capsys)
    assert "differ from the nearest-centre" in _run(ns, unscaled, m2.sqrt(), capsys)
    assert "is a variance" in _run(ns, solution, m2, capsys)
    assert "rescale_latent" in _run(ns, solution, m2.rsqrt(), capsys)
    assert "prior N(0, I) itself" in _run(ns, solution, torch.ones(2), capsys)
    assert "Now set `matched_scale`" in _run(ns, solution, None, capsys)
    for out in [_run(ns, solution, m2, capsys), _run(ns, counts, m2.sqrt(), capsys)]:
        assert not any(line.startswith("✗") for line in out.splitlines())
