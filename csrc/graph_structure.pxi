# Graph structure (included by graph.pyx): edge lists to CSR, the transpose, self loops, the GCN
# normalisation and its gradient, and the register of frozen CSR structures.
#
# A structure is checked once, when it is frozen: its arrays become read-only and the kernels
# afterwards recognise the same array objects in O(1) instead of re-checking every index on every
# call. Only arrays that own their memory are registered (a read-only view could still change
# through a writeable base); an array whose writeable flag was switched back on is checked in full.

import weakref

# id(indptr) -> (ref(indptr), ref(indices), num_cols, ref(perm) or None)
cdef dict _frozen = {}


def _forget(key):
    return lambda _ref: _frozen.pop(key, None)


cdef object _owned_readonly(object a):
    """a itself (set read-only) when it owns its memory, else a read-only copy."""
    if a.base is not None or not a.flags.c_contiguous:
        a = np.array(a, order="C")
    a.flags.writeable = False
    return a


cdef _register(object indptr, object indices, Py_ssize_t num_cols, object perm):
    key = id(indptr)
    _frozen[key] = (weakref.ref(indptr, _forget(key)), weakref.ref(indices), num_cols,
                    None if perm is None else weakref.ref(perm))


cdef bint _is_frozen(object indptr, object indices, Py_ssize_t num_cols, object perm=None):
    """Whether (indptr, indices[, perm]) were frozen together, for columns below num_cols, and are still read-only."""
    rec = _frozen.get(id(indptr))
    if rec is None or rec[0]() is not indptr or rec[1]() is not indices or rec[2] > num_cols:
        return False
    if perm is not None and (rec[3] is None or rec[3]() is not perm or cnp.PyArray_ISWRITEABLE(<cnp.ndarray>perm)):
        return False
    return not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>indptr) and not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>indices)


def freeze_csr(indptr, indices, num_cols, perm=None):
    """Check a CSR structure once and make it read-only, so later kernel calls need not re-check it.

    Parameters
    ----------
    indptr : int64 (R + 1,) non-decreasing from 0 to len(indices). indices : int64 (nnz,) in [0, num_cols).
    num_cols : int. perm : None or int64 (nnz,) in [0, nnz) (a transpose's map to the original entries).

    Returns
    -------
    (indptr, indices, perm): the same arrays, or copies where they did not own their memory, read-only.
    """
    cdef Py_ssize_t c = _nodes(num_cols, "num_cols")
    _check_csr(indptr, indices, c)
    if perm is not None:
        _index_vector(perm, "perm", indices.shape[0])
        if perm.shape[0] != indices.shape[0]:
            raise ValueError(f"perm must have shape ({indices.shape[0]},), got {perm.shape}")
        perm = _owned_readonly(perm)
    indptr, indices = _owned_readonly(indptr), _owned_readonly(indices)
    _register(indptr, indices, c, perm)
    return indptr, indices, perm


cdef void _counting_sort(const idx_t[::1] key, const idx_t[::1] other, idx_t[::1] indptr, idx_t[::1] out_other,
                         idx_t[::1] perm) noexcept nogil:
    """Stable counting sort of entries by key: indptr (offsets per key), the entries' `other`
    values and original positions in key order."""
    cdef Py_ssize_t e, n = indptr.shape[0] - 1, E = key.shape[0]
    cdef idx_t k, pos
    for k in range(n + 1):
        indptr[k] = 0
    for e in range(E):
        indptr[key[e] + 1] += 1
    for k in range(n):
        indptr[k + 1] += indptr[k]
    # indptr[k] serves as key k's cursor while filling, then is shifted back to a start offset
    for e in range(E):
        pos = indptr[key[e]]
        indptr[key[e]] = pos + 1
        out_other[pos] = other[e]
        perm[pos] = e
    # the cursors now hold each key's end offset: shift back to start offsets
    for k in range(n, 0, -1):
        indptr[k] = indptr[k - 1]
    indptr[0] = 0


def edges_to_csr(src, dst, num_nodes):
    """Group an edge list by target.

    Parameters
    ----------
    src, dst : int64 (E,) C-contiguous, values in [0, num_nodes): edge e runs src[e] -> dst[e].
    num_nodes : int, the number of nodes.

    Returns
    -------
    indptr : int64 (num_nodes + 1,), row i (target i) spans indices[indptr[i]:indptr[i+1]].
    indices : int64 (E,), the source of each entry.
    perm : int64 (E,), the input position of each entry; entries of one row keep input order.
    All three are read-only; (indptr, indices) is frozen (see freeze_csr).
    """
    cdef Py_ssize_t n = _nodes(num_nodes)
    _edge_list(src, dst, n)
    indptr = np.empty(n + 1, np.int64)
    indices = np.empty(src.shape[0], np.int64)
    perm = np.empty(src.shape[0], np.int64)
    cdef const idx_t[::1] d = dst, s = src
    cdef idx_t[::1] ip = indptr, ix = indices, pm = perm
    with nogil:
        _counting_sort(d, s, ip, ix, pm)
    for a in (indptr, indices, perm):
        a.flags.writeable = False
    _register(indptr, indices, n, None)  # valid by construction: every index came from the checked lists
    return indptr, indices, perm


def csr_transpose(indptr, indices, num_cols):
    """CSR of the transposed matrix (rows become columns).

    Parameters
    ----------
    indptr : int64 (R + 1,), indices : int64 (nnz,) in [0, num_cols).
    num_cols : int, the number of columns (rows of the result).

    Returns
    -------
    (t_indptr (num_cols + 1,), t_indices (nnz,), t_perm (nnz,)): t_indices holds the original row of
    each entry, t_perm its position in the original indices/values; entries of one row stay in row order.
    All read-only and frozen together (see freeze_csr).
    """
    cdef Py_ssize_t c = _nodes(num_cols, "num_cols")
    cdef Py_ssize_t R = _check_csr(indptr, indices, c)
    rows = np.repeat(np.arange(R, dtype=np.int64), np.diff(indptr))
    t_indptr = np.empty(c + 1, np.int64)
    t_indices = np.empty(indices.shape[0], np.int64)
    t_perm = np.empty(indices.shape[0], np.int64)
    cdef const idx_t[::1] key = indices, other = rows
    cdef idx_t[::1] ip = t_indptr, ix = t_indices, pm = t_perm
    with nogil:
        _counting_sort(key, other, ip, ix, pm)
    for a in (t_indptr, t_indices, t_perm):
        a.flags.writeable = False
    _register(t_indptr, t_indices, R, t_perm)
    return t_indptr, t_indices, t_perm


def remaining_self_loops(src, dst, num_nodes):
    """The edge list with exactly one self loop per node, and where each edge's value comes from.

    Existing self loops are removed and one loop per node is appended in node order (PyTorch
    Geometric's add_remaining_self_loops). origin[k] is the input edge whose value new edge k
    carries: the edge itself, for a kept edge; for node i's loop, the last of i's input self loops
    in edge order, or -1 when i had none (its value is the fill value).

    Parameters
    ----------
    src, dst : int64 (E,) in [0, num_nodes).

    Returns
    -------
    (src, dst, origin), int64 (E - loops + num_nodes,) each.
    """
    cdef Py_ssize_t n = _nodes(num_nodes)
    _edge_list(src, dst, n)
    keep = np.flatnonzero(src != dst)
    last = np.full(n, -1, np.int64)
    cdef const idx_t[::1] s = src, d = dst
    cdef idx_t[::1] lst = last
    cdef Py_ssize_t e
    with nogil:
        for e in range(s.shape[0]):  # in edge order: a node's last self loop wins
            if s[e] == d[e]:
                lst[s[e]] = e
    nodes = np.arange(n, dtype=np.int64)
    return np.concatenate([src[keep], nodes]), np.concatenate([dst[keep], nodes]), np.concatenate([keep, last])


def add_remaining_self_loops(src, dst, num_nodes, weight=None, fill_value=1.0):
    """Give every node exactly one self loop (PyTorch Geometric's add_remaining_self_loops).

    Existing self loops are removed and re-added at the end, one per node in node order,
    keeping the weight of an existing loop (the last one in edge order, if a node has several)
    and `fill_value` for nodes that had none (see remaining_self_loops).

    Parameters
    ----------
    src, dst : int64 (E,) in [0, num_nodes). weight : None or float (E,). fill_value : float.

    Returns
    -------
    (src, dst, weight) of the new edge list (weight None when None was given).
    """
    new_src, new_dst, origin = remaining_self_loops(src, dst, num_nodes)
    if weight is None:
        return new_src, new_dst, None
    check_float(weight, "weight", 1)
    if weight.shape[0] != src.shape[0]:
        raise ValueError(f"weight must have shape ({src.shape[0]},), got {weight.shape}")
    extended = np.concatenate([weight, np.full(1, fill_value, weight.dtype)])  # origin -1 reads the fill
    return new_src, new_dst, extended[origin]


def gcn_norm_csr(indptr, indices, values):
    """Symmetric GCN normalisation of a graph stored by target: v[e] / sqrt(deg(i) deg(j)).

    deg(i) is the weighted in-degree of node i (the sum of its row). Nodes of degree 0
    contribute 0, as in PyTorch Geometric.

    Parameters
    ----------
    indptr : int64 (N + 1,), indices : int64 (E,) sources in [0, N), values : float (E,).

    Returns
    -------
    (normalised values (E,), deg (N,)).
    """
    cdef Py_ssize_t N = indptr.shape[0] - 1 if isinstance(indptr, np.ndarray) else 0
    N = _check_csr(indptr, indices, N)
    check_float(values, "values", 1)
    if values.shape[0] != indices.shape[0]:
        raise ValueError(f"values must have shape ({indices.shape[0]},), got {values.shape}")
    out = np.empty_like(values)
    deg = np.empty(N, values.dtype)
    if N:
        _gcn_norm(indptr, indices, values, out, deg)
    return out, deg


def _gcn_norm(const idx_t[::1] indptr, const idx_t[::1] indices, const floating[::1] values, floating[::1] out,
              floating[::1] deg):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t i, e, N = indptr.shape[0] - 1
    cdef floating acc
    cdef int nt = threads_for(values.shape[0], MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for i in prange(N, num_threads=nt, schedule="static"):
            acc = 0
            for e in range(indptr[i], indptr[i + 1]):
                acc = acc + values[e]
            deg[i] = acc
        fastnn_team_end(&_team)
        fastnn_team_begin(&_team, nt)
        for i in prange(N, num_threads=nt, schedule="static"):
            for e in range(indptr[i], indptr[i + 1]):
                out[e] = _inv_sqrt(deg[indices[e]]) * values[e] * _inv_sqrt(deg[i])
        fastnn_team_end(&_team)


def gcn_norm_csr_backward(indptr, indices, values, deg, grad):
    """Gradient of gcn_norm_csr's normalised values with respect to `values`.

    With a = deg^-1/2 (0 where deg = 0) and out[e] = a[j] v[e] a[i] for the edge e = j -> i:
    grad_v[e] = grad[e] a[j] a[i] + D[i], where D[k] = -a[k]^3 / 2 times the sum, over the edges
    that touch k as source or as target, of grad[e'] v[e'] times the other end's a.

    Parameters
    ----------
    indptr, indices, values : as given to gcn_norm_csr. deg : float (N,), its second output.
    grad : float (E,), the gradient of the normalised values.

    Returns
    -------
    grad_values : (E,).
    """
    cdef Py_ssize_t N = indptr.shape[0] - 1 if isinstance(indptr, np.ndarray) else 0
    N = _check_csr(indptr, indices, N)
    check_float(values, "values", 1)
    check_like(grad, "grad", values, "values")
    check_same_dtype(deg, "deg", values, "values", 1)
    if values.shape[0] != indices.shape[0]:
        raise ValueError(f"values must have shape ({indices.shape[0]},), got {values.shape}")
    if deg.shape[0] != N:
        raise ValueError(f"deg must have shape ({N},), got {deg.shape}")
    out = np.empty_like(values)
    if N:
        _gcn_norm_backward(indptr, indices, values, deg, grad, out, np.zeros(N, values.dtype))
    return out


def _gcn_norm_backward(const idx_t[::1] indptr, const idx_t[::1] indices, const floating[::1] values,
                       const floating[::1] deg, const floating[::1] grad, floating[::1] out, floating[::1] dd):
    cdef Py_ssize_t i, e, j, N = indptr.shape[0] - 1
    cdef floating ai
    with nogil:
        # dd[k] accumulates dL/da[k]; the source side scatters, so this pass is serial (O(E))
        for i in range(N):
            ai = _inv_sqrt(deg[i])
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                dd[j] += grad[e] * values[e] * ai
                dd[i] += grad[e] * values[e] * _inv_sqrt(deg[j])
        for i in range(N):
            ai = _inv_sqrt(deg[i])
            dd[i] = -0.5 * ai * ai * ai * dd[i]
        for i in range(N):
            ai = _inv_sqrt(deg[i])
            for e in range(indptr[i], indptr[i + 1]):
                out[e] = grad[e] * _inv_sqrt(deg[indices[e]]) * ai + dd[i]


cdef inline floating _inv_sqrt(floating d) noexcept nogil:
    # deg^-1/2 with 0 for isolated nodes (1/sqrt(0) = inf would turn their zero messages into NaN)
    if d == 0:
        return 0
    if floating is float:
        return 1 / sqrtf(d)
    else:
        return 1 / sqrt(d)
