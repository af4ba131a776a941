"""Deep Q-network (Mnih et al. 2015) with a replay buffer, a target network and optional double DQN."""
import math

import numpy as np

from .. import nn, optim, tensor, no_grad, manual_seed, save as _save, load as _load
from ..models import MLP
from .._checks import positive_int
from ._checks import check_index, step_cap
from .replay import ReplayBuffer


def epsilon_by_step(step, start=0.9, end=0.01, decay=2500):
    """Exploration rate after `step` actions: decays exponentially from `start` towards `end`."""
    return end + (start - end) * math.exp(-step / decay)


class DQN:
    """An epsilon-greedy agent whose Q-function is an MLP trained on replayed transitions.

    Defaults follow the Gymnasium CartPole DQN recipe: hidden (128, 128), batch 128, gamma 0.99,
    AdamW(lr 3e-4, amsgrad), Huber (smooth L1) loss, gradients clipped to +-100, soft target
    update with tau 0.005. `target_update=N` instead copies the online network every N learning
    steps (hard sync). `double=True` picks next actions with the online network and values them
    with the target network (van Hasselt et al. 2016).
    """

    def __init__(self, obs_dim, n_actions, hidden=(128, 128), lr=3e-4, gamma=0.99, batch_size=128,
                 buffer_capacity=10000, tau=0.005, target_update=None, eps_start=0.9, eps_end=0.01,
                 eps_decay=2500, double=False, optimizer="adamw", clip_value=100.0, seed=None):
        self.obs_dim = positive_int(obs_dim, "obs_dim")
        self.n_actions = positive_int(n_actions, "n_actions")
        if not 0.0 < tau <= 1.0:
            raise ValueError(f"tau must be in (0, 1], got {tau}")
        if optimizer not in ("adam", "adamw"):
            raise ValueError(f"optimizer must be 'adam' or 'adamw', got {optimizer!r}")
        self.gamma, self.tau, self.double, self.clip_value = gamma, tau, double, clip_value
        self.target_update = None if target_update is None else positive_int(target_update, "target_update")
        self.batch_size = positive_int(batch_size, "batch_size")
        self.eps_start, self.eps_end, self.eps_decay = eps_start, eps_end, eps_decay
        if seed is not None:
            manual_seed(seed)
        # Exploration and replay sampling draw from independent streams spawned from one seed
        # (the same seed for both would make them draw identical numbers).
        explore_seed, replay_seed = np.random.SeedSequence(seed).spawn(2)
        self.rng = np.random.default_rng(explore_seed)
        self.policy_net = MLP(self.obs_dim, hidden, self.n_actions)
        self.target_net = MLP(self.obs_dim, hidden, self.n_actions)
        self.sync_target()
        opt_class = optim.AdamW if optimizer == "adamw" else optim.Adam
        self.optimizer = opt_class(self.policy_net.parameters(), lr=lr, amsgrad=True)
        self.loss_fn = nn.SmoothL1Loss()
        self.memory = ReplayBuffer(buffer_capacity, (self.obs_dim,), seed=replay_seed)
        self.steps_done = 0  # actions chosen while exploring: drives the epsilon schedule
        self.learn_steps = 0

    @property
    def epsilon(self):
        return epsilon_by_step(self.steps_done, self.eps_start, self.eps_end, self.eps_decay)

    def _obs(self, obs):
        obs = np.asarray(obs, dtype=np.float32)
        if obs.shape != (self.obs_dim,):
            raise ValueError(f"obs must have shape ({self.obs_dim},), got {obs.shape}")
        return obs

    def q_values(self, obs):
        with no_grad():
            return self.policy_net(tensor(self._obs(obs)[None])).numpy()[0]

    def act(self, obs, greedy=False):
        """The greedy action, or with probability epsilon (when not greedy) a random one."""
        obs = self._obs(obs)
        if not greedy:
            explore = self.rng.random() < self.epsilon
            self.steps_done += 1
            if explore:
                return int(self.rng.integers(self.n_actions))
        return int(self.q_values(obs).argmax())

    def remember(self, obs, action, reward, next_obs, terminated):
        self.memory.push(self._obs(obs), check_index(action, self.n_actions, "action"), reward,
                         self._obs(next_obs), terminated)

    def sync_target(self):
        """Hard update: the target network becomes a copy of the online network."""
        for t, p in zip(self.target_net.parameters(), self.policy_net.parameters()):
            t._data[...] = p._data

    def soft_update(self, tau=None):
        """target <- tau * online + (1 - tau) * target."""
        tau = self.tau if tau is None else tau
        for t, p in zip(self.target_net.parameters(), self.policy_net.parameters()):
            t._data *= 1.0 - tau
            t._data += tau * p._data

    def learn(self):
        """One gradient step on a replayed batch; returns the loss, or None while the buffer is too small."""
        if len(self.memory) < self.batch_size:
            return None
        b = self.memory.sample(self.batch_size)
        with no_grad():
            next_q = self.target_net(tensor(b.next_obs)).numpy()
            if self.double:
                choice = self.policy_net(tensor(b.next_obs)).numpy().argmax(1)
                next_value = next_q[np.arange(len(choice)), choice]
            else:
                next_value = next_q.max(1)
        target = b.reward + self.gamma * (1.0 - b.terminated) * next_value
        q = self.policy_net(tensor(b.obs)).gather(1, tensor(b.action[:, None]))
        loss = self.loss_fn(q, tensor(target[:, None].astype(np.float32)))
        self.optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_value_(self.policy_net.parameters(), self.clip_value)
        self.optimizer.step()
        self.learn_steps += 1
        if self.target_update is None:
            self.soft_update()
        elif self.learn_steps % self.target_update == 0:
            self.sync_target()
        return loss.item()

    def run_episode(self, env, seed=None, learn=True, max_steps=None):
        """One episode; with learn, explores, stores transitions and learns after every step. Returns the return.

        Without learn (greedy evaluation) the episode stops after max_steps steps (default: the env's
        time limit, else 1000), so a policy that cycles cannot run forever.
        """
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        steps, cap = 0, step_cap(env, max_steps) if not learn or max_steps is not None else None
        while not done and (cap is None or steps < cap):
            steps += 1
            action = self.act(obs, greedy=not learn)
            next_obs, reward, terminated, truncated, _ = env.step(action)
            if learn:
                self.remember(obs, action, reward, next_obs, terminated)
                self.learn()
            total += reward
            obs, done = next_obs, terminated or truncated
        return total

    def evaluate(self, env, episodes=100, seed=None, max_steps=None):
        """Mean return of the greedy policy over `episodes` episodes of at most max_steps steps each."""
        returns = [self.run_episode(env, seed=seed if i == 0 else None, learn=False, max_steps=max_steps)
                   for i in range(positive_int(episodes, "episodes"))]
        return float(np.mean(returns))

    def train(self, env, episodes, seed=None, eval_every=None, eval_episodes=10, target_return=None, progress=None):
        """Train for up to `episodes` episodes; returns the list of training returns.

        With `eval_every`, the greedy policy is evaluated every that many episodes and the best
        evaluated weights are kept (restored at the end); training stops early once an
        evaluation reaches `target_return`.
        """
        returns, best = [], -math.inf
        best_state = None
        episodes_iter = range(positive_int(episodes, "episodes"))
        for episode in (progress(episodes_iter) if progress else episodes_iter):
            returns.append(self.run_episode(env, seed=seed if episode == 0 else None))
            if eval_every and (episode + 1) % eval_every == 0:
                score = self.evaluate(env, eval_episodes)
                if score >= best:
                    best, best_state = score, {k: v.detach().numpy().copy() for k, v in self.policy_net.state_dict().items()}
                if target_return is not None and score >= target_return:
                    break
        if best_state is not None:
            self.policy_net.load_state_dict({k: tensor(v) for k, v in best_state.items()})
            self.sync_target()
        return returns

    def save(self, path):
        """Both networks and the counters, in fastnn's checkpoint format."""
        _save({"policy_net": self.policy_net.state_dict(), "target_net": self.target_net.state_dict(),
               "steps_done": self.steps_done, "learn_steps": self.learn_steps}, path)

    def load(self, path):
        state = _load(path)
        self.policy_net.load_state_dict(state["policy_net"])
        self.target_net.load_state_dict(state["target_net"])
        self.steps_done, self.learn_steps = int(state["steps_done"]), int(state["learn_steps"])
        return self
