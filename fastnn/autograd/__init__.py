"""Reverse-mode automatic differentiation over NumPy arrays."""
from .tensor import Tensor
from .function import Function
from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .gradcheck import gradcheck, GradcheckError
from . import ops

__all__ = ["Tensor", "Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "gradcheck", "GradcheckError", "ops"]
