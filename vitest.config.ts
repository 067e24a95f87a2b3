import { defineConfig } from "vitest/config";

// Lab tests share the kernel's network namespaces and a 2-core machine: run files one at a time
// in forks so a crashed test cannot leave another file's namespaces half-built.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ["test/support/global-setup.ts"],
  },
});
