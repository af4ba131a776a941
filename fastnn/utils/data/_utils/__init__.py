"""Internals of the data loader (torch.utils.data._utils's layout): collate, fetch, worker."""
# How often (seconds) waiting workers and the waiting main process check that the other side lives.
MP_STATUS_CHECK_INTERVAL = 1.0

from . import collate, fetch, worker  # noqa: E402,F401
