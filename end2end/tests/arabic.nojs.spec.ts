import { expect, test } from "@playwright/test";
import { ARABIC_DIGITS, ar, arabicDigits } from "./catalogue";
import { DEMO_PASSWORD, demo, unique } from "./helpers";

// This project runs with JavaScript disabled: Arabic pages work as server-rendered HTML.

test("without JavaScript the switch, sign-in and the portal work in Arabic", async ({ page }) => {
  await page.goto("/login");
  await page.getByRole("button", { name: "العربية" }).click();
  await expect(page.locator("html")).toHaveAttribute("dir", "rtl");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel(ar("auth", "login.email")).fill("noura@demo.omniloyal.test");
  await page.getByLabel(ar("auth", "login.password")).fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: ar("auth", "login.submit") }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.locator("html")).toHaveAttribute("lang", "ar");
  await expect(page.getByRole("region", { name: "واحة القهوة" }).getByTestId("balance")).toHaveText(ARABIC_DIGITS);
  await page.getByRole("button", { name: "English" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
});

test("without JavaScript staff record a purchase in Arabic with Arabic-Indic digits", async ({ browser }) => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, locale: "ar-EG" });
  const page = await ctx.newPage();
  await page.goto("/login");
  await page.getByLabel(ar("auth", "login.email")).fill(demo.staff);
  await page.getByLabel(ar("auth", "login.password")).fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: ar("auth", "login.submit") }).click();
  await expect(page).toHaveURL(/\/desk$/);
  await page.getByLabel(ar("desk", "search.label")).fill("+٩٦٦٥٠١٢٣٤٥٦٧");
  await page.getByRole("button", { name: ar("desk", "search.submit") }).click();
  await page.getByLabel(ar("desk", "purchase.amount")).fill("١٢x");
  await page.getByRole("button", { name: ar("desk", "purchase.submit") }).click();
  await expect(page.getByText(ar("errors", "field.amount_like", { example: "١٢٫٥٠" }))).toBeVisible();
  await page.getByLabel(ar("desk", "purchase.amount")).fill(arabicDigits("10.00"));
  await page.getByLabel(ar("desk", "purchase.reference")).fill(unique("R-"));
  await page.getByRole("button", { name: ar("desk", "purchase.submit") }).click();
  await expect(page.getByRole("heading", { name: /^\+١٠/ })).toBeVisible();
  await ctx.close();
});
