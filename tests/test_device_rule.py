"""The device rule and the sync-free training loop, checked on the CPU.

(tests/test_gpu.py runs the same paths on a CUDA GPU when there is one.)
"""

import pytest
import torch
from torch import nn

from vaelib.data import Data, minibatches
from vaelib.device import model_device, move, randn
from vaelib.dynamics import summarize_run
from vaelib.evaluation import (
    elbo_per_image,
    grid_log_likelihood,
    iw_curve,
    iw_log_likelihood,
    log_joint_at,
    log_joint_terms,
    log_px_given_z,
)
from vaelib.inference import elbo_estimate, per_sample_vi, refine
from vaelib.models import VAE, AEConfig, Autoencoder, VAEConfig
from vaelib.train import TrainConfig, TrainingDiverged, fit

TINY = VAEConfig(hidden=(16,), z_dim=2)
CPU = torch.device("cpu")


def tiny_data(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Data(torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 10, "random test images")


def test_model_device_and_move():
    assert model_device(VAE(TINY)) == CPU
    assert model_device(VAE(TINY).to("meta")) == torch.device("meta")
    assert model_device(nn.ReLU()) == CPU  # no parameters: the CPU
    x = torch.ones(2)
    assert move(None, CPU) is None and move(x, CPU) is x
    assert move(x, "meta").device == torch.device("meta")


def test_randn_draws_on_the_generators_device_and_returns_on_the_asked_one():
    want = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    got = randn((3, 4), torch.Generator().manual_seed(0), CPU)
    assert torch.equal(got, want)
    on_meta = randn((3, 4), torch.Generator().manual_seed(0), torch.device("meta"))
    assert on_meta.device == torch.device("meta") and on_meta.shape == (3, 4)
    assert randn((2,), None, CPU, torch.float64).dtype == torch.float64


def test_minibatches_on_a_device_are_the_same_batches():
    a = list(minibatches(10, 4, torch.Generator().manual_seed(0)))
    b = list(minibatches(10, 4, torch.Generator().manual_seed(0), device=CPU))
    assert all(torch.equal(i, j) for i, j in zip(a, b))
    assert all(i.device == torch.device("meta")
               for i in minibatches(10, 4, torch.Generator().manual_seed(0), device="meta"))


class Recording(VAE):
    """A VAE that records where it is moved."""

    def __init__(self, config):
        super().__init__(config)
        self.moves = []

    def to(self, *args, **kwargs):
        self.moves.append(torch.device(args[0]) if args else kwargs.get("device"))
        return super().to(*args, **kwargs)


def test_fit_trains_on_the_device_asked_and_returns_the_model_where_it_came(monkeypatch):
    torch.manual_seed(0)
    model = Recording(TINY)
    params = list(model.parameters())
    monkeypatch.setattr("vaelib.train.default_device", lambda: torch.device("cpu"))
    fit(model, tiny_data().images, config=TrainConfig(steps=2, batch_size=32), progress=False)
    assert model.moves == [CPU, CPU]  # to the training device, then back home
    assert model_device(model) == CPU and not model.training
    assert all(p is q for p, q in zip(params, model.parameters()))  # trained in place
    assert model.encode(tiny_data().images[:3])[0].shape == (3, 2)  # usable right away


def test_fit_returns_the_model_home_even_when_training_diverges():
    torch.manual_seed(0)
    model = Recording(TINY)
    with torch.no_grad():
        model.encoder.net[0].weight.fill_(float("nan"))
    with pytest.raises(TrainingDiverged):
        fit(model, tiny_data().images, config=TrainConfig(steps=3), device=CPU, progress=False)
    assert model.moves[-1] == CPU and not model.training


class BreaksAt(VAE):
    """A VAE whose loss becomes ``value`` at one training step."""

    def __init__(self, config, step, value):
        super().__init__(config)
        self.calls, self.bad_step, self.value = 0, step, value

    def loss(self, x, y=None, beta=1.0, generator=None):
        parts = super().loss(x, y, beta, generator)
        if self.training:
            self.calls += 1
            if self.calls == self.bad_step:
                return parts._replace(loss=parts.loss * self.value)
        return parts


@pytest.mark.parametrize("bad_step, value, batch_size, read_at, message", [
    (7, float("nan"), 4, 50, r"became nan at step 7 \(epoch 1\)"),  # 75 steps an epoch
    (5, float("inf"), 128, 6, r"became inf at step 5 \(epoch 2\)"),  # at epoch 2's record
    (2, float("nan"), 128, 3, r"became nan at step 2 \(epoch 1\)"),
])
def test_nan_guard_names_the_first_bad_step_though_it_reads_it_later(bad_step, value, batch_size,
                                                                      read_at, message):
    torch.manual_seed(0)
    model = BreaksAt(TINY, bad_step, value)
    with pytest.raises(TrainingDiverged, match=message + r".*smaller learning rate"):
        fit(model, tiny_data(300).images, config=TrainConfig(steps=400, batch_size=batch_size),
            progress=False)
    assert model.calls == read_at  # stopped at the first read of the guard


def test_fit_reads_the_device_only_every_50_steps_and_at_records(monkeypatch):
    """The old loop called .item() three times a step; now a step never waits."""
    reads = []
    for name in ("item", "tolist", "__bool__", "__float__", "__int__"):
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            reads.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    torch.manual_seed(0)
    x = tiny_data(1000).images
    fit(VAE(TINY), x, config=TrainConfig(steps=100, batch_size=10), progress=False)
    assert len(reads) < 25, reads  # a few in the input checks, 2 per 50 steps, the last record


def test_functions_that_take_a_model_return_on_the_device_of_x(gen):
    torch.manual_seed(0)
    model = VAE(TINY).eval()
    x = tiny_data(6).images
    z = torch.randn(3, 6, 2, generator=gen)
    results = [
        log_px_given_z(model, x, z), log_joint_terms(model, x, 3, gen),
        iw_log_likelihood(model, x, k=3, generator=gen), elbo_per_image(model, x, 2, gen),
        log_joint_at(model, x, z[0]), grid_log_likelihood(model, x, n=11),
        iw_curve(model, x, [1, 3], generator=gen),
        elbo_estimate(model, x, z[0], z[1], generator=gen),
        *[t for t in per_sample_vi(model, x, steps=2, generator=gen) if t is not None],
        *[t for t in refine(model, x, steps=2, generator=gen) if t is not None],
    ]
    assert all(r.device == x.device for r in results)
    assert model_device(model) == CPU
    summary = summarize_run(model, tiny_data(50), generator=gen, n_samples=20)
    assert all(isinstance(v, (int, float)) for v in summary.values())


def test_autoencoder_returns_home_too():
    torch.manual_seed(0)
    model = Autoencoder(AEConfig(hidden=(16,)))
    fit(model, tiny_data().images, config=TrainConfig(steps=2, batch_size=32), device="cpu",
        progress=False)
    assert model_device(model) == CPU and model.encode(tiny_data().images[:2]).shape == (2, 2)
