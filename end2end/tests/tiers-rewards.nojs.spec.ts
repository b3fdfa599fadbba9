import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, demo } from "./helpers";
import { PROGRAM } from "./journeys";

// This project runs with JavaScript disabled: pages must work as server-rendered HTML.

test("without JavaScript an analyst reads members per tier over time, the moves and spend by tier", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.analyst);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/insights$/);
  await page.getByRole("navigation", { name: "Insights pages" }).getByRole("link", { name: "Tiers" }).click();
  await expect(page).toHaveURL(/\/insights\/tiers/);
  // Tiers are a program's own: every program together has none to show.
  await expect(page.getByText("Tiers belong to a program: choose one in the filters above.")).toBeVisible();
  await expect(page.getByLabel("Tier", { exact: true })).toHaveCount(0);
  await page.getByLabel("Program", { exact: true }).selectOption({ label: PROGRAM });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/program=/);
  const byTier = page.getByRole("table", { name: "Each tier in the period" });
  for (const tier of ["Green", "Silver", "Gold"]) {
    await expect(byTier.getByRole("row", { name: new RegExp(`^${tier} `) })).toBeVisible();
  }
  // The demo's history lifted members when it was booked: upgrades in the default year.
  const upgrades = Number((await page.getByTestId("kpi-upgrades").locator(".kpi-value").textContent())!.replace(/,/g, ""));
  expect(upgrades).toBeGreaterThan(0);
  await expect(page.getByRole("table", { name: "Moves between tiers" }).getByRole("row", { name: /Up/ }).first()).toBeVisible();
  await expect(page.getByRole("figure", { name: "Memberships per tier" }).locator("svg")).toBeVisible();
  // A year by default: twelve months, each with its counts, and the CSV beside them.
  await expect(page.getByTestId("tiers-over-time").getByRole("row")).toHaveCount(13);
  const href = await page.getByTestId("tiers-over-time").getByRole("link", { name: "Download tiers-over-time.csv" }).getAttribute("href");
  const csv = decodeURIComponent(href!.slice(href!.indexOf(",") + 1));
  // (Other tests may add tiers of their own after these; a name in Arabic brings the BOM.)
  expect(csv.replace(/^\uFEFF/, "").split("\r\n")[0]).toMatch(/^Period,(No tier,)?Green,Silver,Gold(,.*)?$/);
  const tiersCsv = await page.getByTestId("by-tier").getByRole("link", { name: "Download tiers.csv" }).getAttribute("href");
  expect(decodeURIComponent(tiersCsv!.slice(tiersCsv!.indexOf(",") + 1)).replace(/^\uFEFF/, "").split("\r\n")[0]).toBe(
    "Tier,At the start,At the end,Moved in,Moved out,Buyers,Orders,Net sales,Net sales per buyer,Points issued,Points redeemed",
  );
  await page.getByRole("link", { name: "Definitions" }).click();
  await expect(page.getByTestId("help-tiers")).toContainText("Upgrades");
  await expect(page.getByTestId("help-rewards")).toContainText("Use rate");
});

test("without JavaScript an analyst reads the rewards' redemptions and stock, and a bad comparison is a field error", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.analyst);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto("/insights/rewards");
  // Every program: counts only (points and money are in different units).
  const table = page.getByRole("table", { name: "Each reward" });
  await expect(table.getByRole("columnheader")).toHaveCount(7);
  await expect(table.getByRole("cell", { name: "Free filter coffee", exact: true })).toBeVisible();
  await page.getByLabel("Program", { exact: true }).selectOption({ label: PROGRAM });
  await page.getByLabel("Compare with").selectOption({ label: "Previous period" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByTestId("compared")).toContainText("Compared with");
  await expect(table.getByRole("columnheader", { name: "Money handed out" })).toBeVisible();
  await expect(table.getByRole("cell", { name: "5 EUR off", exact: true })).toBeVisible();
  // A reversed range: the field error, with the form still there to put it right.
  await page.goto("/insights/rewards?from=2026-12-01&to=2026-11-01");
  await expect(page.getByRole("alert").first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Show" })).toBeVisible();
});
