"""Benchmark cases for the attention-head layout family: the zoo Transformer's q/k/v split (with the
projection bias) and head merge, forward and backward, against PyTorch's view + permute + contiguous."""
import numpy as np

from ..registry import Case

N, L, H, HD = 32, 128, 4, 32


def _inputs(rng):
    qkv = rng.standard_normal((N * L, 3 * H * HD)).astype(np.float32)
    bias = rng.standard_normal(3 * H * HD).astype(np.float32)
    o = rng.standard_normal((N, H, L, HD)).astype(np.float32)
    return qkv, bias, o


def _run(k, inputs):
    qkv, bias, o = inputs
    heads = k.split_heads(qkv, bias, 3, N, L, H, True)
    rows, grad_bias = k.split_heads_backward([heads[0], heads[1], heads[2]], True, True)
    merged = k.merge_heads(o, True)
    return heads, rows, grad_bias, merged, k.merge_heads_backward(merged, N, L, H, True)


def _torch(inputs):
    import torch
    qkv, bias, o = (torch.from_numpy(a) for a in inputs)

    def step():
        heads = (qkv + bias).view(N, L, 3, H, HD).permute(2, 0, 3, 1, 4).contiguous()
        back = heads.permute(1, 3, 0, 2, 4).reshape(N * L, -1).contiguous()
        merged = o.permute(0, 2, 1, 3).reshape(N * L, -1).contiguous()
        return heads, back, back.sum(0), merged, merged.view(N, L, H, HD).permute(0, 2, 1, 3).contiguous()
    return step


CASES = [Case("attention heads split+merge fwd+bwd (32 x 128 tokens, 3 x 4 x 32)", "heads",
              ("split_heads", "split_heads_backward", "merge_heads", "merge_heads_backward"), _inputs, _run, _torch)]
