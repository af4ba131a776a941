"""Policy-gradient training loops in the style of PyTorch's reinforcement-learning examples (REINFORCE and
actor-critic with Categorical), written here against `import fastnn as torch` on the built-in CartPole.
REINFORCE, given the same actions, must train exactly as under PyTorch; actor-critic must run and learn."""
from collections import namedtuple

import numpy as np
import pytest

import fastnn as torch
import fastnn.nn as nn
import fastnn.nn.functional as F
import fastnn.optim as optim
from fastnn.distributions import Categorical
from fastnn.rl import CartPole

EPS = np.finfo(np.float32).eps.item()


def policy_class(lib):
    """The same network for fastnn and PyTorch."""
    class Policy(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = lib.nn.Linear(4, 64)
            self.action_head = lib.nn.Linear(64, 2)

        def forward(self, x):
            return lib.nn.functional.softmax(self.action_head(lib.nn.functional.relu(self.hidden(x))), dim=-1)
    return Policy


class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 64)
        self.action_head = nn.Linear(64, 2)
        self.value_head = nn.Linear(64, 1)

    def forward(self, x):
        h = F.relu(self.hidden(x))
        return F.softmax(self.action_head(h), dim=-1), self.value_head(h)


def discounted(lib, rewards, gamma=0.99):
    out, running = [], 0.0
    for r in reversed(rewards):
        running = r + gamma * running
        out.insert(0, running)
    returns = lib.tensor(out)
    return (returns - returns.mean()) / (returns.std() + EPS)


def reinforce_episode(lib, env, policy, optimizer, seed, uniforms):
    """One REINFORCE update. Actions come from a shared stream of uniforms (inverse CDF of the policy's
    probabilities), so the same weights give the same episode under fastnn and PyTorch."""
    state, _ = env.reset(seed=seed)
    log_probs, rewards = [], []
    for _ in range(500):
        m = lib.distributions.Categorical(policy(lib.from_numpy(state).float().unsqueeze(0)))
        action = lib.tensor([int(next(uniforms) >= m.probs[0, 0].item())])
        log_probs.append(m.log_prob(action))
        state, reward, terminated, truncated, _ = env.step(action.item())
        rewards.append(reward)
        if terminated or truncated:
            break
    returns = discounted(lib, rewards)
    loss = lib.cat([-lp * r for lp, r in zip(log_probs, returns)]).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return sum(rewards)


def test_reinforce_training_matches_pytorch():
    real_torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ours = policy_class(torch)()
    theirs = policy_class(real_torch)()
    with real_torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(real_torch.from_numpy(p.detach().numpy().copy()))
    runs = {}
    for lib, model in ((torch, ours), (real_torch, theirs)):
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-2)
        uniforms = iter(np.random.default_rng(1).random(100_000))
        runs[lib.__name__] = [reinforce_episode(lib, CartPole(), model, optimizer, i, uniforms) for i in range(12)]
    assert runs["fastnn"] == runs["torch"]
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-3, atol=1e-4)


SavedAction = namedtuple("SavedAction", ["log_prob", "value"])


def test_actor_critic_episodes_run_and_update_both_heads():
    torch.manual_seed(1)
    env, model = CartPole(), ActorCritic()
    optimizer = optim.Adam(model.parameters(), lr=3e-2)
    before = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    for episode in range(3):
        state, _ = env.reset(seed=episode)
        saved, rewards = [], []
        for _ in range(500):
            probs, value = model(torch.from_numpy(state).float())
            m = Categorical(probs)
            action = m.sample()
            saved.append(SavedAction(m.log_prob(action), value))
            state, reward, terminated, truncated, _ = env.step(action.item())
            rewards.append(reward)
            if terminated or truncated:
                break
        returns = discounted(torch, rewards)
        policy_losses, value_losses = [], []
        for (log_prob, value), R in zip(saved, returns):
            advantage = R - value.item()
            policy_losses.append(-log_prob * advantage)
            value_losses.append(F.smooth_l1_loss(value, torch.tensor([R.item()])))
        optimizer.zero_grad()
        loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
        loss.backward()
        optimizer.step()
        assert np.isfinite(loss.item())
    for n, p in model.named_parameters():
        assert not np.array_equal(p.detach().numpy(), before[n]), f"{n} was not updated"
