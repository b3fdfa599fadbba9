import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { ARABIC_DIGITS, WESTERN_DIGITS } from "./catalogue";
import { demo, hydrated, signIn } from "./helpers";

// Arabic: chosen from the browser, by the switch, or by the account; right to left, with
// Arabic-Indic digits; and no serious accessibility fault in either language.

const NOURA = "noura@demo.omniloyal.test";

async function expectArabic(page: Page) {
  await expect(page.locator("html")).toHaveAttribute("lang", "ar");
  await expect(page.locator("html")).toHaveAttribute("dir", "rtl");
}

async function expectEnglish(page: Page) {
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.locator("html")).toHaveAttribute("dir", "ltr");
}

/** No violation axe rates serious or critical. */
async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

test("a first visit follows the browser's language, and bad language values fall back to English", async ({ browser }) => {
  const arabic = await browser.newContext({ extraHTTPHeaders: { "Accept-Language": "ar-SA,ar;q=0.9,en;q=0.5" } });
  const page = await arabic.newPage();
  await page.goto("/login");
  await expectArabic(page);
  await hydrated(page);
  await expectArabic(page);
  await arabic.close();

  for (const header of ["fr-FR,de;q=0.9", ";;;q=abc", "ar;q=NaN,xx-<b>", "*"]) {
    const ctx = await browser.newContext({ extraHTTPHeaders: { "Accept-Language": header } });
    const p = await ctx.newPage();
    const res = await p.goto("/login");
    expect(res?.status(), header).toBe(200);
    await expectEnglish(p);
    await ctx.close();
  }
  const cookie = await browser.newContext();
  await cookie.addCookies([{ name: "lang", value: "%3Cscript%3E", url: "http://127.0.0.1:3100" }]);
  const p = await cookie.newPage();
  expect((await p.goto("/login"))?.status()).toBe(200);
  await expectEnglish(p);
  await cookie.close();
});

test("the switch on every page changes the language and reloads only the page", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await expectEnglish(page);
  const fetched: { url: string; status: number; type: string }[] = [];
  page.on("response", (r) => fetched.push({ url: r.url(), status: r.status(), type: r.request().resourceType() }));
  await page.getByRole("button", { name: "العربية" }).click();
  await expectArabic(page);
  await hydrated(page);
  await expect(page).toHaveURL(/\/login$/);
  // The post, its redirect back, and the page: every asset comes from the cache or is
  // confirmed unchanged (304), none is downloaded again.
  const documents = fetched.filter((f) => f.type === "document");
  expect(documents.map((d) => d.status)).toEqual([303, 200]);
  const assets = fetched.filter((f) => f.type !== "document" && !f.url.includes("/api/"));
  for (const a of assets) {
    expect([200, 304], a.url).toContain(a.status);
  }
  const downloaded = await page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .filter((e) => (e as PerformanceResourceTiming).transferSize > 1000 && /\.(wasm|js|css)$/.test(e.name))
      .map((e) => e.name),
  );
  expect(downloaded).toEqual([]);
  await page.getByRole("button", { name: "English" }).click();
  await expectEnglish(page);
});

test("a member whose account is in Arabic sees the portal right to left with Arabic digits, accessibly", async ({ page }) => {
  await signIn(page, NOURA);
  await expect(page).toHaveURL(/\/portal$/);
  await expectArabic(page);
  await hydrated(page);
  const card = page.getByRole("region", { name: "واحة القهوة" });
  const balance = card.getByTestId("balance");
  await expect(balance).toHaveText(ARABIC_DIGITS);
  await expect(balance).not.toHaveText(WESTERN_DIGITS);
  await expect(card.getByTestId("tier-progress")).toHaveText(ARABIC_DIGITS);
  await expectAccessible(page);
  // The phone keeps its order and its Western digits inside the Arabic page.
  await page.reload();
  await expectArabic(page);
});

test("the portal and the desk have no serious accessibility fault in English", async ({ browser }) => {
  for (const [email, path] of [
    [demo.member, "/portal"],
    [demo.staff, "/desk"],
  ]) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await signIn(page, email);
    await page.goto(path);
    await hydrated(page);
    await expectEnglish(page);
    await expectAccessible(page);
    await ctx.close();
  }
});

test("the desk has no serious accessibility fault in Arabic", async ({ browser }) => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, demo.staff);
  // The browser asks for Arabic from now on (the staff account has no language of its own).
  await ctx.setExtraHTTPHeaders({ "Accept-Language": "ar-SA" });
  await page.goto("/desk");
  await hydrated(page);
  await expectArabic(page);
  await expectAccessible(page);
  await ctx.close();
});

