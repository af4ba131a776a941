"""NaN and Inf propagate through every kernel as through its NumPy reference: no hang, no crash,
no silently finite result; gradient clipping and optimizers do not hide them."""
import copy

import numpy as np
import pytest

import fastnn
from fastnn import kernels, nn
from fastnn.kernels import reference, registry


def _poison(inputs, value):
    """A copy of a case's inputs with one element of its first float array set to value."""
    inputs = copy.deepcopy(inputs)
    stack = [inputs]
    while stack:
        item = stack.pop(0)
        if isinstance(item, np.ndarray) and item.dtype.kind == "f" and item.size:
            item.reshape(-1)[item.size // 3] = value
            return inputs
        if isinstance(item, (tuple, list)):
            stack.extend(item)
    raise AssertionError("no float input to poison")


def _outputs(out):
    return [np.asarray(a) for a in (out if isinstance(out, tuple) else (out,))]


CASES = [c for c in registry.all_cases() if c.reference and c.values]


# inf takes the same paths as NaN through the kernels; its run over the registry is kept for the slow suite
@pytest.mark.parametrize("value", [np.nan, pytest.param(np.inf, marks=pytest.mark.slow)], ids=["nan", "inf"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_non_finite_inputs_reach_the_same_outputs_as_the_reference(case, value):
    inputs = _poison(case.make_inputs(np.random.default_rng(0)), value)
    pristine = copy.deepcopy(inputs)  # some cases (optimizer steps) update their inputs in place
    got = _outputs(case.run(kernels, inputs))
    with np.errstate(all="ignore"):
        want = _outputs(case.run(reference, pristine))
    assert len(got) == len(want)
    if np.isnan(value):  # (an inf may saturate into a finite value, as through tanh)
        assert any(np.isnan(w).any() for w in want), "the NaN should reach some output"
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
        np.testing.assert_array_equal(np.isposinf(g), np.isposinf(w))
        np.testing.assert_array_equal(np.isneginf(g), np.isneginf(w))


def _model_with_nan_gradient():
    model = nn.Linear(3, 2)
    model(fastnn.ones(4, 3)).sum().backward()
    model.weight.grad.numpy()[0, 0] = np.nan
    return model


def test_clip_grad_norm_raises_or_poisons_on_a_nan_norm():
    model = _model_with_nan_gradient()
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
    norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    assert np.isnan(norm.item())
    # as PyTorch: every gradient is scaled by a NaN factor, none is passed on unclipped
    assert np.isnan(model.bias.grad.numpy()).all() and np.isnan(model.weight.grad.numpy()).all()


@pytest.mark.parametrize("make", [lambda p: fastnn.optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: fastnn.optim.Adam(p), lambda p: fastnn.optim.AdamW(p),
                                  lambda p: fastnn.optim.RMSprop(p), lambda p: fastnn.optim.Adagrad(p)],
                         ids=["sgd", "adam", "adamw", "rmsprop", "adagrad"])
def test_optimizers_carry_a_nan_gradient_into_the_parameter(make):
    model = _model_with_nan_gradient()
    make(model.parameters()).step()
    w = model.weight.detach().numpy()
    assert np.isnan(w[0, 0]) and np.isfinite(w[1]).all()
