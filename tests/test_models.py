"""Perceptron and MLP on real (bundled) data."""
import numpy as np
import pytest

import fastnn
from fastnn.data import load_iris
from fastnn.models import Perceptron, MLP
from fastnn.zoo import mlp as zoo_mlp, perceptron as zoo_perceptron


def test_perceptron_separates_setosa_from_versicolor():
    X, y, _ = load_iris()
    keep = y < 2
    model = Perceptron(seed=0).fit(X[keep], y[keep])
    assert model.errors_[-1] == 0, "the perceptron rule must converge on separable data"
    assert model.score(X[keep], y[keep]) == 1.0


@pytest.mark.parametrize("seed", range(3))
def test_perceptron_zoo_entry_scores_100_percent_on_held_out_flowers(seed):
    assert zoo_perceptron.train(seed=seed)["value"] == 1.0


def test_perceptron_learns_the_rule_on_a_hand_checked_example():
    # AND gate with labels 0/1: one pass of w += (t - y) x from zero weights, fixed order
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    y = np.array([0, 0, 0, 1])
    model = Perceptron(shuffle=False).fit(X, y)
    assert (model.predict(X) == y).all()
    assert model.errors_[-1] == 0


def test_perceptron_rejects_bad_input():
    with pytest.raises(ValueError, match="exactly two classes"):
        Perceptron().fit(np.zeros((3, 2)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="X must be 2-D"):
        Perceptron().fit(np.zeros(3), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="X must be finite"):
        Perceptron().fit(np.array([[np.nan, 1.0], [0.0, 1.0]]), np.array([0, 1]))
    with pytest.raises(RuntimeError, match="not fitted"):
        Perceptron().predict(np.zeros((1, 2)))


def test_mlp_mean_test_accuracy_over_five_seeds_reaches_96_percent():
    row = zoo_mlp.train(seed=0)  # the zoo row: the mean over the splits drawn with seeds 0-4
    accs = row["split_accuracies"]
    assert len(accs) == 5 and row["value"] == pytest.approx(np.mean(accs))
    assert row["value"] >= 0.96, accs
    assert min(accs) < 0.96 <= max(accs)  # why the row averages: one split alone can miss or pass


def test_mlp_shapes_and_activation_choice():
    m = MLP(4, (8, 6), 3, activation="gelu", dropout=0.1)
    out = m(fastnn.randn(5, 4))
    assert out.shape == (5, 3)
    assert [tuple(p.shape) for p in m.parameters()] == [(8, 4), (8,), (6, 8), (6,), (3, 6), (3,)]
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(4, (8,), 3, activation="swishy")
