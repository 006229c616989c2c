"""The learning-rate schedule of TrainConfig (lr_schedule, lr_warmup_steps, lr_final)."""

import math

import pytest
import torch

from vaelib.data import Data
from vaelib.models import VAE, VAEConfig
from vaelib.seeding import course_seed
from vaelib.train import TrainConfig, cache_key, fit

TINY = VAEConfig(hidden=(16,), z_dim=2)


def tiny_images(n=96, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def test_constant_is_the_default_and_never_changes():
    cfg = TrainConfig(steps=10, lr=3e-3)
    assert cfg.lr_schedule == "constant" and cfg.lr_warmup_steps == 0
    assert not cfg.has_lr_schedule
    assert [cfg.lr_at(s) for s in (1, 5, 10)] == [3e-3] * 3


def test_constant_with_a_linear_warmup():
    cfg = TrainConfig(steps=10, lr=1e-3, lr_warmup_steps=4)
    assert cfg.has_lr_schedule
    assert [cfg.lr_at(s) for s in (1, 2, 4, 5, 10)] == pytest.approx(
        [2.5e-4, 5e-4, 1e-3, 1e-3, 1e-3])


def test_cosine_values_at_known_steps():
    cfg = TrainConfig(steps=110, lr=2e-3, lr_schedule="cosine", lr_warmup_steps=10,
                      lr_final=0.05)
    assert cfg.lr_at(1) == pytest.approx(2e-4)            # warm-up: lr * 1/10
    assert cfg.lr_at(5) == pytest.approx(1e-3)
    assert cfg.lr_at(10) == pytest.approx(2e-3)           # the peak ends the warm-up
    floor = 0.05 * 2e-3
    assert cfg.lr_at(60) == pytest.approx((2e-3 + floor) / 2)   # half-way down the cosine
    assert cfg.lr_at(35) == pytest.approx(floor + (2e-3 - floor) * (1 + math.cos(math.pi / 4)) / 2)
    assert cfg.lr_at(110) == pytest.approx(floor)         # the last step sits on the floor
    assert cfg.lr_at(109) == pytest.approx(floor, rel=1e-2)
    lrs = [cfg.lr_at(s) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))      # decays monotonically


def test_cosine_without_warmup_starts_at_lr_and_ends_at_zero():
    cfg = TrainConfig(steps=100, lr=1e-3, lr_schedule="cosine")
    assert cfg.lr_at(1) == pytest.approx(1e-3, rel=1e-3)
    assert cfg.lr_at(100) == pytest.approx(0.0, abs=1e-12)


def test_onecycle_rises_along_a_cosine_from_lr_over_25():
    cfg = TrainConfig(steps=100, lr=1e-3, lr_schedule="onecycle", lr_warmup_steps=30)
    assert cfg.lr_at(0) == pytest.approx(1e-3 / 25)
    assert cfg.lr_at(15) == pytest.approx((1e-3 / 25 + 1e-3) / 2)
    assert cfg.lr_at(30) == pytest.approx(1e-3)
    assert cfg.lr_at(100) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"lr_schedule": "linear"}, "lr_schedule must be one of"),
    ({"lr_warmup_steps": -1}, "lr_warmup_steps must lie in"),
    ({"lr_warmup_steps": 10}, "KL annealing is warmup_steps"),
    ({"lr_schedule": "onecycle"}, "needs lr_warmup_steps > 0"),
    ({"lr_schedule": "cosine", "lr_final": 1.5}, "lr_final is a fraction"),
    ({"lr_schedule": "cosine", "lr_final": -0.1}, "lr_final is a fraction"),
    ({"lr_final": 0.1}, "cosine' and 'onecycle' schedules only"),
])
def test_invalid_schedules_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(steps=10, **kwargs)


def test_fit_uses_the_schedule_and_records_the_lr():
    cfg = TrainConfig(steps=7, batch_size=32, lr=1e-2, lr_schedule="cosine",
                      lr_warmup_steps=2, lr_final=0.1, log_every=1)
    torch.manual_seed(0)
    h = fit(VAE(TINY), tiny_images(), config=cfg, progress=False)
    assert h["step"] == list(range(1, 8))
    assert h["lr"] == pytest.approx([cfg.lr_at(s) for s in range(1, 8)])
    assert h["lr"][-1] == pytest.approx(1e-3)             # lr_final * lr at the last step


def test_the_schedule_changes_training_and_the_default_does_not():
    x = tiny_images()

    def losses(**kwargs):
        torch.manual_seed(0)
        cfg = TrainConfig(steps=6, batch_size=32, lr=1e-2, log_every=1, **kwargs)
        return fit(VAE(TINY), x, config=cfg, progress=False)

    default, explicit = losses(), losses(lr_schedule="constant", lr_warmup_steps=0)
    assert default["loss"] == explicit["loss"]            # bit-identical
    assert default["lr"] == [1e-2] * 6
    cosine = losses(lr_schedule="cosine", lr_warmup_steps=3)
    assert cosine["loss"][0] == default["loss"][0]        # step 1's loss comes before its update
    assert cosine["loss"][1:] != default["loss"][1:]


def test_default_fit_leaves_the_optimizer_lr_alone(monkeypatch):
    """Without a schedule fit never writes the optimizer's lr (the loop is as before)."""
    cfg = TrainConfig(steps=3, batch_size=32)
    monkeypatch.setattr(TrainConfig, "lr_at", lambda self, step: pytest.fail("lr_at called"))
    torch.manual_seed(0)
    fit(VAE(TINY), tiny_images(), config=cfg, progress=False)


def test_cache_keys_of_unscheduled_configs_are_unchanged():
    """The schedule fields enter the key only when set, so older checkpoints still load."""
    data = Data(tiny_images(), torch.arange(96) % 10, "random test images")
    plain, cosine = TrainConfig(steps=5), TrainConfig(steps=5, lr_schedule="cosine")
    if course_seed() == 0:  # the key vaelib gave this config before the schedule existed
        assert cache_key(TINY, plain, data) == "2f398393fa68"
    assert cache_key(TINY, plain, data) != cache_key(TINY, cosine, data)
    assert cache_key(TINY, cosine, data) != cache_key(
        TINY, TrainConfig(steps=5, lr_schedule="cosine", lr_final=0.1), data)
