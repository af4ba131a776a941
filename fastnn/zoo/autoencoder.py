"""Convolutional autoencoder on MNIST (when its IDX files are given) or the bundled 8x8 digits.

Adam (lr 1e-3) on per-pixel binary cross-entropy; the metric is that BCE on the test images.
"""
import os
import time


from .. import optim, tensor, manual_seed, no_grad
from ..nn import functional as F
from ..data import TensorDataset, DataLoader
from ..models import ConvAutoencoder
from . import out_of_time, progress, plot_curves, plot_image_rows, target
from .images import load_images


def test_bce(model, x, batch=1000):
    total = 0.0
    with no_grad():
        for i in range(0, len(x), batch):
            xb = tensor(x[i:i + batch])
            total += F.binary_cross_entropy(model(xb), xb, reduction="sum").item()
    return total / x.size


def train(quick=False, data_dir=None, plot_dir=None, seed=0, epochs=None, full=False):
    start = time.perf_counter()
    manual_seed(seed)
    xtr, _, xte, _, name = load_images(data_dir, quick, seed)
    mnist = xtr.shape[-1] == 28
    epochs = epochs or ((1 if mnist else 5) if quick else (5 if mnist else 60) if full else (1 if mnist else 30))
    model = ConvAutoencoder()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(tensor(xtr)), batch_size=64 if mnist else 16, shuffle=True)
    losses = []
    bar = progress(range(epochs), desc="autoencoder epochs")
    for epoch in bar:
        total = 0.0
        for (xb,) in loader:
            if out_of_time():  # a time budget ends the run inside an epoch, not only between epochs
                break
            opt.zero_grad()
            loss = F.binary_cross_entropy(model(xb), xb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        losses.append(total / len(xtr))
        bar.set_postfix(train_bce=losses[-1])
    bce = test_bce(model, xte)
    if plot_dir:
        os.makedirs(plot_dir, exist_ok=True)
        plot_curves(os.path.join(plot_dir, "autoencoder_loss.png"), {"train BCE": losses},
                    f"Convolutional autoencoder on {name}")
        with no_grad():
            recon = model(tensor(xte[:10]))._data
        plot_image_rows(os.path.join(plot_dir, "autoencoder_reconstructions.png"),
                        [[im[0] for im in xte[:10]], [im[0] for im in recon]], ["original", "reconstruction"],
                        suptitle="Autoencoder: test images and reconstructions")
    return {"model": "ConvAutoencoder", "data": name, "metric": "test BCE per pixel", "value": bce,
            "seconds": time.perf_counter() - start, "epochs": len(losses),
            # the 8x8 digits have no published reference
            "target": target("<=", 0.118, "PCA-32 0.118") if mnist else None}
