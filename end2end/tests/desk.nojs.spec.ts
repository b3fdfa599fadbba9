import { expect, test, type Locator, type Page } from "@playwright/test";
import { DEMO_PASSWORD, demo, unique } from "./helpers";

// This project runs with JavaScript disabled: the desk works as server-rendered HTML.

/** Signs in as the demo's staff user and finds the demo member at the desk. */
async function findMia(page: Page): Promise<Locator> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.staff);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/desk$/);
  await page.getByLabel("Find a member").fill("+49 151 12345678");
  await page.getByRole("button", { name: "Find" }).click();
  return page.getByRole("region", { name: "Member Mia Member" });
}

/** The member's Stars in the demo program ("2,356 Stars"). */
async function stars(found: Locator): Promise<number> {
  const text = await found.getByRole("region", { name: "Café Aurora Rewards program" }).getByTestId("balance").textContent();
  return Number(/^([\d,]+) Stars$/.exec(text!.trim())![1].replace(/,/g, ""));
}

test("without JavaScript staff record a purchase, and the same receipt books once", async ({ page }) => {
  const found = await findMia(page);
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
  // The receipt shows though the page was drawn again by the server after the post.
  await expect(page.getByRole("status").getByRole("heading")).toHaveText(
    `+${after - before} Stars for Mia Member in Café Aurora Rewards`,
  );
  await buy();
  expect(await stars(found)).toBe(after);
  await expect(page.getByRole("status").getByRole("heading")).toHaveText(
    `Receipt ${receipt} was already recorded in Café Aurora Rewards`,
  );
});

test("without JavaScript staff type what was bought and the store it was bought in", async ({ page }) => {
  const found = await findMia(page);
  const before = await stars(found);
  await found.getByRole("combobox", { name: "Program", exact: true }).selectOption({ label: "Café Aurora Rewards (EUR)" });
  await found.getByRole("combobox", { name: "Store" }).selectOption({ label: "Aurora Opéra, Paris (PARIS-1)" });
  await found.getByText("What was bought (optional)").click();
  await found.getByLabel("SKU, line 1").fill("FLAT-WHITE");
  await found.getByLabel("Category, line 1").fill("coffee");
  await found.getByLabel("Line total, line 1").fill("4.20");
  await found.getByLabel("Receipt number (optional)").fill(unique("L-"));
  await found.getByRole("button", { name: "Record purchase" }).click();
  await expect(found).toBeVisible();
  expect(await stars(found)).toBeGreaterThan(before);
  await expect(
    found.getByRole("combobox", { name: "Store" }).getByRole("option", { name: "Aurora Opéra, Paris (PARIS-1)", selected: true }),
  ).toHaveCount(1);
});
