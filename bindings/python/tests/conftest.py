import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..")))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
os.environ.setdefault("ECAI_LIBRARY", os.path.join(ROOT, "lib", "libecai.so.0"))
