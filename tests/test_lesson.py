"""vaelib.lesson: the small 2-D VAE of notebooks 03 and 04 and its loop; their new plots."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from vaelib import lesson, losses, plots  # noqa: E402


def _images(n=64, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)).round()


def test_lesson_vae_shapes_and_the_students_reparameterize_is_used():
    calls = []

    def reparam(mu, logvar, eps):
        calls.append(mu.shape)
        return losses.reparameterize(mu, logvar, eps)

    model = lesson.LessonVAE(lesson.TwoHeads(hidden=32), reparam, hidden=32)
    logits, mu, logvar = model(_images(5), torch.zeros(5, 2))
    assert logits.shape == (5, 1, 28, 28) and mu.shape == logvar.shape == (5, 2)
    assert calls == [torch.Size([5, 2])]


def test_train_records_history_and_is_deterministic():
    def run(kl):
        torch.manual_seed(0)
        model = lesson.LessonVAE(lesson.TwoHeads(hidden=32), losses.reparameterize, hidden=32)
        return lesson.train(model, _images(), steps=40, kl=kl, batch=16, every=10)

    h = run(None)
    assert h["step"] == [0, 10, 20, 30, 40] and all(len(v) == 5 for v in h.values())
    assert h == run(None)
    with_kl = run(losses.gaussian_kl)
    assert all(k > 0 for k in with_kl["kl"])
    # Without the KL in the loss, the record is the KL the codes would be charged: the same at
    # step 0 (same weights, same batch), then growing past the run that pays it.
    assert h["kl"][0] == pytest.approx(with_kl["kl"][0]) and h["kl"][-1] > with_kl["kl"][-1]


def test_without_kl_sigma_shrinks():
    torch.manual_seed(0)
    model = lesson.LessonVAE(lesson.TwoHeads(hidden=64), losses.reparameterize, hidden=64)
    h = lesson.train(model, _images(256), steps=200, batch=32, every=100)
    assert h["sigma"][-1] < h["sigma"][0] / 2


def test_new_plots_draw():
    plots.generative_model_picture()
    ax = plots.vae_training_graph()
    assert len(ax.texts) > 8
    h = {"step": [0, 1], "sigma": [1.0, 0.5], "spread": [0.1, 1.0]}
    axes = plots.sigma_and_spread({"a": h, "b": h})
    assert len(axes[0].lines) == 3  # two runs and the line at 1
    fig = plt.figure()
    assert len(plots.digit_legend(fig).get_texts()) == 10
    plots.kl_parts()
    plots.naive_penalties()
    plt.close("all")
