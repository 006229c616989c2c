"""Training: a plain loop over in-memory minibatches, and a disk cache of trained models.

    model, history = train_or_load(VAEConfig(z_dim=2), TrainConfig(steps=3000), data, name="vae-2d")

trains once and afterwards loads the checkpoint ``checkpoints/vae-2d-<key>.pt``, whose
key is a hash of the model config, the training config (seed included), the course seed
``$VAELIB_SEED`` and the data. A changed config, seed or data set trains a new model;
nothing is overwritten.

Devices: one rule for every function of vaelib that takes a model.
- A function that trains a model (fit, train_or_load) trains on ``device`` (default:
  ``vaelib.device.default_device()``) and returns the model on the device it came on
  (a new model starts on the CPU), so ``fit(model, x)`` then ``model.encode(x)`` works.
- Any other function runs where the model is: it moves the tensors you pass there itself
  and returns its tensors on the device the images ``x`` came on.
- Noise comes from the generator you pass, drawn on that generator's device: a CPU
  generator gives the same noise on a GPU (``vaelib.device.randn``).
The models' own methods (encode, decode, loss) move nothing: call them with tensors on
the model's device.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from .data import Data, minibatches
from .device import default_device, model_device, move
from .models import build_model
from .seeding import course_seed
from .seeding import seed as course_shifted

__all__ = [
    "TrainConfig", "History", "TrainingDiverged", "fit", "evaluate", "latent_stats",
    "train_or_load", "cache_dir", "cache_key", "ACTIVE_THRESHOLD",
]

CHECKPOINT_FORMAT = 2  # 2: history rows hold kl_mu, kl_sigma and mu_std
ACTIVE_THRESHOLD = 0.01  # a latent dimension is "active" if Var_x(mu_d(x)) exceeds this
MONITOR_SIZE = 1000      # images used to measure mean sigma and active dimensions


LR_SCHEDULES = ("constant", "cosine", "onecycle")


@dataclass
class TrainConfig:
    """How to train; every field enters the cache key.

    Two warm-ups, not to be confused:
    - ``warmup_steps`` is KL annealing: the KL weight beta rises from 0 to ``beta``;
    - ``lr_warmup_steps`` is a learning-rate warm-up: the lr rises to ``lr``.

    Learning-rate schedules (``lr_at``), over steps s = 1..steps, with W = lr_warmup_steps:
    - "constant": lr at every step (after a linear warm-up over W steps if W > 0);
    - "cosine": a linear warm-up from lr / W to lr over the first W steps, then a cosine
      decay from lr to ``lr_final * lr`` at the last step;
    - "onecycle": as "cosine", but the warm-up rises along a half cosine from lr / 25
      (as torch's OneCycleLR); it needs W > 0.
    """
    steps: int = 2000        # optimizer steps: a budget that does not grow with the data set
    batch_size: int = 128    # images per step
    lr: float = 1e-3         # Adam learning rate (the peak of a schedule)
    beta: float = 1.0        # weight of the KL term; 1 is the true ELBO
    warmup_steps: int = 0    # KL annealing: beta rises linearly from 0 to beta over these steps
    seed: int = 0            # seeds the initial weights, the shuffling and the noise eps
    #                          (shifted by $VAELIB_SEED, see vaelib.seeding)
    log_every: int = 0       # record the history every N steps too (0: at each epoch's end only)
    lr_schedule: str = "constant"  # "constant", "cosine" or "onecycle" (see above)
    lr_warmup_steps: int = 0       # learning-rate warm-up: the lr rises to lr over these steps
    lr_final: float = 0.0          # cosine/onecycle: the last step's lr, as a fraction of lr

    def __post_init__(self):
        for name in ("steps", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, not {self.lr}")
        if self.beta < 0 or self.warmup_steps < 0 or self.log_every < 0:
            raise ValueError("beta, warmup_steps and log_every must not be negative")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(map(repr, LR_SCHEDULES))}, "
                             f"not {self.lr_schedule!r}")
        if not 0 <= self.lr_warmup_steps < self.steps:
            raise ValueError(f"lr_warmup_steps must lie in 0..steps-1 ({self.steps - 1}), not "
                             f"{self.lr_warmup_steps} (it is the learning-rate warm-up; "
                             f"KL annealing is warmup_steps)")
        if self.lr_schedule == "onecycle" and self.lr_warmup_steps == 0:
            raise ValueError("lr_schedule='onecycle' needs lr_warmup_steps > 0 "
                             "(e.g. 30 % of steps); use 'cosine' for no warm-up")
        if not 0 <= self.lr_final <= 1:
            raise ValueError(f"lr_final is a fraction of lr and must lie in [0, 1], "
                             f"not {self.lr_final}")
        if self.lr_schedule == "constant" and self.lr_final != 0:
            raise ValueError("lr_final applies to the 'cosine' and 'onecycle' schedules only")

    def beta_at(self, step: int) -> float:
        """The KL weight used at optimizer step ``step`` (1-based)."""
        if self.warmup_steps == 0:
            return self.beta
        return self.beta * min(1.0, step / self.warmup_steps)

    def lr_at(self, step: int) -> float:
        """The learning rate used at optimizer step ``step`` (1-based)."""
        warm = self.lr_warmup_steps
        if step <= warm:
            if self.lr_schedule == "onecycle":
                start = self.lr / 25                         # OneCycleLR's div_factor
                return start + (self.lr - start) * 0.5 * (1 - math.cos(math.pi * step / warm))
            return self.lr * step / warm
        if self.lr_schedule == "constant":
            return self.lr
        progress = min(1.0, (step - warm) / (self.steps - warm))  # 0 after warm-up .. 1 at the end
        floor = self.lr_final * self.lr
        return floor + (self.lr - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    @property
    def has_lr_schedule(self) -> bool:
        """False for a constant lr without warm-up: fit then never touches the optimizer's lr."""
        return self.lr_schedule != "constant" or self.lr_warmup_steps > 0


class History(list):
    """One dict per record (step, epoch, beta, lr, loss, recon, kl, sigma_mean, active_dims, ...).

    ``history["kl"]`` gives one column as a list.
    """

    def __getitem__(self, key):
        if isinstance(key, str):
            return [row[key] for row in self]
        return super().__getitem__(key)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message says what to try."""


@torch.no_grad()
def latent_stats(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> dict:
    """Mean sigma over images and dimensions, the number of active dimensions and, for a
    model with a posterior, the KL's two parts and the spread of mu.

    A dimension d is active when Var_x(mu_d(x)) > ACTIVE_THRESHOLD (Burda et al., 2016):
    its posterior mean moves with the input. For a plain AE, z plays the part of mu
    and sigma is 0. With a posterior, per image and summed over dimensions,

        kl_mu    = 1/2 sum_d (mu_d - m_d)^2                (m: the prior mean, 0 or mu_y)
        kl_sigma = 1/2 sum_d (sigma_d^2 - log sigma_d^2 - 1)

    averaged over the images (kl_mu + kl_sigma is the KL to N(m, I)), and
    mu_std = the standard deviation of mu_d(x) over the images, averaged over d, the scale
    against which sigma_mean is small or large.
    """
    if not hasattr(model, "encode"):
        return {}
    device = model_device(model)
    x, y = x.to(device), move(y, device)
    was_training = model.training
    model.eval()
    out = model.encode(x, y) if model.uses_labels else model.encode(x)
    model.train(was_training)
    stats = {}
    if model.has_posterior:
        mu, logvar = out                                                   # [B, D] each
        stats["sigma_mean"] = torch.exp(0.5 * logvar).mean().item()
        stats["mu_std"] = mu.std(dim=0).mean().item() if len(mu) > 1 else 0.0
        if hasattr(model, "prior_mean") and y is None:
            pass                                           # N(mu_y, I) needs the labels
        else:
            centre = model.prior_mean(y) if hasattr(model, "prior_mean") else 0.0
            stats["kl_mu"] = (0.5 * (mu - centre).pow(2).sum(dim=1)).mean().item()
            stats["kl_sigma"] = (0.5 * (logvar.exp() - logvar - 1).sum(dim=1)).mean().item()
    else:
        mu = out
        stats["sigma_mean"] = 0.0
    stats["active_dims"] = int((mu.var(dim=0) > ACTIVE_THRESHOLD).sum()) if len(mu) > 1 else 0
    return stats


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None,
             batch_size: int = 1000, generator: torch.Generator | None = None) -> dict:
    """Per-image means of loss (beta = 1), recon and kl over a whole data set, in nats."""
    device, was_training = model_device(model), model.training
    model.eval()
    totals = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size].to(device)
        yb = None if y is None else y[start:start + batch_size].to(device)
        parts = model.loss(xb, yb, beta=1.0, generator=generator)
        for k, v in zip(("loss", "recon", "kl"), parts):
            totals[k] += float(v) * len(xb)
    model.train(was_training)
    return {k: v / len(x) for k, v in totals.items()}


def _check_inputs(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None) -> None:
    config = model.config
    if not isinstance(x, torch.Tensor) or x.dim() < 2 or x[0].numel() != config.x_dim:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"images must be a tensor [N, {', '.join(map(str, config.image_shape))}]"
                         f", got {shape}")
    if not torch.isfinite(x).all():
        raise ValueError("the images contain NaN or infinite values; load them again with "
                         "vaelib.data.load_mnist() or clean them with torch.nan_to_num")
    if x.min() < 0 or x.max() > 1:
        raise ValueError(f"pixel values must lie in [0, 1], got {x.min():.3g}..{x.max():.3g}; "
                         "divide 0..255 images by 255")
    if model.uses_labels and (y is None or len(y) != len(x)):
        raise ValueError(f"{type(model).__name__} needs one label per image: fit(model, x, y, ...)")


def _adam(model: nn.Module, lr: float) -> torch.optim.Adam:
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, TypeError):  # fused Adam is missing on some devices
        return torch.optim.Adam(model.parameters(), lr=lr)


def _diverged(config: TrainConfig, n: int, step: int, loss: float) -> TrainingDiverged:
    epoch = (step - 1) // -(-n // config.batch_size) + 1  # every epoch has ceil(n / batch) steps
    return TrainingDiverged(
        f"the loss became {loss} at step {step} (epoch {epoch}). Try a smaller learning rate "
        f"(lr={config.lr:g} now; e.g. lr={config.lr / 10:g}), a smaller beta, or check that "
        f"the images are finite and lie in [0, 1].")


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None,
        config: TrainConfig | None = None, *, x_val: torch.Tensor | None = None,
        y_val: torch.Tensor | None = None, device: torch.device | None = None,
        progress: bool = True) -> History:
    """Train ``model`` in place with Adam for ``config.steps`` steps; return its History.

    Each record holds the step, epoch, beta and lr (those of its last step), the means
    over the steps since the last record of loss, recon and kl (per image, in nats), the
    mean sigma and the number of active latent dimensions (on up to 1,000 training
    images), and val_loss,
    val_recon, val_kl when x_val is given. Records are made at the end of every
    epoch, every ``config.log_every`` steps if set, and after the last step.

    Trains on ``device`` and returns the model on the device it came on, in eval mode.
    The sums and the NaN guard stay on the device, so a step never waits for it; the
    guard is read every 50 steps and at each record. A learning-rate schedule
    (``config.lr_schedule``) sets the optimizer's lr before each step; without one
    (the default) the lr stays ``config.lr`` and is never touched.
    """
    config = config or TrainConfig()
    _check_inputs(model, x, y)
    home, device = model_device(model), torch.device(device or default_device())
    model.to(device).train()
    x, y, x_val, y_val = (move(t, device) for t in (x, y, x_val, y_val))
    mon_x, mon_y = x[:MONITOR_SIZE], None if y is None else y[:MONITOR_SIZE]
    shuffle = torch.Generator().manual_seed(course_shifted(config.seed))
    noise = torch.Generator(device=device).manual_seed(course_shifted(config.seed) + 1)
    opt, history, step, epoch = _adam(model, config.lr), History(), 0, 0
    scheduled = config.has_lr_schedule
    sums, count = torch.zeros(3, device=device), 0  # running sums of loss, recon, kl
    bad_step = torch.zeros((), dtype=torch.long, device=device)  # first non-finite step, or 0
    bad_loss = torch.zeros((), device=device)                    # the loss at that step
    bar = tqdm(total=config.steps, desc=type(model).__name__, disable=not progress, leave=False)

    def check():  # reads the device: did any step so far give a NaN or infinite loss?
        if bad_step:
            raise _diverged(config, len(x), int(bad_step), float(bad_loss))

    def record():
        nonlocal sums, count
        check()
        row = {"step": step, "epoch": epoch, "beta": config.beta_at(step),
               "lr": opt.param_groups[0]["lr"]}
        row.update(zip(("loss", "recon", "kl"), (sums / max(count, 1)).tolist()))
        row.update(latent_stats(model, mon_x, mon_y))
        if x_val is not None:
            row.update({f"val_{k}": v for k, v in evaluate(model, x_val, y_val).items()})
        history.append(row)
        sums, count = torch.zeros(3, device=device), 0

    try:
        while step < config.steps:
            epoch += 1
            for idx in minibatches(len(x), config.batch_size, shuffle, device=device):
                step += 1
                if scheduled:  # a Python float: setting it never waits for the device
                    for group in opt.param_groups:
                        group["lr"] = config.lr_at(step)
                parts = model.loss(x[idx], None if y is None else y[idx],
                                   beta=config.beta_at(step), generator=noise)
                opt.zero_grad(set_to_none=True)
                parts.loss.backward()
                opt.step()
                loss = parts.loss.detach()
                bad_step = torch.where((bad_step == 0) & ~loss.isfinite(), step, bad_step)
                bad_loss = torch.where(bad_step == step, loss, bad_loss)
                sums += torch.stack([loss, parts.recon.detach(), parts.kl.detach()])
                count += 1
                bar.update(1)
                if step % 50 == 0:
                    check()
                    bar.set_postfix(loss=f"{loss.item():.1f}", epoch=epoch)
                if config.log_every and step % config.log_every == 0 and step < config.steps:
                    record()
                if step == config.steps:
                    break
            if count:
                record()
    finally:
        bar.close()
        model.to(home).eval()
    return history


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """Checkpoint folder: ``path``, else ``$VAELIB_CACHE``, else ``checkpoints/`` in the repo."""
    if path is not None:
        return Path(path)
    if os.environ.get("VAELIB_CACHE"):
        return Path(os.environ["VAELIB_CACHE"])
    repo = Path(__file__).resolve().parents[1]
    return (repo if (repo / "pyproject.toml").exists() else Path.cwd()) / "checkpoints"


def _data_fingerprint(data: Data) -> dict:
    """The data source plus a cheap checksum, so a subset or a different set gets its own key."""
    flat = data.images.reshape(len(data.images), -1)
    return {"source": data.source, "n": len(flat),
            "checksum": round(float(flat[::97].double().sum()), 3),
            "labels": int(data.labels.long().sum())}


# Fields added to TrainConfig later; left out of the cache key while at their default, so
# the checkpoints of configs that do not use them keep their keys.
_LATER_DEFAULTS = {"lr_schedule": "constant", "lr_warmup_steps": 0, "lr_final": 0.0}


def _train_meta(train_config: TrainConfig) -> dict:
    fields = asdict(train_config)
    return {k: v for k, v in fields.items()
            if k not in _LATER_DEFAULTS or v != _LATER_DEFAULTS[k]}


def _meta(config, train_config: TrainConfig, data: Data) -> dict:
    return {"format": CHECKPOINT_FORMAT, "config_type": type(config).__name__,
            "config": asdict(config), "train_config": _train_meta(train_config),
            "course_seed": course_seed(), "data": _data_fingerprint(data)}


def _normalise(meta: dict) -> str:
    return json.dumps(meta, sort_keys=True, default=list)


def cache_key(config, train_config: TrainConfig, data: Data) -> str:
    """12 hex digits of a hash of the model and training configs, the course seed and the data."""
    return hashlib.sha256(_normalise(_meta(config, train_config, data)).encode()).hexdigest()[:12]


def _show(path: Path) -> str:
    """The path as shown to a reader: relative to the repository where possible."""
    try:
        return str(path.resolve().relative_to(cache_dir().resolve().parent))
    except ValueError:
        return path.name


def _move_aside(path: Path, why: str) -> None:
    aside = path.with_name(f"{path.stem}.unusable-{time.strftime('%Y%m%d-%H%M%S')}.pt")
    path.rename(aside)
    print(f"{_show(path)} {why}; kept it as {aside.name} and training a new model.")


def train_or_load(config, train_config: TrainConfig, data: Data, *, name: str | None = None,
                  val: Data | None = None, directory: str | os.PathLike | None = None,
                  device: torch.device | None = None, progress: bool = True):
    """Load the cached model for (config, train_config, data), or train and cache it.

    Returns (model, history); the model is on the CPU in eval mode. The weights are
    initialised from ``train_config.seed`` without touching the caller's random state.
    """
    meta = _meta(config, train_config, data)
    key = cache_key(config, train_config, data)
    name = name or f"{type(config).__name__.removesuffix('Config').lower()}-z{config.z_dim}"
    path = cache_dir(directory) / f"{name}-{key}.pt"
    if path.exists():
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
            stored = {k: ckpt[k] for k in meta}
        except Exception as err:  # truncated file, not a checkpoint, ...
            _move_aside(path, f"could not be read ({type(err).__name__})")
        else:
            if _normalise(stored) == _normalise(meta):
                model = build_model(config)
                model.load_state_dict(ckpt["state_dict"])
                print(f"Loaded {_show(path)} (trained for {train_config.steps} steps in "
                      f"{ckpt['train_seconds']:.0f} s; delete the file to train again).")
                return model.eval(), History(ckpt["history"])
            _move_aside(path, "was made for another config or data set")

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(course_shifted(train_config.seed))
        model = build_model(config)
    start = time.perf_counter()
    labelled = model.uses_labels
    history = fit(model, data.images, data.labels if labelled else None, train_config,
                  x_val=None if val is None else val.images,
                  y_val=None if val is None or not labelled else val.labels,
                  device=device, progress=progress)
    seconds = time.perf_counter() - start  # fit returned the model on the CPU, in eval mode
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")  # two kernels training at once never share it
    torch.save({**meta, "state_dict": model.state_dict(), "history": list(history),
                "train_seconds": seconds}, tmp)
    os.replace(tmp, path)
    print(f"Trained {name} for {train_config.steps} steps in {seconds:.0f} s; "
          f"saved {_show(path)}.")
    return model, history
