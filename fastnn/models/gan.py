"""Generative adversarial networks (Goodfellow et al. 2014): the classic MLP pair and a DCGAN pair.

`GAN(image_shape, latent_dim, kind)` holds a generator (noise -> image in [-1, 1]) and a
discriminator (image -> probability that it is real); `train_gan` trains any such pair on any
image dataset with the standard recipe: binary cross-entropy, Adam(lr 2e-4, betas (0.5, 0.999)),
one discriminator step on a real and a fake batch, then one generator step (non-saturating loss).
"""
import math

import numpy as np

from .. import nn, optim, tensor, randn, ones, zeros, no_grad
from ..data import TensorDataset, DataLoader


class MLPGenerator(nn.Module):
    """noise latent_dim -> 256 -> 512 -> 1024 -> C*H*W, LeakyReLU(0.2) between, Tanh output."""

    def __init__(self, image_shape=(1, 28, 28), latent_dim=100):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 1024), nn.LeakyReLU(0.2),
            nn.Linear(1024, math.prod(self.image_shape)), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, *self.image_shape)


class MLPDiscriminator(nn.Module):
    """image -> 1024 -> 512 -> 256 -> 1, LeakyReLU(0.2) and Dropout(0.3) between, Sigmoid output."""

    def __init__(self, image_shape=(1, 28, 28)):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(math.prod(image_shape), 1024), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(256, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x.flatten(1))


def _quarter(image_shape):
    c, h, w = image_shape
    if h % 4 or w % 4:
        raise ValueError(f"DCGAN needs image height and width divisible by 4, got {h}x{w}")
    return c, h // 4, w // 4


class DCGenerator(nn.Module):
    """Radford et al. 2016: noise -> Linear to 128 x H/4 x W/4, then two stride-2 ConvTranspose2d
    (BatchNorm2d + ReLU after the first) doubling the size each time, Tanh output."""

    def __init__(self, image_shape=(1, 28, 28), latent_dim=100, width=64):
        super().__init__()
        c, self.h4, self.w4 = _quarter(image_shape)
        self.width = width
        self.project = nn.Sequential(nn.Linear(latent_dim, 2 * width * self.h4 * self.w4),
                                     nn.BatchNorm1d(2 * width * self.h4 * self.w4), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, c, 4, stride=2, padding=1), nn.Tanh())

    def forward(self, z):
        return self.deconv(self.project(z).view(-1, 2 * self.width, self.h4, self.w4))


class DCDiscriminator(nn.Module):
    """Two stride-2 Conv2d (LeakyReLU(0.2); BatchNorm2d after the second) halving the size, Linear -> Sigmoid."""

    def __init__(self, image_shape=(1, 28, 28), width=64):
        super().__init__()
        c, h4, w4 = _quarter(image_shape)
        self.net = nn.Sequential(
            nn.Conv2d(c, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * h4 * w4, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


class GAN(nn.Module):
    """A generator and a discriminator for images of `image_shape` (C, H, W); kind "mlp" or "dcgan"."""

    def __init__(self, image_shape=(1, 28, 28), latent_dim=100, kind="mlp"):
        super().__init__()
        if kind not in ("mlp", "dcgan"):
            raise ValueError(f"kind must be 'mlp' or 'dcgan', got {kind!r}")
        if len(image_shape) != 3:
            raise ValueError(f"image_shape must be (C, H, W), got {image_shape!r}")
        self.image_shape, self.latent_dim, self.kind = tuple(image_shape), latent_dim, kind
        if kind == "mlp":
            self.generator = MLPGenerator(image_shape, latent_dim)
            self.discriminator = MLPDiscriminator(image_shape)
        else:
            self.generator = DCGenerator(image_shape, latent_dim)
            self.discriminator = DCDiscriminator(image_shape)

    def noise(self, n):
        return randn(n, self.latent_dim)

    def sample(self, n, batch=500):
        """n generated images as a NumPy array (n, C, H, W) in [0, 1], generator in eval mode."""
        was_training = self.generator.training
        self.generator.eval()
        with no_grad():
            out = np.concatenate([self.generator(self.noise(min(batch, n - i))).numpy() for i in range(0, n, batch)])
        self.generator.train(was_training)
        return (out + 1.0) / 2.0

    def forward(self, z):
        return self.generator(z)


def gan_step(gan, real, opt_d, opt_g, loss_fn):
    """One alternating update on a batch of real images in [-1, 1]; returns (discriminator loss, generator loss)."""
    n = real.shape[0]
    real_label, fake_label = ones(n, 1), zeros(n, 1)
    fake = gan.generator(gan.noise(n))
    opt_d.zero_grad()
    loss_d = loss_fn(gan.discriminator(real), real_label) + loss_fn(gan.discriminator(fake.detach()), fake_label)
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad()
    loss_g = loss_fn(gan.discriminator(fake), real_label)  # non-saturating: make fakes look real
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()


def train_gan(gan, images, epochs, batch_size=64, lr=2e-4, betas=(0.5, 0.999), progress=None, on_epoch=None):
    """Train `gan` on images (N, C, H, W) with values in [0, 1]; returns per-epoch mean (D loss, G loss).

    `progress(iterable, desc)` may wrap each epoch's batches; `on_epoch(epoch, gan)` runs after each epoch.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.shape[1:] != gan.image_shape:
        raise ValueError(f"images must have shape (N, {', '.join(map(str, gan.image_shape))}), got {images.shape}")
    loader = DataLoader(TensorDataset(tensor(images * 2.0 - 1.0)), batch_size=batch_size, shuffle=True, drop_last=True)
    opt_d = optim.Adam(gan.discriminator.parameters(), lr=lr, betas=betas)
    opt_g = optim.Adam(gan.generator.parameters(), lr=lr, betas=betas)
    loss_fn = nn.BCELoss()
    history = []
    for epoch in range(epochs):
        losses = []
        batches = progress(loader, f"gan epoch {epoch + 1}/{epochs}") if progress else loader
        for (real,) in batches:
            losses.append(gan_step(gan, real, opt_d, opt_g, loss_fn))
        history.append(tuple(np.mean(losses, axis=0)))
        if on_epoch:
            on_epoch(epoch, gan)
    return history
