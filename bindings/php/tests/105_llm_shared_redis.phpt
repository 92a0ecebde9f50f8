--TEST--
Ecai\Llm with llm.shared "redis": two clients share one spend budget; Redis gone: per-process limits, stats()["shared"]
--EXTENSIONS--
ecai
--SKIPIF--
<?php if (!is_executable("/usr/bin/redis-server")) die("skip redis-server not installed"); ?>
--FILE--
<?php
require __DIR__ . "/fakellm.inc";
$s = fakellm_start();
$sock = stream_socket_server("tcp://127.0.0.1:0");
$port = (int)substr(strrchr(stream_socket_get_name($sock, false), ":"), 1);
fclose($sock);
$proc = proc_open(["/usr/bin/redis-server", "--port", "$port", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                  [1 => ["file", "/dev/null", "w"], 2 => ["file", "/dev/null", "w"]], $pipes);
for ($i = 0; $i < 500; $i++) { $f = @fsockopen("127.0.0.1", $port); if ($f) { fclose($f); break; } usleep(10000); }
function server(array $s, int $port): Ecai\Llm {
    $cfg = ["llm" => ["provider" => "openai", "base_url" => $s["url"], "model" => "m", "timeout_ms" => 2000,
                      "prices" => ["m" => ["input_per_mtok" => 600000, "output_per_mtok" => 0]],
                      "budget" => ["limit" => 1.0, "window_s" => 86400], "shared" => "redis"],
            "redis" => ["url" => "redis://127.0.0.1:$port", "prefix" => "phpllm" . getmypid() . ":", "timeout_ms" => 200]];
    return new Ecai\Llm(new Ecai\Context(json_encode($cfg)));
}
$a = server($s, $port);
$b = server($s, $port);
echo $a->chat("x")["downgrade"], " ", $b->chat("y")["downgrade"], "\n";
try {
    $b->chat("z");
    echo "no exception\n";
} catch (Ecai\EcaiException $e) {
    echo $e->getCode(), " ", str_contains($e->getMessage(), "shared by every process") ? "shared" : $e->getMessage(), "\n";
}
$st = $b->stats();
echo $st["shared"]["backend"], " ", $st["shared"]["state"], " ", round($st["budget"]["spent"], 6), "\n";
proc_terminate($proc, 9);
proc_close($proc);
echo $a->chat("w")["downgrade"], "\n"; /* a alone has spent 0.6: allowed, no error */
$st = $a->stats();
echo $st["shared"]["state"], " ", $st["shared"]["errors"] >= 1 ? "errors" : "none", "\n";
fakellm_stop($s);
?>
--EXPECT--
none none
-15 shared
redis ok 1.2
none
fallback errors
