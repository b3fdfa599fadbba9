import { expect, test } from "@playwright/test";
import { demo, signIn } from "./helpers";

const count = async (text: Promise<string | null>) => Number((await text)!.replace(/,/g, ""));

test("an analyst sees new members and points by program, and narrows the date range", async ({ page }) => {
  await signIn(page, demo.analyst);
  await expect(page).toHaveURL(/\/insights$/);
  const enrolled = page.getByRole("figure", { name: "New members per day" });
  await expect(enrolled.locator("svg")).toBeVisible();
  const before = await count(page.getByTestId("kpi-new_members").locator(".kpi-value").textContent());
  expect(before).toBeGreaterThan(0);
  // All programs: points by program, each in its own unit; no points chart adding them up.
  const byProgram = page.getByRole("table", { name: "Points issued by program" });
  await expect(byProgram.getByRole("row", { name: /^Café Aurora Rewards [\d,]+ Stars$/ })).toBeVisible();
  await expect(byProgram.getByRole("row", { name: /^Aurora Bakery Club [\d,]+ Points$/ })).toBeVisible();
  await expect(page.getByTestId("chart-points")).toHaveCount(0);
  await expect(page.getByText("Choose a program to see its points per day")).toBeVisible();

  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel("From").fill(today);
  await page.getByLabel("To", { exact: true }).fill(today);
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(new RegExp(`from=${today}`));
  await expect(enrolled.getByText(`New members per day, ${today} to ${today} (UTC)`)).toBeVisible();
  const after = await count(page.getByTestId("kpi-new_members").locator(".kpi-value").textContent());
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
  await page.getByLabel("To", { exact: true }).fill("2026-01-01");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByText("Please correct the highlighted field.")).toBeVisible();
  const from = page.getByLabel("From");
  await expect(from).toHaveAttribute("aria-invalid", "true");
  await expect(from).toHaveValue("2026-12-31");
  await expect(page.getByRole("alert").filter({ hasText: /start|before|after/i }).first()).toBeVisible();
  // Put right, the report comes back.
  await page.getByLabel("To", { exact: true }).fill("2027-01-02");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("figure", { name: "New members per day" })).toBeVisible();
  await expect(from).not.toHaveAttribute("aria-invalid", "true");
});

test("an analyst reads one program's overview against the previous period, narrows it to a channel, and downloads a chart's numbers", async ({ page }) => {
  await signIn(page, demo.analyst);
  await page.getByLabel("Program", { exact: true }).selectOption({ label: "Café Aurora Rewards" });
  await page.getByLabel("Compare with").selectOption({ label: "Previous period" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/compare=previous/);
  await expect(page.getByTestId("compared")).toContainText("Compared with");
  const members = await count(page.getByTestId("kpi-members").locator(".kpi-value").textContent());
  expect(members).toBeGreaterThan(0);
  await expect(page.getByTestId("kpi-active").locator(".kpi-before")).toContainText("before:");
  await expect(page.getByTestId("kpi-active")).toContainText("Members who bought or redeemed at least once in the period.");
  await expect(page.getByTestId("kpi-liability").locator(".kpi-value")).toHaveText(/\d/);
  await expect(page.getByTestId("kpi-net_sales").locator(".kpi-value")).toHaveText(/\d/);
  await expect(page.getByRole("heading", { name: "Deferred revenue (IFRS 15)" })).toBeVisible();

  // Active members per day: the table and the CSV hold the same numbers.
  const active = page.getByRole("figure", { name: "Active members per day" });
  await expect(active.locator("svg")).toBeVisible();
  await active.getByText("Numbers").click();
  const rows = active.getByRole("row");
  await expect(rows).toHaveCount(31);
  const href = await active.getByRole("link", { name: "Download active-members.csv" }).getAttribute("href");
  const csv = decodeURIComponent(href!.slice(href!.indexOf(",") + 1));
  expect(csv.startsWith("Day,Active members\r\n")).toBe(true);
  expect(csv.trim().split("\r\n")).toHaveLength(31);

  // A channel narrows what members did, not who they are.
  await page.getByLabel("Channel").selectOption({ label: "Web shop" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/channel=web/);
  await expect(page.getByLabel("Channel")).toHaveValue("web");
  expect(await count(page.getByTestId("kpi-members").locator(".kpi-value").textContent())).toBe(members);

  // An expected redemption rate out of range is a field error beside it; the rest stays.
  await page.getByLabel("Expected redemption rate (%)").fill("150");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.locator("#rate-error")).toHaveText("Enter a percentage from 0 to 100.");
  await expect(page.getByLabel("Expected redemption rate (%)")).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Expected redemption rate (%)").fill("80");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByTestId("ifrs-rate")).toContainText("80.0%");
});

test("an analyst reads customer value: the fitted models, their holdout check, value by tier and members at risk", async ({ page }) => {
  await signIn(page, demo.analyst);
  await page.getByRole("navigation", { name: "Insights pages" }).getByRole("link", { name: "Customer value" }).click();
  await expect(page).toHaveURL(/\/insights\/value/);
  await expect(page.getByRole("heading", { name: "Customer value", level: 1 })).toBeVisible();
  // The demo's program is fitted when the server starts.
  await expect(page.getByTestId("fitted")).toContainText("Fitted");
  expect(await count(page.getByTestId("kpi-customers").locator(".kpi-value").textContent())).toBeGreaterThan(0);
  await expect(page.getByTestId("bg-params")).toContainText("Log-likelihood");
  await expect(page.getByTestId("value-tiers").getByRole("row")).not.toHaveCount(0);
  const csv = await page.getByTestId("value-tiers").getByRole("link", { name: "Download value-by-tier.csv" }).getAttribute("href");
  expect(decodeURIComponent(csv!.slice(csv!.indexOf(",") + 1)).startsWith("Tier,Members,Historical value,Predicted value\r\n")).toBe(true);
  await expect(page.getByRole("heading", { name: "Members at risk" })).toBeVisible();
  // Back to the overview, the program kept.
  await page.getByRole("navigation", { name: "Insights pages" }).getByRole("link", { name: "Overview" }).click();
  await expect(page).toHaveURL(/\/insights\?program=\d+$/);
  await expect(page.getByTestId("kpi-members")).toBeVisible();
});
