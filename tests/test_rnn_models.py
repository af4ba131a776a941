"""CharLM and SequenceRegressor on the bundled real data (fast runs; full language-model runs are slow-marked)."""
import numpy as np
import pytest

import fastnn
from fastnn.data import load_text, CharVocab
from fastnn.models import CharLM, SequenceRegressor
from fastnn.zoo import charlm as zoo_charlm, forecast as zoo_forecast


def test_charlm_shapes_state_and_sampling():
    fastnn.manual_seed(0)
    m = CharLM(11, embedding_dim=5, hidden_size=7, cell="gru")
    logits, h = m(fastnn.tensor(np.zeros((3, 4), np.int64)))
    assert logits.shape == (3, 4, 11) and h.shape == (1, 3, 7)
    lstm = CharLM(11, embedding_dim=5, hidden_size=7, num_layers=2)
    _, (h, c) = lstm(fastnn.tensor(np.zeros((2, 6), np.int64)))
    assert h.shape == c.shape == (2, 2, 7)
    a, b = m.sample([1, 2], 20, seed=3), m.sample([1, 2], 20, seed=3)
    assert a.shape == (20,) and a.dtype == np.int64 and (a >= 0).all() and (a < 11).all()
    np.testing.assert_array_equal(a, b)
    cold = m.sample([1], 200, temperature=1e-3, seed=0)
    warm = m.sample([1], 200, temperature=1e-3, seed=1)
    np.testing.assert_array_equal(cold, warm)   # near-zero temperature is greedy: seed-independent
    assert m.training
    with pytest.raises(ValueError, match="temperature"):
        m.sample([1], 5, temperature=0)
    with pytest.raises(ValueError, match="prompt"):
        m.sample([], 5)
    with pytest.raises(ValueError, match="cell"):
        CharLM(5, cell="rnn")


def test_heldout_metric_equals_the_direct_cross_entropy():
    # streaming evaluation with carried state must equal one pass over each whole stream
    fastnn.manual_seed(0)
    m = CharLM(6, embedding_dim=3, hidden_size=5)
    ids = np.random.default_rng(0).integers(0, 6, 2 * 30 + 1)
    got = zoo_charlm.heldout_nats_per_char(m, ids, streams=2, window=7)
    x, y = ids[:60].reshape(2, 30), ids[1:61].reshape(2, 30)
    with fastnn.no_grad():
        logits = m(fastnn.tensor(x))[0].numpy().astype(np.float64)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    want = -np.take_along_axis(logp, y[..., None], -1).mean()
    assert got == pytest.approx(want, rel=1e-5)


def test_char_gru_beats_the_unigram_model_on_held_out_text():
    text = load_text()
    vocab = CharVocab(text)
    result = zoo_charlm.train(quick=True, cell="gru")
    ids = vocab.encode(text[:200_000])
    p = np.bincount(ids, minlength=len(vocab)) / len(ids)
    unigram = -np.mean(np.log(np.maximum(p[vocab.encode(text[int(0.9 * len(text)):][:20_000])], 1e-12)))
    assert result["value"] < unigram - 0.3, (result["value"], unigram)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_sunspot_forecast_beats_ar9(cell):
    result = zoo_forecast.train(cell=cell, seed=0)
    assert result["value"] < 0.162, result


def test_sequence_regressor_shapes_and_errors():
    m = SequenceRegressor(1, 4, cell="lstm")
    assert m(fastnn.randn(3, 9)).shape == (3, 1)
    assert m(fastnn.randn(3, 9, 1)).shape == (3, 1)
    with pytest.raises(ValueError, match="cell"):
        SequenceRegressor(cell="transformer")


@pytest.mark.slow
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_char_model_beats_the_5gram_model_on_shakespeare(cell):
    result = zoo_charlm.train(cell=cell)
    assert result["value"] < 1.67, result
