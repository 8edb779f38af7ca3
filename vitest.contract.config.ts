import { defineConfig } from "vitest/config"

// Contract checks need the official OpenAPI document (KRATOS_OPENAPI); `.ci/run` provides it.
export default defineConfig({
  test: {
    include: ["test/contract/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default", "./test/support/SummaryReporter.ts"]
  }
})
