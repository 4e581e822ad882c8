from rag.conversation import RuleBasedRewriter, Turn, rewriter_for
from rag.llm.rewriter import LlmRewriter
from tests.rag.llm.fakes import FakeLLM

HISTORY = [Turn("Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?",
                "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?", "", (), False)]  # fmt: skip


def test_llm_rewrites_the_follow_up_with_history_in_the_prompt():
    llm = FakeLLM("Hội nghị ngoại giao lần thứ 32 do ai chủ trì?")
    out = LlmRewriter(llm, RuleBasedRewriter()).rewrite("Hội nghị đó do ai chủ trì?", HISTORY)
    assert out == "Hội nghị ngoại giao lần thứ 32 do ai chủ trì?"
    prompt = llm.calls[0][-1]["content"]
    assert "lần thứ 32 diễn ra ngày nào" in prompt and "Hội nghị đó do ai chủ trì?" in prompt


def test_bad_llm_output_falls_back_to_the_rules():
    rambling = FakeLLM("x" * 2000)
    out = LlmRewriter(rambling, RuleBasedRewriter()).rewrite("Hội nghị đó do ai chủ trì?", HISTORY)
    assert out == RuleBasedRewriter().rewrite("Hội nghị đó do ai chủ trì?", HISTORY)
    empty = FakeLLM("")
    assert LlmRewriter(empty, RuleBasedRewriter()).rewrite("Ai chủ trì?", HISTORY)


def test_no_history_means_no_llm_call():
    llm = FakeLLM("should not be used")
    assert LlmRewriter(llm, RuleBasedRewriter()).rewrite("Ai chủ trì?", []) == "Ai chủ trì?"
    assert llm.calls == []


def test_rewriter_for_picks_the_llm_when_the_backend_has_one():
    class WithLlm:
        llm = FakeLLM("q")

    assert isinstance(rewriter_for("local", WithLlm()), LlmRewriter)
    assert isinstance(rewriter_for(None, WithLlm()), RuleBasedRewriter)
    assert isinstance(rewriter_for("extractive", object()), RuleBasedRewriter)


def test_a_rewrite_that_drops_the_users_words_is_rejected():
    # a weak model that parrots the previous question instead of rewriting the new one
    parrot = FakeLLM("1. Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?")
    out = LlmRewriter(parrot, RuleBasedRewriter()).rewrite("Hội nghị đó do ai chủ trì?", HISTORY)
    assert "chủ trì" in out
    labelled = FakeLLM("Câu hỏi độc lập: Hội nghị ngoại giao lần thứ 32 do ai chủ trì?")
    out = LlmRewriter(labelled, RuleBasedRewriter()).rewrite("Hội nghị đó do ai chủ trì?", HISTORY)
    assert out == "Hội nghị ngoại giao lần thứ 32 do ai chủ trì?"
