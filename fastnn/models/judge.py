"""A digit classifier that grades generated digits: how confidently it labels them, and how many classes appear."""
import numpy as np

from .. import optim, tensor, no_grad
from ..data import TensorDataset, DataLoader
from ..nn import functional as F
from .lenet import LeNet


class DigitJudge:
    """A LeNet trained on real digits (N, 1, H, W) in [0, 1], H = 28 or 8, that scores generated ones.

    Inputs are standardised with the training images' mean and standard deviation.
    """

    def __init__(self, input_size=28):
        self.model = LeNet(input_size=input_size)
        self.mean, self.std = 0.0, 1.0

    def fit(self, images, labels, epochs=2, batch_size=64, lr=0.01, momentum=0.9, progress=None):
        images = np.asarray(images, dtype=np.float32)
        self.mean, self.std = float(images.mean()), float(images.std())
        loader = DataLoader(TensorDataset(tensor(self._standardise(images)), tensor(np.asarray(labels, np.int64))),
                            batch_size=batch_size, shuffle=True)
        opt = optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)
        self.model.train()
        for epoch in range(epochs):
            for xb, yb in (progress(loader, f"judge epoch {epoch + 1}/{epochs}") if progress else loader):
                opt.zero_grad()
                F.nll_loss(self.model(xb), yb).backward()
                opt.step()
        self.model.eval()
        return self

    def _standardise(self, images):
        return ((np.asarray(images, dtype=np.float32) - self.mean) / self.std).astype(np.float32)

    def probabilities(self, images, batch=1000):
        self.model.eval()
        with no_grad():
            return np.concatenate([np.exp(self.model(tensor(self._standardise(images[i:i + batch]))).numpy())
                                   for i in range(0, len(images), batch)])

    def accuracy(self, images, labels):
        return float((self.probabilities(images).argmax(1) == np.asarray(labels)).mean())

    def judge(self, images, min_share=0.0):
        """{"confidence": mean top-class probability, "classes": predicted classes that get more than
        `min_share` of the images (0: any at all), "counts": images per predicted class}."""
        if not 0.0 <= min_share < 1.0:
            raise ValueError(f"min_share must be in [0, 1), got {min_share}")
        p = self.probabilities(images)
        counts = np.bincount(p.argmax(1), minlength=p.shape[1])
        covered = counts >= max(1, min_share * len(p))
        return {"confidence": float(p.max(1).mean()), "classes": int(covered.sum()), "counts": counts.tolist()}
