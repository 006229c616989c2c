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
