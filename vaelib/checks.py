"""Exercise checks: run a student's function against a trusted reference and say what is wrong.

A check never raises: an unfinished exercise (``raise NotImplementedError``) prints a
reminder, so "Run All" still reaches the end of the notebook. Each check returns
True when every case passes.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch

from . import losses

__all__ = ["check_function", "check_reparameterize", "check_gaussian_kl", "check_elbo"]


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


def _compare(got: Any, want: Any, atol: float, rtol: float) -> str | None:
    """None if got matches want, else a sentence saying how it differs."""
    if isinstance(want, tuple):
        if not isinstance(got, tuple) or len(got) != len(want):
            return f"expected a tuple of {len(want)} values, got {_describe(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            problem = _compare(g, w, atol, rtol)
            if problem:
                return f"part {i} of the result: {problem}"
        return None
    if not isinstance(got, torch.Tensor):
        return f"expected a tensor, got {_describe(got)}"
    if got.shape != want.shape:
        return f"expected shape {tuple(want.shape)}, got {tuple(got.shape)}"
    if not torch.isfinite(got).all():
        return "the result contains NaN or infinite values"
    if not torch.allclose(got.double(), want.double(), atol=atol, rtol=rtol):
        i = (got.double() - want.double()).abs().argmax()
        return (f"values differ: at flat index {int(i)} expected "
                f"{want.flatten()[i].item():.5g}, got {got.flatten()[i].item():.5g}")
    return None


def check_function(student: Callable, reference: Callable, cases: Sequence[tuple], *,
                   name: str, hint: str = "", atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """Call ``student(*args)`` and ``reference(*args)`` for every args tuple in ``cases``.

    Prints one line per problem found (with the hint) or a single success line.
    """
    for n, args in enumerate(cases, 1):
        try:
            got = student(*args)
        except NotImplementedError:
            print(f"Not done yet: fill in `{name}` above, run its cell, then run this cell again.")
            return False
        except Exception as err:  # a student's bug: report it, do not stop the notebook
            print(f"✗ `{name}` raised {type(err).__name__}: {err}")
            if hint:
                print(f"  Hint: {hint}")
            return False
        with torch.no_grad():
            want = reference(*args)
        problem = _compare(got, want, atol, rtol)
        if problem:
            print(f"✗ `{name}`, case {n} of {len(cases)}: {problem}.")
            if hint:
                print(f"  Hint: {hint}")
            return False
    print(f"✓ `{name}` is correct ({len(cases)} cases checked).")
    return True


def _cases(shapes, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(s, generator=g), torch.randn(s, generator=g)) for s in shapes]


def check_reparameterize(student: Callable) -> bool:
    """``student(mu, logvar, eps)`` must return mu + eps * exp(logvar / 2)."""
    g = torch.Generator().manual_seed(1)
    cases = [(mu, logvar, torch.randn(mu.shape, generator=g))
             for mu, logvar in _cases([(4, 2), (3, 5), (1, 1)])]
    return check_function(
        student, lambda mu, logvar, eps: losses.reparameterize(mu, logvar, eps), cases,
        name="reparameterize",
        hint="sigma = exp(logvar / 2), not exp(logvar) and not logvar / 2; z = mu + eps * sigma.")


def check_gaussian_kl(student: Callable) -> bool:
    """``student(mu, logvar)`` must return KL(N(mu, sigma^2) || N(0, I)) per sample, shape [B]."""
    return check_function(
        student, losses.gaussian_kl, _cases([(5, 2), (3, 7), (1, 1)]), name="gaussian_kl",
        hint="1/2 * (mu^2 + exp(logvar) - logvar - 1), summed over the last dimension only "
             "(one value per sample, no mean over the batch).")


def check_elbo(student: Callable) -> bool:
    """``student(x, logits, mu, logvar)`` must return the per-sample ELBO, shape [B]."""
    g = torch.Generator().manual_seed(2)
    cases = []
    for b, d in [(4, 2), (2, 5)]:
        x = torch.rand(b, 1, 28, 28, generator=g)
        logits = torch.randn(b, 1, 28, 28, generator=g)
        mu, logvar = torch.randn(b, d, generator=g), torch.randn(b, d, generator=g)
        cases.append((x, logits, mu, logvar))
    return check_function(
        student, lambda *a: losses.elbo(*a).elbo, cases, name="elbo", atol=1e-3,
        hint="ELBO = -(reconstruction + KL) per image: binary cross-entropy from logits "
             "summed over the 784 pixels, plus the KL summed over latent dimensions.")
