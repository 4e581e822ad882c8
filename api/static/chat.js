// The chat page: asks POST /ask/stream (Server-Sent Events read from a fetch stream,
// since EventSource cannot POST), shows the short answer and the answer with [n]
// citation buttons, and opens a cited passage highlighted in its document
// (GET /documents/{doc_id}). Document text only ever goes into the page as text nodes.
"use strict";

const MAX_HISTORY = 20;
const ABSTAINED = "Tài liệu không có câu trả lời (not in the documents)";

const state = { history: [], busy: false, opening: 0 };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Python offsets count code points; JavaScript strings count UTF-16 units.
function utf16Index(text, codePoints) {
  let index = 0;
  for (let seen = 0; seen < codePoints && index < text.length; seen++) {
    const code = text.charCodeAt(index);
    index += code >= 0xd800 && code <= 0xdbff && index + 1 < text.length ? 2 : 1;
  }
  return index;
}

// ------------------------------------------------------------------ Server-Sent Events
async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    buffer = buffer.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const parsed = parseEvent(block);
      if (parsed) yield parsed;
    }
    if (done) {
      const parsed = parseEvent(buffer);
      if (parsed) yield parsed;
      return;
    }
  }
}

function parseEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (!data.length) return null;
  return { event, data: JSON.parse(data.join("\n")) };
}

// ------------------------------------------------------------------ rendering a turn
function renderAnswer(container, text, citations) {
  const byNumber = new Map(citations.map((c) => [c.n, c]));
  container.replaceChildren();
  let last = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    const citation = byNumber.get(Number(match[1]));
    if (!citation) continue;
    container.append(document.createTextNode(text.slice(last, match.index)));
    container.append(citeButton(citation));
    last = match.index + match[0].length;
  }
  container.append(document.createTextNode(text.slice(last)));
}

function citeButton(citation, open = () => openPassage(citation, citation.text)) {
  const button = el("button", "cite", `[${citation.n}]`);
  button.type = "button";
  button.dataset.n = String(citation.n);
  button.setAttribute("aria-label", `Trích dẫn ${citation.n}: ${citation.title}`);
  button.addEventListener("click", open);
  return button;
}

function renderSources(list, citations, cited) {
  list.replaceChildren();
  for (const citation of citations) {
    if (cited.size && !cited.has(citation.n)) continue;
    const item = el("li");
    const open = el("button", "link-button", citation.title || citation.doc_id);
    open.type = "button";
    open.addEventListener("click", () => openPassage(citation, citation.text));
    item.append(el("span", null, `[${citation.n}] `), open);
    const where = [citation.source, citation.date].filter(Boolean).join(", ");
    if (where) item.append(document.createTextNode(` · ${where}`));
    list.append(item);
  }
}

function newTurn(question) {
  const turn = el("li", "turn");
  const parts = {
    turn,
    question: el("p", "question", question),
    rewritten: el("p", "rewritten"),
    short: el("div", "short-answer"),
    answer: el("div", "answer streaming"),
    sources: el("ul", "sources"),
  };
  parts.rewritten.hidden = true;
  parts.short.hidden = true;
  parts.sources.setAttribute("aria-label", "Nguồn");
  turn.append(parts.question, parts.rewritten, parts.short, parts.answer, parts.sources);
  document.getElementById("thread").append(turn);
  return parts;
}

function showFinal(parts, question, answer) {
  parts.answer.classList.remove("streaming");
  if (answer.question && answer.question !== question) {
    parts.rewritten.textContent = `↪ ${answer.question}`;
    parts.rewritten.hidden = false;
  }
  if (answer.abstained) {
    const box = el("div", "abstained");
    box.append(el("strong", null, ABSTAINED));
    if (answer.answer) box.append(el("span", null, answer.answer));
    parts.answer.replaceWith(box);
    parts.sources.replaceChildren();
    return;
  }
  const short = answer.short_answer;
  if (short) {
    const citation = answer.citations.find((c) => c.n === short.n);
    parts.short.replaceChildren(el("span", "short-label", "Trả lời ngắn (short answer)"));
    const text = el("span", "short-text", short.text);
    parts.short.append(text);
    if (citation) {
      parts.short.append(document.createTextNode(" "));
      const span = { ...citation, start: short.start, end: short.end };
      parts.short.append(citeButton(citation, () => openPassage(span, short.text)));
    }
    parts.short.hidden = false;
  }
  renderAnswer(parts.answer, answer.answer, answer.citations);
  const cited = new Set([...answer.answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
  renderSources(parts.sources, answer.citations, cited);
}

function showError(parts, message) {
  parts.answer.classList.remove("streaming");
  parts.turn.dataset.state = "error";
  parts.answer.replaceWith(el("p", "error", message));
}

// ------------------------------------------------------------------ asking
async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) return body.error.message;
  } catch (_) {
    // not the API's JSON error shape
  }
  return `HTTP ${response.status}`;
}

async function ask(question) {
  const parts = newTurn(question);
  parts.turn.scrollIntoView({ block: "end" });
  let citations = [];
  let text = "";
  let final = null;
  try {
    const response = await fetch("/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, history: state.history.slice(-MAX_HISTORY) }),
    });
    if (!response.ok) {
      showError(parts, `Lỗi: ${await errorMessage(response)}`);
      return;
    }
    for await (const { event, data } of readEvents(response)) {
      if (event === "citations") {
        citations = data.citations;
      } else if (event === "delta") {
        text += data.text;
        renderAnswer(parts.answer, text, citations);
      } else if (event === "done") {
        final = data;
      }
    }
  } catch (error) {
    showError(parts, `Lỗi kết nối (connection error): ${error.message}`);
    return;
  }
  if (!final) {
    showError(parts, "Câu trả lời bị ngắt giữa chừng (the answer was cut off).");
    return;
  }
  showFinal(parts, question, final);
  parts.turn.dataset.state = final.abstained ? "abstained" : "answered";
  state.history.push({ question, answer: final.answer });
  state.history = state.history.slice(-MAX_HISTORY);
}

// ------------------------------------------------------------------ the document panel
// Fetched on every open (not cached): a replaced document must not be shown with offsets
// from another version.
async function fetchDocument(docId) {
  const response = await fetch(`/documents/${encodeURIComponent(docId)}`);
  if (!response.ok) throw new Error(await errorMessage(response));
  return response.json();
}

async function openPassage(citation, expected) {
  const panel = document.getElementById("doc-panel");
  const title = document.getElementById("doc-title");
  const meta = document.getElementById("doc-meta");
  const body = document.getElementById("doc-text");
  panel.hidden = false;
  title.textContent = citation.title || citation.doc_id;
  meta.textContent = "Đang tải… (loading)";
  body.replaceChildren();
  const opening = ++state.opening; // a later click wins over a slower earlier fetch
  let doc;
  try {
    doc = await fetchDocument(citation.doc_id);
  } catch (error) {
    if (opening === state.opening) meta.textContent = `Không mở được tài liệu: ${error.message}`;
    return;
  }
  if (opening !== state.opening) return;
  const text = doc.text;
  const start = utf16Index(text, citation.start);
  const end = utf16Index(text, citation.end);
  const mark = el("mark", null, text.slice(start, end));
  mark.dataset.n = String(citation.n);
  mark.dataset.matches = String(mark.textContent === expected);
  body.append(document.createTextNode(text.slice(0, start)), mark,
    document.createTextNode(text.slice(end)));
  meta.textContent = [doc.source, doc.date, `[${citation.n}]`].filter(Boolean).join(" · ");
  title.focus({ preventScroll: true });
  mark.scrollIntoView({ block: "center" });
}

function closePanel() {
  document.getElementById("doc-panel").hidden = true;
  document.getElementById("question").focus();
}

// ------------------------------------------------------------------ wiring
function setBusy(busy) {
  state.busy = busy;
  const send = document.getElementById("send");
  send.disabled = busy;
  send.textContent = busy ? "Đang trả lời…" : "Gửi";
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("ask-form");
  const input = document.getElementById("question");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || state.busy) return;
    input.value = "";
    setBusy(true);
    try {
      await ask(question);
    } finally {
      setBusy(false);
      input.focus();
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  document.getElementById("doc-close").addEventListener("click", closePanel);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !document.getElementById("doc-panel").hidden) closePanel();
  });
  document.getElementById("reset").addEventListener("click", () => {
    state.history = [];
    document.getElementById("thread").replaceChildren();
    document.getElementById("doc-panel").hidden = true;
    input.focus();
  });
  input.focus();
});
