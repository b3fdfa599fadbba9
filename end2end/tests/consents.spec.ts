import { expect, test, type Page } from "@playwright/test";
import { hydrated, unique } from "./helpers";
import { confirmSignUp } from "./mailbox";

/** A new member, signed up and on the portal (consents are per member: nothing shared). */
async function newMember(page: Page) {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Your name").fill("Consent Tester");
  const email = `${unique("consent")}@example.com`;
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/signup\?sent=1$/);
  await confirmSignUp(page, email);
  await hydrated(page);
}

test("a member chooses where and about what the brand may write, and sees it kept", async ({ page }) => {
  await newMember(page);
  await hydrated(page);
  const prefs = page.getByRole("region", { name: "Messages from us" });
  await prefs.getByText("Messages from us: where and about what").click();
  // Opt-in: only the portal's inbox until the member chooses.
  await expect(prefs.getByLabel("Inbox on this portal")).toBeChecked();
  await expect(prefs.getByLabel("Email")).not.toBeChecked();
  await expect(prefs.getByLabel("Offers and promotions")).not.toBeChecked();
  await prefs.getByLabel("Email").check();
  await prefs.getByLabel("Offers and promotions").check();
  await prefs.getByRole("button", { name: "Save my choices" }).click();
  await expect(prefs.getByRole("status")).toHaveText("Your choices are saved.");
  await expect(prefs.getByTestId("consent-history")).toContainText("Email: given on");
  await expect(prefs.getByTestId("consent-history")).toContainText("on the portal");

  await page.reload();
  const again = page.getByRole("region", { name: "Messages from us" });
  await again.getByText("Messages from us: where and about what").click();
  await expect(again.getByLabel("Email")).toBeChecked();
  await expect(again.getByLabel("Offers and promotions")).toBeChecked();
  await expect(again.getByLabel("Text messages (SMS)")).not.toBeChecked();
});
