<?php
// tests/bench/bench_fpm.sh: the libecai endpoint, exactly as PHP code would write it on each
// request (a context, the store, the search index, one query).
$dir = getenv("ECAI_STORE");
$q = $_GET["q"] ?? "";
$ctx = new Ecai\Context('{}');
$store = Ecai\Store::open($ctx, $dir);
$search = Ecai\Search::open($store, $dir);
$r = $search->query($q, ['k' => 10]);
header("Content-Type: application/json");
echo json_encode(array_column($r["hits"], "id"));
