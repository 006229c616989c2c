import torch

from vaelib import checks
from vaelib.losses import elbo, gaussian_kl, reparameterize


def test_correct_functions_pass(capsys):
    assert checks.check_reparameterize(lambda mu, lv, eps: reparameterize(mu, lv, eps))
    assert checks.check_gaussian_kl(gaussian_kl)
    assert checks.check_elbo(lambda *a: elbo(*a).elbo)
    assert capsys.readouterr().out.count("✓") == 3


def test_a_stub_does_not_raise(capsys):
    def stub(mu, logvar, eps):
        raise NotImplementedError

    assert not checks.check_reparameterize(stub)
    assert "Not done yet" in capsys.readouterr().out


def test_common_mistakes_get_a_hint(capsys):
    assert not checks.check_reparameterize(lambda mu, lv, eps: mu + eps * torch.exp(lv))
    out = capsys.readouterr().out
    assert "values differ" in out and "exp(logvar / 2)" in out

    assert not checks.check_gaussian_kl(lambda mu, lv: gaussian_kl(mu, lv).mean())
    assert "expected shape" in capsys.readouterr().out

    assert not checks.check_gaussian_kl(lambda mu, lv: 1 / 0)
    assert "raised ZeroDivisionError" in capsys.readouterr().out

    assert not checks.check_elbo(lambda x, logits, mu, lv: -elbo(x, logits, mu, lv).elbo)
    assert "Hint" in capsys.readouterr().out


def test_a_verdict_is_truthy_and_displays_nothing():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    assert checks.Verdict(True) and not checks.Verdict(False)
    assert checks.Verdict(True) == True  # noqa: E712
    assert shell.display_formatter.format(checks.Verdict(True)) == ({}, {})


# --- Notebook 04: the box under the prior, and the KL between two Gaussians -----------------

import math  # noqa: E402  (this block is appended; its imports stay with it)

import pytest  # noqa: E402

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _box_kl(a, b):
    return -torch.log(b - a) + HALF_LOG_2PI + (a**2 + a * b + b**2) / 6


def test_box_kl_check_accepts_the_formula_and_torch_distributions(capsys):
    from torch.distributions import Normal, Uniform, kl_divergence

    assert checks.check_box_kl(_box_kl)
    assert checks.check_box_kl(lambda a, b: kl_divergence(Uniform(a, b), Normal(0.0, 1.0)))
    assert capsys.readouterr().out.count("✓") == 2


@pytest.mark.parametrize("wrong, words", [
    (lambda a, b: -torch.log(b - a) + (a**2 + a * b + b**2) / 6, "½ log 2π"),
    (lambda a, b: -torch.log(b - a) + HALF_LOG_2PI + (a + b) ** 2 / 8, "squared mean ((a + b)/2)²"),
    (lambda a, b: -torch.log(b - a) + HALF_LOG_2PI + (a + b) ** 2 / 4, "(a + b)²/4 is the squared"),
    (lambda a, b: torch.log(b - a) + HALF_LOG_2PI + (a**2 + a * b + b**2) / 6,
     "sign of the entropy"),
    (lambda a, b: -torch.log(b - a) + HALF_LOG_2PI + (a**2 + a * b + b**2) / 3, "left out the ½"),
])
def test_box_kl_check_names_each_known_mistake(wrong, words, capsys):
    assert not checks.check_box_kl(wrong)
    out = capsys.readouterr().out
    assert out.startswith("✗") and words in out.split("Hint:")[1]


def test_box_kl_check_on_a_stub_and_an_unknown_mistake(capsys):
    def stub(a, b):
        raise NotImplementedError

    assert not checks.check_box_kl(stub)
    assert "Not done yet" in capsys.readouterr().out
    assert not checks.check_box_kl(lambda a, b: _box_kl(a, b) + 1.0)
    assert "E[z²] of the box" in capsys.readouterr().out  # the general hint


def _kl_general(mu1, s1, mu2, s2):
    return torch.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5


def test_gaussian_kl_general_check_accepts_the_formula_and_torch_distributions(capsys):
    from torch.distributions import Normal, kl_divergence

    assert checks.check_gaussian_kl_general(_kl_general)
    assert checks.check_gaussian_kl_general(
        lambda m1, s1, m2, s2: kl_divergence(Normal(m1, s1), Normal(m2, s2)))
    assert capsys.readouterr().out.count("✓") == 2


@pytest.mark.parametrize("wrong, words", [
    (lambda m1, s1, m2, s2: _kl_general(m2, s2, m1, s1), "arguments are swapped"),
    (lambda m1, s1, m2, s2: torch.log(s2 / s1) + s1**2 / (2 * s2**2) + (m1 - m2) ** 2 / 2 - 0.5,
     "divided by the variance of the second"),
    (lambda m1, s1, m2, s2: torch.log(s1 / s2) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5,
     "sign of the log term"),
    (lambda m1, s1, m2, s2: _kl_general(m1, s1, m2, s2) + 0.5, "− ½ is missing"),
    (lambda m1, s1, m2, s2: _kl_general(m1, s1, m2, s2) + torch.log(s2 / s1), "without the ½"),
])
def test_gaussian_kl_general_check_names_each_known_mistake(wrong, words, capsys):
    assert not checks.check_gaussian_kl_general(wrong)
    out = capsys.readouterr().out
    assert out.startswith("✗") and words in out.split("Hint:")[1]


def test_gaussian_kl_general_check_on_a_stub(capsys):
    def stub(mu1, sigma1, mu2, sigma2):
        raise NotImplementedError

    assert not checks.check_gaussian_kl_general(stub)
    assert "Not done yet" in capsys.readouterr().out


def test_pick_takes_the_students_function_only_when_it_passed(capsys):
    def mine(x):
        return x + 1

    def library(x):
        return x + 2

    assert checks.pick(mine, library, checks.Verdict(True), "f") is mine
    assert "Using your `f`" in capsys.readouterr().out
    assert checks.pick(mine, library, checks.Verdict(False), "f") is library
    assert "vaelib's `f`" in capsys.readouterr().out


# --- Notebook 08: log_mean_exp names each usual mistake ------------------------------------

@pytest.mark.parametrize("wrong, words", [
    (lambda lw: torch.log(torch.exp(lw).mean(0)), "-inf"),
    (lambda lw: torch.logsumexp(lw, 0), "left out 1/k"),
    (lambda lw: lw.mean(0), "ELBO"),
    (lambda lw: torch.logsumexp(lw, 1) - math.log(lw.shape[1]), "wrong axis"),
    (lambda lw: torch.logsumexp(lw, 0) - math.log(lw.shape[1]), "number of images B"),
    (lambda lw: lw.max(0).values, "only the largest log weight"),
])
def test_log_mean_exp_check_names_each_known_mistake(wrong, words, capsys):
    assert not checks.check_log_mean_exp(wrong)
    out = capsys.readouterr().out
    assert out.startswith("✗") and words in out.split("Hint:")[1]


def test_log_mean_exp_solution_agrees_with_the_library(capsys):
    from pathlib import Path

    import nbformat

    from vaelib.amortization import log_mean_exp

    path = Path(__file__).resolve().parents[1] / "notebooks" / "08_amortized_inference.ipynb"
    cell = next(c for c in nbformat.read(path, as_version=4).cells
                if "solution" in c.metadata.get("tags", []) and "log_mean_exp_solution" in c.source)
    namespace = {"torch": torch, "check_log_mean_exp": checks.check_log_mean_exp}
    exec(cell.source, namespace)                 # the notebook's worked answer
    solution = namespace["log_mean_exp_solution"]

    assert checks.check_log_mean_exp(solution) and checks.check_log_mean_exp(log_mean_exp)
    logw = -900 + 30 * torch.randn(300, 7, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(solution(logw), log_mean_exp(logw))


def _nn_solution(z):                                  # notebook 02's solution
    d = torch.cdist(z, z)
    d.fill_diagonal_(float("inf"))
    return d.min(dim=1).values


def _nn_zeros_masked(z):
    d = torch.cdist(z, z)
    d[d == 0] = float("inf")
    return d.min(dim=1).values


@pytest.mark.parametrize("wrong, words", [
    (lambda z: torch.zeros(len(z)), "its own nearest neighbour"),
    (lambda z: _nn_solution(z).pow(2), "squared distances"),
    (_nn_zeros_masked, "fill_diagonal_"),
])
def test_nearest_neighbour_check_names_each_known_mistake(wrong, words, capsys):
    assert not checks.check_nearest_neighbour_distances(wrong)
    out = capsys.readouterr().out
    assert out.startswith("✗") and words in out.split("Hint:")[1]


def test_nearest_neighbour_solution_passes_and_agrees_with_the_library(capsys):
    from vaelib.geometry import nearest_neighbour_distances
    assert checks.check_nearest_neighbour_distances(_nn_solution)
    assert capsys.readouterr().out.startswith("✓")
    z = torch.randn(300, 2, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(_nn_solution(z), nearest_neighbour_distances(z))


# --- Notebook 06: the class-mean KL the student writes ------------------------------------

def _class_mean_kl_solution(mu, logvar, class_means, y):
    """The worked solution of notebook 06."""
    mu_y = class_means[y]
    return 0.5 * ((mu - mu_y) ** 2 + logvar.exp() - logvar - 1).sum(dim=1)


def test_class_mean_kl_solution_agrees_with_the_library_and_torch():
    g = torch.Generator().manual_seed(1)
    mu, logvar = torch.randn(7, 3, generator=g), torch.randn(7, 3, generator=g)
    means, y = 2 * torch.randn(10, 3, generator=g), torch.randint(0, 10, (7,), generator=g)
    torch.testing.assert_close(_class_mean_kl_solution(mu, logvar, means, y),
                               gaussian_kl(mu, logvar, means[y]))
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(means[y], torch.ones_like(mu))
    torch.testing.assert_close(_class_mean_kl_solution(mu, logvar, means, y),
                               torch.distributions.kl_divergence(q, p).sum(dim=1))


_CLASS_MEAN_KL_WRONG = {
    "class means are missing": lambda mu, lv, m, y: 0.5 * (mu**2 + lv.exp() - lv - 1).sum(1),
    "check the sign": lambda mu, lv, m, y: 0.5 * ((mu + m[y])**2 + lv.exp() - lv - 1).sum(1),
    "factor 1/2": lambda mu, lv, m, y: ((mu - m[y])**2 + lv.exp() - lv - 1).sum(1),
    "you averaged": lambda mu, lv, m, y: 0.5 * ((mu - m[y])**2 + lv.exp() - lv - 1).mean(1),
    "one KL per sample": lambda mu, lv, m, y: 0.5 * ((mu - m[y])**2 + lv.exp() - lv - 1),
    "exp(logvar / 2)": lambda mu, lv, m, y: 0.5 * ((mu - m[y])**2 + (lv / 2).exp() - lv - 1).sum(1),
    "the -1 inside": lambda mu, lv, m, y: 0.5 * ((mu - m[y])**2 + lv.exp() - lv).sum(1),
    "other direction": lambda mu, lv, m, y: 0.5 * (((mu - m[y])**2 + 1) / lv.exp() + lv - 1).sum(1),
}


def test_class_mean_kl_check_passes_the_solution(capsys):
    assert checks.check_class_mean_kl(_class_mean_kl_solution)
    assert "✓" in capsys.readouterr().out


def test_cvae_plot_helpers_draw():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vaelib import plots

    fig, ax = plt.subplots()
    plots.class_mean_discs(ax, torch.randn(10, 2))
    assert len(ax.patches) == 10
    fig, ax = plt.subplots()                     # two means 0.1 apart: both numbers moved apart
    plots.class_mean_discs(ax, torch.tensor([[0.0, 0.0], [0.1, 0.0], [3.0, 3.0]]))
    offsets = [a.xyann for a in ax.texts]
    assert offsets[0][0] < 0 < offsets[1][0] and offsets[2] == (0.0, 0.0)
    ax = plots.framed_images(torch.rand(22, 1, 28, 28), 11, {3: "tab:red"})
    assert len(ax.patches) == 1
    ax = plots.grouped_bars({"a": torch.rand(10), "b": torch.rand(10)})
    assert len(ax.patches) == 20
    plt.close("all")


# --- Notebooks 03 and 04: reparameterize, the two heads, gaussian_kl ---------------------------

def _solution(notebook: str, name: str):
    """Run the notebook's solution cell that defines ``name`` and return that definition."""
    from pathlib import Path

    import nbformat
    from torch import nn

    path = Path(__file__).resolve().parents[1] / "notebooks" / notebook
    for cell in nbformat.read(path, as_version=4).cells:
        if "solution" in cell.metadata.get("tags", []) and name in cell.source:
            namespace = {"torch": torch, "nn": nn, "checks": checks}
            exec(cell.source, namespace)
            return namespace[name]
    raise AssertionError(f"no solution cell defines {name}")


_REPARAM_WRONG = {
    "sigma = exp(logvar) is the variance": lambda mu, lv, eps: mu + eps * torch.exp(lv),
    "logvar is log sigma², not sigma": lambda mu, lv, eps: mu + eps * lv,
    "logvar / 2 is log sigma, not sigma": lambda mu, lv, eps: mu + eps * lv / 2,
    "the centre is missing": lambda mu, lv, eps: eps * torch.exp(0.5 * lv),
    "the noise is missing": lambda mu, lv, eps: mu + torch.exp(0.5 * lv),
    "exp(-logvar / 2) is 1 / sigma": lambda mu, lv, eps: mu + eps / torch.exp(0.5 * lv),
    "the noise multiplies sigma only": lambda mu, lv, eps: (mu + torch.exp(0.5 * lv)) * eps,
}


def _kl_terms(mu, lv):
    return mu**2 + lv.exp() - lv - 1


_KL_WRONG = {
    "the factor 1/2 is missing": lambda mu, lv: _kl_terms(mu, lv).sum(-1),
    "check the sign of the log term": lambda mu, lv: 0.5 * (mu**2 + lv.exp() + lv - 1).sum(-1),
    "that is sigma, not sigma²": lambda mu, lv: 0.5 * (mu**2 + (lv / 2).exp() - lv - 1).sum(-1),
    "that is log sigma, not log sigma²":
        lambda mu, lv: 0.5 * (mu**2 + lv.exp() - lv / 2 - 1).sum(-1),
    "the - 1 is missing": lambda mu, lv: 0.5 * (mu**2 + lv.exp() - lv).sum(-1),
    "do not average them": lambda mu, lv: 0.5 * _kl_terms(mu, lv).mean(-1),
    "no mean over the batch": lambda mu, lv: 0.5 * _kl_terms(mu, lv).sum(-1).mean(),
    "not over the batch too": lambda mu, lv: 0.5 * _kl_terms(mu, lv).sum(),
}


def _two_heads(act_mu=None, act_logvar=None, relu=True, same=False, no_shared=False):
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self, x_dim, hidden, z_dim):
            super().__init__()
            self.shared = nn.Sequential(nn.Linear(x_dim, hidden), *([nn.ReLU()] if relu else []))
            self.mu = nn.Linear(x_dim if no_shared else hidden, z_dim)
            self.logvar = nn.Linear(x_dim if no_shared else hidden, z_dim)

        def forward(self, x):
            h = x if no_shared else self.shared(x)
            mu = self.mu(h)
            logvar = mu if same else self.logvar(h)
            return ((act_mu or (lambda t: t))(mu), (act_logvar or (lambda t: t))(logvar))

    return Encoder


_HEADS_WRONG = {
    "no activation (ReLU, exp, softplus) after the log-variance head":
        _two_heads(act_logvar=torch.exp),
    "no activation after the mu head": _two_heads(act_mu=torch.relu),
    "give each head its own layer": _two_heads(same=True),
    "put a ReLU after the shared layer": _two_heads(relu=False),
    "found 3 linear layers": _two_heads(no_shared=True),
}


def test_two_heads_check_passes_the_library_and_leaves_the_random_state(capsys):
    from vaelib import lesson

    before = torch.random.get_rng_state()
    assert checks.check_two_heads(_two_heads())
    assert checks.check_two_heads(lesson.TwoHeads)
    assert torch.equal(before, torch.random.get_rng_state())
    assert capsys.readouterr().out.count("✓") == 2


def test_score_grad_mu_missing_sigma_gets_the_right_hint(capsys):
    wrong = lambda f, mu, sigma, eps, b: (f(mu + sigma * eps) - b) * eps  # noqa: E731
    assert not checks.check_score_grad_mu(wrong)
    assert "one factor 1/sigma is missing" in capsys.readouterr().out


def test_notebook_solutions_agree_with_vaelib(capsys):
    from vaelib import lesson, losses

    g = torch.Generator().manual_seed(0)
    mu, lv, eps = (torch.randn(6, 3, generator=g) for _ in range(3))
    reparam = _solution("03_reparameterization.ipynb", "reparameterize_solution")
    torch.testing.assert_close(reparam(mu, lv, eps), losses.reparameterize(mu, lv, eps))
    kl = _solution("04_kl_divergence.ipynb", "gaussian_kl_solution")
    torch.testing.assert_close(kl(mu, lv), losses.gaussian_kl(mu, lv))
    heads = _solution("03_reparameterization.ipynb", "TwoHeadEncoder_solution")
    torch.manual_seed(0)
    ours, theirs = heads(784, 32, 2), lesson.TwoHeads(784, 32, 2)
    theirs.load_state_dict(ours.state_dict())  # same layer names: shared.0, mu, logvar
    x = torch.rand(5, 784, generator=g)
    for a, b in zip(ours(x), theirs(x)):
        torch.testing.assert_close(a, b)


# --- Notebook 07: info_per_dim accepts the biased variance; two more named mistakes -----------

def test_info_per_dim_accepts_the_biased_variance_and_names_per_image_and_log_averages(capsys):
    def biased(mu, logvar):
        return 0.5 * torch.log1p(mu.var(dim=0, unbiased=False) / logvar.exp().mean(dim=0))

    assert checks.check_info_per_dim(biased)
    assert "✓" in capsys.readouterr().out
    wrong = {
        "averaged it": lambda m, lv: (0.5 * torch.log1p(m.var(0) / lv.exp())).mean(0),
        "geometric mean": lambda m, lv: 0.5 * torch.log1p(m.var(0) / lv.mean(0).exp()),
    }
    for words, fn in wrong.items():
        assert not checks.check_info_per_dim(fn)
        out = capsys.readouterr().out
        assert out.startswith("✗") and words in out, (words, out)


def test_notebook_06_class_mean_kl_solution_agrees_with_vaelib():
    solution = _solution("06_cvae.ipynb", "class_mean_kl_solution")
    g = torch.Generator().manual_seed(2)
    mu, logvar = torch.randn(9, 4, generator=g), torch.randn(9, 4, generator=g)
    means, y = 3 * torch.randn(10, 4, generator=g), torch.randint(0, 10, (9,), generator=g)
    torch.testing.assert_close(solution(mu, logvar, means, y), gaussian_kl(mu, logvar, means[y]))


# --- Notebook 01: the student's training loop -----------------------------------------------

def _loop(zero_grad=True, backward=True, step=True, train=True, reduce="per image"):
    """A training loop for check_training_loop, right by default, with one mistake on request."""
    import torch.nn.functional as F

    from vaelib.data import minibatches
    from vaelib.losses import squared_error

    def loop(model, images, steps, batch_size=128, lr=1e-3, generator=None):
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        if train:
            model.train()
        history = []
        while len(history) < steps:
            for idx in minibatches(len(images), batch_size, generator):
                x = images[idx]
                per_image = squared_error(model(x), x)
                loss = {"per image": per_image.mean(), "batch sum": per_image.sum(),
                        "pixel mean": F.mse_loss(torch.sigmoid(model(x)), x)}[reduce]
                if zero_grad:
                    optimizer.zero_grad()
                if backward:
                    loss.backward()
                if step:
                    optimizer.step()
                history.append(loss.item())
                if len(history) == steps:
                    break
        return history
    return loop


def test_training_loop_right_answers_pass(capsys):
    assert checks.check_training_loop(checks.train_autoencoder_reference)
    assert checks.check_training_loop(_loop())
    assert capsys.readouterr().out.count("✓") == 2


def test_training_loop_mistakes_get_their_own_hint(capsys):
    wrong = {
        "optimizer.zero_grad()": _loop(zero_grad=False),
        "call loss.backward()": _loop(backward=False),
        "call optimizer.step()": _loop(step=False),
        "call model.train()": _loop(train=False),
        "summed over the images of the batch": _loop(reduce="batch sum"),
        "averaged over the pixels": _loop(reduce="pixel mean"),
    }
    for words, loop in wrong.items():
        assert not checks.check_training_loop(loop)
        out = capsys.readouterr().out
        assert out.startswith("✗") and words in out, (words, out)
        others = [w for w in wrong if w != words]
        assert not any(w in out for w in others), (words, out)


def test_training_loop_stub_and_missing_return(capsys):
    def stub(model, images, steps, batch_size=128, lr=1e-3, generator=None):
        raise NotImplementedError

    assert not checks.check_training_loop(stub)
    assert "Not done yet" in capsys.readouterr().out

    def no_return(*args, **kwargs):
        _loop()(*args, **kwargs)

    assert not checks.check_training_loop(no_return)
    assert "append loss.item()" in capsys.readouterr().out


# --- Notebook 05: check_elbo names the usual mistakes in the VAE's loss ---------------------

def _bce_sum(x, logits):
    return torch.nn.functional.binary_cross_entropy_with_logits(
        logits.flatten(1), x.flatten(1), reduction="none").sum(1)


def _kl_sum(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(1)


@pytest.mark.parametrize("wrong, words", [
    (lambda x, lg, mu, lv: _bce_sum(x, lg) + _kl_sum(mu, lv), "you returned the loss"),
    (lambda x, lg, mu, lv: -(_bce_sum(x, lg) / 784 + _kl_sum(mu, lv)), "averaged over the pixels"),
    (lambda x, lg, mu, lv: -(_bce_sum(x, lg) + _kl_sum(mu, lv) / mu.shape[1]),
     "averaged over the latent dimensions"),
    (lambda x, lg, mu, lv: -_bce_sum(x, lg) + _kl_sum(mu, lv), "wrong sign"),
    (lambda x, lg, mu, lv: -(_bce_sum(x, lg) + 2 * _kl_sum(mu, lv)), "the 1/2"),
    (lambda x, lg, mu, lv: -(_bce_sum(x, lg)
                             + 0.5 * (mu.pow(2) + (0.5 * lv).exp() - lv - 1).sum(1)),
     "sigma where it needs sigma^2"),
    (lambda x, lg, mu, lv: -((x - torch.sigmoid(lg)).flatten(1).pow(2).sum(1) + _kl_sum(mu, lv)),
     "squared error"),
])
def test_elbo_check_names_each_known_mistake(wrong, words, capsys):
    assert not checks.check_elbo(wrong)
    out = capsys.readouterr().out
    assert words in out and "✗" in out


def test_elbo_check_accepts_the_formula_and_the_library(capsys):
    assert checks.check_elbo(lambda x, lg, mu, lv: -(_bce_sum(x, lg) + _kl_sum(mu, lv)))
    assert checks.check_elbo(lambda *a: elbo(*a).elbo)
    assert capsys.readouterr().out.count("✓") == 2


# --- Notebook 07: free bits --------------------------------------------------------------------

def _free_bits_right(mu, logvar, lam):
    kl_d = 0.5 * (mu**2 + logvar.exp() - logvar - 1)
    return kl_d.mean(dim=0).clamp(min=lam).sum()


def test_free_bits_accepts_the_formula_and_names_each_known_mistake(capsys):
    from vaelib.collapse import free_bits_kl

    assert checks.check_free_bits(_free_bits_right)
    assert checks.check_free_bits(free_bits_kl)                      # the library agrees
    assert "✓" in capsys.readouterr().out

    def kl(m, lv):
        return 0.5 * (m**2 + lv.exp() - lv - 1)

    wrong = {
        "each image's KL": lambda m, lv, lam: kl(m, lv).clamp(min=lam).sum(1).mean(),
        "the total KL": lambda m, lv, lam: kl(m, lv).mean(0).sum().clamp(min=lam),
        "min where max": lambda m, lv, lam: kl(m, lv).mean(0).clamp(max=lam).sum(),
        "summed over the batch": lambda m, lv, lam: kl(m, lv).sum(0).clamp(min=lam).sum(),
        "the 1/2 is": lambda m, lv, lam: (2 * kl(m, lv)).mean(0).clamp(min=lam).sum(),
    }
    for words, fn in wrong.items():
        assert not checks.check_free_bits(fn)
        out = capsys.readouterr().out
        assert out.startswith("✗") and words in out, (words, out)
    assert not checks.check_free_bits(lambda m, lv, lam: kl(m, lv).mean(0).sum())  # no floor
    assert "each dimension gets its own floor" in capsys.readouterr().out
    assert not checks.check_free_bits(lambda m, lv, lam: kl(m, lv).mean(0).clamp(min=lam).mean())
    assert "Hint: per dimension" in capsys.readouterr().out


def test_free_bits_solution_of_notebook_07_agrees_with_the_library():
    import json
    from pathlib import Path

    from vaelib.collapse import free_bits_kl

    nb = json.loads(Path(__file__).parents[1].joinpath(
        "notebooks", "07_adversarial_noise.ipynb").read_text())
    source = next("".join(c["source"]) for c in nb["cells"]
                  if "def free_bits_solution" in "".join(c["source"]))
    namespace = {"torch": torch, "checks": checks}
    exec(source, namespace)                                          # defines and checks it
    g = torch.Generator().manual_seed(3)
    mu, logvar = torch.randn(32, 5, generator=g), torch.randn(32, 5, generator=g)
    torch.testing.assert_close(namespace["free_bits_solution"](mu, logvar, 0.4),
                               free_bits_kl(mu, logvar, 0.4))


_USUAL_MISTAKES = [(check, hint, wrong) for check, table in (
    (checks.check_class_mean_kl, _CLASS_MEAN_KL_WRONG),
    (checks.check_reparameterize, _REPARAM_WRONG),
    (checks.check_gaussian_kl, _KL_WRONG),
    (checks.check_two_heads, _HEADS_WRONG))
    for hint, wrong in table.items()]


@pytest.mark.parametrize("check, hint, wrong", _USUAL_MISTAKES,
                         ids=[f"{check.__name__}: {hint}" for check, hint, _ in _USUAL_MISTAKES])
def test_each_check_names_each_usual_mistake(check, hint, wrong, capsys):
    """A wrong answer fails its check, and the check's message names that mistake."""
    assert not check(wrong)
    out = capsys.readouterr().out
    assert "✗" in out and hint in out
