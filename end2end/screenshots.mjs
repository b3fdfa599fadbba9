// Screenshots of every surface at a phone width and a desktop width, for the closing notes:
//   node screenshots.mjs <base-url> <out-dir> [en|ar]
// With `ar` every page is asked for in Arabic (the browser's Accept-Language) at 360 and 1,280 px.
// The server must run with the demo brand (OMNILOYAL_DEMO=1).
import { chromium } from "@playwright/test";
import * as fs from "node:fs";

const [base = "http://127.0.0.1:3200", out = "/tmp/shots", lang = "en"] = process.argv.slice(2);
const PASSWORD = "omniloyal-demo";
const pages = [
  ["member@demo.omniloyal.test", ["/portal"]],
  ["noura@demo.omniloyal.test", ["/portal"]],
  ["staff@demo.omniloyal.test", ["/desk", "/desk?q=Mia", "/desk?q=%D9%86%D9%88%D8%B1%D8%A9"]],
  [null, ["/", "/login", "/signup"]],
  ["analyst@demo.omniloyal.test", ["/insights"]],
  ["admin@demo.omniloyal.test", ["/manage", "/manage/programs/1", "/manage/programs/1/rules", "/manage/programs/1/rewards",
    "/manage/stores", "/manage/users", "/manage/keys", "/manage/webhooks", "/manage/cards", "/manage/approvals"]],
];
fs.mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
for (const width of lang === "ar" ? [360, 1280] : [390, 1280]) {
  for (const [email, paths] of pages) {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    if (email) {
      // Signs in through the server function (the form's words depend on the language).
      const res = await page.request.post(`${base}/api/login`, {
        form: { email, password: PASSWORD },
        headers: { Origin: base, Accept: "application/json" },
      });
      if (!res.ok()) throw new Error(`sign-in of ${email}: ${res.status()}`);
    }
    if (lang === "ar") await context.setExtraHTTPHeaders({ "Accept-Language": "ar-SA,ar;q=0.9" });
    if (lang === "en") await context.addCookies([{ name: "lang", value: "en", url: base }]);
    for (const path of paths) {
      await page.goto(`${base}${path}`);
      await page.waitForSelector("body[data-hydrated]");
      await page.waitForTimeout(300);
      const slug = decodeURIComponent(path).replace(/[/?=]/g, "_").replace(/^_/, "") || "home";
      const name = `${email ? email.split("@")[0] + "-" : ""}${slug}-${width}.png`;
      await page.screenshot({ path: `${out}/${name}`, fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      console.log(`${name}${overflow > 0 ? `  OVERFLOWS by ${overflow}px` : ""}`);
    }
    await context.close();
  }
}
await browser.close();
