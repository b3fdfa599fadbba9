import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, demo, signInPlain, unique } from "./helpers";
import { confirmSignUp, resetLinkFor } from "./mailbox";

// This project runs with JavaScript disabled: every form posts as plain HTML.

test("without JavaScript a forgotten password is reset from the emailed link", async ({ page }) => {
  const email = `${unique("resetnojs")}@example.com`;
  await page.goto("/signup");
  await page.getByLabel("Your name").fill("Plain Forgetter");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/signup\?sent=1$/);
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await confirmSignUp(page, email, false);
  await page.context().clearCookies();

  await page.goto("/forgot-password");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page).toHaveURL(/\/forgot-password\?sent=1$/);
  await expect(page.getByRole("status").filter({ hasText: /\S/ })).toContainText("If an account uses that address");

  const link = await resetLinkFor(page, email, () => signInPlain(page, demo.admin, DEMO_PASSWORD));
  await page.goto(link);
  await page.getByLabel("New password").fill("a plain new password");
  await page.getByRole("button", { name: "Save the new password" }).click();
  await expect(page).toHaveURL(/\/login\?reset=1$/);
  await signInPlain(page, email, "a plain new password");
  await expect(page).toHaveURL(/\/portal$/);
  const inbox = page.getByRole("region", { name: /^Inbox/ });
  // The outbox worker delivers to the inbox every two seconds.
  await expect(async () => {
    await page.reload();
    await expect(inbox.getByTestId("unread")).toHaveText("1 unread", { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await inbox.getByRole("button", { name: "Mark all as read" }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByRole("region", { name: /^Inbox/ }).getByTestId("unread")).toHaveCount(0);
});
