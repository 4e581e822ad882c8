"""Choosing the local model file and the clear errors of the local backend."""

from __future__ import annotations

import pytest

from rag import Settings
from rag.errors import ModelError
from rag.llm import build_llm, llama_cpp, provision
from rag.llm.factory import local_llm_available, local_model_path


def test_explicit_model_path_wins(tmp_path):
    gguf = tmp_path / "any.gguf"
    s = Settings(llm_model_path=gguf, model_cache=tmp_path)
    assert local_model_path(s) == gguf


def test_no_pulled_model_says_how_to_pull(tmp_path):
    with pytest.raises(ModelError, match="rag llm pull"):
        local_model_path(Settings(model_cache=tmp_path))


def test_prefers_the_model_that_meets_the_latency_target(tmp_path, monkeypatch):
    pulled = {"qwen2.5-1.5b"}
    monkeypatch.setattr(provision, "is_pulled", lambda cache, key: key in pulled)
    s = Settings(model_cache=tmp_path)
    assert local_model_path(s).name == "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    pulled.add("qwen2.5-0.5b")
    assert local_model_path(s).name == "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    big = Settings(model_cache=tmp_path, llm_model="qwen2.5-1.5b")
    assert local_model_path(big).name == "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    small = Settings(model_cache=tmp_path, llm_model="qwen2.5-0.5b")
    assert local_model_path(small).name == "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    pulled.clear()
    with pytest.raises(ModelError, match=r"rag llm pull qwen2\.5-0\.5b"):
        local_model_path(small)


def test_local_backend_without_llama_cpp(tmp_path, monkeypatch):
    monkeypatch.setattr(llama_cpp, "llama_cpp_available", lambda: False)
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    with pytest.raises(ModelError, match=r"pip install 'llama-cpp-python>=0.3.0'"):
        build_llm("local", Settings(llm_model_path=gguf, model_cache=tmp_path))


def test_local_backend_with_missing_file(tmp_path, monkeypatch):
    monkeypatch.setattr(llama_cpp, "llama_cpp_available", lambda: True)
    with pytest.raises(ModelError, match="run `rag llm pull`"):
        build_llm("local", Settings(llm_model_path=tmp_path / "nope.gguf", model_cache=tmp_path))


def test_local_backend_is_lazy(tmp_path, monkeypatch):
    """Building the backend checks the file but loads nothing (abstentions never load it)."""
    monkeypatch.setattr(llama_cpp, "llama_cpp_available", lambda: True)
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    llm = build_llm("local", Settings(llm_model_path=gguf, model_cache=tmp_path, llm_threads=3))
    assert isinstance(llm, llama_cpp.LlamaCppLLM)
    assert (llm.name, llm.model, llm.threads, llm.n_ctx) == ("local", "m.gguf", 3, 4096)
    assert llm._llama is None


def test_ask_with_local_and_no_model_is_a_model_error(pipeline, monkeypatch):
    monkeypatch.setattr(llama_cpp, "llama_cpp_available", lambda: True)
    with pytest.raises(ModelError, match="rag llm pull"):
        pipeline.ask("Ai chủ trì hội nghị đối ngoại toàn quốc năm 2021?", llm="local")


def test_local_llm_available(tmp_path, monkeypatch):
    gguf = tmp_path / "m.gguf"
    settings = Settings(model_cache=tmp_path / "cache", llm_model_path=gguf)
    monkeypatch.setattr(llama_cpp, "llama_cpp_available", lambda: True)
    assert not local_llm_available(settings)  # the file is not there
    gguf.write_bytes(b"GGUF")
    assert local_llm_available(settings)
    assert not local_llm_available(Settings(model_cache=tmp_path / "cache"))  # none pulled
    monkeypatch.setattr(llama_cpp, "llama_cpp_available", lambda: False)
    assert not local_llm_available(settings)  # llama-cpp-python not installed
