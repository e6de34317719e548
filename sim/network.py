"""Social networks as sparse symmetric adjacency matrices, built without per-edge objects.

Families (``network.kind``):

* ``scale_free`` - an expected-degree random graph with power-law weights (Chung & Lu
  2002): degrees follow P(k) ~ k^-gamma with gamma = ``power_law_exponent``.
* ``small_world`` - a ring lattice with each edge rewired with probability
  ``rewire_prob`` (Watts & Strogatz 1998).
* ``sbm`` - a stochastic block model whose blocks are genders (Holland, Laskey &
  Leinhardt 1983): a share ``homophily`` of edge ends stays inside a gender.
* ``edge_list`` - a file of ``u v`` lines (0-based user ids, ``#`` comments).

``engine="numpy"`` builds any size with vectorised numpy (1,000,000 users at mean degree
20 in a few seconds); ``engine="networkx"`` uses the networkx generators (Barabási-Albert,
Watts-Strogatz, SBM) for small graphs, for users who want exactly those constructions.

Every numpy builder works on edge *keys*: an undirected edge {u, v} with u < v is the
int64 ``u * n + v``. Drawn edges are canonicalised, self-loops dropped, duplicates removed
by sorting the keys, and edges lost that way are redrawn until the edge count the model
asked for is met; the keys then become a symmetric CSR matrix in one coo -> csr pass.
Nothing is ever held as a Python object per node or per edge.

A graph depends only on its inputs and ``seed`` (numpy ``default_rng(seed)`` or, for
networkx, ``random.Random(seed)``), so the same inputs give the same graph in any process;
with ``cache_dir`` it is built once and then loaded from disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

__all__ = [
    "ENGINES",
    "KINDS",
    "NETWORKX_MAX_USERS",
    "NetworkError",
    "build_network",
    "degree",
    "describe_network",
    "network_cache_key",
    "prune_network_cache",
]

log = logging.getLogger(__name__)

KINDS = ("scale_free", "small_world", "sbm", "edge_list")
ENGINES = ("numpy", "networkx")
# networkx keeps a dict per node and per edge (~0.5-1 KB per edge); beyond this size a
# build takes minutes and gigabytes, while the numpy engine takes about a second.
NETWORKX_MAX_USERS = 200_000
# Bump when a builder changes, so graphs cached by older code are not reused.
_CACHE_VERSION = 2
# Names this module writes in a cache folder: entries, and temp files renamed into them.
# Pruning touches nothing else, so a folder shared with other files is safe.
_CACHE_ENTRY = re.compile(r"network-[0-9a-f]{64}\.npz")
_CACHE_TEMP = re.compile(r"\.network-[0-9a-f]{64}\..+\.tmp")
# A temp file older than this was left by a writer that died before its rename (a write
# takes seconds even for the largest graphs allowed).
_STALE_TEMP_SECONDS = 3600.0
# Redraw rounds for edges lost to self-loops and duplicates; a sparse graph needs 1-3.
_MAX_REDRAW_ROUNDS = 64

# (a, b) endpoint arrays of ``size`` drawn edges, for redrawing lost edges.
Drawer = Callable[[int], tuple[np.ndarray, np.ndarray]]


class NetworkError(ValueError):
    """A network parameter or edge-list file is not usable; the message names the key."""


# --- public API ----------------------------------------------------------------------------


def build_network(
    kind: str,
    n_users: int,
    mean_degree: float,
    gender: np.ndarray,
    seed: int,
    *,
    power_law_exponent: float = 2.5,
    rewire_prob: float = 0.1,
    homophily: float = 0.7,
    path: str | None = None,
    engine: str = "numpy",
    cache_dir: str | os.PathLike | None = None,
    cache_max_gb: float = 0.0,
) -> sp.csr_array:
    """Build (or load from the disk cache) the users' contact network.

    Args:
        kind: graph family, one of ``KINDS``: ``"scale_free"``, ``"small_world"``,
            ``"sbm"`` or ``"edge_list"``.
        n_users: number of users (nodes), >= 2. Node ``i`` is user ``i``.
        mean_degree: target mean number of contacts per user (undirected degree), in
            (0, n_users). Ignored by ``edge_list``. ``small_world`` uses
            ``round(mean_degree)`` (at least 1); networkx ``scale_free`` uses
            ``2 * round(mean_degree / 2)``.
        gender: integer array of shape (n_users,), 0 = woman, 1 = man, 2 = other. Only
            ``sbm`` uses it (its blocks are the distinct values); other kinds ignore it.
        seed: the network's own seed, a non-negative integer. The same inputs and seed
            give the identical graph in any process.
        power_law_exponent: ``scale_free`` degree exponent gamma in (2, 4], P(k) ~ k^-gamma.
        rewire_prob: ``small_world`` probability in [0, 1] that a lattice edge is rewired.
        homophily: ``sbm`` expected share in [0, 1] of edge ends inside the user's own
            gender block (see ``_sbm_probabilities`` for small blocks).
        path: ``edge_list`` file: whitespace-separated ``u v`` lines of 0-based integer
            ids below ``n_users``; ``#`` starts a comment; further columns are ignored;
            users absent from the file have no contacts.
        engine: ``"numpy"`` (vectorised, any size) or ``"networkx"`` (networkx generators,
            at most ``NETWORKX_MAX_USERS`` users). ``edge_list`` always reads with numpy.
        cache_dir: folder for built graphs, keyed by ``network_cache_key``; None disables
            the cache. A hit is loaded instead of built (and marked as just used); a
            write failure only logs a warning.
        cache_max_gb: bound on the cache folder's entries, GB (1e9 bytes); 0 = no bound.
            After a new entry is written, the least recently used entries are deleted
            until the rest fit (``prune_network_cache``); a graph larger than the bound
            is built but not cached.

    Returns:
        Adjacency matrix as ``scipy.sparse.csr_array`` of shape (n_users, n_users), int8
        data (all 1), symmetric, sorted indices, no self-loops and no duplicate entries;
        row ``i`` lists user ``i``'s contacts. Degrees are ``degree(adj)``.

    Raises:
        NetworkError: an argument is out of range or the edge-list file is unusable; the
            message names the key (``network.<name>``), the value and what is allowed.
    """
    family = {
        "power_law_exponent": power_law_exponent,
        "rewire_prob": rewire_prob,
        "homophily": homophily,
        "path": path,
        "engine": engine,
    }
    _check_args(kind, n_users, mean_degree, gender, seed, **family)
    n_users = int(n_users)
    cache_file = None
    if cache_dir is not None:
        key = network_cache_key(kind, n_users, mean_degree, gender, seed, **family)
        cache_file = Path(cache_dir) / f"network-{key}.npz"
        cached = _load_cached(cache_file, n_users)
        if cached is not None:
            log.debug("network: loaded %s (n=%d) from cache %s", kind, n_users, cache_file)
            return cached

    start = time.perf_counter()
    if kind == "edge_list":
        adj = _read_edge_list(str(path), n_users)
    elif engine == "networkx":
        adj = _build_networkx(
            kind, n_users, float(mean_degree), gender, int(seed), rewire_prob, homophily
        )
    else:
        rng = np.random.default_rng(int(seed))
        if kind == "scale_free":
            keys = _scale_free_keys(n_users, float(mean_degree), power_law_exponent, rng)
        elif kind == "small_world":
            keys = _small_world_keys(n_users, float(mean_degree), rewire_prob, rng)
        else:
            keys = _sbm_keys(n_users, float(mean_degree), gender, homophily, rng)
        adj = _csr_from_keys(keys, n_users)
    log.info(
        "network: built %s with %s in %.2f s: %s",
        kind,
        engine,
        time.perf_counter() - start,
        describe_network(adj),
    )
    if cache_file is not None:
        max_bytes = cache_max_gb * 1e9
        need = adj.data.nbytes + adj.indices.nbytes + adj.indptr.nbytes
        if 0 < max_bytes < need:
            log.warning(
                "network: not caching a %.2f GB graph: network_cache_max_gb=%g is smaller",
                need / 1e9,
                cache_max_gb,
            )
        elif _save_cached(cache_file, adj) and max_bytes > 0:
            prune_network_cache(cache_file.parent, cache_max_gb, keep=cache_file)
    return adj


def network_cache_key(
    kind: str,
    n_users: int,
    mean_degree: float,
    gender: np.ndarray,
    seed: int,
    *,
    power_law_exponent: float = 2.5,
    rewire_prob: float = 0.1,
    homophily: float = 0.7,
    path: str | None = None,
    engine: str = "numpy",
) -> str:
    """Disk-cache key: SHA-256 (hex) of every input that determines the graph.

    The key covers ``kind``, ``n_users`` and a code version, plus, for generated kinds,
    ``mean_degree``, ``seed``, ``engine`` and the family's own parameter (gamma for
    ``scale_free``, ``rewire_prob`` for ``small_world``, ``homophily`` and the SHA-256 of
    ``gender`` for ``sbm``), and for ``edge_list`` the file's resolved path, size and
    ``mtime_ns``. Inputs a family ignores are left out on purpose, so that, e.g., runs
    that differ only in ``homophily`` share one cached scale-free graph, and all seeds
    share one parsed edge list. Arguments are as for ``build_network``.

    Returns:
        64 hex characters.

    Raises:
        NetworkError: as ``build_network`` for invalid arguments or a missing file.
    """
    _check_args(
        kind,
        n_users,
        mean_degree,
        gender,
        seed,
        power_law_exponent=power_law_exponent,
        rewire_prob=rewire_prob,
        homophily=homophily,
        path=path,
        engine=engine,
    )
    parts: dict[str, object] = {"version": _CACHE_VERSION, "kind": kind, "n_users": int(n_users)}
    if kind == "edge_list":
        file = Path(str(path)).resolve()
        st = file.stat()
        parts |= {"path": str(file), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    else:
        parts |= {"mean_degree": float(mean_degree), "seed": int(seed), "engine": engine}
        if kind == "scale_free":
            parts["power_law_exponent"] = float(power_law_exponent)
        elif kind == "small_world":
            parts["rewire_prob"] = float(rewire_prob)
        else:
            parts["homophily"] = float(homophily)
            # Hash values, not the caller's dtype: int8 and int64 genders give one graph.
            labels = np.ascontiguousarray(gender, dtype=np.int64)
            parts["gender_sha256"] = hashlib.sha256(labels.tobytes()).hexdigest()
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def degree(adj: sp.sparray | sp.spmatrix) -> np.ndarray:
    """Number of contacts of each user.

    Args:
        adj: adjacency matrix (n, n) as returned by ``build_network`` (any sparse format;
            CSR is read without copying).

    Returns:
        int64 array of shape (n,).
    """
    if adj.format != "csr":
        adj = sp.csr_array(adj)
    return np.diff(adj.indptr).astype(np.int64)


def describe_network(adj: sp.sparray | sp.spmatrix) -> dict[str, int | float]:
    """Size and degree summary, for logs and benchmarks.

    Args:
        adj: symmetric adjacency matrix (n, n) without self-loops.

    Returns:
        ``n`` (users), ``edges`` (undirected), ``mean_degree`` and ``max_degree``
        (contacts per user) and ``isolated_share`` (share of users with no contact, 0-1).
    """
    d = degree(adj)
    n = int(adj.shape[0])
    return {
        "n": n,
        "edges": int(d.sum() // 2),
        "mean_degree": float(d.mean()) if n else 0.0,
        "max_degree": int(d.max()) if n else 0,
        "isolated_share": float(np.mean(d == 0)) if n else 0.0,
    }


# --- argument checks -----------------------------------------------------------------------


def _check_args(
    kind: str,
    n: int,
    k: float,
    gender: np.ndarray,
    seed: int,
    *,
    power_law_exponent: float,
    rewire_prob: float,
    homophily: float,
    path: str | None,
    engine: str,
) -> None:
    """Raise NetworkError naming the first unusable argument (same arguments as build_network)."""
    gamma, p, h = power_law_exponent, rewire_prob, homophily
    if kind not in KINDS:
        raise NetworkError(
            f"network.kind={kind!r} is not allowed: choose one of {', '.join(KINDS)}"
        )
    if engine not in ENGINES:
        raise NetworkError(
            f"network.engine={engine!r} is not allowed: choose one of {', '.join(ENGINES)}"
        )
    if not _is_int(n) or n < 2:
        raise NetworkError(f"population.n_users={n!r} is not allowed: must be an integer >= 2")
    if not _is_int(seed) or seed < 0:
        raise NetworkError(
            f"seed={seed!r} is not allowed: the network seed must be an integer >= 0"
        )
    if kind == "edge_list":
        if path is None or str(path) == "":
            raise NetworkError(
                f"network.path={path!r} is not allowed: network.kind=edge_list needs a file"
            )
        if not Path(path).exists():
            raise NetworkError(
                f"network.path={str(path)!r} does not exist: give a file of 'u v' lines"
            )
        if not Path(path).is_file():
            raise NetworkError(
                f"network.path={str(path)!r} is not a file: give a file of 'u v' lines"
            )
        return
    if not (isinstance(k, int | float | np.number) and 0 < k < n):
        raise NetworkError(
            f"network.mean_degree={k!r} is not allowed: must be > 0 and < population.n_users={n}"
        )
    if not 2 < gamma <= 4:
        raise NetworkError(
            f"network.power_law_exponent={gamma!r} is not allowed: must be in (2, 4]"
        )
    if not 0 <= p <= 1:
        raise NetworkError(f"network.rewire_prob={p!r} is not allowed: must be in [0, 1]")
    if not 0 <= h <= 1:
        raise NetworkError(f"network.homophily={h!r} is not allowed: must be in [0, 1]")
    if kind == "sbm":
        g = np.asarray(gender)
        if g.shape != (n,) or not np.issubdtype(g.dtype, np.integer) or g.min() < 0:
            raise NetworkError(
                f"gender (shape {g.shape}, dtype {g.dtype}) is not allowed for network.kind=sbm: "
                f"must be non-negative integers of shape ({n},), 0=woman 1=man 2=other"
            )
    if engine == "networkx" and n > NETWORKX_MAX_USERS:
        raise NetworkError(
            f"network.engine='networkx' is not allowed with population.n_users={n}: networkx "
            f"holds a Python object per node and edge, which takes minutes and gigabytes above "
            f"{NETWORKX_MAX_USERS:,} users; use network.engine=numpy"
        )


def _is_int(x: object) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


# --- disk cache ----------------------------------------------------------------------------


def _load_cached(file: Path, n: int) -> sp.csr_array | None:
    """The cached graph, or None when absent or unreadable (then it is rebuilt).

    A hit sets the file's modification time to now: pruning deletes the least recently
    used entries first. (The access time would say the same, but many disks are mounted
    without updating it.)
    """
    if not file.is_file():
        return None
    try:
        adj = sp.csr_array(sp.load_npz(file))
    except (OSError, ValueError, KeyError) as err:
        # OSError includes the file being pruned by another process since is_file().
        log.warning("network: ignoring unreadable cache file %s (%s)", file, err)
        return None
    if adj.shape != (n, n):
        log.warning("network: ignoring cache file %s of shape %s", file, adj.shape)
        return None
    # A read-only cache, or an entry pruned meanwhile: the graph in hand is still good.
    with contextlib.suppress(OSError):
        os.utime(file)
    return adj


def _save_cached(file: Path, adj: sp.csr_array) -> bool:
    """Write atomically (temp file + rename) so concurrent runs never read half a file.

    Returns:
        True if the entry was written.
    """
    tmp = None
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.stem}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            # Uncompressed: loading must beat rebuilding, and indices barely compress.
            sp.save_npz(fh, adj, compressed=False)
        os.replace(tmp, file)
    except OSError as err:
        # The cache only saves time; a read-only or full disk must not stop a run.
        log.warning("network: could not write cache file %s (%s)", file, err)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        return False
    return True


def prune_network_cache(
    cache_dir: str | os.PathLike, max_gb: float, *, keep: Path | None = None
) -> list[Path]:
    """Delete the least recently used cache entries until the rest fit in ``max_gb``.

    Only this module's files are considered: entries ``network-<sha256>.npz``, ordered by
    modification time (set on write and on every hit), and temp files of writers that
    died more than an hour ago. Safe with other processes reading, writing and pruning
    the same folder: files may vanish at any point (they then count as freed), a reader
    whose entry is deleted rebuilds it, and writers rename complete files into place.

    Args:
        cache_dir: the cache folder.
        max_gb: bound on the entries' total size, GB (1e9 bytes); 0 = no bound.
        keep: an entry never deleted (the one just written).

    Returns:
        The entries deleted by this call, least recently used first.
    """
    folder = Path(cache_dir)
    if max_gb <= 0:
        return []
    now = time.time()
    entries: list[tuple[float, int, Path]] = []
    try:
        listing = list(os.scandir(folder))
    except OSError as err:
        log.warning("network: could not list cache folder %s (%s)", folder, err)
        return []
    for entry in listing:
        try:
            if _CACHE_ENTRY.fullmatch(entry.name):
                st = entry.stat()
                entries.append((st.st_mtime, st.st_size, Path(entry.path)))
            elif (
                _CACHE_TEMP.fullmatch(entry.name)
                and now - entry.stat().st_mtime > _STALE_TEMP_SECONDS
            ):
                Path(entry.path).unlink(missing_ok=True)
        except FileNotFoundError:
            continue  # renamed or pruned by another process since the listing
        except OSError as err:
            log.warning("network: could not prune %s (%s)", entry.path, err)
    total = sum(size for _, size, _ in entries)
    removed: list[Path] = []
    for _, size, path in sorted(entries):
        if total <= max_gb * 1e9:
            break
        if keep is not None and path == keep:
            continue
        try:
            path.unlink(missing_ok=True)  # gone already: another process pruned it
        except OSError as err:
            log.warning("network: could not delete cache file %s (%s)", path, err)
            continue
        total -= size
        removed.append(path)
    if removed:
        log.info("network: pruned %d cache file(s) from %s", len(removed), folder)
    return removed


# --- edge keys and CSR assembly ------------------------------------------------------------


def _unique_keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Sorted unique keys ``min * n + max`` of the drawn edges, self-loops dropped.

    Sort-and-compare rather than ``np.unique``, which is ~10x slower on 10^7 int64 keys.
    """
    keep = a != b
    a, b = a[keep], b[keep]
    keys = np.minimum(a, b).astype(np.int64)
    keys *= n
    keys += np.maximum(a, b)
    del a, b, keep
    keys.sort()
    if len(keys) > 1:
        first = np.empty(len(keys), bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        keys = keys[first]
    return keys


def _fill_edges(
    keys: np.ndarray, target: int, draw: Drawer, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Add freshly drawn distinct edges to ``keys`` (sorted, unique) until it holds ``target``.

    Edges lost to self-loops and duplicates are redrawn from the same distribution, so
    the graph has the edge count the model asked for. Each round draws the shortfall
    divided by the previous round's acceptance rate; surplus new edges are thinned at
    random. Stops early (logging a warning) if the graph is too saturated to fill.
    """
    acceptance = 1.0
    for _ in range(_MAX_REDRAW_ROUNDS):
        need = target - len(keys)
        if need <= 0:
            break
        size = int(min(need / max(acceptance, 0.02) * 1.1, 50 * need)) + 16
        new = _unique_keys(*draw(size), n)
        pos = np.searchsorted(keys, new)
        present = np.zeros(len(new), bool)
        inside = pos < len(keys)
        present[inside] = keys[pos[inside]] == new[inside]
        new, pos = new[~present], pos[~present]
        if len(new) > need:
            pick = np.sort(rng.choice(len(new), size=need, replace=False))
            new, pos = new[pick], pos[pick]
        keys = np.insert(keys, pos, new)
        acceptance = max(len(new) / size, 1e-3)
    if len(keys) < target:
        log.warning("network: graph saturated: %d of %d requested edges placed", len(keys), target)
    return keys


def _csr_from_keys(keys: np.ndarray, n: int) -> sp.csr_array:
    """Symmetric int8 CSR (n, n) from unique upper-triangle keys (any order)."""
    idx = np.int32 if n < np.iinfo(np.int32).max else np.int64
    lo64 = keys // n
    hi = (keys - lo64 * n).astype(idx)
    lo = lo64.astype(idx)
    del lo64
    rows = np.concatenate((lo, hi))
    cols = np.concatenate((hi, lo))
    del lo, hi
    data = np.ones(len(rows), np.int8)
    # coo -> csr is a counting sort in scipy's C++ code: O(n + nnz) with sorted indices.
    adj = sp.coo_array((data, (rows, cols)), shape=(n, n)).tocsr()
    adj.sort_indices()
    return adj


def _uniform_pairs(
    rng: np.random.Generator, size: int, na: int, nb: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``size`` pairs of local indices: i in [0, na) and j in [0, nb), or j != i in [0, na)."""
    i = rng.integers(0, na, size)
    if nb is not None:
        return i, rng.integers(0, nb, size)
    # Draw from na - 1 values and skip i, so no self-pair is ever drawn.
    j = rng.integers(0, na - 1, size)
    j += j >= i
    return i, j


# --- numpy builders ------------------------------------------------------------------------


def _chung_lu_weights(n: int, k: float, gamma: float) -> np.ndarray:
    """Expected degrees (n,), descending: power law with exponent gamma, mean k, cap sqrt(n k).

    Weights are the Pareto quantiles w_i ~ ((i + 1/2) / n)^(-1/(gamma - 1)), which is
    Chung & Lu's (2002) w_i ~ (i + i0)^(-1/(gamma-1)) sequence. Capping at sqrt(n k) =
    sqrt(sum w) keeps every pair probability w_i w_j / sum(w) <= 1; the scale s is then
    solved exactly so that mean(min(s w, cap)) = k (the capped nodes are a prefix).
    """
    w = ((np.arange(n) + 0.5) / n) ** (-1.0 / (gamma - 1.0))
    cap = math.sqrt(n * k)
    # With the first j nodes capped: j * cap + s * sum(w[j:]) = n k; take the smallest j
    # whose scale leaves node j itself under the cap.
    suffix = np.cumsum(w[::-1])[::-1]
    j = np.arange(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = (n * k - j * cap) / suffix
    ok = (scale > 0) & (scale * w <= cap)
    first = int(np.argmax(ok)) if ok.any() else n - 1
    w *= scale[first]
    w[:first] = cap
    return w


def _scale_free_keys(n: int, k: float, gamma: float, rng: np.random.Generator) -> np.ndarray:
    """Chung-Lu expected-degree graph with power-law weights (Chung & Lu 2002).

    The edge count is M ~ Poisson(sum(w) / 2) and both ends of every edge are drawn in
    proportion to w (the Poissonian form of the model; Norros & Reittu 2006). Instead of
    a binary search per end, each side's M ends are counted per user with one multinomial
    draw and expanded with ``np.repeat``; shuffling one side pairs them independently.
    Edges lost to self-loops and duplicate pairs (mostly between hubs) are redrawn with
    ends proportional to w, so the mean degree is k.
    """
    w = _chung_lu_weights(n, k, gamma)
    w = w[rng.permutation(n)]  # node ids must not encode degree rank
    ids = np.int32 if n < np.iinfo(np.int32).max else np.int64
    m = int(rng.poisson(w.sum() / 2.0))
    share = w / w.sum()
    first = np.repeat(np.arange(n, dtype=ids), rng.multinomial(m, share))
    second = np.repeat(np.arange(n, dtype=ids), rng.multinomial(m, share))
    rng.shuffle(second)
    keys = _unique_keys(first, second, n)
    del first, second, share
    cum = np.cumsum(w)

    def draw(size: int) -> tuple[np.ndarray, np.ndarray]:
        ends = np.searchsorted(cum, rng.random(2 * size) * cum[-1], side="right")
        np.minimum(ends, n - 1, out=ends)  # guard against float rounding at the top end
        return ends[:size], ends[size:]

    return _fill_edges(keys, min(m, n * (n - 1) // 2), draw, n, rng)


def _small_world_keys(n: int, k: float, p: float, rng: np.random.Generator) -> np.ndarray:
    """Watts & Strogatz (1998) small world, vectorised.

    A ring lattice joins each user to ``round(k) // 2`` neighbours on each side (for odd
    round(k), even-numbered users also join the user ``round(k) // 2 + 1`` ahead, so the
    mean degree is still round(k)). Each lattice edge keeps its first end and, with
    probability p, gets a uniformly random other user as its second end. Rewired edges
    that land on an existing edge are redrawn as uniform random pairs, so the edge count
    is that of the lattice.
    """
    kk = max(1, round(k))
    half = kk // 2
    src = np.repeat(np.arange(n, dtype=np.int64), half)
    dst = src + np.tile(np.arange(1, half + 1, dtype=np.int64), n)
    if kk % 2:
        extra = np.arange(0, n, 2, dtype=np.int64)
        src = np.concatenate((src, extra))
        dst = np.concatenate((dst, extra + half + 1))
    dst %= n
    rewire = np.flatnonzero(rng.random(len(src)) < p)
    new = rng.integers(0, n - 1, len(rewire))
    dst[rewire] = new + (new >= src[rewire])
    keys = _unique_keys(src, dst, n)
    target = min(len(src), n * (n - 1) // 2)
    del src, dst
    return _fill_edges(keys, target, lambda size: _uniform_pairs(rng, size, n), n, rng)


def _sbm_probabilities(sizes: np.ndarray, k: float, h: float) -> np.ndarray:
    """Edge probabilities (B, B) between blocks of the given sizes (B,).

    Within block g the probability gives each member h k expected same-block contacts,
    p_gg = h k / (n_g - 1), capped at 1 for blocks too small to hold that many. One
    cross-block probability p_out, shared by all block pairs (a symmetric matrix, as an
    undirected SBM needs), carries every remaining edge end: p_out = (n k - within ends)
    / sum_g n_g (n - n_g). So the mean degree is k and, summed over users, a share h of
    edge ends is within-block (exactly, unless a block is capped). A user in a block of
    size n_g has h k same-block and p_out (n - n_g) other-block contacts: members of a
    small block (e.g. "other", ~2% of users) have about twice as many other-block
    contacts as members of the two large blocks, so their own share is below h (about
    0.55 for h = 0.7 with 49/49/2 per cent blocks) and their degree above k.
    A single block gives an Erdős-Rényi graph with mean degree k.
    """
    sizes = np.asarray(sizes, float)
    n = sizes.sum()
    if len(sizes) == 1:
        return np.array([[min(1.0, k / (n - 1))]])
    within = np.where(sizes > 1, np.minimum(1.0, h * k / np.maximum(sizes - 1, 1)), 0.0)
    within_ends = float((sizes * within * (sizes - 1)).sum())
    p_out = min(1.0, max(0.0, n * k - within_ends) / float((sizes * (n - sizes)).sum()))
    probs = np.full((len(sizes), len(sizes)), p_out)
    np.fill_diagonal(probs, within)
    return probs


def _blocks(gender: np.ndarray) -> list[np.ndarray]:
    """Member ids (int64, ascending) of each non-empty gender block, by label."""
    g = np.asarray(gender).astype(np.intp, copy=False)
    order = np.argsort(g, kind="stable")
    counts = np.bincount(g)
    bounds = np.cumsum(counts)
    return [order[b - c : b].astype(np.int64) for c, b in zip(counts, bounds, strict=True) if c]


def _sbm_keys(
    n: int, k: float, gender: np.ndarray, h: float, rng: np.random.Generator
) -> np.ndarray:
    """Stochastic block model by gender (Holland, Laskey & Leinhardt 1983), vectorised.

    For each pair of blocks the edge count is Binomial(pairs, p) with p from
    ``_sbm_probabilities``; the edges are that many distinct pairs drawn uniformly (with
    duplicates redrawn), which is exactly the SBM's distribution. Loops run over block
    pairs only (six for three genders).
    """
    members = _blocks(gender)
    probs = _sbm_probabilities(np.array([len(m) for m in members]), k, h)
    parts = []
    for x, mx in enumerate(members):
        for y in range(x, len(members)):
            my = members[y]
            same = x == y
            pairs = len(mx) * (len(mx) - 1) // 2 if same else len(mx) * len(my)
            if pairs == 0 or probs[x, y] <= 0:
                continue
            m = int(rng.binomial(pairs, probs[x, y]))

            def draw(size: int, mx=mx, my=my, same=same) -> tuple[np.ndarray, np.ndarray]:
                i, j = _uniform_pairs(rng, size, len(mx), None if same else len(my))
                return mx[i], my[j]

            keys = _unique_keys(*draw(m), n)
            parts.append(_fill_edges(keys, m, draw, n, rng))
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


# --- networkx builders ---------------------------------------------------------------------


def _build_networkx(
    kind: str, n: int, k: float, gender: np.ndarray, seed: int, p: float, h: float
) -> sp.csr_array:
    """The networkx generator for ``kind``, converted to CSR (small graphs only).

    ``scale_free`` is Barabási & Albert's (1999) preferential attachment with
    m = round(k / 2) edges per new node (degree exponent 3 whatever gamma is);
    ``small_world`` is ``watts_strogatz_graph`` with round(k) neighbours (networkx uses
    round(k) // 2 per side, so odd values lose one); ``sbm`` is ``stochastic_block_model``
    with the same probabilities as the numpy engine.
    """
    if kind == "scale_free":
        m = min(max(1, round(k / 2)), n - 1)
        g = nx.barabasi_albert_graph(n, m, seed=seed)
    elif kind == "small_world":
        g = nx.watts_strogatz_graph(n, min(max(1, round(k)), n), p, seed=seed)
    else:
        members = _blocks(gender)
        probs = _sbm_probabilities(np.array([len(m) for m in members]), k, h)
        g = nx.stochastic_block_model(
            [len(m) for m in members],
            probs.tolist(),
            nodelist=np.concatenate(members).tolist(),
            seed=seed,
        )
    adj = nx.to_scipy_sparse_array(g, nodelist=range(n), dtype=np.int8, format="csr")
    adj = sp.csr_array(adj)
    adj.sort_indices()
    return adj


# --- edge-list files -----------------------------------------------------------------------


def _read_edge_list(path: str, n: int) -> sp.csr_array:
    """Read a ``u v`` edge list into a symmetric CSR (n, n); errors give the line number.

    Parsing is numpy's C reader (``np.loadtxt``), so files of 10^7 lines take seconds;
    only when it fails is the file scanned line by line to say where.
    """
    try:
        with warnings.catch_warnings():
            # An empty file is reported below as "has no edges", not as a warning.
            warnings.filterwarnings("ignore", message=".*input contained no data")
            pairs = np.loadtxt(path, dtype=np.int64, comments="#", usecols=(0, 1), ndmin=2)
    except ValueError as err:  # includes UnicodeDecodeError
        lineno, raw = _first_bad_line(path, lambda u, v: True)
        where = f"line {lineno} is malformed ({raw!r})" if lineno else f"cannot be read ({err})"
        raise NetworkError(
            f"network.path={path!r}: {where}: expected two integer user ids 'u v' per line"
        ) from err
    if len(pairs) == 0:
        raise NetworkError(
            f"network.path={path!r} has no edges: expected 'u v' lines of 0-based user ids"
        )
    a, b = pairs[:, 0], pairs[:, 1]
    if a.min() < 0 or b.min() < 0 or a.max() >= n or b.max() >= n:
        lineno, raw = _first_bad_line(path, lambda u, v: 0 <= u < n and 0 <= v < n)
        raise NetworkError(
            f"network.path={path!r}: line {lineno} ({raw!r}) has a node id outside 0..{n - 1}: "
            f"ids must be in [0, population.n_users={n}); raise population.n_users or "
            f"renumber the file"
        )
    keys = _unique_keys(a, b, n)
    if len(keys) == 0:
        raise NetworkError(
            f"network.path={path!r} has no edges after removing self-loops ('u u' lines)"
        )
    return _csr_from_keys(keys, n)


def _edge_lines(path: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line number, raw line, fields before any '#') of each non-blank line."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, raw in enumerate(fh, start=1):
            fields = raw.split("#", 1)[0].split()
            if fields:
                yield lineno, raw.rstrip("\n"), fields


def _first_bad_line(path: str, ok: Callable[[int, int], bool]) -> tuple[int, str]:
    """First line that is not two integers, or whose ids fail ``ok``; error path only."""
    for lineno, raw, fields in _edge_lines(path):
        try:
            u, v = int(fields[0]), int(fields[1])
        except (ValueError, IndexError):
            return lineno, raw
        if not ok(u, v):
            return lineno, raw
    return 0, ""
