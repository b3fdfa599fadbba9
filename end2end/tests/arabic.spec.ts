import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { ARABIC_DIGITS, WESTERN_DIGITS, ar, arabicDigits } from "./catalogue";
import { demo, hydrated, signIn, unique } from "./helpers";
import { confirmSignUp } from "./mailbox";

// Arabic: chosen from the browser, by the switch, or by the account; right to left, with
// Arabic-Indic digits; and no serious accessibility fault in either language.

const NOURA = "noura@demo.omniloyal.test";

async function expectArabic(page: Page) {
  await expect(page.locator("html")).toHaveAttribute("lang", /^ar/);
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

test("a first visit follows the browser's language, and bad language values fall back to English", async ({ browser, request }) => {
  const arabic = await browser.newContext({ locale: "ar-SA" });
  const page = await arabic.newPage();
  await page.goto("/login");
  await expectArabic(page);
  await hydrated(page);
  await expectArabic(page);
  await arabic.close();

  // Chromium writes its own Accept-Language on navigations: malformed ones are sent directly.
  for (const header of ["fr-FR,de;q=0.9", ";;;q=abc", "ar;q=NaN,xx-<b>", "*", "ar;q=2"]) {
    const res = await request.get("/login", { headers: { "Accept-Language": header } });
    expect(res.status(), header).toBe(200);
    expect(await res.text(), header).toContain('<html lang="en" dir="ltr">');
  }
  const good = await request.get("/login", { headers: { "Accept-Language": "ar-MA,fr;q=0.8" } });
  expect(await good.text()).toContain('<html lang="ar-MA" dir="rtl">');
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
  await ctx.addCookies([{ name: "lang", value: "ar", url: "http://127.0.0.1:3100" }]);
  await page.goto("/desk");
  await hydrated(page);
  await expectArabic(page);
  await expectAccessible(page);
  await ctx.close();
});


const OASIS = "واحة القهوة";

test("a member signs up in Arabic, joins, and sees balance, history and tier progress right to left", async ({ browser }) => {
  const ctx = await browser.newContext({ locale: "ar-SA" });
  const page = await ctx.newPage();
  await page.goto("/signup");
  await hydrated(page);
  await expectArabic(page);
  await page.getByLabel(ar("auth", "signup.name")).fill("سارة القحطاني");
  const email = `${unique("ar")}@example.com`;
  await page.getByLabel(ar("auth", "signup.email"), { exact: true }).fill(email);
  await page.getByLabel(ar("auth", "signup.password"), { exact: true }).fill("كلمة مرور طويلة بما يكفي");
  await page.getByRole("button", { name: ar("auth", "signup.submit") }).click();
  await expect(page).toHaveURL(/\/signup\?sent=1$/);
  await expect(page.getByRole("heading", { name: ar("auth", "signup.sent_heading") })).toBeVisible();
  await confirmSignUp(page, email, true, "كلمة مرور طويلة بما يكفي");
  await hydrated(page);
  await expectArabic(page);
  await page.getByRole("button", { name: ar("portal", "join.button", { program: OASIS }) }).click();
  const card = page.getByRole("region", { name: OASIS });
  await expect(card.getByTestId("balance")).toHaveText("٠");
  await expect(page.getByText(ar("portal", "history.empty")).first()).toBeVisible();

  // Staff record a purchase for her; her portal shows it in Arabic digits.
  const staffCtx = await browser.newContext();
  const staff = await staffCtx.newPage();
  await signIn(staff, demo.staff);
  await staffCtx.addCookies([{ name: "lang", value: "ar", url: "http://127.0.0.1:3100" }]);
  await staff.goto("/desk");
  await hydrated(staff);
  await expectArabic(staff);
  await staff.getByLabel(ar("desk", "search.label")).fill(email);
  await staff.getByRole("button", { name: ar("desk", "search.submit") }).click();
  const amount = staff.getByLabel(ar("desk", "purchase.amount"));
  // A stray letter is refused in Arabic; then an amount typed in Arabic-Indic digits.
  await amount.fill("١٢x");
  await staff.getByRole("button", { name: ar("desk", "purchase.submit") }).click();
  await expect(staff.getByText(ar("errors", "field.amount_like", { example: "١٢٫٥٠" }))).toBeVisible();
  await amount.fill(arabicDigits("42.50"));
  await staff.getByLabel(ar("desk", "purchase.reference")).fill(unique("R-"));
  await staff.getByRole("button", { name: ar("desk", "purchase.submit") }).click();
  await expect(staff.getByRole("heading", { name: /^\+٤٢/ })).toBeVisible();
  // How the points were reached is told in Arabic too (the ledger keeps its English record).
  const receipt = staff.getByTestId("receipt");
  await expect(receipt).toContainText(ar("offers", "engine.base_rate"));
  await expect(receipt).not.toContainText("Base rate");
  await staffCtx.close();

  await expect(card.getByTestId("balance")).toHaveText("٤٢", { timeout: 15_000 });
  const history = page.getByRole("table", { name: ar("portal", "history.of", { program: OASIS }) });
  await expect(history).toContainText("٤٢٫٥٠");
  await expect(history).not.toContainText(/[0-9]/);
  await expect(card.getByTestId("tier-progress")).toHaveText(ARABIC_DIGITS);
  await ctx.close();
});

test("a manager edits a tier in Arabic and sees the field error in Arabic", async ({ browser }) => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, demo.admin);
  await ctx.addCookies([{ name: "lang", value: "ar", url: "http://127.0.0.1:3100" }]);
  await page.goto("/manage/programs/1");
  await hydrated(page);
  await expectArabic(page);
  const name = unique("مستوى ");
  const add = page.locator("form.tier-form").last();
  await add.getByLabel(ar("manage", "tiers.name")).fill(name);
  await add.locator('input[name="input[threshold_points]"]').fill(arabicDigits("7000"));
  await add.getByLabel(ar("manage", "tiers.multiplier")).fill("٥٠");
  await add.getByRole("button", { name: ar("manage", "tiers.add") }).click();
  await expect(add.getByText(ar("errors", "field.multiplier_range", { min: "٠٫١", max: "١٠" }))).toBeVisible();
  await add.getByLabel(ar("manage", "tiers.multiplier")).fill("١٫٥");
  await add.getByRole("button", { name: ar("manage", "tiers.add") }).click();
  await expect(page.locator("li.tier", { hasText: name })).toContainText("٧٬٠٠٠");
  await ctx.close();
});

test("on a 360 px phone no page spills sideways in Arabic, whoever signs in", async ({ browser }) => {
  for (const [who, paths] of [
    [demo.admin, ["/manage", "/manage/programs/1", "/manage/programs/1/rules", "/manage/programs/1/segments", "/manage/programs/1/campaigns", "/manage/cards", "/manage/keys"]],
    [demo.staff, ["/desk", "/desk?q=Mia"]],
    [NOURA, ["/portal"]],
  ] as const) {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await ctx.newPage();
    await signIn(page, who);
    await ctx.addCookies([{ name: "lang", value: "ar", url: "http://127.0.0.1:3100" }]);
    for (const path of paths) {
      await page.goto(path);
      await hydrated(page);
      await expectArabic(page);
      const spill = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(spill, `${path} spills by ${spill}px`).toBeLessThanOrEqual(0);
    }
    // The short sign-out word on a phone; its accessible name is the whole phrase.
    await expect(page.getByRole("button", { name: ar("common", "sign_out") })).toHaveText(ar("common", "sign_out_short"), {
      useInnerText: true,
    });
    await ctx.close();
  }
});
