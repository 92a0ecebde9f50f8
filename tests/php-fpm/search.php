<?php
// The endpoint of tests/php-fpm/run.sh: what PHP code does on every request (context, store,
// search, query), answering with what the worker kept (Ecai\Store::persistentStats()).
// GET dir (default: env ECAI_STORE), q, persistent=0 (ini_set ecai.persistent off first),
// price_max (a filter), update=SKU&price=X (Store::update before the query).
header("Content-Type: application/json");
$dir = $_GET["dir"] ?? getenv("ECAI_STORE");
if (($_GET["persistent"] ?? "1") === "0") ini_set("ecai.persistent", "0");
try {
  $ctx = new Ecai\Context('{}');
  $store = Ecai\Store::open($ctx, $dir);
  $search = Ecai\Search::open($store, $dir);
  if (isset($_GET["update"])) $store->update($_GET["update"], ["price" => (float)$_GET["price"]]);
  $opts = ["k" => 10];
  if (isset($_GET["price_max"])) $opts["filters"] = ["price_max" => (float)$_GET["price_max"]];
  $r = $search->query($_GET["q"] ?? "sofa", $opts);
  $st = Ecai\Store::persistentStats();
  echo json_encode(["pid" => getmypid(), "count" => count($store), "ids" => array_column($r["hits"], "id"),
                    "opened" => $st["opened"], "reused" => $st["reused"], "failed" => $st["failed"],
                    "kept" => count(array_filter($st["entries"], fn($e) => $e["listed"]))]), "\n";
} catch (Ecai\EcaiException $e) {
  http_response_code(503);
  echo json_encode(["pid" => getmypid(), "error" => $e->getMessage(), "code" => $e->getCode()], JSON_UNESCAPED_SLASHES), "\n";
}
