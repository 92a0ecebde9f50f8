<?php
// tests/bench/bench_fpm.sh: recommendations as PHP code writes them on each request (load the
// saved model, recommend for the cart).
$r = Ecai\Recommender::load(getenv("ECAI_RECO"));
$items = $r->recommend([$_GET["cart"] ?? ""], [], 10);
header("Content-Type: application/json");
echo json_encode(array_column($items, "id"));
