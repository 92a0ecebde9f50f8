import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..")))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
os.environ.setdefault("ECAI_LIBRARY", os.path.join(ROOT, "lib", "libecai.so.0"))

DATA_DIR = os.environ.get("ECAI_DATA") or os.path.join(ROOT, "..", "shared", "data")


def data_path(rel):
    """Path of an outside evaluation file (under $ECAI_DATA or ../shared/data); skips the
    test, saying where it looked, when the file is absent (a lone clone)."""
    import pytest

    p = os.path.join(DATA_DIR, rel)
    if not os.path.exists(p):
        pytest.skip("no outside data %s (looked for %s; set ECAI_DATA to the data folder)" % (rel, p))
    return p


def fixture_path(rel):
    """Path of a committed fixture under tests/data."""
    return os.path.join(ROOT, "tests", "data", rel)
