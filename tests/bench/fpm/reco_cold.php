<?php
// reco.php with ecai.persistent off: every request opens the saved file again.
ini_set("ecai.persistent", "0");
require __DIR__ . "/reco.php";
