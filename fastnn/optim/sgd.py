"""SGD with momentum, dampening, Nesterov momentum and weight decay (PyTorch's update)."""
import numpy as np

from ..autograd.native import optim as native_optim
from .optimizer import Optimizer, check_positive


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False, foreach=None,
                 differentiable=False, fused=None):
        check_positive("learning rate", lr)
        check_positive("momentum value", momentum)
        check_positive("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _update_group(self, group):
        lr, mom, damp = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], bool(group.get("maximize"))
        if not (mom or wd or maximize):
            self._plain_update(group["params"], lr)
            return
        for p, g, st in self._params_with_grads(group, negate=False):
            buf, first = None, False
            if mom:
                buf = st.get("momentum_buffer")
                if buf is None:
                    buf, first = st.setdefault("momentum_buffer", np.empty_like(p)), True
            native_optim.sgd_step(p, g, buf, lr, mom, damp, wd, nesterov, maximize, first)

    def _plain_update(self, params, lr):
        """p -= lr * g: small parameters in NumPy's two passes, inline (a small model's step is mostly the
        per-parameter calls around them), large ones through the update's kernel."""
        state = self.state
        for p in params:
            grad = p.grad
            if grad is None:
                continue
            if p not in state:
                state[p] = {}
            data, g = p._data, grad._data
            if data.size < native_optim.SMALL_PLAIN_SGD:
                data -= lr * g
            else:
                native_optim.sgd_step(data, g, None, lr, 0, 0, 0, False, False, False)
