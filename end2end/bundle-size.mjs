// What each surface's first load downloads of the browser bundle: every JS and WASM file the
// page fetches from /pkg until it is hydrated, with its size on disk and gzipped (level 9, as
// a server or CDN would send it). Not a test: scripts/bundle-size.sh builds the release,
// starts it and runs this against it.
//
//   node bundle-size.mjs http://127.0.0.1:3200 ../target/site
import { chromium } from "@playwright/test";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const [base, siteRoot] = process.argv.slice(2);
const password = "omniloyal-demo";
const surfaces = [
  { name: "Portal (member, /portal)", path: "/portal", as: "member@demo.omniloyal.test" },
  { name: "Desk (staff, /desk)", path: "/desk", as: "staff@demo.omniloyal.test" },
  { name: "Manage (admin, /manage)", path: "/manage", as: "admin@demo.omniloyal.test" },
  { name: "Insights (analyst, /insights)", path: "/insights", as: "analyst@demo.omniloyal.test" },
  { name: "Sign-in (visitor, /login)", path: "/login", as: null },
];

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

const kb = (n) => (n / 1000).toLocaleString("en", { maximumFractionDigits: 1 });
const rows = [];
for (const s of surfaces) {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (s.as) {
    // Sign in through the form, then measure a fresh load of the surface.
    await page.goto(`${base}/login`);
    await page.waitForSelector("body[data-hydrated]", { timeout: 60_000 });
    await page.getByLabel("Email").fill(s.as);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    // Signed in when the header offers to sign out; otherwise the figures would be the sign-in page's.
    await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
  }
  const fresh = await context.newPage();
  const files = new Set();
  fresh.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/pkg/") && /\.(js|wasm)$/.test(url.pathname)) files.add(url.pathname);
  });
  await fresh.goto(`${base}${s.path}`);
  await fresh.waitForSelector("body[data-hydrated]", { timeout: 60_000 });
  await fresh.waitForLoadState("networkidle");
  let raw = 0;
  let gz = 0;
  const list = [...files].sort();
  for (const f of list) {
    const bytes = readFileSync(join(siteRoot, f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  rows.push({ name: s.name, files: list.length, raw, gz, list });
  await context.close();
}
await browser.close();

console.log("| surface, first load | files | raw KB | gzipped KB |");
console.log("|---|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.name} | ${r.files} | ${kb(r.raw)} | **${kb(r.gz)}** |`);
console.log();
for (const r of rows) console.log(`${r.name}: ${r.list.join(" ")}`);
