import { expect, test } from "@playwright/test";
import { demo, signIn } from "./helpers";

test("an analyst sees enrollment and points charts and narrows the date range", async ({ page }) => {
  await signIn(page, demo.analyst);
  await expect(page).toHaveURL(/\/insights$/);
  const enrolled = page.getByRole("figure", { name: "Members enrolled per day" });
  const points = page.getByRole("figure", { name: "Points issued per day" });
  await expect(enrolled.locator("svg")).toBeVisible();
  await expect(points.locator("svg")).toBeVisible();
  const before = Number((await page.getByTestId("kpi-enrolled").textContent())!.replace(/,/g, ""));
  expect(before).toBeGreaterThan(0);

  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel("From").fill(today);
  await page.getByLabel("To").fill(today);
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(new RegExp(`from=${today}`));
  await expect(enrolled.getByText(`Members enrolled per day, ${today} to ${today} (UTC)`)).toBeVisible();
  const after = Number((await page.getByTestId("kpi-enrolled").textContent())!.replace(/,/g, ""));
  expect(after).toBeLessThanOrEqual(before);
  // The chart's numbers beside it: as a table, and as a CSV download.
  await enrolled.getByText("Numbers").click();
  await expect(enrolled.getByRole("row", { name: `${today} ${after}` })).toBeVisible();
  const href = await enrolled.getByRole("link", { name: "Download enrollments.csv" }).getAttribute("href");
  const csv = decodeURIComponent(href!.slice(href!.indexOf(",") + 1));
  expect(csv).toBe(`Day,Members enrolled\r\n${today},${after}\r\n`);

  await page.getByLabel("From").fill("2026-12-31");
  await page.getByLabel("To").fill("2026-01-01");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByText("Please correct the highlighted field.")).toBeVisible();
});
