"""vaelib: the small library behind the VAE course notebooks.

Modules, one idea each: data (MNIST in memory), models (AE, VAE, conditional
VAEs), losses (KL, reconstruction, ELBO), train (fit, cached training), plots,
widgets (LiveFigure and sliders), checks (exercise feedback), device.
torchvision is imported only when data has to be downloaded.
"""

__version__ = "0.1.0"
