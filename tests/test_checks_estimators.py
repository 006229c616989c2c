"""``check_score_grad_mu`` (notebook 03): right answers pass, known mistakes get their hint."""

import pytest
import torch

from vaelib import estimators
from vaelib.checks import check_score_grad_mu


def right(f, mu, sigma, eps, baseline):
    z = mu + sigma * eps
    return (f(z) - baseline) * (z - mu) / sigma**2


def right_with_eps(f, mu, sigma, eps, baseline):
    return (f(mu + sigma * eps) - baseline) * eps / sigma  # eps = (z - mu) / sigma


def right_from_library(f, mu, sigma, eps, baseline):
    return estimators.score_function(f, mu, sigma, eps, baseline).d_mu


@pytest.mark.parametrize("answer", [right, right_with_eps, right_from_library])
def test_right_answers_pass(answer, capsys):
    assert check_score_grad_mu(answer)
    assert "✓ `score_grad_mu` is correct" in capsys.readouterr().out


def test_a_stub_is_not_an_error(capsys):
    def stub(f, mu, sigma, eps, baseline):
        raise NotImplementedError

    assert not check_score_grad_mu(stub)
    assert "Not done yet" in capsys.readouterr().out


MISTAKES = {
    "divided by sigma instead of sigma squared":
        (lambda f, mu, sigma, eps, b: (f(mu + sigma * eps) - b) * (sigma * eps) / sigma,
         "one factor 1/sigma is missing"),
    "no baseline":
        (lambda f, mu, sigma, eps, b: f(mu + sigma * eps) * eps / sigma,
         "the baseline is missing"),
    "baseline subtracted from the product":
        (lambda f, mu, sigma, eps, b: f(mu + sigma * eps) * eps / sigma - b,
         "not from the product"),
    "eps with the 1/sigma^2 of (z - mu)":
        (lambda f, mu, sigma, eps, b: (f(mu + sigma * eps) - b) * eps / sigma**2,
         "eps is already (z − mu) / sigma"),
    "the pathwise estimate f'(z)":
        (lambda f, mu, sigma, eps, b: torch.cos(mu + sigma * eps),
         "pathwise estimate"),
    "the mean instead of one value per draw":
        (lambda f, mu, sigma, eps, b: right(f, mu, sigma, eps, b).mean(),
         "not their mean"),
    "the sign flipped":
        (lambda f, mu, sigma, eps, b: -right(f, mu, sigma, eps, b),
         "check the sign"),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_each_known_mistake_gets_its_hint(mistake, capsys):
    answer, hint = MISTAKES[mistake]
    assert not check_score_grad_mu(answer)
    out = capsys.readouterr().out
    assert out.startswith("✗ `score_grad_mu`")
    assert hint in out


def test_an_unknown_mistake_gets_the_general_hint(capsys):
    assert not check_score_grad_mu(lambda f, mu, sigma, eps, b: 3 * right(f, mu, sigma, eps, b))
    out = capsys.readouterr().out
    assert "values differ" in out and "(z − mu) / sigma²; return" in out


def test_a_crash_is_reported_not_raised(capsys):
    assert not check_score_grad_mu(lambda f, mu, sigma, eps, b: 1 / 0)
    assert "raised ZeroDivisionError" in capsys.readouterr().out
