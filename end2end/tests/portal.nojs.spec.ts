import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, demo } from "./helpers";

// This project runs with JavaScript disabled: pages must work as server-rendered HTML.

test("without JavaScript a member signs in and sees the balance and history", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.member);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/portal$/);
  const card = page.getByRole("region", { name: "Café Aurora Rewards" });
  await expect(card.getByTestId("balance")).toHaveText(/^\d{1,3}(,\d{3})*$/);
  await expect(page.getByRole("heading", { name: "History" })).toBeVisible();
  await expect(page.getByRole("table", { name: "History of Café Aurora Rewards" })).toBeVisible();
});

test("without JavaScript a member redeems after one question and sees the code under the reward", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.member);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/portal$/);
  const offer = page.locator("li.reward", { hasText: "Free filter coffee" });
  // The question is a disclosure: it opens without any script.
  await offer.getByText("Redeem", { exact: true }).click();
  await expect(offer.getByText("Spend 100 Stars on Free filter coffee?")).toBeVisible();
  await offer.getByRole("button", { name: "Yes, redeem" }).click();
  await expect(page).toHaveURL(/\/portal$/);
  const done = page.locator("li.reward", { hasText: "Free filter coffee" }).getByTestId("redeemed");
  await expect(done).toContainText("Free filter coffee is yours.");
  await expect(done.locator(".code-big")).toHaveText(/^RW-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
});

test("without JavaScript a wrong password is reported on the page", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.member);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("That email and password do not match an account.")).toBeVisible();
});
