// Builds the example page into dist/ (served by serve.mjs).
import { defineConfig } from "vite";

export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
});
