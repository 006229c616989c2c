"""The course's shared models: one recipe per name, so notebooks reuse each other's caches.

    model, history = zoo.load("vae-2d", train_data)

trains the recipe the first time (it prints how long that took) and loads it from
``checkpoints/`` afterwards. A notebook that wants a variant builds its own configs
and calls ``vaelib.train.train_or_load`` directly.

Train every recipe before a class with ``python -m vaelib.zoo``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .data import Data, load_mnist
from .judge import JudgeConfig
from .models import AEConfig, ClassifierConfig, VAEConfig
from .train import TrainConfig, train_or_load

__all__ = ["RECIPES", "Recipe", "load"]


@dataclass
class Recipe:
    config: object       # a model config (AEConfig, VAEConfig, ...)
    train: TrainConfig   # how it is trained
    note: str = ""       # what it is for


# Budgets are in optimizer steps, so the time is about the same on the 4,000-image offline
# sample and on full MNIST (1,500 steps of batch 128: 48 epochs of the sample, 3.2 of MNIST).
RECIPES: dict[str, Recipe] = {
    "ae-2d": Recipe(AEConfig(z_dim=2), TrainConfig(steps=1500),
                    "plain autoencoder with a 2-D code (notebooks 01, 02, 05)"),
    "vae-2d": Recipe(VAEConfig(z_dim=2), TrainConfig(steps=1500),
                     "VAE with a 2-D latent, Bernoulli likelihood (notebooks 05, 07, 08)"),
    "vae-16d": Recipe(VAEConfig(z_dim=16), TrainConfig(steps=1500),
                      "VAE with a 16-D latent (notebooks 05, 08)"),
    "classifier": Recipe(ClassifierConfig(), TrainConfig(steps=1000),
                         "MLP digit classifier that judges decoded images (notebooks 02, 05, 06)"),
    "judge": Recipe(JudgeConfig(), TrainConfig(steps=1000),
                    "MLP digit classifier with a 'not a digit' class (vaelib.judge)"),
}


def load(name: str, data: Data, **kwargs):
    """(model, history) for the named recipe on ``data``, trained or loaded from the cache.

    kwargs go to ``train_or_load`` (e.g. ``val=test_data``, ``progress=False``).
    """
    if name not in RECIPES:
        raise KeyError(f"no recipe {name!r}; the recipes are {', '.join(RECIPES)}")
    recipe = RECIPES[name]
    return train_or_load(copy.deepcopy(recipe.config), recipe.train, data, name=name, **kwargs)


if __name__ == "__main__":
    train = load_mnist("train")
    for recipe_name in RECIPES:
        load(recipe_name, train)
