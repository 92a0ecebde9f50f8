--TEST--
Ecai\Embedder::attachCache(): a remote embedder sends only texts the cache lacks; builtin refuses
--EXTENSIONS--
ecai
--FILE--
<?php
require __DIR__ . "/fakellm.inc";
$s = fakellm_start();
$url = $s["url"];
$ctx = new Ecai\Context(json_encode(["embedder" => ["kind" => "openai", "base_url" => $url, "model" => "m", "dim" => 64]]));
$emb = new Ecai\Embedder($ctx);
$emb->attachCache(new Ecai\Cache($ctx)); // the embedder keeps the cache alive
$n0 = fakellm_get($s, "/stats")["requests"]["/v1/embeddings"] ?? 0;
$a = $emb->embed("grey sofa");
$b = $emb->embed("grey sofa");
$n1 = fakellm_get($s, "/stats")["requests"]["/v1/embeddings"] ?? 0;
var_dump($n1 - $n0, $a === $b, count($a));
$emb->attachCache(null);
$emb->embed("grey sofa");
var_dump((fakellm_get($s, "/stats")["requests"]["/v1/embeddings"] ?? 0) - $n1);
try {
    (new Ecai\Embedder(new Ecai\Context()))->attachCache(new Ecai\Cache(new Ecai\Context()));
} catch (Ecai\EcaiException $e) {
    echo $e->getCode(), "\n";
}
fakellm_stop($s);
?>
--EXPECT--
int(1)
bool(true)
int(64)
int(1)
-7
