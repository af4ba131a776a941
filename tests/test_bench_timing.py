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


def test_rounds_pool_every_sample_and_keep_each_rounds_ratio():
    from fastnn.bench.timing import _merged
    # fastnn 1, 2, 3 ms against PyTorch 2, 2, 6 ms in round one; 4 ms against 4 ms in round two
    first = {"case": "c", "family": "layer", "flops": 8e6,
             "samples": {"fastnn_ms": [1e-3, 2e-3, 3e-3], "torch_ms": [2e-3, 2e-3, 6e-3]}}
    second = {"case": "c", "family": "layer", "flops": 8e6,
              "samples": {"fastnn_ms": [4e-3], "torch_ms": [4e-3]}}
    row = _merged([first, second], rounds=2)
    assert row["fastnn_ms"] == 2.5 and row["torch_ms"] == 3.0          # medians of the four samples each
    assert row["speedup_vs_torch"] == 1.5                             # median of the ratios 2, 1, 2, 1
    assert row["speedup_vs_torch_rounds"] == [2.0, 1.0]
    assert row["gflops"] == 8e6 / 2.5e-3 / 1e9 and row["rounds"] == 2
    assert "samples" not in row and "flops" not in row


def test_one_round_keeps_the_per_pair_median_ratio_and_no_spread():
    from fastnn.bench.timing import _merged, format_markdown
    only = {"case": "c", "family": "model", "flops": None,
            "samples": {"fastnn_ms": [1e-3, 3e-3, 2e-3], "torch_ms": [4e-3, 3e-3, 3e-3]}}
    row = _merged([only], rounds=1)
    assert row["speedup_vs_torch"] == 1.5 and "speedup_vs_torch_rounds" not in row and "gflops" not in row
    assert "rounds over all the cases" not in format_markdown([row])
    spread = dict(row, rounds=3, speedup_vs_torch_rounds=[1.25, 1.5, 0.75])
    table = format_markdown([spread])
    assert "3 rounds over all the cases" in table and "| 1.50 (0.75-1.50) |" in table
