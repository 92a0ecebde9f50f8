"""Recommendations from order history, cart and browsing history (ecai_recommend).

    rec = ecai.Recommender.from_orders("orders.csv")      # CSV or .csv.gz; fits EASE
    rec.add_order("o-42", ["mug", "coffee"], customer="c7", ts=1700000000)
    for item in rec.recommend(cart=["mug"], history=["tea"], k=5):
        print(item["id"], item["score"], item["reason"])
    rec.save("model.bin"); rec2 = ecai.Recommender.load("model.bin")
"""
import json
from ctypes import (CFUNCTYPE, POINTER, byref, c_char_p, c_double, c_float, c_int, c_int64, c_size_t,
                    c_void_p)

from . import _lib
from ._lib import Handle, check, lib

OPT_MAX_ITEMS = 100
OPT_COLD_ORDERS = 101
OPT_EASE_LAMBDA = 200
OPT_MMR_LAMBDA = 201
OPT_W_EASE = 202
OPT_W_COOC = 203
OPT_W_CONTENT = 204
OPT_W_HISTORY = 205
OPT_HALF_LIFE_DAYS = 206
OPT_PRICE_RATIO = 207
OPT_W_REBUY = 208

_STOCK_FN = CFUNCTYPE(c_int, c_char_p, c_void_p)
_VEC_FN = CFUNCTYPE(c_int, POINTER(c_float), c_size_t, c_char_p, c_void_p)

_lib.register([
    ("ecai_recommend_new", [POINTER(c_void_p), c_void_p], c_int, check),
    ("ecai_recommend_free", [c_void_p], None, None),
    ("ecai_recommend_set_int", [c_void_p, c_int, c_int64], c_int, check),
    ("ecai_recommend_set_double", [c_void_p, c_int, c_double], c_int, check),
    ("ecai_recommend_load_orders", [c_void_p, c_char_p, c_int64], c_int, check),
    ("ecai_recommend_add_order", [c_void_p, c_char_p, c_char_p, c_int64, POINTER(c_char_p),
                                  POINTER(c_double), POINTER(c_double), c_size_t], c_int, check),
    ("ecai_recommend_set_item", [c_void_p, c_char_p, c_char_p, c_double], c_int, check),
    ("ecai_recommend_set_category", [c_void_p, c_char_p, c_char_p], c_int, check),
    ("ecai_recommend_fit", [c_void_p], c_int, check),
    ("ecai_recommend_set_content", [c_void_p, POINTER(c_char_p), POINTER(c_float), c_size_t, c_size_t],
     c_int, check),
    ("ecai_recommend_set_stock_fn", [c_void_p, _STOCK_FN, c_void_p], c_int, check),
    ("ecai_recommend_set_content_fn", [c_void_p, c_size_t, _VEC_FN, c_void_p], c_int, check),
    ("ecai_recommend_query", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_char_p, c_size_t],
     c_int, check),
    ("ecai_recommend_rerank", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_void_p, c_char_p, c_size_t],
     c_int, check),
    ("ecai_recommend_stats", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_recommend_save", [c_void_p, c_char_p], c_int, check),
    ("ecai_recommend_load", [POINTER(c_void_p), c_void_p, c_char_p], c_int, check),
    ("ecai_recommend_evaluate", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_char_p, c_int64,
                                 c_int64, c_size_t], c_int, check),
    ("ecai_recommend_parse_date", [POINTER(c_int64), c_char_p], c_int, check),
])


def _ctx_handle(ctx):
    return None if ctx is None else ctx.handle


def _ts(value):
    """Unix seconds from an int/float or a 'YYYY-MM-DD[THH:MM]' string."""
    if value is None:
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    out = c_int64()
    lib.ecai_recommend_parse_date(byref(out), str(value).encode())
    return out.value


def _ids(items):
    arr = (c_char_p * len(items))()
    for i, s in enumerate(items):
        arr[i] = s.encode("utf-8") if isinstance(s, str) else s
    return arr


class Recommender(Handle):
    """A recommender trained from orders (see include/ecai/recommend.h)."""

    _free = "ecai_recommend_free"

    def __init__(self, ctx=None, _handle=None):
        super().__init__()
        self._stock_cb = None
        self._vec_cb = None
        if _handle is not None:
            self._h = _handle
            return
        h = c_void_p()
        lib.ecai_recommend_new(byref(h), _ctx_handle(ctx))
        self._h = h

    @classmethod
    def from_orders(cls, path, ctx=None, before=None, fit=True):
        """Loads an orders CSV (gzip accepted); orders dated before ``before`` only, when given."""
        rec = cls(ctx)
        try:
            rec.load_orders(path, before)
            if fit:
                rec.fit()
        except BaseException:
            rec.close()
            raise
        return rec

    @classmethod
    def load(cls, path, ctx=None):
        """Loads a model written by save()."""
        h = c_void_p()
        lib.ecai_recommend_load(byref(h), _ctx_handle(ctx), str(path).encode())
        return cls(_handle=h)

    def load_orders(self, path, before=None):
        lib.ecai_recommend_load_orders(self.handle, str(path).encode(), _ts(before))

    def add_order(self, order_id, products, customer=None, ts=0, quantities=None, prices=None):
        """Adds one order (or more lines of a known order id); co-occurrence updates immediately."""
        products = list(products)
        n = len(products)
        q = (c_double * n)(*quantities) if quantities is not None else None
        p = (c_double * n)(*prices) if prices is not None else None
        lib.ecai_recommend_add_order(self.handle, order_id.encode(), customer.encode() if customer else None,
                                     _ts(ts), _ids(products), q, p, n)

    def set_item(self, product_id, title=None, price=-1.0):
        lib.ecai_recommend_set_item(self.handle, product_id.encode(), title.encode() if title else None,
                                    float(price))

    def set_category(self, product_id, category):
        """Sets (or with None / "" clears) a product's category path, e.g. "Kitchen > Mugs".
        Requests filter with categories=[...] / exclude_categories=[...] (path prefixes)."""
        lib.ecai_recommend_set_category(self.handle, product_id.encode(),
                                        category.encode() if category else None)

    def set_option(self, opt, value):
        if 100 <= opt < 200:
            lib.ecai_recommend_set_int(self.handle, opt, int(value))
        else:
            lib.ecai_recommend_set_double(self.handle, opt, float(value))

    def fit(self):
        """(Re)fits the EASE model."""
        lib.ecai_recommend_fit(self.handle)

    def set_content(self, ids, vectors):
        """Content vectors: ``ids`` (n strings) and ``vectors`` (n rows of dim floats)."""
        ids = list(ids)
        rows = [list(map(float, v)) for v in vectors]
        if len(rows) != len(ids) or not rows:
            raise ValueError("ids and vectors must be non-empty and of the same length")
        dim = len(rows[0])
        if any(len(r) != dim for r in rows):
            raise ValueError("all vectors must have the same dimension")
        flat = (c_float * (dim * len(rows)))(*[x for r in rows for x in r])
        lib.ecai_recommend_set_content(self.handle, _ids(ids), flat, len(rows), dim)

    def set_content_fn(self, dim, fn):
        """``fn(product_id) -> sequence of dim floats or None`` supplies content vectors
        (e.g. from an embedder); None restores the built-in title vectors."""
        if fn is None:
            lib.ecai_recommend_set_content_fn(self.handle, 0, _VEC_FN(), None)
            self._vec_cb = None
            return

        def impl(out, n, pid, _payload):
            try:
                v = fn(pid.decode("utf-8"))
                if v is None or len(v) != n:
                    return 0
                for i, x in enumerate(v):
                    out[i] = float(x)
                return 1
            except Exception:  # never let an exception cross into C
                return 0
        cb = _VEC_FN(impl)
        self._vec_cb = cb  # keep alive while C may call it
        lib.ecai_recommend_set_content_fn(self.handle, int(dim), cb, None)

    def set_stock_filter(self, fn):
        """``fn(product_id) -> bool`` says whether a product may be recommended; None removes it."""
        if fn is None:
            cb = _STOCK_FN()
        else:
            def impl(pid, _payload):
                try:
                    return 1 if fn(pid.decode("utf-8")) else 0
                except Exception:  # never let an exception cross into C
                    return 0
            cb = _STOCK_FN(impl)
        lib.ecai_recommend_set_stock_fn(self.handle, cb, None)
        self._stock_cb = cb  # keep alive while C may call it

    def query(self, request):
        """Raw request (dict or JSON string) -> reply dict."""
        if not isinstance(request, (str, bytes)):
            request = json.dumps(request)
        data, n = _lib.to_bytes(request)
        out, ln = c_void_p(), c_size_t()
        lib.ecai_recommend_query(byref(out), byref(ln), self.handle, data, n)
        return json.loads(_lib.take_string(out, ln.value))

    def recommend(self, cart=(), history=(), k=10, strategy="mixed", customer=None, **extra):
        """Returns a list of dicts {"id", "score", "reason"[, "title"]}. ``customer``: that
        customer's own orders count as purchase history (re-orders allowed); an unknown
        customer leaves the cart (or popularity) to decide."""
        req = {"cart": list(cart), "history": list(history), "k": int(k), "strategy": strategy}
        if customer is not None:
            req["customer"] = str(customer)
        req.update(extra)
        return self.query(req)["items"]

    def bundles(self, cart=(), k=3, customer=None, **extra):
        """Sets of 2-3 products bought together with the cart: a list of dicts {"items": [{"id",
        "title", "price"}], "price": combined (None when a price is unknown), "orders", "score",
        "reason"}, best supported first."""
        req = {"cart": list(cart), "k": int(k), "strategy": "bundle"}
        if customer is not None:
            req["customer"] = str(customer)
        req.update(extra)
        return self.query(req)["bundles"]

    def trending(self, k=10, now=None, **extra):
        """Products whose orders in the last 28 days rise against their own past (empty carts,
        new visitors); ``now`` (Unix time or datetime) moves the window, default: the newest order."""
        req = {"k": int(k), "strategy": "trending"}
        if now is not None:
            req["now"] = _ts(now)
        req.update(extra)
        return self.query(req)["items"]

    def rerank(self, llm, request):
        """Like query(), then an ``ecai.LLM`` reorders the candidates (ids outside them are
        dropped); on any LLM failure the plain ranking comes back. The result has an "llm"
        member: {"used": True, "dropped": n, ...} or {"used": False, "error": "..."}."""
        data, n = _lib.to_bytes(request if isinstance(request, (str, bytes)) else json.dumps(request))
        out, ln = c_void_p(), c_size_t()
        lib.ecai_recommend_rerank(byref(out), byref(ln), self.handle, llm.handle, data, n)
        return json.loads(_lib.take_string(out, ln.value))

    def stats(self):
        out, ln = c_void_p(), c_size_t()
        lib.ecai_recommend_stats(byref(out), byref(ln), self.handle)
        return json.loads(_lib.take_string(out, ln.value))

    def save(self, path):
        lib.ecai_recommend_save(self.handle, str(path).encode())


def evaluate(path, train_before, test_before, k=10, ctx=None):
    """Hide-one-item evaluation of the recommenders on a transactions file (dict report)."""
    out, ln = c_void_p(), c_size_t()
    lib.ecai_recommend_evaluate(byref(out), byref(ln), _ctx_handle(ctx), str(path).encode(),
                                _ts(train_before), _ts(test_before), int(k))
    return json.loads(_lib.take_string(out, ln.value))
