"""Do the zoo's shared models converge within their budget? Each recipe against 4x its steps.

For each recipe (ae-2d, vae-2d, vae-16d) and each data set (the offline MNIST sample,
4,000 train / 1,000 test; full-size Fashion-MNIST, 60,000 / 10,000) it trains

  short  the recipe as it is in vaelib.zoo (its training seconds are printed), and
  long   the same recipe with 4x the steps, its schedule stretched alike (warm-ups and
         KL annealing 4x as long, the cosine over the whole run),

and measures on the whole test set the test loss: for a VAE the negative ELBO per image
(vaelib.train.evaluate, one z per image from a torch.Generator seeded afresh at each
evaluation), for the AE its squared error per image. The long run is evaluated at every
10 % of its steps; its best value (early stopping counts) is the reference. The gap is
short minus best: in nats for the VAEs, in % of the best for the AE. For the VAEs it also
prints the latent scale m_d = E[mu_d^2 + sigma_d^2] per dimension on the test images
(vaelib.models.latent_second_moment; 1 at a stationary point of the training loss).

Models are trained with train_or_load into a temporary folder (the repo's checkpoints/
stays as it is). The last two lines are the largest AE gap in % and, exactly,
``largest gap X nats``: the largest VAE gap over models and data sets.

    python benchmarks/zoo_convergence.py [--dataset sample|fashion|both]
        [--models ae-2d,vae-2d,vae-16d] [--threads 1] [--factor 4]
        [--train '{"lr": 2e-3}']   # override TrainConfig fields of every model tried
        [--model '{"hidden": [256, 128]}']   # override model config fields alike
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import platform
import subprocess
import tempfile
import time
from dataclasses import replace

import torch

import vaelib.train as train_module
from vaelib import zoo
from vaelib.data import load_fashion_mnist, load_mnist
from vaelib.models import latent_second_moment
from vaelib.train import TrainConfig, evaluate, train_or_load

EVAL_SEED = 1234  # the generator seed of every test evaluation (same noise at each checkpoint)
CHECKPOINTS = 10  # the long run is evaluated at every 10 % of its steps


def load_sets(which: str) -> list[tuple[str, object, object]]:
    sets = []
    if which in ("sample", "both"):
        old = os.environ.get("VAELIB_MNIST")
        os.environ["VAELIB_MNIST"] = "sample"
        try:
            sets.append(("MNIST sample", load_mnist("train"), load_mnist("test")))
        finally:
            if old is None:
                del os.environ["VAELIB_MNIST"]
            else:
                os.environ["VAELIB_MNIST"] = old
    if which in ("fashion", "both"):
        sets.append(("Fashion-MNIST", load_fashion_mnist("train"), load_fashion_mnist("test")))
    return sets


def test_loss(model, test) -> float:
    g = torch.Generator().manual_seed(EVAL_SEED)
    return evaluate(model, test.images, generator=g)["loss"]


@contextlib.contextmanager
def seeded_validation():
    """fit's val_* columns from a freshly seeded generator, so checkpoints share their noise."""
    original = train_module.evaluate

    def seeded(model, x, y=None, batch_size=1000, generator=None):
        return original(model, x, y, batch_size, torch.Generator().manual_seed(EVAL_SEED))

    train_module.evaluate = seeded
    try:
        yield
    finally:
        train_module.evaluate = original


def stretched(tc: TrainConfig, factor: int) -> TrainConfig:
    """The same recipe with ``factor`` times the steps, every phase of it as much longer."""
    steps = tc.steps * factor
    return replace(tc, steps=steps, warmup_steps=tc.warmup_steps * factor,
                   lr_warmup_steps=tc.lr_warmup_steps * factor,
                   log_every=steps // CHECKPOINTS)


def measure(name: str, recipe: zoo.Recipe, train, test, factor: int, folder: str) -> dict:
    short_tc = recipe.train
    start = time.perf_counter()
    model, _ = train_or_load(copy.deepcopy(recipe.config), short_tc, train, name=name,
                             directory=folder, progress=False)
    seconds = time.perf_counter() - start
    short = test_loss(model, test)
    scale = None
    if getattr(model, "has_posterior", False):
        with torch.no_grad():
            scale = latent_second_moment(model, test.images).tolist()

    long_tc = stretched(short_tc, factor)
    with seeded_validation():
        _, history = train_or_load(copy.deepcopy(recipe.config), long_tc, train,
                                   name=f"{name}-x{factor}", val=test, directory=folder,
                                   progress=False)
    every = long_tc.log_every
    checkpoints = [(r["step"], r["val_loss"]) for r in history
                   if r["step"] % every == 0 or r["step"] == long_tc.steps]
    best_step, best = min(checkpoints, key=lambda sv: sv[1])
    is_vae = scale is not None
    gap = short - best if is_vae else 100 * (short - best) / best
    return {"name": name, "short": short, "best": best, "best_step": best_step,
            "long_steps": long_tc.steps, "final": checkpoints[-1][1], "gap": gap,
            "seconds": seconds, "scale": scale, "vae": is_vae,
            "curve": [v for _, v in checkpoints]}


def running_processes() -> str:
    try:
        out = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu"], capture_output=True,
                             text=True, timeout=10).stdout.splitlines()[1:6]
    except (OSError, subprocess.SubprocessError):
        return "ps unavailable"
    return "; ".join(" ".join(line.split()) for line in out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("sample", "fashion", "both"), default="both")
    parser.add_argument("--models", default="ae-2d,vae-2d,vae-16d")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--factor", type=int, default=4)
    parser.add_argument("--train", default="", help="JSON of TrainConfig fields to override")
    parser.add_argument("--model", default="", help="JSON of model config fields to override")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    override = json.loads(args.train) if args.train else {}
    model_override = json.loads(args.model) if args.model else {}
    if "hidden" in model_override:
        model_override["hidden"] = tuple(model_override["hidden"])
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    print(f"torch {torch.__version__} on {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} torch thread(s) of {os.cpu_count()} cores; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start")
    print(f"busiest processes at the start (%CPU command): {running_processes()}")
    print(f"long runs: {args.factor}x the steps, test loss at every {100 // CHECKPOINTS} % "
          f"of them; VAE: -ELBO nats/image (one z, generator seed {EVAL_SEED}); AE: squared "
          f"error per image")
    for name in names:
        tc = replace(zoo.RECIPES[name].train, **override)
        print(f"  {name}: {replace(zoo.RECIPES[name].config, **model_override)}")
        print(f"  {' ' * len(name)}  {tc}")

    results = []
    with tempfile.TemporaryDirectory(prefix="zoo-convergence-") as folder:
        for label, train, test in load_sets(args.dataset):
            print(f"\n{label}: {len(train.images)} train / {len(test.images)} test images")
            for name in names:
                recipe = zoo.RECIPES[name]
                recipe = zoo.Recipe(replace(recipe.config, **model_override),
                                    replace(recipe.train, **override), recipe.note)
                r = measure(name, recipe, train, test, args.factor, folder)
                r["data"] = label
                results.append(r)
                unit = "nats" if r["vae"] else "%"
                line = (f"  {name:8s} short {r['short']:9.3f}  long best {r['best']:9.3f} at "
                        f"step {r['best_step']}/{r['long_steps']} (last {r['final']:.3f})  "
                        f"gap {r['gap']:6.2f} {unit}  short run {r['seconds']:5.1f} s")
                if r["scale"] is not None:
                    line += "  m_d " + " ".join(f"{m:.2f}" for m in r["scale"])
                print(line, flush=True)
                print(f"  {'':8s} long run at every {100 // CHECKPOINTS} %: "
                      + " ".join(f"{v:.2f}" for v in r["curve"]), flush=True)

    ae = [r["gap"] for r in results if not r["vae"]]
    vae = [r["gap"] for r in results if r["vae"]]
    print()
    print(f"largest AE gap {max(ae):.2f} %" if ae else "largest AE gap n/a (no AE measured)")
    print(f"largest gap {max(vae):.1f} nats" if vae else "largest gap n/a nats")


if __name__ == "__main__":
    main()
