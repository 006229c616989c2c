"""The library on a CUDA GPU, fed CPU tensors as a student would, against the CPU.

The rule (vaelib.train's docstring): training returns the model on the device it came
on; every other function runs where the model is, moves the inputs there itself and
returns tensors on the device of ``x``; a CPU generator gives the same noise anywhere.
So with the same weights and the same CPU generator a GPU result equals the CPU one up
to floating-point rounding. Training draws its noise on the device it trains on, so a
VAE trained on the GPU is another (equally good) run: compared by its loss, loosely.

Run with ``pytest -m gpu tests/test_gpu.py`` on a machine with CUDA.
"""

import copy

import pytest
import torch

from vaelib.data import Data
from vaelib.device import model_device
from vaelib.dynamics import summarize_run
from vaelib.evaluation import elbo_per_image, grid_log_likelihood, iw_curve, iw_log_likelihood
from vaelib.inference import per_sample_vi, refine
from vaelib.models import (
    VAE,
    AEConfig,
    Autoencoder,
    ClassifierConfig,
    CVAEConfig,
    VAEConfig,
    build_model,
)
from vaelib.train import TrainConfig, TrainingDiverged, evaluate, fit, latent_stats, train_or_load
from vaelib.widgets import digit_latent_sliders

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(),
                       reason="needs a CUDA GPU: torch.cuda.is_available() is false"),
]

CUDA = torch.device("cuda")
CPU = torch.device("cpu")
TINY = VAEConfig(hidden=(32,), z_dim=2)


@pytest.fixture
def on_cuda(monkeypatch):
    """VAELIB_DEVICE=cuda, as on a GPU machine (the suite sets cpu)."""
    monkeypatch.setenv("VAELIB_DEVICE", "cuda")


def images(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, 1, 28, 28, generator=g) > 0.7).float()
    return Data(x, torch.arange(n) % 10, "random test images")


def trained_pair(config=TINY):
    """(the same trained model on the CPU, a copy of it on the GPU)."""
    torch.manual_seed(0)
    model = build_model(config)
    d = images()
    fit(model, d.images, d.labels if model.uses_labels else None,
        TrainConfig(steps=30, batch_size=50), device=CPU, progress=False)
    return model, copy.deepcopy(model).to(CUDA)


def close(a, b, rtol=1e-4, atol=1e-3):
    assert a.device == b.device == CPU
    torch.testing.assert_close(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("config", [TINY, AEConfig(hidden=(32,)), CVAEConfig(hidden=(32,)),
                                    ClassifierConfig(hidden=(16,))])
def test_fit_on_cuda_returns_the_model_where_it_came_and_encode_takes_cpu_tensors(config,
                                                                                  on_cuda):
    torch.manual_seed(0)
    model, d = build_model(config), images()
    y = d.labels if model.uses_labels else None
    history = fit(model, d.images, y, TrainConfig(steps=10, batch_size=50), progress=False)
    assert model_device(model) == CPU and not model.training
    assert all(p.device == CPU for p in model.parameters())
    assert len(history) and all(isinstance(v, float) for v in history["loss"])
    if hasattr(model, "encode"):
        out = model.encode(d.images, d.labels) if model.uses_labels else model.encode(d.images)
        assert (out[0] if isinstance(out, tuple) else out).device == CPU
    else:
        labels, _ = model.predict(d.images)
        assert labels.device == CPU
    model.to(CUDA)  # a model that comes on the GPU goes back there
    fit(model, d.images, y, TrainConfig(steps=5, batch_size=50), progress=False)
    assert model_device(model).type == "cuda"


def test_classifier_from_test_models_works_under_vaelib_device_cuda(on_cuda):
    x = torch.zeros(100, 1, 28, 28)
    y = torch.arange(100) % 2
    x[y == 1, :, :14] = 1.0
    torch.manual_seed(0)
    model = build_model(ClassifierConfig(hidden=(16,), n_classes=2))
    fit(model, x, y, TrainConfig(steps=100, batch_size=50), progress=False)
    labels, _ = model.predict(x)
    assert (labels == y).all()


def test_autoencoder_trained_on_cuda_matches_the_cpu():
    """No noise in an autoencoder: the GPU run follows the CPU run up to rounding."""
    d = images()
    torch.manual_seed(0)
    a = Autoencoder(AEConfig(hidden=(32,)))
    b = copy.deepcopy(a)
    cfg = TrainConfig(steps=30, batch_size=50, log_every=10)
    ha = fit(a, d.images, config=cfg, device=CPU, progress=False)
    hb = fit(b, d.images, config=cfg, device=CUDA, progress=False)
    assert ha["step"] == hb["step"]
    close(torch.tensor(ha["loss"]), torch.tensor(hb["loss"]), rtol=1e-3, atol=1e-3)
    for pa, pb in zip(a.parameters(), b.parameters()):
        close(pa.detach(), pb.detach(), rtol=1e-2, atol=1e-2)


def test_vae_trained_on_cuda_reaches_the_cpu_loss(tmp_path):
    """Other noise on the GPU: the runs differ, their losses should not by much."""
    d, cfg = images(400), TrainConfig(steps=120, batch_size=50)
    m_cpu, h_cpu = train_or_load(TINY, cfg, d, directory=tmp_path / "cpu", device=CPU,
                                 progress=False)
    m_gpu, h_gpu = train_or_load(TINY, cfg, d, directory=tmp_path / "gpu", device=CUDA,
                                 progress=False)
    assert model_device(m_gpu) == CPU and not m_gpu.training
    assert h_gpu["step"] == h_cpu["step"]
    assert abs(h_gpu[-1]["loss"] / h_cpu[-1]["loss"] - 1) < 0.1
    g = torch.Generator().manual_seed(1)
    ev_cpu = evaluate(m_cpu, d.images, generator=g)
    ev_gpu = evaluate(m_gpu, d.images, generator=torch.Generator().manual_seed(1))
    assert abs(ev_gpu["loss"] / ev_cpu["loss"] - 1) < 0.1
    again, _ = train_or_load(TINY, cfg, d, directory=tmp_path / "gpu", progress=False)  # loads
    for pa, pb in zip(m_gpu.parameters(), again.parameters()):
        assert torch.equal(pa, pb)


def test_validation_columns_on_cuda_with_cpu_validation_images():
    d = images()
    torch.manual_seed(0)
    h = fit(VAE(TINY), d.images, config=TrainConfig(steps=8, batch_size=50),
            x_val=d.images[:50], device=CUDA, progress=False)
    assert {"val_loss", "val_recon", "val_kl"} <= set(h[-1])


def test_nan_guard_on_cuda_names_the_first_bad_step():
    torch.manual_seed(0)
    model = VAE(TINY)
    with torch.no_grad():
        model.encoder.net[0].weight.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match=r"at step 1 \(epoch 1\).*smaller learning rate"):
        fit(model, images().images, config=TrainConfig(steps=60, batch_size=50), device=CUDA,
            progress=False)
    assert model_device(model) == CPU


@pytest.mark.parametrize("config", [TINY, CVAEConfig(hidden=(32,))])
def test_evaluate_and_latent_stats_on_cuda_match_the_cpu(config):
    cpu, gpu = trained_pair(config)
    d = images(300, seed=1)
    y = d.labels if cpu.uses_labels else None
    ev_cpu = evaluate(cpu, d.images, y, batch_size=128, generator=torch.Generator().manual_seed(2))
    ev_gpu = evaluate(gpu, d.images, y, batch_size=128, generator=torch.Generator().manual_seed(2))
    for k in ev_cpu:
        assert ev_gpu[k] == pytest.approx(ev_cpu[k], rel=1e-4, abs=1e-3)
    st_cpu, st_gpu = latent_stats(cpu, d.images, y), latent_stats(gpu, d.images, y)
    assert st_gpu["sigma_mean"] == pytest.approx(st_cpu["sigma_mean"], rel=1e-4)
    assert st_gpu["active_dims"] == st_cpu["active_dims"]


def test_log_likelihoods_on_cuda_match_the_cpu():
    cpu, gpu = trained_pair()
    x = images(40, seed=2).images

    def g():
        return torch.Generator().manual_seed(3)

    close(iw_log_likelihood(gpu, x, k=50, batch_size=16, generator=g()),
          iw_log_likelihood(cpu, x, k=50, batch_size=16, generator=g()))
    close(elbo_per_image(gpu, x, k=4, generator=g()), elbo_per_image(cpu, x, k=4, generator=g()))
    ks = [1, 10, 50]
    close(iw_curve(gpu, x, ks, generator=g()), iw_curve(cpu, x, ks, generator=g()))
    close(grid_log_likelihood(gpu, x[:8], n=101), grid_log_likelihood(cpu, x[:8], n=101))
    on_gpu = iw_log_likelihood(gpu, x.to(CUDA), k=5, generator=g())  # inputs on the GPU stay
    assert on_gpu.device.type == "cuda"


def test_per_sample_vi_and_refine_on_cuda_match_the_cpu():
    cpu, gpu = trained_pair()
    x = images(12, seed=3).images
    for run in (per_sample_vi, refine):
        a = run(cpu, x, steps=20, generator=torch.Generator().manual_seed(4), keep_path=True)
        b = run(gpu, x, steps=20, generator=torch.Generator().manual_seed(4), keep_path=True)
        for field in ("mu", "logvar", "elbo", "trace", "path_mu"):
            close(getattr(b, field), getattr(a, field), rtol=1e-3, atol=1e-3)
        assert torch.equal(a.steps, b.steps)
    assert model_device(gpu).type == "cuda"


def test_summarize_run_and_digit_sliders_on_cuda():
    cpu, gpu = trained_pair()
    d = images(300, seed=4)
    s_cpu = summarize_run(cpu, d, generator=torch.Generator().manual_seed(5), n_samples=500)
    s_gpu = summarize_run(gpu, d, generator=torch.Generator().manual_seed(5), n_samples=500)
    for k in s_cpu:
        assert s_gpu[k] == pytest.approx(s_cpu[k], rel=1e-3, abs=1e-3)
    widget = digit_latent_sliders(gpu, d.images[:10])
    widget.start_button.click()
    assert widget.draw_count >= 2
