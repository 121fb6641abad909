// `npm run demo` (in clients/): serves the built example page and runs a pulse-sync demo beside it,
// then prints the page's address. Ctrl-C stops both.
//
//   npm run demo                                  # starts `cargo run --release -p pulse-server -- demo`
//   npm run demo -- 'http://127.0.0.1:3003/#key=pulse_…&workspace=demo'   # a demo already running
//
// The demo it starts listens on a free loopback port, allows this page's origin
// (PULSE_CORS_ORIGINS), and keeps its PostgreSQL in clients/.pulse-data (unless DATABASE_URL or
// PULSE_DATA_DIR say otherwise). A demo started by hand must be given PULSE_CORS_ORIGINS with
// this page's origin (http://127.0.0.1:5176) for the page to call it. PULSE_SYNC_BIN runs that
// binary instead of `cargo run`; CRM_PORT changes the page's port (default 5176, the prototype
// CRM's).
import { spawn } from "node:child_process";
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.join(HERE, "dist");
const CLIENTS = path.resolve(HERE, "..", "..");
const REPO_ROOT = path.resolve(CLIENTS, "..");
const DEFAULT_PORT = 5176;

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
};

/** The file of dist/ a request path names; index.html for anything else (or outside dist/). */
function fileFor(requestUrl) {
  const index = path.join(DIST, "index.html");
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(requestUrl ?? "/", "http://localhost").pathname);
  } catch {
    return index;
  }
  const file = path.normalize(path.join(DIST, pathname));
  const inside = file.startsWith(DIST + path.sep);
  if (!inside || !existsSync(file) || statSync(file).isDirectory()) return index;
  return file;
}

/**
 * Serves dist/ on 127.0.0.1:`port` (0: a free one) under a strict Content-Security-Policy that
 * lets the page call only itself and `apiOrigin()`. Answers the origin and `close()`.
 */
export async function serveExample({ port = DEFAULT_PORT, apiOrigin = () => "" } = {}) {
  if (!existsSync(path.join(DIST, "index.html"))) {
    throw new Error(`${DIST} has no build: run \`npm run build\` in clients/ first`);
  }
  const server = createServer((request, response) => {
    const file = fileFor(request.url);
    response.setHeader("Content-Type", TYPES[path.extname(file)] ?? "application/octet-stream");
    response.setHeader(
      "Content-Security-Policy",
      `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; ` +
        `connect-src 'self' ${apiOrigin()}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
    );
    response.setHeader("Cache-Control", "no-cache");
    response.setHeader("Referrer-Policy", "no-referrer");
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.statusCode = 405;
      response.end();
      return;
    }
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    createReadStream(file).pipe(response);
  });
  const listen = (wanted) =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(wanted, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  try {
    await listen(port);
  } catch (error) {
    if (error.code !== "EADDRINUSE" || port === 0) throw error;
    console.error(`port ${port} is taken: the page uses a free one`);
    await listen(0);
  }
  const { port: bound } = server.address();
  return {
    origin: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

/** The page's address for a pulse-sync server, a key and a workspace (all in the fragment). */
export function pageUrl(origin, { apiUrl, apiKey, workspaceId }) {
  const fragment = new URLSearchParams({ api: apiUrl, key: apiKey, workspace: workspaceId });
  return `${origin}/#${fragment}`;
}

/** The API origin, key and workspace of a settings page link `http://HOST:PORT/#key=…&workspace=…`. */
export function parseSettingsPage(link) {
  const url = new URL(link);
  const fragment = new URLSearchParams(url.hash.slice(1));
  const apiKey = fragment.get("key");
  const workspaceId = fragment.get("workspace");
  if (!apiKey || !workspaceId) throw new Error(`${link} has no #key=…&workspace=…`);
  return { apiUrl: url.origin, apiKey, workspaceId };
}

/** Starts the demo (PULSE_SYNC_BIN, else cargo run --release) allowing `origins`; resolves its settings page link. */
function startDemo(origins, onExit) {
  const env = { ...process.env, PULSE_BIND: "127.0.0.1:0", PULSE_CORS_ORIGINS: origins.join(",") };
  if (!env.DATABASE_URL && !env.PULSE_DATA_DIR) env.PULSE_DATA_DIR = path.join(CLIENTS, ".pulse-data");
  const binary = process.env.PULSE_SYNC_BIN;
  const [command, args] = binary
    ? [path.resolve(binary), ["demo"]]
    : ["cargo", ["run", "--release", "-p", "pulse-server", "--", "demo"]];
  const note = binary ? "" : " (the first build takes a few minutes)";
  console.log(`starting the demo: ${command} ${args.join(" ")}${note}`);
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
  child.on("exit", onExit);
  const link = new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      buffered += chunk;
      const match = buffered.match(/^Settings page: (http:\/\/\S+)$/m);
      if (match) resolve(match[1]);
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`the demo exited (${code}) before printing its settings page`)));
  });
  return { child, link };
}

async function main() {
  const given = process.argv[2] ?? process.env.PULSE_SETTINGS_URL;
  let connection = given ? parseSettingsPage(given) : null;
  const page = await serveExample({
    port: Number(process.env.CRM_PORT ?? DEFAULT_PORT),
    apiOrigin: () => connection?.apiUrl ?? "",
  });
  let child = null;
  // Stops the demo (waiting for its graceful exit) and the page's server.
  const stop = async (code = 0) => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await page.close();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  if (!connection) {
    const origins = [page.origin, `http://localhost:${page.port}`];
    const demo = startDemo(origins, (code) => {
      console.error(`the demo stopped (${code ?? "signal"})`);
      void page.close().then(() => process.exit(code ?? 0));
    });
    child = demo.child;
    connection = parseSettingsPage(await demo.link);
  }
  console.log(`\nCRM Contacts page: ${pageUrl(page.origin, connection)}`);
  console.log(`pulse-sync API:    ${connection.apiUrl} (workspace ${connection.workspaceId})`);
  console.log("Open the first address in a browser. Ctrl-C stops everything.\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error.message ?? error);
    process.exit(1);
  });
}
