import { expect, test } from "@playwright/test";
import { demo, hydrated, signIn, unique } from "./helpers";

test("a manager writes a template, is told of an unknown field, and previews it for a member", async ({ page }) => {
  const name = unique("tpl");
  await signIn(page, demo.admin);
  await page.goto("/manage/programs/1/messages");
  await hydrated(page);
  await page.getByRole("link", { name: "Message templates" }).click();
  await expect(page).toHaveURL(/\/manage\/programs\/1\/templates$/);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Channel").selectOption({ label: "Inbox" });
  await page.getByLabel("Subject").fill("Hello {{ first_name }}");
  await page.getByLabel("Message").fill("You have {{ balanse }} {{ points_name }}.");
  await page.getByRole("button", { name: "Save the template" }).click();
  await expect(page.getByRole("alert").filter({ hasText: 'There is no field "balanse".' })).toBeVisible();
  await page.getByLabel("Message").fill("You have {{ balance }} {{ points_name }}.");
  await page.getByRole("button", { name: "Save the template" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Template ${name} saved.` })).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Inbox");
  await row.getByRole("link", { name: "Edit" }).click();
  await expect(page.getByRole("heading", { name: "Edit the template" })).toBeVisible();
  await page.getByLabel("Member (card number, email or phone)").first().fill(demo.member);
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.getByTestId("template-preview");
  await expect(preview).toContainText("Hello ");
  await expect(preview).toContainText(/You have [\d,]+ Stars\./);
});
