import { expect, test } from "@playwright/test";
import { unique } from "./helpers";
import { confirmSignUp } from "./mailbox";

// This project runs with JavaScript disabled: the preferences form posts as plain HTML.

test("without JavaScript a member withdraws the inbox and opts in to surveys", async ({ page }) => {
  await page.goto("/signup");
  await page.getByLabel("Your name").fill("Consent Tester");
  const email = `${unique("consentnojs")}@example.com`;
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/signup\?sent=1$/);
  await confirmSignUp(page, email, false);
  const prefs = page.getByRole("region", { name: "Messages from us" });
  await prefs.getByText("Messages from us: where and about what").click();
  await prefs.getByLabel("Inbox on this portal").uncheck();
  await prefs.getByLabel("Surveys").check();
  await prefs.getByRole("button", { name: "Save my choices" }).click();
  await expect(page).toHaveURL(/\/portal(\?|$)/);
  const after = page.getByRole("region", { name: "Messages from us" });
  await expect(after.getByTestId("consent-history")).toContainText("Inbox on this portal: withdrawn on");
  await expect(after.getByTestId("consent-history")).toContainText("Surveys: given on");
  await expect(after.getByLabel("Surveys")).toBeChecked();
  await expect(after.getByLabel("Inbox on this portal")).not.toBeChecked();
});
