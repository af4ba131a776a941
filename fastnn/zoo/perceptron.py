"""Perceptron on iris setosa vs versicolor (linearly separable)."""
import os
import time


from ..data import load_iris, stratified_split
from ..models import Perceptron
from . import plot_curves, target


def train(quick=False, data_dir=None, plot_dir=None, seed=0):
    start = time.perf_counter()
    X, y, _ = load_iris()
    keep = y < 2
    X, y = X[keep], y[keep]
    tr, te = stratified_split(y, 0.2, seed)
    model = Perceptron(lr=1.0, max_epochs=100, seed=seed).fit(X[tr], y[tr])
    acc = model.score(X[te], y[te])
    if plot_dir:
        os.makedirs(plot_dir, exist_ok=True)
        plot_curves(os.path.join(plot_dir, "perceptron_errors.png"), {"mistakes": model.errors_},
                    "Perceptron on iris (setosa vs versicolor)", ylabel="mistakes per epoch")
    return {"model": "Perceptron", "data": "iris setosa/versicolor", "metric": "test accuracy",
            "value": acc, "seconds": time.perf_counter() - start, "epochs": len(model.errors_),
            "target": target(">=", 1.0, "linearly separable: 100%")}
