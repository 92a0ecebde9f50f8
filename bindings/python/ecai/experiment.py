"""Experiments (A/B assignment, exposure log, KPI metrics, statistics) and batch pricing.

    import ecai
    exp = ecai.Experiment("checkout", "checkout-2026", [("control", 50), ("new", 50)])
    exp.assign("visitor-42")                       # -> "control" or "new", same everywhere
    ecai.abtest_csv("cookie_cats.csv", "version", "retention_7")["p_value"]
    with ecai.Pricing(max_change=0.1) as p:
        p.add("SKU-1", price=9.99, quantity=12, ts=1700000000)
        for r in p.run(): print(r["product"], r["status"], r["reason"])

The assignment is reproducible without the library (see include/ecai/experiment.h):
``u = (XXH3_64(salt + b"\\0" + unit) >> 11) * 2**-53`` then the first variant whose
cumulative weight share exceeds u; :func:`variant_for_point` is that mapping in Python.
"""
import ctypes
import json
import math
from ctypes import (CFUNCTYPE, POINTER, byref, c_char_p, c_double, c_int, c_int64, c_size_t,
                    c_uint64, c_void_p)

from . import _lib
from ._lib import Handle, check, lib

EXPOSURE, ADD_TO_CART, ORDER, TICKET_OPENED, TICKET_BOT_ANSWERED, TICKET_ESCALATED = 1, 2, 3, 4, 5, 6
_EVENTS = {"exposure": 1, "add_to_cart": 2, "order": 3, "ticket_opened": 4,
           "ticket_bot_answered": 5, "ticket_escalated": 6}
INT64_MIN = -(2 ** 63)

_PROGRESS_FN = CFUNCTYPE(c_int, c_size_t, c_size_t, c_void_p)
_RATIONALE_FN = CFUNCTYPE(c_int, c_char_p, c_size_t, c_void_p, c_size_t, c_void_p)

_OPTS = {  # name -> (enum value, kind)
    "objective": (1, str), "aggregate": (2, str),
    "min_observations": (100, int), "min_distinct_prices": (101, int), "by_segment": (102, int), "pooling": (103, int),
    "max_change": (200, float), "min_margin": (201, float), "min_r2": (202, float),
    "max_slope_se": (203, float), "min_price_variation": (204, float), "unit_cost_ratio": (205, float),
    "validation_share": (206, float),
}

_D = POINTER(c_double)
_lib.register([
    ("ecai_experiment_new", [POINTER(c_void_p), c_char_p, c_char_p], c_int, check),
    ("ecai_experiment_free", [c_void_p], None, None),
    ("ecai_experiment_add_variant", [c_void_p, c_char_p, c_double], c_int, check),
    ("ecai_experiment_set_holdout", [c_void_p, c_double, c_char_p], c_int, check),
    ("ecai_experiment_assign", [POINTER(c_char_p), c_void_p, c_char_p, c_size_t], c_int, check),
    ("ecai_experiment_expose", [POINTER(c_char_p), c_void_p, c_char_p, c_size_t, c_int64], c_int, check),
    ("ecai_experiment_summary_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_experiment_log_jsonl", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_experiment_hash_point", [_D, c_char_p, c_char_p, c_size_t], c_int, check),
    ("ecai_kpi_new", [POINTER(c_void_p)], c_int, check),
    ("ecai_kpi_free", [c_void_p], None, None),
    ("ecai_kpi_record", [c_void_p, c_int64, c_char_p, c_char_p, c_int, c_double], c_int, check),
    ("ecai_kpi_load_file", [c_void_p, c_char_p], c_int, check),
    ("ecai_kpi_load_buffer", [c_void_p, c_char_p, c_size_t], c_int, check),
    ("ecai_kpi_count", [c_void_p], c_size_t, None),
    ("ecai_kpi_metrics_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_char_p], c_int, check),
    ("ecai_kpi_report_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_char_p, c_int64], c_int, check),
    ("ecai_stats_normal_cdf", [c_double], c_double, None),
    ("ecai_stats_normal_ppf", [c_double], c_double, None),
    ("ecai_stats_t_cdf", [c_double, c_double], c_double, None),
    ("ecai_stats_chi2_sf", [c_double, c_double], c_double, None),
    ("ecai_stats_proportions_json", [POINTER(c_void_p), POINTER(c_size_t), c_int64, c_int64, c_int64,
                                     c_int64, c_double], c_int, check),
    ("ecai_stats_welch_json", [POINTER(c_void_p), POINTER(c_size_t), _D, c_size_t, _D, c_size_t, c_double],
     c_int, check),
    ("ecai_stats_bootstrap_diff", [_D, _D, _D, c_size_t, _D, c_size_t, c_size_t, c_double, c_uint64], c_int,
     check),
    ("ecai_stats_srm", [_D, _D, POINTER(c_int64), _D, c_size_t], c_int, check),
    ("ecai_stats_sample_size", [_D, c_double, c_double, c_double, c_double], c_int, check),
    ("ecai_stats_mde", [_D, c_double, c_double, c_double, c_double], c_int, check),
    ("ecai_abtest_csv_json", [POINTER(c_void_p), POINTER(c_size_t), c_char_p, c_char_p, c_char_p, c_int,
                              c_char_p], c_int, check),
    ("ecai_abtest_csv_opts_json", [POINTER(c_void_p), POINTER(c_size_t), c_char_p, c_char_p, c_char_p, c_int,
                                   c_char_p, c_char_p], c_int, check),
    ("ecai_pricing_new", [POINTER(c_void_p), c_void_p], c_int, check),
    ("ecai_pricing_free", [c_void_p], None, None),
    ("ecai_pricing_set_str", [c_void_p, c_int, c_char_p], c_int, check),
    ("ecai_pricing_set_int", [c_void_p, c_int, c_int64], c_int, check),
    ("ecai_pricing_set_double", [c_void_p, c_int, c_double], c_int, check),
    ("ecai_pricing_add", [c_void_p, c_char_p, c_char_p, c_int64, c_double, c_double, c_double], c_int, check),
    ("ecai_pricing_set_bounds", [c_void_p, c_char_p, c_double, c_double, c_double], c_int, check),
    ("ecai_pricing_add_experiment", [c_void_p, c_char_p] + [c_double] * 6, c_int, check),
    ("ecai_pricing_load_file", [c_void_p, c_char_p], c_int, check),
    ("ecai_pricing_count", [c_void_p], c_size_t, None),
    ("ecai_pricing_set_rationale", [c_void_p, _RATIONALE_FN, c_void_p], c_int, check),
    ("ecai_pricing_run", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, _PROGRESS_FN, c_void_p], c_int, check),
])


def _b(s):
    return s.encode("utf-8") if isinstance(s, str) else s


def _owned_json(fn, *args):
    out, n = c_void_p(), c_size_t()
    fn(byref(out), byref(n), *args)
    return json.loads(_lib.take_string(out, n.value))


def _doubles(xs):
    xs = list(xs)
    return (c_double * max(len(xs), 1))(*xs), len(xs)


def hash_point(salt, unit):
    """The assignment point u in [0, 1) of (salt, unit)."""
    u, ub = c_double(), _b(unit)
    lib.ecai_experiment_hash_point(byref(u), _b(salt), ub, len(ub))
    return u.value


def variant_for_point(u, variants):
    """Pure-Python mapping of a point u to a variant name (same arithmetic as the C library):
    ``variants`` is a list of (name, weight) in design order."""
    total = 0.0
    for _, w in variants:
        total += float(w)
    cum = 0.0
    for name, w in variants:
        cum += float(w)
        if u < cum / total:
            return name
    return variants[-1][0]


class Experiment(Handle):
    """Deterministic weighted assignment with an optional holdout and an exposure log."""

    _free = "ecai_experiment_free"

    def __init__(self, name, salt, variants=(), holdout=0.0, holdout_salt=None):
        super().__init__()
        h = c_void_p()
        lib.ecai_experiment_new(byref(h), _b(name), _b(salt))
        self._h = h
        for v in variants:
            self.add_variant(*v) if isinstance(v, (tuple, list)) else self.add_variant(v, 1.0)
        if holdout:
            self.set_holdout(holdout, holdout_salt)

    def add_variant(self, name, weight=1.0):
        lib.ecai_experiment_add_variant(self.handle, _b(name), float(weight))

    def set_holdout(self, fraction, holdout_salt=None):
        lib.ecai_experiment_set_holdout(self.handle, float(fraction),
                                        _b(holdout_salt) if holdout_salt is not None else None)

    def assign(self, unit):
        """The variant name (or "holdout") of a unit id."""
        out, ub = c_char_p(), _b(unit)
        lib.ecai_experiment_assign(byref(out), self.handle, ub, len(ub))
        return out.value.decode()

    def expose(self, unit, ts=0):
        """Assigns and logs an exposure at unix time ts; returns the variant."""
        out, ub = c_char_p(), _b(unit)
        lib.ecai_experiment_expose(byref(out), self.handle, ub, len(ub), int(ts))
        return out.value.decode()

    def summary(self):
        return _owned_json(lib.ecai_experiment_summary_json, self.handle)

    def log_jsonl(self):
        out, n = c_void_p(), c_size_t()
        lib.ecai_experiment_log_jsonl(byref(out), byref(n), self.handle)
        return _lib.take_string(out, n.value) or ""


class Kpi(Handle):
    """KPI event store: record or load events, compute metrics and the A/B report."""

    _free = "ecai_kpi_free"

    def __init__(self):
        super().__init__()
        h = c_void_p()
        lib.ecai_kpi_new(byref(h))
        self._h = h

    def record(self, ts, unit, event, variant=None, value=0.0):
        kind = _EVENTS[event] if isinstance(event, str) else int(event)
        lib.ecai_kpi_record(self.handle, int(ts), _b(unit), _b(variant) if variant else None, kind, float(value))

    def load_file(self, path):
        lib.ecai_kpi_load_file(self.handle, str(path).encode())

    def load(self, text):
        data, n = _lib.to_bytes(text)
        lib.ecai_kpi_load_buffer(self.handle, data, n)

    def __len__(self):
        return lib.ecai_kpi_count(self.handle)

    def metrics(self, period="day"):
        return _owned_json(lib.ecai_kpi_metrics_json, self.handle, _b(period))

    def report(self, control=None, launch_ts=None):
        return _owned_json(lib.ecai_kpi_report_json, self.handle, _b(control) if control else None,
                           INT64_MIN if launch_ts is None else int(launch_ts))


# ---- statistics ------------------------------------------------------------------------

def normal_cdf(x):
    return lib.ecai_stats_normal_cdf(float(x))


def normal_ppf(p):
    return lib.ecai_stats_normal_ppf(float(p))


def t_cdf(t, df):
    return lib.ecai_stats_t_cdf(float(t), float(df))


def chi2_sf(x, df):
    return lib.ecai_stats_chi2_sf(float(x), float(df))


def proportions_test(x_control, n_control, x_treatment, n_treatment, confidence=0.95):
    """Two-proportion z-test (pooled SE), CI on the difference (unpooled), lift (fraction)."""
    return _owned_json(lib.ecai_stats_proportions_json, int(x_control), int(n_control), int(x_treatment),
                       int(n_treatment), float(confidence))


def welch_test(control, treatment, confidence=0.95):
    a, na = _doubles(control)
    b, nb = _doubles(treatment)
    return _owned_json(lib.ecai_stats_welch_json, a, na, b, nb, float(confidence))


def bootstrap_diff(control, treatment, iterations=2000, confidence=0.95, seed=42):
    """Seeded percentile bootstrap interval of mean(treatment) - mean(control)."""
    a, na = _doubles(control)
    b, nb = _doubles(treatment)
    lo, hi = c_double(), c_double()
    lib.ecai_stats_bootstrap_diff(byref(lo), byref(hi), a, na, b, nb, int(iterations), float(confidence),
                                  int(seed) & 0xFFFFFFFFFFFFFFFF)
    return lo.value, hi.value


def srm(counts, weights=None):
    """Sample-ratio-mismatch chi-square test: returns (chi2, p_value)."""
    c = (c_int64 * len(counts))(*[int(x) for x in counts])
    w = (c_double * len(counts))(*[float(x) for x in weights]) if weights is not None else None
    chi2, p = c_double(), c_double()
    lib.ecai_stats_srm(byref(chi2), byref(p), c, w, len(counts))
    return chi2.value, p.value


def sample_size(baseline, mde_abs, alpha=0.05, power=0.8):
    n = c_double()
    lib.ecai_stats_sample_size(byref(n), float(baseline), float(mde_abs), float(alpha), float(power))
    return int(n.value)


def mde(baseline, n_per_arm, alpha=0.05, power=0.8):
    d = c_double()
    lib.ecai_stats_mde(byref(d), float(baseline), float(n_per_arm), float(alpha), float(power))
    return d.value


def abtest_csv(path, variant_column, metric_column, metric="proportion", control=None, covariate=None,
               sequential=False, look_column=None, sequential_method=None, alpha=None, tau=None, seed=None,
               draws=None):
    """The `ecai abtest --json` document for a one-row-per-unit CSV file: every variant
    against control ("comparisons", Holm-adjusted), the Bayesian read-out, CUPED with
    `covariate` (a pre-experiment column) and the mSPRT with `sequential=True,
    look_column=COL` (sequential_method="obf": Lan-DeMets O'Brien-Fleming group-sequential
    design; see ecai_abtest_csv_opts_json() in experiment.h)."""
    kind = {"proportion": 1, "mean": 2}[metric]
    opts = {k: v for k, v in (("covariate", covariate), ("look_column", look_column),
                              ("sequential_method", sequential_method), ("alpha", alpha),
                              ("tau", tau), ("seed", seed), ("draws", draws)) if v is not None}
    if sequential:
        opts["sequential"] = True
    return _owned_json(lib.ecai_abtest_csv_opts_json, str(path).encode(), _b(variant_column), _b(metric_column),
                       kind, _b(control) if control else None, json.dumps(opts).encode() if opts else None)


# ---- pricing ---------------------------------------------------------------------------

class Pricing(Handle):
    """Batch price suggestions with guardrails. Options as keyword arguments
    (objective, aggregate, min_observations, min_distinct_prices, by_segment, pooling, max_change,
    min_margin, min_r2, max_slope_se, min_price_variation, unit_cost_ratio, validation_share)."""

    _free = "ecai_pricing_free"

    def __init__(self, ctx=None, **options):
        super().__init__()
        self._rationale_cb = None
        h = c_void_p()
        lib.ecai_pricing_new(byref(h), ctx.handle if ctx is not None else None)
        self._h = h
        for k, v in options.items():
            self.set(k, v)

    def set(self, name, value):
        if name not in _OPTS:
            raise _lib.Unsupported(-7, "unknown pricing option %r" % name)
        opt, kind = _OPTS[name]
        if kind is str:
            lib.ecai_pricing_set_str(self.handle, opt, _b(value))
        elif kind is int:
            lib.ecai_pricing_set_int(self.handle, opt, int(value))
        else:
            lib.ecai_pricing_set_double(self.handle, opt, float(value))

    def add(self, product, price, quantity, ts=0, segment=None, unit_cost=None):
        lib.ecai_pricing_add(self.handle, _b(product), _b(segment) if segment else None, int(ts), float(price),
                             float(quantity), -1.0 if unit_cost is None else float(unit_cost))

    def set_bounds(self, product, floor=0.0, ceiling=0.0, map_price=0.0):
        lib.ecai_pricing_set_bounds(self.handle, _b(product), float(floor), float(ceiling), float(map_price))

    def add_experiment(self, product, control, test):
        """Adds a price test's result: ``control`` and ``test`` are (price, units, exposure)
        of the randomly assigned groups (e.g. split by ecai.Experiment.assign). The measured
        elasticity is combined with the history estimate at run()."""
        (pa, ua, ea), (pb, ub, eb) = control, test
        lib.ecai_pricing_add_experiment(self.handle, _b(product), float(pa), float(ua), float(ea), float(pb),
                                        float(ub), float(eb))

    def load_file(self, path):
        lib.ecai_pricing_load_file(self.handle, str(path).encode())

    def __len__(self):
        return lib.ecai_pricing_count(self.handle)

    def set_rationale(self, fn):
        """``fn(result_dict) -> str or None``: text stored as "rationale" (numbers never change)."""
        if fn is None:
            cb = _RATIONALE_FN()
        else:
            def impl(js, n, buf, cap, _payload):
                try:
                    text = fn(json.loads(ctypes.string_at(js, n).decode()))
                    if not text:
                        return 1
                    raw = text.encode("utf-8")[:cap - 1]
                    while raw:
                        try:
                            raw.decode("utf-8")
                            break
                        except UnicodeDecodeError:  # do not cut a character in half
                            raw = raw[:-1]
                    ctypes.memmove(buf, raw + b"\0", len(raw) + 1)
                    return 0
                except Exception:
                    return 1
            cb = _RATIONALE_FN(impl)
        lib.ecai_pricing_set_rationale(self.handle, cb, None)
        self._rationale_cb = cb  # keep alive while C may call it

    def run(self, progress=None):
        """Returns one dict per product (suggestion or hold-back reason).
        ``progress(done, total)`` may return True to cancel (raises ecai.Cancelled)."""
        if progress is None:
            cb = _PROGRESS_FN()
        else:
            def impl(done, total, _payload):
                try:
                    return 1 if progress(done, total) else 0
                except Exception:
                    return 1
            cb = _PROGRESS_FN(impl)
        out, n = c_void_p(), c_size_t()
        lib.ecai_pricing_run(byref(out), byref(n), self.handle, cb, None)
        text = _lib.take_string(out, n.value) or ""
        return [json.loads(line) for line in text.splitlines() if line]


__all__ = ["Experiment", "Kpi", "Pricing", "hash_point", "variant_for_point", "normal_cdf", "normal_ppf",
           "t_cdf", "chi2_sf", "proportions_test", "welch_test", "bootstrap_diff", "srm", "sample_size", "mde",
           "abtest_csv", "EXPOSURE", "ADD_TO_CART", "ORDER", "TICKET_OPENED", "TICKET_BOT_ANSWERED",
           "TICKET_ESCALATED"]
