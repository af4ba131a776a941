"""Benchmark harness: the kernel registry and whole training steps, timed against the NumPy reference and PyTorch.

`timing` runs `fastnn bench`; `steps` holds the training steps; bench/ (pytest-benchmark) iterates the same lists.
"""
