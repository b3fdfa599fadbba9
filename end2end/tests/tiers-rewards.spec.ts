import { expect, test, type Page } from "@playwright/test";
import { demo, hydrated, signIn } from "./helpers";
import { PROGRAM } from "./journeys";

/** The "Free filter coffee" row of the Rewards page's table: its redemptions, as a number. */
async function coffeeRedemptions(analyst: Page): Promise<number> {
  const row = analyst
    .getByRole("table", { name: "Each reward" })
    .getByRole("row")
    .filter({ has: analyst.getByRole("cell", { name: "Free filter coffee", exact: true }) });
  const cells = row.getByRole("cell");
  return Number((await cells.nth(1).textContent())!.replace(/,/g, ""));
}

test("a member redeems on the portal and the analyst sees the redemption, its points and their value", async ({ browser }) => {
  const analyst = await (await browser.newContext()).newPage();
  await signIn(analyst, demo.analyst);
  await analyst.getByRole("navigation", { name: "Insights pages" }).getByRole("link", { name: "Rewards" }).click();
  await expect(analyst).toHaveURL(/\/insights\/rewards/);
  await hydrated(analyst);
  await analyst.getByLabel("Program", { exact: true }).selectOption({ label: PROGRAM });
  await analyst.getByRole("button", { name: "Show" }).click();
  await expect(analyst).toHaveURL(/program=/);
  await expect(analyst.getByRole("table", { name: "Each reward" }).getByRole("columnheader", { name: "Points' value" })).toBeVisible();
  const before = await coffeeRedemptions(analyst);

  const member = await (await browser.newContext()).newPage();
  await signIn(member, demo.member);
  await expect(member).toHaveURL(/\/portal$/);
  const coffee = member.locator("li.reward", { hasText: "Free filter coffee" });
  await coffee.getByText("Redeem", { exact: true }).click();
  await coffee.getByRole("button", { name: "Yes, redeem" }).click();
  await expect(coffee.getByTestId("redeemed")).toContainText("Free filter coffee is yours.");

  // The page reads the rollups, which the worker folds every two seconds: read it again
  // until the redemption is in.
  await expect
    .poll(async () => {
      await analyst.reload();
      return coffeeRedemptions(analyst);
    }, { timeout: 20_000 })
    .toBe(before + 1);
  await hydrated(analyst);
  await expect(analyst.getByTestId("kpi-reward_points")).toContainText("Points the period's redemptions cost.");
  await expect(analyst.getByRole("figure", { name: "Most redeemed rewards" }).locator("svg")).toBeVisible();
  const href = await analyst.getByTestId("rewards").getByRole("link", { name: "Download rewards.csv" }).getAttribute("href");
  const csv = decodeURIComponent(href!.slice(href!.indexOf(",") + 1));
  // (A reward named in Arabic by another test brings the BOM.)
  expect(csv.replace(/^\uFEFF/, "").split("\r\n")[0]).toBe(
    "Reward,Redemptions,Members who redeemed,Used,Expired unused,Points spent,Points' value,Money handed out,Stock left,Pool codes left",
  );
  expect(csv).toMatch(new RegExp(`\\r\\nFree filter coffee,${before + 1},`));
});
