// Starts the real `pulse-sync demo` (the built binary, target/debug/pulse-sync or PULSE_SYNC_BIN)
// for the clients' tests and scripts, on a fresh database and a free loopback port, with the fake
// Google in-process. It reuses the browser test's launcher (tests/browser/demo.js).
import { randomBytes } from "node:crypto";

import { startDemo } from "../../tests/browser/demo.js";

export { binaryPath, redact } from "../../tests/browser/demo.js";

/** How long the demo may take to print its URLs (migrations on a fresh database included). */
export const DEMO_START_MS = 180_000;

/** An admin key with enough entropy for PULSE_ADMIN_API_KEY (48 random bytes). */
export function freshAdminKey() {
  return `pulse_admin_${randomBytes(48).toString("base64url")}`;
}

/**
 * Starts the demo and waits for its URLs. `corsOrigins` become PULSE_CORS_ORIGINS, `adminKey`
 * PULSE_ADMIN_API_KEY. Answers the API's base URL, the demo workspace's key, the fake Google's
 * base URL and `stop()`.
 */
export async function startPulseServer({ corsOrigins = [], adminKey } = {}) {
  const env = {};
  if (corsOrigins.length > 0) env.PULSE_CORS_ORIGINS = corsOrigins.join(",");
  if (adminKey) env.PULSE_ADMIN_API_KEY = adminKey;
  const demo = startDemo({ env });
  try {
    const urls = await demo.urls(DEMO_START_MS);
    const page = new URL(urls.settingsPage);
    const fragment = new URLSearchParams(page.hash.slice(1));
    return {
      baseUrl: page.origin,
      apiKey: fragment.get("key"),
      workspaceId: fragment.get("workspace"),
      fakeGoogle: urls.fakeGoogle,
      demo,
      async stop() {
        await demo.terminate(30_000);
        await demo.cleanUp();
      },
    };
  } catch (error) {
    await demo.cleanUp();
    throw error;
  }
}
