import { expect, test, type Locator, type Page } from "@playwright/test";
import { demo, hydrated, signIn, unique } from "./helpers";
import { pagesPerTest } from "./journeys";

const open = pagesPerTest();

/** The number of members the live count says match ("12 of 340 members match"). */
async function matching(builder: Locator): Promise<[number, number]> {
  const text = (await builder.getByRole("status").filter({ hasText: "members match" }).textContent())!;
  const [, n, total] = text.replace(/,/g, "").match(/(\d+) of (\d+) members match/)!;
  return [Number(n), Number(total)];
}

async function openSegments(admin: Page): Promise<Locator> {
  await signIn(admin, demo.admin);
  await admin.goto("/manage/programs/1");
  await hydrated(admin);
  await admin.getByRole("link", { name: "Segments" }).click();
  await expect(admin).toHaveURL(/\/manage\/programs\/1\/segments$/);
  await hydrated(admin);
  return admin.locator("section", { has: admin.getByRole("heading", { name: "New segment" }) });
}

test("a manager builds a segment and watches the live count change, then saves and exports it", async ({ browser }) => {
  test.slow();
  const admin = await open(browser);
  const builder = await openSegments(admin);
  await expect(builder.getByText("Choose a condition to see how many members match.")).toBeVisible();
  const name = unique("Balance ");
  await builder.getByLabel("Name", { exact: true }).fill(name);
  // A row shows only what its kind takes once chosen.
  const first = builder.locator("li.condition").first();
  await first.getByLabel("Condition", { exact: true }).selectOption({ label: "Points balance" });
  await expect(first.getByLabel("Categories (comma-separated)")).toBeHidden();
  await first.getByLabel("At least", { exact: true }).fill("1");
  // Counted without pressing anything, and nothing saved yet.
  await expect(builder.getByRole("status").filter({ hasText: "members match" })).toBeVisible();
  const [some, total] = await matching(builder);
  expect(total).toBeGreaterThan(0);
  expect(some).toBeGreaterThan(0);
  await expect(builder.getByRole("table", { name: "A sample of matching members" }).getByRole("row")).not.toHaveCount(0);
  await first.getByLabel("At least", { exact: true }).fill("999999999");
  await expect(builder.getByRole("status").filter({ hasText: "members match" })).toHaveText(`0 of ${total.toLocaleString("en")} members match`);
  await expect(admin.getByRole("row").filter({ hasText: name })).toHaveCount(0);
  // A second condition that cannot hold with the first (in one AND group) is named.
  await builder.getByLabel("Within a group, match").selectOption({ label: "all groups / conditions (AND)" });
  const second = builder.locator("li.condition").nth(1);
  await second.getByLabel("Condition", { exact: true }).selectOption({ label: "Points balance" });
  await second.getByLabel("At most", { exact: true }).fill("10");
  await builder.getByRole("button", { name: "Save segment" }).click();
  await expect(second.getByText("No member can meet this and row 1 at once.")).toBeVisible();
  await second.getByLabel("Condition", { exact: true }).selectOption({ label: "(none)" });
  await first.getByLabel("At least", { exact: true }).fill("1");
  await builder.getByRole("button", { name: "Save segment" }).click();
  // Saving counts the members as they are now (the live count may be a few minutes old).
  const saved = builder.getByRole("status").filter({ hasText: "Saved" });
  await expect(saved).toHaveText(new RegExp(`^Saved ${name}: [\\d,]+ members now\\.$`));
  const members = Number((await saved.textContent())!.match(/: ([\d,]+) members/)![1].replace(/,/g, ""));
  expect(members).toBeGreaterThan(0);
  const row = admin.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(members.toLocaleString("en"));
  // The members as CSV, one line each after the heading.
  const href = await row.getByRole("link", { name: `Members (CSV) ${name}` }).getAttribute("href");
  const csv = await (await admin.request.get(href!)).text();
  const lines = csv.trim().split("\r\n");
  expect(lines[0]).toBe("Member id,Member,Card,Balance,Orders,Net spend (minor units)");
  expect(lines.length - 1).toBe(members);
  // Editing shows the saved conditions again.
  await row.getByRole("link", { name: `Edit ${name}` }).click();
  const editor = admin.locator("section", { has: admin.getByRole("heading", { name: "Edit segment" }) });
  await expect(editor.getByLabel("Name", { exact: true })).toHaveValue(name);
  await expect(editor.locator("li.condition").first().getByLabel("At least", { exact: true })).toHaveValue("1");
  // Deleted, it leaves the list.
  await admin.goto("/manage/programs/1/segments");
  await hydrated(admin);
  await admin.getByRole("row").filter({ hasText: name }).getByRole("button", { name: `Delete ${name}` }).click();
  await expect(admin.getByRole("row").filter({ hasText: name })).toHaveCount(0);
});
