"""``/documents``: list, read (cleaned text + chunk offsets), add (JSON or file), delete.

Writes commit a new index generation; every worker's ``Pipeline`` notices the changed
``CURRENT`` generation on its next request and reloads, so no restart is needed.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from api.deps import ApiKeyDep, PipelineDep, ServiceDep
from api.errors import ApiError, error_responses
from api.schemas import (
    ChunkSpan,
    DocumentDetail,
    DocumentIn,
    DocumentList,
    DocumentSummary,
    IngestResult,
)
from rag.cleaning import clean_text
from rag.dates import parse_date
from rag.documents import SUPPORTED_SUFFIXES, Document, dated, load_documents
from rag.errors import DocumentError, NotFoundError
from rag.ingest import IngestReport
from rag.pipeline import Pipeline
from rag.textnorm import normalize_text

router = APIRouter(prefix="/documents", tags=["documents"])

UPLOAD_FIELD = "file"
_UNSAFE_NAME_RE = re.compile(r"[\x00-\x1f\x7f]")

_ADD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": DocumentIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [UPLOAD_FIELD],
                    "properties": {
                        UPLOAD_FIELD: {
                            "type": "string",
                            "format": "binary",
                            "description": "A .txt, .md, .html/.htm, .jsonl, .pdf or "
                            ".docx file; the file name's stem becomes the doc_id (.jsonl: "
                            'one document per line with "id", "title", "text"). A PDF '
                            "without a text layer (a scan) is a 422.",
                        }
                    },
                }
            },
        },
    }
}


def _not_found(doc_id: str) -> NotFoundError:
    return NotFoundError(f"no document with id {doc_id!r}")


@router.get("", summary="Documents in the index", responses=error_responses(500, 503))
def list_documents(pipeline: PipelineDep) -> DocumentList:
    docs = [
        DocumentSummary(
            doc_id=doc_id, title=e.title, source=e.source, date=e.date, chunks=e.chunks,
            content_hash=e.content_hash,
        )
        for doc_id, e in pipeline.documents()
    ]  # fmt: skip
    return DocumentList(count=len(docs), documents=docs)


@router.get(
    "/{doc_id}",
    summary="A document's cleaned text and chunk offsets",
    responses=error_responses(404, 422, 500, 503),
)
def get_document(doc_id: str, pipeline: PipelineDep) -> DocumentDetail:
    """The cleaned text that citations point into: a citation's `text` equals
    `text[start:end]` of its document."""
    snapshot = pipeline.index().snapshot
    doc = snapshot.documents.get(doc_id)
    entry = snapshot.manifest.documents.get(doc_id)
    if doc is None or entry is None:
        raise _not_found(doc_id)
    chunks = [snapshot.chunks[i] for i in snapshot.chunks_of(doc_id)]
    return DocumentDetail(
        doc_id=doc.doc_id, title=doc.title, source=doc.source, date=doc.date,
        date_source=doc.date_source, url=doc.url, content_hash=entry.content_hash,
        text=doc.text, pages=list(doc.pages),
        chunks=[ChunkSpan(chunk_id=c.chunk_id, index=c.index, start=c.start, end=c.end,
                          page=doc.page_at(c.start))
                for c in chunks],
    )  # fmt: skip


@router.post(
    "",
    summary="Add or replace documents (JSON document or file upload)",
    responses={
        201: {"description": "At least one document was added."},
        **error_responses(400, 401, 403, 413, 415, 422, 500, 503),
    },
    openapi_extra=_ADD_BODY,
)
async def add_document(
    request: Request,
    response: Response,
    _auth: ApiKeyDep,
    pipeline: PipelineDep,
    service: ServiceDep,
) -> IngestResult:
    """Requires `Authorization: Bearer <RAG_API_KEY>` (403 when the server has no key).

    Send either `application/json` (a `DocumentIn`) or `multipart/form-data` with one
    file in the `file` field. A document whose `doc_id` exists is replaced (unchanged
    content is a no-op). 201 when something was added, else 200. The new document is
    searchable by the next request.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        doc_in = _parse_document_json(await request.body())
        report = await service.call(_add_json, pipeline, doc_in)
    elif media_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get(UPLOAD_FIELD)
            if not isinstance(upload, UploadFile):
                raise RequestValidationError(
                    [{"type": "missing", "loc": ("body", UPLOAD_FIELD),
                      "msg": f"a file upload in the `{UPLOAD_FIELD}` form field is required"}]
                )  # fmt: skip
            data = await upload.read()
            report = await service.call(_add_upload, pipeline, upload.filename, data)
    else:
        raise ApiError(
            415,
            "unsupported_media_type",
            "send application/json (one document) or multipart/form-data (a file in "
            f"the `{UPLOAD_FIELD}` field), not {media_type or 'a body without Content-Type'}",
        )
    response.status_code = 201 if report.added else 200
    return _result(report)


@router.delete(
    "/{doc_id}",
    summary="Remove a document",
    responses=error_responses(401, 403, 404, 422, 500, 503),
)
async def delete_document(
    doc_id: str, _auth: ApiKeyDep, pipeline: PipelineDep, service: ServiceDep
) -> IngestResult:
    """Requires `Authorization: Bearer <RAG_API_KEY>` (403 when the server has no key)."""
    return _result(await service.call(pipeline.delete_document, doc_id))


# ---------------------------------------------------------------------------- helpers
def _result(report: IngestReport) -> IngestResult:
    return IngestResult(
        added=report.added, updated=report.updated, unchanged=report.unchanged,
        removed=report.removed, chunks=report.chunks, embedded_chunks=report.embedded_chunks,
        generation=report.generation,
    )  # fmt: skip


def _parse_document_json(raw: bytes) -> DocumentIn:
    try:
        return DocumentIn.model_validate_json(raw)
    except ValidationError as exc:
        errors = [
            {"type": e["type"], "loc": ("body", *e["loc"]), "msg": e["msg"], "ctx": e.get("ctx")}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise RequestValidationError(errors) from None


def document_from_json(doc_in: DocumentIn) -> Document:
    """Clean a JSON document the way the loaders clean files."""
    text = clean_text(doc_in.text)
    if not text:
        raise DocumentError("text: no text left after removing page boilerplate")
    date = None
    if doc_in.date and doc_in.date.strip():
        date = parse_date(doc_in.date)
        if date is None:
            raise DocumentError(f"date: {doc_in.date!r} is not a valid date")
    title = normalize_text(doc_in.title).strip()
    if not title:
        raise DocumentError("title: must not be blank")
    date, date_source = dated(date, text)
    return Document(
        doc_id=doc_in.doc_id,
        title=title,
        text=text,
        source=(doc_in.source or "").strip() or "api",
        date=date,
        url=doc_in.url or None,
        date_source=date_source,
    )


def _add_json(pipeline: Pipeline, doc_in: DocumentIn) -> IngestReport:
    return pipeline.add_documents([document_from_json(doc_in)])


def upload_name(filename: str | None) -> str:
    """The uploaded file's own name (no folders), or DocumentError."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name.strip()
    if not name or name.startswith(".") or _UNSAFE_NAME_RE.search(name):
        raise DocumentError(
            f"the upload needs a plain file name such as report.txt (got {filename!r})"
        )
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        size = -1
    if size < 0:
        raise DocumentError(f"the upload's file name is not valid UTF-8 ({filename!r})")
    if size > 200:
        raise DocumentError("the upload's file name is too long (200 bytes at most)")
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(f"{name}: unsupported file type (use {kinds})")
    return name


def _add_upload(pipeline: Pipeline, filename: str | None, data: bytes) -> IngestReport:
    name = upload_name(filename)
    with tempfile.TemporaryDirectory(prefix="rag-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            docs = load_documents([path])
        except DocumentError as exc:  # report the client's file name, not our temp path
            raise DocumentError(exc.message.replace(str(path), name)) from None
    return pipeline.add_documents(docs)
