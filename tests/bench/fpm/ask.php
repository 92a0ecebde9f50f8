<?php
// tests/bench/bench_fpm.sh: the support assistant as PHP code writes it on each request (a
// context, the saved knowledge base, an assistant, one question; offline, extractive).
$ctx = new Ecai\Context('{}');
$kb = Ecai\KnowledgeBase::open(getenv("ECAI_KB"), $ctx);
$bot = new Ecai\Support($ctx, $kb);
$a = $bot->answer($_GET["q"] ?? "");
header("Content-Type: application/json");
echo json_encode(["escalated" => $a["escalated"], "citations" => $a["citations"]]);
