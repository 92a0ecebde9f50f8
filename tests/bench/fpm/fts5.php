<?php
// tests/bench/bench_fpm.sh: the same search on SQLite FTS5 through pdo_sqlite (porter
// unicode61 over the titles, query terms joined with OR, ranked by bm25), as a shop would
// write it: a connection per request, a prepared statement, the 10 best ids (unicode61 folds
// case itself).
$q = $_GET["q"] ?? "";
$terms = preg_split('/[^\p{L}\p{N}]+/u', $q, -1, PREG_SPLIT_NO_EMPTY);
$ids = [];
if ($terms) {
  $match = implode(" OR ", array_map(fn($t) => '"' . $t . '"', $terms));
  $db = new PDO("sqlite:" . getenv("FTS5_DB"), null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
  $st = $db->prepare("SELECT product_id FROM products WHERE products MATCH ? ORDER BY bm25(products) LIMIT 10");
  $st->execute([$match]);
  $ids = $st->fetchAll(PDO::FETCH_COLUMN);
}
header("Content-Type: application/json");
echo json_encode($ids);
