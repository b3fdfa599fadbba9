import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, demo, unique } from "./helpers";

// This project runs with JavaScript disabled: pages must work as server-rendered HTML.

test("without JavaScript a manager counts a segment's members, keeps what was typed, and saves it", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.admin);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/manage$/);
  await page.goto("/manage/programs/1/segments");
  const builder = page.locator("section", { has: page.getByRole("heading", { name: "New segment" }) });
  const name = unique("Buyers ");
  await builder.getByLabel("Name", { exact: true }).fill(name);
  const first = builder.locator("li.condition").first();
  await first.getByLabel("Condition", { exact: true }).selectOption({ label: "Orders" });
  await first.getByLabel("At least", { exact: true }).fill("1");
  await builder.getByRole("button", { name: "Count" }).click();
  await expect(page).toHaveURL(/\/manage\/programs\/1\/segments$/);
  const counted = page.getByRole("status").filter({ hasText: "members match" });
  await expect(counted).toHaveText(/^[\d,]+ of [\d,]+ members match$/);
  const n = (await counted.textContent())!.split(" of ")[0];
  // The form comes back as it was typed.
  const again = page.locator("section", { has: page.getByRole("heading", { name: "New segment" }) });
  await expect(again.getByLabel("Name", { exact: true })).toHaveValue(name);
  await expect(again.locator("li.condition").first().getByLabel("At least", { exact: true })).toHaveValue("1");
  expect(Number(n.replace(/,/g, ""))).toBeGreaterThan(0);
  await again.getByRole("button", { name: "Save segment" }).click();
  // Saving counts the members as they are now; the live count may be up to five minutes
  // old (other tests book meanwhile), so the two need not be equal.
  const saved = page.getByRole("status").filter({ hasText: "Saved" });
  await expect(saved).toHaveText(new RegExp(`^Saved ${name}: [\\d,]+ members now\\.$`));
  const members = (await saved.textContent())!.match(/: ([\d,]+) members/)![1];
  await expect(page.getByRole("row").filter({ hasText: name })).toContainText(members);
});
