import math
import os

import pytest

import ecai
from conftest import ROOT

SMALL_CSV = os.path.join(ROOT, "tests", "data", "catalog_small.csv")
MAPPING = {"id": "sku", "title": "name", "description": "desc", "category": "cat"}


@pytest.fixture
def ctx():
    with ecai.Context() as c:
        yield c


def test_catalog_load_add_get_remove(ctx, tmp_path):
    with ecai.Catalog(ctx) as cat:
        assert cat.load(SMALL_CSV, columns=MAPPING) == (5, 0)
        assert len(cat) == 5
        p = cat["A-3"]
        assert p["title"] == 'LED bulb 60W "warm white"' and p["in_stock"] is False
        i = cat.add({"id": "N1", "title": "Walnut bookshelf", "price": 120, "attributes": {"w": 80}})
        assert cat.id_of("N1") == i and cat.sku_of(i) == "N1" and "N1" in cat
        h = cat.content_hash(i)
        cat.add({"id": "N1", "title": "Walnut bookcase"})
        assert cat.content_hash(i) != h
        cat.remove("N1")
        assert "N1" not in cat and len(cat) == 5
        assert [s for _, s in cat][:2] == ["A-1", "A-2"]
        cat.save(tmp_path / "c.bin")
        with ecai.Catalog.open(ctx, tmp_path / "c.bin") as back:
            assert back["A-1"] == cat["A-1"]


def test_catalog_errors(ctx, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title,price\n1,ok,1\n2,bad,abc\n")
    with ecai.Catalog(ctx) as cat:
        with pytest.raises(ecai.ParseError) as ei:
            cat.load(bad)
        assert "bad.csv:3:" in str(ei.value)
        assert len(cat) == 0
        assert cat.load(bad, lenient=True) == (1, 1)
        with pytest.raises(ecai.NotFound):
            cat.get("nope")
        with pytest.raises(ecai.InvalidArgument):
            cat.add({"title": "no id"})


def test_embedder_and_index_by_vector(ctx, tmp_path):
    with ecai.Catalog(ctx) as cat, ecai.Embedder(ctx) as emb:
        cat.load(SMALL_CSV, columns=MAPPING)
        emb.fit(cat)
        assert emb.identity()["kind"] == "builtin"
        v = emb.embed("grey sofa")
        assert len(v) == emb.dim == 384
        assert abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-5
        ids = [i for i, _ in cat]
        vecs = emb.embed_batch([cat[s]["title"] for _, s in cat])
        with ecai.Index(ctx, emb.dim, "Flat") as idx:
            idx.add(ids, vecs)
            idx.bind_embedder(emb)
            assert len(idx) == 5
            hits = idx.search(v, k=2)
            assert cat.sku_of(hits[0][0]) == "A-1" and hits[0][1] >= hits[1][1]
            even = [i for i, _ in idx.search(v, k=5, filter=lambda i: i % 2 == 0)]
            assert even and all(i % 2 == 0 for i in even)
            assert [i for i, _ in idx.search(v, k=5, allowed=[1, 2])] in ([1, 2], [2, 1])
            assert idx.search_batch([v, vecs[3]], k=1)[1][0][0] == ids[3]
            with pytest.raises(ecai.InvalidArgument):
                idx.search([float("nan")] * 384)
            idx.save(tmp_path / "i.bin")
            with ecai.Index.open(ctx, tmp_path / "i.bin") as back:
                assert back.search(v, k=1) == hits[:1]
                back.check_embedder(emb)


def test_store_build_search_save_open(ctx, tmp_path):
    with ecai.Store(ctx) as st:
        st.catalog.load(SMALL_CSV, columns=MAPPING)
        seen = []
        assert st.build(progress=lambda d, t: seen.append((d, t))) == 5
        assert seen[-1] == (5, 5)
        hits = st.search("cordless drill", k=2)
        assert hits[0]["id"] == "A-4" and "title" in hits[0]
        st.catalog.add({"id": "A-9", "title": "Velvet armchair"})
        assert st.build() == 1
        assert len(st.index) == 6
        st.save(tmp_path / "state")
    with ecai.Store.open(ctx, tmp_path / "state") as back:
        assert back.search("velvet armchair", k=1)[0]["id"] == "A-9"
        assert back.build() == 0  # nothing re-embedded after a restart
    (tmp_path / "state" / "index.bin").write_bytes(b"garbage")
    with pytest.raises(ecai.Corrupt):
        ecai.Store.open(ctx, tmp_path / "state")


def test_embedder_attach_cache_remote_and_builtin():
    from fakellm import FakeLLM
    with FakeLLM() as fake:
        ctx = ecai.Context({"embedder": {"kind": "openai", "base_url": fake.url, "model": "m", "dim": 64}})
        with ctx, ecai.Embedder(ctx) as emb, ecai.Cache(ctx) as cache:
            emb.attach_cache(cache)
            fake.reset()
            a = emb.embed_batch(["grey sofa", "oak table"])
            b = emb.embed_batch(["grey sofa", "oak table"])
            assert fake.stats()["requests"].get("/v1/embeddings") == 1
            assert [list(v) for v in a] == [list(v) for v in b]
            emb.attach_cache(None)
            emb.embed("grey sofa")
            assert fake.stats()["requests"].get("/v1/embeddings") == 2
    with ecai.Context() as ctx, ecai.Embedder(ctx) as emb, ecai.Cache(ctx) as cache:
        with pytest.raises(ecai.Unsupported):
            emb.attach_cache(cache)


def test_catalog_unterminated_quote_and_size_limits(tmp_path):
    open_csv = tmp_path / "open.csv"
    open_csv.write_text('id,title\n1,"unterminated\n2,ok\n')
    big = tmp_path / "big.csv"
    big.write_text("id,title,brand\n1,ok,b\n2," + "x" * 200 + ",b\n3,fine,b\n")
    multi = tmp_path / "multi.csv"
    multi.write_text('id,title\n1,"two\nlines"\n2,ok\n')
    with ecai.Context({"catalog": {"max_field_bytes": 100}}) as ctx, ecai.Catalog(ctx) as cat:
        assert cat.load_report() == {"read": 0, "loaded": 0, "skipped": 0, "first_skip": None,
                                     "skipped_by_reason": {r: 0 for r in (
                                         "malformed_row", "bad_value", "invalid_utf8", "unterminated_quote",
                                         "field_too_large", "record_too_large")}}
        with pytest.raises(ecai.ParseError) as ei:
            cat.load(open_csv)
        assert str(open_csv) + ":2: unterminated quoted field starting here" in str(ei.value)
        assert ei.value.status == -11 and len(cat) == 0
        assert cat.load(open_csv, lenient=True) == (1, 1)
        assert cat["2"]["title"] == "ok" and "1" not in cat
        rep = cat.load_report()
        assert (rep["read"], rep["loaded"], rep["skipped"]) == (2, 1, 1)
        assert rep["skipped_by_reason"]["unterminated_quote"] == 1
        assert rep["first_skip"] == str(open_csv) + ":2: unterminated quoted field starting here"
        with pytest.raises(ecai.ParseError) as ei:
            cat.load(big)
        assert "big.csv:3: field in column 2 (title) is larger than catalog.max_field_bytes (100 bytes)" in str(ei.value)
        assert cat.load_report()["loaded"] == 0  # a failed load reports nothing
        assert cat.load(big, lenient=True) == (2, 1)
        assert cat.load_report()["skipped_by_reason"]["field_too_large"] == 1
        assert cat.load(multi) == (2, 0)
        assert cat["1"]["title"] == "two\nlines"
