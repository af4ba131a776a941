# Neighbour sampling (included by graph.pyx): for each node, a uniform sample without replacement of
# its incoming edges, as a mini-batch loader (PyG's NeighborLoader) draws them hop by hop.
#
# Each node of the request draws from its own SplitMix64 stream, seeded by (random_seed, its position
# in the request), so the result does not depend on the number of threads, and the NumPy twin can
# repeat it exactly. The sample is a reservoir (Algorithm R): the first k edges fill it, edge t then
# replaces slot r = u mod (t + 1) when r < k.

from libc.stdint cimport uint64_t


cdef inline uint64_t _splitmix64(uint64_t *state) noexcept nogil:
    state[0] += <uint64_t>0x9E3779B97F4A7C15ULL
    cdef uint64_t z = state[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)


def sample_neighbors(indptr, indices, nodes, num_neighbors, random_seed):
    """Sample up to num_neighbors incoming edges of each node, uniformly without replacement.

    Parameters
    ----------
    indptr : int64 (N + 1,), indices : int64 (E,) in [0, N): a graph stored by target (row i: edges j -> i).
    nodes : int64 (S,) in [0, N), the targets to sample for (repeats allowed).
    num_neighbors : int, the sample size per node; -1 takes every edge.
    random_seed : int in [0, 2**64), the seed of every node's stream.

    Returns
    -------
    (sources int64 (T,), positions int64 (T,), counts int64 (S,)): node s's sample is the slice
    counts[:s].sum() : counts[:s + 1].sum(); positions are CSR entries (indices[positions] == sources).
    """
    if isinstance(num_neighbors, bool) or not isinstance(num_neighbors, (int, np.integer)) or num_neighbors < -1:
        raise ValueError(f"num_neighbors must be -1 or a non-negative int, got {num_neighbors!r}")
    if isinstance(random_seed, bool) or not isinstance(random_seed, (int, np.integer)) or \
            not 0 <= random_seed < 2 ** 64:
        raise ValueError(f"random_seed must be an int in [0, 2**64), got {random_seed!r}")
    cdef Py_ssize_t N = indptr.shape[0] - 1 if isinstance(indptr, np.ndarray) and indptr.ndim == 1 else 0
    N = _check_csr(indptr, indices, N)
    _index_vector(nodes, "nodes", N)
    degree = np.diff(indptr)[nodes]
    counts = degree if num_neighbors < 0 else np.minimum(degree, num_neighbors)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    total = int(offsets[offsets.shape[0] - 1])
    positions = np.empty(total, np.int64)
    sources = np.empty(total, np.int64)
    if positions.shape[0]:
        _sample(indptr, indices, nodes, offsets, positions, sources, <uint64_t>random_seed)
    return sources, positions, counts.astype(np.int64)


def _sample(const idx_t[::1] indptr, const idx_t[::1] indices, const idx_t[::1] nodes, const idx_t[::1] offsets,
            idx_t[::1] positions, idx_t[::1] sources, uint64_t seed):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t s, t, S = nodes.shape[0]
    cdef idx_t start, deg, k, out
    cdef uint64_t state, r
    cdef int nt = threads_for(positions.shape[0] * 8, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for s in prange(S, num_threads=nt, schedule="guided"):
            start = indptr[nodes[s]]
            deg = indptr[nodes[s] + 1] - start
            out = offsets[s]
            k = offsets[s + 1] - out
            for t in range(k):
                positions[out + t] = start + t
            if k < deg:
                state = seed ^ (<uint64_t>s * <uint64_t>0xD1B54A32D192ED03ULL)
                for t in range(k, deg):
                    r = _splitmix64(&state) % <uint64_t>(t + 1)
                    if r < <uint64_t>k:
                        positions[out + r] = start + t
            for t in range(k):
                sources[out + t] = indices[positions[out + t]]
        fastnn_team_end(&_team)
