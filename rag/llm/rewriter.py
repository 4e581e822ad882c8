"""Follow-up rewriting with an LLM: used by the REPL when an LLM backend is selected.

The model sees the previous standalone questions and the new one and writes one standalone
question in the same language. Its output is checked (one line, a sensible length); anything
else falls back to the rule-based rewriter, so a weak model cannot derail the conversation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.conversation import Rewriter, Turn
from rag.errors import RagError
from rag.llm.base import LLM, Message
from rag.textnorm import syllables

SYSTEM_PROMPT = (
    "Bạn viết lại câu hỏi tiếp theo của người dùng thành một câu hỏi độc lập, đầy đủ, "
    "dựa vào các câu hỏi trước trong cuộc hội thoại (thay 'hội nghị đó', 'còn năm 2023 thì "
    "sao', 'it', 'what about…' bằng nội dung cụ thể). Giữ nguyên ngôn ngữ của câu hỏi. "
    "Nếu câu hỏi đã độc lập, chép lại nguyên văn. Chỉ trả lời bằng đúng một câu hỏi.\n"
    "Ví dụ — câu hỏi trước: Hội nghị đối ngoại toàn quốc năm 2021 do ai chủ trì? "
    "Câu hỏi tiếp theo: còn năm 2023 thì sao? "
    "Trả lời: Hội nghị đối ngoại toàn quốc năm 2023 do ai chủ trì?"
)
_LABELS = re.compile(
    r"^(?:\d+\.\s*)?(?:(?:câu hỏi (?:độc lập|tiếp theo|viết lại)|trả lời|standalone question)"
    r"\s*:\s*)?",
    re.IGNORECASE,
)
# follow-up words a rewrite is expected to replace; every other word must survive
_ANAPHORA = frozenset("do đó này ấy kia trên it its that this there còn thì sao thế vậy".split())
MAX_HISTORY = 4


class LlmRewriter:
    name = "llm"

    def __init__(self, llm: LLM, fallback: Rewriter) -> None:
        self.llm = llm
        self.fallback = fallback

    def messages(self, question: str, history: Sequence[Turn]) -> list[Message]:
        previous = "\n".join(
            f"{i}. {turn.standalone}" for i, turn in enumerate(history[-MAX_HISTORY:], 1)
        )
        user = f"Các câu hỏi trước:\n{previous}\n\nCâu hỏi tiếp theo: {question}\nCâu hỏi độc lập:"
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return self.fallback.rewrite(question, history)
        try:
            text = self.llm.generate(
                self.messages(question, history), max_tokens=96, temperature=0.0, stop=["\n"]
            )
        except RagError:
            return self.fallback.rewrite(question, history)
        text = _LABELS.sub("", text.strip()).strip().strip('"“”').strip()
        if (
            not text
            or text.endswith(":")
            or "\n" in text
            or len(text) > 3 * len(question) + 200
            or text == question.strip()  # unchanged: let the rules judge the follow-up
            or not _keeps_the_question(question, text)
        ):
            return self.fallback.rewrite(question, history)
        return text


def _keeps_the_question(question: str, rewrite: str) -> bool:
    """A rewrite must keep what the user asked: at least 60 % of the question's own words
    (follow-up words like "đó", "it" aside) appear in it."""
    words = {w for w in syllables(question) if w not in _ANAPHORA}
    if not words:
        return True
    kept = set(syllables(rewrite))
    return len(words & kept) / len(words) >= 0.6
