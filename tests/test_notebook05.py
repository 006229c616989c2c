"""Notebook 05: the student's ELBO (its solution cell) is vaelib's, the training loop is short,
and the exercise check (digit shares before and after matching the scale) names the usual
mistakes, including a `predict_shares` that ignores or inverts `scale`, and accepts the solution."""

from functools import partial
from types import SimpleNamespace

import torch
from notebook_cells import code_cell

from vaelib import checks, losses

_source = partial(code_cell, "05_vae.ipynb")


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


def test_predict_shares_check_rejects_a_function_that_ignores_or_inverts_scale(gen, capsys):
    ns = _namespace(gen)
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
