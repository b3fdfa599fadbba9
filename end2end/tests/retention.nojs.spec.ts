import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, demo } from "./helpers";

// This project runs with JavaScript disabled: pages must work as server-rendered HTML.

test("without JavaScript an analyst reads the enrolment cohorts, the curve and churn, with their CSV", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.analyst);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/insights$/);
  await page.getByRole("navigation", { name: "Insights pages" }).getByRole("link", { name: "Retention" }).click();
  await expect(page).toHaveURL(/\/insights\/retention/);
  // A year of monthly cohorts by default, the demo's members in the last two or three.
  const cohorts = page.getByRole("table", { name: "Enrolment cohorts" });
  await expect(cohorts.getByRole("row")).toHaveCount(13);
  const joined = Number((await page.getByTestId("kpi-cohort_members").locator(".kpi-value").textContent())!.replace(/,/g, ""));
  expect(joined).toBeGreaterThan(0);
  await expect(page.getByTestId("kpi-churn_rate")).toContainText("Churned / members active before.");
  await expect(page.getByTestId("churn-period")).toContainText("Churn compares the range with the period just before it");
  const href = await page.getByTestId("cohorts").getByRole("link", { name: "Download cohorts.csv" }).getAttribute("href");
  const csv = decodeURIComponent(href!.slice(href!.indexOf(",") + 1));
  expect(csv.split("\r\n")[0]).toBe("Joined in,Members,Month 0,Month 1,Month 2,Month 3,Month 4,Month 5,Month 6,Month 7,Month 8,Month 9,Month 10,Month 11");
  await expect(page.getByRole("figure", { name: "Share of a cohort active, by months since joining" }).locator("svg")).toBeVisible();
  // The Definitions page names every figure.
  await page.getByRole("link", { name: "Definitions" }).click();
  await expect(page.getByRole("heading", { name: "How each figure is counted" })).toBeVisible();
  await expect(page.getByTestId("help-retention")).toContainText("Churn rate");
});

test("without JavaScript an analyst compares channels and stores and reads the omnichannel premium", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.analyst);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto("/insights/channels");
  // Every program: buyers and orders only (their money and points are in different units).
  await expect(page.getByRole("table", { name: "By channel" }).getByRole("columnheader")).toHaveCount(3);
  await page.getByLabel("Program", { exact: true }).selectOption({ label: "Café Aurora Rewards" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/program=/);
  const byChannel = page.getByRole("table", { name: "By channel" });
  await expect(byChannel.getByRole("row", { name: /^Stores / })).toBeVisible();
  await expect(byChannel.getByRole("columnheader", { name: "Net sales" })).toBeVisible();
  await expect(page.getByRole("table", { name: "By store" }).getByRole("row", { name: /Aurora Mitte, Berlin/ })).toBeVisible();
  await expect(page.getByTestId("kpi-premium")).toContainText("Value of a multi-channel buyer / value of a single-channel buyer.");
  await expect(page.getByRole("figure", { name: "Net sales by channel (EUR)" }).locator("svg")).toBeVisible();
  const href = await page.getByTestId("stores").getByRole("link", { name: "Download stores.csv" }).getAttribute("href");
  const csv = decodeURIComponent(href!.slice(href!.indexOf(",") + 1));
  expect(csv.replace(/^\uFEFF/, "").split("\r\n")[0]).toBe("Store,Buyers,Orders,Sales,Refunds,Net sales,Points issued,Points redeemed (gross)");
});
