import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, demo, unique } from "./helpers";

// This project runs with JavaScript disabled: pages must work as server-rendered HTML.

test("without JavaScript a manager writes a journey, is told what is wrong, saves it as a draft and deletes it", async ({
  page,
}) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.admin);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/manage$/);
  await page.goto("/manage/programs/1/journeys");
  const editor = page.locator("section", { has: page.getByRole("heading", { name: "New journey" }) });
  const name = unique("Birthday ");
  await editor.getByLabel("Name", { exact: true }).fill(name);
  await editor.getByLabel("Members enter when").selectOption({ label: "Birthday" });
  // Every row shows every input before JavaScript; two blank rows stand for "Add a step".
  await expect(page.locator("li.condition")).toHaveCount(2);
  await page.locator("#step-0-kind").selectOption({ label: "Give points" });
  await page.locator("#step-0-points").fill("0");
  await editor.getByRole("button", { name: "Save journey" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Enter a number from 1" })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(0);

  await page.goto("/manage/programs/1/journeys");
  const again = page.locator("section", { has: page.getByRole("heading", { name: "New journey" }) });
  await again.getByLabel("Name", { exact: true }).fill(name);
  await again.getByLabel("Members enter when").selectOption({ label: "Birthday" });
  await page.locator("#step-0-kind").selectOption({ label: "Give points" });
  await page.locator("#step-0-points").fill("200");
  await again.getByRole("button", { name: "Save journey" }).click();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Draft");
  await expect(row).toContainText("Birthday");
  await row.getByRole("link", { name: "Report" }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await expect(page.getByRole("table").first()).toContainText("Give 200 points");
  await page.goto("/manage/programs/1/journeys");
  await page.getByRole("row").filter({ hasText: name }).getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(0);
});
