import { expect, type Page } from "@playwright/test";
import { DEMO_PASSWORD, demo } from "./helpers";

const DEMO_ADMIN = demo.admin;

/** Signs in as an admin (`signInAsAdmin`) and reads the newest link to `/path?token=…` sent to
 * `email` from the development mailbox; leaves the page signed out. */
export async function mailedLink(page: Page, email: string, path: string, signInAsAdmin: () => Promise<void>): Promise<string> {
  await page.context().clearCookies();
  await signInAsAdmin();
  const mail = page.getByTestId("kept-email").filter({ hasText: email }).filter({ hasText: `/${path}?token=` });
  // The outbox worker sends every two seconds.
  await expect(async () => {
    await page.goto("/manage/mailbox");
    await expect(mail.first()).toBeAttached({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  const body = (await mail.first().locator(".message-body").textContent()) ?? "";
  const link = body.match(new RegExp(`https?://\\S+/${path}\\?token=[0-9a-f]+`))?.[0];
  expect(link, body).toBeTruthy();
  await page.context().clearCookies();
  return link!;
}

/** The reset link sent to `email` (see `mailedLink`). */
export async function resetLinkFor(page: Page, email: string, signInAsAdmin: () => Promise<void>): Promise<string> {
  return mailedLink(page, email, "reset-password", signInAsAdmin);
}

/** Opens the sign-up link sent to `email` and confirms it: the member lands on the portal,
 * signed in, giving the password chosen at sign-up. The mailbox is read as an admin in a context of its own (plain HTML, English),
 * so the member's page keeps its cookies and language. `js` says whether the member's page
 * runs JavaScript (it waits for hydration if so). */
export async function confirmSignUp(page: Page, email: string, js = true, password = "a long enough password"): Promise<void> {
  const admin = await page.context().browser()!.newContext({ javaScriptEnabled: false, locale: "en-GB" });
  const adminPage = await admin.newPage();
  const link = await mailedLink(adminPage, email, "verify-email", async () => {
    await adminPage.goto("/login");
    await adminPage.getByLabel("Email").fill(DEMO_ADMIN);
    await adminPage.getByLabel("Password").fill(DEMO_PASSWORD);
    await adminPage.getByRole("button", { name: "Sign in" }).click();
  });
  await admin.close();
  await page.goto(link);
  if (js) await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 30_000 });
  await expect(page.getByText(email)).toBeVisible();
  // The password chosen at sign-up proves the sign-up was theirs.
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole("button", { name: /Confirm and sign in|أكّد وسجّل الدخول/ }).click();
  await expect(page).toHaveURL(/\/portal\?welcome=/);
}
