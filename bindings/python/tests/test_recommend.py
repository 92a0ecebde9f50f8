import os

import pytest

import ecai

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
ORDERS = os.path.join(ROOT, "tests", "data", "recommend_orders.csv")


def shop():
    rec = ecai.Recommender()
    for i in range(6):
        rec.add_order("o%d" % i, ["mug", "coffee", "spoon"], customer="c1", ts=1000 + i)
    for i in range(4):
        rec.add_order("s%d" % i, ["sofa", "cushion"], ts="2024-03-01")
    rec.set_item("mug", "White mug", 8)
    rec.set_item("coffee", "Ground coffee", 6)
    return rec


def test_from_orders_recommends_with_reasons():
    with ecai.Recommender.from_orders(ORDERS) as rec:
        items = rec.recommend(cart=["MUG1"], k=3)
        assert [i["id"] for i in items][0] == "COF1"
        assert items[0]["reason"] == "often bought with WHITE CERAMIC MUG"
        assert len(items) == 3 and "MUG1" not in [i["id"] for i in items]
        assert items[0]["score"] >= items[-1]["score"]
        assert rec.stats()["orders"] == 35


def test_add_order_updates_immediately():
    rec = shop()
    ids = [i["id"] for i in rec.recommend(cart=["sofa"], k=5)]
    assert ids and "lamp" not in ids
    for i in range(3):
        rec.add_order("l%d" % i, ["sofa", "lamp"], quantities=[1, 2], prices=[500, 40])
    assert "lamp" in [i["id"] for i in rec.recommend(cart=["sofa"], k=5)]
    rec.close()


def test_filters_history_and_stock():
    rec = shop()
    rec.fit()
    ids = [i["id"] for i in rec.recommend(cart=["mug"], history=["coffee"], k=5)]
    assert ids and "coffee" not in ids and "mug" not in ids
    rec.set_stock_filter(lambda pid: pid != "coffee")
    ids = [i["id"] for i in rec.recommend(cart=["mug"], k=5)]
    assert ids and "coffee" not in ids and "mug" not in ids
    rec.set_stock_filter(None)
    assert rec.recommend(cart=["mug"], k=1)[0]["id"] == "coffee"
    rec.close()


def test_content_matrix_similar():
    rec = shop()
    rec.add_order("x", ["redmug"])
    rec.set_content(["mug", "redmug", "sofa"], [[1, 0], [0.9, 0.1], [0, 1]])
    items = rec.recommend(cart=["mug"], k=1, strategy="similar")
    assert items[0]["id"] == "redmug"
    assert items[0]["reason"].startswith("similar to")
    with pytest.raises(ValueError):
        rec.set_content(["a"], [[1, 0], [0, 1]])
    rec.close()


def test_save_load_and_corrupt(tmp_path):
    rec = shop()
    rec.fit()
    p = tmp_path / "m.bin"
    rec.save(p)
    again = ecai.Recommender.load(p)
    assert again.recommend(cart=["mug"], k=3) == rec.recommend(cart=["mug"], k=3)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"ECAIRECO" + b"\0" * 40)
    with pytest.raises(ecai.Corrupt):
        ecai.Recommender.load(bad)
    with pytest.raises(ecai.IOFailure):
        ecai.Recommender.load(tmp_path / "missing.bin")
    again.close()
    rec.close()


def test_errors():
    rec = ecai.Recommender()
    with pytest.raises(ecai.InvalidArgument):
        rec.query({"cart": ["a"], "k": 0})
    with pytest.raises(ecai.ParseError):
        rec.query("{oops")
    with pytest.raises(ecai.InvalidArgument):
        rec.add_order("o", ["a"], quantities=[0])
    with pytest.raises(ecai.InvalidState):
        rec.fit()
    with pytest.raises(ecai.IOFailure):
        rec.load_orders("/nonexistent/orders.csv")
    rec.close()
    with pytest.raises(ecai.InvalidState):
        rec.recommend(cart=["a"])


def test_evaluate_small_file():
    rep = ecai.evaluate_recommend(ORDERS, "2024-03-15", "2024-04-01", k=5)
    assert rep["test_baskets"] > 5
    assert set(["popularity", "cooccurrence", "content", "blended"]) <= set(rep["methods"])
    assert 0 <= rep["methods"]["blended"]["hit_rate@5"] <= 1


def test_evaluate_exact_metrics():
    # tests/data/recommend_eval.csv, worked out by hand in tests/unit/test_recommend.c
    # (recommend_evaluate_exact_metrics): popularity ranks the hidden item 2nd, 1st, never, 3rd
    # over 4 test baskets, the last two cold (fewer than 2 training orders), 4 of 5 items shown.
    with ecai.Context({"recommend": {"cold_orders": 2}}) as ctx:
        rep = ecai.evaluate_recommend(os.path.join(ROOT, "tests", "data", "recommend_eval.csv"),
                                      "2024-02-01", "2024-03-01", k=3, ctx=ctx)
    assert (rep["test_baskets"], rep["catalog_items"], rep["cold_start_baskets"]) == (4, 5, 2)
    for m in ("popularity", "cooccurrence"):
        assert rep["methods"][m] == {
            "hit_rate@3": 0.75,                                            # 3 / 4
            "ndcg@3": 0.5327,                                              # (1/log2(3) + 1 + 0 + 1/log2(4)) / 4
            "coverage": 0.8,                                               # 4 / 5
            "cold_start": {"baskets": 2, "hit_rate@3": 0.5, "ndcg@3": 0.25},  # (0 + 1/log2(4)) / 2
            "revenue@3": 0.6429,                                           # (3 + 2 + 4) / 14
            "aov_lift_bound": 0.4737,                                      # 9 / 19
            "with_history": {"baskets": 0, "hit_rate@3": 0.0, "revenue@3": 0.0},
            "without_history": {"baskets": 4, "hit_rate@3": 0.75, "revenue@3": 0.6429},
        }, m


def test_content_callback_for_unknown_cart_items():
    rec = shop()
    vecs = {"mug": [1.0, 0.0], "newmug": [0.9, 0.1], "sofa": [0.0, 1.0]}
    rec.set_content_fn(2, lambda pid: vecs.get(pid))
    items = rec.recommend(cart=["newmug"], k=1)
    assert items[0]["id"] == "mug"
    assert items[0]["reason"] == "similar to items in your cart"
    rec.set_content_fn(0, None)
    assert rec.stats()["content"] == "title_text"
    rec.close()


def test_rerank_with_llm_keeps_to_candidates():
    import json as _json
    import sys as _sys
    _sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from fakellm import FakeLLM
    rec = ecai.Recommender()
    for i, items in enumerate([["mug", "coffee", "spoon"], ["mug", "coffee"], ["mug", "spoon"],
                               ["mug", "coffee", "filter"]]):
        rec.add_order("o%d" % i, items, customer="c1", ts=1700000000 + i)
    rec.fit()
    with FakeLLM() as fake:
        answer = _json.dumps({"ids": ["filter", "NOT-A-CANDIDATE", "spoon"]})
        ctx = ecai.Context({"llm": {"provider": "openai", "base_url": fake.url, "model": "m", "max_retries": 0,
                                    "headers": {"X-Fake-Fault": "adversarial", "X-Fake-Answer": answer}}})
        with ctx, ecai.LLM(ctx) as llm:
            res = rec.rerank(llm, {"cart": [{"id": "mug", "qty": 1}], "k": 3})
            assert [i["id"] for i in res["items"]] == ["filter", "spoon", "coffee"]
            assert res["llm"]["used"] is True and res["llm"]["dropped"] == 1
    with ecai.Context() as ctx, ecai.LLM(ctx) as offline:  # provider none: plain ranking
        res = rec.rerank(offline, {"cart": [{"id": "mug", "qty": 1}], "k": 3})
        assert res["llm"]["used"] is False
        assert [i["id"] for i in res["items"]] == [i["id"] for i in rec.recommend(cart=[{"id": "mug", "qty": 1}], k=3)]


def test_category_filters():
    rec = shop()
    rec.fit()
    rec.set_category("coffee", "Food > Coffee")
    rec.set_category("spoon", "Kitchen > Cutlery")
    both = [i["id"] for i in rec.recommend(cart=["mug"], k=5)]
    assert "coffee" in both and "spoon" in both
    only = [i["id"] for i in rec.recommend(cart=["mug"], k=5, categories=["kitchen"])]
    assert only == ["spoon"]
    rest = [i["id"] for i in rec.recommend(cart=["mug"], k=5, exclude_categories=["Food"])]
    assert "coffee" not in rest and "spoon" in rest
    rec.set_category("spoon", None)
    assert rec.recommend(cart=["mug"], k=5, categories=["Kitchen"]) == []
    with pytest.raises(ValueError) as e:
        rec.recommend(cart=["mug"], categories=[3])
    assert "categories" in str(e.value)
    with pytest.raises(ValueError):
        rec.set_category("", "A")
    rec.close()


def test_customer_history_bundles_and_trending():
    rec = shop()
    rec.add_order("t1", ["tea"], customer="c9", ts=5000)
    rec.set_item("spoon", "Spoon", 2)
    rec.fit()
    items = rec.recommend(cart=["sofa"], k=5, customer="c9")
    tea = [i for i in items if i["id"] == "tea"]
    assert tea and tea[0]["reason"] == "you ordered this before"
    assert all(i["reason"] != "you ordered this before" for i in rec.recommend(cart=["sofa"], k=5))
    reply = rec.query({"cart": ["sofa"], "customer": "nobody"})
    assert reply["customer"] == {"id": "nobody", "known": False, "orders_used": 0}
    bundles = rec.bundles(cart=["mug"])
    assert sorted(x["id"] for x in bundles[0]["items"]) == ["coffee", "spoon"]
    assert bundles[0]["price"] == 8 and bundles[0]["orders"] == 6
    assert bundles[0]["reason"] == "bought together with White mug in 6 of its 6 orders"
    trending = rec.trending(k=3)
    assert trending and trending[0]["reason"].startswith("trending: ")
    assert rec.trending(k=3, now=10**9) == []
    with pytest.raises(ecai.InvalidArgument, match="strategy"):
        rec.recommend(cart=["mug"], strategy="sideways")
    with pytest.raises(ecai.InvalidArgument, match="customer"):
        rec.query({"cart": ["mug"], "customer": ["x"]})
    rec.close()


def test_evaluate_reports_revenue_and_history_slices():
    path = os.path.join(ROOT, "tests", "data", "recommend_eval.csv")
    rep = ecai.evaluate_recommend(path, "2024-02-01", "2024-03-01", k=3)
    pop = rep["methods"]["popularity"]
    assert pop["revenue@3"] == pytest.approx(9 / 14, abs=1e-4)
    assert pop["aov_lift_bound"] == pytest.approx(9 / 19, abs=1e-4)
    assert pop["without_history"]["baskets"] == 4 and pop["with_history"]["baskets"] == 0
    assert "skipped" in rep["tuning"]
    assert "bundles" in rep and "trending" in rep
