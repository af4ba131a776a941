"""float32 stays float32 through every backward: no op may leak float64 gradients into a float32 graph."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn.autograd import Function, gradcheck
from fastnn.autograd.gradcheck import GradcheckError

IDX = [0, 1, 2]
OPS = {
    "max_all": lambda a: a.max(), "amax": lambda a: a.amax(1), "max_dim": lambda a: a.max(1)[0],
    "mean": lambda a: a.mean(), "var": lambda a: a.var(1), "std": lambda a: a.std(), "prod": lambda a: a.prod(1),
    "logsumexp": lambda a: a.logsumexp(1), "norm": lambda a: a.norm(), "pow": lambda a: a ** 2,
    "pow_float": lambda a: a.abs() ** 0.5, "rpow": lambda a: 2 ** a, "rdiv": lambda a: 1 / a,
    "maximum": lambda a: fastnn.maximum(a, a.detach() * 0 + 0.1), "minimum": lambda a: fastnn.minimum(a, a.detach() * 0 + 0.2),  # PyTorch: other is a Tensor
    "gelu": F.gelu, "gelu_tanh": lambda a: F.gelu(a, approximate="tanh"), "softplus": F.softplus, "elu": F.elu,
    "silu": F.silu, "leaky_relu": F.leaky_relu, "clamp": lambda a: a.clamp(0.1, 0.5), "sigmoid": lambda a: a.sigmoid(),
    "layer_norm": lambda a: F.layer_norm(a, (4,)), "batch_norm": lambda a: F.batch_norm(a, None, None, training=True),
    "batch_norm_eval": lambda a: F.batch_norm(a, fastnn.zeros(4), fastnn.ones(4), training=False),
    "cross_entropy": lambda a: F.cross_entropy(a, fastnn.tensor(IDX)),
    "cross_entropy_soft": lambda a: F.cross_entropy(a, fastnn.ones(3, 4) / 4),
    "cross_entropy_w_ls": lambda a: F.cross_entropy(a, fastnn.tensor(IDX), weight=fastnn.ones(4), label_smoothing=0.1),
    "nll_w": lambda a: F.nll_loss(a, fastnn.tensor(IDX), weight=fastnn.ones(4)),
    "mse": lambda a: F.mse_loss(a, fastnn.zeros(3, 4)), "smooth_l1": lambda a: F.smooth_l1_loss(a, fastnn.zeros(3, 4)),
    "huber": lambda a: F.huber_loss(a, fastnn.zeros(3, 4)),
    "bce": lambda a: F.binary_cross_entropy(a.sigmoid(), fastnn.zeros(3, 4)),
    "bce_logits": lambda a: F.binary_cross_entropy_with_logits(a, fastnn.zeros(3, 4), pos_weight=fastnn.ones(4)),
    "dropout": lambda a: F.dropout(a, 0.3), "softmax": lambda a: a.softmax(1), "log_softmax": lambda a: a.log_softmax(0),
    "where": lambda a: fastnn.where(a > 0, a, 0.0), "gather": lambda a: a.gather(1, fastnn.tensor([[0], [1], [2]])),
    "index_repeat": lambda a: a[fastnn.tensor([0, 0])], "cumsum": lambda a: a.cumsum(1),
    "linear": lambda a: F.linear(a, fastnn.ones(2, 4)), "normalize": lambda a: F.normalize(a),
    "kl_div": lambda a: F.kl_div(a.log_softmax(1), fastnn.ones(3, 4) / 4, reduction="batchmean"),
    "embedding": lambda a: F.embedding(fastnn.tensor([1, 1]), a), "rsqrt": lambda a: (a * a + 1).rsqrt(),
    "sum_div_int": lambda a: a.sum() / 3,
}


class Spy(Function):
    """Identity that records the dtype of the gradient reaching it."""
    seen = []

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        Spy.seen.append(g.dtype)
        return g


@pytest.mark.parametrize("name", sorted(OPS))
def test_float32_forward_and_backward(name):
    Spy.seen = []
    x = fastnn.tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    y = OPS[name](Spy.apply(x))
    assert y.dtype == fastnn.float32
    (y.sum() if y.ndim else y).backward()
    assert Spy.seen == [np.float32]


def test_gradcheck_catches_a_wrong_backward():
    class WrongSquare(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            return g * ctx.saved_tensors[0]  # missing the factor 2

    x = fastnn.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    with pytest.raises(GradcheckError, match="differs"):
        gradcheck(WrongSquare.apply, (x,))
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a: a * 2, (fastnn.ones(2, requires_grad=True),))
