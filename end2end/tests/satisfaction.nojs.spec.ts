import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, demo } from "./helpers";

// This project runs with JavaScript disabled: pages must work as server-rendered HTML.

async function signIn(page: import("@playwright/test").Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("without JavaScript a member answers the survey and the Satisfaction page counts it", async ({ page }) => {
  await signIn(page, demo.member);
  await expect(page).toHaveURL(/\/portal$/);
  const survey = page.getByTestId("survey");
  await survey.getByLabel("10", { exact: true }).check();
  await survey.getByLabel("What is the main reason for your score? (optional)").fill("Always friendly");
  await survey.getByRole("button", { name: "Send answer" }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByTestId("survey-thanks")).toContainText("Thank you for your answer");
  await expect(page.getByTestId("survey")).toHaveCount(0);

  await page.context().clearCookies();
  await signIn(page, demo.analyst);
  await expect(page).toHaveURL(/\/insights$/);
  await page.goto("/insights/satisfaction");
  await page.getByLabel("Program", { exact: true }).selectOption({ label: "Café Aurora Rewards" });
  await page.getByLabel("Channel", { exact: true }).selectOption({ label: "Web shop" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/channel=web/);
  await expect(page.getByTestId("nps-comments").getByRole("row", { name: /Always friendly/ })).toBeVisible();
  await expect(page.getByRole("figure", { name: "Net Promoter Score" }).locator("svg")).toBeVisible();
  // A channel the dashboard does not know is a field error on the form.
  await page.goto("/insights/satisfaction?channel=fax");
  await expect(page.getByLabel("Channel", { exact: true })).toHaveAttribute("aria-invalid", "true");
});
