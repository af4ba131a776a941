"""The bench's turn-taking: samples alternate between the timed functions, and with more than one each
sample starts a settle pause after the previous one ended (an OpenMP runtime's idle spin must not
fall on the other side's sample)."""
import time

from fastnn.bench.timing import sample_times


class _Recorder:
    """A timer that records when each of its samples started and ended, on a shared log."""

    def __init__(self, name, log):
        self.name, self.log = name, log

    def loops_for(self, warmup, min_time):
        return 1

    def sample(self, loops):
        start = time.perf_counter()
        time.sleep(0.001)
        self.log.append((self.name, start, time.perf_counter()))
        return 0.001


def test_samples_alternate_with_a_settle_pause_between_them():
    log = []
    samples = sample_times([_Recorder("a", log), _Recorder("b", log)], repeat=3, settle=0.02)
    assert [len(s) for s in samples] == [3, 3]
    assert [name for name, _, _ in log] == ["a", "b"] * 3
    gaps = [log[i + 1][1] - log[i][2] for i in range(len(log) - 1)]
    assert min(gaps) >= 0.02


def test_one_function_is_timed_without_pauses():
    log = []
    sample_times([_Recorder("a", log)], repeat=4, settle=0.5)
    assert log[-1][2] - log[0][1] < 0.4
