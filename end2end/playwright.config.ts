import { defineConfig } from "@playwright/test";
import * as os from "node:os";
import * as path from "node:path";

// One server for the whole run: the debug build made by `cargo leptos build --split`, on its own
// port and a fresh SQLite file with the demo brand loaded.
const port = 3100;
const dbFile = path.join(os.tmpdir(), `omniloyal-e2e-${Date.now()}.db`);

export default defineConfig({
  testDir: "./tests",
  timeout: 45_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [
    { name: "hydrated", testIgnore: /\.nojs\.spec\.ts$/ },
    { name: "no-javascript", testMatch: /\.nojs\.spec\.ts$/, use: { javaScriptEnabled: false } },
  ],
  webServer: {
    command: "../target/debug/omniloyal",
    url: `http://127.0.0.1:${port}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      DATABASE_URL: `sqlite://${dbFile}?mode=rwc`,
      OMNILOYAL_DEMO: "1",
      LEPTOS_OUTPUT_NAME: "omniloyal",
      LEPTOS_SITE_ROOT: "../target/site",
      LEPTOS_SITE_PKG_DIR: "pkg",
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      RUST_LOG: "warn",
    },
  },
});
