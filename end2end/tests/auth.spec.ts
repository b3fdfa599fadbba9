import { expect, test } from "@playwright/test";
import { demo, hydrated, signIn } from "./helpers";

test("wrong credentials get one message that does not say which part was wrong", async ({ page }) => {
  await signIn(page, demo.admin, "definitely not it");
  await expect(page.getByRole("alert")).toHaveText("That email and password do not match an account.");
  await expect(page).toHaveURL(/\/login/);
});

test("each role sees only its own surfaces, and the server refuses the rest", async ({ page }) => {
  await signIn(page, demo.staff);
  await expect(page).toHaveURL(/\/desk$/);
  const nav = page.getByRole("navigation", { name: "Surfaces" });
  await expect(nav.getByRole("link", { name: "Desk" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Manage" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Insights" })).toHaveCount(0);
  await page.goto("/manage");
  await expect(page.getByText("You do not have access to this.").first()).toBeVisible();
});

test("signing out ends the session", async ({ page }) => {
  await signIn(page, demo.analyst);
  await expect(page).toHaveURL(/\/insights/);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" }).first()).toBeVisible();
  await page.goto("/insights");
  await hydrated(page);
  await expect(page.getByText("Please sign in to continue.")).toBeVisible();
});
