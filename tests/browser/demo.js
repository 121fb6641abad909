// Starts `pulse-sync demo` as a child process for the browser test, on its own database, and
// stops it with SIGTERM.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

// The built binary: PULSE_SYNC_BIN, else target/debug/pulse-sync (CARGO_TARGET_DIR respected).
export function binaryPath() {
  if (process.env.PULSE_SYNC_BIN) return process.env.PULSE_SYNC_BIN;
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
    : path.join(REPO_ROOT, "target");
  return path.join(target, "debug", "pulse-sync");
}

// A PostgreSQL client program, on PATH or in the newest /usr/lib/postgresql/*/bin.
function pgProgram(name) {
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root).sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const candidate = path.join(root, version, "bin", name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} not found on PATH nor under ${root}`);
}

function psql(url, sql) {
  execFileSync(pgProgram("psql"), [url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql], {
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 30_000,
  });
}

// Creates an empty database next to the one `baseUrl` names and returns its URL.
function createDatabase(baseUrl) {
  const name = `pulse_browser_${process.pid}_${Date.now()}`;
  psql(baseUrl, `CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

function dropDatabase(baseUrl, name) {
  psql(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

// Hides the API key of the settings page URL, so diagnostics never print it.
export function redact(text) {
  return text.replace(/key=[^&\s]+/g, "key=<redacted>").replace(/pulse_[A-Za-z0-9_-]+/g, "pulse_<redacted>");
}

// A running demo: its settings page URL, the fake Google's base URL, and how to stop it.
export class Demo {
  constructor(child, cleanups) {
    this.child = child;
    this.cleanups = cleanups;
    this.stdout = "";
    this.stderr = "";
    this.exit = new Promise((resolve) => {
      child.on("exit", (code, signal) => resolve({ code, signal }));
    });
    this.exited = false;
    this.exit.then(() => { this.exited = true; });
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk) => { this.stdout += chunk; });
    child.stderr.on("data", (chunk) => { this.stderr += chunk; });
  }

  // The last lines of the demo's output, with the key hidden.
  tail(lines = 40) {
    const all = `${this.stdout}\n${this.stderr}`.split("\n");
    return redact(all.slice(-lines).join("\n"));
  }

  // Waits until the demo printed both URLs (or exited, or `timeoutMs` passed).
  async urls(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const page = this.stdout.match(/^Settings page: (http:\/\/\S+)$/m);
      const fake = this.stdout.match(/^Fake Google: (http:\/\/\S+)$/m);
      if (page && fake) return { settingsPage: page[1], fakeGoogle: fake[1].replace(/\/$/, "") };
      if (this.exited) {
        throw new Error(`the demo exited before printing its URLs:\n${this.tail()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`the demo printed no URLs within ${timeoutMs} ms:\n${this.tail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  // Sends SIGTERM and waits for the exit (null when it did not exit within `timeoutMs`).
  async terminate(timeoutMs) {
    if (!this.exited) this.child.kill("SIGTERM");
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); });
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // Kills the demo if it still runs, then drops its database or data directory.
  async cleanUp() {
    if (!this.exited) {
      this.child.kill("SIGKILL");
      await this.exit;
    }
    for (const cleanup of this.cleanups.reverse()) {
      try {
        cleanup();
      } catch (error) {
        process.stderr.write(`clean-up failed: ${redact(String(error))}\n`);
      }
    }
  }
}

// Starts `pulse-sync demo --skip-initial-sync` on a fresh database (or its own local cluster);
// `env` adds variables (e.g. PULSE_CORS_ORIGINS) to the demo's environment.
export function startDemo({ env: extraEnv = {} } = {}) {
  const binary = binaryPath();
  if (!existsSync(binary)) {
    throw new Error(`${binary} does not exist: build it first (cargo build -p pulse-server)`);
  }
  const cleanups = [];
  const env = { ...process.env, PULSE_BIND: "127.0.0.1:0", ...extraEnv };
  const baseUrl = process.env.DATABASE_URL;
  if (baseUrl) {
    const database = createDatabase(baseUrl);
    env.DATABASE_URL = database.url;
    cleanups.push(() => dropDatabase(baseUrl, database.name));
  } else {
    const dataDir = mkdtempSync(path.join(tmpdir(), "pulse-browser-"));
    env.PULSE_DATA_DIR = dataDir;
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  }
  const child = spawn(binary, ["demo", "--skip-initial-sync"], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Demo(child, cleanups);
}
