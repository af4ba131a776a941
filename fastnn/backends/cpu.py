"""torch.backends.cpu: which vector instruction set the kernels use."""


def get_cpu_capability():
    """'AVX512', 'AVX2' or 'DEFAULT' as PyTorch names them: the vector build fastnn's kernels picked at run time."""
    from .. import _runtime
    build = str(_runtime.vector_build()).lower()
    return "AVX512" if "512" in build else "AVX2" if "avx2" in build else "DEFAULT"
