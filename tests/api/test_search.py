"""POST /search: the same JSON as `rag search --json`."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_error, without_timings


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize("top_k", [1, 5, 20])
def test_search_equals_pipeline_search(client, api_pipeline, mode, top_k):
    question = "Hội nghị ngoại giao lần thứ 32"
    r = client.post("/search", json={"question": question, "top_k": top_k, "mode": mode})
    assert r.status_code == 200, r.text
    expected = api_pipeline.search(question, top_k, mode).model_dump(mode="json")
    assert without_timings(r.json()) == without_timings(expected)
    assert 1 <= len(r.json()["results"]) <= top_k


def test_search_defaults(client):
    body = client.post("/search", json={"question": "đối ngoại nhân dân"}).json()
    assert body["mode"] == "hybrid"
    assert len(body["results"]) == 5
    assert [r["rank"] for r in body["results"]] == [1, 2, 3, 4, 5]


def test_search_results_point_into_documents(client):
    results = client.post("/search", json={"question": "Thanh Hóa", "top_k": 3}).json()["results"]
    for result in results:
        doc = client.get(f"/documents/{result['doc_id']}").json()
        assert doc["text"][result["start"] : result["end"]] == result["text"]


@pytest.mark.parametrize(
    "payload",
    [{"question": ""}, {"question": "x", "top_k": 21}, {"question": "x", "mode": "semantic"},
     {"question": "x", "llm": "extractive"}],  # search takes no llm
)  # fmt: skip
def test_search_rejects_bad_input(client, payload):
    assert_error(client.post("/search", json=payload), 422)
