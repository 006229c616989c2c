"""How well the zoo's ``judge`` tells digits from non-digits, and precision/recall on known cases.

Prints, for the judge of ``vaelib.judge`` (recipe "judge" of ``vaelib.zoo``):
  - the share rejected ("not a digit") of each kind of non-digit, all made from the *test*
    images with seed 1234 and kinds or parameters the training never uses
    (``vaelib.judge.held_out_non_digits``), beside the mean confidence of today's classifier;
  - the share of test images accepted, and the test accuracy of the judge and the classifier;
  - the share accepted of the reconstructions (decoder mean of mu(x)) of the test images by
    the zoo's vae-2d and vae-16d, and of their prior samples (z ~ N(0, I), decoder mean);
  - improved precision and recall (k = 3 and 5) in the judge's features on known cases.
The last line reads ``rejects X % of non-digits, accepts Y % of test digits`` (X: the mean over
the kinds of non-digits).

    VAELIB_MNIST=sample python benchmarks/judge_check.py [--dataset mnist|fashion-mnist]

Runs on the offline MNIST sample unless VAELIB_MNIST is set otherwise; the models go to the
course's checkpoint cache (``checkpoints/`` or ``$VAELIB_CACHE``).
"""

from __future__ import annotations

import argparse
import os
import time

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist")
    args = parser.parse_args()
    os.environ.setdefault("VAELIB_MNIST", "sample")
    os.environ["VAELIB_DATASET"] = args.dataset
    torch.set_num_threads(1)  # the numbers below were measured so; a shared 2-core machine

    from vaelib import zoo
    from vaelib.data import load_data
    from vaelib.judge import held_out_non_digits, judge_images, precision_recall

    train, test = load_data("train"), load_data("test")
    start = time.perf_counter()
    judge, _ = zoo.load("judge", train, progress=False)
    print(f"judge ready in {time.perf_counter() - start:.1f} s (training or loading)")
    classifier, _ = zoo.load("classifier", train, progress=False)
    x, y = test.images, test.labels
    g = torch.Generator().manual_seed(1234)

    print(f"\n{'images':34s} {'judged digit-like':>18s} {'classifier conf.':>17s}")
    fakes = held_out_non_digits(x, y, g)
    rejected = []
    for kind, images in fakes.items():
        share = judge_images(images, judge)["digit_like"]
        rejected.append(1 - share)
        conf = classifier.predict(images)[1].mean()
        print(f"{'non-digit: ' + kind:34s} {share:18.3f} {conf:17.2f}")
    accept = judge_images(x, judge)["digit_like"]
    print(f"{'test images (' + str(len(x)) + ')':34s} {accept:18.3f} "
          f"{classifier.predict(x)[1].mean():17.2f}")

    labels, _ = judge.read(x)
    acc_judge = float((labels == y).double().mean())
    acc_clf = float((classifier.predict(x)[0] == y).double().mean())
    print(f"\ntest accuracy: judge {acc_judge:.3f}, classifier {acc_clf:.3f}")

    print(f"\n{'VAE images':34s} {'judged digit-like':>18s} {'read as label':>17s}")
    for name in ("vae-2d", "vae-16d"):
        vae, _ = zoo.load(name, train, progress=False)
        with torch.no_grad():
            recon = torch.sigmoid(vae.decode(vae.encode(x)[0]))
            z = torch.randn(len(x), vae.config.z_dim, generator=g)
            samples = torch.sigmoid(vae.decode(z))
        read = float((judge.read(recon)[0] == y).double().mean())
        print(f"{name + ' reconstructions':34s} {judge_images(recon, judge)['digit_like']:18.3f} "
              f"{read:17.3f}")
        print(f"{name + ' prior samples':34s} {judge_images(samples, judge)['digit_like']:18.3f}")

    half = len(x) // 2
    feats = judge.features(x)
    one = (x[:1] + 0.02 * torch.rand(half, *x.shape[1:], generator=g)).clamp(0, 1)
    cases = {
        "test half vs other half": judge.features(x[half:2 * half]),
        "one test image repeated (+noise)": judge.features(one),
        "uniform noise": judge.features(torch.rand(half, *x.shape[1:], generator=g)),
    }
    print(f"\nprecision / recall against {half} test images, in the judge's features")
    print(f"{'fake set':34s} {'k = 3':>13s} {'k = 5':>13s}")
    for case, f in cases.items():
        cols = [precision_recall(feats[:half], f, k) for k in (3, 5)]
        print(f"{case:34s} " + " ".join(f"{p:6.3f}/{r:.3f}" for p, r in cols))

    x_pct = 100 * sum(rejected) / len(rejected)
    print(f"rejects {x_pct:.1f} % of non-digits, accepts {100 * accept:.1f} % of test digits")


if __name__ == "__main__":
    main()
