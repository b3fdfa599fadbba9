import { expect, test, type Locator } from "@playwright/test";
import { DEMO_PASSWORD, demo, unique } from "./helpers";

// This project runs with JavaScript disabled: the desk works as server-rendered HTML.

async function stars(found: Locator): Promise<number> {
  const text = await found.getByText(/^\d+ Stars$/).first().textContent();
  return Number(/^(\d+) Stars$/.exec(text!.trim())![1]);
}

test("without JavaScript staff record a purchase, and the same receipt books once", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.staff);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/desk$/);
  await page.getByLabel("Find a member").fill("+49 151 12345678");
  await page.getByRole("button", { name: "Find" }).click();
  const found = page.getByRole("region", { name: "Member Mia Member" });
  const before = await stars(found);
  const receipt = unique("N-");
  const buy = async () => {
    await found.getByRole("combobox", { name: "Program", exact: true }).selectOption({ label: "Café Aurora Rewards (EUR)" });
    await found.getByLabel("Amount paid").fill("10.00");
    await found.getByLabel("Receipt number (optional)").fill(receipt);
    await found.getByRole("button", { name: "Record purchase" }).click();
    await expect(found).toBeVisible();
  };
  await buy();
  const after = await stars(found);
  expect(after).toBeGreaterThan(before);
  await buy();
  expect(await stars(found)).toBe(after);
});
