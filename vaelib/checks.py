"""Exercise checks: run a student's function against a trusted reference and say what is wrong.

A check never raises: an unfinished exercise (``raise NotImplementedError``) prints a
reminder, so "Run All" still reaches the end of the notebook. Each check returns
True when every case passes.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch

from . import losses

__all__ = ["Verdict", "check_function", "check_reparameterize", "check_gaussian_kl", "check_elbo"]


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


class Verdict:
    """What a check returns: true when every case passed.

    It shows nothing when it ends a notebook cell (the check has printed its feedback),
    so a check cell needs no trailing ``;``.
    """

    def __init__(self, passed: bool):
        self.passed = bool(passed)

    def __bool__(self) -> Verdict:
        return self.passed

    def __eq__(self, other) -> Verdict:
        return self.passed == bool(other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"Verdict(passed={self.passed})"

    def _ipython_display_(self) -> None:
        """Display nothing: the feedback is already printed."""


def check_function(student: Callable, reference: Callable, cases: Sequence[tuple], *,
                   name: str, hint: str = "", atol: float = 1e-5, rtol: float = 1e-4,
                   mistakes: dict[str, Callable] | None = None) -> Verdict:
    """Call ``student(*args)`` and ``reference(*args)`` for every args tuple in ``cases``.

    Prints what is wrong with a hint, or a single success line. ``mistakes`` maps a
    specific hint to a function computing a known wrong answer from the same args: a
    student's answer equal to it gets that hint instead of the general one.
    """
    for n, args in enumerate(cases, 1):
        try:
            got = student(*args)
        except NotImplementedError:
            print(f"Not done yet: fill in `{name}` above, run its cell, then run this cell again.")
            return Verdict(False)
        except Exception as err:  # a student's bug: report it, do not stop the notebook
            print(f"✗ `{name}` raised {type(err).__name__}: {err}")
            if hint:
                print(f"  Hint: {hint}")
            return Verdict(False)
        with torch.no_grad():
            problem = _compare(got, reference(*args), atol, rtol)
            if problem is None:
                continue
            known = [h for h, wrong in (mistakes or {}).items()
                     if _compare(got, wrong(*args), atol, rtol) is None]
        print(f"✗ `{name}`, case {n} of {len(cases)}: {problem}.")
        if known or hint:
            print(f"  Hint: {known[0] if known else hint}")
        return Verdict(False)
    print(f"✓ `{name}` is correct ({len(cases)} cases checked).")
    return Verdict(True)


def _cases(shapes, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(s, generator=g), torch.randn(s, generator=g)) for s in shapes]


def check_reparameterize(student: Callable) -> Verdict:
    """``student(mu, logvar, eps)`` must return mu + eps * exp(logvar / 2)."""
    g = torch.Generator().manual_seed(1)
    cases = [(mu, logvar, torch.randn(mu.shape, generator=g))
             for mu, logvar in _cases([(4, 2), (3, 5), (1, 1)])]
    return check_function(
        student, lambda mu, logvar, eps: losses.reparameterize(mu, logvar, eps), cases,
        name="reparameterize",
        hint="sigma = exp(logvar / 2), not exp(logvar) and not logvar / 2; z = mu + eps * sigma.")


def check_gaussian_kl(student: Callable) -> Verdict:
    """``student(mu, logvar)`` must return KL(N(mu, sigma^2) || N(0, I)) per sample, shape [B]."""
    return check_function(
        student, losses.gaussian_kl, _cases([(5, 2), (3, 7), (1, 1)]), name="gaussian_kl",
        hint="1/2 * (mu^2 + exp(logvar) - logvar - 1), summed over the last dimension only "
             "(one value per sample, no mean over the batch).")


def check_elbo(student: Callable) -> Verdict:
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


# --- Notebooks 01 and 02: the autoencoder's loss and the code space -------------------------

def check_reconstruction_loss(student: Callable) -> Verdict:
    """``student(x, logits)`` must return ||x - sigmoid(logits)||^2 per image, shape [B]."""
    g = torch.Generator().manual_seed(3)
    cases = [(torch.rand(b, 1, 28, 28, generator=g), 3 * torch.randn(b, 1, 28, 28, generator=g))
             for b in (4, 1, 7)]

    def flat(t):
        return t.reshape(t.shape[0], -1)

    mistakes = {
        "you averaged over the 784 pixels: sum them instead (one squared distance per image).":
            lambda x, lg: (flat(x) - torch.sigmoid(flat(lg))).pow(2).mean(dim=1),
        "the decoder returns logits: compare x with torch.sigmoid(logits), not with the logits.":
            lambda x, lg: (flat(x) - flat(lg)).pow(2).sum(dim=1),
        "square the differences before summing (a squared distance, not a difference).":
            lambda x, lg: (flat(x) - torch.sigmoid(flat(lg))).sum(dim=1),
        "that is the distance itself; the loss is its square (no square root).":
            lambda x, lg: (flat(x) - torch.sigmoid(flat(lg))).norm(dim=1),
    }
    return check_function(
        student, lambda x, lg: losses.squared_error(lg, x), cases, mistakes=mistakes,
        name="reconstruction_loss",
        hint="flatten each image to 784 numbers, take (x - sigmoid(logits))**2 and sum over the "
             "pixels only: the result has one value per image, shape [B].")


def check_nearest_neighbour_distances(student: Callable) -> Verdict:
    """``student(z)``, z [N, 2], must return each code's distance to its nearest other code [N]."""
    from .geometry import nearest_neighbour_distances

    g = torch.Generator().manual_seed(4)
    cases = [(torch.randn(n, 2, generator=g),) for n in (5, 40, 2)]

    def with_self(z):
        return torch.zeros(len(z))

    def squared(z):
        return nearest_neighbour_distances(z).pow(2)

    mistakes = {
        "every code is its own nearest neighbour at distance 0: leave out the diagonal "
        "(e.g. add float('inf') to it) before taking the minimum.": with_self,
        "these are squared distances: take the square root (or use torch.cdist).": squared,
    }
    return check_function(
        student, nearest_neighbour_distances, cases, mistakes=mistakes,
        name="nearest_neighbour_distances",
        hint="torch.cdist(z, z) gives all N x N distances; ignore the diagonal, then take the "
             "minimum of each row: one value per code, shape [N].")


__all__ += ["check_reconstruction_loss", "check_nearest_neighbour_distances"]


def check_class_mean_kl(student: Callable) -> Verdict:
    """``student(mu, logvar, class_means, y)`` must return KL(N(mu, sigma^2) || N(mu_y, I)), [B].

    mu, logvar: [B, D]; class_means: [K, D]; y: [B] integer labels in 0..K-1.
    """
    g = torch.Generator().manual_seed(3)
    cases = []
    for b, d, k in [(6, 2, 10), (4, 5, 3), (1, 1, 2)]:
        mu, logvar = torch.randn(b, d, generator=g), torch.randn(b, d, generator=g)
        cases.append((mu, logvar, 2 * torch.randn(k, d, generator=g),
                      torch.randint(0, k, (b,), generator=g)))
    return check_function(
        student, lambda mu, logvar, means, y: losses.gaussian_kl(mu, logvar, means[y]), cases,
        name="class_mean_kl",
        hint="pick each sample's class mean with class_means[y] (shape [B, D]), then "
             "1/2 * ((mu - mu_y)^2 + exp(logvar) - logvar - 1) summed over the last dimension.")


def _active_dims_reference(mu: torch.Tensor, threshold: float) -> torch.Tensor:
    return (mu.var(dim=0) > threshold).sum()


def check_active_dims(student: Callable) -> Verdict:
    """``student(mu, threshold)`` must count the dimensions d with Var_x(mu_d) > threshold."""
    g = torch.Generator().manual_seed(4)
    scales = torch.tensor([1.0, 0.05, 0.3, 0.001, 2.0, 0.0])  # std above, variance below 0.01
    cases = [(torch.randn(400, 6, generator=g) * scales, 0.01),
             (torch.randn(50, 3, generator=g), 0.01),
             (torch.randn(400, 6, generator=g) * scales, 0.2)]
    return check_function(
        lambda mu, t: torch.as_tensor(student(mu, t)), _active_dims_reference, cases,
        name="active_dims",
        hint="take the variance (not the standard deviation) over the images, dim=0: one value "
             "per latent dimension; then count how many exceed the threshold.")


__all__ += ["check_class_mean_kl", "check_active_dims"]


# --- Notebook 08: the importance-weighted estimate ------------------------------------------

def _log_mean_exp_reference(logw: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(logw, dim=0) - math.log(logw.shape[0])


def check_log_mean_exp(student: Callable) -> Verdict:
    """``student(logw)``, logw [k, B], must return log((1/k) sum_j exp(logw_j)) per column, [B]."""
    g = torch.Generator().manual_seed(8)
    cases = [(torch.randn(5, 3, generator=g),),
             (torch.randn(1, 4, generator=g),),
             (-800 + 3 * torch.randn(50, 2, generator=g),),   # log weights of real images
             (torch.randn(200, 6, generator=g) * 20,)]
    mistakes = {
        "that is the mean of the log weights (the ELBO estimate): average the weights "
        "themselves, then take the log.": lambda lw: lw.mean(dim=0),
        "you left out 1/k: subtract log(k) from the logsumexp.":
            lambda lw: torch.logsumexp(lw, dim=0),
    }
    return check_function(
        student, _log_mean_exp_reference, cases, mistakes=mistakes, name="log_mean_exp",
        hint="exp(-800) is 0 in floating point, so log(mean(exp(logw))) gives -inf: subtract the "
             "largest log weight m of each column first, log(mean(exp(logw - m))) + m, or use "
             "torch.logsumexp(logw, dim=0) - log(k).")


__all__ += ["check_log_mean_exp"]
