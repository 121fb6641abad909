// The example's own server: the page's files only, whatever the path says.
import { afterAll, beforeAll, expect, test } from "vitest";
import { request } from "node:http";

import { pageUrl, parseSettingsPage, serveExample } from "../serve.mjs";

let example: Awaited<ReturnType<typeof serveExample>>;

beforeAll(async () => {
  example = await serveExample({ port: 0, apiOrigin: () => "http://127.0.0.1:3003" });
});
afterAll(async () => example?.close());

/** GETs a raw path (not normalized by a URL parser on the way). */
function get(rawPath: string): Promise<{ status: number; type: string; body: string; csp: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: example.port, path: rawPath }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          type: String(response.headers["content-type"]),
          body,
          csp: String(response.headers["content-security-policy"]),
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

test("paths outside the build, or malformed ones, answer the page, never another file", async () => {
  const page = await get("/");
  expect(page.type).toBe("text/html; charset=utf-8");
  expect(page.csp).toContain("connect-src 'self' http://127.0.0.1:3003");
  for (const path of ["/../package.json", "/%2e%2e/package.json", "/..%2f..%2fpackage.json", "/%E0%A4%A", "/../dist-x/a"]) {
    const answer = await get(path);
    expect([path, answer.status, answer.body]).toEqual([path, 200, page.body]);
  }
});

test("the page's address carries the server, the key and the workspace in its fragment", () => {
  const connection = parseSettingsPage("http://127.0.0.1:3003/#key=pulse_abc&workspace=demo");
  expect(connection).toEqual({ apiUrl: "http://127.0.0.1:3003", apiKey: "pulse_abc", workspaceId: "demo" });
  const url = new URL(pageUrl("http://127.0.0.1:5176", connection));
  expect(url.pathname).toBe("/");
  expect(Object.fromEntries(new URLSearchParams(url.hash.slice(1)))).toEqual({
    api: "http://127.0.0.1:3003",
    key: "pulse_abc",
    workspace: "demo",
  });
  expect(() => parseSettingsPage("http://127.0.0.1:3003/")).toThrow(/#key/);
});
