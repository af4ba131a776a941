"""fastnn.rl: tabular Q-learning and SARSA, DQN with replay and a target network, small grid worlds.

The agents work with any environment that follows Gymnasium's API (`pip install "fastnn[rl]"`);
`fastnn.rl.envs` ships FrozenLake-, CliffWalking- and CartPole-like environments so they run without it.
"""
from .tabular import QLearning, SARSA
from .replay import ReplayBuffer
from .dqn import DQN, epsilon_by_step
from .envs import FrozenLake, CliffWalking, CartPole, make
