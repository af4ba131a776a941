"""Global pooling: one vector per graph of a batch (sum, mean or max over its nodes), by segment kernels."""
from ..utils._scatter import scatter


def _pool(x, batch, size, reduce):
    if batch is None:
        dim = -2 if x.ndim > 1 else 0
        if reduce == "max":
            return x.max(dim=dim, keepdim=x.ndim > 1)[0]
        return getattr(x, reduce)(dim=dim, keepdim=x.ndim > 1)
    return scatter(x, batch, -2 if x.ndim > 1 else 0, size, reduce)


def global_add_pool(x, batch=None, size=None):
    """out[b] = sum of x over the nodes of graph b (batch[i] = graph of node i); batch None: one graph."""
    return _pool(x, batch, size, "sum")


def global_mean_pool(x, batch=None, size=None):
    """out[b] = mean of x over the nodes of graph b."""
    return _pool(x, batch, size, "mean")


def global_max_pool(x, batch=None, size=None):
    """out[b] = elementwise max of x over the nodes of graph b."""
    return _pool(x, batch, size, "max")
