"""torch.nn.modules.container's import path: containers (defined in fastnn.nn)."""
from ..container import (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, Container)

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Container"]
