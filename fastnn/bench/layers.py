"""Public-API twins of the kernel cases, timed by `fastnn bench`: the same shapes through the layers
users call (nn.LSTM, nn.GRU, nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d, nn.Linear), forward then
backward into the input and every parameter, fastnn against the same layer of PyTorch.

Each entry is (name, make) with make(use_torch) -> (fastnn_step, torch_step or None), as in steps.py.
FLOPS maps the GEMM-bound cases' names to their arithmetic (the kernel cases' counts), so the report
gives their GFLOP/s and share of the SGEMM peak through the public API too.
"""
import numpy as np

from ..kernels.cases.conv import _conv_flops
from ..kernels.cases.rnn import _rnn_flops

FLOPS = {}


def _layer_step(layer, x, grad, pick):
    """forward, backward with grad; the input and every parameter get gradients (cleared each call)."""
    params = list(layer.parameters())
    x = x.detach().requires_grad_()

    def step():
        x.grad = None
        for p in params:
            p.grad = None
        pick(layer(x)).backward(grad)
        return x.grad
    return step


def _twin(build, x_shape, out_shape, pick=lambda y: y):
    """make(use_torch) for a layer built by build(nn), with the same weights on both sides."""
    def make(use_torch):
        import fastnn
        rng = np.random.default_rng(0)
        x = rng.standard_normal(x_shape).astype(np.float32)
        g = rng.standard_normal(out_shape).astype(np.float32)
        fastnn.manual_seed(0)
        layer = build(fastnn.nn)
        step = _layer_step(layer, fastnn.tensor(x), fastnn.tensor(g), pick)
        torch_step = None
        if use_torch:
            import torch
            tlayer = build(torch.nn)
            tlayer.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                                    for k, v in layer.state_dict().items()})
            torch_step = _layer_step(tlayer, torch.from_numpy(x), torch.from_numpy(g), pick)
        return step, torch_step
    return make


def _first(y):
    return y[0]


def _recurrent(kind, label, T, B, I, H, layers=1, bidirectional=False):
    out = H * (2 if bidirectional else 1)
    cases = []
    for batch_first in (False, True):
        x_shape, out_shape = ((B, T, I), (B, T, out)) if batch_first else ((T, B, I), (T, B, out))

        def build(nn, batch_first=batch_first):
            return getattr(nn, kind)(I, H, layers, bidirectional=bidirectional, batch_first=batch_first)
        layout = "batch_first" if batch_first else "seq-first"
        name = f"nn.{kind} fwd+bwd {label}, {layout}"
        FLOPS[name] = _rnn_flops(kind.lower(), T, B, I, H, layers, 2 if bidirectional else 1, True)
        cases.append((name, _twin(build, x_shape, out_shape, _first)))
    return cases


LAYERS = []
for _kind in ("LSTM", "GRU"):
    LAYERS += _recurrent(_kind, "latency (T=100, B=1, I=10, H=20)", 100, 1, 10, 20)
    LAYERS += _recurrent(_kind, "medium (T=50, B=32, I=128, H=256)", 50, 32, 128, 256)
LAYERS += _recurrent("LSTM", "2-layer bidirectional (T=50, B=32, I=128, H=128)", 50, 32, 128, 128, 2, True)


def _conv(label, N, C, O, H, k, pad):
    out = H + 2 * pad - k + 1
    name = f"nn.Conv2d fwd+bwd {label} N={N}, {C}->{O}, {H}x{H}, k{k}" + (f", p{pad}" if pad else "")
    FLOPS[name] = _conv_flops(N, C, O, H, k, pad)
    return name, _twin(lambda nn: nn.Conv2d(C, O, k, padding=pad), (N, C, H, H), (N, O, out, out))


# the shapes of the conv kernel cases (fastnn/kernels/cases/conv.py)
LAYERS += [_conv("LeNet-1", 64, 1, 20, 28, 5, 0), _conv("LeNet-2", 64, 20, 50, 12, 5, 0),
           _conv("autoencoder", 128, 1, 16, 28, 3, 1), _conv("autoencoder", 128, 16, 8, 14, 3, 1),
           _conv("autoencoder", 128, 8, 8, 7, 3, 1), _conv("autoencoder", 128, 8, 8, 4, 3, 1),
           _conv("autoencoder", 128, 8, 8, 8, 3, 1), _conv("autoencoder", 128, 8, 16, 16, 3, 0),
           _conv("autoencoder", 128, 16, 1, 28, 3, 1), _conv("ResNet", 16, 64, 64, 56, 3, 1)]
LAYERS += [
    ("nn.ConvTranspose2d fwd+bwd N=64, 8->16, 7x7, k3, s2, p1, op1",
     _twin(lambda nn: nn.ConvTranspose2d(8, 16, 3, stride=2, padding=1, output_padding=1), (64, 8, 7, 7),
           (64, 16, 14, 14))),
    ("nn.MaxPool2d(2) fwd+bwd (64, 20, 24, 24)", _twin(lambda nn: nn.MaxPool2d(2), (64, 20, 24, 24), (64, 20, 12, 12))),
    ("nn.MaxPool2d(2, ceil_mode=True) fwd+bwd (128, 8, 7, 7)",
     _twin(lambda nn: nn.MaxPool2d(2, ceil_mode=True), (128, 8, 7, 7), (128, 8, 4, 4))),
    ("nn.BatchNorm2d(32) training fwd+bwd (64, 32, 28, 28)",
     _twin(lambda nn: nn.BatchNorm2d(32), (64, 32, 28, 28), (64, 32, 28, 28))),
]


def _linear(label, M, K, N):
    name = f"nn.Linear fwd+bwd {label}"
    FLOPS[name] = 3 * 2 * M * K * N   # y, dx, dW
    return name, _twin(lambda nn: nn.Linear(K, N), (M, K), (M, N))


LAYERS += [_linear("LeNet fc1 (64, 800) -> 500", 64, 800, 500), _linear("(4096, 1024) -> 1024", 4096, 1024, 1024),
           _linear("GCN layer 1 (2708, 1433) -> 16", 2708, 1433, 16)]


def _fn_twin(fn_name, shapes, backward=True, seed=0):
    """make(use_torch) for a function of the public API (fastnn.<fn_name> against torch.<fn_name>): forward,
    or forward then backward of the output's sum; a step returns the output, or the first input's gradient.
    shapes(rng) -> (arrays, call), call(lib, arrays, wrap) the
    arguments, wrap(array, requires_grad) a tensor of lib."""
    def make(use_torch):
        import fastnn
        rng = np.random.default_rng(seed)
        arrays, call = shapes(rng)

        def side(lib, wrap):
            args = call(lib, arrays, lambda a, grad: wrap(a, grad and backward))
            inputs = [a for a in args if getattr(a, "requires_grad", False)]
            fn = lib
            for part in fn_name.split("."):
                fn = getattr(fn, part)

            def step():
                for a in inputs:
                    a.grad = None
                out = fn(*args)
                if backward:
                    out.sum().backward()
                    return inputs[0].grad
                return out
            return step
        torch_step = None
        if use_torch:
            import torch
            torch_step = side(torch, lambda a, grad: torch.from_numpy(a).requires_grad_(grad))
        return side(fastnn, lambda a, grad: fastnn.tensor(a).requires_grad_(grad)), torch_step
    return make


def _softmax_args(rng):
    x = rng.standard_normal((8, 8, 256, 256)).astype(np.float32)
    return [x], lambda lib, arrays, wrap: (wrap(arrays[0], True), -1)


def _cora_adjacency(rng):
    """A graph of Cora's size (2708 nodes, 10556 directed edges), as CSR (indptr, indices, values)."""
    src, dst = rng.integers(0, 2708, (2, 5278))
    rows, cols = np.concatenate([dst, src]), np.concatenate([src, dst])
    order = np.lexsort((cols, rows))
    rows, cols = rows[order], cols[order]
    indptr = np.zeros(2709, np.int64)
    np.add.at(indptr, rows + 1, 1)
    return np.cumsum(indptr), cols.astype(np.int64), np.full(len(cols), 0.25, np.float32)


def _random_adjacency(rng, n=100_000, degree=10):
    """A random graph of n nodes, each with `degree` incoming edges from uniform sources, as CSR."""
    indices = rng.integers(0, n, n * degree)
    indices = np.sort(indices.reshape(n, degree), axis=1).reshape(-1).astype(np.int64)
    return np.arange(0, n * degree + 1, degree, dtype=np.int64), indices, np.full(n * degree, 0.1, np.float32)


def _spmm_args(features, adjacency=_cora_adjacency, n=2708):
    def shapes(rng):
        indptr, indices, values = adjacency(rng)
        x = rng.standard_normal((n, features)).astype(np.float32)

        def call(lib, arrays, wrap):
            adj = lib.sparse_csr_tensor(lib.from_numpy(indptr), lib.from_numpy(indices), lib.from_numpy(values),
                                        (n, n))
            return adj, wrap(x, True)
        return [x], call
    return shapes


def _activation_args(rng):
    """A Transformer feed-forward block's hidden units: 32 x 128 tokens x 512."""
    x = rng.standard_normal((4096, 512)).astype(np.float32)
    return [x], lambda lib, arrays, wrap: (wrap(arrays[0], True),)


for _fn in ("relu", "sigmoid", "tanh", "silu", "gelu", "elu", "softplus"):
    _path = _fn if _fn in ("sigmoid", "tanh") else f"nn.functional.{_fn}"
    LAYERS.append((f"{'torch' if _fn in ('sigmoid', 'tanh') else 'F'}.{_fn} fwd+bwd (4096, 512)",
                   _fn_twin(_path, _activation_args)))


LAYERS += [("F.softmax fwd+bwd (8, 8, 256, 256), dim -1", _fn_twin("nn.functional.softmax", _softmax_args)),
           ("F.softmax fwd (8, 8, 256, 256), dim -1", _fn_twin("nn.functional.softmax", _softmax_args, False))]
for _f in (16, 1433):
    LAYERS += [(f"sparse.mm fwd Cora-sized graph x {_f}", _fn_twin("sparse.mm", _spmm_args(_f), False)),
               (f"sparse.mm fwd+bwd Cora-sized graph x {_f}", _fn_twin("sparse.mm", _spmm_args(_f)))]
LAYERS += [("sparse.mm fwd random 100k-node graph (degree 10) x 64",
            _fn_twin("sparse.mm", _spmm_args(64, _random_adjacency, 100_000), False)),
           ("sparse.mm fwd+bwd random 100k-node graph (degree 10) x 64",
            _fn_twin("sparse.mm", _spmm_args(64, _random_adjacency, 100_000)))]


def _sdpa_twin(L, causal, backward, B=8, H=8, D=64):
    """F.scaled_dot_product_attention on (B, H, L, D) float32 queries, keys and values (the attention kernel
    cases' shapes): forward without autograd, or forward then backward of a random output gradient into q,
    k and v."""
    def make(use_torch):
        import fastnn
        rng = np.random.default_rng(0)
        q, k, v, g = (rng.standard_normal((B, H, L, D)).astype(np.float32) for _ in range(4))

        def side(lib, wrap):
            qs, ks, vs = (wrap(a).requires_grad_(backward) for a in (q, k, v))
            grad = wrap(g)
            sdpa = lib.nn.functional.scaled_dot_product_attention

            def step():
                if not backward:
                    with lib.no_grad():
                        return sdpa(qs, ks, vs, is_causal=causal)
                for t in (qs, ks, vs):
                    t.grad = None
                sdpa(qs, ks, vs, is_causal=causal).backward(grad)
                return qs.grad
            return step
        torch_step = None
        if use_torch:
            import torch
            torch_step = side(torch, torch.from_numpy)
        return side(fastnn, fastnn.tensor), torch_step
    return make


for _L in (256, 1024):
    for _causal in (False, True):
        for _backward in (False, True):
            _name = (f"F.scaled_dot_product_attention {'causal' if _causal else 'full'} "
                     f"{'fwd+bwd' if _backward else 'fwd'} (8, 8, {_L}, 64)")
            # as the attention kernel cases: QK^T and PV, half of it under a causal mask; backward twice that
            FLOPS[_name] = 4 * 8 * 8 * _L * _L * 64 * (0.5 if _causal else 1.0) * (3 if _backward else 1)
            LAYERS.append((_name, _sdpa_twin(_L, _causal, _backward)))
