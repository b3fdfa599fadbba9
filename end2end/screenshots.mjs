// Screenshots of every surface at a phone width and a desktop width, for the closing notes:
//   node screenshots.mjs <base-url> <out-dir>
// The server must run with the demo brand (OMNILOYAL_DEMO=1).
import { chromium } from "@playwright/test";
import * as fs from "node:fs";

const [base = "http://127.0.0.1:3200", out = "/tmp/shots"] = process.argv.slice(2);
const PASSWORD = "omniloyal-demo";
const pages = [
  ["member@demo.omniloyal.test", ["/portal"]],
  ["staff@demo.omniloyal.test", ["/desk", "/desk?q=Mia"]],
  ["admin@demo.omniloyal.test", ["/manage", "/manage/programs/1", "/manage/programs/1/rules", "/manage/programs/1/rewards",
    "/manage/stores", "/manage/users", "/manage/keys", "/manage/webhooks", "/manage/cards", "/manage/approvals"]],
];
fs.mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
for (const width of [390, 1280]) {
  for (const [email, paths] of pages) {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.waitForSelector("body[data-hydrated]");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/login"));
    for (const path of paths) {
      await page.goto(`${base}${path}`);
      await page.waitForSelector("body[data-hydrated]");
      await page.waitForTimeout(300);
      const name = `${path.replace(/[/?=]/g, "_").replace(/^_/, "")}-${width}.png`;
      await page.screenshot({ path: `${out}/${name}`, fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      console.log(`${name}${overflow > 0 ? `  OVERFLOWS by ${overflow}px` : ""}`);
    }
    await context.close();
  }
}
await browser.close();
