"""The causal Transformer language model on Shakespeare (zoo `transformer`)."""
import numpy as np
import pytest

import fastnn
from fastnn.data import load_text, CharVocab
from fastnn.models import TransformerLM
from fastnn.zoo import transformer as zoo_transformer


def test_heldout_metric_scores_each_character_once_with_half_a_window_of_context():
    fastnn.manual_seed(0)
    m = TransformerLM(6, d_model=8, nhead=2, num_layers=1, max_len=8, dropout=0.0)
    ids = np.random.default_rng(0).integers(0, 6, 41)
    got = zoo_transformer.heldout_nats_per_char(m, ids, context=8, batch=3)
    # direct: every window of 8 starting at multiples of 4, scoring its last 4 predictions
    total, count = 0.0, 0
    with fastnn.no_grad():
        for s in range(0, len(ids) - 9, 4):
            logits = m(fastnn.tensor(ids[None, s:s + 8])).numpy()[0].astype(np.float64)
            logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
            total -= logp[np.arange(4, 8), ids[s + 5:s + 9]].sum()
            count += 4
    assert got == pytest.approx(total / count, rel=1e-5)


def test_quick_char_transformer_beats_the_unigram_model_on_held_out_text():
    text = load_text()
    vocab = CharVocab(text)
    result = zoo_transformer.train(quick=True)
    ids = vocab.encode(text[:200_000])
    p = np.bincount(ids, minlength=len(vocab)) / len(ids)
    unigram = -np.mean(np.log(np.maximum(p[vocab.encode(text[int(0.9 * len(text)):][:10_000])], 1e-12)))
    assert result["value"] < unigram - 0.2, (result["value"], unigram)
    assert result["sample"].startswith("ROMEO:\n")


@pytest.mark.slow
def test_char_transformer_beats_the_5gram_model():
    # README of the shared data: a 5-gram model gets 1.67 nats/char on this split
    result = zoo_transformer.train(steps=3000, time_budget=1500)
    assert result["value"] < 1.67, result
