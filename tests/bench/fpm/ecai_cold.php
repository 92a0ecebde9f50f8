<?php
// ecai.php with ecai.persistent off: every request opens the store and search index again.
ini_set("ecai.persistent", "0");
require __DIR__ . "/ecai.php";
