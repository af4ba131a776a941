"""Op table rows: random sampling. The two libraries' streams differ, so each op returns a large draw
(compared by `same_law`: shape, dtype, mean and variance within a few standard errors of PyTorch's)
and summaries both libraries must agree on exactly: the support, the shape and dtype of small calls,
and that the same manual_seed gives the same draw again."""
import numpy as np

from .opinfo import OpRow, S, same_law
from .op_db_tensor_api import _exc

N = 200_000
LAW = same_law()


def _seeded(lib, seed=0):
    lib.manual_seed(seed)


def _repro(lib, draw):
    """The same seed gives the same draw."""
    lib.manual_seed(7)
    a = draw()
    lib.manual_seed(7)
    return bool((a == draw()).all())


def _all(x):
    return bool(x.all())


def _meta(x):
    return tuple(x.shape), str(x.dtype).replace("torch.", "")


def _row(name, op, samples=None, note=""):
    return OpRow(name, samples or (lambda t: [S()]), op=op, dtypes=("float32",), grad=False, compare=LAW, note=note)


def _rand(lib, *a):
    _seeded(lib)
    d = lib.rand(N)
    return (d, _all((d >= 0) & (d < 1)), _meta(lib.rand(2, 3)), _meta(lib.rand((2,), dtype=lib.float64)),
            _repro(lib, lambda: lib.rand(5)))


def _randn(lib):
    _seeded(lib)
    d = lib.randn(N, dtype=lib.float64)
    return d, _meta(lib.randn(2, 3)), _meta(lib.randn([4])), _repro(lib, lambda: lib.randn(5))


def _randint(lib):
    _seeded(lib)
    d = lib.randint(-3, 5, (N,))
    return (d, _all((d >= -3) & (d < 5)), _meta(lib.randint(10, (2, 3))), _all(lib.randint(10, (50,)) < 10),
            _meta(lib.randint(0, 4, (3,), dtype=lib.int32)), _repro(lib, lambda: lib.randint(0, 100, (5,))),
            _exc(lambda: lib.randint(5, 2, (3,))))


def _randperm(lib):
    _seeded(lib)
    # position of element 0 across many permutations of 10: uniform on 0..9
    firsts = lib.stack([(lib.randperm(10) == 0).nonzero()[0, 0] for _ in range(3000)]).double()
    p = lib.randperm(50)
    return (firsts, _meta(p), p.sort().values.tolist() == list(range(50)), _meta(lib.randperm(4, dtype=lib.float32)),
            _repro(lib, lambda: lib.randperm(20)), _exc(lambda: lib.randperm(-1)))


def _like(fn):
    def op(lib, x):
        _seeded(lib)
        big = lib.zeros(N, dtype=x.dtype)
        d = getattr(lib, fn)(big) if fn != "randint_like" else lib.randint_like(big, 2, 9)
        out = (d, _meta(getattr(lib, fn)(x, *([3] if fn == "randint_like" else []))))
        if fn == "rand_like":
            out += (_all((d >= 0) & (d < 1)),)
        if fn == "randint_like":
            out += (_all((d >= 2) & (d < 9)), _all(lib.randint_like(x, 3) < 3))
        return out
    return op


def _normal(lib, mean, std):
    _seeded(lib)
    big = lambda v: lib.full((N,), v, dtype=mean.dtype)  # noqa: E731
    d = lib.normal(big(1.5), big(2.0))
    return (d, _meta(lib.normal(mean, std)), _meta(lib.normal(mean, 2.0)), _meta(lib.normal(0.5, std)),
            _meta(lib.normal(0.0, 1.0, size=(2, 3))), (lib.normal(2.0, 0.5, (N,)).mean().item() - 2.0) < 0.01,
            _repro(lib, lambda: lib.normal(mean, std)))


def _poisson(lib):
    _seeded(lib)
    d = lib.poisson(lib.full((N,), 3.5))
    return (d, _all(d == d.round()), _all(d >= 0), _meta(lib.poisson(lib.ones(2, 3, dtype=lib.float64))),
            _repro(lib, lambda: lib.poisson(lib.full((20,), 2.0))))


def _bernoulli(lib):
    _seeded(lib)
    d = lib.bernoulli(lib.full((N,), 0.3))
    return (d, _all((d == 0) | (d == 1)), _meta(lib.bernoulli(lib.ones(2, 3, dtype=lib.float64), 0.5)),
            lib.bernoulli(lib.zeros(N), p=0.8).mean().item())


def _bernoulli_method(lib):
    _seeded(lib)
    d = lib.full((N,), 0.7).bernoulli()
    z = lib.zeros(N)
    return d, z.bernoulli_(0.25) is z, z.mean().item(), lib.zeros(N).bernoulli_(lib.full((N,), 0.6)).mean().item()


def _multinomial(lib):
    _seeded(lib)
    probs = lib.tensor([1.0, 2.0, 3.0, 4.0])  # unnormalised weights, as PyTorch takes them
    d = lib.multinomial(probs, N, replacement=True).double()
    no_rep = lib.multinomial(probs, 4)
    rows = lib.multinomial(lib.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), 2, True)
    return (d, sorted(no_rep.tolist()) == [0, 1, 2, 3], _meta(no_rep), rows.tolist() == [[1, 1], [0, 0]],
            _meta(probs.multinomial(3, True)), sorted(probs.multinomial(4).tolist()) == [0, 1, 2, 3],
            _repro(lib, lambda: lib.multinomial(probs, 20, True)),
            _exc(lambda: lib.multinomial(probs, 5)), _exc(lambda: lib.multinomial(-probs, 2)))


def _inplace(method, *args, transform=None, support=None):
    """x.method_(*args) on a large float tensor: returns self, draws from the law (transformed when its
    moments do not exist), values within the support."""
    def op(lib):
        _seeded(lib)
        x = lib.zeros(N, dtype=lib.float64)
        r = getattr(x, method)(*args)
        d = transform(lib, x) if transform else x
        again = _repro(lib, lambda: getattr(lib.zeros(50, dtype=lib.float64), method)(*args))
        return (d, r is x, again) + ((_all(support(x)),) if support else ())
    return op


def _dropout(lib, fn):
    _seeded(lib)
    p = 0.3
    if fn == "dropout":
        y = lib.ones(N).requires_grad_()
        out = lib.dropout(y, p, True)
        out.sum().backward()
        return (out.detach(), _all((out == 0) | ((out - 1 / (1 - p)).abs() < 1e-5)), bool((y.grad == out).all()))
    x = lib.from_numpy(np.random.default_rng(0).standard_normal((N // 4, 4)))
    if fn == "alpha_dropout":
        out = lib.alpha_dropout(x, p, True)
        _, counts = out.unique(return_counts=True)
        return out, counts.max().item() / out.numel()  # the dropped entries share one value: a fraction p
    out = lib.feature_alpha_dropout(x.reshape(N // 8, 4, 2), p, True)
    same = (out[..., 0] == out[..., 1]) & (x.reshape(N // 8, 4, 2)[..., 0] != x.reshape(N // 8, 4, 2)[..., 1])
    return out, same.double().mean().item()  # whole (sample, channel) features dropped together


def _rrelu(lib):
    _seeded(lib)
    out = lib.rrelu(-lib.ones(N), 0.1, 0.4, True)  # slopes uniform on [0.1, 0.4]
    return out, _all((out <= -0.1) & (out >= -0.4)), lib.equal(lib.rrelu(lib.ones(3), 0.1, 0.4, True), lib.ones(3))


ROWS = [
    _row("rand", _rand), _row("randn", _randn), _row("randint", _randint), _row("randperm", _randperm),
    _row("rand_like", _like("rand_like"), lambda t: [S(t((2, 3)))]),
    _row("randn_like", _like("randn_like"), lambda t: [S(t((2, 3)))]),
    _row("randint_like", _like("randint_like"), lambda t: [S(t((2, 3)))]),
    _row("normal", _normal, lambda t: [S(t((2, 3)), t((2, 3), low=0.5, high=2))]),
    _row("poisson", _poisson), _row("bernoulli", _bernoulli), _row("bernoulli", _bernoulli_method, note="method"),
    _row("multinomial", _multinomial),
    _row("uniform_", _inplace("uniform_", -2.0, 3.0, support=lambda x: (x >= -2) & (x < 3))),
    _row("normal_", _inplace("normal_", 1.0, 3.0)),
    _row("exponential_", _inplace("exponential_", 2.0, support=lambda x: x >= 0)),
    _row("geometric_", _inplace("geometric_", 0.3, support=lambda x: (x >= 1) & (x == x.round()))),
    _row("log_normal_", _inplace("log_normal_", 0.5, 0.4, transform=lambda lib, x: x.log(), support=lambda x: x > 0)),
    _row("cauchy_", _inplace("cauchy_", 0.0, 1.0, transform=lambda lib, x: x.atan())),  # atan of Cauchy: uniform
    _row("random_", _inplace("random_", 3, 11, support=lambda x: (x >= 3) & (x < 11) & (x == x.round()))),
    _row("random_", _inplace("random_", 6, support=lambda x: (x >= 0) & (x < 6) & (x == x.round())), note="to"),
    _row("dropout", lambda lib: _dropout(lib, "dropout"), note="training"),
    _row("alpha_dropout", lambda lib: _dropout(lib, "alpha_dropout"), note="training"),
    _row("feature_alpha_dropout", lambda lib: _dropout(lib, "feature_alpha_dropout"), note="training"),
    _row("rrelu", _rrelu, note="training"),
]
