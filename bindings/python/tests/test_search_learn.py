"""Search.learn: learning to rank on the fixture tests/data/ltr_* (tests/data/tools/gen_ltr.py):
the judges like W-30..W-39, which the unlearnt ranking puts last; the check queries are unseen."""
import os

import pytest

import ecai
from conftest import ROOT

DATA = os.path.join(ROOT, "tests", "data")
FAST = {"min_queries": 5, "rounds": 30}


def p(name):
    return os.path.join(DATA, name)


@pytest.fixture
def store():
    with ecai.Context() as ctx, ecai.Store(ctx) as st:
        st.catalog.load(p("ltr_catalog.jsonl"))
        st.build()
        yield st


def check(s, **kw):
    return s.evaluate(p("ltr_check_queries.tsv"), p("ltr_check_labels.tsv"), **kw)["ndcg@10"]


def test_learn_save_open_rerank(store, tmp_path):
    d = str(tmp_path / "state")
    store.save(d)
    with ecai.Search(store) as s:
        s.save(d)
        before = check(s)
        assert s.query("blue widget kit")["learnt"] is False
        rep = s.learn(p("ltr_queries.tsv"), p("ltr_labels.tsv"), d, **FAST)
        assert (rep["queries"], rep["judgments"], rep["learnt_from"]) == (24, 480, 24)
        assert rep["file"] == d + "/ranker.bin" and os.path.exists(rep["file"])
        assert check(s) > before + 0.4
        r = s.query("blue widget kit")
        assert r["learnt"] is True and r["hits"][0]["id"].startswith("W-3")
        assert s.query("blue widget kit", rerank=False)["learnt"] is False
    with ecai.Context() as ctx, ecai.Store.open(ctx, d) as st2, ecai.Search.open(st2, d) as s2:
        assert s2.query("blue widget kit") == r  # the saved ranker ranks as the one learnt


def test_learn_counts_and_errors(store, tmp_path):
    with ecai.Search(store) as s:
        before = check(s)
        with pytest.raises(ecai.InvalidArgument, match="outside 1..3"):
            s.learn(p("ltr_queries.tsv"), p("ltr_counts.tsv"), **FAST)
        rep = s.learn(p("ltr_queries.tsv"), p("ltr_counts.tsv"), counts=True, **FAST)
        assert rep["labels"] == "counts" and check(s) > before + 0.4
        lab = tmp_path / "l.tsv"
        lab.write_text("query_id\tproduct_id\tgrade\nt0\tW-30\t3\nnope\tW-31\t3\n")
        with pytest.raises(ecai.InvalidArgument, match="1 judgment.*not in.*nope"):
            s.learn(p("ltr_queries.tsv"), str(lab))
        lab.write_text("query_id\tproduct_id\tgrade\nt0\tW-30\t3\nt1\tW-31\t3\n")
        with pytest.raises(ecai.InvalidArgument, match="too few labelled queries"):
            s.learn(p("ltr_queries.tsv"), str(lab))
        with pytest.raises(ecai.InvalidArgument):
            s.learn(p("ltr_queries.tsv"), p("ltr_labels.tsv"), rounds=0)
