"""Hybrid product search (BM25F keywords + vectors) over a Store, with filters and eval.

    import ecai
    with ecai.Context() as ctx, ecai.Store(ctx) as store:
        store.catalog.load("products.jsonl")
        store.build()
        with ecai.Search(store) as s:
            r = s.query("grey sofa", k=5, filters={"category": "Furniture", "price_max": 500})
            for hit in r["hits"]:
                print(hit["id"], hit["score"], hit["why"])
            print(s.evaluate("queries.tsv", "labels.tsv", mode="hybrid"))
            s.learn("queries.tsv", "labels.tsv", split="tune")  # learning to rank
            print(s.evaluate("queries.tsv", "labels.tsv", split="test"))
"""
import json
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_void_p

from . import _lib
from ._lib import Handle, check, lib

_lib.register([
    ("ecai_search_new", [POINTER(c_void_p), c_void_p], c_int, check),
    ("ecai_search_free", [c_void_p], None, None),
    ("ecai_search_save", [c_void_p, c_char_p], c_int, check),
    ("ecai_search_open", [POINTER(c_void_p), c_void_p, c_char_p], c_int, check),
    ("ecai_search_query", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_char_p, c_size_t, c_char_p],
     c_int, check),
    ("ecai_search_eval", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_char_p, c_char_p, c_char_p],
     c_int, check),
    ("ecai_search_learn", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_char_p, c_char_p, c_char_p,
                           c_char_p], c_int, check),
    ("ecai_search_set_rules_json", [c_void_p, c_char_p, c_size_t], c_int, check),
    ("ecai_search_set_popularity_csv", [c_void_p, c_char_p, POINTER(c_size_t)], c_int, check),
])

MODES = ("bm25", "vector", "hybrid")


def _p(path):
    return str(path).encode()


class Search(Handle):
    """A search engine over a Store (keeps the store alive)."""

    _free = "ecai_search_free"

    def __init__(self, store, _handle=None):
        super().__init__()
        self._store = store
        if _handle is None:
            _handle = c_void_p()
            lib.ecai_search_new(byref(_handle), store.handle)
        self._h = _handle

    @classmethod
    def open(cls, store, path):
        """Opens PATH/search.bin written by save() for a store opened from PATH."""
        h = c_void_p()
        lib.ecai_search_open(byref(h), store.handle, _p(path))
        return cls(store, _handle=h)

    def save(self, path):
        """Writes PATH/search.bin (call after store.save(PATH))."""
        lib.ecai_search_save(self.handle, _p(path))

    def query(self, text, k=10, mode=None, fusion=None, filters=None, typo=None, prefix=None, sort=None,
              offset=None, highlight=None, rerank=None):
        """Returns the result dict: hits (id, score, title, why[, highlight]), facets,
        corrected, confidence, no_confident_match, total, learnt. prefix=True: the last word
        is the start of a word (as you type); sort: relevance|price_asc|price_desc|popularity|
        newest; offset: hits skipped (paging); highlight=True: matched spans of each title;
        learnt: a learnt ranker reordered the hits (rerank=False switches it off)."""
        opts = {"k": int(k)}
        for key, v in (("prefix", prefix), ("highlight", highlight), ("rerank", rerank)):
            if v is not None:
                opts[key] = bool(v)
        if sort is not None:
            opts["sort"] = sort
        if offset is not None:
            opts["offset"] = int(offset)
        if mode is not None:
            opts["mode"] = mode
        if fusion is not None:
            opts["fusion"] = fusion
        if filters:
            opts["filters"] = filters
        if typo is not None:
            opts["typo"] = bool(typo)
        q = text.encode("utf-8")
        out, n = c_void_p(), c_size_t()
        lib.ecai_search_query(byref(out), byref(n), self.handle, q, len(q), json.dumps(opts).encode())
        return json.loads(_lib.take_string(out, n.value))

    def set_rules(self, rules):
        """Sets the shop's merchandising rules and synonyms (ecai_search_set_rules_json):
        a list of rules ({"query", "match", "pin", "boost", "bury", "hide"}), a dict
        {"rules": [...], "synonyms": [...]}, or the same as a JSON string; None clears them.
        Bad rules raise InvalidArgument and leave the previous ones; save() keeps them."""
        if rules is None:
            lib.ecai_search_set_rules_json(self.handle, None, 0)
            return
        js = (rules if isinstance(rules, str) else json.dumps(rules)).encode("utf-8")
        lib.ecai_search_set_rules_json(self.handle, js, len(js))

    def set_popularity(self, path):
        """Product popularity from an orders CSV (the recommender's layout, or "sku,count"
        lines; ecai_search_set_popularity_csv): the sort="popularity" key and, with
        search.w_popularity > 0, a ranking feature. None clears. Returns the number of
        catalog products with a count."""
        n = c_size_t()
        lib.ecai_search_set_popularity_csv(self.handle, None if path is None else _p(path), byref(n))
        return n.value

    def evaluate(self, queries, labels, mode=None, fusion=None, split=None):
        """nDCG@10, MRR@10, recall@100 on judged queries (TSV files, .gz accepted)."""
        opts = {}
        if mode is not None:
            opts["mode"] = mode
        if fusion is not None:
            opts["fusion"] = fusion
        if split is not None:
            opts["split"] = split
        out, n = c_void_p(), c_size_t()
        lib.ecai_search_eval(byref(out), byref(n), self.handle, _p(queries), _p(labels), json.dumps(opts).encode())
        return json.loads(_lib.take_string(out, n.value))

    def learn(self, queries, labels, path=None, counts=False, split=None, **options):
        """Learns to rank from judged queries (TSV files: query_id, query / query_id,
        product_id, grade 1..3; counts=True: click or purchase counts instead) and uses the
        ranker from now on; saves it as PATH/ranker.bin when PATH is given (a store folder,
        loaded again by Search.open). split="tune"|"test" learns from one half of the
        queries. Other options (candidates, rounds, eta, max_depth, threads, min_queries) as
        ecai_search_learn(). Returns the report dict."""
        opts = dict(options)
        if counts:
            opts["labels"] = "counts"
        if split is not None:
            opts["split"] = split
        out, n = c_void_p(), c_size_t()
        lib.ecai_search_learn(byref(out), byref(n), self.handle, None if path is None else _p(path), _p(queries),
                              _p(labels), json.dumps(opts).encode())
        return json.loads(_lib.take_string(out, n.value))
