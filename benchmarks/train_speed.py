"""Seconds per epoch: the common tutorial loop against vaelib's in-memory loop.

Both train the same 784-400-20 VAE (Bernoulli reconstruction from logits + KL, Adam at
lr 1e-3, batch 128) from the same initial weights on 60,000 images, one after the other
in this process:

  tutorial  torch DataLoader over a torchvision dataset with a per-item ToTensor
            transform, plain Adam
  vaelib    the whole set as one tensor, minibatches as index slices, fused Adam
            (vaelib.train.fit)

It uses MNIST when torchvision can load it, else Fashion-MNIST (downloaded, or Debian's
dataset-fashion-mnist). Prints each loop's seconds per epoch and test loss (nats per
image), and their speed ratio as the last line.

    python benchmarks/train_speed.py [--epochs 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch

from vaelib.data import DataUnavailableError, data_dir, load_fashion_mnist, load_mnist
from vaelib.models import VAE, VAEConfig
from vaelib.train import TrainConfig, evaluate, fit

CONFIG = VAEConfig(hidden=(400,), z_dim=20)  # 784-400-20, as in the common tutorial
BATCH, LR = 128, 1e-3


def full_size_data():
    """(name, train Data, test Data, torchvision dataset class) for 60,000 training images."""
    from torchvision import datasets

    try:
        train = load_mnist("train", fallback=False)
        return "MNIST", train, load_mnist("test", fallback=False), datasets.MNIST
    except DataUnavailableError as err:
        print(f"MNIST unavailable ({err}); using Fashion-MNIST")
    train, test = load_fashion_mnist("train"), load_fashion_mnist("test")
    return "Fashion-MNIST", train, test, datasets.FashionMNIST


def tutorial_loop(model, dataset_cls, epochs: int) -> float:
    """The loop most tutorials show; returns seconds per epoch."""
    from torch.utils.data import DataLoader
    from torchvision import transforms

    ds = dataset_cls(str(data_dir()), train=True, download=False,
                     transform=transforms.ToTensor())
    loader = DataLoader(ds, batch_size=BATCH, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    noise = torch.Generator().manual_seed(1)
    model.train()
    start = time.perf_counter()
    for _ in range(epochs):
        for x, _ in loader:
            loss = model.loss(x, generator=noise).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
    return (time.perf_counter() - start) / epochs


def vaelib_loop(model, train, epochs: int) -> float:
    steps = epochs * -(-len(train.images) // BATCH)  # whole epochs
    start = time.perf_counter()
    fit(model, train.images, config=TrainConfig(steps=steps, batch_size=BATCH, lr=LR),
        device=torch.device("cpu"), progress=False)
    return (time.perf_counter() - start) / epochs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs per loop (default 2)")
    args = parser.parse_args()

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__} with {torch.get_num_threads()} threads; "
          f"load average before the run: {os.getloadavg()[0]:.2f} "
          f"(anything else running slows both loops)")
    name, train, test, dataset_cls = full_size_data()
    print(f"{name}: {len(train.images)} training and {len(test.images)} test images; "
          f"{args.epochs} epochs per loop, batch {BATCH}")

    torch.manual_seed(0)
    tutorial_model = VAE(CONFIG)
    vaelib_model = VAE(CONFIG)
    vaelib_model.load_state_dict(tutorial_model.state_dict())  # the same starting point

    t_tut = tutorial_loop(tutorial_model, dataset_cls, args.epochs)
    loss_tut = evaluate(tutorial_model, test.images, generator=torch.Generator().manual_seed(2))
    print(f"tutorial loop: {t_tut:6.2f} s per epoch, test loss {loss_tut['loss']:.1f} nats")

    t_lib = vaelib_loop(vaelib_model, train, args.epochs)
    loss_lib = evaluate(vaelib_model, test.images, generator=torch.Generator().manual_seed(2))
    print(f"vaelib loop:   {t_lib:6.2f} s per epoch, test loss {loss_lib['loss']:.1f} nats")
    print(f"vaelib is {t_tut / t_lib:.2f}x faster per epoch")


if __name__ == "__main__":
    main()
