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
from .estimators import score_function

__all__ = ["Verdict", "check_function", "check_reparameterize", "check_gaussian_kl", "check_elbo",
           "pick"]


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
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


def pick(student: Callable, reference: Callable, passed, name: str) -> Callable:
    """The student's function when its check passed, else the reference; says which.

    The notebook goes on with what the student wrote, once it is right, and with the
    library's version until then, so "Run All" works on an unfinished exercise:

        ok = check_reparameterize(reparameterize)
        reparam = pick(reparameterize, losses.reparameterize, ok, "reparameterize")
    """
    if bool(passed):
        print(f"Using your `{name}`.")
        return student
    print(f"Using vaelib's `{name}` for now: yours has not passed its check yet.")
    return reference


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
    mistakes = {
        "sigma = exp(logvar) is the variance, sigma²: the standard deviation is "
        "exp(logvar / 2).": lambda mu, logvar, eps: mu + eps * torch.exp(logvar),
        "logvar is log sigma², not sigma: it can be negative. Turn it into "
        "sigma = exp(logvar / 2) first.": lambda mu, logvar, eps: mu + eps * logvar,
        "logvar / 2 is log sigma, not sigma: exponentiate it, sigma = exp(logvar / 2).":
            lambda mu, logvar, eps: mu + eps * logvar / 2,
        "the centre is missing: eps * sigma is a sample around 0; move it to mu, "
        "z = mu + eps * sigma.": lambda mu, logvar, eps: eps * torch.exp(0.5 * logvar),
        "the noise is missing: mu + sigma is one fixed point; scale the noise, "
        "z = mu + eps * sigma.": lambda mu, logvar, eps: mu + torch.exp(0.5 * logvar),
        "check the sign: exp(-logvar / 2) is 1 / sigma; sigma = exp(+logvar / 2).":
            lambda mu, logvar, eps: mu + eps * torch.exp(-0.5 * logvar),
        "the noise multiplies sigma only, not mu: z = mu + eps * sigma.":
            lambda mu, logvar, eps: (mu + torch.exp(0.5 * logvar)) * eps,
    }
    return check_function(
        student, lambda mu, logvar, eps: losses.reparameterize(mu, logvar, eps), cases,
        name="reparameterize", mistakes=mistakes,
        hint="sigma = exp(logvar / 2), not exp(logvar) and not logvar / 2; z = mu + eps * sigma.")


def check_gaussian_kl(student: Callable) -> Verdict:
    """``student(mu, logvar)`` must return KL(N(mu, sigma^2) || N(0, I)) per sample, shape [B]."""
    def terms(mu, logvar):  # [B, D]: mu² + sigma² - log sigma² - 1
        return mu**2 + logvar.exp() - logvar - 1

    mistakes = {
        "the factor 1/2 is missing: KL = 1/2 * sum(mu² + sigma² - log sigma² - 1).":
            lambda mu, logvar: terms(mu, logvar).sum(-1),
        "check the sign of the log term: it is - log sigma², i.e. - logvar (step 2: "
        "-E[log sigma] = -1/2 log sigma²).":
            lambda mu, logvar: 0.5 * (mu**2 + logvar.exp() + logvar - 1).sum(-1),
        "that is sigma, not sigma²: exp(logvar) is already the variance sigma² "
        "(E[z²] = mu² + sigma²).":
            lambda mu, logvar: 0.5 * (mu**2 + (0.5 * logvar).exp() - logvar - 1).sum(-1),
        "that is log sigma, not log sigma²: logvar is already log sigma², use it as it is.":
            lambda mu, logvar: 0.5 * (mu**2 + logvar.exp() - 0.5 * logvar - 1).sum(-1),
        "the - 1 is missing (step 2: -E[(z - mu)²] / (2 sigma²) = -1/2); without it the "
        "KL of the prior with itself is not 0.":
            lambda mu, logvar: 0.5 * (mu**2 + logvar.exp() - logvar).sum(-1),
        "sum over the latent dimensions, do not average them: the dimensions are "
        "independent, so their KLs add up.":
            lambda mu, logvar: 0.5 * terms(mu, logvar).mean(-1),
        "one value per sample: sum over the latent dimensions only (dim=-1), no mean "
        "over the batch; the training loop averages the loss itself.":
            lambda mu, logvar: 0.5 * terms(mu, logvar).sum(-1).mean(),
        "one value per sample: sum over the latent dimensions only (dim=-1), not over "
        "the batch too.":
            lambda mu, logvar: 0.5 * terms(mu, logvar).sum(),
    }
    return check_function(
        student, losses.gaussian_kl, _cases([(5, 2), (3, 7), (1, 1)]), name="gaussian_kl",
        mistakes=mistakes,
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
             "summed over the 784 pixels, plus the KL summed over latent dimensions.",
        mistakes=_ELBO_MISTAKES)


def _bce_sum(x, logits):
    return torch.nn.functional.binary_cross_entropy_with_logits(
        logits.flatten(1), x.flatten(1), reduction="none").sum(1)


def _kl_terms(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1)


# The usual wrong ELBOs, each as a function of (x, logits, mu, logvar), with its hint.
_ELBO_MISTAKES = {
    "you returned the loss, -ELBO: the ELBO is -(reconstruction + KL); the loss is its negative.":
        lambda x, lg, mu, lv: _bce_sum(x, lg) + _kl_terms(mu, lv).sum(1),
    "the reconstruction is averaged over the pixels while the KL is summed: sum both (a mean "
    "over 784 pixels divides the reconstruction by 784, a hidden weight on the KL).":
        lambda x, lg, mu, lv: -(_bce_sum(x, lg) / x[0].numel() + _kl_terms(mu, lv).sum(1)),
    "the KL is averaged over the latent dimensions while the reconstruction is summed: "
    "sum the KL over the dimensions too.":
        lambda x, lg, mu, lv: -(_bce_sum(x, lg) + _kl_terms(mu, lv).mean(1)),
    "the KL has the wrong sign: the ELBO subtracts it, ELBO = -reconstruction - KL.":
        lambda x, lg, mu, lv: -_bce_sum(x, lg) + _kl_terms(mu, lv).sum(1),
    "the KL is twice too large: the 1/2 in 1/2 (mu^2 + sigma^2 - log sigma^2 - 1) is missing.":
        lambda x, lg, mu, lv: -(_bce_sum(x, lg) + 2 * _kl_terms(mu, lv).sum(1)),
    "the KL uses sigma where it needs sigma^2: exp(logvar) is sigma^2, exp(logvar / 2) is sigma.":
        lambda x, lg, mu, lv: -(_bce_sum(x, lg)
                                + 0.5 * (mu.pow(2) + (0.5 * lv).exp() - lv - 1).sum(1)),
    "the reconstruction is a squared error: use the Bernoulli term, binary cross-entropy "
    "from the logits (F.binary_cross_entropy_with_logits, reduction='none').":
        lambda x, lg, mu, lv: -((x - torch.sigmoid(lg)).flatten(1).pow(2).sum(1)
                                + _kl_terms(mu, lv).sum(1)),
}


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

    def zeros_masked(z):                    # masks by value: misses cdist's inexact diagonal
        d = torch.cdist(z, z)
        d[d == 0] = float("inf")
        return d.min(dim=1).values

    mistakes = {
        "every code is its own nearest neighbour at distance 0: leave out the diagonal "
        "(e.g. add float('inf') to it) before taking the minimum.": with_self,
        "these are squared distances: take the square root (or use torch.cdist).": squared,
        "masking `d == 0` misses the diagonal: for more than 25 points torch.cdist computes "
        "distances through a matrix product, and a code's distance to itself comes out near "
        "1e-4, not exactly 0. Mask by position instead: d.fill_diagonal_(float('inf')).":
            zeros_masked,
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
        name="class_mean_kl", mistakes=_class_mean_kl_mistakes(),
        hint="pick each sample's class mean with class_means[y] (shape [B, D]), then "
             "1/2 * ((mu - mu_y)^2 + exp(logvar) - logvar - 1) summed over the last dimension.")


def _class_mean_kl_mistakes() -> dict[str, Callable]:
    """The usual wrong answers to the class-mean KL, each with the hint that names it."""
    def kl(sq, var, logvar, scale=0.5, reduce=lambda t: t.sum(dim=1)):
        return scale * reduce(sq + var - logvar - 1)

    return {
        "this is the KL towards N(0, I): the class means are missing. Subtract each sample's "
        "class mean, mu - class_means[y], before squaring.":
            lambda mu, lv, m, y: kl(mu**2, lv.exp(), lv),
        "check the sign: the prior mean is subtracted, (mu - mu_y)^2, not added.":
            lambda mu, lv, m, y: kl((mu + m[y])**2, lv.exp(), lv),
        "the factor 1/2 in front of the sum is missing.":
            lambda mu, lv, m, y: kl((mu - m[y])**2, lv.exp(), lv, scale=1.0),
        "you averaged over the latent dimensions: the KL of a diagonal Gaussian is the sum "
        "over them (.sum(dim=1)).":
            lambda mu, lv, m, y: kl((mu - m[y])**2, lv.exp(), lv, reduce=lambda t: t.mean(dim=1)),
        "return one KL per sample, shape [B]: sum over the latent dimensions (dim=1).":
            lambda mu, lv, m, y: kl((mu - m[y])**2, lv.exp(), lv, reduce=lambda t: t),
        "sigma^2 is exp(logvar), not exp(logvar / 2) (that is sigma).":
            lambda mu, lv, m, y: kl((mu - m[y])**2, (0.5 * lv).exp(), lv),
        "the -1 inside the sum is missing: it makes the KL 0 when q equals the prior.":
            lambda mu, lv, m, y: 0.5 * ((mu - m[y])**2 + lv.exp() - lv).sum(dim=1),
        "that is KL(prior || q), the other direction: the ELBO needs KL(q || p), "
        "1/2 * ((mu - mu_y)^2 + sigma^2 - log sigma^2 - 1).":
            lambda mu, lv, m, y: 0.5 * (((mu - m[y])**2 + 1) / lv.exp() + lv - 1).sum(dim=1),
    }


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


def _info_per_dim_reference(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return 0.5 * torch.log1p(mu.var(dim=0) / logvar.exp().mean(dim=0))


def check_info_per_dim(student: Callable) -> Verdict:
    """``student(mu, logvar)``, each [N, D], must return 1/2 log(1 + Var_x mu_d / E_x sigma_d^2).

    The information a Gaussian channel carries when a signal of variance Var_x mu_d gets
    noise of variance sigma_d^2: exact for Gaussian mu_d and one sigma_d for every image.
    """
    g = torch.Generator().manual_seed(7)
    spread = torch.tensor([2.0, 0.5, 0.12, 0.05, 1.0, 0.3])          # std of mu_d over images
    noise = torch.tensor([0.1, 0.9, 1.0, 0.05, 0.01, 0.6])           # sigma_d
    cases = []
    for n in (1000, 300):     # large N and rtol 1e-2: the biased variance (1/N) passes too
        mu = torch.randn(n, 6, generator=g) * spread
        logvar = 2 * torch.log(noise) + 0.5 * torch.randn(n, 6, generator=g)
        cases.append((mu, logvar))
    mistakes = {
        "you took the information per image and averaged it: average the noise variance "
        "sigma^2 over the images first, then take the log once per dimension.":
            lambda m, lv: (0.5 * torch.log1p(m.var(dim=0) / lv.exp())).mean(dim=0),
        "you averaged logvar over the images (a geometric mean of sigma^2): average "
        "sigma^2 = logvar.exp() itself.":
            lambda m, lv: 0.5 * torch.log1p(m.var(dim=0) / lv.mean(dim=0).exp()),
        "you divided the standard deviation of mu by the variance of the noise: use the "
        "variance of mu, mu.var(dim=0).":
            lambda m, lv: 0.5 * torch.log1p(m.std(dim=0) / lv.exp().mean(dim=0)),
        "you divided by sigma, not by sigma squared: the noise variance is logvar.exp().":
            lambda m, lv: 0.5 * torch.log1p(m.var(dim=0) / (0.5 * lv).exp().mean(dim=0)),
        "the factor 1/2 is missing: a Gaussian channel carries 1/2 log(1 + signal / noise).":
            lambda m, lv: torch.log1p(m.var(dim=0) / lv.exp().mean(dim=0)),
        "the 1 is missing: log(signal / noise) goes negative when the noise is larger, and "
        "information cannot be negative; use log(1 + signal / noise).":
            lambda m, lv: 0.5 * torch.log(m.var(dim=0) / lv.exp().mean(dim=0)),
        "you averaged over the latent dimensions (dim=1): take the variance and the mean over "
        "the images, dim=0, one value per dimension.":
            lambda m, lv: 0.5 * torch.log1p(m.var(dim=1) / lv.exp().mean(dim=1)),
    }
    return check_function(
        student, _info_per_dim_reference, cases, mistakes=mistakes, name="info_per_dim",
        rtol=1e-2,
        hint="per dimension d: the signal is the variance of mu_d over the images (dim=0), the "
             "noise the mean of sigma_d^2 = exp(logvar_d) over the images; return "
             "0.5 * log(1 + signal / noise), shape [D].")


__all__ += ["check_class_mean_kl", "check_active_dims", "check_info_per_dim"]


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
        "you averaged along the wrong axis: logw is [k, B], one column per image, so reduce "
        "over dim=0 and return one value per image, shape [B].":
            lambda lw: torch.logsumexp(lw, dim=1) - math.log(lw.shape[1]),
        "you divided by the number of images B, not by the number of samples k: subtract "
        "log(k), k = logw.shape[0].":
            lambda lw: torch.logsumexp(lw, dim=0) - math.log(lw.shape[1]),
        "that is only the largest log weight m: add log(mean(exp(logw - m))), the average of "
        "all the weights measured against the largest.":
            lambda lw: lw.max(dim=0).values,
    }
    return check_function(
        student, _log_mean_exp_reference, cases, mistakes=mistakes, name="log_mean_exp",
        hint="exp(-800) is 0 in floating point, so log(mean(exp(logw))) gives -inf: subtract the "
             "largest log weight m of each column first, log(mean(exp(logw - m))) + m, or use "
             "torch.logsumexp(logw, dim=0) - log(k).")


__all__ += ["check_log_mean_exp"]


# --- Notebook 04: the KL of a box under the prior, and between two Gaussians ----------------

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _box_kl_reference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """KL(U[a, b] || N(0, 1)) = -log(b - a) + 1/2 log 2 pi + (a^2 + ab + b^2) / 6."""
    return -torch.log(b - a) + _HALF_LOG_2PI + (a**2 + a * b + b**2) / 6


def check_box_kl(student: Callable) -> Verdict:
    """``student(a, b)``, tensors of one shape with a < b, must return KL(U[a, b] || N(0, 1))."""
    g = torch.Generator().manual_seed(5)
    cases = []
    for shape in [(6,), (3, 2), (1,)]:
        a = 1.5 * torch.randn(shape, generator=g)
        cases.append((a, a + 0.2 + 2.5 * torch.rand(shape, generator=g)))  # widths 0.2 to 2.7

    def log_w(a, b):
        return torch.log(b - a)

    mistakes = {
        "the prior's normalising constant is missing: -log N(z; 0, 1) = z²/2 + ½ log 2π, so the "
        "KL gains + ½ log 2π.":
            lambda a, b: -log_w(a, b) + (a**2 + a * b + b**2) / 6,
        "you used the squared mean ((a + b)/2)² for E[z²]. E[z²] is the squared mean plus the "
        "variance (b − a)²/12, which gives (a² + ab + b²)/3; the KL takes half of it.":
            lambda a, b: -log_w(a, b) + _HALF_LOG_2PI + (a + b) ** 2 / 8,
        "(a + b)²/4 is the squared mean of the box. The KL needs E[z²]/2, and E[z²] is the squared "
        "mean plus the variance (b − a)²/12: E[z²]/2 = (a² + ab + b²)/6.":
            lambda a, b: -log_w(a, b) + _HALF_LOG_2PI + (a + b) ** 2 / 4,
        "check the sign of the entropy term: the box has density 1/(b − a), so "
        "E_q[log q] = −log(b − a), and the KL starts with −log(b − a).":
            lambda a, b: log_w(a, b) + _HALF_LOG_2PI + (a**2 + a * b + b**2) / 6,
        "−log p(z) = ½ log 2π + z²/2: the KL takes E[z²]/2 = (a² + ab + b²)/6, you left out the ½.":
            lambda a, b: -log_w(a, b) + _HALF_LOG_2PI + (a**2 + a * b + b**2) / 3,
    }
    return check_function(
        student, _box_kl_reference, cases, mistakes=mistakes, name="box_kl",
        hint="KL = E_q[log q(z)] − E_q[log p(z)] with q = U[a, b]: the first is −log(b − a), the "
             "second needs E[z²] of the box (its squared mean plus its variance). Use torch.log, "
             "so that it works elementwise on tensors.")


def _gaussian_kl_general_reference(mu1, sigma1, mu2, sigma2) -> torch.Tensor:
    """KL(N(mu1, s1^2) || N(mu2, s2^2)) = log(s2/s1) + (s1^2 + (mu1 - mu2)^2) / (2 s2^2) - 1/2."""
    return (torch.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2)
            - 0.5)


def check_gaussian_kl_general(student: Callable) -> Verdict:
    """``student(mu1, sigma1, mu2, sigma2)`` must return KL(N(mu1, sigma1²) || N(mu2, sigma2²)).

    All four are tensors of one shape; the KL is taken elementwise (one 1-D KL per entry).
    """
    g = torch.Generator().manual_seed(6)
    cases = []
    for shape in [(5,), (2, 3), (1,)]:
        mu1, mu2 = torch.randn(shape, generator=g), 2 * torch.randn(shape, generator=g)
        sigma1 = torch.exp(0.7 * torch.randn(shape, generator=g))
        sigma2 = torch.exp(0.7 * torch.randn(shape, generator=g))
        cases.append((mu1, sigma1, mu2, sigma2))
    ref = _gaussian_kl_general_reference
    mistakes = {
        "that is KL(N(μ2, σ2²) ‖ N(μ1, σ1²)): the arguments are swapped. KL(q ‖ p) averages "
        "log q − log p under q = N(μ1, σ1²), the first distribution, and the KL is not symmetric.":
            lambda m1, s1, m2, s2: ref(m2, s2, m1, s1),
        "the mean term is (μ1 − μ2)²/(2σ2²): it is divided by the variance of the second "
        "Gaussian too (−log p measures the distance from μ2 in units of σ2).":
            lambda m1, s1, m2, s2: (torch.log(s2 / s1) + s1**2 / (2 * s2**2)
                                    + (m1 - m2) ** 2 / 2 - 0.5),
        "check the sign of the log term: it is log(σ2/σ1) (the entropy of q enters with a minus "
        "sign, and it grows with log σ1).":
            lambda m1, s1, m2, s2: ref(m1, s1, m2, s2) - 2 * torch.log(s2 / s1),
        "the − ½ is missing: with it, the KL of a Gaussian to itself is 0.":
            lambda m1, s1, m2, s2: ref(m1, s1, m2, s2) + 0.5,
        "log(σ2/σ1) is ½ log(σ2²/σ1²): you took the log of the ratio of the variances "
        "without the ½.":
            lambda m1, s1, m2, s2: ref(m1, s1, m2, s2) + torch.log(s2 / s1),
    }
    return check_function(
        student, ref, cases, mistakes=mistakes, name="gaussian_kl_general",
        hint="the same three steps as section 1: log q − log p = log(σ2/σ1) − (z − μ1)²/(2σ1²) "
             "+ (z − μ2)²/(2σ2²); under z ~ q, E[(z − μ1)²] = σ1² and "
             "E[(z − μ2)²] = σ1² + (μ1 − μ2)². Use torch.log, elementwise.")


__all__ += ["check_box_kl", "check_gaussian_kl_general"]


# --- Notebook 03: the score-function estimator with a baseline -----------------------------

def _score_grad_mu_reference(f, mu, sigma, eps, baseline) -> torch.Tensor:
    """(f(z) - b) (z - mu) / sigma^2 per sample, z = mu + sigma eps: ``score_function``'s d_mu."""
    return score_function(f, mu, sigma, eps, baseline).d_mu


def check_score_grad_mu(student: Callable) -> Verdict:
    """``student(f, mu, sigma, eps, baseline)`` must return (f(z) - b) (z - mu) / sigma^2, [n].

    f acts elementwise (the cases use torch.sin); mu, sigma and baseline are floats, eps [n].
    (f(z) - b) eps / sigma is the same thing, since eps = (z - mu) / sigma, and passes.
    """
    g = torch.Generator().manual_seed(9)
    cases = [(torch.sin, mu, sigma, torch.randn(n, generator=g, dtype=torch.float64), b)
             for mu, sigma, b, n in [(1.0, 0.6, 0.8, 6), (-0.4, 1.7, -0.3, 5), (2.0, 0.3, 0.5, 1)]]

    def fb(f, mu, sigma, eps, b):  # f(z) - b
        return f(mu + sigma * eps) - b

    mistakes = {
        "one factor 1/sigma is missing: (f(z) − b) · eps equals (f(z) − b)(z − mu) / sigma. "
        "The score of N(mu, sigma²) is (z − mu) / sigma² = eps / sigma: divide (z − mu) by "
        "sigma squared, or eps by sigma.":
            lambda f, mu, sigma, eps, b: fb(f, mu, sigma, eps, b) * (sigma * eps) / sigma,
        "the baseline is missing: subtract it from f(z) before multiplying by the score.":
            lambda f, mu, sigma, eps, b: f(mu + sigma * eps) * eps / sigma,
        "subtract the baseline from f(z), not from the product: f(z) · score − b no longer has "
        "the right mean (E[score] = 0 is what lets a baseline in, and only inside the product).":
            lambda f, mu, sigma, eps, b: f(mu + sigma * eps) * eps / sigma - b,
        "eps is already (z − mu) / sigma: with eps the score is eps / sigma, not eps / sigma² "
        "(one factor of sigma is inside eps).":
            lambda f, mu, sigma, eps, b: fb(f, mu, sigma, eps, b) * eps / sigma**2,
        "that is the pathwise estimate f'(z) = cos(z): the score-function estimator only "
        "evaluates f and multiplies by the score (z − mu) / sigma².":
            lambda f, mu, sigma, eps, b: torch.cos(mu + sigma * eps),
        "return one estimate per draw of eps (shape [n]), not their mean: the next cell "
        "measures how much the single estimates scatter.":
            lambda f, mu, sigma, eps, b: _score_grad_mu_reference(f, mu, sigma, eps, b).mean(),
        "check the sign: it is (f(z) − b), not (b − f(z)).":
            lambda f, mu, sigma, eps, b: -_score_grad_mu_reference(f, mu, sigma, eps, b),
    }
    return check_function(
        student, _score_grad_mu_reference, cases, mistakes=mistakes, name="score_grad_mu",
        hint="z = mu + sigma * eps; d/dmu log N(z; mu, sigma²) = (z − mu) / sigma²; return "
             "(f(z) − baseline) * (z − mu) / sigma², one value per eps, shape [n].")


__all__ += ["check_score_grad_mu"]


# --- Notebook 06: how often a draw from one class prior lies nearer another class mean -----

def _pair_confusion_reference(means: torch.Tensor) -> torch.Tensor:
    """P[a, b] = Phi(-||mu_a - mu_b|| / 2) for a != b and 0 on the diagonal, shape [K, K].

    The share of draws z ~ N(mu_a, I) that lie nearer mu_b than mu_a: z crosses the midpoint
    plane when its offset along mu_b - mu_a, a standard normal, exceeds d / 2.
    """
    d = torch.cdist(means, means)                                      # [K, K]
    return torch.special.ndtr(-d / 2) * (1 - torch.eye(len(means), dtype=means.dtype))


_PAIR_SHAPE_HINTS = {
    "pdist": "torch.pdist gives each pair once, a < b, as a flat vector: the exercise wants the "
             "full [K, K] matrix (torch.cdist(means, means)), row a = the class drawn from, "
             "column b = the class it may be mistaken for.",
    "per class": "that is one number per class: the exercise wants one per pair (a, b), a [K, K] "
                 "matrix; sums or maxima over b come afterwards.",
    "per coordinate": "you applied Φ to each coordinate of μ_a − μ_b: first take the Euclidean "
                      "distance over the last dimension (torch.cdist(means, means), or "
                      ".norm(dim=-1)), one number per pair.",
    "ten classes": "it gives a 10 x 10 answer (or fails) for means of another number of classes: "
                   "take K from the means, len(means), not 10.",
    "other": "return a [K, K] matrix for K class means: row a = the class drawn from, column "
             "b = the class it may be mistaken for.",
}


def _pair_confusion_shape_hint(student: Callable, cases: Sequence[tuple]) -> str | None:
    """A hint when the student's answer has the wrong shape for some case, else None."""
    for n, (means,) in enumerate(cases):
        k = len(means)
        try:
            shape = tuple(student(means.clone()).shape)
        except Exception:  # check_function reports it; a failure after case 1 hints at a fixed 10
            return _PAIR_SHAPE_HINTS["ten classes"] if n and k != 10 else None
        if shape == (k, k):
            continue
        kind = ("ten classes" if shape == (10, 10)
                else "pdist" if shape == (k * (k - 1) // 2,)
                else "per class" if shape == (k,)
                else "per coordinate" if shape == (k, k, means.shape[1])
                else "other")
        return _PAIR_SHAPE_HINTS[kind]
    return None


def check_pair_confusion(student: Callable) -> Verdict:
    """``student(means)``, means [K, D], must return P [K, K]: Phi(-||mu_a - mu_b|| / 2) at (a, b).

    The diagonal is 0 (a class is not mistaken for itself). Tensors and NumPy arrays pass.
    """
    g = torch.Generator().manual_seed(10)
    cases = [(1.5 * torch.randn(10, 2, generator=g),), (torch.randn(4, 5, generator=g),),
             (2 * torch.randn(3, 1, generator=g),)]

    def answer(means):  # the student's result as a tensor, computed on a copy of the means
        got = student(means.clone())
        return got if isinstance(got, torch.Tensor) or not hasattr(got, "__array__") \
            else torch.as_tensor(got)

    def off(f):  # a formula of the distance, with the diagonal set to 0 as it should be
        return lambda m: f(torch.cdist(m, m)) * (1 - torch.eye(len(m), dtype=m.dtype))

    def raw(f):  # the same formula with d = 0 left on the diagonal
        return lambda m: f(torch.cdist(m, m))

    phi = torch.special.ndtr
    diagonal = ("the diagonal: d = 0 there, so Φ(0) = 0.5, but a class is not mistaken for "
                "itself; set P[a, a] = 0 (multiply by 1 − torch.eye(K)).")
    formulas = {
        "the half is missing: z lies nearer μ_b once it crosses the midpoint, d/2 from μ_a, "
        "so the confusion is Φ(−d/2), not Φ(−d).": lambda d: phi(-d),
        "you used the squared distance, Φ(−d²/2): Φ counts standard deviations, and the "
        "midpoint is d/2 away with d = ‖μ_a − μ_b‖ (torch.cdist), not its square.":
            lambda d: phi(-d**2 / 2),
        "you used the squared distance, Φ(−d²): Φ counts standard deviations, and the "
        "midpoint is d/2 away with d = ‖μ_a − μ_b‖ (torch.cdist), not its square.":
            lambda d: phi(-d**2),
        "you squared the half distance, Φ(−d²/4): the offset along μ_b − μ_a is N(0, 1), "
        "and the midpoint is d/2 away, so Φ(−d/2) with d itself, not squared.":
            lambda d: phi(-d**2 / 4),
        "check the sign: Φ(d/2) = 1 − Φ(−d/2) is the chance that the draw stays on μ_a's side "
        "of the midpoint; the confusion is the chance that it crosses, Φ(−d/2).":
            lambda d: phi(d / 2),
        "Φ(x) = ½ (1 + erf(x / √2)): the √2 is missing (or use torch.special.ndtr, which is Φ).":
            lambda d: 0.5 * (1 + torch.erf(-d / 2)),
        "that is the density of N(0, 1) at d/2, not a probability: Φ(−d/2) is the area of "
        "that density beyond d/2 (torch.special.ndtr(-d / 2)).":
            lambda d: torch.exp(-d**2 / 8) / math.sqrt(2 * math.pi),
    }
    mistakes = {hint: off(f) for hint, f in formulas.items()}
    mistakes |= {f"{hint} Also {diagonal}": raw(f) for hint, f in formulas.items()}
    mistakes["the off-diagonal is right; now " + diagonal] = raw(lambda d: phi(-d / 2))
    mistakes["the diagonal is not the chance of staying nearest the own mean (that is section "
             "5's share, and it needs all the other means): P[a, a] = 0, a class is not "
             "mistaken for itself."] = lambda m: _pair_confusion_reference(m) + torch.eye(len(m))
    hint = _pair_confusion_shape_hint(answer, cases) or (
        "d = ‖μ_a − μ_b‖ for every pair: torch.cdist(means, means) gives the [K, K] distances; "
        "then torch.special.ndtr(-d / 2), with the diagonal set to 0.")
    return check_function(answer, _pair_confusion_reference, cases, mistakes=mistakes,
                          name="pair_confusion", hint=hint)


__all__ += ["check_pair_confusion"]


# --- Notebook 03: the encoder's two heads ---------------------------------------------------

def check_two_heads(student_cls: Callable) -> Verdict:
    """``student_cls(x_dim, hidden, z_dim)`` must build an nn.Module whose forward maps
    x [B, x_dim] to (mu, logvar), each [B, z_dim]: one shared Linear + ReLU, two Linear heads."""
    name, x_dim, hidden, z_dim = "TwoHeadEncoder", 20, 16, 3
    layout = ("shared = nn.Sequential(nn.Linear(x_dim, hidden), nn.ReLU()); mu_head and "
              "logvar_head = two nn.Linear(hidden, z_dim); forward: h = shared(x), "
              "return mu_head(h), logvar_head(h).")

    def fail(problem: str, hint: str = layout) -> Verdict:
        print(f"✗ `{name}`: {problem}")
        print(f"  Hint: {hint}")
        return Verdict(False)

    with torch.random.fork_rng():  # the caller's random state stays as it was
        torch.manual_seed(0)
        try:
            encoder = student_cls(x_dim, hidden, z_dim)
            x = 2 * torch.randn(256, x_dim)
            out = encoder(x)
        except NotImplementedError:
            print(f"Not done yet: fill in `{name}` above, run its cell, then run this cell again.")
            return Verdict(False)
        except Exception as err:  # a student's bug: report it, do not stop the notebook
            return fail(f"raised {type(err).__name__}: {err}")
    if not (isinstance(out, tuple) and len(out) == 2 and all(torch.is_tensor(t) for t in out)):
        return fail(f"forward returned {_describe(out)}, expected a tuple (mu, logvar).")
    mu, logvar = out
    if mu.shape != (256, z_dim) or logvar.shape != (256, z_dim):
        return fail(f"expected mu and logvar of shape (256, {z_dim}) for x of shape "
                    f"(256, {x_dim}), got {tuple(mu.shape)} and {tuple(logvar.shape)}.")
    if torch.equal(mu, logvar):
        return fail("mu and logvar are the same numbers.",
                    "give each head its own layer: mu_head = nn.Linear(hidden, z_dim) and "
                    "logvar_head = nn.Linear(hidden, z_dim).")
    linears = [m for m in encoder.modules() if isinstance(m, torch.nn.Linear)]
    shared = [m for m in linears if m.in_features == x_dim and m.out_features == hidden]
    heads = [m for m in linears if m.in_features == hidden and m.out_features == z_dim]
    if len(shared) != 1 or len(heads) != 2:
        return fail(f"found {len(linears)} linear layers: {len(shared)} from x to the hidden layer "
                    f"and {len(heads)} from the hidden layer to z; expected 1 and 2.")
    if (logvar >= 0).all():
        return fail("logvar is never negative, so sigma = exp(logvar / 2) can never go below 1.",
                    "no activation (ReLU, exp, softplus) after the log-variance head: it must be "
                    "free to take any real value; reparameterize makes sigma positive.")
    if (mu >= 0).all():
        return fail("mu is never negative.",
                    "no activation after the mu head: the centre may lie anywhere in the plane.")
    with torch.no_grad():
        zero = torch.zeros(1, x_dim)
        linear = all(torch.allclose(a - b, 2 * (c - b), atol=1e-5)
                     for a, b, c in zip(encoder(2 * x), encoder(zero), encoder(x)))
    if linear:
        return fail("the encoder is linear in x.",
                    "put a ReLU after the shared layer: nn.Sequential(nn.Linear(x_dim, hidden), "
                    "nn.ReLU()).")
    for part, value in [("mu", mu), ("logvar", logvar)]:
        encoder.zero_grad()
        value.sum().backward(retain_graph=True)
        if shared[0].weight.grad is None or not shared[0].weight.grad.abs().sum() > 0:
            return fail(f"{part} does not depend on the shared hidden layer.",
                        "both heads read the same h = shared(x).")
    print(f"✓ `{name}` is correct (shapes, two heads on one shared layer, free log-variance).")
    return Verdict(True)


__all__ += ["check_two_heads"]


# --- Notebook 01: the autoencoder's training loop -------------------------------------------

def train_autoencoder_reference(model: torch.nn.Module, images: torch.Tensor, steps: int,
                                batch_size: int = 128, lr: float = 1e-3,
                                generator: torch.Generator | None = None) -> list[float]:
    """Adam on the course's autoencoder loss for ``steps`` steps; the loss of every step.

    The loss of a batch is ||x - sigmoid(model(x))||^2 per image (summed over the pixels),
    averaged over the images of the batch: ``vaelib.models.Autoencoder.loss``. Minibatches
    come from ``vaelib.data.minibatches`` with ``generator``, a fresh shuffle every epoch,
    as in ``vaelib.train.fit``. Returns the loss of each step, measured before the step.
    """
    from .data import minibatches

    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    history: list[float] = []
    while len(history) < steps:
        for idx in minibatches(len(images), batch_size, generator):
            x = images[idx]
            loss = losses.squared_error(model(x), x).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(loss.item())
            if len(history) == steps:
                break
    return history


class _RecordingAE(torch.nn.Module):
    """A tiny linear autoencoder (16 pixels -> 3 -> 16 logits) that records its mode."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(11)
        self.enc = torch.nn.Linear(16, 3).double()
        self.dec = torch.nn.Linear(3, 16).double()
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=torch.float64))
        self.modes: list[bool] = []  # self.training at every forward that builds a graph

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            self.modes.append(self.training)
        return self.dec(self.enc(x.flatten(1))).view(x.shape)  # logits, shaped like x


_LOOP_DATA = dict(n=12, batch_size=4, steps=7, lr=0.05)  # 3 steps an epoch; 7 cross two epochs


def _run_loop(loop: Callable) -> tuple[_RecordingAE, Any]:
    """Run ``loop`` on a fresh tiny model (handed over in eval mode) and tiny images."""
    d = _LOOP_DATA
    images = torch.rand(d["n"], 1, 4, 4, generator=torch.Generator().manual_seed(5),
                        dtype=torch.float64)
    model = _RecordingAE().eval()  # e.g. just evaluated, or returned by vaelib.train.fit
    out = loop(model, images, d["steps"], batch_size=d["batch_size"], lr=d["lr"],
               generator=torch.Generator().manual_seed(3))
    return model, out


def _no_zero_grad_loop(model, images, steps, batch_size=128, lr=1e-3, generator=None):
    from .data import minibatches

    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    history = []
    while len(history) < steps:
        for idx in minibatches(len(images), batch_size, generator):
            loss = losses.squared_error(model(images[idx]), images[idx]).mean()
            loss.backward()                        # gradients add up over the steps
            optimizer.step()
            history.append(loss.item())
            if len(history) == steps:
                break
    return history


def _same(a: torch.nn.Module, b: torch.nn.Module, tol: float = 1e-9) -> bool:
    pairs = zip(a.parameters(), b.parameters())
    return all(torch.allclose(p, q, atol=tol, rtol=tol) for p, q in pairs)


TRAINING_LOOP_HINTS = {
    "eval": "the model was in eval mode when your loop ran it (it came straight from an "
            "evaluation, or from vaelib.train.fit, which returns it in eval mode): call "
            "model.train() before the loop. This model has no dropout or batch norm, but "
            "models with them train wrongly in eval mode.",
    "backward": "the weights never changed and no gradient was computed: call loss.backward() "
                "before optimizer.step(), so that the optimizer has gradients to follow.",
    "step": "the gradients were computed but the weights never changed: call optimizer.step() "
            "after loss.backward().",
    "zero_grad": "your steps match a loop that never resets the gradients: call "
                 "optimizer.zero_grad() before loss.backward(). PyTorch adds each new "
                 "gradient to the stored one, so without it every step follows the sum of all "
                 "gradients so far.",
    "batch_sum": "your losses are {ratio:g} times the course's: you summed over the images of "
                 "the batch. The course's loss is per image: sum over the pixels, then "
                 "average over the batch (.mean() over the images), so it does not grow with "
                 "the batch size. (Adam rescales its steps, so the weights barely change here; "
                 "with plain SGD the step would grow with the batch.)",
    "pixel_mean": "your losses are 1/{inverse:g} of the course's: you averaged over the "
                  "pixels too (as F.mse_loss does by default). The course's loss is per image: "
                  "||x - x_hat||^2 summed over the pixels, then averaged over the images of "
                  "the batch, e.g. squared_error(model(x), x).mean().",
    "history": "your training matches, but the returned list does not: append loss.item() "
               "once per step (the loss before that step), and return the list after `steps` "
               "steps.",
    "general": "loop until `steps` steps are done; each epoch, take minibatches from "
               "minibatches(len(images), batch_size, generator); per batch: loss = "
               "squared_error(model(x), x).mean(), optimizer.zero_grad(), loss.backward(), "
               "optimizer.step(), and append loss.item(). Create the Adam optimizer once, "
               "before the loop, with lr=lr, and call model.train() first.",
}


def check_training_loop(student: Callable) -> Verdict:
    """``student(model, images, steps, batch_size, lr, generator)`` trains an autoencoder.

    It runs on a tiny linear autoencoder (handed over in eval mode, as after an evaluation)
    and 12 images of 4 x 4 pixels, 7 steps of 4 images, and must take the same steps as
    ``train_autoencoder_reference`` and return the same list of losses. Named mistakes:
    model left in eval mode, no loss.backward(), no optimizer.step(), no
    optimizer.zero_grad(), the loss summed over the batch or averaged over the pixels.
    """
    name, d = "train_autoencoder", _LOOP_DATA

    def fail(problem: str, key: str, **fmt) -> Verdict:
        print(f"✗ `{name}`: {problem}.")
        print(f"  Hint: {TRAINING_LOOP_HINTS[key].format(**fmt)}")
        return Verdict(False)

    try:
        model, got = _run_loop(student)
    except NotImplementedError:
        print(f"Not done yet: fill in `{name}` above, run its cell, then run this cell again.")
        return Verdict(False)
    except Exception as err:  # a student's bug: report it, do not stop the notebook
        print(f"✗ `{name}` raised {type(err).__name__}: {err}")
        print(f"  Hint: {TRAINING_LOOP_HINTS['general']}")
        return Verdict(False)
    want_model, want = _run_loop(train_autoencoder_reference)
    start = _RecordingAE()
    if not model.modes:
        return fail("the model was never called with gradients on", "general")
    if not all(model.modes):
        return fail(f"{model.modes.count(False)} of {len(model.modes)} forward passes ran in "
                    "eval mode", "eval")
    if _same(model, start, tol=0):
        grads = [p.grad for p in model.parameters()]
        if all(g is None or not g.any() for g in grads):
            return fail("the weights are unchanged after training", "backward")
        return fail("the weights are unchanged after training", "step")
    try:
        got_t = torch.as_tensor(got, dtype=torch.float64).flatten()
    except (TypeError, ValueError, RuntimeError):
        got_t = None
    same_weights = _same(model, want_model)
    if got_t is None or len(got_t) != d["steps"]:
        what = "None" if got is None else _describe(got)
        if same_weights:
            return fail(f"expected a list of {d['steps']} losses, got {what}", "history")
        return fail(f"expected a list of {d['steps']} losses, got {what}", "general")
    want_t = torch.tensor(want, dtype=torch.float64)
    if same_weights and torch.allclose(got_t, want_t, rtol=1e-6, atol=1e-9):
        print(f"✓ `{name}` is correct (its {d['steps']} steps and losses match the course's loop,"
              f" on a tiny model).")
        return Verdict(True)
    if _same(model, _run_loop(_no_zero_grad_loop)[0]):
        return fail("the weights after training differ from the course's loop",
                    "zero_grad")
    ratio = got_t / want_t
    pixels = 16
    for key, factor, fmt in (("batch_sum", d["batch_size"], {"ratio": d["batch_size"]}),
                             ("pixel_mean", 1 / pixels, {"inverse": pixels})):
        if torch.allclose(ratio, torch.full_like(ratio, factor), rtol=1e-3):
            first = f"the first loss is {got_t[0]:.4g}, the course's {want_t[0]:.4g}"
            return fail(first, key, **fmt)
    if same_weights:
        return fail("the weights match, the returned losses do not", "history")
    return fail("the weights after training differ from the course's loop", "general")


__all__ += ["check_training_loop", "train_autoencoder_reference"]


# --- Notebook 07: free bits ------------------------------------------------------------------

def _kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1)                  # [B, D]


def check_free_bits(student: Callable) -> Verdict:
    """``student(mu, logvar, lam)``, mu and logvar [B, D], must return the free-bits KL
    sum_d max(lam, mean over the batch of KL_d) (Kingma et al., 2016), one number."""
    from .collapse import free_bits_kl

    g = torch.Generator().manual_seed(11)
    spread = torch.tensor([2.0, 1.0, 0.3, 0.05, 0.02, 1.5])               # some dims below lam
    cases = []
    for b, lam in ((64, 0.5), (16, 0.25)):
        mu = torch.randn(b, 6, generator=g) * spread
        logvar = torch.log(torch.tensor([0.05, 0.2, 0.9, 1.0, 0.97, 0.1])) \
            + 0.3 * torch.randn(b, 6, generator=g)
        cases.append((mu, logvar, lam))
    mistakes = {
        "you clamped each image's KL: free bits clamp the batch mean of each dimension's KL, "
        "mean over dim=0 first, then max(lam, .), then the sum over dimensions.":
            lambda m, lv, lam: _kl_per_dim(m, lv).clamp(min=lam).sum(dim=1).mean(),
        "you clamped the total KL: each dimension gets its own floor lam, so clamp the "
        "[D] vector of batch-mean KLs, then sum.":
            lambda m, lv, lam: _kl_per_dim(m, lv).mean(dim=0).sum().clamp(min=lam),
        "min where max belongs: a dimension below lam must be charged lam (so closing it "
        "saves nothing), use clamp(min=lam) or torch.maximum.":
            lambda m, lv, lam: _kl_per_dim(m, lv).mean(dim=0).clamp(max=lam).sum(),
        "you summed over the batch: take the mean over the images (dim=0).":
            lambda m, lv, lam: _kl_per_dim(m, lv).sum(dim=0).clamp(min=lam).sum(),
        "the Gaussian KL per dimension is 1/2 (mu^2 + sigma^2 - log sigma^2 - 1): the 1/2 is "
        "missing.":
            lambda m, lv, lam: (2 * _kl_per_dim(m, lv)).mean(dim=0).clamp(min=lam).sum(),
    }
    return check_function(
        lambda m, lv, lam: torch.as_tensor(student(m, lv, lam)), free_bits_kl, cases,
        mistakes=mistakes, name="free_bits",
        hint="per dimension: KL_d = 1/2 (mu^2 + exp(logvar) - logvar - 1), averaged over the "
             "batch (dim=0); then max(lam, KL_d) for each d, then the sum over d.")


__all__ += ["check_free_bits"]
