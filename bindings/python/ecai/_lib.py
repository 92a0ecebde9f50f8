"""Loading libecai and declaring its prototypes (ctypes).

Load order: $ECAI_LIBRARY, then the library recorded by `make install-python` (the
generated ``_installed.py`` holds LIBRARY = "<LIBDIR>/libecai.so.0"), then the in-tree
build (lib/libecai.so.0 of the source tree this package sits in), then
ctypes.util.find_library("ecai") (the ldconfig cache), then "libecai.so.0".

Every module of the binding declares its functions with ``register()`` as a table of
``(name, argtypes, restype, errcheck)``; ``argtypes``/``restype`` are always set so that
ctypes never truncates pointers. Functions returning ``ecai_status`` use ``check``,
which raises the matching EcaiError subclass with ecai_last_error(); it runs on the
same OS thread right after the call, so the thread-local message is the right one.
"""
import ctypes
import ctypes.util
import os
from ctypes import POINTER, c_char_p, c_double, c_int, c_size_t, c_uint, c_void_p

EXPECTED_MAJOR = 0


def _candidates():
    env = os.environ.get("ECAI_LIBRARY")
    if env:
        yield env
        return
    try:
        from ._installed import LIBRARY
        yield LIBRARY
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    intree = os.path.normpath(os.path.join(here, "..", "..", "..", "lib", "libecai.so.0"))
    if os.path.exists(intree):
        yield intree
    found = ctypes.util.find_library("ecai")
    if found:
        yield found
    yield "libecai.so.0"


def _load():
    errors = []
    for cand in _candidates():
        try:
            return ctypes.CDLL(cand)
        except OSError as e:
            errors.append("%s: %s" % (cand, e))
    raise ImportError("cannot load libecai (set ECAI_LIBRARY): " + "; ".join(errors))


lib = _load()
lib.ecai_version_number.argtypes = []
lib.ecai_version_number.restype = c_uint
_major = lib.ecai_version_number() // 10000
if _major != EXPECTED_MAJOR:
    raise ImportError(
        "libecai major version %d does not match the binding's %d" % (_major, EXPECTED_MAJOR))


# ---- errors ------------------------------------------------------------------

class EcaiError(Exception):
    """A libecai call failed. ``status`` is the ecai_status code, ``message`` the detail."""

    status = -1

    def __init__(self, status, message):
        super().__init__(message or "libecai error %d" % status)
        self.status = status
        self.message = message


class InvalidArgument(EcaiError, ValueError):
    status = -2


class OutOfMemory(EcaiError, MemoryError):
    status = -3


class NotFound(EcaiError, LookupError):
    status = -4


class BufferTooSmall(EcaiError):
    status = -5


class InvalidState(EcaiError):
    status = -6


class Unsupported(EcaiError):
    status = -7


class IOFailure(EcaiError, OSError):
    status = -8


class HTTPError(EcaiError):
    status = -9


class Timeout(EcaiError, TimeoutError):
    status = -10


class ParseError(EcaiError, ValueError):
    status = -11


class BackendError(EcaiError):
    status = -12


class Aborted(EcaiError):
    status = -13


class Corrupt(EcaiError):
    status = -14


class BudgetExceeded(EcaiError):
    status = -15


class Cancelled(EcaiError):
    status = -16


_BY_STATUS = {c.status: c for c in (
    InvalidArgument, OutOfMemory, NotFound, BufferTooSmall, InvalidState, Unsupported,
    IOFailure, HTTPError, Timeout, ParseError, BackendError, Aborted, Corrupt,
    BudgetExceeded, Cancelled)}


def last_error():
    return lib.ecai_last_error().decode("utf-8", "replace")


def raise_for(status):
    cls = _BY_STATUS.get(status, EcaiError)
    raise cls(status, last_error())


def check(result, func, args):
    """errcheck for functions returning ecai_status."""
    if result != 0:
        raise_for(result)
    return result


def register(protos):
    """Declares ``(name, argtypes, restype, errcheck)`` rows on the loaded library."""
    for name, argtypes, restype, errcheck in protos:
        f = getattr(lib, name)
        f.argtypes = argtypes
        f.restype = restype
        if errcheck is not None:
            f.errcheck = errcheck


def take_string(ptr, length=None):
    """Copies an owned ``char *`` result into ``str`` and frees it with ecai_free."""
    try:
        if not ptr.value:
            return None
        if length is None:
            raw = ctypes.string_at(ptr.value)
        else:
            raw = ctypes.string_at(ptr.value, length)
        return raw.decode("utf-8")
    finally:
        lib.ecai_free(ptr)


def to_bytes(s):
    """Encodes a str (UTF-8) or passes bytes through; returns (bytes, length)."""
    if s is None:
        return None, 0
    if isinstance(s, str):
        s = s.encode("utf-8")
    return s, len(s)


class Handle:
    """Base class of objects wrapping a libecai handle: close(), context manager, __del__."""

    _free = None  # name of the ecai_*_free function

    def __init__(self):
        self._h = None  # set before _new so __del__ tolerates a failed constructor

    @property
    def handle(self):
        if self._h is None:
            raise InvalidState(-6, "%s is closed" % type(self).__name__)
        return self._h

    def close(self):
        h, self._h = self._h, None
        if h is not None and self._free:
            getattr(lib, self._free)(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


register([
    ("ecai_version_string", [], c_char_p, None),
    ("ecai_status_str", [c_int], c_char_p, None),
    ("ecai_last_error", [], c_char_p, None),
    ("ecai_free", [c_void_p], None, None),
    ("ecai_global_init", [], c_int, check),
    ("ecai_global_cleanup", [], None, None),
])

__all__ = ["lib", "register", "check", "take_string", "to_bytes", "Handle", "EcaiError",
           "POINTER", "c_char_p", "c_double", "c_int", "c_size_t", "c_void_p"]
