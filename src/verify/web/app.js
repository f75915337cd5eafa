// The verification page: loads a batch with the annotator's token, collects two yes/no answers
// per image (keyboard or mouse) and submits the batch. The token stays in the URL fragment,
// which browsers never send to a server, and travels only in the Authorization header.
"use strict";

const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? "";
const imageUrls = new Map();
let state = null;

function element(id) {
  return document.getElementById(id);
}

/** Writes a count with its noun in the right number, as src/verify/plural.ts does. */
function counted(count, noun) {
  return `${count} ${count === 1 ? noun : `${noun}s`}`;
}

function setStatus(text) {
  element("status").textContent = text;
}

async function api(path, init = {}) {
  const headers = { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) };
  const response = await fetch(path, { ...init, headers });
  if (!response.ok) {
    const body = await response.json().catch(() => ({ error: response.statusText }));
    const error = new Error(body.error ?? `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return response;
}

/** Fetches an image with the token and returns a blob URL, cached per path. */
async function imageUrl(path) {
  if (!imageUrls.has(path)) {
    const promise = api(path).then(async (response) => URL.createObjectURL(await response.blob()));
    // Forget a failed fetch, so moving back to the image tries again.
    promise.catch(() => imageUrls.delete(path));
    imageUrls.set(path, promise);
  }
  return imageUrls.get(path);
}

function storageKey(batchId) {
  return `d3s-verify-${batchId}`;
}

async function loadBatch() {
  element("next-batch").hidden = true;
  setStatus("Loading the next batch...");
  const body = await (await api("/api/batch")).json();
  if (body.batch === null) {
    element("task").hidden = true;
    setStatus(`No images need your votes right now (${counted(body.votedByMe, "vote")} so far). Thank you!`);
    return;
  }
  const saved = JSON.parse(sessionStorage.getItem(storageKey(body.batch.id)) ?? "null");
  const answers = saved ?? body.batch.items.map(() => ({ present: null, unsafe: false }));
  state = { batch: body.batch, index: 0, answers, submitting: false };
  element("task").hidden = false;
  setStatus("");
  showOrFail(0);
}

async function show(index) {
  const items = state.batch.items;
  state.index = Math.max(0, Math.min(items.length - 1, index));
  const item = items[state.index];
  element("class-name").textContent = item.className;
  element("class-definition").textContent = item.definition;
  element("item-position").textContent = `${state.index + 1} of ${items.length}`;
  renderAnswers();
  void renderExamples(item).catch(fail);
  const generated = element("generated-image");
  const guide = element("guide-image");
  // Hide the previous item's images until this item's arrive, so nobody answers on a stale one.
  generated.classList.add("loading");
  guide.classList.add("loading");
  delete generated.dataset.imageId;
  const current = state.index;
  const generatedUrl = await imageUrl(`/api/images/${encodeURIComponent(item.imageId)}/generated`);
  const guideUrl = item.hasGuide ? await imageUrl(`/api/images/${encodeURIComponent(item.imageId)}/guide`) : null;
  // A later keypress may have moved on while the images loaded; only the current item draws.
  if (state === null || state.index !== current) return false;
  generated.dataset.imageId = item.imageId;
  generated.src = generatedUrl;
  generated.classList.remove("loading");
  guide.classList.remove("loading");
  guide.classList.toggle("missing", guideUrl === null);
  if (guideUrl === null) guide.removeAttribute("src");
  else guide.src = guideUrl;
  element("guide-caption").textContent =
    guideUrl === null ? "No guide image: this image was generated from text alone." : "Guide image";
  const next = items[state.index + 1];
  if (next !== undefined) imageUrl(`/api/images/${encodeURIComponent(next.imageId)}/generated`).catch(() => {});
  return true;
}

async function renderExamples(item) {
  const box = element("examples");
  box.replaceChildren();
  const current = state.index;
  const urls = await Promise.all(
    Array.from({ length: item.exampleCount }, (_, n) => imageUrl(`/api/examples/${item.classIdx}/${n}`)),
  );
  // Keys pressed while the photos loaded may have moved on; only the current item draws.
  if (state === null || state.index !== current) return;
  box.replaceChildren(
    ...urls.map((url) => {
      const image = document.createElement("img");
      image.alt = `example photo of ${item.className}`;
      image.src = url;
      return image;
    }),
  );
}

function renderAnswers() {
  const answer = state.answers[state.index];
  element("present-yes").checked = answer.present === true;
  element("present-no").checked = answer.present === false;
  element("unsafe-yes").checked = answer.unsafe === true;
  element("unsafe-no").checked = answer.unsafe === false;
  const done = state.answers.filter((entry) => entry.present !== null).length;
  const total = state.answers.length;
  const bar = element("progress-bar");
  bar.style.width = `${(100 * done) / total}%`;
  bar.setAttribute("aria-valuenow", String(done));
  bar.setAttribute("aria-valuemax", String(total));
  element("progress-text").textContent = `${done} / ${total}`;
  element("submit").disabled = done !== total || state.submitting;
  sessionStorage.setItem(storageKey(state.batch.id), JSON.stringify(state.answers));
}

function answerPresent(present) {
  state.answers[state.index].present = present;
  renderAnswers();
  if (state.index < state.answers.length - 1) showOrFail(state.index + 1);
}

function setUnsafe(unsafe) {
  state.answers[state.index].unsafe = unsafe;
  renderAnswers();
}

function toggleInstructions() {
  const panel = element("instructions");
  panel.hidden = !panel.hidden;
  element("help-toggle").setAttribute("aria-expanded", String(!panel.hidden));
}

/** Submits the batch; a network failure is retried with the same body, which the server treats as one submission. */
async function submit() {
  if (state === null || state.submitting || state.answers.some((entry) => entry.present === null)) return;
  state.submitting = true;
  renderAnswers();
  const answers = state.batch.items.map((item, index) => ({
    imageId: item.imageId,
    present: state.answers[index].present,
    unsafe: state.answers[index].unsafe,
  }));
  const body = JSON.stringify({ batchId: state.batch.id, answers });
  let result = null;
  let refused = null;
  for (let attempt = 0; attempt < 3 && result === null && refused === null; attempt++) {
    try {
      const response = await api("/api/submit", { method: "POST", headers: { "Content-Type": "application/json" }, body });
      result = await response.json();
    } catch (error) {
      // A 4xx answer will not change on a retry; only network and server errors are retried.
      if (error.status >= 400 && error.status < 500) refused = error;
      else {
        setStatus(`Submitting failed (${error.message}); retrying...`);
        await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
      }
    }
  }
  state.submitting = false;
  if (result === null) {
    renderAnswers();
    setStatus(
      refused === null
        ? "Submitting failed three times. Your answers are kept; press Enter to try again."
        : `The server rejected the batch: ${refused.message} Your answers are kept.`,
    );
    return;
  }
  sessionStorage.removeItem(storageKey(state.batch.id));
  const gold = result.gold.seen > 0 ? ` Check images: ${result.gold.correct} of ${result.gold.seen} correct.` : "";
  const saved = result.duplicate ? "this batch had already been saved" : `${counted(answers.length, "answer")} saved`;
  setStatus(`Batch submitted: ${saved}.${gold}`);
  state = null;
  element("task").hidden = true;
  element("next-batch").hidden = false;
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "?") {
    toggleInstructions();
    return;
  }
  if (state === null) return;
  const key = event.key.toLowerCase();
  if (key === "y") answerPresent(true);
  else if (key === "n") answerPresent(false);
  else if (key === "f") setUnsafe(!state.answers[state.index].unsafe);
  else if (event.key === "ArrowLeft") showOrFail(state.index - 1);
  else if (event.key === "ArrowRight") showOrFail(state.index + 1);
  else if (event.key === "Enter") void submit();
  else return;
  event.preventDefault();
}

function start() {
  element("help-toggle").addEventListener("click", toggleInstructions);
  element("previous").addEventListener("click", () => showOrFail(state.index - 1));
  element("next").addEventListener("click", () => showOrFail(state.index + 1));
  element("submit").addEventListener("click", () => void submit());
  element("next-batch").addEventListener("click", () => void loadBatch().catch(fail));
  element("present-yes").addEventListener("change", () => answerPresent(true));
  element("present-no").addEventListener("change", () => answerPresent(false));
  element("unsafe-yes").addEventListener("change", () => setUnsafe(true));
  element("unsafe-no").addEventListener("change", () => setUnsafe(false));
  element("answers").addEventListener("submit", (event) => event.preventDefault());
  document.addEventListener("keydown", onKey);
  if (token === "") {
    setStatus("Missing token: open the personal link you were given (it ends with #token=...).");
    return;
  }
  loadBatch().catch(fail);
}

/** Shows an item; a failed image download is reported in the status line with its position. */
function showOrFail(index) {
  show(index).then(
    (drawn) => {
      // Clear only an image error; messages about submitting stay.
      if (drawn && element("status").textContent.startsWith("Error: image ")) setStatus("");
    },
    (error) => {
      // Only the item still on screen reports; a submitted batch keeps its message.
      const shown = state === null ? -1 : Math.max(0, Math.min(state.answers.length - 1, index));
      if (state !== null && state.index === shown) {
        setStatus(`Error: image ${shown + 1} of ${state.answers.length}: ${error.message}`);
      }
    },
  );
}

function fail(error) {
  setStatus(`Error: ${error.message}`);
}

start();
