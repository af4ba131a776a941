"""Adam (with AMSGrad) and AdamW (decoupled weight decay), PyTorch's update, one fused kernel call per parameter."""
from ..autograd.native import optim as native_optim
from .optimizer import Optimizer, check_positive


class Adam(Optimizer):
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_positive("learning rate", lr)
        check_positive("epsilon value", eps)
        check_positive("weight_decay value", weight_decay)
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay or self._decoupled))

    def _update_group(self, group):
        lr, (b1, b2), eps, wd, ams = group["lr"], group["betas"], group["eps"], group["weight_decay"], group["amsgrad"]
        maximize = bool(group.get("maximize"))
        for p, g, st in self._params_with_grads(group, negate=False):
            self._count_step(st, p, "exp_avg", "exp_avg_sq", *(["max_exp_avg_sq"] if ams else []))
            native_optim.adam_step(p, g, st["exp_avg"], st["exp_avg_sq"], st.get("max_exp_avg_sq") if ams else None,
                                   st["step"], lr, b1, b2, eps, wd, bool(group.get("decoupled_weight_decay", self._decoupled)), maximize)


class AdamW(Adam):
    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, foreach=foreach,
                         capturable=capturable, differentiable=differentiable, fused=fused)
