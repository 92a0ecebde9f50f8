"""LLM client: prompts with delimited data sections, chat, streaming, JSON mode, batches, stats.

    import ecai
    with ecai.Context({"llm": {"provider": "openai", "base_url": url, "model": "m",
                               "api_key_env": "OPENAI_API_KEY"}}) as ctx, ecai.LLM(ctx) as llm:
        reply = llm.chat("Which lamp suits a desk?", system="You are a shop assistant.")
        print(reply["text"], reply["usage"], reply["cost"], reply["downgrade"])

Replies are dicts (text, finish_reason, model, provider, usage, cost, attempts, retries,
latency_ms, downgrade, cached; "json" in JSON mode). Errors raise ecai.EcaiError subclasses
(HTTPError, Timeout, ParseError, BudgetExceeded, Cancelled, ...).
An LLM handle is internally locked: it may be shared between threads (calls are serialised);
use batch() for concurrent requests.
"""
import ctypes
import json
from ctypes import CFUNCTYPE, POINTER, byref, c_char_p, c_double, c_int, c_int64, c_size_t, c_void_p

from . import _lib
from ._lib import Handle, check, lib

SYSTEM, USER, ASSISTANT = 1, 2, 3
_ROLES = {"system": SYSTEM, "user": USER, "assistant": ASSISTANT}

# option name -> (enum value, python type); value ranges encode the C type
OPTIONS = {
    "base_url": (1, str), "api_key": (2, str), "model": (3, str), "provider": (4, str), "header": (5, str),
    "timeout_ms": (100, int), "max_retries": (101, int), "connect_timeout_ms": (102, int),
    "max_tokens": (103, int), "max_reply_bytes": (104, int), "backoff_ms": (105, int),
    "backoff_max_ms": (106, int), "retry_budget": (107, int), "breaker_threshold": (108, int),
    "breaker_cooldown_ms": (109, int), "batch_concurrency": (110, int), "verify_tls": (111, int),
    "temperature": (200, float), "budget_limit": (201, float), "budget_window_s": (202, float),
    "budget_near": (203, float),
}

_STREAM_FN = CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
_CACHE_GET_FN = CFUNCTYPE(c_int, c_void_p, c_size_t, POINTER(c_void_p), POINTER(c_size_t), c_void_p)
_CACHE_PUT_FN = CFUNCTYPE(None, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p)

_lib.register([
    ("ecai_prompt_new", [POINTER(c_void_p)], c_int, check),
    ("ecai_prompt_free", [c_void_p], None, None),
    ("ecai_prompt_add", [c_void_p, c_int, c_char_p, c_size_t], c_int, check),
    ("ecai_prompt_add_template", [c_void_p, c_int, c_char_p, c_char_p], c_int, check),
    ("ecai_prompt_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_llm_new", [POINTER(c_void_p), c_void_p], c_int, check),
    ("ecai_llm_free", [c_void_p], None, None),
    ("ecai_llm_set_str", [c_void_p, c_int, c_char_p], c_int, check),
    ("ecai_llm_set_int", [c_void_p, c_int, c_int64], c_int, check),
    ("ecai_llm_set_double", [c_void_p, c_int, c_double], c_int, check),
    ("ecai_llm_chat", [POINTER(c_void_p), c_void_p, c_void_p], c_int, check),
    ("ecai_llm_chat_stream", [POINTER(c_void_p), c_void_p, c_void_p, _STREAM_FN, c_void_p], c_int, None),
    ("ecai_llm_chat_json", [POINTER(c_void_p), c_void_p, c_void_p, c_char_p], c_int, check),
    ("ecai_llm_chat_batch", [POINTER(c_void_p), POINTER(c_int), c_void_p, POINTER(c_void_p), c_size_t],
     c_int, None),
    ("ecai_llm_cancel", [c_void_p], c_int, check),
    ("ecai_llm_set_cache", [c_void_p, _CACHE_GET_FN, _CACHE_PUT_FN, c_void_p], c_int, check),
    ("ecai_llm_attach_cache", [c_void_p, c_void_p], c_int, check),
    ("ecai_llm_stats_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_llm_last_raw", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, None),
    ("ecai_llm_reply_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_llm_reply_free", [c_void_p], None, None),
])


def _role(r):
    if isinstance(r, int):
        return r
    try:
        return _ROLES[r]
    except KeyError:
        raise _lib.InvalidArgument(-2, "unknown role %r (system, user, assistant)" % (r,))


class Prompt(Handle):
    """An ordered list of messages. Untrusted text goes into template slots only::

        p = Prompt().add("system", "Answer from the document only.")
        p.add_template("user", "{{doc}}\\nQuestion: {{q}}", doc=page, q=question)
    """

    _free = "ecai_prompt_free"

    def __init__(self, messages=None):
        super().__init__()
        h = c_void_p()
        lib.ecai_prompt_new(byref(h))
        self._h = h
        for m in messages or ():
            if isinstance(m, dict):
                self.add(m["role"], m["content"])
            else:
                self.add(m[0], m[1])

    def add(self, role, text):
        data, n = _lib.to_bytes(text)
        lib.ecai_prompt_add(self.handle, _role(role), data, n)
        return self

    def add_template(self, role, template, **slots):
        lib.ecai_prompt_add_template(self.handle, _role(role), template.encode("utf-8"),
                                     json.dumps(slots).encode("utf-8"))
        return self

    def messages(self):
        out, n = c_void_p(), c_size_t()
        lib.ecai_prompt_json(byref(out), byref(n), self.handle)
        return json.loads(_lib.take_string(out, n.value))


def _as_prompt(message, system=None):
    if isinstance(message, Prompt):
        if system is not None:
            raise _lib.InvalidArgument(-2, "pass system inside the Prompt")
        return message, False
    p = Prompt()
    if system is not None:
        p.add("system", system)
    if isinstance(message, (list, tuple)):
        for m in message:
            if isinstance(m, dict):
                p.add(m["role"], m["content"])
            else:
                p.add(m[0], m[1])
    else:
        p.add("user", message)
    return p, True


def _reply(ptr):
    try:
        out, n = c_void_p(), c_size_t()
        lib.ecai_llm_reply_json(byref(out), byref(n), ptr)
        return json.loads(_lib.take_string(out, n.value))
    finally:
        lib.ecai_llm_reply_free(ptr)


class LLM(Handle):
    """A chat client configured from a Context's "llm" section."""

    _free = "ecai_llm_free"

    def __init__(self, ctx, **options):
        super().__init__()
        self._ctx = ctx  # the context must outlive the client
        h = c_void_p()
        lib.ecai_llm_new(byref(h), ctx.handle)
        self._h = h
        for k, v in options.items():
            self.set(k, v)

    def set(self, name, value):
        """Sets an option by name (see OPTIONS); ``set("header", None)`` clears added headers."""
        try:
            opt, typ = OPTIONS[name]
        except KeyError:
            raise _lib.Unsupported(-7, "unknown LLM option %r" % (name,))
        if typ is str:
            lib.ecai_llm_set_str(self.handle, opt, None if value is None else str(value).encode("utf-8"))
        elif typ is int:
            lib.ecai_llm_set_int(self.handle, opt, int(value))
        else:
            lib.ecai_llm_set_double(self.handle, opt, float(value))
        return self

    def chat(self, message, system=None):
        """One request; ``message`` is a str (user turn), a list of (role, text) or a Prompt."""
        p, own = _as_prompt(message, system)
        try:
            r = c_void_p()
            lib.ecai_llm_chat(byref(r), self.handle, p.handle)
            return _reply(r)
        finally:
            if own:
                p.close()

    def stream(self, message, callback, system=None):
        """Streams text deltas to ``callback(str)``; returns the full reply dict. If the
        callback raises, the stream stops and the exception propagates."""
        p, own = _as_prompt(message, system)
        err = []

        def cb(ptr, n, _payload):
            try:
                callback(ctypes.string_at(ptr, n).decode("utf-8", "replace"))
                return 0
            except BaseException as e:  # never let an exception cross into C
                err.append(e)
                return 1
        fn = _STREAM_FN(cb)
        try:
            r = c_void_p()
            st = lib.ecai_llm_chat_stream(byref(r), self.handle, p.handle, fn, None)
            if err:
                raise err[0]
            if st != 0:
                _lib.raise_for(st)
            return _reply(r)
        finally:
            if own:
                p.close()

    def chat_json(self, message, shape=None, system=None):
        """JSON mode: the reply's "json" key holds the validated object. ``shape`` is
        "key:type,..." (types: string number integer boolean array object any)."""
        p, own = _as_prompt(message, system)
        try:
            r = c_void_p()
            lib.ecai_llm_chat_json(byref(r), self.handle, p.handle,
                                   shape.encode("utf-8") if shape else None)
            return _reply(r)
        finally:
            if own:
                p.close()

    def batch(self, messages):
        """Concurrent requests; returns a list with a reply dict or an EcaiError per item."""
        prompts = [_as_prompt(m) for m in messages]
        n = len(prompts)
        try:
            arr = (c_void_p * max(n, 1))(*[p.handle for p, _ in prompts])
            outs = (c_void_p * max(n, 1))()
            sts = (c_int * max(n, 1))()
            lib.ecai_llm_chat_batch(outs, sts, self.handle, arr, n)
            msg = _lib.last_error()
            res = []
            for i in range(n):
                if sts[i] == 0:
                    res.append(_reply(c_void_p(outs[i])))
                else:
                    cls = _lib._BY_STATUS.get(sts[i], _lib.EcaiError)
                    res.append(cls(sts[i], msg if ("item %d:" % i) in msg else _lib.lib.ecai_status_str(sts[i]).decode()))
            return res
        finally:
            for p, own in prompts:
                if own:
                    p.close()

    def attach_cache(self, cache):
        """Answers repeated requests from an ``ecai.Cache`` (in-process or Redis) without a
        model call; replies are stored with their cost, so ``cache.stats()`` and
        ``stats()`` show what was saved. ``attach_cache(None)`` detaches. The cache must
        stay open while attached (this object keeps a reference)."""
        lib.ecai_llm_attach_cache(self.handle, cache.handle if cache is not None else None)
        self._attached_cache = cache

    def set_cache(self, get=None, put=None):
        """Cache hooks for the "cache" downgrade step: ``get(key) -> str or None`` and
        ``put(key, text)`` (called after each model reply). ``key`` is a JSON string of the
        model and messages. ``set_cache()`` removes them."""
        if get is None:
            self._cache_fns = None
            lib.ecai_llm_set_cache(self.handle, _CACHE_GET_FN(), _CACHE_PUT_FN(), None)
            return
        held = {}

        def get_impl(kp, kn, out, out_len, _payload):
            try:
                v = get(ctypes.string_at(kp, kn).decode("utf-8"))
                if v is None:
                    return 0
                buf = ctypes.create_string_buffer(v.encode("utf-8"))
                held["buf"] = buf  # valid until the next call, as the C contract asks
                out[0] = ctypes.cast(buf, c_void_p)
                out_len[0] = len(buf.value)
                return 1
            except Exception:
                return 0

        def put_impl(kp, kn, tp, tn, _payload):
            try:
                if put is not None:
                    put(ctypes.string_at(kp, kn).decode("utf-8"), ctypes.string_at(tp, tn).decode("utf-8"))
            except Exception:
                pass
        fns = (_CACHE_GET_FN(get_impl), _CACHE_PUT_FN(put_impl), held)
        lib.ecai_llm_set_cache(self.handle, fns[0], fns[1], None)
        self._cache_fns = fns  # keep alive while C may call them

    def cancel(self):
        """Cancels calls running on this handle (safe from another thread)."""
        lib.ecai_llm_cancel(self.handle)

    def stats(self):
        out, n = c_void_p(), c_size_t()
        lib.ecai_llm_stats_json(byref(out), byref(n), self.handle)
        return json.loads(_lib.take_string(out, n.value))

    def last_raw(self):
        """Raw text of the last reply that failed JSON validation, or None."""
        out, n = c_void_p(), c_size_t()
        st = lib.ecai_llm_last_raw(byref(out), byref(n), self.handle)
        if st != 0:
            return None
        return _lib.take_string(out, n.value)
