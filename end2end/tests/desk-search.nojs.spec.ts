import { expect, test, type Page } from "@playwright/test";
import { DEMO_PASSWORD, demo } from "./helpers";

// This project runs with JavaScript disabled: the Desk's search, its pages and redeeming
// after one question work as server-rendered HTML.

async function signInAtDesk(page: Page) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(demo.staff);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/desk$/);
}

test("without JavaScript staff find a member by name, and a query that is no name says so at the box", async ({ page }) => {
  await signInAtDesk(page);
  await page.getByLabel("Find a member").fill("mia memb");
  await page.getByRole("button", { name: "Find" }).click();
  await expect(page).toHaveURL(/\?q=mia\+memb/);
  await expect(page.getByRole("region", { name: "Member Mia Member" })).toBeVisible();

  // The pages of a name search are plain links.
  await page.goto("/desk?q=zzqx&page=1");
  await expect(page.getByTestId("not-found")).toHaveText("No more members named “zzqx…”.");

  await page.getByLabel("Find a member").fill("12345");
  await page.getByRole("button", { name: "Find" }).click();
  await expect(page.locator("#q-error")).toHaveText("That is not an email, a phone number, a valid card number or a name.");
});

test("without JavaScript staff redeem after one question and see the code under the reward", async ({ page }) => {
  await signInAtDesk(page);
  await page.getByLabel("Find a member").fill("+49 151 12345678");
  await page.getByRole("button", { name: "Find" }).click();
  const found = page.getByRole("region", { name: "Member Mia Member" });
  const offer = found.locator("li.reward", { hasText: "Free filter coffee" });
  // The question is a disclosure: it opens without any script.
  await offer.getByText("Redeem", { exact: true }).click();
  await expect(offer.getByText("Spend 100 Stars on Free filter coffee?")).toBeVisible();
  await offer.getByRole("button", { name: "Yes, redeem" }).click();
  const done = page.getByRole("region", { name: "Member Mia Member" }).locator("li.reward", { hasText: "Free filter coffee" }).getByTestId("redeemed");
  await expect(done).toContainText("Free filter coffee redeemed.");
  await expect(done.locator(".code-big")).toHaveText(/^RW-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
});
