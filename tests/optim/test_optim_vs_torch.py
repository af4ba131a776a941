"""Every optimizer and learning-rate schedule step for step against torch.optim on the same weights and gradients."""
import numpy as np
import pytest

import fastnn
import fastnn.optim as optim
from fastnn.optim import lr_scheduler, swa_utils

torch = pytest.importorskip("torch")

SHAPES = [(5, 3), (4,), (2, 3, 4)]
STEPS = 8


def _grads(step, shape):
    rng = np.random.default_rng(1000 + step)
    g = rng.standard_normal(shape) * (1 + step % 3)
    if step % 4 == 3:
        g[..., 0] = 0.0   # zero entries: Rprop's sign rule and SparseAdam's rows
    return g


def _params(dtype):
    rng = np.random.default_rng(7)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def _run(lib, cls, kwargs, dtype, shapes_2d_only=False):
    """STEPS updates by `lib`'s (fastnn or torch) optimizer cls; the final parameters and the optimizer."""
    arrays = _params(dtype)
    if shapes_2d_only:
        arrays = [a for a in arrays if a.ndim == 2]
    ps = [lib.nn.Parameter(lib.tensor(a.copy())) for a in arrays]
    opt = cls(ps, **kwargs)
    for step in range(STEPS):
        for p in ps:
            p.grad = lib.tensor(_grads(step, tuple(p.shape)).astype(dtype))
            if lib is torch and cls is torch.optim.SparseAdam:
                p.grad = p.grad.to_sparse(1)   # row-sparse, as nn.Embedding(sparse=True) gives
        opt.step()
    return [p.detach().numpy() for p in ps], opt


def _run_fastnn(cls, kwargs, dtype, shapes_2d_only=False):
    return _run(fastnn, cls, kwargs, dtype, shapes_2d_only)


def _run_torch(cls, kwargs, dtype, shapes_2d_only=False):
    return _run(torch, cls, kwargs, dtype, shapes_2d_only)[0]


CASES = [
    ("Adadelta", {}), ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", {}), ("Adamax", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.05)),
    ("ASGD", {}), ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1)),
    ("NAdam", {}), ("NAdam", dict(weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", {}), ("RAdam", dict(betas=(0.5, 0.6), weight_decay=0.1)),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Rprop", {}), ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Adafactor", {}), ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, weight_decay=0.1)),
    ("SparseAdam", {}), ("SparseAdam", dict(lr=0.01, betas=(0.8, 0.9))),
    ("Adam", dict(foreach=False, fused=True, capturable=False)), ("AdamW", dict(foreach=True)),
    ("Adam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, foreach=True, fused=None)), ("RMSprop", dict(capturable=False, foreach=True)),
    ("Adagrad", dict(fused=None, foreach=False)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_optimizer_matches_torch(name, kwargs, dtype):
    mine, _ = _run_fastnn(getattr(optim, name), kwargs, dtype)
    theirs = _run_torch(getattr(torch.optim, name), kwargs, dtype)
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-8, atol=1e-10)  # PyTorch rounds some step scalars to float32
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, **tol)


@pytest.mark.parametrize("kwargs", [{}, dict(nesterov=False, momentum=0.5, weight_decay=0.2),
                                    dict(adjust_lr_fn="match_rms_adamw", ns_steps=3)])
def test_muon_matches_torch_to_bfloat16_precision(kwargs):
    kwargs = dict(lr=0.02, **kwargs)
    mine, _ = _run_fastnn(optim.Muon, kwargs, np.float32, shapes_2d_only=True)
    theirs = _run_torch(torch.optim.Muon, kwargs, np.float32, shapes_2d_only=True)
    start = [a for a in _params(np.float32) if a.ndim == 2]
    for a, b, s in zip(mine, theirs, start):
        # torch orthogonalises in bfloat16 (8 bits of mantissa): compare the total movement as a whole
        moved_mine, moved_torch = a - s, b - s
        assert np.linalg.norm(moved_mine - moved_torch) < 0.05 * np.linalg.norm(moved_torch)


def test_muon_refuses_non_matrix_parameters():
    with pytest.raises(ValueError, match="2D"):
        optim.Muon([fastnn.nn.Parameter(fastnn.zeros(3))])


@pytest.mark.parametrize("name,kwargs", [c for c in CASES if c[0] not in ("Adam", "AdamW", "SGD", "RMSprop", "Adagrad")])
def test_state_dict_resumes_the_same_trajectory(name, kwargs):
    """Save after 4 steps, load into a fresh optimizer, continue: the same parameters as an unbroken run."""
    cls = getattr(optim, name)
    full, _ = _run_fastnn(cls, kwargs, np.float64)
    ps = [fastnn.nn.Parameter(fastnn.tensor(a.copy())) for a in _params(np.float64)]
    opt = cls(ps, **kwargs)
    for step in range(STEPS):
        if step == 4:
            saved = opt.state_dict()
            opt = cls(ps, **kwargs)
            opt.load_state_dict(saved)
        for p in ps:
            p.grad = fastnn.tensor(_grads(step, tuple(p.shape)))
        opt.step()
    for a, b in zip(full, ps):
        np.testing.assert_allclose(b.detach().numpy(), a, rtol=1e-12)


@pytest.mark.parametrize("name,bad", [("Adadelta", dict(rho=1.5)), ("Adamax", dict(betas=(1.0, 0.9))),
                                      ("NAdam", dict(momentum_decay=-1)), ("RAdam", dict(eps=-1)),
                                      ("Rprop", dict(etas=(1.5, 1.2))), ("Adafactor", dict(beta2_decay=0.5)),
                                      ("SparseAdam", dict(eps=0.0)), ("ASGD", dict(lr=-1.0)),
                                      ("LBFGS", dict(line_search_fn="armijo")), ("Adam", dict(differentiable=True))])
def test_bad_hyperparameters_raise(name, bad):
    with pytest.raises(ValueError):
        getattr(optim, name)([fastnn.nn.Parameter(fastnn.zeros(2, 2))], **bad)


def test_named_parameters_are_accepted():
    lin = fastnn.nn.Linear(3, 2)
    opt = optim.Adam(lin.named_parameters())
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"][0] is lin.weight


# ------------------------------------------------------------------------------------------------ LBFGS
def _least_squares(lib, line_search_fn, max_iter):
    rng = np.random.default_rng(3)
    A = rng.standard_normal((20, 5))
    y = rng.standard_normal(20)
    w = (fastnn if lib == "fastnn" else torch).tensor(np.zeros(5), requires_grad=True)
    A_t = (fastnn if lib == "fastnn" else torch).tensor(A)
    y_t = (fastnn if lib == "fastnn" else torch).tensor(y)
    mod = optim if lib == "fastnn" else torch.optim
    opt = mod.LBFGS([w], lr=1, max_iter=max_iter, history_size=3, line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        r = A_t.matmul(w) - y_t
        loss = (r * r).sum() + (w * w * w * w).sum()   # quartic term: not a quadratic, so the history matters
        loss.backward()
        return loss
    losses = [float(opt.step(closure)) for _ in range(3)]
    return w.detach().numpy(), losses, opt.state[opt.param_groups[0]["params"][0]]["func_evals"]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("max_iter", [1, 4, 20])
def test_lbfgs_matches_torch(line_search_fn, max_iter):
    w_mine, l_mine, evals_mine = _least_squares("fastnn", line_search_fn, max_iter)
    w_torch, l_torch, evals_torch = _least_squares("torch", line_search_fn, max_iter)
    np.testing.assert_allclose(w_mine, w_torch, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(l_mine, l_torch, rtol=1e-8)
    assert evals_mine == evals_torch


def test_lbfgs_requires_a_closure():
    opt = optim.LBFGS([fastnn.nn.Parameter(fastnn.zeros(2))])
    with pytest.raises(TypeError, match="closure"):
        opt.step()


# ------------------------------------------------------------------------------------------------ schedules
def _opt_pair(kind="sgd"):
    a = np.ones((2, 2), np.float32)
    if kind == "adam":
        return (optim.Adam([fastnn.nn.Parameter(fastnn.tensor(a))], lr=0.1),
                torch.optim.Adam([torch.nn.Parameter(torch.tensor(a))], lr=0.1))
    groups = lambda P, t: [{"params": [P(t(a))]}, {"params": [P(t(a))], "lr": 0.05}]  # noqa: E731
    return (optim.SGD(groups(fastnn.nn.Parameter, fastnn.tensor), lr=0.1, momentum=0.9),
            torch.optim.SGD(groups(torch.nn.Parameter, torch.tensor), lr=0.1, momentum=0.9))


def _mk(mod, opt, name, kwargs):
    if name == "SequentialLR":
        a = mod.ConstantLR(opt, factor=0.5, total_iters=3)
        b = mod.ExponentialLR(opt, gamma=0.9)
        return mod.SequentialLR(opt, [a, b], milestones=[4])
    if name == "ChainedScheduler":
        return mod.ChainedScheduler([mod.ConstantLR(opt, factor=0.5, total_iters=3), mod.ExponentialLR(opt, 0.9)])
    if name in ("LambdaLR", "MultiplicativeLR"):
        return getattr(mod, name)(opt, lr_lambda=lambda e: 0.95 ** e)
    if name == "SWALR":
        return (swa_utils if mod is lr_scheduler else torch.optim.swa_utils).SWALR(opt, **kwargs)
    return getattr(mod, name)(opt, **kwargs)


SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5)), ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ConstantLR", dict(factor=0.25, total_iters=4)), ("LinearLR", dict(start_factor=0.2, end_factor=0.9, total_iters=6)),
    ("ExponentialLR", dict(gamma=0.8)), ("PolynomialLR", dict(total_iters=7, power=2.0)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=0.001)), ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.01)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2")),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range", gamma=0.9)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=25)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], epochs=5, steps_per_epoch=5, anneal_strategy="linear", three_phase=True)),
    ("LambdaLR", {}), ("MultiplicativeLR", {}), ("SequentialLR", {}), ("ChainedScheduler", {}),
    ("SWALR", dict(swa_lr=0.02, anneal_epochs=4)), ("SWALR", dict(swa_lr=[0.02, 0.01], anneal_epochs=0, anneal_strategy="linear")),
]


# per-group values (lists) need the two-group SGD optimizer; the rest also run on Adam (betas instead of momentum)
SCHEDULE_RUNS = [(n, kw, kind) for n, kw in SCHEDULES for kind in ("sgd", "adam")
                 if kind == "sgd" or not any(isinstance(v, list) for v in kw.values())]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name,kwargs,kind", SCHEDULE_RUNS, ids=[f"{n}-{i}-{k}" for i, (n, _, k) in enumerate(SCHEDULE_RUNS)])
def test_schedule_matches_torch(name, kwargs, kind):
    mine_opt, torch_opt = _opt_pair(kind)
    mine, theirs = _mk(lr_scheduler, mine_opt, name, kwargs), _mk(torch.optim.lr_scheduler, torch_opt, name, kwargs)
    for _ in range(24):
        mine_opt.step(), torch_opt.step()
        mine.step(), theirs.step()
        np.testing.assert_allclose(mine.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, atol=1e-15)
        for gm, gt in zip(mine_opt.param_groups, torch_opt.param_groups):
            key = "betas" if kind == "adam" else "momentum"
            np.testing.assert_allclose(np.ravel(gm[key]), np.ravel(gt[key]), rtol=1e-12)


@pytest.mark.filterwarnings("ignore")
def test_step_with_epoch_uses_the_closed_form():
    for name, kwargs in [("StepLR", dict(step_size=3)), ("CosineAnnealingLR", dict(T_max=7)),
                         ("MultiStepLR", dict(milestones=[2, 4])), ("LinearLR", {}), ("PolynomialLR", {})]:
        mine_opt, torch_opt = _opt_pair()
        mine, theirs = _mk(lr_scheduler, mine_opt, name, kwargs), _mk(torch.optim.lr_scheduler, torch_opt, name, kwargs)
        for e in (5, 2, 9):
            mine.step(e), theirs.step(e)
            np.testing.assert_allclose(mine.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)


@pytest.mark.parametrize("mode,threshold_mode,metrics", [
    ("min", "rel", [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85]),
    ("max", "abs", [0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3]),
])
def test_reduce_lr_on_plateau_matches_torch(mode, threshold_mode, metrics):
    mine_opt, torch_opt = _opt_pair()
    kw = dict(mode=mode, factor=0.5, patience=1, threshold=0.01, threshold_mode=threshold_mode, cooldown=1,
              min_lr=[0.01, 0.02])
    mine = lr_scheduler.ReduceLROnPlateau(mine_opt, **kw)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **kw)
    for m in metrics * 2:
        mine.step(fastnn.tensor(m)), theirs.step(m)
        np.testing.assert_allclose(mine.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)


def test_scheduler_state_dict_round_trip():
    opt, _ = _opt_pair()
    s = lr_scheduler.OneCycleLR(opt, max_lr=0.3, total_steps=30)
    for _ in range(7):
        s.step()
    saved = s.state_dict()
    opt2, _ = _opt_pair()
    s2 = lr_scheduler.OneCycleLR(opt2, max_lr=0.3, total_steps=30)
    s2.load_state_dict(saved)
    opt2.load_state_dict(opt.state_dict())
    for _ in range(5):
        s.step(), s2.step()
        assert s.get_last_lr() == s2.get_last_lr()


def test_schedule_argument_errors():
    opt, _ = _opt_pair()
    with pytest.raises(ValueError):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(TypeError):
        lr_scheduler.StepLR(object(), step_size=2)


# ------------------------------------------------------------------------------------------------ weight averaging
@pytest.mark.parametrize("ema", [False, True])
def test_averaged_model_matches_torch(ema):
    rng = np.random.default_rng(0)
    mine, theirs = fastnn.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    fn_m = swa_utils.get_ema_multi_avg_fn(0.9) if ema else None
    fn_t = torch.optim.swa_utils.get_ema_multi_avg_fn(0.9) if ema else None
    avg_m = swa_utils.AveragedModel(mine, multi_avg_fn=fn_m)
    avg_t = torch.optim.swa_utils.AveragedModel(theirs, multi_avg_fn=fn_t)
    for _ in range(4):
        w, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(2).astype(np.float32)
        mine.weight._data[...] = w
        mine.bias._data[...] = b
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(w))
            theirs.bias.copy_(torch.tensor(b))
        avg_m.update_parameters(mine)
        avg_t.update_parameters(theirs)
    np.testing.assert_allclose(avg_m.module.weight.detach().numpy(), avg_t.module.weight.detach().numpy(), rtol=1e-6)
    assert int(avg_m.n_averaged.item()) == int(avg_t.n_averaged.item()) == 4
    x = rng.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(avg_m(fastnn.tensor(x)).detach().numpy(),
                               avg_t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_update_bn_recomputes_running_statistics():
    rng = np.random.default_rng(1)
    data = [rng.standard_normal((8, 4)).astype(np.float32) * 3 + 1 for _ in range(3)]
    net = fastnn.nn.Sequential(fastnn.nn.Linear(4, 4), fastnn.nn.BatchNorm1d(4))
    ref = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4))
    ref.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in net.state_dict().items()})
    swa_utils.update_bn([(fastnn.tensor(d), 0) for d in data], net)
    torch.optim.swa_utils.update_bn([(torch.tensor(d), 0) for d in data], ref)
    np.testing.assert_allclose(net[1].running_mean.numpy(), ref[1].running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net[1].running_var.numpy(), ref[1].running_var.numpy(), rtol=1e-5, atol=1e-6)
