import math
import os
import shutil
import socket
import subprocess
import time

import pytest

import ecai


@pytest.fixture
def ctx():
    with ecai.Context() as c:
        yield c


def test_keys_are_canonical():
    assert ecai.cache_key_json('{"b":1,"a":2}') == ecai.cache_key_json({"a": 2, "b": 1})
    assert ecai.cache_key_json({"a": 2, "b": 1}) != ecai.cache_key_json({"a": 2, "b": 2})
    assert len(ecai.cache_key("x")) == 16
    with pytest.raises(ecai.ParseError):
        ecai.cache_key_json('{"a":')


def test_exact_cache_roundtrip_tags_products_stats(ctx, tmp_path):
    with ecai.Cache(ctx) as c:
        assert c.get("q") is None
        c.put("q", "answer", tags=["faq"], saved_tokens=100, saved_cost=0.02)
        assert c.get("q") == b"answer"
        assert c.get(b"\x00" * 16) is None
        c.put("kettle", b"19.99", products=[("SKU-1", "price=19.99")])
        c.put("mug", b"5", products=[("SKU-2", "price=5")])
        assert c.invalidate_product("SKU-1", "price=17.49") == 1
        assert c.get("kettle") is None and c.get("mug") == b"5"
        assert c.invalidate_tag("faq") == 1
        st = c.stats()
        assert st["hits"] == 2 and st["tokens_saved"] == 100 and abs(st["cost_saved"] - 0.02) < 1e-9
        c.save(tmp_path / "c.bin")
    with ecai.Cache(ctx) as c2:
        assert c2.load(tmp_path / "c.bin") == 1
        assert c2.get("mug") == b"5"
        (tmp_path / "bad.bin").write_bytes(b"ECAICACH" + b"\x00" * 40)
        with pytest.raises(ecai.Corrupt):
            c2.load(tmp_path / "bad.bin")
        with pytest.raises(ecai.InvalidArgument):
            c2.put("x", "y", ttl_ms=-5)
        assert c2.counter_add("spend", 1.5) == 1.5
        assert c2.counter_add("spend", 1.0) == 2.5


def test_semantic_cache_vectors_and_verification(ctx):
    with ecai.SemanticCache(ctx, dim=4, threshold=0.9) as sc:
        sc.put("p", [1, 0, 0, 0], "How do I enable price alerts?", b"A1")
        hit = sc.lookup("p", [1, 0.1, 0, 0], "how can I enable price alerts")
        assert hit is not None and hit[0] == b"A1" and hit[1] > 0.99
        assert sc.lookup("other", [1, 0, 0, 0], "How do I enable price alerts?") is None
        assert sc.lookup("p", [1, 0.1, 0, 0], "How do I disable price alerts?") is None
        assert sc.stats()["verify_rejects"] == 1
        sc.verify = False
        assert sc.lookup("p", [1, 0.1, 0, 0], "How do I disable price alerts?")[0] == b"A1"
        with pytest.raises(ecai.InvalidArgument):
            sc.put("p", [math.nan, 0, 0, 0], "q", b"v")
        with pytest.raises(ecai.InvalidArgument):
            sc.threshold = 2
    assert ecai.semantic_verify("order 12", "order 12") and not ecai.semantic_verify("order 12", "order 13")


def test_semantic_cache_text(ctx):
    with ecai.SemanticCache(ctx, threshold=0.6) as sc:
        sc.put_text("en", "Where is my order 77? It has not arrived.", "track-77")
        assert sc.lookup_text("en", "where is my order 77, it has not arrived")[0] == b"track-77"
        assert sc.lookup_text("en", "where is my order 78, it has not arrived") is None
        assert sc.lookup_text("fr", "Where is my order 77? It has not arrived.") is None


def test_semantic_cache_save_load_and_word_rule(ctx, tmp_path):
    path = tmp_path / "sem.bin"
    with ecai.SemanticCache(ctx, threshold=0.6) as sc:
        assert abs(sc.word_mismatch - 0.0) < 1e-9
        sc.put_text("en", "Where is my order 77? It has not arrived.", "track-77")
        sc.put_text("en", "How do I return a damaged kettle?", "returns")
        sc.save(path)
    with ecai.SemanticCache(ctx, threshold=0.6) as sc2:
        assert sc2.load(path) == 2
        assert sc2.stats()["entries"] == 2
        assert sc2.lookup_text("en", "where is my order 77, it has not arrived")[0] == b"track-77"
        assert sc2.lookup_text("en", "where is my order 78, it has not arrived") is None
        damaged = bytearray(path.read_bytes())
        damaged[len(damaged) // 2] ^= 0x20
        (tmp_path / "bad.bin").write_bytes(bytes(damaged))
        with pytest.raises(ecai.Corrupt):
            sc2.load(tmp_path / "bad.bin")
        (tmp_path / "short.bin").write_bytes(path.read_bytes()[:50])
        with pytest.raises(ecai.Corrupt):
            sc2.load(tmp_path / "short.bin")
        with pytest.raises(ecai.NotFound):
            sc2.load(tmp_path / "none.bin")
        assert sc2.stats()["entries"] == 2
    with ecai.SemanticCache(ctx, dim=4, threshold=0.9) as v4:
        with pytest.raises(ecai.InvalidArgument):
            v4.load(path)  # text vectors do not fit a 4-dimensional cache
        v4.put("p", [1, 0, 0, 0], "How do I pay with my debit card?", b"debit")
        v4.put("p", [1, 0, 0, 0], "Is my card payment safe?", b"safe")
        assert v4.lookup("p", [1, 0, 0, 0], "how can i pay with a debit card")[0] == b"debit"
        assert v4.lookup("p", [1, 0, 0, 0], "How do I pay with my credit card?") is None
        v4.word_mismatch = 1.0
        assert v4.lookup("p", [1, 0, 0, 0], "How do I pay with my credit card?") is not None
        with pytest.raises(ecai.InvalidArgument):
            v4.word_mismatch = 1.5


def test_semantic_cache_persist_path_restart(tmp_path):
    path = tmp_path / "warm.bin"
    with ecai.Context({"cache": {"semantic_persist_path": str(path)}}) as ctx:
        with ecai.SemanticCache(ctx) as sc:
            sc.put_text("en", "Do you ship to Norway?", "yes")
        assert path.exists()
        with ecai.SemanticCache(ctx) as sc:
            assert sc.stats()["entries"] == 1 and sc.stats()["load_errors"] == 0
        path.write_bytes(b"ECAISEMC" + b"\x00" * 60)
        with ecai.SemanticCache(ctx) as sc:
            assert sc.stats()["entries"] == 0 and sc.stats()["load_errors"] == 1


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def redis_url():
    exe = shutil.which("redis-server")
    # the project installs redis-server (scripts/setup-deps.sh): missing is a failure
    assert exe, "redis-server not installed (scripts/setup-deps.sh installs it)"
    port = _free_port()
    p = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.01)
        yield "redis://127.0.0.1:%d" % port
    finally:
        p.kill()
        p.wait()


def test_redis_backend_shared_between_handles(redis_url):
    cfg = {"cache": {"backend": "redis"}, "redis": {"url": redis_url, "prefix": "py:", "timeout_ms": 200}}
    with ecai.Context(cfg) as ctx, ecai.Cache(ctx) as a, ecai.Cache(ctx) as b:
        a.put("q", "shared", ttl_ms=60000, products=[("S1", "price=1")])
        assert b.get("q") == b"shared"
        assert b.invalidate_product("S1", "price=2") == 1
        assert a.get("q") is None
        assert a.counter_add("budget", 2.0, window_s=3600) == 2.0
        assert b.counter_add("budget", 0.5, window_s=3600) == 2.5
        assert a.stats()["backend"] == "redis"
