"""Benchmark cases for the fully connected layer (forward + backward, float32)."""
import numpy as np

from ..registry import Case


def _inputs(M, K, N):
    def make(rng):
        return (rng.standard_normal((M, K)).astype(np.float32), (rng.standard_normal((N, K)) * 0.05).astype(np.float32),
                rng.standard_normal(N).astype(np.float32), rng.standard_normal((M, N)).astype(np.float32))
    return make


def _run(k, inputs):
    x, w, b, g = inputs
    return (k.linear_forward(x, w, b),) + tuple(k.linear_backward(x, w, g))


def _torch(inputs):
    import torch
    x, w, b, g = (torch.from_numpy(a) for a in inputs)

    def step():
        xr, wr, br = (a.detach().requires_grad_() for a in (x, w, b))
        torch.nn.functional.linear(xr, wr, br).backward(g)
        return xr.grad, wr.grad, br.grad
    return step


def _embedding_inputs(rng):
    # a CharLM batch: 64 windows of 100 characters, 71 symbols, 64-wide embedding
    return rng.integers(0, 71, 6400), rng.standard_normal((6400, 64)).astype(np.float32)


def _embedding_run(k, inputs):
    return (k.embedding_backward(*inputs, 71),)


def _embedding_torch(inputs):
    import torch
    idx, g = torch.from_numpy(inputs[0]), torch.from_numpy(inputs[1])
    w = torch.zeros(71, 64, requires_grad=True)

    def step():
        w.grad = None
        torch.nn.functional.embedding(idx, w).backward(g)
        return w.grad
    return step


def _matmul_inputs(rng):
    # a transposed second operand (x @ W.T in user code) goes in as BLAS's flag, not a copy
    return rng.standard_normal((2048, 512)).astype(np.float32), rng.standard_normal((512, 512)).astype(np.float32).T


def _matmul_run(k, inputs):
    return (k.matmul(*inputs),)


def _matmul_torch(inputs):
    import torch
    a, b = (torch.from_numpy(x) for x in inputs)
    return lambda: torch.matmul(a, b)


CASES = [
    Case("linear LeNet fc1 (64, 800) -> 500", "linear", ("linear_forward", "linear_backward"),
         _inputs(64, 800, 500), _run, _torch),
    Case("linear (4096, 1024) -> 1024", "linear", ("linear_forward", "linear_backward"),
         _inputs(4096, 1024, 1024), _run, _torch, flops=3 * 2 * 4096 * 1024 * 1024),  # y, dx, dW
    Case("embedding backward, 6400 lookups of 71 x 64", "linear", ("embedding_backward",),
         _embedding_inputs, _embedding_run, _embedding_torch),
    Case("matmul (2048, 512) @ (512, 512).T", "linear", ("matmul",), _matmul_inputs, _matmul_run, _matmul_torch,
         flops=2 * 2048 * 512 * 512),
]
