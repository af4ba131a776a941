"""SGD with momentum, dampening, Nesterov momentum and weight decay (PyTorch's update)."""
import numpy as np

from .optimizer import Optimizer, check_positive


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False):
        check_positive("learning rate", lr)
        check_positive("momentum value", momentum)
        check_positive("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update_group(self, group):
        lr, mom, damp = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov = group["weight_decay"], group["nesterov"]
        for p, g, st in self._params_with_grads(group):
            if wd:
                g = g + wd * p
            if mom:
                buf = st.get("momentum_buffer")
                if buf is None:
                    buf = st["momentum_buffer"] = np.array(g, copy=True)
                else:
                    buf *= mom
                    buf += (1 - damp) * g
                g = g + mom * buf if nesterov else buf
            p -= lr * g
