import { expect, test } from "@playwright/test";
import { demo, signIn } from "./helpers";

const count = async (text: Promise<string | null>) => Number((await text)!.replace(/,/g, ""));

test("an analyst sees new members and points by program, and narrows the date range", async ({ page }) => {
  await signIn(page, demo.analyst);
  await expect(page).toHaveURL(/\/insights$/);
  const enrolled = page.getByRole("figure", { name: "New members per day" });
  await expect(enrolled.locator("svg")).toBeVisible();
  const before = await count(page.getByTestId("kpi-enrolled").textContent());
  expect(before).toBeGreaterThan(0);
  // All programs: points by program, each in its own unit; no points chart adding them up.
  const byProgram = page.getByRole("table", { name: "Points issued by program" });
  await expect(byProgram.getByRole("row", { name: /^Café Aurora Rewards [\d,]+ Stars$/ })).toBeVisible();
  await expect(byProgram.getByRole("row", { name: /^Aurora Bakery Club [\d,]+ Points$/ })).toBeVisible();
  await expect(page.getByTestId("chart-points")).toHaveCount(0);
  await expect(page.getByText("Choose a program to see its points per day")).toBeVisible();

  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel("From").fill(today);
  await page.getByLabel("To").fill(today);
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(new RegExp(`from=${today}`));
  await expect(enrolled.getByText(`New members per day, ${today} to ${today} (UTC)`)).toBeVisible();
  const after = await count(page.getByTestId("kpi-enrolled").textContent());
  expect(after).toBeLessThanOrEqual(before);
  // The chart's numbers beside it: as a table, and as a CSV download.
  await enrolled.getByText("Numbers").click();
  await expect(enrolled.getByRole("row", { name: `${today} ${after}` })).toBeVisible();
  const href = await enrolled.getByRole("link", { name: "Download new-members.csv" }).getAttribute("href");
  const csv = decodeURIComponent(href!.slice(href!.indexOf(",") + 1));
  expect(csv).toBe(`Day,New members\r\n${today},${after}\r\n`);

  // One program: its points per day, titled with its unit.
  await page.getByLabel("Program", { exact: true }).selectOption({ label: "Café Aurora Rewards" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("figure", { name: "Points issued per day (Stars)" }).locator("svg")).toBeVisible();
});

test("a reversed date range is a field error beside the filters, which stay to be put right", async ({ page }) => {
  await signIn(page, demo.analyst);
  await page.getByLabel("From").fill("2026-12-31");
  await page.getByLabel("To").fill("2026-01-01");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByText("Please correct the highlighted field.")).toBeVisible();
  const from = page.getByLabel("From");
  await expect(from).toHaveAttribute("aria-invalid", "true");
  await expect(from).toHaveValue("2026-12-31");
  await expect(page.getByRole("alert").filter({ hasText: /start|before|after/i }).first()).toBeVisible();
  // Put right, the report comes back.
  await page.getByLabel("To").fill("2027-01-02");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("figure", { name: "New members per day" })).toBeVisible();
  await expect(from).not.toHaveAttribute("aria-invalid", "true");
});
