--TEST--
Ecai\Cache on Redis: shared between handles; an unreachable server is a miss
--EXTENSIONS--
ecai
--FILE--
<?php
$s = stream_socket_server("tcp://127.0.0.1:0");
$port = (int)substr(strrchr(stream_socket_get_name($s, false), ":"), 1);
fclose($s);
$proc = proc_open(["/usr/bin/redis-server", "--port", "$port", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                  [1 => ["file", "/dev/null", "w"], 2 => ["file", "/dev/null", "w"]], $pipes);
for ($i = 0; $i < 500; $i++) { $f = @fsockopen("127.0.0.1", $port); if ($f) { fclose($f); break; } usleep(10000); }
$cfg = json_encode(["cache" => ["backend" => "redis"], "redis" => ["url" => "redis://127.0.0.1:$port", "prefix" => "php:", "timeout_ms" => 200]]);
$ctx = new Ecai\Context($cfg);
$a = new Ecai\Cache($ctx);
$b = new Ecai\Cache($ctx);
$a->put("q", "shared", 60000);
var_dump($b->get("q"));
var_dump($a->counterAdd("budget", 2.0, 3600) + $b->counterAdd("budget", 0.5, 3600));
proc_terminate($proc, 9);
proc_close($proc);
var_dump($a->get("q"));
var_dump($a->stats()["backend_errors"] >= 1);
?>
--EXPECT--
string(6) "shared"
float(4.5)
NULL
bool(true)
