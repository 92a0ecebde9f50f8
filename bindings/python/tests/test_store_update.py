"""Store.update: live price, stock and text changes seen by the next query, in this process
and in another one that opened the same folder; bad input changes nothing."""
import json
import math
import os

import pytest

import ecai
from conftest import ROOT

CATALOG = os.path.join(ROOT, "tests", "data", "search_catalog.jsonl")
CHEAP = {"price_max": 300}


def ids(result):
    return [h["id"] for h in result["hits"]]


def price(store, sku):
    return store.catalog.get(sku)["price"]


@pytest.fixture
def ctx():
    with ecai.Context() as c:
        yield c


@pytest.fixture
def saved(ctx, tmp_path):
    """A store of the search fixture saved with its search index in tmp_path/store."""
    d = tmp_path / "store"
    with ecai.Store(ctx) as st:
        st.catalog.load(CATALOG)
        st.build()
        st.save(d)
        with ecai.Search(st) as s:
            s.save(d)
    return d


def test_price_change_seen_by_next_filtered_query(ctx, saved):
    with ecai.Store.open(ctx, saved) as st, ecai.Search.open(st, saved) as s:
        assert "S-1" not in ids(s.query("sofa", filters=CHEAP))
        st.update("S-1", {"price": 249.5})
        assert "S-1" in ids(s.query("sofa", filters=CHEAP))
        assert price(st, "S-1") == 249.5
        assert "S-3" not in ids(s.query("sofa", filters={"in_stock": True}))
        st.update("S-3", {"stock": 4})
        assert "S-3" in ids(s.query("sofa", filters={"in_stock": True}))


def test_text_change_found_by_keyword_search(ctx, saved):
    with ecai.Store.open(ctx, saved) as st, ecai.Search.open(st, saved) as s:
        assert "T-2" not in ids(s.query("brass", mode="bm25"))
        st.update("T-2", {"title": "Brass side table", "description": "Tempered top", "brand": None})
        r = s.query("brass", mode="bm25")
        assert "T-2" in ids(r) and "L-1" in ids(r)
        assert ids(s.query("glass", mode="bm25")) == []
        assert st.search("Brass side table", k=1)[0]["id"] == "T-2"
        st.update("M-2", {"description": "Qwertyfoam pocket springs"})  # a word new to the index
        assert ids(s.query("qwertyfoam", mode="bm25")) == ["M-2"]


def test_update_from_another_process_is_seen(ctx, saved):
    """An admin job (another process) changes a price; this process's next query sees it."""
    with ecai.Store.open(ctx, saved) as st, ecai.Search.open(st, saved) as s:
        assert "S-1" not in ids(s.query("sofa", filters=CHEAP))
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                with ecai.Context() as c2, ecai.Store.open(c2, saved) as other:
                    other.update("S-1", {"price": 199})
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert "S-1" in ids(s.query("sofa", filters=CHEAP))
        assert price(st, "S-1") == 199
        assert (saved / "updates.journal").exists()


def test_bad_updates_change_nothing(ctx, saved):
    with ecai.Store.open(ctx, saved) as st:
        with pytest.raises(ecai.NotFound, match="no product with SKU 'NOPE'"):
            st.update("NOPE", {"price": 1})
        with pytest.raises(ecai.ParseError, match="NaN and Infinity"):
            st.update("S-1", {"price": math.nan})
        with pytest.raises(ecai.ParseError):
            st.update("S-1", {"price": math.inf})
        with pytest.raises(ecai.InvalidArgument, match="finite and >= 0"):
            st.update("S-1", {"price": -3})
        with pytest.raises(ecai.InvalidArgument, match='unknown field "colour"'):
            st.update("S-1", {"price": 5, "colour": "red"})
        with pytest.raises(ecai.InvalidArgument):
            st.update("S-1", {"price": "cheap"})
        with pytest.raises(ecai.InvalidArgument):
            st.update("S-1", {"title": ""})
        with pytest.raises(ecai.InvalidArgument, match="max_field_bytes"):
            st.update("S-1", {"description": "x" * (2 << 20)})
        with pytest.raises(ecai.ParseError):
            st.update(b"S-\xff", {"price": 1})
        with pytest.raises(TypeError):
            st.update("S-1", [("price", 1)])
        assert price(st, "S-1") == 499
        assert st.catalog.get("S-1")["title"] == "Grey 3-seater sofa"
        assert not (saved / "updates.journal").exists()  # nothing was written either


def test_store_in_memory_updates_without_a_folder(ctx):
    with ecai.Store(ctx) as st:
        st.catalog.load(CATALOG)
        st.build()
        with ecai.Search(st) as s:
            st.update("M-2", {"price": 1000})
            assert ids(s.query("mattress", mode="bm25", filters={"price_min": 900})) == ["M-2"]
        assert json.loads(json.dumps(st.catalog.get("M-2")))["price"] == 1000


def test_seal_applies_others_updates_then_refuses_updates_until_unsealed(ctx, saved, tmp_path):
    """Compaction: the compacting handle seals the journal, saves a new version holding every
    update (no journal), and updates through the old version fail until it is unsealed."""
    writer, compactor = ecai.Store.open(ctx, saved), ecai.Store.open(ctx, saved)
    writer.update("S-1", {"price": 111})
    assert price(compactor, "S-1") == 499
    compactor.seal()
    assert price(compactor, "S-1") == 111
    with pytest.raises(ecai.InvalidState, match="sealed"):
        writer.update("S-2", {"price": 222})
    assert price(writer, "S-2") == 299
    compactor.save(tmp_path / "v2")
    assert not (tmp_path / "v2" / "updates.journal").exists()
    with ecai.Store.open(ctx, tmp_path / "v2") as back:
        assert price(back, "S-1") == 111
    compactor.seal(False)
    writer.update("S-2", {"price": 222})
    assert price(writer, "S-2") == 222
    writer.close()
    compactor.close()
    with ecai.Store(ctx) as mem:
        with pytest.raises(ecai.InvalidState, match="not opened from a folder"):
            mem.seal()
