import gc
import json

import pytest

import ecai


def test_version_matches_header():
    header = open(__import__("conftest").ROOT + "/include/ecai/common.h").read()
    assert '#define ECAI_VERSION_STRING "%s"' % ecai.version() in header
    assert ecai.version_number() // 10000 == 0


def test_status_names():
    assert ecai.status_str(-2).startswith("ECAI_EINVAL")
    assert "unknown" in ecai.status_str(-999)


def test_context_defaults_and_get():
    with ecai.Context() as ctx:
        assert ctx.get("llm.provider") == "none"
        assert ctx.get("llm.timeout_ms") == 30000
        cfg = ctx.config()
        assert cfg["embedder"]["kind"] == "builtin"


def test_context_from_dict_and_file(tmp_path):
    with ecai.Context({"llm": {"model": "m-2", "temperature": 0.25}}) as ctx:
        assert ctx.get("llm.model") == "m-2"
        assert ctx.get("llm.temperature") == 0.25
    p = tmp_path / "c.json"
    p.write_text(json.dumps({"index": {"type": "HNSW32"}}))
    with ecai.Context(path=p) as ctx:
        assert ctx.get("index.type") == "HNSW32"


def test_unknown_key_raises_invalid_argument_with_message():
    with pytest.raises(ecai.InvalidArgument) as ei:
        ecai.Context('{"llm": {"modle": "x"}}')
    assert ei.value.status == -2
    assert "did you mean 'llm.model'" in str(ei.value)
    assert isinstance(ei.value, ValueError)


def test_malformed_json_is_parse_error():
    with pytest.raises(ecai.ParseError) as ei:
        ecai.Context('{"llm": ')
    assert "line 1" in ei.value.message


def test_missing_file_is_io_error(tmp_path):
    with pytest.raises(ecai.IOFailure):
        ecai.Context(path=tmp_path / "nope.json")


def test_secret_from_environment_is_redacted(monkeypatch):
    monkeypatch.setenv("PY_TEST_KEY", "sk-python-planted-999")
    with ecai.Context({"llm": {"api_key_env": "PY_TEST_KEY"}}) as ctx:
        text = json.dumps(ctx.config())
        assert "sk-python-planted" not in text
        assert ctx.config()["llm"]["api_key_set"] is True
        with pytest.raises(ecai.InvalidArgument):
            ctx.get("llm.api_key")


def test_closed_handle_raises_and_close_is_idempotent():
    ctx = ecai.Context()
    ctx.close()
    ctx.close()
    with pytest.raises(ecai.InvalidState):
        ctx.config()


def test_failed_constructor_does_not_break_del():
    with pytest.raises(ecai.EcaiError):
        ecai.Context("[]")
    gc.collect()


def test_log_callback_validation():
    with ecai.Context() as ctx:
        ctx.set_log(lambda lvl, msg: None, ecai.LOG_DEBUG)
        with pytest.raises(ecai.InvalidArgument):
            ctx.set_log(lambda lvl, msg: None, 7)
        ctx.set_log(None)


def test_unset_api_key_variable_is_an_error_naming_it(monkeypatch):
    monkeypatch.delenv("ECAI_PY_NO_SUCH_KEY", raising=False)
    with pytest.raises(ecai.InvalidArgument) as e:
        ecai.Context({"llm": {"provider": "openai", "api_key_env": "ECAI_PY_NO_SUCH_KEY"}})
    assert "ECAI_PY_NO_SUCH_KEY" in str(e.value) and e.value.status == -2
    monkeypatch.setenv("ECAI_PY_KEY", "sk-py-secret")
    with ecai.Context({"llm": {"provider": "openai", "api_key_env": "ECAI_PY_KEY"}}) as ctx:
        assert ctx.get("llm.auth") == "key"
    with ecai.Context({"llm": {"provider": "openai", "api_key_env": "ECAI_PY_NO_SUCH_KEY", "auth": "none"}}) as ctx:
        assert ctx.get("llm.auth") == "none"
