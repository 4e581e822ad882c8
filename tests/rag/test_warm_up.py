"""``Pipeline.warm_up`` does the per-index work a first question would otherwise wait for."""

from __future__ import annotations


def test_warm_up_learns_the_diacritic_restorer(pipeline):
    index = pipeline.index()
    assert index._restorer is None  # learnt lazily until warm-up
    pipeline.warm_up()
    restorer = index._restorer
    assert restorer is not None
    assert restorer.restore("hoi nghi ngoai giao") == "hội nghị ngoại giao"
    pipeline.search("Hoi nghi ngoai giao lan thu 32 dien ra ngay nao?")  # typed without accents
    assert index._restorer is restorer  # not learnt again


def test_warm_up_builds_the_extractive_answerer_the_first_question_uses(pipeline):
    assert not pipeline._answerers  # built lazily until warm-up
    pipeline.warm_up()
    built = list(pipeline._answerers.values())
    assert [key[0] for key in pipeline._answerers] == ["extractive"]
    pipeline.ask("Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?")
    assert list(pipeline._answerers.values()) == built  # the same object, not built again


def test_only_an_index_whose_sentences_all_fit_the_cache_counts_as_cached(settings, pipeline):
    from rag import Pipeline

    assert pipeline.sentences_cached  # the seeds' sentences fit the default cache
    small = Pipeline(settings.model_copy(update={"sentence_cache_size": 5}), pipeline.embedder)
    assert not small.sentences_cached  # (late-interaction re-ranking is then left off)


def test_warm_up_prefills_the_configured_llm_and_survives_one_that_cannot_load(
    settings, pipeline, monkeypatch
):
    import rag.llm.factory
    from rag import Pipeline
    from rag.errors import ModelError
    from tests.rag.llm.fakes import FakeLLM

    class Prefilling(FakeLLM):
        prefilled = 0

        def prefill(self, messages):  # type: ignore[no-untyped-def]
            Prefilling.prefilled += 1

    monkeypatch.setattr(rag.llm.factory, "build_llm", lambda name, settings: Prefilling("x"))
    with_llm = Pipeline(settings.model_copy(update={"llm": "local"}), pipeline.embedder)
    with_llm.warm_up()
    assert Prefilling.prefilled == 2  # the Vietnamese and the English prompt prefix

    def broken(name, settings):  # type: ignore[no-untyped-def]
        raise ModelError("no GGUF model file")

    monkeypatch.setattr(rag.llm.factory, "build_llm", broken)
    failing = Pipeline(settings.model_copy(update={"llm": "local"}), pipeline.embedder)
    failing.warm_up()  # logged; the requests that use the LLM report the error
    assert "extractive" in [key[0] for key in failing._answerers]
