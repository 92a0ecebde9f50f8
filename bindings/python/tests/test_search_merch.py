"""Search as you type, sort, paging, highlights (issue 18) through the Python binding."""
import os

import pytest

import ecai
from conftest import ROOT

CATALOG = os.path.join(ROOT, "tests", "data", "search_catalog.jsonl")


@pytest.fixture
def store():
    with ecai.Context() as ctx, ecai.Store(ctx) as st:
        st.catalog.load(CATALOG)
        st.build()
        yield st


def test_prefix_sort_paging_highlight(store):
    with ecai.Search(store) as s:
        r = s.query("memory fo", k=1, mode="bm25", prefix=True, highlight=True)
        assert r["hits"][0]["id"] == "M-1"
        assert r["hits"][0]["highlight"]["title"] == "<em>Memory</em> <em>foam</em> mattress queen"
        span = r["hits"][0]["highlight"]["spans"][1]
        assert "Memory foam mattress queen".encode()[span["start"]:span["start"] + span["len"]] == b"foam"
        assert s.query("", prefix=True)["total"] == 0
        prices = {"S-1": 499, "S-2": 299, "S-3": 1299}
        r = s.query("sofa", sort="price_asc")
        assert [h["id"] for h in r["hits"]] == sorted(prices, key=prices.get) and r["sort"] == "price_asc"
        assert [h["id"] for h in s.query("sofa", sort="price_desc")["hits"]] == ["S-3", "S-1", "S-2"]
        full = [h["id"] for h in s.query("table lamp", k=4)["hits"]]
        pages = [h["id"] for o in (0, 2) for h in s.query("table lamp", k=2, offset=o)["hits"]]
        assert pages == full
        r = s.query("sofa", sort="price_asc", offset=50)
        assert r["hits"] == [] and r["total"] == 3
        with pytest.raises(ecai.InvalidArgument):
            s.query("sofa", sort="cheap")
        with pytest.raises(ecai.InvalidArgument):
            s.query("sofa", offset=-1)
