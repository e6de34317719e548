"""Social networks as sparse symmetric adjacency matrices, built without per-edge objects.

Families (``network.kind``):

* ``scale_free`` - a Chung-Lu expected-degree graph with power-law weights (Chung & Lu
  2002): the degree distribution has exponent ``power_law_exponent``.
* ``small_world`` - Watts & Strogatz (1998): a ring lattice with each edge rewired with
  probability ``rewire_prob``.
* ``sbm`` - a stochastic block model by gender (Holland et al. 1983): a share
  ``homophily`` of each user's contacts is expected to be of their own gender.
* ``edge_list`` - a file of ``u v`` lines (0-based ids), read with numpy.

``engine="numpy"`` builds any size in vectorised numpy; ``engine="networkx"`` uses the
networkx generators (Barabási-Albert, Watts-Strogatz, SBM) for small graphs, for users
who want those exact constructions. Built graphs are cached on disk, keyed by every
input, so a sweep builds each network once.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

KINDS = ("scale_free", "small_world", "sbm", "edge_list")
ENGINES = ("numpy", "networkx")
NETWORKX_MAX_NODES = 200_000


class NetworkError(ValueError):
    """A network parameter or input file is not usable; the message names the key."""


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
) -> sp.csr_array:
    """Build (or load from the cache) the contact network.

    Args:
        kind: one of ``KINDS``.
        n_users: number of nodes.
        mean_degree: target mean number of contacts.
        gender: int8 array (n_users,), 0 woman / 1 man / 2 other (blocks of ``sbm``).
        seed: the network's own seed.
        power_law_exponent, rewire_prob, homophily: family parameters (see module doc).
        path: edge-list file for ``kind="edge_list"``.
        engine: ``"numpy"`` or ``"networkx"``.
        cache_dir: folder for cached graphs (None: no cache).

    Returns:
        Symmetric CSR adjacency (n_users, n_users), int8, no self-loops or duplicates.
    """
    _check_args(
        kind, n_users, mean_degree, power_law_exponent, rewire_prob, homophily, path, engine
    )
    key = network_cache_key(
        kind,
        n_users,
        mean_degree,
        gender,
        seed,
        power_law_exponent,
        rewire_prob,
        homophily,
        path,
        engine,
    )
    cache_file = Path(cache_dir) / f"{key}.npz" if cache_dir is not None else None
    if cache_file is not None and cache_file.is_file():
        return sp.csr_array(sp.load_npz(cache_file))
    rng = np.random.default_rng(seed)
    if kind == "edge_list":
        adj = _edge_list(path, n_users)
    elif engine == "networkx":
        adj = _networkx(kind, n_users, mean_degree, gender, seed, rewire_prob, homophily)
    elif kind == "scale_free":
        adj = _from_pairs(*_chung_lu(n_users, mean_degree, power_law_exponent, rng), n_users)
    elif kind == "small_world":
        adj = _from_pairs(*_watts_strogatz(n_users, mean_degree, rewire_prob, rng), n_users)
    else:
        adj = _from_pairs(*_sbm(n_users, mean_degree, gender, homophily, rng), n_users)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_name(f".{cache_file.stem}.{os.getpid()}.tmp.npz")
        sp.save_npz(tmp, sp.csr_matrix(adj), compressed=False)
        os.replace(tmp, cache_file)
    return adj


def network_cache_key(
    kind: str,
    n_users: int,
    mean_degree: float,
    gender: np.ndarray,
    seed: int,
    power_law_exponent: float,
    rewire_prob: float,
    homophily: float,
    path: str | None,
    engine: str,
) -> str:
    """SHA-256 key of every input that determines the graph."""
    parts: dict[str, object] = {
        "v": 1,
        "kind": kind,
        "n": int(n_users),
        "k": float(mean_degree),
        "seed": int(seed),
        "engine": engine,
        "gender": hashlib.sha256(np.ascontiguousarray(gender, dtype=np.int8).tobytes()).hexdigest(),
    }
    if kind == "scale_free":
        parts["gamma"] = float(power_law_exponent)
    elif kind == "small_world":
        parts["p"] = float(rewire_prob)
    elif kind == "sbm":
        parts["h"] = float(homophily)
    else:
        st = Path(path).stat()  # type: ignore[arg-type]
        parts.update(path=str(Path(path).resolve()), size=st.st_size, mtime=st.st_mtime_ns)  # type: ignore[arg-type]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def degree(adj: sp.csr_array) -> np.ndarray:
    """Number of contacts per user, int64 (n,)."""
    return np.diff(adj.indptr).astype(np.int64)


def describe_network(adj: sp.csr_array) -> dict[str, float]:
    """Size and degree statistics (for logs and benchmarks)."""
    d = degree(adj)
    return {
        "n": int(adj.shape[0]),
        "edges": int(adj.nnz // 2),
        "mean_degree": float(d.mean()) if len(d) else 0.0,
        "max_degree": int(d.max()) if len(d) else 0,
        "isolated_share": float((d == 0).mean()) if len(d) else 0.0,
    }


# --- argument checks --------------------------------------------------------------------


def _check_args(kind, n, k, gamma, p, h, path, engine) -> None:
    if kind not in KINDS:
        raise NetworkError(
            f"network.kind={kind!r} is not allowed: choose one of {', '.join(KINDS)}"
        )
    if engine not in ENGINES:
        raise NetworkError(
            f"network.engine={engine!r} is not allowed: choose one of {', '.join(ENGINES)}"
        )
    if n < 2:
        raise NetworkError(
            f"population.n_users={n} is not allowed: a network needs at least 2 users"
        )
    if kind == "edge_list":
        if not path:
            raise NetworkError("network.path='' is not allowed: network=edge_list needs a file")
        if not Path(path).is_file():
            raise NetworkError(f"network.path={path!r} is not allowed: the file does not exist")
        return
    if not 0 < k < n:
        raise NetworkError(f"network.mean_degree={k} is not allowed: must be > 0 and < n_users={n}")
    if not 2 < gamma <= 4:
        raise NetworkError(f"network.power_law_exponent={gamma} is not allowed: must be in (2, 4]")
    if not 0 <= p <= 1:
        raise NetworkError(f"network.rewire_prob={p} is not allowed: must be in [0, 1]")
    if not 0 <= h <= 1:
        raise NetworkError(f"network.homophily={h} is not allowed: must be in [0, 1]")
    if engine == "networkx" and n > NETWORKX_MAX_NODES:
        raise NetworkError(
            f"network.engine='networkx' is not allowed with population.n_users={n}: networkx "
            f"graphs hold a Python object per edge; use network.engine=numpy above {NETWORKX_MAX_NODES:,}"
        )


# --- builders -----------------------------------------------------------------------------


def _from_pairs(a: np.ndarray, b: np.ndarray, n: int) -> sp.csr_array:
    """Symmetric, deduplicated CSR from endpoint arrays (self-loops dropped).

    Pairs are deduplicated with a sort of int64 keys (faster here than ``np.unique``), the
    upper triangle is assembled directly from the sorted keys, and the lower triangle is
    its transpose; no per-edge Python objects.
    """
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    keep = a != b
    lo, hi = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    keys = np.sort(lo * n + hi)
    if len(keys):
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    lo, hi = keys // n, keys % n
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(lo, minlength=n), out=indptr[1:])
    upper = sp.csr_array((np.ones(len(hi), np.int8), hi, indptr), shape=(n, n))
    adj = sp.csr_array(upper + upper.T)
    adj.sort_indices()
    return adj


def _chung_lu(
    n: int, k: float, gamma: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Expected-degree graph: Poisson(w_i) edge ends per node, paired at random.

    Weights w_i ~ i^(-1/(gamma-1)) scaled to mean ``k`` give a degree distribution with
    exponent gamma (Chung & Lu 2002); pairing shuffled ends is the stub-matching form of
    the same model. Weights are capped at sqrt(n k) so pair probabilities stay below ~1.
    """
    i = np.arange(1, n + 1, dtype=float)
    w = i ** (-1.0 / (gamma - 1.0))
    w *= k / w.mean()
    w = np.minimum(w, np.sqrt(n * k))
    w = rng.permutation(w)  # node ids carry no meaning
    # Oversample slightly to make up for self-loops and duplicate pairs removed later.
    stubs = np.repeat(np.arange(n, dtype=np.int64), rng.poisson(w * 1.01))
    rng.shuffle(stubs)
    half = len(stubs) // 2
    return stubs[:half], stubs[half : 2 * half]


def _watts_strogatz(
    n: int, k: float, p: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Ring lattice with round(k/2) neighbours each side; each edge's far end rewired with p."""
    half = max(1, round(k / 2))
    src = np.repeat(np.arange(n, dtype=np.int64), half)
    dst = (src + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(len(src)) < p
    dst[rewire] = rng.integers(0, n, int(rewire.sum()))
    return src, dst


def _sbm(
    n: int, k: float, gender: np.ndarray, h: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Edges within a block with share h of each user's edge ends, the rest across blocks.

    Within-block edges of block g: Poisson(h k n_g / 2), endpoints uniform in the block;
    cross-block edges: Poisson((1-h) k n / 2), one end uniform, the other uniform outside
    its block. For a tiny block (e.g. "other") the within-block count is capped by the
    number of pairs, so its members have more cross-block contacts than ``h`` implies.
    """
    a_parts, b_parts = [], []
    ids_all = np.arange(n, dtype=np.int64)
    for g in np.unique(gender):
        members = ids_all[gender == g]
        ng = len(members)
        if ng < 2:
            continue
        m_in = rng.poisson(min(h * k * ng / 2.0, ng * (ng - 1) / 2.0))
        a_parts.append(members[rng.integers(0, ng, m_in)])
        b_parts.append(members[rng.integers(0, ng, m_in)])
    m_out = rng.poisson((1.0 - h) * k * n / 2.0)
    a = rng.integers(0, n, m_out)
    b = np.empty(m_out, np.int64)
    for g in np.unique(gender):
        sel = gender[a] == g
        others = ids_all[gender != g]
        if len(others) == 0:
            b[sel] = a[sel]  # a single block: no cross edges (dropped as self-loops)
            continue
        b[sel] = others[rng.integers(0, len(others), int(sel.sum()))]
    a_parts.append(a)
    b_parts.append(b)
    return np.concatenate(a_parts), np.concatenate(b_parts)


def _networkx(kind, n, k, gender, seed, p, h) -> sp.csr_array:
    if kind == "scale_free":
        g = nx.barabasi_albert_graph(n, max(1, round(k / 2)), seed=seed)
    elif kind == "small_world":
        g = nx.watts_strogatz_graph(n, max(2, 2 * round(k / 2)), p, seed=seed)
    else:
        order = np.argsort(gender, kind="stable")
        sizes = [int((gender == x).sum()) for x in np.unique(gender)]
        probs = [[0.0] * len(sizes) for _ in sizes]
        for i, si in enumerate(sizes):
            for j, _ in enumerate(sizes):
                if i == j:
                    probs[i][j] = min(1.0, h * k / max(si - 1, 1))
                else:
                    probs[i][j] = min(1.0, (1 - h) * k / max(n - si, 1))
        g = nx.stochastic_block_model(sizes, probs, seed=seed)
        g = nx.relabel_nodes(g, dict(enumerate(order.tolist())))
    adj = nx.to_scipy_sparse_array(g, nodelist=range(n), dtype=np.int8, format="csr")
    return sp.csr_array(adj)


def _edge_list(path: str | None, n: int) -> sp.csr_array:
    """Read ``u v`` lines; ids must be integers in [0, n)."""
    text = Path(path).read_text()  # type: ignore[arg-type]
    us, vs = [], []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) < 2:
            raise NetworkError(
                f"network.path={path!r}: line {lineno} is malformed ({raw!r}): expected 'u v'"
            )
        try:
            u, v = int(fields[0]), int(fields[1])
        except ValueError:
            raise NetworkError(
                f"network.path={path!r}: line {lineno} is malformed ({raw!r}): ids must be integers"
            ) from None
        us.append(u)
        vs.append(v)
    if not us:
        raise NetworkError(f"network.path={path!r} is not allowed: the file has no edges")
    a, b = np.array(us, np.int64), np.array(vs, np.int64)
    bad = (a < 0) | (a >= n) | (b < 0) | (b >= n)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise NetworkError(
            f"network.path={path!r}: node id {max(a[i], b[i]) if max(a[i], b[i]) >= n else min(a[i], b[i])} "
            f"is outside [0, population.n_users={n})"
        )
    if (a == b).all():
        raise NetworkError(
            f"network.path={path!r} is not allowed: the graph has no edges after removing self-loops"
        )
    return _from_pairs(a, b, n)
