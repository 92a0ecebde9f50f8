"""Support assistant: a knowledge base and guarded, retrieval-grounded answers.

    import ecai
    ctx = ecai.Context()                       # llm.provider "none": extractive answers
    with ecai.KnowledgeBase(ctx) as kb:
        kb.add_path("docs/")                   # .md .txt .html, or a FAQ JSON list
        with ecai.SupportAssistant(ctx, kb) as bot:
            r = bot.answer("How long do I have to return an item?")
            r["answer"], r["escalated"], r["reason"], r["citations"]

    ecai.support.answer(kb, "question")        # one-shot helper

Learning from resolved tickets: kb.add_example("faq03", "where is my parcel") or
kb.add_examples_tsv(path_or_text) ("question<TAB>expected", expected = entry ids or ESCALATE);
bot.resolve(result, "faq03") turns an escalation the agent answered into an example
(source None: a person was needed).

The result is the JSON of ecai_support_answer() as a dict (see include/ecai/support.h).
"""
import json
import os
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_void_p

from . import _lib
from ._lib import Handle, check, lib, to_bytes

TEXT, MARKDOWN, HTML, FAQ_JSON, AUTO = 1, 2, 3, 4, 0
ESCALATE = "ESCALATE"

_lib.register([
    ("ecai_kb_new", [POINTER(c_void_p), c_void_p], c_int, check),
    ("ecai_kb_free", [c_void_p], None, None),
    ("ecai_kb_add_text", [POINTER(c_size_t), c_void_p, c_char_p, c_char_p, c_size_t, c_int], c_int, check),
    ("ecai_kb_add_path", [POINTER(c_size_t), c_void_p, c_char_p], c_int, check),
    ("ecai_kb_remove", [c_void_p, c_char_p], c_int, check),
    ("ecai_kb_stats", [POINTER(c_size_t), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_kb_search_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_char_p, c_size_t], c_int, check),
    ("ecai_kb_save", [c_void_p, c_char_p], c_int, check),
    ("ecai_kb_open", [POINTER(c_void_p), c_void_p, c_char_p], c_int, check),
    ("ecai_kb_add_example", [c_void_p, c_char_p, c_char_p], c_int, check),
    ("ecai_kb_add_examples_tsv", [POINTER(c_size_t), c_void_p, c_char_p, c_size_t], c_int, check),
    ("ecai_support_resolve", [c_void_p, c_char_p, c_char_p], c_int, check),
    ("ecai_support_new", [POINTER(c_void_p), c_void_p, c_void_p], c_int, check),
    ("ecai_support_free", [c_void_p], None, None),
    ("ecai_support_answer", [POINTER(c_void_p), POINTER(c_size_t), c_void_p, c_char_p, c_char_p, c_char_p],
     c_int, check),
])


def _json_arg(v):
    if v is None:
        return None
    if isinstance(v, (bytes, str)):
        return to_bytes(v)[0]
    return json.dumps(v).encode("utf-8")


class KnowledgeBase(Handle):
    """Chunked documents with hybrid (BM25 + embedding) retrieval. Keeps its Context alive."""

    _free = "ecai_kb_free"

    def __init__(self, ctx=None):
        super().__init__()
        if ctx is None:
            from .core import Context
            ctx = Context()
        self._ctx = ctx
        h = c_void_p()
        lib.ecai_kb_new(byref(h), ctx.handle)
        self._h = h

    @classmethod
    def open(cls, path, ctx=None):
        """Opens a knowledge base written by save(), mapped and used in place (analysed again
        only when ctx's embedder or the tokenizer differ from the ones that saved it)."""
        kb = cls.__new__(cls)
        Handle.__init__(kb)
        if ctx is None:
            from .core import Context
            ctx = Context()
        kb._ctx = ctx
        h = c_void_p()
        lib.ecai_kb_open(byref(h), ctx.handle, str(path).encode())
        kb._h = h
        return kb

    def save(self, path):
        """Writes the KB atomically with a checksum."""
        lib.ecai_kb_save(self.handle, str(path).encode())

    def add_text(self, source, text, fmt=AUTO):
        """Adds or replaces one document; returns the number of documents changed (0: unchanged)."""
        b, n = to_bytes(text)
        changed = c_size_t()
        lib.ecai_kb_add_text(byref(changed), self.handle, source.encode(), b, n, fmt)
        return changed.value

    def add_path(self, path):
        """Adds a file or every document of a folder; returns the number of documents changed."""
        changed = c_size_t()
        lib.ecai_kb_add_path(byref(changed), self.handle, str(path).encode())
        return changed.value

    def remove(self, source):
        lib.ecai_kb_remove(self.handle, source.encode())

    @property
    def stats(self):
        """(documents, chunks)."""
        d, c = c_size_t(), c_size_t()
        lib.ecai_kb_stats(byref(d), byref(c), self.handle)
        return d.value, c.value

    def add_example(self, source, question):
        """Stores a customer question as an example of entry `source` (or ESCALATE); a duplicate adds nothing."""
        lib.ecai_kb_add_example(self.handle, to_bytes(source)[0], to_bytes(question)[0])

    def add_examples_tsv(self, tsv):
        """Adds examples from TSV text, bytes or a path (os.PathLike); returns the number added.
        A bad line adds nothing and raises with its line number."""
        if isinstance(tsv, os.PathLike):
            with open(tsv, "rb") as f:
                tsv = f.read()
        b, n = to_bytes(tsv)
        added = c_size_t()
        lib.ecai_kb_add_examples_tsv(byref(added), self.handle, b, n)
        return added.value

    def search(self, query, k=4):
        out, n = c_void_p(), c_size_t()
        lib.ecai_kb_search_json(byref(out), byref(n), self.handle, to_bytes(query)[0], k)
        return json.loads(_lib.take_string(out, n.value))


class SupportAssistant(Handle):
    """Answers questions from a KnowledgeBase (LLM when the context configures one)."""

    _free = "ecai_support_free"

    def __init__(self, ctx, kb):
        super().__init__()
        self._ctx, self._kb = ctx, kb  # both must outlive the assistant
        h = c_void_p()
        lib.ecai_support_new(byref(h), ctx.handle, kb.handle)
        self._h = h

    def answer(self, question, conversation=None, context=None):
        """Returns the result dict; conversation: list of str or {role, content}; context: any JSON value."""
        out, n = c_void_p(), c_size_t()
        lib.ecai_support_answer(byref(out), byref(n), self.handle, to_bytes(question)[0], _json_arg(conversation),
                                _json_arg(context))
        return json.loads(_lib.take_string(out, n.value))

    def resolve(self, result, source=None):
        """Learns from a resolved escalation: result = answer()'s dict (or JSON text, or its handoff);
        source = the entry the agent answered with, or None when a person was needed."""
        js = result if isinstance(result, (str, bytes)) else json.dumps(result)
        lib.ecai_support_resolve(self.handle, to_bytes(js)[0], None if source is None else to_bytes(source)[0])


def answer(kb, question, conversation=None, context=None):
    """One-shot: answers with a temporary assistant over kb (using kb's context)."""
    with SupportAssistant(kb._ctx, kb) as bot:
        return bot.answer(question, conversation, context)
