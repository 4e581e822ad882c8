"""Answer composition: extractive by default, an LLM optionally."""
