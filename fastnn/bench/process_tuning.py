"""What fastnn's process-wide settings buy: training steps with all, none, each alone and all but each.

    python -m fastnn.bench.process_tuning [--rounds 3] [--repeat 7]

Each configuration runs in a fresh process (the settings act when libraries load). The
settings are reproduced by hand under FASTNN_NO_PROCESS_TUNING=1: glibc reads
MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ at start-up as mallopt would set them, and
libgomp and OpenBLAS read their variables when they load, as they do when fastnn sets them.
Rounds take turns over the configurations so that a shared machine's load falls on all alike;
the table gives the median over rounds of each process's median step time (and of a softmax
pass over 16 MiB arrays, where fresh large temporaries are the cost), and the CPU time
the process burned during a 0.2 s sleep right after its last step (idle threads spinning).
Where PyTorch is installed, each process also times nn.LSTM forward+backward in PyTorch after
`import fastnn` (the two share libgomp, so fastnn's idle policy is PyTorch's too); the
configuration "OMP_WAIT_POLICY=PASSIVE instead" is the policy fastnn used before the short spin.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

from ..config import _MALLOC_MMAP_THRESHOLD, _MALLOC_TRIM_THRESHOLD

_OFF = {"FASTNN_NO_PROCESS_TUNING": "1"}
SETTINGS = {
    "malloc thresholds": dict(MALLOC_MMAP_THRESHOLD_=str(_MALLOC_MMAP_THRESHOLD),
                              MALLOC_TRIM_THRESHOLD_=str(_MALLOC_TRIM_THRESHOLD)),
    "GOMP_SPINCOUNT=1000": dict(GOMP_SPINCOUNT="1000"),
    "OPENBLAS_THREAD_TIMEOUT=18": dict(OPENBLAS_THREAD_TIMEOUT="18"),
}
CONFIGS = {"all (default)": {}, "none": dict(_OFF)}
for _name, _env in SETTINGS.items():
    CONFIGS[f"{_name} only"] = dict(_OFF, **_env)
for _name in SETTINGS:   # what each one adds to the other two
    CONFIGS[f"all but {_name}"] = dict(_OFF, **{k: v for other, env in SETTINGS.items() if other != _name
                                                 for k, v in env.items()})
CONFIGS["OMP_WAIT_POLICY=PASSIVE instead"] = dict(_OFF, **{k: v for name, env in SETTINGS.items()
                                                            if not name.startswith("GOMP") for k, v in env.items()},
                                                  OMP_WAIT_POLICY="PASSIVE")
_CLEARED = ("FASTNN_NO_PROCESS_TUNING", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "OMP_WAIT_POLICY",
            "GOMP_SPINCOUNT", "OPENBLAS_THREAD_TIMEOUT")

_CHILD = """
import json, sys, time
import numpy as np
import fastnn
from fastnn import kernels as K
from fastnn.bench.steps import lenet_step, charlm_step
from fastnn.bench.timing import median_time
repeat = int(sys.argv[1])
out = {}
x = np.random.default_rng(0).standard_normal((16384, 256)).astype(np.float32)   # 16 MiB in and out
out["softmax"] = median_time(lambda: K.softmax_backward(K.softmax_forward(x), x), repeat=repeat)
for name, make in (("lenet", lenet_step), ("lstm", lambda use_torch: charlm_step(use_torch, "lstm"))):
    step, _ = make(False)
    out[name] = median_time(step, repeat=repeat, warmup=2, min_time=0.0)
start = time.process_time()
time.sleep(0.2)
out["idle_cpu"] = time.process_time() - start
try:
    import torch
except ImportError:
    pass
else:   # a neighbour on the same libgomp
    torch.set_num_threads(fastnn.get_num_threads())
    lstm, xs = torch.nn.LSTM(128, 256), torch.randn(50, 32, 128)
    out["torch_lstm"] = median_time(lambda: lstm(xs)[0].sum().backward(), repeat=repeat, warmup=2, min_time=0.0)
print(json.dumps(out))
"""


def run_config(extra_env, repeat):
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(extra_env)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(repeat)], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(rounds=3, repeat=7):
    """{configuration: {"lenet": s, "lstm": s, "idle_cpu": s}}, medians over rounds."""
    samples = {name: [] for name in CONFIGS}
    for _ in range(rounds):
        for name, extra in CONFIGS.items():
            samples[name].append(run_config(extra, repeat))
    return {name: {key: float(np.median([s[key] for s in runs])) for key in runs[0]} for name, runs in samples.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    from ..config import cpu_model
    print(f"{cpu_model()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    results = measure(args.rounds, args.repeat)
    neighbour = all("torch_lstm" in r for r in results.values())
    print("| settings | LeNet step, batch 64 (ms) | CharLM LSTM-256 step (ms) | softmax fwd+bwd (16384, 256) (ms) "
          "| CPU during a 0.2 s sleep after (ms) |" + (" PyTorch nn.LSTM medium fwd+bwd beside (ms) |" if neighbour else ""))
    print("|---|---|---|---|---|" + ("---|" if neighbour else ""))
    for name, r in results.items():
        print(f"| {name} | {r['lenet'] * 1e3:.1f} | {r['lstm'] * 1e3:.1f} | {r['softmax'] * 1e3:.2f} "
              f"| {r['idle_cpu'] * 1e3:.0f} |" + (f" {r['torch_lstm'] * 1e3:.1f} |" if neighbour else ""))


if __name__ == "__main__":
    main()
