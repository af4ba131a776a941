"""Rosenblatt's perceptron: a linear threshold unit trained by the perceptron rule."""
import numpy as np

from ..autograd.tensor import Tensor


def _array(x, name, dtype=np.float64, ndim=None):
    a = x._data if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    a = a.astype(dtype)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    return a


class Perceptron:
    """Binary classifier w.x + b > 0, fitted by w += lr * (y - y_hat) * x on each mistake.

    Labels are any two distinct values; predict() returns them. Training stops after
    an epoch without mistakes (the data are then separated) or after max_epochs.
    """

    def __init__(self, lr=1.0, max_epochs=100, shuffle=True, seed=0):
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}")
        self.lr = lr
        self.max_epochs = max_epochs
        self.shuffle = shuffle
        self.seed = seed
        self.weight = None
        self.bias = 0.0
        self.classes_ = None
        self.errors_ = []  # mistakes per epoch

    def fit(self, X, y):
        X = _array(X, "X", ndim=2)
        y = np.asarray(y._data if isinstance(y, Tensor) else y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValueError(f"y must hold exactly two classes, got {len(classes)}")
        self.classes_ = classes
        t = (y == classes[1]).astype(np.float64)
        rng = np.random.default_rng(self.seed)
        self.weight = np.zeros(X.shape[1])
        self.bias = 0.0
        self.errors_ = []
        for _ in range(self.max_epochs):
            order = rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
            mistakes = 0
            for i in order:
                update = self.lr * (t[i] - float(X[i] @ self.weight + self.bias > 0))
                if update:
                    self.weight += update * X[i]
                    self.bias += update
                    mistakes += 1
            self.errors_.append(mistakes)
            if mistakes == 0:
                break
        return self

    def decision_function(self, X):
        if self.weight is None:
            raise RuntimeError("Perceptron is not fitted yet; call fit(X, y) first")
        X = _array(X, "X", ndim=2)
        if X.shape[1] != self.weight.shape[0]:
            raise ValueError(f"X has {X.shape[1]} features, the perceptron was fitted on {self.weight.shape[0]}")
        return X @ self.weight + self.bias

    def predict(self, X):
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def score(self, X, y):
        y = np.asarray(y._data if isinstance(y, Tensor) else y)
        return float(np.mean(self.predict(X) == y))
