"""Seconds per epoch: the common tutorial loop against vaelib's in-memory loop.

Both train a 784-400-20 VAE (Bernoulli reconstruction + KL, Adam at lr 1e-3, batch 128)
from the same initial weights on 60,000 images, one after the other in this process:

  tutorial  the loop most VAE tutorials show: a torch DataLoader over a torchvision
            dataset with a per-item ToTensor transform, a model with fc1/fc21/fc22/fc3/fc4
            layers whose decoder ends in a sigmoid, binary_cross_entropy on those
            probabilities, plain Adam, loss.item() logged every step
  vaelib    the whole set as one tensor, minibatches as index slices, logits with
            binary_cross_entropy_with_logits, fused Adam (vaelib.train.fit)

It uses MNIST when torchvision can load it, else Fashion-MNIST (downloaded, or Debian's
dataset-fashion-mnist). Prints each loop's seconds per epoch and test loss (nats per
image, the same evaluation for both), and their speed ratio as the last line.

With ``--device cuda`` both loops train on the GPU: the tutorial loop moves each batch
there (``x.to(device)``), vaelib's fit gets ``device=``; the test loss is computed on
the CPU either way.

    python benchmarks/train_speed.py [--epochs 2] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch
import torch.nn.functional as F
from torch import nn

from vaelib.data import DataUnavailableError, data_dir, load_fashion_mnist, load_mnist
from vaelib.models import VAE, VAEConfig
from vaelib.train import TrainConfig, evaluate, fit

CONFIG = VAEConfig(hidden=(400,), z_dim=20)  # 784-400-20, as in the common tutorial
BATCH, LR = 128, 1e-3
CPU = torch.device("cpu")


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


class TutorialVAE(nn.Module):
    """The 784-400-20 VAE as tutorials write it (sigmoid outputs, two heads for mu, logvar)."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar

    @torch.no_grad()
    def copy_from(self, vae: VAE):
        """Take vaelib's weights (its encoder's last layer is fc21 and fc22 stacked)."""
        enc, dec = vae.encoder.net, vae.decoder.net
        self.fc1.load_state_dict(enc[0].state_dict())
        for head, rows in ((self.fc21, slice(0, 20)), (self.fc22, slice(20, 40))):
            head.weight.copy_(enc[2].weight[rows])
            head.bias.copy_(enc[2].bias[rows])
        self.fc3.load_state_dict(dec[0].state_dict())
        self.fc4.load_state_dict(dec[2].state_dict())

    @torch.no_grad()
    def copy_to(self, vae: VAE):
        enc, dec = vae.encoder.net, vae.decoder.net
        enc[0].load_state_dict(self.fc1.state_dict())
        enc[2].weight.copy_(torch.cat([self.fc21.weight, self.fc22.weight]))
        enc[2].bias.copy_(torch.cat([self.fc21.bias, self.fc22.bias]))
        dec[0].load_state_dict(self.fc3.state_dict())
        dec[2].load_state_dict(self.fc4.state_dict())


def _sync(device: torch.device) -> None:
    """Wait for the GPU's queued work, so the clock measures the work itself."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def tutorial_loop(model: TutorialVAE, dataset_cls, epochs: int,
                  device: torch.device = CPU) -> float:
    """The loop most tutorials show, on ``device``; returns seconds per epoch."""
    from torch.utils.data import DataLoader
    from torchvision import transforms

    ds = dataset_cls(str(data_dir()), train=True, download=False,
                     transform=transforms.ToTensor())
    loader = DataLoader(ds, batch_size=BATCH, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    torch.manual_seed(1)  # the tutorial draws its noise from the global generator
    _sync(device)
    start = time.perf_counter()
    for _ in range(epochs):
        train_loss = 0.0
        for x, _ in loader:
            x = x.to(device)
            opt.zero_grad()
            recon, mu, logvar = model(x)
            bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = bce + kld
            loss.backward()
            train_loss += loss.item()
            opt.step()
    _sync(device)
    return (time.perf_counter() - start) / epochs


def vaelib_loop(model, train, epochs: int, device: torch.device = CPU) -> float:
    """vaelib's fit on ``device`` (it returns the model on the CPU); seconds per epoch."""
    steps = epochs * -(-len(train.images) // BATCH)  # whole epochs
    _sync(device)
    start = time.perf_counter()
    fit(model, train.images, config=TrainConfig(steps=steps, batch_size=BATCH, lr=LR),
        device=device, progress=False)
    _sync(device)
    return (time.perf_counter() - start) / epochs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs per loop (default 2)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where both loops train (default cpu)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: PyTorch sees no CUDA GPU here")

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__} with {torch.get_num_threads()} threads; "
          f"load average before the run: {os.getloadavg()[0]:.2f} "
          f"(anything else running slows both loops)")
    name, train, test, dataset_cls = full_size_data()
    print(f"{name}: {len(train.images)} training and {len(test.images)} test images; "
          f"{args.epochs} epochs per loop, batch {BATCH}")
    if device.type != "cpu":
        print(f"both loops train on {torch.cuda.get_device_name(device)} ({device})")

    torch.manual_seed(0)
    vaelib_model = VAE(CONFIG)
    tutorial_model = TutorialVAE()
    tutorial_model.copy_from(vaelib_model)  # the same starting point

    t_tut = tutorial_loop(tutorial_model, dataset_cls, args.epochs, device)
    judged = VAE(CONFIG)
    tutorial_model.copy_to(judged)  # evaluated by the same code as vaelib's model
    loss_tut = evaluate(judged, test.images, generator=torch.Generator().manual_seed(2))
    print(f"tutorial loop: {t_tut:6.2f} s per epoch, test loss {loss_tut['loss']:.1f} nats")

    t_lib = vaelib_loop(vaelib_model, train, args.epochs, device)
    loss_lib = evaluate(vaelib_model, test.images, generator=torch.Generator().manual_seed(2))
    print(f"vaelib loop:   {t_lib:6.2f} s per epoch, test loss {loss_lib['loss']:.1f} nats")
    print(f"vaelib is {t_tut / t_lib:.2f}x faster per epoch")


if __name__ == "__main__":
    main()
