"""Built-in environments: Gymnasium's API, dynamics checked by hand, and agreement with Gymnasium when installed."""
import numpy as np
import pytest

from fastnn.rl import FrozenLake, CliffWalking, CartPole, make


def test_reset_returns_observation_and_info():
    for env in (FrozenLake(), CliffWalking(), CartPole()):
        obs, info = env.reset(seed=0)
        assert isinstance(info, dict)
        assert env.observation_space.contains(obs)


def test_cliffwalking_shortest_path_returns_minus_13():
    env = CliffWalking()
    obs, _ = env.reset(seed=0)
    assert obs == 36
    total, plan = 0.0, [0] + [1] * 11 + [2]  # up, right x 11, down
    for i, a in enumerate(plan):
        obs, reward, terminated, truncated, _ = env.step(a)
        total += reward
        assert terminated == (i == len(plan) - 1) and not truncated
    assert obs == 47 and total == -13


def test_cliffwalking_cliff_costs_100_and_returns_to_start():
    env = CliffWalking()
    env.reset(seed=0)
    obs, reward, terminated, _, _ = env.step(1)  # right, straight into the cliff
    assert (obs, reward, terminated) == (36, -100.0, False)


def test_frozenlake_deterministic_walk_and_hole():
    env = FrozenLake(is_slippery=False)
    env.reset(seed=0)
    # down, down, right, right, down, right reaches G (state 15)
    for a in (1, 1, 2, 2, 1):
        obs, reward, terminated, _, _ = env.step(a)
        assert reward == 0 and not terminated
    obs, reward, terminated, _, _ = env.step(2)
    assert (obs, reward, terminated) == (15, 1.0, True)
    env.reset()
    obs, reward, terminated, _, _ = env.step(2)  # right to 1, then down into the hole at 5
    obs, reward, terminated, _, _ = env.step(1)
    assert (obs, reward, terminated) == (5, 0.0, True)


def test_frozenlake_slips_to_each_side_a_third_of_the_time():
    env = FrozenLake(is_slippery=True)
    env.reset(seed=3)
    counts = {}
    for _ in range(3000):
        env.reset()
        env.s = 6  # a frozen tile with free neighbours on every side
        obs, *_ = env.step(1)  # down: lands on 10 (down), 5 (left hole) or 7 (right hole)
        counts[obs] = counts.get(obs, 0) + 1
    assert set(counts) == {10, 5, 7}
    assert all(abs(c / 3000 - 1 / 3) < 0.04 for c in counts.values())


def test_frozenlake_truncates_after_100_steps():
    env = FrozenLake(is_slippery=False)
    env.reset(seed=0)
    for i in range(100):
        _, _, terminated, truncated, _ = env.step(3)  # up against the wall forever
        assert not terminated and truncated == (i == 99)


def test_cartpole_is_seeded_and_ends_when_the_pole_falls():
    a, b = CartPole(), CartPole()
    np.testing.assert_array_equal(a.reset(seed=5)[0], b.reset(seed=5)[0])
    steps, terminated = 0, False
    while not terminated:
        obs, reward, terminated, truncated, _ = a.step(1)  # always push right: falls within ~10 steps
        steps += 1
        assert reward == 1.0 and obs.dtype == np.float32 and obs.shape == (4,)
    assert steps < 30 and (abs(obs[0]) > 2.4 or abs(obs[2]) > 12 * np.pi / 180)


def test_bad_action_names_the_argument():
    env = CliffWalking()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(4)
    with pytest.raises(ValueError, match="action"):
        env.step(-1)


def test_make_builtin_and_unknown():
    assert isinstance(make("CliffWalking-v1", prefer_gymnasium=False), CliffWalking)
    with pytest.raises(ValueError, match="no built-in environment"):
        make("Pong-v5", prefer_gymnasium=False)


def test_cartpole_matches_gymnasium_dynamics():
    gym = pytest.importorskip("gymnasium")
    ours, theirs = CartPole(), gym.make("CartPole-v1").unwrapped
    ours.reset(seed=0)
    theirs.reset(seed=0)
    theirs.state = ours.state.copy()
    for a in [0, 1, 1, 0, 1, 1, 1, 0]:
        o1, r1, t1, _, _ = ours.step(a)
        o2, r2, t2, _, _ = theirs.step(a)
        np.testing.assert_allclose(o1, o2, rtol=1e-5, atol=1e-6)
        assert (r1, t1) == (r2, t2)


def test_grid_worlds_match_gymnasium_transitions():
    gym = pytest.importorskip("gymnasium")
    for name, ours in (("CliffWalking-v1", CliffWalking()), ("FrozenLake-v1", FrozenLake(is_slippery=False))):
        kwargs = {"is_slippery": False} if name.startswith("Frozen") else {}
        theirs = gym.make(name, **kwargs)
        assert theirs.observation_space.n == ours.observation_space.n
        rng = np.random.default_rng(0)
        for _ in range(5):
            assert theirs.reset(seed=0)[0] == ours.reset(seed=0)[0]
            done = False
            while not done:
                a = int(rng.integers(4))
                o1, r1, t1, tr1, _ = ours.step(a)
                o2, r2, t2, tr2, _ = theirs.step(a)
                assert (o1, r1, t1) == (int(o2), float(r2), bool(t2))
                done = t1 or tr1 or tr2
