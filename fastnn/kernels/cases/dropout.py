"""Benchmark cases for the dropout family: GCN's input dropout on Cora's features."""
import numpy as np

from ..registry import Case, torch_input_grad_step


def _inputs(rng):
    x = rng.random((2708, 1433), dtype=np.float32)
    return x, rng.standard_normal(x.shape).astype(np.float32)


def _run(k, inputs):
    x, g = inputs
    return k.dropout_mask_apply(x, 0.5, 12345), k.dropout_mask_apply(g, 0.5, 12345)


def _torch(inputs):
    import torch
    return torch_input_grad_step(lambda x: torch.nn.functional.dropout(x, 0.5, True),
                                 *(torch.from_numpy(a) for a in inputs))


CASES = [Case("dropout fwd+bwd (2708, 1433) p=0.5", "dropout", ("dropout_mask_apply",), _inputs, _run, _torch)]
