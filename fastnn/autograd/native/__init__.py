"""Autograd Functions over the kernels: one module per kernel family (see kernels.backend.FAMILIES).

Every Function that calls a kernel lives here and nowhere else; each reaches
its family's kernels through `fastnn.kernels.backend.family(name)`, so
`fastnn.set_backend("reference")` runs whole models on the NumPy twins.
"""
