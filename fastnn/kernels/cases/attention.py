"""Benchmark cases for the attention family: scaled-dot-product attention."""
import numpy as np

from ..registry import Case

B, H, D = 8, 8, 64


def _attention_inputs(L):
    def make(rng):
        q, k, v, g = (rng.standard_normal((B * H, L, D)).astype(np.float32) for _ in range(4))
        return q, k, v, g
    return make


def _forward(causal, tiled):
    def run(k, inputs):
        q, kk, v, _ = inputs
        if tiled:
            return k.attention_tiled_forward(q, kk, v, None, D ** -0.5, causal)
        return k.attention_forward(q, kk, v, None, D ** -0.5, causal)
    return run


def _forward_backward(causal, tiled):
    def run(k, inputs):
        q, kk, v, g = inputs
        if tiled:
            out, lse = k.attention_tiled_forward(q, kk, v, None, D ** -0.5, causal)
            return k.attention_tiled_backward(q, kk, v, out, g, lse, None, D ** -0.5, causal)
        out, w, _ = k.attention_forward(q, kk, v, None, D ** -0.5, causal)
        return k.attention_backward(q, kk, v, w, g, None, D ** -0.5, causal)
    return run


def _torch_attention(causal, backward):
    def setup(inputs):
        import torch
        q, k, v, g = (torch.from_numpy(a).reshape(B, H, -1, D) for a in inputs)

        def step():
            if not backward:
                with torch.no_grad():
                    return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
            qs, ks, vs = (t.detach().requires_grad_() for t in (q, k, v))
            torch.nn.functional.scaled_dot_product_attention(qs, ks, vs, is_causal=causal).backward(g)
            return qs.grad
        return step
    return setup


def _attention_cases():
    cases = []
    for L in (256, 1024):
        # by size (TILED_MIN_LOGITS), so the full kernels keep cases; below it the autograd Function also runs
        # causal and forward-only calls tiled (TILED_MIN_LENGTH), which the F.scaled_dot_product_attention cases time
        tiled = B * H * L * L >= 16 * 1024 * 1024
        path = "tiled" if tiled else "full"
        fwd = ("attention_tiled_forward",) if tiled else ("attention_forward",)
        bwd = ("attention_tiled_backward",) if tiled else ("attention_backward",)
        for causal in (False, True):
            kind = "causal" if causal else "full"
            shape = f"(B={B}, H={H}, L={L}, D={D})"
            # Q K^T and P V (multiply-add = 2); causal: the half at or below the diagonal; backward: 4 products
            forward_flops = 4 * B * H * L * L * D * (0.5 if causal else 1.0)
            cases.append(Case(f"attention {kind} fwd {shape} {path}", "attention", fwd, _attention_inputs(L),
                              _forward(causal, tiled), _torch_attention(causal, False), reference=L <= 256,
                              flops=forward_flops))
            cases.append(Case(f"attention {kind} fwd+bwd {shape} {path}", "attention", fwd + bwd,
                              _attention_inputs(L), _forward_backward(causal, tiled),
                              _torch_attention(causal, True), reference=L <= 256, flops=3 * forward_flops))
    return cases


CASES = _attention_cases()
