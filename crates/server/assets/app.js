// The auto-sync settings card: talks only to the public pulse-sync API with the user's API key.
"use strict";

const API = "/api/logos-vision";
const PRESET_INTERVALS = ["4", "12", "24", "48"];
const POLL_MS = 500;

const $ = (id) => document.getElementById(id);
const state = { key: null, workspace: null, config: null, pollTimer: null, saving: false, pendingSwitch: null };

function saveCredentials(key, workspace) {
  sessionStorage.setItem("pulse.key", key);
  sessionStorage.setItem("pulse.workspace", workspace);
  state.key = key;
  state.workspace = workspace;
}

// A link carries its key in the fragment. A link for another workspace than the one already open
// (someone may have sent it to make this browser connect their Google account there) is only
// followed after the user confirms; until then its key is kept in memory, never stored.
function readCredentials() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const linkKey = fragment.get("key");
  const linkWorkspace = fragment.get("workspace");
  state.key = sessionStorage.getItem("pulse.key");
  state.workspace = sessionStorage.getItem("pulse.workspace");
  if (!linkKey || !linkWorkspace) return;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  if (state.key && state.workspace && state.workspace !== linkWorkspace) {
    askBeforeSwitching(linkKey, linkWorkspace);
  } else {
    saveCredentials(linkKey, linkWorkspace);
  }
}

function askBeforeSwitching(key, workspace) {
  state.pendingSwitch = { key, workspace };
  $("switch-text").textContent =
    `This link opens the workspace "${workspace}", but "${state.workspace}" is open here. ` +
    `Switch to "${workspace}" only if you expected this link; anything you connect there is theirs.`;
  $("switch-confirm").textContent = `Switch to "${workspace}"`;
  $("switch-stay").textContent = `Stay in "${state.workspace}"`;
  show("switch-prompt", true);
  $("switch-stay").focus();
}

function answerSwitch(confirmed) {
  const pending = state.pendingSwitch;
  state.pendingSwitch = null;
  show("switch-prompt", false);
  if (confirmed && pending) {
    saveCredentials(pending.key, pending.workspace);
    loadAll();
  }
}

class ApiError extends Error {
  constructor(status, body) {
    const detail = body && body.error ? body.error : {};
    super(detail.message || `The server answered ${status}`);
    this.status = status;
    this.code = detail.code;
    this.jobId = detail.job_id;
  }
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${state.key}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (networkError) {
    throw new ApiError(0, { error: { message: "The pulse-sync server cannot be reached. Check your connection." } });
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (parseError) {
    if (response.ok) throw new ApiError(0, { error: { message: "The pulse-sync server sent an answer this page cannot read." } });
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

const ws = () => encodeURIComponent(state.workspace);

function show(id, visible) { $(id).hidden = !visible; }

function plural(n, word) { return `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`; }

function resultText(job) {
  if (job.status === "failed") return `Failed: ${job.error || "unknown error"}`;
  if (job.status === "cancelled") return "Cancelled";
  const parts = [`${job.synced.toLocaleString()} synced`, `${job.skipped_no_identifier.toLocaleString()} skipped (no identifier)`];
  if (job.deleted > 0) parts.push(`${job.deleted.toLocaleString()} deleted`);
  return parts.join(", ");
}

function formatTime(iso) { return iso ? new Date(iso).toLocaleString() : "never"; }

function renderConfig(config) {
  state.config = config;
  const toggle = $("auto-sync-toggle");
  toggle.setAttribute("aria-checked", String(config.enabled));
  $("toggle-label").textContent = config.enabled ? "ON" : "OFF";
  $("interval-text").textContent = `Sync contacts from Google every ${plural(config.interval_hours, "hour")}`;
  const preset = PRESET_INTERVALS.includes(String(config.interval_hours));
  $("interval-select").value = preset ? String(config.interval_hours) : "custom";
  show("custom-interval", !preset);
  if (!preset) $("custom-hours").value = config.interval_hours;

  let next = "Auto-sync is off";
  if (config.enabled && config.next_sync_in) next = `Next sync: ${config.next_sync_in}`;
  else if (config.enabled && config.paused_reason) next = "Auto-sync is paused";
  $("next-sync").textContent = next;

  const paused = $("paused");
  if (config.paused_reason === "google_reauth_required") {
    paused.textContent = "Paused: Google access was revoked. Reconnect Google to resume auto-sync.";
  } else if (config.paused_reason === "too_many_failures") {
    paused.textContent = `Paused after ${config.consecutive_failures} failed syncs in a row: ${config.last_error || ""} Turn auto-sync off and on to resume.`;
  }
  paused.hidden = !config.paused_reason;

  const badge = $("connection-badge");
  const labels = { connected: "Connected", reauth_required: "Reconnect needed", not_connected: "Not connected" };
  badge.textContent = labels[config.connection] || config.connection;
  badge.className = `badge ${config.connection}`;
  const texts = {
    connected: "pulse-sync can read your Google Contacts.",
    reauth_required: "Google no longer accepts pulse-sync's access. Reconnect to continue syncing.",
    not_connected: "Connect your Google account so pulse-sync can read your contacts.",
  };
  const account = config.connection_email;
  const accountTexts = { connected: `Connected as ${account}. `, reauth_required: `Google account: ${account}. ` };
  const accountText = account ? accountTexts[config.connection] || "" : "";
  $("connection-text").textContent = accountText + (texts[config.connection] || "");
  const connect = $("connect-button");
  connect.hidden = config.connection === "connected";
  connect.textContent = config.connection === "reauth_required" ? "Reconnect" : "Connect Google";
}

function renderLastSync(jobs) {
  const last = jobs.find((job) => job.status === "completed" || job.status === "failed");
  $("last-sync").textContent = last
    ? `Last sync: ${formatTime(last.finished_at || last.created_at)} · ${resultText(last)}`
    : "Last sync: never";
}

function renderJobs(jobs) {
  const body = $("jobs-body");
  body.replaceChildren();
  if (jobs.length === 0) {
    const row = body.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 4;
    cell.textContent = "No syncs yet";
    return;
  }
  for (const job of jobs) {
    const row = body.insertRow();
    row.insertCell().textContent = formatTime(job.started_at || job.created_at);
    row.insertCell().textContent = job.trigger;
    const status = row.insertCell();
    status.textContent = job.status;
    status.className = `status-${job.status}`;
    row.insertCell().textContent = job.status === "running" || job.status === "queued"
      ? `${job.fetched.toLocaleString()} fetched…` : resultText(job);
  }
}

async function loadJobs() {
  const page = await api("GET", `/google-contacts/sync/jobs?workspace_id=${ws()}&limit=10`);
  renderJobs(page.items);
  renderLastSync(page.items);
  return page.items;
}

// The webhook card: the workspace's endpoint (set through the API) and its latest deliveries. A
// failure here leaves the rest of the page working.
const DELIVERY_STATUS = { delivered: "completed", retrying: "retrying", failed: "failed" };

function deliveryAnswer(attempt) {
  const answer = attempt.status_code === null ? "no answer" : `HTTP ${attempt.status_code}`;
  const parts = [`${answer} · ${attempt.latency_ms.toLocaleString()} ms`];
  if (attempt.error) parts.push(attempt.error);
  if (attempt.next_attempt_at) parts.push(`next try ${formatTime(attempt.next_attempt_at)}`);
  return parts.join(" · ");
}

function renderWebhooks(endpoint, attempts) {
  const badge = $("webhook-badge");
  badge.textContent = endpoint ? "Active" : "Not set";
  badge.className = `badge ${endpoint ? "connected" : "none"}`;
  $("webhook-text").textContent = endpoint
    ? `${endpoint.events.join(", ")} are sent to ${endpoint.url}`
    : "No webhook endpoint. Set one with PUT /api/logos-vision/webhooks to hear about syncs as they end.";
  const body = $("webhook-deliveries");
  body.replaceChildren();
  show("webhook-table", Boolean(endpoint));
  if (!endpoint) return;
  if (attempts.length === 0) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = 4;
    cell.textContent = "No deliveries yet";
    return;
  }
  for (const attempt of attempts) {
    const row = body.insertRow();
    row.insertCell().textContent = formatTime(attempt.attempted_at);
    row.insertCell().textContent = attempt.event_type;
    const status = row.insertCell();
    status.textContent = attempt.status;
    status.className = `status-${DELIVERY_STATUS[attempt.status] || attempt.status}`;
    row.insertCell().textContent = deliveryAnswer(attempt);
  }
}

async function loadWebhooks() {
  try {
    let endpoint = null;
    try {
      endpoint = await api("GET", `/webhooks?workspace_id=${ws()}`);
    } catch (error) {
      if (error.status !== 404) throw error;
    }
    const attempts = endpoint
      ? (await api("GET", `/webhooks/deliveries?workspace_id=${ws()}&limit=5`)).items
      : [];
    renderWebhooks(endpoint, attempts);
    show("webhooks", true);
  } catch (error) {
    $("webhook-text").textContent = `Webhooks could not be loaded: ${error.message}`;
    show("webhook-table", false);
    show("webhooks", true);
  }
}

// A run's events are delivered a moment after its end: look again shortly after.
function refreshWebhooksSoon() {
  loadWebhooks();
  [1500, 4000, 8000].forEach((delay) => setTimeout(loadWebhooks, delay));
}

async function loadAll() {
  show("load-error", false);
  show("skeleton", true);
  try {
    const config = await api("GET", `/auto-sync/config?workspace_id=${ws()}`);
    const jobs = await loadJobs();
    renderConfig(config);
    ["settings", "google", "sync", "jobs"].forEach((id) => show(id, true));
    loadWebhooks();
    const active = jobs.find((job) => job.status === "queued" || job.status === "running");
    if (active) followJob(active.id);
  } catch (error) {
    const refused = error.status === 401 || error.status === 403;
    $("load-error-message").textContent = refused
      ? "The API key was not accepted for this workspace. Enter a valid key below."
      : error.message;
    show("load-error", true);
    show("retry-button", !refused);
    if (refused) {
      $("workspace-input").value = state.workspace || "";
      show("key-form", true);
    }
  } finally {
    show("skeleton", false);
  }
}

function setMessage(id, text, isError) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", Boolean(isError));
}

async function saveConfig(enabled, intervalHours) {
  // One change at a time: a second click before the answer would race the first.
  if (state.saving) return;
  state.saving = true;
  $("settings").setAttribute("aria-busy", "true");
  setMessage("settings-message", "Saving…");
  try {
    const body = { workspace_id: state.workspace, enabled };
    if (intervalHours !== undefined) body.interval_hours = intervalHours;
    renderConfig(await api("PUT", "/auto-sync/config", body));
    setMessage("settings-message", enabled ? "Auto-sync is on" : "Auto-sync is off");
  } catch (error) {
    setMessage("settings-message", error.message, true);
    renderConfig(state.config);
  } finally {
    state.saving = false;
    $("settings").removeAttribute("aria-busy");
  }
}

function renderProgress(job) {
  show("progress", true);
  const bar = $("progress-bar");
  const fill = $("progress-fill");
  if (job.status === "queued" || job.status === "running") {
    fill.style.width = "";
    bar.removeAttribute("aria-valuenow");
  }
  if (job.status === "queued") {
    bar.classList.add("indeterminate");
    $("progress-text").textContent = "Waiting for a worker…";
  } else if (job.status === "running") {
    bar.classList.add("indeterminate");
    $("progress-text").textContent = `Syncing… ${job.fetched.toLocaleString()} contacts fetched`;
  } else {
    bar.classList.remove("indeterminate");
    fill.style.width = "100%";
    bar.setAttribute("aria-valuenow", "100");
  }
}

function followJob(jobId) {
  clearTimeout(state.pollTimer);
  $("sync-now").disabled = true;
  setMessage("sync-result", "");
  const poll = async () => {
    try {
      const job = await api("GET", `/google-contacts/sync/jobs/${encodeURIComponent(jobId)}`);
      renderProgress(job);
      if (job.status === "queued" || job.status === "running") {
        state.pollTimer = setTimeout(poll, POLL_MS);
        return;
      }
      $("sync-now").disabled = false;
      show("progress", false);
      setMessage("sync-result", resultText(job), job.status !== "completed");
      // The sync may have paused auto-sync: an earlier "Auto-sync is on" would now contradict it.
      setMessage("settings-message", "");
      await loadJobs();
      renderConfig(await api("GET", `/auto-sync/config?workspace_id=${ws()}`));
      refreshWebhooksSoon();
    } catch (error) {
      setMessage("sync-result", error.message, true);
      if ([401, 403, 404].includes(error.status)) {
        // The job is gone or the key no longer works: polling again cannot help.
        $("sync-now").disabled = false;
        show("progress", false);
        return;
      }
      state.pollTimer = setTimeout(poll, POLL_MS * 4);
    }
  };
  poll();
}

async function syncNow() {
  try {
    const job = await api("POST", "/google-contacts/sync", { workspace_id: state.workspace });
    followJob(job.id);
  } catch (error) {
    if (error.code === "sync_in_progress" && error.jobId) followJob(error.jobId);
    else setMessage("sync-result", error.message, true);
  }
}

async function connectGoogle() {
  try {
    const returnTo = window.location.origin + window.location.pathname;
    const answer = await api("POST", "/google/connect", { workspace_id: state.workspace, return_to: returnTo, bind_browser: true });
    window.location.assign(answer.authorization_url);
  } catch (error) {
    setMessage("settings-message", error.message, true);
  }
}

// The only texts a redirect's `reason` can show: anyone can craft a link with any reason, so
// unknown ones get the generic text, never their own words.
const OAUTH_FAILURE_TEXTS = {
  access_denied: "access was declined on Google's page.",
  missing_code: "Google sent no authorization code; connect again.",
  exchange_failed: "Google did not accept the sign-in; connect again.",
  missing_refresh_token: "Google granted no offline access; remove this app's access in your Google account and connect again.",
  missing_contacts_scope: "the contacts permission was not granted; connect again and tick \"See and download your contacts\" on Google's page.",
  server_error: "something went wrong on our side; connect again.",
  other_browser: "this sign-in was started in another browser; connect again from this one.",
};
const OAUTH_FAILURE_FALLBACK = "the sign-in did not finish; connect again.";

function oauthFailureText(reason) {
  return Object.prototype.hasOwnProperty.call(OAUTH_FAILURE_TEXTS, reason)
    ? OAUTH_FAILURE_TEXTS[reason]
    : OAUTH_FAILURE_FALLBACK;
}

function reportOAuthReturn() {
  const params = new URLSearchParams(window.location.search);
  const outcome = params.get("google");
  if (!outcome) return;
  const text = outcome === "connected"
    ? "Google connected."
    : `Google was not connected: ${oauthFailureText(params.get("reason"))}`;
  history.replaceState(null, "", window.location.pathname);
  setTimeout(() => setMessage("settings-message", text, outcome !== "connected"), 0);
}

function wireEvents() {
  $("auto-sync-toggle").addEventListener("click", () => saveConfig(!state.config.enabled));
  $("interval-select").addEventListener("change", (event) => {
    const value = event.target.value;
    show("custom-interval", value === "custom");
    if (value === "custom") { $("custom-hours").focus(); return; }
    saveConfig(state.config.enabled, Number(value));
  });
  $("custom-apply").addEventListener("click", () => {
    const hours = Number($("custom-hours").value);
    if (!Number.isInteger(hours) || hours < 1 || hours > 720) {
      setMessage("settings-message", "Choose a whole number of hours from 1 to 720.", true);
      return;
    }
    saveConfig(state.config.enabled, hours);
  });
  $("custom-hours").addEventListener("keydown", (event) => { if (event.key === "Enter") $("custom-apply").click(); });
  $("sync-now").addEventListener("click", syncNow);
  $("connect-button").addEventListener("click", connectGoogle);
  $("retry-button").addEventListener("click", loadAll);
  // A link opened in this tab while the page is open changes only the fragment.
  window.addEventListener("hashchange", () => {
    readCredentials();
    if (!state.pendingSwitch && state.key && state.workspace) loadAll();
  });
  $("switch-confirm").addEventListener("click", () => answerSwitch(true));
  $("switch-stay").addEventListener("click", () => answerSwitch(false));
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveCredentials($("key-input").value.trim(), $("workspace-input").value.trim());
    show("key-form", false);
    loadAll();
  });
}

readCredentials();
wireEvents();
reportOAuthReturn();
if (state.key && state.workspace) loadAll(); else show("key-form", true);
