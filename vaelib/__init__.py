"""vaelib: the small library behind the VAE course notebooks.

One idea per module:
    data         MNIST / Fashion-MNIST in memory (VAELIB_DATASET), offline fallback, minibatches
    models       configs and the AE, VAE, conditional VAEs and a digit classifier
    losses       reparameterization, KL, reconstruction terms, the ELBO (per sample, nats)
    train        fit(), and train_or_load() with its checkpoint cache
    zoo          the shared trained models the notebooks reuse
    evaluation   importance-weighted and exact (grid, window) log-likelihoods
    inference    per-sample variational inference and encoder refinement
    geometry     measures of a 2-D code cloud (coverage, gaps, outliers, union of ellipses)
    sampling     a Gaussian fitted to codes, and two judges of decoded samples
    judge        a classifier that can say "not a digit", and improved precision and recall
    estimators   pathwise and score-function gradient estimators, their exact variances
    dynamics     beta sweeps and how much of the prior the codes cover
    claims       claim(): one checked line beside a sentence that depends on the data
    seeding      VAELIB_SEED: one integer that shifts every seed of the course
    plots, widgets, checks, notebook, device: figures, live widgets, exercise
                 feedback, the notebook preamble, and the choice of device
torchvision is imported only when data has to be downloaded.
"""

__version__ = "0.1.0"
