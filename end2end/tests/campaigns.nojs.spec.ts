import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, demo, unique } from "./helpers";

// This project runs with JavaScript disabled: pages must work as server-rendered HTML.

test("without JavaScript a manager drafts, launches and stops a campaign and reads its report", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.admin);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/manage$/);
  // A segment to target: everyone with at least one order.
  await page.goto("/manage/programs/1/segments");
  const builder = page.locator("section", { has: page.getByRole("heading", { name: "New segment" }) });
  const segment = unique("Buyers ");
  await builder.getByLabel("Name", { exact: true }).fill(segment);
  const first = builder.locator("li.condition").first();
  await first.getByLabel("Condition", { exact: true }).selectOption({ label: "Orders" });
  await first.getByLabel("At least", { exact: true }).fill("1");
  await builder.getByRole("button", { name: "Save segment" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Saved ${segment}` })).toBeVisible();

  await page.goto("/manage/programs/1/campaigns");
  const form = page.locator("section", { has: page.getByRole("heading", { name: "New campaign" }) });
  const name = unique("Double ");
  await form.getByLabel("Name", { exact: true }).fill(name);
  const segmentId = await form.locator("#campaign-segment option", { hasText: segment }).getAttribute("value");
  await form.getByLabel("Segment").selectOption(segmentId!);
  await form.getByLabel("Control group (%)").fill("20");
  const variant = form.getByRole("group", { name: "Variant 1" });
  await variant.getByLabel("Incentive").selectOption({ label: "Points multiplier" });
  await variant.getByLabel("Points, multiplier, reward or stamps").fill("2");
  await form.getByLabel("Points budget").fill("50000");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(/\/manage\/programs\/1\/campaigns/);
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Draft");
  await expect(row).toContainText("Control 20.0% · A 80.0%");
  await expect(row).toContainText("0 of 50,000 points");
  await row.getByRole("button", { name: `Launch ${name}` }).click();
  await expect(page.getByRole("row").filter({ hasText: name })).toContainText("Running");
  await page.getByRole("row").filter({ hasText: name }).getByRole("button", { name: `Stop ${name}` }).click();
  await expect(page.getByRole("row").filter({ hasText: name })).toContainText("Ended");
  await page.getByRole("row").filter({ hasText: name }).getByRole("link", { name: `Report ${name}` }).click();
  await expect(page.getByTestId("campaign-arm")).toHaveCount(2);
  await expect(page.getByTestId("campaign-edits")).toContainText("launched");
  await expect(page.getByTestId("campaign-edits")).toContainText("stopped");
  await expect(page.getByTestId("campaign-messages")).toContainText("This campaign sends no message.");
});
