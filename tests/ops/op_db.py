"""The op table: every row of every family file."""
from .op_db_elementwise import ROWS as _ELEMENTWISE
from .op_db_reduce import ROWS as _REDUCE
from .op_db_misc import ROWS as _MISC
from .op_db_extra import ROWS as _EXTRA
from .op_db_linalg import ROWS as _LINALG
from .op_db_nn_ops import ROWS as _NN_OPS
from .op_db_tensor_api import ROWS as _TENSOR_API
from .op_db_random import ROWS as _RANDOM
from .op_db_state import ROWS as _STATE
from .op_db_factories import ROWS as _FACTORIES

ROWS = (_ELEMENTWISE + _REDUCE + _MISC + _EXTRA + _LINALG + _NN_OPS + _TENSOR_API + _RANDOM + _STATE
        + _FACTORIES)
