"""Assisted themes, offline: the algorithms, on plain lists of texts (no database, no HTTP).

- :func:`propose_themes` — TF-IDF over Persian tokens (:mod:`.persian`) factorized by NMF: each
  component is a candidate theme with its key terms and the texts that weigh most on it.
- :func:`kwic` — keyword in context, matched on tokens, shown as the words were written.
- :func:`suggest_codes` — for each uncoded text, the code whose coded texts it resembles most
  (cosine similarity to the code's centroid in TF-IDF space, Rocchio's classifier), with a score
  and a margin over the runner-up, so a person sees how sure the suggestion is.
- :func:`near_duplicates` — campaign comments: MinHash signatures over character 5-gram shingles
  of the normalized text, banded (LSH) to find candidates, each candidate verified against the
  estimated Jaccard similarity, and groups are the connected components. Linear in the number of texts.

Nothing here decides: service code stores every result as a suggestion a person approves or
rejects. Every function is deterministic for its parameters (fixed seeds, murmur-hashed shingles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer

from . import persian


def _vectorizer(min_df: int | float = 1, max_df: float = 1.0, max_features: int | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=persian.tokens, min_df=min_df, max_df=max_df, max_features=max_features,
                           sublinear_tf=True)


@dataclass(frozen=True)
class ThemeProposal:
    """One NMF component: its key terms (with weights), the texts that load most on it, its size."""

    terms: list[tuple[str, float]]
    examples: list[int]
    size: int  # texts whose strongest component this is
    members: list[int]  # those texts (measured in tests and the bench; only the examples are stored)


def propose_themes(texts: Sequence[str], k: int = 6, *, top_terms: int = 8, examples: int = 4, seed: int = 0,
                   max_features: int = 20_000) -> list[ThemeProposal]:
    """Candidate themes of ``texts``: NMF with ``k`` components on their TF-IDF, largest first."""
    k = max(1, min(k, len(texts) - 1))
    min_df = 2 if len(texts) >= 50 else 1
    vec = _vectorizer(min_df=min_df, max_df=0.5 if len(texts) >= 20 else 1.0, max_features=max_features)
    matrix = vec.fit_transform(texts)
    if matrix.shape[1] == 0:
        return []
    k = min(k, matrix.shape[1])
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    weights = model.fit_transform(matrix)
    vocabulary = vec.get_feature_names_out()
    strongest = weights.argmax(axis=1)
    loaded = weights.max(axis=1) > 0
    out = []
    for c in range(k):
        component = model.components_[c]
        top = np.argsort(component)[::-1][:top_terms]
        members = np.flatnonzero((strongest == c) & loaded)
        ranked = members[np.argsort(weights[members, c])[::-1]][:examples]
        out.append(ThemeProposal([(str(vocabulary[i]), float(component[i])) for i in top if component[i] > 0],
                                 [int(i) for i in ranked], len(members), [int(i) for i in members]))
    return sorted((t for t in out if t.size), key=lambda t: -t.size)


@dataclass(frozen=True)
class Concordance:
    """One occurrence of a keyword: which text, where, and the words either side as written."""

    index: int
    start: int
    end: int
    left: str
    match: str
    right: str


def kwic(texts: Sequence[str], keyword: str, *, width: int = 40, limit: int = 200) -> list[Concordance]:
    """Keyword in context: every word of ``texts`` whose token is one of ``keyword``'s tokens."""
    wanted = set(persian.tokens(keyword))
    out: list[Concordance] = []
    if not wanted:
        return out
    for i, text in enumerate(texts):
        for start, end, token in persian.word_spans(text):
            if token in wanted:
                out.append(Concordance(i, start, end, text[max(0, start - width):start], text[start:end],
                                       text[end:end + width]))
                if len(out) >= limit:
                    return out
    return out


@dataclass(frozen=True)
class CodeSuggestion:
    """Code ``label`` for uncoded text ``index``: cosine ``score`` to its centroid, ``margin`` over the next."""

    index: int
    label: int
    score: float
    margin: float


def suggest_codes(coded: Sequence[tuple[str, int]], uncoded: Sequence[str], *, threshold: float = 0.1,
                  min_margin: float = 0.01) -> list[CodeSuggestion]:
    """Suggest one code per uncoded text by similarity to the texts already coded with it.

    The vocabulary is fitted on both sets (IDF from the whole corpus); a code's centroid is the
    mean of its coded texts' unit vectors. A text gets a suggestion when its best cosine reaches
    ``threshold`` and beats the runner-up by ``min_margin`` — below that a person codes it unaided.
    """
    if not coded or not uncoded:
        return []
    vec = _vectorizer()
    matrix = vec.fit_transform([t for t, _ in coded] + list(uncoded))
    known, fresh = matrix[: len(coded)], matrix[len(coded):]
    labels = sorted({label for _, label in coded})
    index = {label: i for i, label in enumerate(labels)}
    member = np.zeros((len(labels), len(coded)))
    for row, (_, label) in enumerate(coded):
        member[index[label], row] = 1.0
    centroids = np.asarray((known.T @ member.T).T)
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    centroids = np.divide(centroids, norms, out=np.zeros_like(centroids), where=norms > 0)
    scores = np.asarray(fresh @ centroids.T)
    out = []
    for i, row in enumerate(scores):
        order = np.argsort(row)[::-1]
        best = float(row[order[0]])
        runner = float(row[order[1]]) if len(order) > 1 else 0.0
        if best >= threshold and best - runner >= min_margin:
            out.append(CodeSuggestion(i, labels[order[0]], round(best, 4), round(best - runner, 4)))
    return out


_PRIME = np.uint64((1 << 31) - 1)  # Mersenne prime above every shingle hash (< 2^30)


def _signatures(texts: Sequence[str], permutations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (texts × permutations) and which texts had any shingle."""
    hasher = HashingVectorizer(analyzer="char", ngram_range=(5, 5), n_features=1 << 30, alternate_sign=False,
                               norm=None, binary=True, preprocessor=persian.normalize, dtype=np.float32)
    matrix = hasher.transform(texts)
    matrix.sort_indices()
    shingles = matrix.indices.astype(np.uint64)
    starts = matrix.indptr[:-1]
    present = np.diff(matrix.indptr) > 0
    rng = np.random.default_rng(seed)
    a = rng.integers(1, int(_PRIME), size=permutations, dtype=np.uint64)
    b = rng.integers(0, int(_PRIME), size=permutations, dtype=np.uint64)
    out = np.full((len(texts), permutations), np.iinfo(np.uint64).max, dtype=np.uint64)
    if len(shingles):
        rows = starts[present]
        for p in range(permutations):  # (a·x + b) mod p: a·x < 2^61, no overflow in 64 bits, and it wraps
            hashed = (a[p] * shingles + b[p]) % _PRIME
            out[present, p] = np.minimum.reduceat(hashed, rows)
    return out, present


def near_duplicates(texts: Sequence[str], *, threshold: float = 0.7, permutations: int = 64, bands: int = 16,
                    seed: int = 1) -> list[list[int]]:
    """Groups (two or more texts) whose estimated Jaccard similarity of shingles is at least ``threshold``."""
    if len(texts) < 2:
        return []
    signatures, present = _signatures(texts, permutations, seed)
    rows = permutations // bands
    candidates = np.flatnonzero(present)
    heads, others = [], []
    for band in range(bands):  # texts sharing a band's values are candidates; each is checked against the first
        part = np.ascontiguousarray(signatures[candidates, band * rows:(band + 1) * rows])
        keys = part.view(np.dtype((np.void, part.dtype.itemsize * rows))).ravel()
        order = np.argsort(keys, kind="stable")
        same = np.r_[False, keys[order][1:] == keys[order][:-1]]
        first = np.maximum.accumulate(np.where(same, 0, np.arange(len(order))))
        member, head = candidates[order[same]], candidates[order[first[same]]]
        similar = (signatures[member] == signatures[head]).mean(axis=1) >= threshold
        heads.append(head[similar])
        others.append(member[similar])
    edges = coo_matrix((np.ones(sum(len(h) for h in heads)), (np.concatenate(heads), np.concatenate(others))),
                       shape=(len(texts), len(texts)))
    _n, label = connected_components(edges, directed=False)
    groups: dict[int, list[int]] = {}
    for i, g in enumerate(label.tolist()):
        groups.setdefault(g, []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))


@dataclass(frozen=True)
class Measures:
    """Suggested codes against a person's: precision, recall and Cohen's kappa over the same units."""

    precision: float
    recall: float
    kappa: float | None
    suggested: int
    units: int


def measure(suggested: dict[int, int], gold: dict[int, int]) -> Measures:
    """``suggested``: unit → code (units without a suggestion are absent); ``gold``: unit → human code.

    Precision is the share of suggestions that match the person's code, recall the share of units
    that got the person's code as a suggestion; kappa compares assisted and human coding over every
    unit, a unit left without a suggestion counting as «no code»."""
    from .analysis import cohen_kappa  # analysis reads the database; only this helper needs it

    right = sum(1 for unit, code in suggested.items() if gold.get(unit) == code)
    units = sorted(gold)
    kappa = cohen_kappa([suggested.get(u, -1) for u in units], [gold[u] for u in units]) if units else None
    return Measures(right / len(suggested) if suggested else 0.0, right / len(gold) if gold else 0.0, kappa,
                    len(suggested), len(gold))
