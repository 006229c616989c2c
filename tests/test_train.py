import math

import pytest
import torch

from vaelib.data import Data
from vaelib.models import VAE, AEConfig, CVAEConfig, VAEConfig
from vaelib.train import (
    History,
    TrainConfig,
    TrainingDiverged,
    cache_dir,
    cache_key,
    evaluate,
    fit,
    latent_stats,
    train_or_load,
)

TINY = VAEConfig(hidden=(16,), z_dim=2)


def tiny_data(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Data(torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 10, "random test images")


def test_history_records_every_epoch_and_the_last_step():
    torch.manual_seed(0)
    h = fit(VAE(TINY), tiny_data().images, config=TrainConfig(steps=7, batch_size=32),
            progress=False)
    assert [r["step"] for r in h] == [3, 6, 7]
    assert [r["epoch"] for r in h] == [1, 2, 3]
    assert set(h[0]) >= {"loss", "recon", "kl", "beta", "sigma_mean", "active_dims"}
    assert isinstance(h, History) and h["step"] == [3, 6, 7]


def test_log_every_and_kl_warmup():
    cfg = TrainConfig(steps=6, batch_size=32, log_every=2, warmup_steps=4, beta=2.0)
    assert [cfg.beta_at(s) for s in (1, 2, 4, 6)] == [0.5, 1.0, 2.0, 2.0]
    torch.manual_seed(0)
    h = fit(VAE(TINY), tiny_data().images, config=cfg, progress=False)
    assert [r["step"] for r in h] == [2, 3, 4, 6]
    assert h["beta"] == [1.0, 1.5, 2.0, 2.0]


def test_validation_columns(gen):
    torch.manual_seed(0)
    d = tiny_data()
    h = fit(VAE(TINY), d.images, config=TrainConfig(steps=3, batch_size=32),
            x_val=d.images[:10], progress=False)
    assert {"val_loss", "val_recon", "val_kl"} <= set(h[-1])
    torch.manual_seed(0)
    ev = evaluate(VAE(TINY), d.images[:10], generator=gen)
    assert math.isclose(ev["loss"], ev["recon"] + ev["kl"], rel_tol=1e-6)


def test_nan_guard_says_what_to_try():
    torch.manual_seed(0)
    model = VAE(TINY)
    with torch.no_grad():
        model.encoder.net[0].weight.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="smaller learning rate"):
        fit(model, tiny_data().images, config=TrainConfig(steps=3), progress=False)


def test_fit_rejects_bad_data():
    torch.manual_seed(0)
    x = tiny_data().images
    with pytest.raises(ValueError, match="NaN"):
        fit(VAE(TINY), torch.where(x > 0.5, float("nan"), x), progress=False)
    with pytest.raises(ValueError, match=r"divide 0\.\.255"):
        fit(VAE(TINY), x * 255, progress=False)
    with pytest.raises(ValueError, match="images must be a tensor"):
        fit(VAE(TINY), torch.zeros(4, 10), progress=False)
    from vaelib.models import build_model
    with pytest.raises(ValueError, match="needs one label per image"):
        fit(build_model(CVAEConfig(hidden=(16,))), x, None, progress=False)


def test_latent_stats_counts_active_dimensions():
    torch.manual_seed(0)
    model = VAE(VAEConfig(hidden=(16,), z_dim=4))
    stats = latent_stats(model, tiny_data().images)
    assert 0 <= stats["active_dims"] <= 4 and stats["sigma_mean"] > 0


def test_latent_stats_kl_parts_add_up_to_the_kl_and_mu_std_is_the_spread_of_mu():
    from vaelib.losses import gaussian_kl
    from vaelib.models import ClassMeanVAE

    torch.manual_seed(0)
    data = tiny_data()
    model = VAE(VAEConfig(hidden=(16,), z_dim=4))
    stats = latent_stats(model, data.images)
    with torch.no_grad():
        mu, logvar = model.encode(data.images)
    kl = gaussian_kl(mu, logvar).mean().item()
    assert stats["kl_mu"] + stats["kl_sigma"] == pytest.approx(kl, rel=1e-5)
    assert stats["kl_mu"] == pytest.approx(0.5 * mu.pow(2).sum(1).mean().item(), rel=1e-5)
    assert stats["mu_std"] == pytest.approx(mu.std(0).mean().item(), rel=1e-5)
    # the class-mean model's prior is N(mu_y, I): its mu part is measured from mu_y
    cm = ClassMeanVAE(CVAEConfig(hidden=(16,), z_dim=2))
    stats = latent_stats(cm, data.images, data.labels)
    with torch.no_grad():
        mu, logvar = cm.encode(data.images, data.labels)
        want = gaussian_kl(mu, logvar, cm.prior_mean(data.labels)).mean().item()
    assert stats["kl_mu"] + stats["kl_sigma"] == pytest.approx(want, rel=1e-5)
    assert "kl_mu" not in latent_stats(cm, data.images)      # no labels: no prior to measure from


def test_cache_hit_miss_and_mismatch(capsys):
    data, train = tiny_data(), TrainConfig(steps=4, batch_size=32)
    rng_before = torch.get_rng_state()
    m1, h1 = train_or_load(TINY, train, data, name="tiny", progress=False)
    assert torch.equal(torch.get_rng_state(), rng_before), "the caller's RNG must not change"
    assert "Trained tiny" in capsys.readouterr().out
    files = list(cache_dir().glob("tiny-*.pt"))
    assert len(files) == 1 and cache_key(TINY, train, data) in files[0].name

    m2, h2 = train_or_load(TINY, train, data, name="tiny", progress=False)  # hit
    assert "Loaded" in capsys.readouterr().out
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    assert h1 == h2

    # a changed config, training config or data set trains a new model beside the old one
    train_or_load(TINY, TrainConfig(steps=5, batch_size=32), data, name="tiny", progress=False)
    train_or_load(TINY, train, tiny_data(seed=1), name="tiny", progress=False)
    train_or_load(AEConfig(hidden=(16,)), train, data, name="tiny", progress=False)
    assert len(list(cache_dir().glob("tiny-*.pt"))) == 4

    # a file at the right name but for another config is kept aside, not loaded or deleted
    other = cache_dir() / "tiny-other.pt"
    files[0].rename(other)
    torch.save({**torch.load(other, weights_only=True), "config": {"z_dim": 99}}, files[0])
    capsys.readouterr()
    train_or_load(TINY, train, data, name="tiny", progress=False)
    out = capsys.readouterr().out
    assert "was made for another config" in out and "Trained tiny" in out
    assert len(list(cache_dir().glob("tiny-*.unusable-*.pt"))) == 1


def test_truncated_checkpoint_is_kept_aside_and_retrained(capsys):
    data, train = tiny_data(), TrainConfig(steps=2, batch_size=32)
    train_or_load(TINY, train, data, name="tiny", progress=False)
    path = next(cache_dir().glob("tiny-*.pt"))
    path.write_bytes(path.read_bytes()[:100])
    capsys.readouterr()
    model, _ = train_or_load(TINY, train, data, name="tiny", progress=False)
    assert "could not be read" in capsys.readouterr().out
    assert isinstance(model, VAE) and path.exists()


def test_training_is_reproducible():
    data, train = tiny_data(), TrainConfig(steps=5, batch_size=32, seed=3)
    torch.manual_seed(0)
    a = VAE(TINY)
    b = VAE(TINY)
    b.load_state_dict(a.state_dict())
    ha = fit(a, data.images, config=train, progress=False)
    hb = fit(b, data.images, config=train, progress=False)
    assert ha == hb


def test_the_course_seed_changes_the_run_and_the_cache_key(monkeypatch, capsys):
    data, train = tiny_data(), TrainConfig(steps=3, batch_size=32)
    monkeypatch.setenv("VAELIB_SEED", "0")
    key0 = cache_key(TINY, train, data)
    m0, h0 = train_or_load(TINY, train, data, name="tiny", progress=False)
    monkeypatch.setenv("VAELIB_SEED", "1")
    assert cache_key(TINY, train, data) != key0
    capsys.readouterr()
    m1, h1 = train_or_load(TINY, train, data, name="tiny", progress=False)
    assert "Trained tiny" in capsys.readouterr().out, "a seed-0 model must not load under seed 1"
    first = next(iter(m0.state_dict()))  # the initial weights differ, so the first layer does
    assert not torch.equal(m0.state_dict()[first], m1.state_dict()[first])
    assert len(list(cache_dir().glob("tiny-*.pt"))) == 2
    monkeypatch.setenv("VAELIB_SEED", "0")
    m0b, _ = train_or_load(TINY, train, data, name="tiny", progress=False)
    assert "Loaded" in capsys.readouterr().out
    assert all(torch.equal(a, b) for a, b in zip(m0.state_dict().values(),
                                                   m0b.state_dict().values()))


def test_train_config_rejects_nonsense():
    with pytest.raises(ValueError, match="steps"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(lr=0)
