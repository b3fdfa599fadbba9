import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, demo } from "./helpers";

// This project runs with JavaScript disabled: pages must work as server-rendered HTML.

test("without JavaScript an analyst filters Insights, and a reversed range is a field error on the form", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.analyst);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/insights$/);
  await expect(page.getByRole("figure", { name: "New members per day" }).locator("svg")).toBeVisible();

  await page.getByLabel("From").fill("2026-12-31");
  await page.getByLabel("To", { exact: true }).fill("2026-01-01");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/from=2026-12-31/);
  const from = page.getByLabel("From");
  await expect(from).toHaveAttribute("aria-invalid", "true");
  await expect(from).toHaveValue("2026-12-31");
  await expect(page.locator("#from-error")).toHaveText("The start must be on or before the end.");

  await page.getByLabel("Program", { exact: true }).selectOption({ label: "Café Aurora Rewards" });
  await page.getByLabel("To", { exact: true }).fill("2027-01-02");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("figure", { name: "Points issued per day (Stars)" }).locator("svg")).toBeVisible();
  await expect(from).not.toHaveAttribute("aria-invalid", "true");
});

test("without JavaScript the overview narrows to a store and compares with last year", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.analyst);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Program", { exact: true }).selectOption({ label: "Café Aurora Rewards" });
  await page.getByLabel("Compare with").selectOption({ label: "Same period last year" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/compare=year/);
  await expect(page.getByTestId("kpi-orders").locator(".kpi-before")).toContainText("before:");
  await expect(page.getByRole("figure", { name: "Active members per day" }).locator("svg")).toBeVisible();
  await expect(page.getByTestId("ifrs-deferred")).toHaveText(/\d/);
  await page.getByLabel("Channel").selectOption({ label: "Stores" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/channel=store/);
  await expect(page.getByTestId("kpi-members")).toBeVisible();
});

test("without JavaScript customer value shows its tables for the chosen program", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.analyst);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto("/insights/value");
  await page.getByLabel("Program", { exact: true }).selectOption({ label: "Café Aurora Rewards" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/program=/);
  await expect(page.getByTestId("value-tiers")).toBeVisible();
  await expect(page.getByTestId("at-risk")).toBeVisible();
});
