"""Generative adversarial networks (Goodfellow et al. 2014): the classic MLP pair and a DCGAN pair.

`GAN(image_shape, latent_dim, kind)` holds a generator (noise -> image in [-1, 1]) and a
discriminator (image -> probability that it is real); `train_gan` trains any such pair on any
image dataset with the standard recipe: binary cross-entropy, Adam(lr 2e-4, betas (0.5, 0.999)),
one discriminator step on a real and a fake batch, then one generator step (non-saturating loss).

Measures against mode collapse, each optional: a minibatch standard-deviation feature in the
discriminator (Karras et al. 2018), spectral normalisation of its layers (Miyato et al. 2018; uses
fastnn.nn.utils.spectral_norm), one-sided label smoothing and noisy (flipped) labels (Salimans et
al. 2016), separate learning rates for the two nets (TTUR, Heusel et al. 2017) and an exponential
moving average of the generator's weights, which `sample` then uses (Yazici et al. 2019).
"""
import math

import numpy as np

from .. import nn, optim, tensor, randn, ones, zeros, no_grad, cat, rand
from ..data import TensorDataset, DataLoader
from ..optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


class MinibatchStdDev(nn.Module):
    """Append one feature (a channel for images): each feature's standard deviation over the batch,
    averaged over features. A collapsed generator's batch has a tell-tale low value the discriminator can see."""

    def forward(self, x):
        std = (x.var(0, unbiased=False) + 1e-8).sqrt().mean()
        return cat([x, std.expand(x.shape[0], 1, *x.shape[2:])], 1)


def _spectral(layer, on):
    if not on:
        return layer
    from ..nn import utils
    if not hasattr(utils, "spectral_norm"):
        raise RuntimeError("spectral_norm=True needs fastnn.nn.utils.spectral_norm, which this build lacks")
    return utils.spectral_norm(layer)


class MLPGenerator(nn.Module):
    """noise latent_dim -> 256 -> 512 -> 1024 -> C*H*W (or the given hidden widths), LeakyReLU(0.2) between,
    Tanh output."""

    def __init__(self, image_shape=(1, 28, 28), latent_dim=100, hidden=(256, 512, 1024)):
        super().__init__()
        self.image_shape = tuple(image_shape)
        layers, width = [], latent_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        self.net = nn.Sequential(*layers, nn.Linear(width, math.prod(self.image_shape)), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, *self.image_shape)


class MLPDiscriminator(nn.Module):
    """image -> 1024 -> 512 -> 256 -> 1 (or the given hidden widths), LeakyReLU(0.2) and Dropout between,
    Sigmoid output; minibatch_std adds the batch-spread feature before the last layer."""

    def __init__(self, image_shape=(1, 28, 28), hidden=(1024, 512, 256), dropout=0.3, minibatch_std=False,
                 spectral_norm=False):
        super().__init__()
        layers, width = [], math.prod(image_shape)
        for h in hidden:
            layers += [_spectral(nn.Linear(width, h), spectral_norm), nn.LeakyReLU(0.2)]
            layers += [nn.Dropout(dropout)] if dropout else []
            width = h
        if minibatch_std:
            layers.append(MinibatchStdDev())
        self.net = nn.Sequential(*layers, _spectral(nn.Linear(width + bool(minibatch_std), 1), spectral_norm),
                                 nn.Sigmoid())

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
    """A generator and a discriminator for images of `image_shape` (C, H, W); kind "mlp" or "dcgan".

    For kind "mlp": g_hidden / d_hidden set the widths, d_dropout the discriminator's dropout,
    minibatch_std and spectral_norm switch on those anti-collapse measures in the discriminator.
    After train_gan(..., ema_decay=d), `ema` holds the averaged generator and `sample` uses it
    (its weights then appear in state_dict() as ema.*).
    """

    def __init__(self, image_shape=(1, 28, 28), latent_dim=100, kind="mlp", g_hidden=(256, 512, 1024),
                 d_hidden=(1024, 512, 256), d_dropout=0.3, minibatch_std=False, spectral_norm=False):
        super().__init__()
        if kind not in ("mlp", "dcgan"):
            raise ValueError(f"kind must be 'mlp' or 'dcgan', got {kind!r}")
        if len(image_shape) != 3:
            raise ValueError(f"image_shape must be (C, H, W), got {image_shape!r}")
        if kind == "dcgan" and (minibatch_std or spectral_norm):
            raise ValueError("minibatch_std and spectral_norm apply to kind 'mlp' only")
        self.image_shape, self.latent_dim, self.kind = tuple(image_shape), latent_dim, kind
        self.ema = None
        if kind == "mlp":
            self.generator = MLPGenerator(image_shape, latent_dim, g_hidden)
            self.discriminator = MLPDiscriminator(image_shape, d_hidden, d_dropout, minibatch_std, spectral_norm)
        else:
            self.generator = DCGenerator(image_shape, latent_dim)
            self.discriminator = DCDiscriminator(image_shape)

    def noise(self, n):
        return randn(n, self.latent_dim)

    def sampler(self):
        """The generator that samples: the moving average when training kept one, else the trained one."""
        return self.ema.module if self.ema is not None else self.generator

    def sample(self, n, batch=500, noise=None):
        """n generated images (from `noise` when given) as a NumPy array (n, C, H, W) in [0, 1],
        made by `sampler()` in eval mode."""
        g = self.sampler()
        noise = self.noise(n) if noise is None else noise
        was_training = g.training
        g.eval()
        with no_grad():
            out = np.concatenate([g(noise[i:i + batch]).numpy() for i in range(0, len(noise), batch)])
        g.train(was_training)
        return (out + 1.0) / 2.0

    def forward(self, z):
        return self.generator(z)


def gan_step(gan, real, opt_d, opt_g, loss_fn, real_target=1.0, flip=0.0):
    """One alternating update on a batch of real images in [-1, 1]; returns (discriminator loss, generator loss).

    The discriminator's targets: real_target for real images (< 1: one-sided label smoothing) and 0 for
    fakes, each swapped with probability `flip` (noisy labels). The generator always aims at 1.
    """
    n = real.shape[0]
    real_label, fake_label = ones(n, 1) * real_target, zeros(n, 1)
    if flip:
        swap = (rand(n, 1) < flip).float()
        real_label, fake_label = real_label * (1 - swap), fake_label * (1 - swap) + real_target * swap
    fake = gan.generator(gan.noise(n))
    opt_d.zero_grad()
    loss_d = loss_fn(gan.discriminator(real), real_label) + loss_fn(gan.discriminator(fake.detach()), fake_label)
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad()
    loss_g = loss_fn(gan.discriminator(fake), ones(n, 1))  # non-saturating: make fakes look real
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()


def train_gan(gan, images, epochs, batch_size=64, lr=2e-4, betas=(0.5, 0.999), progress=None, on_epoch=None,
              lr_d=None, lr_g=None, real_target=1.0, flip=0.0, ema_decay=None):
    """Train `gan` on images (N, C, H, W) with values in [0, 1]; returns per-epoch mean (D loss, G loss).

    lr_d / lr_g: each net's learning rate (default lr). real_target, flip: see gan_step. ema_decay:
    keep `gan.ema`, an AveragedModel of the generator with that decay, updated after every step.
    `progress(iterable, desc)` may wrap each epoch's batches; `on_epoch(epoch, gan)` runs after each epoch.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.shape[1:] != gan.image_shape:
        raise ValueError(f"images must have shape (N, {', '.join(map(str, gan.image_shape))}), got {images.shape}")
    if not 0.0 < real_target <= 1.0:
        raise ValueError(f"real_target must be in (0, 1], got {real_target}")
    if not 0.0 <= flip < 0.5:
        raise ValueError(f"flip must be in [0, 0.5), got {flip}")
    if ema_decay is not None and not 0.0 < ema_decay < 1.0:
        raise ValueError(f"ema_decay must be in (0, 1), got {ema_decay}")
    loader = DataLoader(TensorDataset(tensor(images * 2.0 - 1.0)), batch_size=batch_size, shuffle=True, drop_last=True)
    opt_d = optim.Adam(gan.discriminator.parameters(), lr=lr_d or lr, betas=betas)
    opt_g = optim.Adam(gan.generator.parameters(), lr=lr_g or lr, betas=betas)
    if ema_decay is not None:
        # use_buffers: batch-norm statistics are averaged too, so the average is a consistent generator
        gan.ema = AveragedModel(gan.generator, multi_avg_fn=get_ema_multi_avg_fn(ema_decay), use_buffers=True)
    loss_fn = nn.BCELoss()
    history = []
    for epoch in range(epochs):
        losses = []
        batches = progress(loader, f"gan epoch {epoch + 1}/{epochs}") if progress else loader
        for (real,) in batches:
            losses.append(gan_step(gan, real, opt_d, opt_g, loss_fn, real_target, flip))
            if gan.ema is not None:
                gan.ema.update_parameters(gan.generator)
        history.append(tuple(np.mean(losses, axis=0)))
        if on_epoch:
            on_epoch(epoch, gan)
    return history
