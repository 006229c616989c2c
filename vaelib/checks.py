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
    for n in (300, 40):
        mu = torch.randn(n, 6, generator=g) * spread
        logvar = 2 * torch.log(noise) + 0.2 * torch.randn(n, 6, generator=g)
        cases.append((mu, logvar))
    mistakes = {
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
        "you divided by sigma: the score of N(mu, sigma²) is (z − mu) / sigma², so with z − mu "
        "the division is by sigma squared.":
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
