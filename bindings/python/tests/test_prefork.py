"""A pre-forking Python server: N worker processes open the same saved store on their own and
share its memory-mapped vectors through the page cache (issue 16, item 6)."""
import multiprocessing as mp
import os

import ecai
from conftest import ROOT

WORKERS = 4


def _smaps(path):
    """{field: kB} of the mapping of PATH in this process (summed over its blocks), or {}."""
    out, inside = {}, False
    with open("/proc/self/smaps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and "-" in parts[0] and ":" not in parts[0]:
                inside = parts[-1] == path
            elif inside and parts and parts[0].endswith(":") and len(parts) >= 2 and parts[1].isdigit():
                out[parts[0][:-1]] = out.get(parts[0][:-1], 0) + int(parts[1])
    return out


def _worker(store_dir, index_file, barrier, results):
    with ecai.Context() as ctx, ecai.Store.open(ctx, store_dir) as store:
        with ecai.Search.open(store, store_dir) as search:
            hits = search.query("espresso machine", k=5, mode="vector")["hits"]
        barrier.wait(30)  # every worker holds the store now
        results.put((os.getpid(), len(hits), _smaps(index_file)))
        barrier.wait(30)  # ... until every worker has looked


def _run_workers(target, *args):
    """Forks WORKERS processes running target(*args, barrier, results); their reports."""
    fork = mp.get_context("fork")
    barrier, results = fork.Barrier(WORKERS), fork.Queue()
    procs = [fork.Process(target=target, args=args + (barrier, results)) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    got = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    return got


def test_prefork_workers_share_the_mapped_vectors(tmp_path):
    store_dir = str(tmp_path / "store")
    with ecai.Context() as ctx, ecai.Store(ctx) as store:
        store.catalog.load(os.path.join(ROOT, "examples", "data", "catalog.tsv"))
        store.build()
        store.save(store_dir)
        with ecai.Search(store) as search:
            search.save(store_dir)
    index_file = os.path.realpath(os.path.join(store_dir, "index.bin"))
    vec_kb = os.path.getsize(index_file) // 1024
    got = _run_workers(_worker, store_dir, index_file)
    assert len({pid for pid, _, _ in got}) == WORKERS
    for pid, nhits, sm in got:
        assert nhits == 5, (pid, nhits)
        assert sm, "index.bin is not mapped in worker %d" % pid
        assert sm["Anonymous"] == 0 and sm.get("Private_Dirty", 0) == 0, sm  # file pages, never copied
        assert sm["Rss"] >= vec_kb * 0.5, (sm, vec_kb)  # the query touched the vectors
        assert sm["Shared_Clean"] >= sm["Rss"] - 8, sm  # ... and they are shared by the workers
        assert sm["Pss"] * 2 <= sm["Rss"], sm  # each worker pays a fraction of them


def _reco_worker(model, barrier, results):
    with ecai.Recommender.load(model) as rec:
        items = rec.recommend(cart=["SKU-0142"], k=3)
        barrier.wait(30)  # every worker holds the model now
        results.put((os.getpid(), len(items), _smaps(model)))
        barrier.wait(30)


def test_prefork_workers_share_the_mapped_recommender_model(tmp_path):
    model = str(tmp_path / "recommend.bin")
    with ecai.Recommender.from_orders(os.path.join(ROOT, "examples", "data", "orders.csv")) as rec:
        rec.save(model)
    model = os.path.realpath(model)
    got = _run_workers(_reco_worker, model)
    for pid, nitems, sm in got:
        assert nitems > 0, pid
        assert sm, "the model file is not mapped in worker %d" % pid
        assert sm["Anonymous"] == 0 and sm.get("Private_Dirty", 0) == 0, sm  # used in place, never copied
        assert sm["Rss"] > 0 and sm["Pss"] * 2 <= sm["Rss"], sm  # shared by the workers
