"""REINFORCE in the style of PyTorch's reinforcement_learning example, on a corridor written here."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


class Corridor:
    """Walk from cell 0 to cell 5 (reward 1 at the goal, -0.05 per step), at most 20 steps."""

    def reset(self):
        self.pos, self.t = 0, 0
        return self._obs()

    def _obs(self):
        obs = np.zeros(6, np.float32)
        obs[self.pos] = 1
        return obs

    def step(self, action):
        self.t += 1
        self.pos = min(5, self.pos + 1) if action == 1 else max(0, self.pos - 1)
        done = self.pos == 5 or self.t >= 20
        return self._obs(), (1.0 if self.pos == 5 else -0.05), done


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(6, 16)
        self.affine2 = nn.Linear(16, 2)
        self.saved_log_probs, self.rewards = [], []

    def forward(self, x):
        return F.softmax(self.affine2(F.relu(self.affine1(x))), dim=1)


def main():
    torch.manual_seed(543)
    env, policy = Corridor(), Policy()
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    eps = np.finfo(np.float32).eps.item()
    lengths = []
    for episode in range(60):
        state, done = env.reset(), False
        while not done:
            probs = policy(torch.from_numpy(state).float().unsqueeze(0))
            m = Categorical(probs)
            action = m.sample()
            policy.saved_log_probs.append(m.log_prob(action))
            state, reward, done = env.step(action.item())
            policy.rewards.append(reward)
        lengths.append(env.t)
        R, returns = 0, []
        for r in policy.rewards[::-1]:
            R = r + 0.99 * R
            returns.insert(0, R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        loss = torch.cat([-lp * R for lp, R in zip(policy.saved_log_probs, returns)]).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        del policy.rewards[:], policy.saved_log_probs[:]
    print(f"RESULT steps_ratio {np.mean(lengths[-10:]) / np.mean(lengths[:10]):.4f}")


if __name__ == "__main__":
    main()
