"""Catalog, embedders, the FAISS vector index and the Store (all three saved together).

    import ecai
    with ecai.Context() as ctx, ecai.Store(ctx) as store:
        store.catalog.load("products.tsv")
        store.build()
        print(store.search("cordless drill", k=5))
        store.save("state/")
    store = ecai.Store.open(ctx, "state/")       # nothing is re-embedded
"""
import ctypes
import json
from array import array
from ctypes import (CFUNCTYPE, POINTER, byref, c_char_p, c_float, c_int, c_int64, c_size_t, c_uint32,
                    c_uint64, c_void_p)

from . import _lib
from ._lib import Handle, check, lib

FORMAT_AUTO, FORMAT_CSV, FORMAT_TSV, FORMAT_JSONL = 0, 1, 2, 3
LENIENT = 1
INDEX_OPT_EF_SEARCH, INDEX_OPT_NPROBE = 100, 101

_FILTER_FN = CFUNCTYPE(c_int, c_int64, c_void_p)
_PROGRESS_FN = CFUNCTYPE(c_int, c_size_t, c_size_t, c_void_p)
_FP = POINTER(c_float)

_lib.register([
    ("ecai_catalog_new", [POINTER(c_void_p), c_void_p], c_int, check),
    ("ecai_catalog_free", [c_void_p], None, None),
    ("ecai_catalog_load", [POINTER(c_size_t), POINTER(c_size_t), c_void_p, c_char_p, c_int, c_char_p,
                           c_uint32], c_int, check),
    ("ecai_catalog_load_report_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_catalog_upsert_json", [POINTER(c_int64), c_void_p, c_char_p, c_size_t], c_int, check),
    ("ecai_catalog_remove", [c_void_p, c_char_p], c_int, check),
    ("ecai_catalog_get_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_char_p], c_int, check),
    ("ecai_catalog_count", [c_void_p], c_size_t, None),
    ("ecai_catalog_id", [POINTER(c_int64), c_void_p, c_char_p], c_int, check),
    ("ecai_catalog_sku", [c_void_p, c_int64], c_char_p, None),
    ("ecai_catalog_title", [c_void_p, c_int64], c_char_p, None),
    ("ecai_catalog_next", [POINTER(c_int64), c_void_p, c_int64], c_int, None),
    ("ecai_catalog_content_hash", [POINTER(c_uint64), c_void_p, c_int64], c_int, check),
    ("ecai_catalog_text", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_int64], c_int, check),
    ("ecai_catalog_save", [c_void_p, c_char_p], c_int, check),
    ("ecai_catalog_open", [POINTER(c_void_p), c_void_p, c_char_p], c_int, check),
    ("ecai_embedder_new", [POINTER(c_void_p), c_void_p], c_int, check),
    ("ecai_embedder_free", [c_void_p], None, None),
    ("ecai_embedder_dim", [c_void_p], c_size_t, None),
    ("ecai_embedder_attach_cache", [c_void_p, c_void_p], c_int, check),
    ("ecai_embedder_fit", [c_void_p, c_void_p], c_int, check),
    ("ecai_embedder_embed", [_FP, c_size_t, c_void_p, c_char_p, c_size_t], c_int, check),
    ("ecai_embedder_embed_batch", [_FP, c_void_p, POINTER(c_char_p), POINTER(c_size_t), c_size_t], c_int,
     check),
    ("ecai_embedder_identity", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_embedder_save", [c_void_p, c_char_p], c_int, check),
    ("ecai_embedder_open", [POINTER(c_void_p), c_void_p, c_char_p], c_int, check),
    ("ecai_index_new", [POINTER(c_void_p), c_void_p, c_size_t, c_char_p], c_int, check),
    ("ecai_index_free", [c_void_p], None, None),
    ("ecai_index_add", [c_void_p, POINTER(c_int64), _FP, c_size_t], c_int, check),
    ("ecai_index_remove", [c_void_p, c_int64], c_int, check),
    ("ecai_index_count", [c_void_p], c_size_t, None),
    ("ecai_index_dim", [c_void_p], c_size_t, None),
    ("ecai_index_set_int", [c_void_p, c_int, c_int64], c_int, check),
    ("ecai_index_search", [POINTER(c_size_t), POINTER(c_int64), _FP, c_void_p, _FP, c_size_t,
                           POINTER(c_int64), c_size_t, _FILTER_FN, c_void_p], c_int, check),
    ("ecai_index_search_batch", [POINTER(c_int64), _FP, c_void_p, _FP, c_size_t, c_size_t], c_int, check),
    ("ecai_index_bind_embedder", [c_void_p, c_void_p], c_int, check),
    ("ecai_index_check_embedder", [c_void_p, c_void_p], c_int, check),
    ("ecai_index_save", [c_void_p, c_char_p], c_int, check),
    ("ecai_index_open", [POINTER(c_void_p), c_void_p, c_char_p], c_int, check),
    ("ecai_store_new", [POINTER(c_void_p), c_void_p], c_int, check),
    ("ecai_store_free", [c_void_p], None, None),
    ("ecai_store_catalog", [c_void_p], c_void_p, None),
    ("ecai_store_embedder", [c_void_p], c_void_p, None),
    ("ecai_store_index", [c_void_p], c_void_p, None),
    ("ecai_store_build", [POINTER(c_size_t), c_void_p, c_int, _PROGRESS_FN, c_void_p], c_int, check),
    ("ecai_store_search", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_char_p, c_size_t, c_size_t], c_int,
     check),
    ("ecai_store_save", [c_void_p, c_char_p], c_int, check),
    ("ecai_store_open", [POINTER(c_void_p), c_void_p, c_char_p], c_int, check),
    ("ecai_store_update_json", [c_void_p, c_char_p, c_char_p], c_int, check),
    ("ecai_store_seal", [c_void_p, c_int], c_int, check),
])

_FORMATS = {None: FORMAT_AUTO, "auto": FORMAT_AUTO, "csv": FORMAT_CSV, "tsv": FORMAT_TSV, "jsonl": FORMAT_JSONL}


def _path(p):
    return str(p).encode()


def _floats(vec, n=None):
    a = vec if isinstance(vec, array) and vec.typecode == "f" else array("f", vec)
    if n is not None and len(a) != n:
        raise ValueError("expected %d floats, got %d" % (n, len(a)))
    return a, (c_float * len(a)).from_buffer(a)


def _columns(columns):
    if columns is None:
        return None
    if isinstance(columns, dict):
        columns = ",".join("%s=%s" % kv for kv in columns.items())
    return columns.encode()


class Catalog(Handle):
    """Products keyed by SKU. ``Catalog(ctx)``; ``len(cat)``; ``cat["SKU"]`` -> dict."""

    _free = "ecai_catalog_free"

    def __init__(self, ctx, _handle=None, _owner=None):
        super().__init__()
        self._ctx = ctx  # keeps the context alive
        self._owner = _owner
        if _handle is not None:
            self._h = _handle
            if _owner is not None:
                self._free = None  # borrowed from a Store
            return
        h = c_void_p()
        lib.ecai_catalog_new(byref(h), ctx.handle)
        self._h = h

    @classmethod
    def open(cls, ctx, path):
        h = c_void_p()
        lib.ecai_catalog_open(byref(h), ctx.handle, _path(path))
        return cls(ctx, _handle=h)

    def load(self, path, format=None, columns=None, lenient=False):
        """Loads CSV/TSV/JSONL (optionally .gz). Returns (loaded, skipped); load_report()
        says why rows were skipped. Raises ParseError ("FILE:LINE: reason": malformed row,
        unterminated quote, field over catalog.max_field_bytes...) in strict mode."""
        loaded, skipped = c_size_t(), c_size_t()
        lib.ecai_catalog_load(byref(loaded), byref(skipped), self.handle, _path(path), _FORMATS[format],
                              _columns(columns), LENIENT if lenient else 0)
        return loaded.value, skipped.value

    def load_report(self):
        """The last load: {"read", "loaded", "skipped", "skipped_by_reason": {"malformed_row",
        "bad_value", "invalid_utf8", "unterminated_quote", "field_too_large",
        "record_too_large"}, "first_skip": "FILE:LINE: reason" or None}."""
        out, n = c_void_p(), c_size_t()
        lib.ecai_catalog_load_report_json(byref(out), byref(n), self.handle)
        return json.loads(_lib.take_string(out, n.value))

    def add(self, product):
        """Inserts or updates a product (dict or JSON text); returns its internal id."""
        data, n = _lib.to_bytes(product if isinstance(product, (str, bytes)) else json.dumps(product))
        out = c_int64()
        lib.ecai_catalog_upsert_json(byref(out), self.handle, data, n)
        return out.value

    def remove(self, sku):
        lib.ecai_catalog_remove(self.handle, sku.encode())

    def get(self, sku):
        out, n = c_void_p(), c_size_t()
        lib.ecai_catalog_get_json(byref(out), byref(n), self.handle, sku.encode())
        return json.loads(_lib.take_string(out, n.value))

    __getitem__ = get

    def __contains__(self, sku):
        out = c_int64()
        try:
            lib.ecai_catalog_id(byref(out), self.handle, sku.encode())
            return True
        except _lib.NotFound:
            return False

    def id_of(self, sku):
        out = c_int64()
        lib.ecai_catalog_id(byref(out), self.handle, sku.encode())
        return out.value

    def sku_of(self, internal_id):
        s = lib.ecai_catalog_sku(self.handle, internal_id)
        return s.decode() if s is not None else None

    def content_hash(self, internal_id):
        out = c_uint64()
        lib.ecai_catalog_content_hash(byref(out), self.handle, internal_id)
        return out.value

    def __len__(self):
        return lib.ecai_catalog_count(self.handle)

    def __iter__(self):
        """Yields (internal_id, sku) in id order."""
        cur = c_int64(-1)
        while lib.ecai_catalog_next(byref(cur), self.handle, cur.value) == 0:
            yield cur.value, lib.ecai_catalog_sku(self.handle, cur.value).decode()

    def save(self, path):
        lib.ecai_catalog_save(self.handle, _path(path))


class Embedder(Handle):
    """An embedder of the kind configured in the context (``embedder.kind``)."""

    _free = "ecai_embedder_free"

    def __init__(self, ctx, _handle=None, _owner=None):
        super().__init__()
        self._ctx = ctx
        self._owner = _owner
        if _handle is not None:
            self._h = _handle
            if _owner is not None:
                self._free = None
            return
        h = c_void_p()
        lib.ecai_embedder_new(byref(h), ctx.handle)
        self._h = h

    @classmethod
    def open(cls, ctx, path):
        h = c_void_p()
        lib.ecai_embedder_open(byref(h), ctx.handle, _path(path))
        return cls(ctx, _handle=h)

    @property
    def dim(self):
        return lib.ecai_embedder_dim(self.handle)

    def attach_cache(self, cache):
        """Remote embedders: look each text up in an ``ecai.Cache`` first and send only
        the misses. ``None`` detaches. The builtin embedder raises ``Unsupported``."""
        lib.ecai_embedder_attach_cache(self.handle, cache.handle if cache is not None else None)
        self._attached_cache = cache

    def fit(self, catalog):
        lib.ecai_embedder_fit(self.handle, catalog.handle)

    def embed(self, text):
        """One text -> array('f') of dim floats (unit length)."""
        data, n = _lib.to_bytes(text)
        out = array("f", bytes(4 * self.dim))
        lib.ecai_embedder_embed((c_float * self.dim).from_buffer(out), self.dim, self.handle, data, n)
        return out

    def embed_batch(self, texts):
        """A list of texts -> list of array('f')."""
        enc = [_lib.to_bytes(t) for t in texts]
        n, d = len(enc), self.dim
        if n == 0:
            return []
        ptrs = (c_char_p * n)(*[e[0] for e in enc])
        lens = (c_size_t * n)(*[e[1] for e in enc])
        out = array("f", bytes(4 * n * d))
        lib.ecai_embedder_embed_batch((c_float * (n * d)).from_buffer(out), self.handle, ptrs, lens, n)
        return [out[i * d:(i + 1) * d] for i in range(n)]

    def identity(self):
        out, n = c_void_p(), c_size_t()
        lib.ecai_embedder_identity(byref(out), byref(n), self.handle)
        return json.loads(_lib.take_string(out, n.value))

    def save(self, path):
        lib.ecai_embedder_save(self.handle, _path(path))


class Index(Handle):
    """A FAISS vector index (inner product on unit vectors) keyed by int ids."""

    _free = "ecai_index_free"

    def __init__(self, ctx, dim=None, factory=None, _handle=None, _owner=None):
        super().__init__()
        self._ctx = ctx
        self._owner = _owner
        if _handle is not None:
            self._h = _handle
            if _owner is not None:
                self._free = None
            return
        h = c_void_p()
        lib.ecai_index_new(byref(h), ctx.handle, dim or 0, factory.encode() if factory else None)
        self._h = h

    @classmethod
    def open(cls, ctx, path):
        h = c_void_p()
        lib.ecai_index_open(byref(h), ctx.handle, _path(path))
        return cls(ctx, _handle=h)

    @property
    def dim(self):
        return lib.ecai_index_dim(self.handle)

    def __len__(self):
        return lib.ecai_index_count(self.handle)

    def add(self, ids, vectors):
        """Adds or replaces vectors (a sequence of sequences of floats) under ids."""
        ids = list(ids)
        flat = array("f")
        for v in vectors:
            a = array("f", v)
            if len(a) != self.dim:
                raise ValueError("vector of %d floats, index dim is %d" % (len(a), self.dim))
            flat.extend(a)
        if len(flat) != len(ids) * self.dim:
            raise ValueError("%d ids for %d vectors" % (len(ids), len(flat) // max(self.dim, 1)))
        if not ids:
            return
        cids = (c_int64 * len(ids))(*ids)
        lib.ecai_index_add(self.handle, cids, (c_float * len(flat)).from_buffer(flat), len(ids))

    def remove(self, id_):
        lib.ecai_index_remove(self.handle, id_)

    def set(self, option, value):
        lib.ecai_index_set_int(self.handle, option, value)

    def search(self, vector, k=10, allowed=None, filter=None):
        """Returns [(id, score), ...] best first; ``allowed`` ids and/or ``filter(id) -> bool``."""
        q, qp = _floats(vector, self.dim)
        ids, scores, n = (c_int64 * k)(), (c_float * k)(), c_size_t()
        al = (c_int64 * len(allowed))(*allowed) if allowed is not None else None
        errors = []

        def fn(i, _payload):
            try:
                return 1 if filter(i) else 0
            except Exception as e:  # never let an exception cross into C
                errors.append(e)
                return 0

        cb = _FILTER_FN(fn) if filter is not None else _FILTER_FN()
        lib.ecai_index_search(byref(n), ids, scores, self.handle, qp, k, al, len(allowed or ()), cb, None)
        if errors:
            raise errors[0]
        return [(ids[i], scores[i]) for i in range(n.value)]

    def search_batch(self, vectors, k=10):
        flat = array("f")
        for v in vectors:
            flat.extend(array("f", v))
        nq = len(flat) // self.dim
        ids, scores = (c_int64 * (nq * k))(), (c_float * (nq * k))()
        lib.ecai_index_search_batch(ids, scores, self.handle, (c_float * len(flat)).from_buffer(flat), nq, k)
        return [[(ids[q * k + i], scores[q * k + i]) for i in range(k) if ids[q * k + i] >= 0]
                for q in range(nq)]

    def bind_embedder(self, embedder):
        lib.ecai_index_bind_embedder(self.handle, embedder.handle)

    def check_embedder(self, embedder):
        lib.ecai_index_check_embedder(self.handle, embedder.handle)

    def save(self, path):
        lib.ecai_index_save(self.handle, _path(path))


class Store(Handle):
    """Catalog + embedder + index kept in step and saved to one folder."""

    _free = "ecai_store_free"

    def __init__(self, ctx, _handle=None):
        super().__init__()
        self._ctx = ctx
        if _handle is None:
            _handle = c_void_p()
            lib.ecai_store_new(byref(_handle), ctx.handle)
        self._h = _handle
        self.catalog = Catalog(ctx, _handle=c_void_p(lib.ecai_store_catalog(self._h)), _owner=self)
        self.embedder = Embedder(ctx, _handle=c_void_p(lib.ecai_store_embedder(self._h)), _owner=self)

    @classmethod
    def open(cls, ctx, path):
        h = c_void_p()
        lib.ecai_store_open(byref(h), ctx.handle, _path(path))
        return cls(ctx, _handle=h)

    @property
    def index(self):
        h = lib.ecai_store_index(self.handle)
        return Index(self._ctx, _handle=c_void_p(h), _owner=self) if h else None

    def build(self, refit=False, progress=None):
        """Embeds new/changed products; returns how many were embedded."""
        out = c_size_t()
        if progress is None:
            cb = _PROGRESS_FN()
        else:
            def cb_impl(done, total, _p):
                try:
                    return 1 if progress(done, total) is False else 0
                except Exception:
                    return 1
            cb = _PROGRESS_FN(cb_impl)
        lib.ecai_store_build(byref(out), self.handle, 1 if refit else 0, cb, None)
        return out.value

    def search(self, query, k=10):
        """[{"id": sku, "score": float, "title": str}, ...] best first."""
        data, n = _lib.to_bytes(query)
        out, m = c_void_p(), c_size_t()
        lib.ecai_store_search(byref(out), byref(m), self.handle, data, n, k)
        return json.loads(_lib.take_string(out, m.value))["hits"]

    def save(self, path):
        lib.ecai_store_save(self.handle, _path(path))

    def update(self, sku, fields):
        """Changes one product now, without a rebuild: ``fields`` is a dict of "price",
        "in_stock" / "stock", "title", "description", "category", "brand" (None clears all
        but the title). The next query sees it; when the store was opened from a folder,
        every process that opened it does too (the folder's updates.journal). Nothing is
        changed on any error (NotFound for an unknown SKU, InvalidArgument or ParseError
        for bad fields, IOFailure when the journal cannot be written)."""
        if not isinstance(fields, dict):
            raise TypeError("fields must be a dict, not %s" % type(fields).__name__)
        data, _ = _lib.to_bytes(sku)
        lib.ecai_store_update_json(self.handle, data, json.dumps(fields).encode())

    def seal(self, on=True):
        """Seals (or with ``on=False`` unseals) the update journal of the folder this store
        was opened from, for compaction (ecai_store_seal): updates other processes committed
        are applied first; while sealed, ``update()`` on this store version fails in every
        process with InvalidState until the compacted version is published and opened.
        InvalidState when the store was not opened from a folder."""
        lib.ecai_store_seal(self.handle, 1 if on else 0)

    def close(self):
        for attr in ("catalog", "embedder"):
            sub = getattr(self, attr, None)
            if sub is not None:
                sub._h = None
        super().close()
