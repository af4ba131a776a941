"""What the two character language-model recipes (charlm.py, transformer.py) share: the Shakespeare
split and the held-out loss loop."""
from .. import no_grad, tensor
from ..data import load_text, CharVocab
from ..nn import functional as F


def shakespeare_split(quick, quick_test_chars):
    """(vocab, train ids, held-out ids): the first 90% of the text to train on, the rest held out;
    quick keeps the first 200,000 and quick_test_chars of them."""
    text = load_text()
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    split = int(0.9 * len(ids))
    train_ids, test_ids = ids[:split], ids[split:]
    if quick:
        train_ids, test_ids = train_ids[:200_000], test_ids[:quick_test_chars]
    return vocab, train_ids, test_ids


def mean_nll(model, predictions):
    """Mean NLL (nats) over the (logits, target ids) pairs the generator `predictions` yields as it runs
    the model: in eval mode and without gradients, back in train mode afterwards."""
    total, count = 0.0, 0
    model.eval()
    try:
        with no_grad():
            for logits, target in predictions:
                total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tensor(target.reshape(-1)),
                                         reduction="sum").item()
                count += target.size
    finally:
        model.train()
    return total / count
