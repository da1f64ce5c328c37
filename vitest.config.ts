import { defineConfig } from "vitest/config";

const unit = (name: string, dir: string) => ({
  test: {
    name,
    root: dir,
    include: ["src/**/*.test.ts"],
  },
});

// JUNIT_REPORT=<file> adds a JUnit XML report for CI systems, next to the usual output.
const junit = process.env.JUNIT_REPORT;

export default defineConfig({
  test: {
    reporters: junit ? ["default", ["junit", { outputFile: junit }]] : ["default"],
    // A stray `.only` must fail the suite instead of silently skipping the rest.
    allowOnly: false,
    projects: [
      unit("shared", "packages/shared"),
      unit("mock-auth0", "apps/mock-auth0"),
      unit("shop-api", "apps/shop-api"),
      unit("agent", "apps/agent"),
      unit("model-server", "apps/model-server"),
      unit("testkit", "packages/testkit"),
      {
        test: {
          name: "e2e",
          root: ".",
          include: ["test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
