--TEST--
Ecai\Kpi: record/load events, metrics, A/B + before/after report
--EXTENSIONS--
ecai
--FILE--
<?php
$k = new Ecai\Kpi();
$k->record(1714557600, "u1", "exposure", "A");
$k->record(1714557700, "u1", "order", "A", 30.0);
$k->record(1714557800, "u2", "exposure", "A");
$k->load("ts,unit,variant,event,value\n2024-05-02T09:00,u3,B,exposure,\n2024-05-02T09:02,u3,,order,50\n");
var_dump($k->count());
$m = $k->metrics("none");
foreach ($m["variants"] as $v) printf("%s visitors=%d conv=%.2f rpv=%.2f\n", $v["name"], $v["visitors"], $v["conversion_rate"], $v["revenue_per_visitor"]);
$r = $k->report("A", 1714608000);
printf("control=%s vs=%s after=%d\n", $r["control"], $r["comparisons"][0]["variant"], $r["before_after"]["after"]["visitors"]);
try { $k->load("ts,unit,event\n2024-01-01,u9,teleport\n"); } catch (Ecai\EcaiException $x) { echo $x->getCode(), " ", $x->getMessage(), "\n"; }
try { $k->record(0, "u", "teleport"); } catch (ValueError $x) { echo "ValueError\n"; }
var_dump($k->count());
?>
--EXPECT--
int(5)
A visitors=2 conv=0.50 rpv=15.00
B visitors=1 conv=1.00 rpv=50.00
control=A vs=B after=1
-11 kpi: line 2: unknown event 'teleport'
ValueError
int(5)
