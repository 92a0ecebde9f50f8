"""libecai for Python: embeddable e-commerce AI (ctypes binding).

    import ecai
    with ecai.Context({"llm": {"provider": "none"}}) as ctx:
        print(ecai.version(), ctx.config()["embedder"]["kind"])

Errors raise ``ecai.EcaiError`` subclasses carrying ``status`` and the library's message.
"""
from ._lib import (Aborted, BackendError, BudgetExceeded, BufferTooSmall, Cancelled, Corrupt,
                   EcaiError, HTTPError, InvalidArgument, InvalidState, IOFailure, NotFound,
                   OutOfMemory, ParseError, Timeout, Unsupported, last_error)
from .core import (LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_OFF, LOG_WARN, Context, status_str,
                   version, version_number)
# catalog, embedder, index, search:
from .catalog import (FORMAT_AUTO, FORMAT_CSV, FORMAT_JSONL, FORMAT_TSV, INDEX_OPT_EF_SEARCH,
                      INDEX_OPT_NPROBE, Catalog, Embedder, Index, Store)
from .search import Search

# llm:
from .llm import LLM, Prompt

# cache:
from .cache import Cache, SemanticCache, cache_key, cache_key_json, fact_hash, semantic_verify

# experiment, pricing:
from . import experiment
from .experiment import (Experiment, Kpi, Pricing, abtest_csv, bootstrap_diff, hash_point, mde,
                         proportions_test, sample_size, srm, variant_for_point, welch_test)

# recommend, guard, support:
from .recommend import Recommender, evaluate as evaluate_recommend
from .guard import Guard, PiiMap, Verdict
from . import support
from .support import KnowledgeBase, SupportAssistant


__version__ = "0.1.0"
