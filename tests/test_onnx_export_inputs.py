"""An exported ONNX model computes from the inputs it is fed, not from the example inputs it was traced with:
onnxruntime on fresh inputs gives what fastnn gives on them (integer token ids and float values alike)."""
import io

import numpy as np
import pytest

import fastnn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from test_onnx_export import CASES, WordLM  # noqa: E402 (the export cases, traced with one set of inputs)


def _flat(obj, out):
    if isinstance(obj, fastnn.Tensor):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _flat(o, out)
    return out


def _fresh(obj, rng):
    """Inputs of the same shapes and dtypes with other values."""
    if isinstance(obj, fastnn.Tensor):
        a = obj.numpy()
        if a.dtype.kind in "iu":
            new = rng.integers(0, int(a.max()) + 1, a.shape).astype(a.dtype)
            while a.size > 1 and np.array_equal(new, a):
                new = rng.integers(0, int(a.max()) + 1, a.shape).astype(a.dtype)
            return fastnn.tensor(new)
        if a.dtype.kind == "f":
            return fastnn.tensor((a + rng.standard_normal(a.shape) * 0.3).astype(a.dtype))
        return fastnn.tensor(a.copy())
    if isinstance(obj, (tuple, list)):
        return type(obj)(_fresh(o, rng) for o in obj)
    return obj


def _run(model, traced_args, fed_args):
    buf = io.BytesIO()
    fastnn.onnx.export(model, traced_args, buf)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    feeds = {i.name: t.numpy() for i, t in zip(sess.get_inputs(), _flat(fed_args, []))}
    with fastnn.no_grad():
        expected = [t.numpy() for t in _flat(model(*fed_args), [])]
    got = sess.run(None, feeds)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", list(CASES))
def test_exported_model_follows_its_inputs(name):
    fastnn.manual_seed(0)
    model, args = CASES[name]()
    model.eval()
    _run(model, args, _fresh(args, np.random.default_rng(1)))


def test_word_lm_traced_on_zero_tokens():
    """PyTorch's word_language_model exports with an all-zero LongTensor view as its dummy input."""
    fastnn.manual_seed(0)
    model = WordLM("LSTM").eval()
    dummy = fastnn.LongTensor(35 * 1).zero_().view(-1, 1)
    hidden = (fastnn.zeros(2, 1, 12), fastnn.zeros(2, 1, 12))
    tokens = fastnn.tensor(np.random.default_rng(2).integers(0, 30, (35, 1)))
    _run(model, (dummy, hidden), (tokens, (fastnn.randn(2, 1, 12), fastnn.randn(2, 1, 12))))



class CausalLM(fastnn.nn.Module):
    """word_language_model's TransformerModel shape: the causal mask is built inside forward from constants."""

    def __init__(self, ntoken=20, d=8):
        super().__init__()
        self.emb = fastnn.nn.Embedding(ntoken, d)
        layer = fastnn.nn.TransformerEncoderLayer(d, 2, 16, dropout=0.1)
        self.encoder = fastnn.nn.TransformerEncoder(layer, 2)
        self.decoder = fastnn.nn.Linear(d, ntoken)

    def forward(self, src):
        mask = fastnn.log(fastnn.tril(fastnn.ones(len(src), len(src))))
        out = self.encoder(self.emb(src) * 2.0, mask=mask)
        return fastnn.nn.functional.log_softmax(self.decoder(out), dim=-1)


def test_operations_on_constants_are_folded():
    fastnn.manual_seed(0)
    model = CausalLM().eval()
    rng = np.random.default_rng(3)
    _run(model, (fastnn.zeros(6, 1, dtype=fastnn.long),), (fastnn.tensor(rng.integers(0, 20, (6, 1))),))


class ShiftedTokens(fastnn.nn.Module):
    """Integer arithmetic on the token input before the embedding (reversal, offset, modulo)."""
    def __init__(self):
        super().__init__()
        self.emb = fastnn.nn.Embedding(16, 3)

    def forward(self, idx):
        return self.emb((idx.flip(0) + 3) % 16)


def test_integer_arithmetic_on_an_input_is_exported_not_baked_in():
    model = ShiftedTokens()
    buf = io.BytesIO()
    fastnn.onnx.export(model, (fastnn.zeros(6, dtype=fastnn.int64),), buf)
    session = ort.InferenceSession(buf.getvalue())
    for seed in range(3):
        idx = np.random.default_rng(seed).integers(0, 16, 6)
        got = session.run(None, {"input_0": idx})[0]
        np.testing.assert_allclose(got, model(fastnn.tensor(idx)).detach().numpy(), rtol=1e-6)


def test_mixed_dtype_arithmetic_follows_pytorch_promotion():
    # int / int is a float division in PyTorch (ONNX's Div of int64 would truncate); remainder takes the
    # divisor's sign for integers and floats
    def fn(idx, x):
        return idx / 4 + (idx - 5) % 3 + x % 0.7 - (-x) % 0.3

    buf = io.BytesIO()
    fastnn.onnx.export(fn, (fastnn.zeros(5, dtype=fastnn.int64), fastnn.zeros(5)), buf)
    session = ort.InferenceSession(buf.getvalue())
    rng = np.random.default_rng(0)
    idx, x = rng.integers(0, 20, 5), rng.standard_normal(5).astype(np.float32) * 3
    got = session.run(None, {"input_0": idx, "input_1": x})[0]
    np.testing.assert_allclose(got, fn(fastnn.tensor(idx), fastnn.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
