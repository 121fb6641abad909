// The committed types match the running server's OpenAPI document (the CI's drift check runs the
// same generation: npm run check-types).
import { readFileSync } from "node:fs";

import { expect, test } from "vitest";

import { SCHEMA_FILE, describeDifference, fetchDocument, generateSchema } from "../scripts/types.mjs";
import { useTestServer } from "../../scripts/test-server.js";

const server = useTestServer();

test("src/schema.d.ts is what openapi-typescript makes of the server's /openapi.json", async () => {
  const generated = await generateSchema(await fetchDocument(`${server.baseUrl}/openapi.json`));
  const committed = readFileSync(SCHEMA_FILE, "utf8");
  if (committed !== generated) {
    throw new Error(`src/schema.d.ts is stale (npm run generate-types):\n${describeDifference(committed, generated)}`);
  }
  expect(committed).toContain('"/api/logos-vision/auto-sync/config"');
});
