"""Reference fully connected layer: y = x W^T + b."""


def linear_forward(x, weight, bias=None):
    out = x @ weight.T
    return out + bias if bias is not None else out


def linear_backward(x, weight, grad_out, need_input=True, need_weight=True, need_bias=True):
    return (grad_out @ weight if need_input else None,
            grad_out.T @ x if need_weight else None,
            grad_out.sum(axis=0) if need_bias else None)
