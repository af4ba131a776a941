"""Optimizer base: parameter groups, per-parameter state, zero_grad, state_dict."""
import copy

import numpy as np

from ..autograd.tensor import Tensor, _wrap


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self._flag_check(self.defaults)
        for g in groups:
            self.add_param_group(g)

    @staticmethod
    def _flag_check(options):
        """PyTorch's implementation switches: foreach/fused/capturable pick how an update is computed, not
        what it computes, so every value is honoured by the one fused update here; differentiable=True
        (autograd through the step) is not supported and says so."""
        if options.get("differentiable"):
            raise ValueError("differentiable=True is not supported: fastnn's optimizer steps are not recorded by autograd")

    def add_param_group(self, group):
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        # PyTorch 2.13 also takes named parameters: (name, tensor) pairs
        if group["params"] and all(isinstance(p, tuple) and len(p) == 2 for p in group["params"]):
            group["param_names"] = [n for n, _ in group["params"]]
            group["params"] = [p for _, p in group["params"]]
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if p._ctx is not None:
                raise ValueError("can't optimize a non-leaf Tensor")
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad._data[...] = 0

    def _params_with_grads(self, group, negate=True):
        """(param array, grad array, state dict) for each parameter that has a gradient; the gradient
        is negated for maximize=True unless the caller's update handles that (negate=False)."""
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad._data
            if negate and group.get("maximize"):
                g = -g
            st = self.state.get(p)
            if st is None:
                st = self.state[p] = {}
            yield p._data, g, st

    @staticmethod
    def _count_step(st, p, *buffers, **scalars):
        """Advance a parameter's step count and return it; on its first step create the state: `step`,
        the scalar entries, then a zero buffer shaped like p for each name (PyTorch's keys, in its order)."""
        if not st:
            st["step"] = 0
            st.update(scalars)
            for name in buffers:
                st[name] = np.zeros_like(p)
        st["step"] += 1
        return st["step"]

    @staticmethod
    def _weight_decay(p, g, lr, wd, decoupled):
        """The gradient with weight decay wd: its L2 term added to g, or, decoupled (AdamW's way), p
        shrunk by lr * wd in place and g as it was."""
        if wd and decoupled:
            p *= 1 - lr * wd
        elif wd:
            g = g + wd * p
        return g

    def step(self, closure=None):
        loss = None
        if closure is not None:
            from ..autograd.grad_mode import enable_grad
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _update_group(self, group):
        raise NotImplementedError

    # ------------------------------------------------------------ state
    def state_dict(self):
        index = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for p, st in self.state.items():
            if id(p) in index:
                state[index[id(p)]] = {k: (_wrap(np.array(v)) if isinstance(v, np.ndarray) else v) for k, v in st.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        params = [p for g in self.param_groups for p in g["params"]]
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
        self.state = {}
        for key, st in state_dict["state"].items():
            p = params[int(key)]
            self.state[p] = {k: (np.array(v._data if isinstance(v, Tensor) else v, dtype=p.dtype)
                                 if isinstance(v, (Tensor, np.ndarray)) else v) for k, v in st.items()}
        for mine, theirs in zip(self.param_groups, groups):
            for k, v in theirs.items():
                if k != "params":
                    mine[k] = copy.deepcopy(v)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(k for k in g if k != "params"):
                lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


def check_positive(name, value, allow_zero=True):
    if value < 0 or (not allow_zero and value == 0):
        raise ValueError(f"Invalid {name}: {value}")


def check_betas(betas):
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")
