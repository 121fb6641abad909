// Every test of the clients: the TypeScript client's methods and the React card (each test file
// against its own real `pulse-sync demo` on loopback), and the example page in headless Chromium.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "client",
          include: ["typescript/test/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: {
          name: "react",
          include: ["react/test/**/*.test.tsx"],
          environment: "jsdom",
          setupFiles: ["react/test/setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: {
          name: "example",
          include: ["examples/crm-contacts-page/test/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
