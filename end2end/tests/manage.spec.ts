import { expect, test } from "@playwright/test";
import { demo, hydrated, signIn, unique } from "./helpers";

test("an admin creates a program with field errors first, then edits it and its tiers", async ({ page }) => {
  await signIn(page, demo.admin);
  await expect(page).toHaveURL(/\/manage$/);
  await expect(page.getByRole("link", { name: "Café Aurora Rewards" })).toBeVisible();

  const name = unique("Program ");
  const form = page.locator("section", { has: page.getByRole("heading", { name: "New program" }) });
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Point currency name").fill("Leaves");
  await form.getByLabel("Value of one point (minor units)").fill("-1");
  await form.getByLabel("Points per currency unit").fill("ten");
  await form.getByRole("button", { name: "Create program" }).click();
  await expect(form.getByText("Enter a number from 0 to 10000.")).toBeVisible();
  await expect(form.getByText("Enter a whole number.")).toBeVisible();

  await form.getByLabel("Value of one point (minor units)").fill("2");
  await form.getByLabel("Points per currency unit").fill("5");
  await form.getByRole("button", { name: "Create program" }).click();
  await expect(page).toHaveURL(/\/manage\/programs\/\d+$/);
  await expect(page.getByRole("heading", { name })).toBeVisible();

  // Edit the program: another rate, and members move down a tier only at a monthly review.
  await page.getByLabel("Points per currency unit").fill("7");
  await page.getByLabel("Members move down a tier").selectOption("monthly");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Members move down a tier")).toHaveValue("monthly");

  // A tier with a bad multiplier, then a good one.
  const add = page.locator("form.tier-form").last();
  await add.getByLabel("Tier name").fill("Oak");
  await add.getByLabel("Qualifying threshold (Leaves earned since joining)").fill("500");
  await add.getByLabel("Earn multiplier").fill("50");
  await add.getByRole("button", { name: "Add tier" }).click();
  await expect(add.getByText("Use a multiplier from x0.1 to x10.")).toBeVisible();
  await add.getByLabel("Earn multiplier").fill("1.5");
  await add.getByRole("button", { name: "Add tier" }).click();
  await expect(page.getByText("Oak · from 500 Leaves · earns x1.5")).toBeVisible();

  // Edit the tier in place.
  await page.getByText("Oak · from 500 Leaves · earns x1.5").click();
  const row = page.locator("li.tier", { hasText: "Oak · from 500 Leaves" });
  await row.getByLabel("Earn multiplier").fill("2");
  await row.getByRole("button", { name: "Save tier" }).click();
  await expect(page.getByText("Oak · from 500 Leaves · earns x2")).toBeVisible();

  await page.goto("/manage");
  await expect(page.getByRole("link", { name })).toBeVisible();
  await expect(page.getByText("7 Leaves per EUR · one point = €0.02")).toBeVisible();
});

test("an admin creates a staff account", async ({ page }) => {
  await signIn(page, demo.admin);
  await page.getByRole("navigation", { name: "Manage" }).getByRole("link", { name: "Accounts" }).click();
  // Pages load on demand: the Programs page (with a "Name" field of its own) stays until it has.
  await expect(page.getByRole("heading", { name: "New account" })).toBeVisible();
  const email = `${unique("staff")}@example.com`;
  const create = page.locator("section", { has: page.getByRole("heading", { name: "New account" }) });
  await create.getByLabel("Name", { exact: true }).fill("New Desk");
  await create.getByLabel("Email").fill(email);
  await create.getByLabel("Role").selectOption("staff");
  await create.getByLabel("Initial password").fill("short");
  await create.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Use at least 10 characters.")).toBeVisible();
  await create.getByLabel("Initial password").fill("a long enough password");
  await create.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Account created.")).toBeVisible();
  await expect(page.getByRole("cell", { name: email })).toBeVisible();
});

test("names are shown as text, never as markup", async ({ page }) => {
  await signIn(page, demo.admin);
  const name = `<img src=x onerror="window.__pwned=1"> ${unique("")}`;
  const form = page.locator("section", { has: page.getByRole("heading", { name: "New program" }) });
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Point currency name").fill("<b>Stars</b>");
  await form.getByLabel("Value of one point (minor units)").fill("1");
  await form.getByLabel("Points per currency unit").fill("1");
  await form.getByRole("button", { name: "Create program" }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  // A full server render of the same data, as a no-JavaScript visitor would get it.
  await page.reload();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await page.goto("/manage");
  await expect(page.getByRole("link", { name })).toBeVisible();
  await expect(page.getByText("1 <b>Stars</b> per EUR")).toBeVisible();
  expect(await page.locator("main img").count()).toBe(0);
  // Nor anywhere in the HTML, including the data serialized for hydration.
  const html = await (await page.request.get("/manage")).text();
  expect(html).not.toContain('<img src=x onerror="window.__pwned=1">');
  expect(html).not.toContain("<b>Stars</b>");
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});
