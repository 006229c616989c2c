"""vaelib.sampling: the fitted Gaussian matches known samples; the judges tell digits from noise."""

import pytest
import torch

from vaelib.data import load_data
from vaelib.judge import JudgeConfig
from vaelib.models import ClassifierConfig
from vaelib.sampling import fit_gaussian, judge_samples, nearest_distances, sample_gaussian
from vaelib.train import TrainConfig, train_or_load


def _known_gaussian():
    mean = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    a = torch.tensor([[1.0, 0.0, 0.0], [0.8, 0.5, 0.0], [-0.3, 0.2, 0.3]], dtype=torch.float64)
    return mean, a @ a.T


def test_fit_gaussian_agrees_with_torch_mean_and_cov(gen):
    z = torch.randn(50, 4, generator=gen)
    mean, cov = fit_gaussian(z)
    torch.testing.assert_close(mean, z.double().mean(dim=0))
    torch.testing.assert_close(cov, torch.cov(z.double().T))
    with pytest.raises(ValueError, match="at least 2 codes"):
        fit_gaussian(torch.zeros(1, 4))


def test_sample_gaussian_with_fixed_eps_is_mean_plus_cholesky_times_eps(gen):
    mean, cov = _known_gaussian()
    eps = torch.randn(7, 3, generator=gen, dtype=torch.float64)
    z = sample_gaussian(mean, cov, 7, eps=eps)
    expected = mean + eps @ torch.linalg.cholesky(cov).T
    torch.testing.assert_close(z, expected.float())
    a = sample_gaussian(mean, cov, 5, generator=torch.Generator().manual_seed(3))
    b = sample_gaussian(mean, cov, 5, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)


def test_a_known_gaussian_sample_fits_back_to_itself():
    mean, cov = _known_gaussian()
    z = sample_gaussian(mean, cov, 20000, generator=torch.Generator().manual_seed(0))
    fitted_mean, fitted_cov = fit_gaussian(z)
    torch.testing.assert_close(fitted_mean, mean, atol=0.03, rtol=0)
    torch.testing.assert_close(fitted_cov, cov, atol=0.04, rtol=0)
    # ... and sampling from the fit gives the same cloud again
    again = sample_gaussian(fitted_mean, fitted_cov, 20000,
                            generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(fit_gaussian(again)[1], cov, atol=0.06, rtol=0)


def test_sample_gaussian_survives_a_singular_covariance():
    cov = torch.tensor([[1.0, 1.0], [1.0, 1.0]], dtype=torch.float64)   # a line
    z = sample_gaussian(torch.zeros(2), cov, 100, generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(z).all()
    torch.testing.assert_close(z[:, 0], z[:, 1], atol=1e-3, rtol=0)


def test_nearest_distances_is_zero_for_members_and_rms_otherwise():
    ref = torch.stack([torch.zeros(1, 2, 2), torch.ones(1, 2, 2)])       # [2, 1, 2, 2]
    x = torch.stack([torch.ones(1, 2, 2), torch.full((1, 2, 2), 0.25)])
    torch.testing.assert_close(nearest_distances(x, ref), torch.tensor([0.0, 0.25]))


@pytest.fixture(scope="module")
def digits_and_judge(tmp_path_factory):
    train = load_data("train")
    judge, _ = train_or_load(JudgeConfig(), TrainConfig(steps=400), train,
                             directory=tmp_path_factory.mktemp("ckpt"), progress=False)
    return train, judge


def test_judge_scores_real_digits_better_than_noise(digits_and_judge):
    train, judge = digits_and_judge
    reference, held_out = train.images[:1000], train.images[-300:]
    noise = torch.rand(300, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    real = judge_samples(held_out, reference, judge)
    fake = judge_samples(noise, reference, judge)
    assert real["n"] == fake["n"] == 300
    assert real["nearest"] < fake["nearest"] / 2         # noise is far from every digit
    # Nearness alone rewards faint images: a blank page lies about as near the digits as a
    # real digit does (the docstring warns of it), far nearer than noise.
    blank = judge_samples(torch.zeros(300, 1, 28, 28), reference, judge)
    assert blank["nearest"] < fake["nearest"] / 2
    # ... but the judge rejects it, and the noise, and accepts the held-out digits.
    assert blank["digit_like"] < 0.05 and fake["digit_like"] < 0.05
    assert real["digit_like"] > 0.9
    # Precision and recall against other real digits: high for real digits, 0 for noise.
    other = train.images[-600:-300]
    pr_real = judge_samples(held_out, reference, judge, real=other)
    pr_noise = judge_samples(noise, reference, judge, real=other)
    assert pr_real["precision"] > 0.8 and pr_real["recall"] > 0.8
    assert pr_noise["precision"] < 0.05
    # Training images are their own nearest neighbours.
    own = judge_samples(reference[:50], reference, judge)
    assert own["nearest"] == pytest.approx(0.0, abs=1e-3)


def test_judge_samples_refuses_a_plain_classifier(tmp_path):
    train = load_data("train")
    classifier, _ = train_or_load(ClassifierConfig(), TrainConfig(steps=5), train,
                                  directory=tmp_path, progress=False)
    with pytest.raises(TypeError, match="zoo.load\\('judge'"):
        judge_samples(train.images[:10], train.images[:100], classifier)
