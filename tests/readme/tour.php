<?php
// The README's PHP tour. Run from the project root with the extension loaded
// (make install-php, or php -d extension=build/php/ext/modules/ecai.so in the tree).
$ctx = new Ecai\Context('{"llm": {"provider": "none"}}');
echo Ecai\version(), " ", $ctx->get("embedder.kind"), "\n";
try {
    new Ecai\Context('{"llm": {"modle": "x"}}');
} catch (Ecai\EcaiException $e) {      // code -2, "did you mean 'llm.model'?"
    echo $e->getCode(), " ", $e->getMessage(), "\n";
}

$store = new Ecai\Store(new Ecai\Context());
$store->load("examples/data/catalog.tsv");  // CSV, TSV or JSONL
$store->build();                             // or Ecai\Store::open($ctx, "store/")
$r = (new Ecai\Search($store))->query("sofa bed for guests", ["k" => 3]);
foreach ($r["hits"] as $h) echo $h["id"], " ", $h["title"], "\n";
$store->update("SKU-0002", ["price" => 699.0, "in_stock" => false]);  // seen by the next query
