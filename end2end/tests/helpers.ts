import { expect, type Page } from "@playwright/test";

export const DEMO_PASSWORD = "omniloyal-demo";
export const demo = {
  admin: "admin@demo.omniloyal.test",
  analyst: "analyst@demo.omniloyal.test",
  staff: "staff@demo.omniloyal.test",
  member: "member@demo.omniloyal.test",
};

/** A value no other test (or earlier run) uses. */
export function unique(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Waits until the WASM bundle has hydrated the page (the hydrate entry marks <body>). */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 30_000 });
}

/** Signs in with plain form posts, for pages without JavaScript. */
export async function signInPlain(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // A successful sign-in loads the account's first page whole (its language may differ):
  // wait for it to arrive and come alive; a refused one stays on /login.
  const left = await page
    .waitForURL((u) => !u.pathname.startsWith("/login"), { timeout: 5_000 })
    .then(() => true)
    .catch(() => false);
  if (left) await hydrated(page);
}
