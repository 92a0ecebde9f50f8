import json
import math
import os

import random

import pytest

import ecai
from ecai import experiment as ex

from conftest import ROOT, data_path, fixture_path
VARIANTS = [("control", 50), ("treatment_a", 30), ("treatment_b", 20)]


def _vectors():
    with open(os.path.join(ROOT, "tests", "data", "ab_assign.tsv"), encoding="utf-8") as f:
        next(f)
        return [line.rstrip("\n").split("\t") for line in f]


def test_assignment_reproduces_committed_vectors():
    rows = _vectors()
    assert len(rows) == 260
    with ecai.Experiment("checkout", "checkout-2026", VARIANTS, holdout=0.1, holdout_salt="global-holdout") as e:
        for unit, u, uh, want in rows:
            assert e.assign(unit) == want, unit
            assert ecai.hash_point("checkout-2026", unit) == float(u)
            assert ecai.hash_point("global-holdout", unit) == float(uh)


def test_mapping_from_point_is_reproducible_in_python():
    # The hash comes from XXH3; the mapping to variants is re-implemented here.
    for unit, u, uh, want in _vectors():
        got = "holdout" if float(uh) < 0.1 else ecai.variant_for_point(float(u), VARIANTS)
        assert got == want, unit


def test_assignment_reproduced_without_the_library():
    # pure-Python XXH3-64 (tests/xxh3_ref.py) + the documented mapping
    import xxh3_ref
    assert xxh3_ref.xxh3_64(b"abc") == 0x78AF5F94892F3950  # PHP: hash("xxh3", "abc")
    for unit, u, uh, want in _vectors():
        assert xxh3_ref.hash_point("checkout-2026", unit) == float(u), unit
        pu, puh = xxh3_ref.hash_point("checkout-2026", unit), xxh3_ref.hash_point("global-holdout", unit)
        assert ("holdout" if puh < 0.1 else ecai.variant_for_point(pu, VARIANTS)) == want, unit


def test_experiment_errors_and_exposure_log():
    e = ecai.Experiment("hero", "hero-1")
    with pytest.raises(ecai.InvalidState):
        e.assign("u1")
    e.add_variant("A")
    e.add_variant("B")
    with pytest.raises(ecai.InvalidArgument):
        e.add_variant("A")
    for i in range(200):
        assert e.expose("u%d" % i, 1700000000 + i) == e.assign("u%d" % i)
    with pytest.raises(ecai.InvalidState):
        e.add_variant("C")
    s = e.summary()
    assert s["exposures"] == 200 and sum(v["units"] for v in s["variants"]) == 200
    k = ecai.Kpi()
    k.load(e.log_jsonl())
    assert len(k) == 200
    e.close()
    e.close()
    with pytest.raises(ecai.InvalidState):
        e.assign("x")


def _abtest_figures(path, n, z, p, ci, lift, srm_p, t):
    d = ecai.abtest_csv(path, "version", "retention_7")
    assert [v["n"] for v in d["variants"]] == n
    assert round(d["statistic"], 4) == z
    assert round(d["p_value"], 6) == p
    assert [round(x, 6) for x in d["ci95"]] == ci
    assert round(100 * d["lift"], 3) == lift
    assert round(d["srm_p_value"], 4) == srm_p
    w = ecai.abtest_csv(path, "version", "sum_gamerounds", metric="mean")
    assert round(w["statistic"], 3) == t
    with pytest.raises(ecai.NotFound):
        ecai.abtest_csv(path, "version", "nope")


def test_cookie_cats_reference_figures():
    _abtest_figures(data_path("experiments/cookie_cats/cookie_cats.csv"), [44700, 45489], -3.1644, 0.001554,
                    [-0.013282, -0.003121], -4.312, 0.0086, -0.885)


def test_ab_small_reference_figures():
    # tests/data/ab_small.csv; figures from tests/data/tools/gen_ab_small.py (independent Python)
    _abtest_figures(fixture_path("ab_small.csv"), [2091, 1909], -2.4026, 0.016281, [-0.05294, -0.005466],
                    -15.078, 0.004, -3.601)


def test_stats_functions():
    assert abs(ex.normal_cdf(1.96) - 0.9750021048517795) < 1e-14
    assert abs(ex.t_cdf(1.0, 1) - 0.75) < 1e-13
    assert abs(ex.chi2_sf(3.841458820694124, 1) - 0.05) < 1e-13
    r = ecai.proportions_test(8502, 44700, 8279, 45489)
    assert round(r["z"], 4) == -3.1644
    chi2, p = ecai.srm([44700, 45489])
    assert round(chi2, 3) == 6.902 and round(p, 4) == 0.0086
    w = ecai.welch_test([1, 2, 3, 4], [2, 4, 6, 8])
    assert abs(w["t"] - math.sqrt(3)) < 1e-12
    lo, hi = ecai.bootstrap_diff([1, 2, 3, 4] * 20, [2, 4, 6, 8] * 20, iterations=500, seed=7)
    assert (lo, hi) == ecai.bootstrap_diff([1, 2, 3, 4] * 20, [2, 4, 6, 8] * 20, iterations=500, seed=7)
    assert lo < 2.5 < hi
    assert ecai.sample_size(0.10, 0.02) == 3841
    assert abs(ecai.mde(0.10, 3840.87) - 0.02) < 1e-5
    with pytest.raises(ecai.InvalidArgument):
        ecai.proportions_test(5, 4, 1, 10)


def test_kpi_metrics_and_report():
    k = ecai.Kpi()
    k.record(1714557600, "u1", "exposure", "A")
    k.record(1714557700, "u1", "order", "A", 30)
    k.record(1714557800, "u2", "exposure", "A")
    k.record(1714644000, "u3", "exposure", "B")
    k.record(1714644100, "u3", ecai.experiment.ORDER, None, 50)
    m = k.metrics("none")
    a, b = m["variants"]
    assert (a["name"], a["visitors"], a["conversion_rate"], a["revenue_per_visitor"]) == ("A", 2, 0.5, 15.0)
    assert (b["name"], b["revenue"], b["aov"]) == ("B", 50.0, 50.0)
    r = k.report(control="A", launch_ts=1714608000)
    assert r["before_after"]["after"]["visitors"] == 1
    with pytest.raises(ecai.NotFound):
        k.report(control="Z")
    with pytest.raises(ecai.ParseError):
        k.load("ts,unit,event\n2024-01-01,u9,teleport\n")
    assert len(k) == 5


def _history(p, pid, b, cost=None, days=40):
    for d in range(days):
        price = 10 * (0.8 + 0.4 * (d % 6) / 5) if d < days - 1 else 10.0
        p.add(pid, price, 100 * (price / 10) ** b, ts=1700000000 + 86400 * d, unit_cost=cost)


def test_pricing_suggestions_guardrails_and_hooks():
    with ecai.Pricing(max_change=0.1) as p:
        _history(p, "inelastic", -0.5)
        _history(p, "elastic", -2.5)
        _history(p, "thin", -1.0, days=3)
        p.set_bounds("elastic", map_price=9.5)
        seen = []
        p.set_rationale(lambda r: "because %s" % r["reason"])
        res = {r["product"]: r for r in p.run(progress=lambda d, t: seen.append((d, t)))}
    assert seen == [(3, 3)]
    assert res["inelastic"]["suggested_price"] == 11.0 and abs(res["inelastic"]["elasticity"] + 0.5) < 1e-9
    assert res["elastic"]["suggested_price"] == 9.5 and res["elastic"]["bounded_by"] == ["map"]
    assert res["thin"]["status"] == "hold" and res["thin"]["reason"] == "thin_data"
    assert res["inelastic"]["rationale"] == "because ok"
    with ecai.Pricing(objective="margin", max_change=0.5) as p:
        _history(p, "x", -2.5, cost=4.0)
        r = p.run()[0]
    assert r["suggested_price"] == 6.67
    p = ecai.Pricing()
    with pytest.raises(ecai.InvalidArgument):
        p.set("max_change", 2.0)
    with pytest.raises(ecai.Unsupported):
        p.set("nope", 1)
    for i in range(1500):
        p.add("p%d" % i, 10, 1)
    with pytest.raises(ecai.Cancelled):
        p.run(progress=lambda d, t: d >= 1000)


def _shop(p, pid, b, fixed, seed, days=300, rate=40):
    """Order lines: list price moving every 20-45 days, a quarter wholesale at 85 %."""
    rng = random.Random(seed)
    list0 = price = 20.0
    nxt = rng.randint(20, 45)
    for d in range(days):
        if d == nxt and not fixed:
            price = round(min(28, max(14, price * rng.uniform(0.85, 1.15))), 2)
            nxt = d + rng.randint(20, 45)
        lam = rate * (price / list0) ** b
        n = sum(1 for _ in range(int(lam * 3)) if rng.random() < 1 / 3)
        for k in range(n):
            if rng.random() < 0.25:
                p.add(pid, round(0.85 * price, 2), rng.randint(12, 60), ts=86400 * d + 60 * k)
            else:
                p.add(pid, price, rng.randint(1, 3), ts=86400 * d + 60 * k)


def test_pricing_tiers_identification_and_validation():
    with ecai.Pricing(validation_share=0.25) as p:
        _shop(p, "moving", -2.0, False, 5)
        _shop(p, "fixed", -2.0, True, 6)
        res = {r["product"]: r for r in p.run()}
    m, f = res["moving"], res["fixed"]
    assert m["tiers"]["basis"] == "order_size" and abs(m["elasticity"] + 2.0) < 0.5, m
    assert m["elasticity_ci95"][0] < m["elasticity"] < m["elasticity_ci95"][1]
    assert m["validation"]["status"] in ("passed", "failed") and m["validation"]["periods"] > 0
    assert (f["status"], f["reason"], f["reason_detail"]) == ("hold", "not_identified", "prices_set_only_by_order_size")
    with ecai.Pricing(validation_share=0) as p:
        _shop(p, "moving", -2.0, False, 5)
        assert p.run()[0]["validation"]["status"] == "not_run"
        with pytest.raises(ecai.InvalidArgument):
            p.set("validation_share", 0.9)


def test_pricing_pooling_across_products():
    """Thin products share the shop's spread of elasticities: narrower intervals, closer
    to the truth on average; pooling=0 keeps each product on its own."""
    truth = {"p%02d" % i: -2.3 + 1.6 * i / 11 for i in range(12)}
    err = {}
    for pooling in (1, 0):
        with ecai.Pricing(pooling=pooling) as p:
            for i, (pid, b) in enumerate(sorted(truth.items())):
                _shop(p, pid, b, False, 900 + i, rate=3)
            res = p.run()
        err[pooling] = sum(abs(r["elasticity"] - truth[r["product"]]) for r in res) / len(res)
        for r in res:
            if pooling:
                assert r["pooling"]["prior_sd"] >= 0.15, r
                assert r["elasticity_se"] <= r["pooling"]["elasticity_own_se"] + 1e-12
            else:
                assert r["pooling"] is None
    assert err[1] < err[0], err
    with pytest.raises(ecai.InvalidArgument):
        ecai.Pricing().set("pooling", 2)


def test_pricing_price_test_loop():
    # a fixed list price: the history cannot identify the elasticity; a price test can
    truth = -2.0
    exp = ecai.Experiment("price-moving", "salt-py")
    exp.add_variant("control", 1)
    exp.add_variant("test", 1)
    exp.set_holdout(0.1)
    rng = random.Random(9)
    units, visitors = {"control": 0, "test": 0}, {"control": 0, "test": 0}
    prices = {"control": 20.0, "test": 18.0}
    for i in range(100000):
        v = exp.assign("visitor-%d" % i)
        if v == "holdout":
            continue
        visitors[v] += 1
        units[v] += rng.random() < 0.05 * (prices[v] / 20) ** truth
    exp.close()
    with ecai.Pricing() as p:
        _shop(p, "fixed", truth, True, 7)
        assert p.run()[0]["reason"] == "not_identified"
        with pytest.raises(ecai.InvalidArgument):
            p.add_experiment("fixed", (20, 10, 100), (20, 12, 100))
        p.add_experiment("fixed", (20, units["control"], visitors["control"]), (18, units["test"], visitors["test"]))
        r = p.run()[0]
    assert r["elasticity_source"] == "experiment" and r["experiment"]["tests"] == 1
    assert abs(r["elasticity"] - truth) < 3 * r["elasticity_se"], r
    assert r["status"] == "suggest" and r["suggested_price"] < r["current_price"]


def _pricing_from_context(path, min_obs, max_obs, min_each):
    ctx = ecai.Context({"pricing": {"min_observations": 20, "objective": "margin", "unit_cost_ratio": 0.6}})
    with ecai.Pricing(ctx) as p:
        p.load_file(path)
        assert min_obs < len(p) < max_obs
        res = p.run()
    reasons = {}
    for r in res:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
        assert r["objective"] == "margin"
        if r["status"] == "suggest":
            assert abs(r["change"]) <= 0.1 + 0.006
            assert (r["suggested_price"] - r["unit_cost"]) / r["suggested_price"] >= 0.2 - 1e-3
    # wholesale and retail prices mixed: most products are held back, many as not identified
    assert reasons["thin_data"] >= min_each and reasons["not_identified"] >= min_each, reasons
    assert reasons.get("ok", 0) * 4 < len(res), reasons
    assert not [r for r in res if r["product"] == "POST"]
    ctx.close()


def test_pricing_from_context_and_real_transactions():
    _pricing_from_context(data_path("recommend/online_retail/transactions.csv.gz"), 400000, 431673, 101)


def test_pricing_from_context_and_retail_extract():
    # the committed extract: 9,440 lines of 68 stock codes, POST among them
    _pricing_from_context(fixture_path("retail_small.csv.gz"), 8000, 9440, 10)


def _simulate(path, variants, n, effect, rho=0.7, seed=1, kind="mean", looks=10, missing=0):
    rnd = __import__("random").Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        f.write("variant,y,pre,look\n")
        for i in range(n * len(variants)):
            v = variants[i % len(variants)]
            z = rnd.gauss(0, 1)
            if kind == "prop":
                y = int(rnd.random() < 0.1 + effect.get(v, 0))
            else:
                y = 50 + 15 * (rho * z + math.sqrt(1 - rho * rho) * rnd.gauss(0, 1)) + effect.get(v, 0)
            pre = "" if i < missing else "%.9f" % (100 + 20 * z)
            f.write("%s,%s,%s,%d\n" % (v, y, pre, 1 + i * looks // (n * len(variants))))


def test_abtest_many_variants_holm(tmp_path):
    p = tmp_path / "ab4.csv"
    _simulate(p, ["A", "B", "C", "D"], 4000, {"D": 0.05}, kind="prop", seed=3)
    d = ecai.abtest_csv(p, "variant", "y")
    cs = d["comparisons"]
    assert [c["variant"] for c in cs] == ["B", "C", "D"] and d["p_adjustment"] == "holm"
    ps = [c["p_value"] for c in cs]
    order = sorted(range(3), key=lambda i: ps[i])
    run = 0
    for k, i in enumerate(order):  # Holm by hand
        run = max(run, min(1, (3 - k) * ps[i]))
        assert abs(cs[i]["p_adjusted"] - run) < 1e-12
    assert cs[2]["p_adjusted"] < 0.05 and cs[2]["p_beats_control"] > 0.99
    assert d["p_value"] == cs[0]["p_value"] and d["treatment"] == "B"


def test_abtest_cuped_and_sequential(tmp_path):
    p = tmp_path / "cuped.csv"
    _simulate(p, ["A", "B"], 10000, {"B": 0.5}, seed=4, missing=50)
    d = ecai.abtest_csv(p, "variant", "y", metric="mean", covariate="pre", sequential=True, look_column="look")
    rows = [line.split(",") for line in open(p, encoding="utf-8").read().split("\n")[1:] if line]
    xy = [(float(r[2]), float(r[1])) for r in rows if r[2]]
    mx, my = sum(x for x, _ in xy) / len(xy), sum(y for _, y in xy) / len(xy)
    theta = sum((x - mx) * (y - my) for x, y in xy) / sum((x - mx) ** 2 for x, _ in xy)
    assert abs(d["cuped"]["theta"] - theta) < 1e-9 * abs(theta)
    assert abs(d["cuped"]["variance_reduction"] - 0.49) < 0.04
    assert d["cuped"]["missing_covariate"] == 50
    s = d["sequential"]
    assert s["looks"] == 10 and s["method"].startswith("mSPRT")
    assert s["always_valid_p"] >= d["p_value"]
    assert s["reject"] == (s["always_valid_p"] <= 0.05) and (s["stopped_at"] is not None) == s["reject"]
    g = ecai.abtest_csv(p, "variant", "y", metric="mean", sequential=True, look_column="look",
                        sequential_method="obf")["sequential"]
    assert len(g["boundaries"]) == 10 and g["boundaries"][0] > g["boundaries"][-1] > 1.96
    assert g["reject"] == any(abs(z) >= c for z, c in zip(g["z_by_look"], g["boundaries"]))
    with pytest.raises(ecai.InvalidArgument):
        ecai.abtest_csv(p, "variant", "y", sequential=True)
    with pytest.raises(ecai.NotFound):
        ecai.abtest_csv(p, "variant", "y", covariate="nope")
    bad = tmp_path / "bad.csv"
    bad.write_text("variant,y,pre\nA,1,1\nA,0,text\nB,1,2\nB,0,3\n")
    with pytest.raises(ecai.ParseError):
        ecai.abtest_csv(bad, "variant", "y", covariate="pre")
