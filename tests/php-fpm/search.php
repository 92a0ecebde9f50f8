<?php
// The endpoint of tests/php-fpm/run.sh: what PHP code does on every request (context, store,
// search, query), answering with what the worker kept (Ecai\Store::persistentStats()).
// GET dir (default: env ECAI_STORE), q, persistent=0 (ini_set ecai.persistent off first).
header("Content-Type: application/json");
$dir = $_GET["dir"] ?? getenv("ECAI_STORE");
if (($_GET["persistent"] ?? "1") === "0") ini_set("ecai.persistent", "0");
try {
  $ctx = new Ecai\Context('{}');
  $store = Ecai\Store::open($ctx, $dir);
  $search = Ecai\Search::open($store, $dir);
  $r = $search->query($_GET["q"] ?? "sofa", ["k" => 10]);
  $st = Ecai\Store::persistentStats();
  echo json_encode(["pid" => getmypid(), "count" => count($store), "ids" => array_column($r["hits"], "id"),
                    "opened" => $st["opened"], "reused" => $st["reused"], "failed" => $st["failed"],
                    "kept" => count(array_filter($st["entries"], fn($e) => $e["listed"]))]), "\n";
} catch (Ecai\EcaiException $e) {
  http_response_code(503);
  echo json_encode(["pid" => getmypid(), "error" => $e->getMessage(), "code" => $e->getCode()], JSON_UNESCAPED_SLASHES), "\n";
}
