import { expect, type Page } from "@playwright/test";

/** Signs in as an admin (`signInAsAdmin`) and reads the reset link sent to `email` from the development mailbox. */
export async function resetLinkFor(page: Page, email: string, signInAsAdmin: () => Promise<void>): Promise<string> {
  await page.context().clearCookies();
  await signInAsAdmin();
  const mail = page.getByTestId("kept-email").filter({ hasText: email }).filter({ hasText: "Choose a new password" });
  // The outbox worker sends every two seconds.
  await expect(async () => {
    await page.goto("/manage/mailbox");
    await expect(mail.first()).toBeAttached({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  const body = (await mail.first().locator(".message-body").textContent()) ?? "";
  const link = body.match(/https?:\/\/\S+\/reset-password\?token=[0-9a-f]+/)?.[0];
  expect(link, body).toBeTruthy();
  await page.context().clearCookies();
  return link!;
}

