"""Metric families for the eval harness, one per module (retrieval, answers, abstention,
latency). Every function works on plain values, so each can be tested on hand-made inputs."""
