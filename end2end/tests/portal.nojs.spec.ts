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
  await expect(card.getByTestId("balance")).toHaveText(/^\d+$/);
  await expect(page.getByRole("heading", { name: "History" })).toBeVisible();
  await expect(page.getByRole("table")).toBeVisible();
});

test("without JavaScript a wrong password is reported on the page", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.member);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("That email and password do not match an account.")).toBeVisible();
});
