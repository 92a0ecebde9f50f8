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


def test_rules_and_synonyms(store, tmp_path):
    with ecai.Search(store) as s:
        s.set_rules({"rules": [{"query": "sofa", "pin": ["T-1"], "bury": ["S-2"], "hide": ["S-3"]}],
                     "synonyms": [{"from": "settee", "to": ["loveseat"]}, ["lamp", "fan"]]})
        r = s.query("sofa", mode="bm25")
        assert [h["id"] for h in r["hits"]] == ["T-1", "S-1", "S-2"]
        assert r["hits"][0]["why"] == "pinned by a merchandising rule"
        r = s.query("settee", mode="bm25")
        assert [h["id"] for h in r["hits"]] == ["S-2"] and "loveseat (synonym of settee)" in r["hits"][0]["why"]
        with pytest.raises(ecai.InvalidArgument) as e:
            s.set_rules([{"query": "sofa", "hide": ["NOPE-1"]}])
        assert '"NOPE-1"' in str(e.value)
        with pytest.raises(ecai.InvalidArgument):
            s.set_rules('[{"query": "sofa", "pin": ["S-1"], "hide": ["S-1"]}]')
        assert s.query("sofa", mode="bm25")["hits"][0]["id"] == "T-1"  # nothing half-applied
        d = tmp_path / "state"
        store.save(str(d))
        s.save(str(d))
        assert (d / "rules.json").exists()
        with ecai.Search.open(store, str(d)) as s2:
            assert s2.query("sofa", mode="bm25")["hits"][0]["id"] == "T-1"
        s.set_rules(None)
        assert [h["id"] for h in s.query("sofa", mode="bm25")["hits"]] == ["S-2", "S-3", "S-1"]


def test_popularity(store, tmp_path):
    with ecai.Search(store) as s:
        assert [h["id"] for h in s.query("sofa", mode="bm25", sort="popularity")["hits"]] == ["S-2", "S-3", "S-1"]
        f = tmp_path / "counts.csv"
        f.write_text("sku,count\nS-1,5\nS-3,2\nGONE,1\n")
        assert s.set_popularity(str(f)) == 2
        assert [h["id"] for h in s.query("sofa", mode="bm25", sort="popularity")["hits"]] == ["S-1", "S-3", "S-2"]
        bad = tmp_path / "bad.csv"
        bad.write_text("sku,count\nS-1,many\n")
        with pytest.raises(ecai.EcaiError):
            s.set_popularity(str(bad))
        assert s.query("sofa", mode="bm25", sort="popularity")["hits"][0]["id"] == "S-1"
        assert s.set_popularity(None) == 0
