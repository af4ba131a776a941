"""L-BFGS with an optional strong-Wolfe line search, PyTorch's algorithm and stopping rules.

`step(closure)` re-evaluates the model: the closure clears the gradients, computes the loss, calls backward and
returns the loss. All parameters form one flat vector (one parameter group, as in PyTorch)."""
import numpy as np

from ..autograd.grad_mode import enable_grad
from .line_search import strong_wolfe
from .optimizer import Optimizer, check_positive


class LBFGS(Optimizer):
    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        check_positive("learning rate", lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------ the parameters as one flat vector
    def _flat_grad(self):
        parts = [np.zeros(p.numel()) if p.grad is None else p.grad._data.reshape(-1) for p in self._params]
        return np.concatenate(parts).astype(np.float64)

    def _flat_params(self):
        return np.concatenate([p._data.reshape(-1) for p in self._params]).astype(np.float64)

    def _set_flat(self, x):
        offset = 0
        for p in self._params:
            n = p.numel()
            p._data[...] = x[offset:offset + n].reshape(p._data.shape)
            offset += n

    def _move(self, t, d):
        offset = 0
        for p in self._params:
            n = p.numel()
            p._data += (t * d[offset:offset + n]).reshape(p._data.shape).astype(p._data.dtype)
            offset += n

    def _evaluate(self, closure):
        with enable_grad():
            return float(closure())

    # ------------------------------------------------------------ one call = up to max_iter iterations
    def step(self, closure):
        if closure is None:
            raise TypeError("LBFGS.step requires a closure that reevaluates the model and returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change, history = group["tolerance_grad"], group["tolerance_change"], group["history_size"]
        st = self.state.setdefault(self._params[0], {})
        st.setdefault("func_evals", 0)
        st.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        st["func_evals"] += 1
        g = self._flat_grad()
        if abs(g).max() <= tol_grad:
            return orig_loss

        d, t = st.get("d"), st.get("t")
        dirs, steps, rho = st.get("old_dirs", []), st.get("old_stps", []), st.get("ro", [])
        h_diag, prev_g, prev_loss = st.get("H_diag", 1.0), st.get("prev_flat_grad"), st.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            st["n_iter"] += 1
            if st["n_iter"] == 1:
                d, dirs, steps, rho, h_diag = -g, [], [], [], 1.0
            else:
                y, s = g - prev_g, d * t
                ys = float(y @ s)
                if ys > 1e-10:   # keep the pair only when curvature is positive
                    if len(dirs) == history:
                        dirs.pop(0), steps.pop(0), rho.pop(0)
                    dirs.append(y), steps.append(s), rho.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                d = self._two_loop(-g, dirs, steps, rho, h_diag)
            prev_g = g.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / abs(g).sum()) * lr if st["n_iter"] == 1 else lr
            gtd = float(g @ d)
            if gtd > -tol_change:   # not a descent direction
                break

            if group["line_search_fn"] == "strong_wolfe":
                x0 = self._flat_params()

                def evaluate(step):
                    self._move(step, d)
                    value = self._evaluate(closure)
                    grad = self._flat_grad()
                    self._set_flat(x0)
                    return value, grad

                loss, g, t, ls_evals = strong_wolfe(evaluate, d, t, loss, g, gtd)
                self._move(t, d)
            else:
                self._move(t, d)
                ls_evals = 0
                if n_iter != max_iter:
                    loss = self._evaluate(closure)
                    g = self._flat_grad()
                    ls_evals = 1
            evals += ls_evals
            st["func_evals"] += ls_evals
            if (n_iter == max_iter or evals >= max_eval or abs(g).max() <= tol_grad
                    or abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change):
                break

        st.update(d=d, t=t, old_dirs=dirs, old_stps=steps, ro=rho, H_diag=h_diag, prev_flat_grad=prev_g,
                  prev_loss=prev_loss)
        return orig_loss

    @staticmethod
    def _two_loop(q, dirs, steps, rho, h_diag):
        """The L-BFGS two-loop recursion: the inverse-Hessian estimate applied to q."""
        alpha = [0.0] * len(dirs)
        for i in range(len(dirs) - 1, -1, -1):
            alpha[i] = float(steps[i] @ q) * rho[i]
            q = q - alpha[i] * dirs[i]
        r = q * h_diag
        for i in range(len(dirs)):
            beta = float(dirs[i] @ r) * rho[i]
            r = r + steps[i] * (alpha[i] - beta)
        return r
