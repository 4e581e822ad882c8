"""Build an LLM backend by name from ``Settings``. A new backend is one module and one entry."""

from __future__ import annotations

from pathlib import Path

from rag.errors import InputError, ModelError
from rag.llm.base import LLM
from rag.settings import Settings

LLMS = ("local", "openai")


def local_model_path(settings: Settings) -> Path:
    """The GGUF file the local LLM runs: ``llm_model_path``, else a pulled bundled model
    (``llm_model`` if it names one, else the first of ``PREFERENCE`` that is pulled)."""
    from rag.llm import provision

    if settings.llm_model_path is not None:
        return settings.llm_model_path
    cache = settings.model_cache
    if settings.llm_model in provision.BUNDLED:
        key = settings.llm_model
        if not provision.is_pulled(cache, key):
            raise ModelError(f"the LLM {key} is not pulled yet: run `rag llm pull {key}`")
        return provision.model_path(cache, key)
    pulled = provision.pulled_models(cache)
    if not pulled:
        raise ModelError(
            "no local LLM model: run `rag llm pull` (Qwen2.5-Coder-0.5B) or "
            "`rag llm pull qwen2.5-1.5b`, or set RAG_LLM_MODEL_PATH to a GGUF file"
        )
    return provision.model_path(cache, pulled[0])


def local_llm_available(settings: Settings) -> bool:
    """Whether the ``local`` LLM can run without further setup: llama-cpp-python is
    installed and a GGUF model file is there (cheap: nothing is loaded)."""
    from rag.llm.llama_cpp import llama_cpp_available

    if not llama_cpp_available():
        return False
    try:
        return local_model_path(settings).is_file()
    except ModelError:
        return False


def build_llm(name: str, settings: Settings) -> LLM:
    if name == "local":
        from rag.llm.llama_cpp import LlamaCppLLM

        return LlamaCppLLM(
            local_model_path(settings), n_ctx=settings.llm_ctx, threads=settings.llm_threads
        )
    if name == "openai":
        from rag.llm.openai_compat import OpenAICompatLLM

        key = settings.llm_api_key
        return OpenAICompatLLM(
            settings.llm_base_url,
            settings.llm_model or "",
            api_key=key.get_secret_value() if key is not None else None,
            timeout=settings.llm_timeout,
            retries=settings.llm_retries,
        )
    raise InputError(f"unknown LLM backend {name!r} (known: {', '.join(LLMS)})")
