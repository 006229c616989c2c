"""Notebook 01 writes the autoencoder inline; vaelib's Autoencoder must be the same model."""

import torch
from torch import nn

from vaelib.losses import squared_error
from vaelib.models import AEConfig, Autoencoder


def inline_autoencoder(x_dim=784, z_dim=2):
    """The encoder and decoder exactly as notebook 01 writes them."""
    encoder = nn.Sequential(nn.Linear(x_dim, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                            nn.Linear(256, z_dim))
    decoder = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
                            nn.Linear(512, x_dim))
    return encoder, decoder


def test_inline_weights_fit_vaelib_and_give_the_same_codes_and_loss(gen):
    torch.manual_seed(0)
    encoder, decoder = inline_autoencoder()
    ae = Autoencoder(AEConfig(z_dim=2))
    ae.encoder.net.load_state_dict(encoder.state_dict())  # strict: same layers, same shapes
    ae.decoder.net.load_state_dict(decoder.state_dict())
    x = torch.rand(16, 1, 28, 28, generator=gen)
    with torch.no_grad():
        z = encoder(x.flatten(1))
        logits = decoder(z)
        loss = (x.flatten(1) - torch.sigmoid(logits)).pow(2).sum(dim=1).mean()
        torch.testing.assert_close(ae.encode(x), z)
        torch.testing.assert_close(ae.decode(z), logits.view(16, 1, 28, 28))
        torch.testing.assert_close(ae.loss(x).loss, loss)


def test_inline_gradients_match_vaelib(gen):
    torch.manual_seed(1)
    encoder, decoder = inline_autoencoder(z_dim=3)
    ae = Autoencoder(AEConfig(z_dim=3))
    ae.encoder.net.load_state_dict(encoder.state_dict())
    ae.decoder.net.load_state_dict(decoder.state_dict())
    x = torch.rand(8, 1, 28, 28, generator=gen)
    (x.flatten(1) - torch.sigmoid(decoder(encoder(x.flatten(1))))).pow(2).sum(1).mean().backward()
    ae.loss(x).loss.backward()
    torch.testing.assert_close(ae.encoder.net[0].weight.grad, encoder[0].weight.grad)
    torch.testing.assert_close(ae.decoder.net[-1].bias.grad, decoder[-1].bias.grad)


def test_exercise_solution_equals_squared_error(gen):
    x = torch.rand(5, 1, 28, 28, generator=gen)
    logits = torch.randn(5, 1, 28, 28, generator=gen)
    solution = (x - torch.sigmoid(logits)).flatten(1).pow(2).sum(dim=1)
    torch.testing.assert_close(solution, squared_error(logits, x))
