# The README's Python tour. Run from the project root with the ecai package importable
# (make install-python, or PYTHONPATH=bindings/python in the tree).
import ecai

with ecai.Context({"llm": {"provider": "none"}}) as ctx:
    print(ecai.version(), ctx.get("embedder.kind"))
try:
    ecai.Context('{"llm": {"modle": "x"}}')
except ecai.InvalidArgument as e:  # status -2, "did you mean 'llm.model'?"
    print(e.status, e)

with ecai.Context() as ctx, ecai.Store(ctx) as store:
    store.catalog.load("examples/data/catalog.tsv")  # CSV, TSV or JSONL
    store.build()  # or ecai.Store.open(ctx, "store/") on a saved folder
    with ecai.Search(store) as search:
        r = search.query("sofa bed for guests", k=3)
        store.update("SKU-0002", {"price": 699.0, "in_stock": False})  # seen by the next query
print([(h["id"], h["title"]) for h in r["hits"]])
