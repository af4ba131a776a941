"""The reference each zoo row is measured against, and whether the row meets it.

A row carries `target`: {"op": ">=" or "<=", "value": threshold, "reference": where the number comes
from, and optionally "classes": the fewest generated digit classes a GAN must cover}. References are
the published or measured results listed in the project's data README (../shared/data/README.md).
"""

SYMBOL = {">=": "≥", "<=": "≤"}


def target(op, value, reference, classes=None):
    if op not in SYMBOL:
        raise ValueError(f"op must be '>=' or '<=', got {op!r}")
    out = {"op": op, "value": float(value), "reference": reference}
    if classes is not None:
        out["classes"] = int(classes)
    return out


def meets(row):
    """True or False when the row has a target, None when it has none."""
    t = row.get("target")
    if not t:
        return None
    v = row["value"]
    ok = v >= t["value"] if t["op"] == ">=" else v <= t["value"]
    if "classes" in t:
        ok = ok and row.get("classes", 0) >= t["classes"]
    return bool(ok)


def describe(t):
    """'≥ 0.97 (small CNN 97-98%)': the threshold, then the reference it comes from."""
    if not t:
        return "no reference"
    text = f"{SYMBOL[t['op']]} {t['value']:g}"
    if "classes" in t:
        text += f", ≥ {t['classes']}/10 classes"
    return f"{text} ({t['reference']})" if t.get("reference") else text


def verdict(row):
    ok = meets(row)
    return "" if ok is None else "pass" if ok else "MISS"


def shakespeare_target(quick, full):
    """The n-gram bar a character model's run length can clear: held-out nats/char of add-k smoothed
    n-gram models on the same split, measured here (unigram 3.21, bigram 2.48); the data README's 5-gram
    1.67 for the full recipes."""
    if full:
        return target("<=", 1.67, "5-gram model 1.67")
    if quick:
        return target("<=", 3.21, "unigram model 3.21; 5-gram 1.67 with --full")
    return target("<=", 2.48, "bigram model 2.48; 5-gram 1.67 with --full")


def mnist_lenet_target(quick, full):
    """The bar LeNet's MNIST run can clear at its length: LeNet-5's published 99.05% for the full
    15 epochs; for the default 2 epochs (about 97.8%) the best 2-layer MLP of the same paper (300
    hidden units, 95.3%); the quick run's 31 steps on a 2,000-image subset (about 60%) only show
    learning, at five times chance."""
    if full:
        return target(">=", 0.99, "LeNet-5 99.05%, LeCun 1998")
    if quick:
        return target(">=", 0.5, "5x chance: a smoke test; LeNet-5 99.05% with --full")
    return target(">=", 0.953, "MLP 300 hidden 95.3%, LeCun 1998; 99.05% with --full")
