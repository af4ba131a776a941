"""Optimizers step for step against NumPy implementations of the published update rules, and torch.optim."""
import math

import numpy as np
import pytest

import fastnn
import fastnn.optim as optim
from fastnn.optim import lr_scheduler

STEPS = 6


def grads_for(step, shape):
    """Deterministic, sign-changing gradients (so momentum/amsgrad branches matter)."""
    rng = np.random.default_rng(100 + step)
    return rng.standard_normal(shape) * (1 + step % 3)


# ---------------------------------------------------------------- references, from the papers / docs formulas
def ref_sgd(p, gs, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    p = p.copy()
    b = None
    for g in gs:
        g = -g if maximize else g
        g = g + weight_decay * p
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        p = p - lr * g
    return p


def ref_adam(p, gs, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, decoupled=False,
             maximize=False):
    p = p.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    vmax = np.zeros_like(p)
    for t, g in enumerate(gs, 1):
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        mhat = m / (1 - betas[0] ** t)
        vmax = np.maximum(vmax, v)
        vhat = (vmax if amsgrad else v) / (1 - betas[1] ** t)
        p = p - lr * mhat / (np.sqrt(vhat) + eps)
    return p


def ref_rmsprop(p, gs, lr, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False):
    p = p.copy()
    sq = np.zeros_like(p)
    avg = np.zeros_like(p)
    buf = np.zeros_like(p)
    for g in gs:
        g = g + weight_decay * p
        sq = alpha * sq + (1 - alpha) * g * g
        if centered:
            avg = alpha * avg + (1 - alpha) * g
            denom = np.sqrt(sq - avg * avg) + eps
        else:
            denom = np.sqrt(sq) + eps
        if momentum:
            buf = momentum * buf + g / denom
            p = p - lr * buf
        else:
            p = p - lr * g / denom
    return p


def ref_adagrad(p, gs, lr, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10):
    p = p.copy()
    s = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(gs, 1):
        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
    return p


CASES = [
    (optim.SGD, ref_sgd, dict(lr=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.5, maximize=True)),
    (optim.Adam, ref_adam, dict(lr=0.01)),
    (optim.Adam, ref_adam, dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    (optim.Adam, ref_adam, dict(lr=0.01, maximize=True)),
    (optim.AdamW, lambda p, gs, **kw: ref_adam(p, gs, decoupled=True, **kw), dict(lr=0.01, weight_decay=0.1)),
    (optim.AdamW, lambda p, gs, **kw: ref_adam(p, gs, decoupled=True, weight_decay=1e-2, **kw),  # default decay
     dict(lr=0.01, amsgrad=True)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.05)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9, momentum=0.5)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.5)),
]
IDS = [f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]


def run_fastnn(cls, kw, p0, steps=STEPS):
    p = fastnn.nn.Parameter(fastnn.tensor(p0.copy()))
    opt = cls([p], **kw)
    for s in range(steps):
        opt.zero_grad()
        g = fastnn.tensor(grads_for(s, p0.shape))
        (p * g).sum().backward()  # d/dp = g
        opt.step()
    return p.detach().numpy(), opt


@pytest.mark.parametrize("cls,ref,kw", CASES, ids=IDS)
def test_against_numpy_reference(cls, ref, kw):
    p0 = np.random.default_rng(0).standard_normal((3, 4))
    ours, _ = run_fastnn(cls, kw, p0)
    expect = ref(p0, [grads_for(s, p0.shape) for s in range(STEPS)], **kw)
    np.testing.assert_allclose(ours, expect, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls,ref,kw", CASES, ids=IDS)
def test_against_torch(cls, ref, kw):
    torch = pytest.importorskip("torch")
    p0 = np.random.default_rng(0).standard_normal((3, 4))
    ours, _ = run_fastnn(cls, kw, p0)
    tp = torch.tensor(p0.copy(), requires_grad=True)
    topt = getattr(torch.optim, cls.__name__)([tp], **kw)
    for s in range(STEPS):
        topt.zero_grad()
        tp.grad = torch.tensor(grads_for(s, p0.shape))
        topt.step()
    np.testing.assert_allclose(ours, tp.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_float32_params_stay_float32():
    for cls, _, kw in CASES:
        p = fastnn.nn.Parameter(fastnn.ones(3))
        opt = cls([p], **kw)
        (p * 2).sum().backward()
        opt.step()
        assert p.dtype == fastnn.float32, cls.__name__
        assert all(v.dtype == np.float32 for v in opt.state[p].values() if isinstance(v, np.ndarray))


def test_param_groups_have_own_hyperparameters():
    a = fastnn.nn.Parameter(fastnn.ones(2))
    b = fastnn.nn.Parameter(fastnn.ones(2))
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 1.0, "momentum": 0.5}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["momentum"] == 0.5
    (a.sum() + b.sum()).backward()
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), 0.9)
    np.testing.assert_allclose(b.detach().numpy(), 0.0)
    with pytest.raises(ValueError, match="more than one"):
        opt.add_param_group({"params": [a]})
    c = fastnn.nn.Parameter(fastnn.ones(1))
    opt.add_param_group({"params": [c]})
    assert opt.param_groups[2]["lr"] == 0.1


def test_params_without_grad_are_skipped():
    a = fastnn.nn.Parameter(fastnn.ones(2))
    b = fastnn.nn.Parameter(fastnn.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.sum().backward()
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), 1)
    assert b not in opt.state


def test_optimizer_bad_arguments():
    p = fastnn.nn.Parameter(fastnn.ones(2))
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta"):
        optim.Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


def test_closure_is_called_with_grad_enabled():
    p = fastnn.nn.Parameter(fastnn.tensor([2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with fastnn.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_allclose(p.detach().numpy(), [1.0])


@pytest.mark.parametrize("cls,ref,kw", CASES[1:2] + CASES[6:7] + CASES[11:12] + CASES[14:15],
                         ids=["SGD", "Adam", "RMSprop", "Adagrad"])
def test_state_dict_round_trip_resumes_identically(cls, ref, kw, tmp_path):
    p0 = np.random.default_rng(1).standard_normal(5)
    full, _ = run_fastnn(cls, kw, p0, steps=STEPS)
    half, opt = run_fastnn(cls, kw, p0, steps=3)
    fastnn.save(opt.state_dict(), tmp_path / "opt.safetensors")
    sd = fastnn.load(tmp_path / "opt.safetensors")
    assert set(sd["state"]) == {0}
    p = fastnn.nn.Parameter(fastnn.tensor(half.copy()))
    opt2 = cls([p], **kw)
    opt2.load_state_dict(sd)
    for s in range(3, STEPS):
        opt2.zero_grad()
        (p * fastnn.tensor(grads_for(s, p0.shape))).sum().backward()
        opt2.step()
    np.testing.assert_allclose(p.detach().numpy(), full, rtol=1e-12)


def test_state_dict_is_a_snapshot():
    p = fastnn.nn.Parameter(fastnn.ones(2))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.sum().backward()
    opt.step()
    sd = opt.state_dict()
    before = sd["state"][0]["momentum_buffer"].numpy().copy()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"].numpy(), before)
    assert sd["param_groups"][0]["params"] == [0]
    with pytest.raises(ValueError, match="parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})


def test_lr_change_through_param_groups_takes_effect():
    p = fastnn.nn.Parameter(fastnn.zeros(1))
    opt = optim.SGD([p], lr=1.0)
    opt.param_groups[0]["lr"] = 0.5
    p.grad = fastnn.ones(1)
    opt.step()
    assert p.item() == -0.5


# ---------------------------------------------------------------- schedulers
def make_opt(lr=0.5):
    return optim.SGD([fastnn.nn.Parameter(fastnn.ones(1))], lr=lr)


SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5), lambda e: 0.5 * 0.5 ** (e // 3)),
    ("ExponentialLR", dict(gamma=0.9), lambda e: 0.5 * 0.9 ** e),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01), lambda e: 0.01 + 0.49 * (1 + math.cos(math.pi * e / 7)) / 2),
]


@pytest.mark.parametrize("name,kw,closed", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_scheduler_closed_form(name, kw, closed):
    opt = make_opt()
    sched = getattr(lr_scheduler, name)(opt, **kw)
    lrs = []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(lrs, [closed(e) for e in range(10)], rtol=1e-12)
    assert sched.get_last_lr() == [opt.param_groups[0]["lr"]]


@pytest.mark.parametrize("name,kw,closed", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_scheduler_against_torch(name, kw, closed):
    torch = pytest.importorskip("torch")
    opt = make_opt()
    sched = getattr(lr_scheduler, name)(opt, **kw)
    topt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.5)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    for _ in range(12):
        assert opt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"], rel=1e-9, abs=1e-15)
        opt.step(), topt.step()
        sched.step(), tsched.step()


def test_scheduler_state_dict_round_trip():
    opt = make_opt()
    sched = lr_scheduler.StepLR(opt, step_size=2)
    for _ in range(3):
        sched.step()
    sd = sched.state_dict()
    opt2 = make_opt()
    sched2 = lr_scheduler.StepLR(opt2, step_size=2)
    sched2.load_state_dict(sd)
    opt2.load_state_dict(opt.state_dict())   # the schedule steps the optimizer's lr (PyTorch's recursive rule)
    sched2.step()
    sched.step()
    assert sched2.last_epoch == sched.last_epoch == 4
    assert sched2.get_last_lr() == sched.get_last_lr()


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
                                     ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
                                     ("Adagrad", dict(lr=0.1, lr_decay=0.01))])
def test_resume_from_torch_optimizer_state(name, kw):
    torch = pytest.importorskip("torch")
    p0 = np.random.default_rng(3).standard_normal(4)
    tp = torch.tensor(p0.copy(), requires_grad=True)
    topt = getattr(torch.optim, name)([tp], **kw)
    for s in range(STEPS):
        if s == 3:  # hand the run over to fastnn: parameters and optimizer state through NumPy
            sd = topt.state_dict()
            state = {k: {n: (v.detach().numpy().copy() if hasattr(v, "detach") else v) for n, v in st.items()}
                     for k, st in sd["state"].items()}
            p = fastnn.nn.Parameter(fastnn.tensor(tp.detach().numpy().copy()))
            opt = getattr(optim, name)([p], **kw)
            opt.load_state_dict({"state": state, "param_groups": sd["param_groups"]})
        tp.grad = torch.tensor(grads_for(s, p0.shape))
        topt.step()
        if s >= 3:
            p.grad = fastnn.tensor(grads_for(s, p0.shape))
            opt.step()
    np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-9)
