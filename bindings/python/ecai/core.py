"""Core API: version, status names, the Context (configuration + logging)."""
import ctypes
import json
from ctypes import CFUNCTYPE, POINTER, byref, c_char_p, c_double, c_int, c_size_t, c_void_p

from . import _lib
from ._lib import Handle, check, lib

LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF = 10, 20, 30, 40, 100

_LOG_FN = CFUNCTYPE(None, c_int, c_char_p, c_void_p)

_lib.register([
    ("ecai_ctx_new", [POINTER(c_void_p), c_char_p, c_size_t], c_int, check),
    ("ecai_ctx_new_from_file", [POINTER(c_void_p), c_char_p], c_int, check),
    ("ecai_ctx_free", [c_void_p], None, None),
    ("ecai_ctx_set_log", [c_void_p, c_int, _LOG_FN, c_void_p], c_int, check),
    ("ecai_ctx_config_json", [POINTER(c_void_p), POINTER(c_size_t), c_void_p], c_int, check),
    ("ecai_ctx_get_str", [POINTER(c_char_p), c_void_p, c_char_p], c_int, check),
    ("ecai_ctx_get_number", [POINTER(c_double), c_void_p, c_char_p], c_int, check),
])


def version():
    """The loaded library's version string, e.g. '0.1.0'."""
    return lib.ecai_version_string().decode()


def version_number():
    return lib.ecai_version_number()


def status_str(status):
    return lib.ecai_status_str(status).decode()


class Context(Handle):
    """A libecai context built from a JSON configuration (str, bytes or dict).

    ``Context()`` uses the embedded defaults; ``Context(path=...)`` reads a file.
    Secrets are read from the environment variables the configuration names.
    """

    _free = "ecai_ctx_free"

    def __init__(self, config=None, path=None):
        super().__init__()
        self._log_cb = None
        h = c_void_p()
        if path is not None:
            lib.ecai_ctx_new_from_file(byref(h), str(path).encode())
        else:
            if isinstance(config, dict):
                config = json.dumps(config)
            data, n = _lib.to_bytes(config)
            lib.ecai_ctx_new(byref(h), data, n)
        self._h = h

    def config(self):
        """The effective configuration as a dict (secrets shown as '***')."""
        out, n = c_void_p(), c_size_t()
        lib.ecai_ctx_config_json(byref(out), byref(n), self.handle)
        return json.loads(_lib.take_string(out, n.value))

    def get(self, path):
        """A string or number setting by dotted path, e.g. ``ctx.get('llm.model')``."""
        s = c_char_p()
        try:
            lib.ecai_ctx_get_str(byref(s), self.handle, path.encode())
            return s.value.decode()
        except _lib.NotFound:
            d = c_double()
            lib.ecai_ctx_get_number(byref(d), self.handle, path.encode())
            return int(d.value) if d.value.is_integer() else d.value

    def set_log(self, callback, level=LOG_INFO):
        """Routes library log lines to ``callback(level, message)``; None removes it."""
        if callback is None:
            cb = _LOG_FN()
        else:
            def cb_impl(lvl, msg, _payload):
                try:
                    callback(lvl, msg.decode("utf-8", "replace"))
                except Exception:  # never let an exception cross into C
                    pass
            cb = _LOG_FN(cb_impl)
        lib.ecai_ctx_set_log(self.handle, level, cb, None)
        self._log_cb = cb  # keep alive while C may call it
