import { expect, test } from "@playwright/test";
import { demo, hydrated, signIn } from "./helpers";
import { signUp } from "./journeys";
import { resetLinkFor } from "./mailbox";

test("a member resets a forgotten password from the email and reads the notice in the inbox", async ({ page }) => {
  const email = await signUp(page, "Forgetful Member");
  await page.context().clearCookies();
  await page.goto("/login");
  await hydrated(page);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByRole("status").filter({ hasText: /\S/ })).toContainText("If an account uses that address, we have sent it a link.");

  const link = await resetLinkFor(page, email, () => signIn(page, demo.admin));
  await page.goto(link);
  await hydrated(page);
  // Too short first: a field error, the link still good.
  await page.getByLabel("New password").fill("short");
  await page.getByRole("button", { name: "Save the new password" }).click();
  await expect(page.getByText("Use at least 10 characters.")).toBeVisible();
  await page.getByLabel("New password").fill("a brand new password");
  await page.getByRole("button", { name: "Save the new password" }).click();
  await expect(page).toHaveURL(/\/login\?reset=1$/);
  await expect(page.getByRole("status").filter({ hasText: /\S/ })).toContainText("Your password is changed.");

  await signIn(page, email, "a brand new password");
  await expect(page).toHaveURL(/\/portal$/);
  const inbox = page.getByRole("region", { name: /^Inbox/ });
  // The outbox worker delivers to the inbox every two seconds.
  await expect(async () => {
    await page.reload();
    await hydrated(page);
    await expect(inbox.getByTestId("unread")).toHaveText("1 unread", { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  const notice = inbox.getByTestId("inbox-message").filter({ hasText: "Your password was changed" });
  await notice.getByText("Your password was changed").click();
  await expect(notice.getByText("every device signed in to it was signed out")).toBeVisible();
  await notice.getByRole("button", { name: "Mark as read" }).click();
  await expect(inbox.getByTestId("unread")).toHaveCount(0);
  await expect(notice.getByRole("button", { name: "Mark as read" })).toHaveCount(0);

  // The link worked once.
  await page.goto(link);
  await hydrated(page);
  await page.getByLabel("New password").fill("yet another password");
  await page.getByRole("button", { name: "Save the new password" }).click();
  await expect(page.getByRole("alert")).toContainText("This link has expired or was already used.");
});
