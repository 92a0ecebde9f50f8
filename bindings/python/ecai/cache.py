"""Caches: the exact cache (in-process or Redis) and the semantic cache.

    import ecai
    with ecai.Context() as ctx, ecai.Cache(ctx) as c:
        k = ecai.cache_key_json({"model": "m", "messages": [...]})
        if c.get(k) is None:
            c.put(k, b"answer", ttl_ms=60000, tags=["faq"],
                  products=[("SKU-1", "price=9.99;stock=3")], saved_tokens=800, saved_cost=0.01)
        c.invalidate_product("SKU-1", ecai.fact_hash("price=8.99;stock=3"))

    with ecai.SemanticCache(ctx) as sc:          # builtin text vectors (dim 0)
        sc.put_text("support:en", "How do I reset my password?", b"...")
        sc.lookup_text("support:en", "how can i reset my password")   # -> (bytes, score) or None
"""
import ctypes
import json
import math
from ctypes import POINTER, byref, c_char_p, c_double, c_float, c_int, c_int64, c_size_t, c_uint64, c_void_p

from . import _lib
from ._lib import Handle, InvalidArgument, NotFound, check, lib

KEY_SIZE = 16
_Key = ctypes.c_uint8 * KEY_SIZE

OPT_MAX_ENTRIES, OPT_VERIFY, OPT_THRESHOLD, OPT_WORD_MISMATCH = 100, 101, 200, 201

_lib.register([
    ("ecai_cache_new", [POINTER(c_void_p), c_void_p], c_int, check),
    ("ecai_cache_free", [c_void_p], None, None),
    ("ecai_cache_key_from_bytes", [_Key, c_char_p, c_size_t], c_int, check),
    ("ecai_cache_key_from_json", [_Key, c_char_p, c_size_t], c_int, check),
    ("ecai_cache_fact_hash", [c_char_p, c_size_t], c_uint64, None),
    ("ecai_cache_put", [c_void_p, _Key, c_char_p, c_size_t, c_int64, c_char_p], c_int, check),
    ("ecai_cache_get", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, _Key], c_int, None),
    ("ecai_cache_delete", [c_void_p, _Key], c_int, check),
    ("ecai_cache_invalidate_tag", [POINTER(c_size_t), c_void_p, c_char_p], c_int, check),
    ("ecai_cache_invalidate_product", [POINTER(c_size_t), c_void_p, c_char_p, c_uint64], c_int, check),
    ("ecai_cache_clear", [c_void_p], c_int, check),
    ("ecai_cache_stats_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_cache_save", [c_void_p, c_char_p], c_int, check),
    ("ecai_cache_load", [POINTER(c_size_t), c_void_p, c_char_p], c_int, check),
    ("ecai_cache_counter_add", [POINTER(c_double), c_void_p, c_char_p, c_double, c_int64], c_int, check),
    ("ecai_semcache_new", [POINTER(c_void_p), c_void_p, c_size_t], c_int, check),
    ("ecai_semcache_free", [c_void_p], None, None),
    ("ecai_semcache_set_int", [c_void_p, c_int, c_int64], c_int, check),
    ("ecai_semcache_set_double", [c_void_p, c_int, c_double], c_int, check),
    ("ecai_semcache_put", [c_void_p, c_char_p, POINTER(c_float), c_size_t, c_char_p, c_size_t, c_char_p,
                           c_size_t], c_int, check),
    ("ecai_semcache_lookup", [POINTER(c_void_p), POINTER(c_size_t), POINTER(c_float), c_void_p, c_char_p,
                              POINTER(c_float), c_size_t, c_char_p, c_size_t], c_int, None),
    ("ecai_semcache_put_text", [c_void_p, c_char_p, c_char_p, c_size_t, c_char_p, c_size_t], c_int, check),
    ("ecai_semcache_lookup_text", [POINTER(c_void_p), POINTER(c_size_t), POINTER(c_float), c_void_p, c_char_p,
                                   c_char_p, c_size_t], c_int, None),
    ("ecai_semcache_verify", [POINTER(c_int), c_char_p, c_size_t, c_char_p, c_size_t], c_int, check),
    ("ecai_semcache_stats_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_semcache_save", [c_void_p, c_char_p], c_int, check),
    ("ecai_semcache_load", [POINTER(c_size_t), c_void_p, c_char_p], c_int, check),
])

_NOTFOUND = -4


def _bytes(v):
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    raise TypeError("expected str or bytes, got %s" % type(v).__name__)


def _take_bytes(p, n):
    try:
        return ctypes.string_at(p.value, n.value) if p.value else None
    finally:
        lib.ecai_free(p)


def cache_key(data):
    """16-byte key of raw bytes (XXH3-128)."""
    b = _bytes(data)
    k = _Key()
    lib.ecai_cache_key_from_bytes(k, b, len(b))
    return bytes(k)


def cache_key_json(request):
    """16-byte key of a JSON request (dict or JSON text), canonicalised: key order and
    whitespace do not matter."""
    text = json.dumps(request) if not isinstance(request, (str, bytes)) else request
    b = _bytes(text)
    k = _Key()
    lib.ecai_cache_key_from_json(k, b, len(b))
    return bytes(k)


def fact_hash(facts):
    """Hash of the product facts an answer used (for products= and invalidate_product)."""
    b = _bytes(facts)
    return lib.ecai_cache_fact_hash(b, len(b))


def semantic_verify(a, b):
    """True when two questions may share an answer (numbers, codes, negation, verbs)."""
    x, y = _bytes(a), _bytes(b)
    ok = c_int()
    lib.ecai_semcache_verify(byref(ok), x, len(x), y, len(y))
    return bool(ok.value)


def _key(k):
    if isinstance(k, (bytes, bytearray)) and len(k) == KEY_SIZE:
        return _Key.from_buffer_copy(bytes(k))
    if isinstance(k, (str, bytes, bytearray)):
        return _Key.from_buffer_copy(cache_key(k))
    raise TypeError("a cache key is 16 bytes or a str/bytes to hash")


class Cache(Handle):
    """The exact cache. Keys: 16-byte keys from cache_key()/cache_key_json(), or any str
    or other bytes (hashed with cache_key()). Values: bytes (str is UTF-8 encoded).
    The backend ("memory" or "redis") comes from the context's cache.backend."""

    _free = "ecai_cache_free"

    def __init__(self, ctx):
        super().__init__()
        self._ctx = ctx  # the context must outlive the cache
        h = c_void_p()
        lib.ecai_cache_new(byref(h), ctx.handle)
        self._h = h

    def put(self, key, value, ttl_ms=0, tags=None, products=None, expires_at_ms=None, saved_tokens=None,
            saved_cost=None):
        """Stores value. ttl_ms 0 = cache.ttl_s, -1 = never. products: iterable of
        (sku, facts_str) or (sku, fact_hash_int)."""
        meta = {}
        if tags:
            meta["tags"] = list(tags)
        if products:
            ps = []
            for sku, f in products:
                if isinstance(f, int):
                    ps.append({"sku": sku, "fact_hash": "%016x" % f})
                else:
                    ps.append({"sku": sku, "facts": f})
            meta["products"] = ps
        if expires_at_ms is not None:
            meta["expires_at_ms"] = int(expires_at_ms)
        if saved_tokens is not None:
            meta["saved_tokens"] = int(saved_tokens)
        if saved_cost is not None:
            meta["saved_cost"] = float(saved_cost)
        v = _bytes(value)
        lib.ecai_cache_put(self.handle, _key(key), v, len(v), int(ttl_ms),
                           json.dumps(meta).encode() if meta else None)

    def get(self, key, default=None):
        """The value as bytes, or default on a miss."""
        out, n = c_void_p(), c_size_t()
        st = lib.ecai_cache_get(byref(out), byref(n), self.handle, _key(key))
        if st == _NOTFOUND:
            return default
        if st != 0:
            _lib.raise_for(st)
        return _take_bytes(out, n)

    def __contains__(self, key):
        return self.get(key) is not None

    def delete(self, key):
        lib.ecai_cache_delete(self.handle, _key(key))

    def invalidate_tag(self, tag):
        n = c_size_t()
        lib.ecai_cache_invalidate_tag(byref(n), self.handle, tag.encode())
        return n.value

    def invalidate_product(self, sku, new_facts):
        """Drops entries that used other facts for sku; new_facts: str or fact hash int."""
        h = new_facts if isinstance(new_facts, int) else fact_hash(new_facts)
        n = c_size_t()
        lib.ecai_cache_invalidate_product(byref(n), self.handle, sku.encode(), h)
        return n.value

    def clear(self):
        lib.ecai_cache_clear(self.handle)

    def stats(self):
        out, n = c_void_p(), c_size_t()
        lib.ecai_cache_stats_json(byref(out), byref(n), self.handle)
        return json.loads(_lib.take_string(out, n.value))

    def save(self, path):
        lib.ecai_cache_save(self.handle, str(path).encode())

    def load(self, path):
        n = c_size_t()
        lib.ecai_cache_load(byref(n), self.handle, str(path).encode())
        return n.value

    def counter_add(self, name, delta, window_s=0):
        """Adds to a shared counter (Redis: across servers); returns the new total."""
        t = c_double()
        lib.ecai_cache_counter_add(byref(t), self.handle, name.encode(), float(delta), int(window_s))
        return t.value


class SemanticCache(Handle):
    """The semantic cache. dim=0 uses the builtin text vectors (put_text/lookup_text);
    otherwise pass vectors of dim floats to put/lookup."""

    _free = "ecai_semcache_free"

    def __init__(self, ctx, dim=0, threshold=None, verify=None, max_entries=None, word_mismatch=None):
        super().__init__()
        self._ctx = ctx
        self.dim = dim
        h = c_void_p()
        lib.ecai_semcache_new(byref(h), ctx.handle, dim)
        self._h = h
        if threshold is not None:
            self.threshold = threshold
        if verify is not None:
            self.verify = verify
        if max_entries is not None:
            lib.ecai_semcache_set_int(self.handle, OPT_MAX_ENTRIES, int(max_entries))
        if word_mismatch is not None:
            self.word_mismatch = word_mismatch

    @property
    def threshold(self):
        return self.stats()["threshold"]

    @threshold.setter
    def threshold(self, v):
        lib.ecai_semcache_set_double(self.handle, OPT_THRESHOLD, float(v))

    @property
    def verify(self):
        return self.stats()["verify"]

    @verify.setter
    def verify(self, on):
        lib.ecai_semcache_set_int(self.handle, OPT_VERIFY, 1 if on else 0)

    @property
    def word_mismatch(self):
        """Verification's content-word rule: the largest IDF-weighted share of content words
        only one of the two questions has (1.0 turns the rule off)."""
        return self.stats()["word_mismatch"]

    @word_mismatch.setter
    def word_mismatch(self, v):
        lib.ecai_semcache_set_double(self.handle, OPT_WORD_MISMATCH, float(v))

    def save(self, path):
        """Saves every entry to path atomically (temporary file, fsync, rename)."""
        lib.ecai_semcache_save(self.handle, str(path).encode())

    def load(self, path):
        """Adds the entries saved in path; returns how many. Raises Corrupt for a damaged
        file (nothing loaded), NotFound when there is no file."""
        n = c_size_t()
        lib.ecai_semcache_load(byref(n), self.handle, str(path).encode())
        return n.value

    def _vec(self, vec):
        vals = list(vec)
        if len(vals) != self.dim:
            raise InvalidArgument(-2, "vector has %d dimensions, the cache %d" % (len(vals), self.dim))
        return (c_float * len(vals))(*vals), len(vals)

    def put(self, partition, vector, query, value):
        v, n = self._vec(vector)
        q, val = _bytes(query), _bytes(value)
        lib.ecai_semcache_put(self.handle, partition.encode(), v, n, q, len(q), val, len(val))

    def lookup(self, partition, vector, query):
        """(value_bytes, score) for a verified hit, or None."""
        v, n = self._vec(vector)
        q = _bytes(query)
        out, ln, sc = c_void_p(), c_size_t(), c_float()
        st = lib.ecai_semcache_lookup(byref(out), byref(ln), byref(sc), self.handle, partition.encode(), v, n, q,
                                      len(q))
        return self._result(st, out, ln, sc)

    def put_text(self, partition, query, value):
        q, val = _bytes(query), _bytes(value)
        lib.ecai_semcache_put_text(self.handle, partition.encode(), q, len(q), val, len(val))

    def lookup_text(self, partition, query):
        q = _bytes(query)
        out, ln, sc = c_void_p(), c_size_t(), c_float()
        st = lib.ecai_semcache_lookup_text(byref(out), byref(ln), byref(sc), self.handle, partition.encode(), q,
                                           len(q))
        return self._result(st, out, ln, sc)

    @staticmethod
    def _result(st, out, ln, sc):
        if st == _NOTFOUND:
            return None
        if st != 0:
            _lib.raise_for(st)
        return _take_bytes(out, ln), sc.value

    def stats(self):
        out, n = c_void_p(), c_size_t()
        lib.ecai_semcache_stats_json(byref(out), byref(n), self.handle)
        return json.loads(_lib.take_string(out, n.value))
