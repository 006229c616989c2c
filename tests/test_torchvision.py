"""The installed torch and torchvision must work together (a mismatched pair fails at import)."""

import torch


def test_torchvision_imports_and_runs_its_compiled_ops():
    import torchvision
    from torchvision.ops import nms
    from torchvision.utils import make_grid

    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]])
    keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    grid = make_grid(torch.zeros(4, 1, 28, 28), nrow=2, padding=0)
    assert grid.shape == (3, 56, 56)
    assert torchvision.__version__
