import { expect, test, type Locator, type Page } from "@playwright/test";
import { demo, hydrated, signIn, unique } from "./helpers";
import { PROGRAM, findMember, pagesPerTest, signInAtDesk, signUp } from "./journeys";

const open = pagesPerTest();

/** Creates a program in Manage (alphabetically before the demo's); returns its name. */
async function createProgram(admin: Page, currency: string): Promise<string> {
  await signIn(admin, demo.admin);
  await expect(admin).toHaveURL(/\/manage$/);
  await hydrated(admin);
  const name = unique("Beauty ");
  const form = admin.locator("section", { has: admin.getByRole("heading", { name: "New program" }) });
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Point currency name").fill(currency);
  await form.getByLabel("Value of one point (minor units)").fill("1");
  await form.getByLabel("Points per currency unit").fill("1");
  await form.getByRole("button", { name: "Create program" }).click();
  await expect(admin).toHaveURL(/\/manage\/programs\/\d+$/);
  return name;
}

/** The purchase form's program select on a member card. */
function programSelect(found: Locator): Locator {
  return found.getByRole("combobox", { name: "Program", exact: true });
}

async function buy(found: Locator, program: string, amount: string, receipt: string) {
  await programSelect(found).selectOption({ label: `${program} (EUR)` });
  await found.getByLabel("Amount paid").fill(amount);
  await found.getByLabel("Receipt number (optional)").fill(receipt);
  await found.getByRole("button", { name: "Record purchase" }).click();
}

test("the desk books in the program staff chose, keeps it, and books a receipt once", async ({ browser }) => {
  test.slow(); // three people, each signing in and hydrating
  const beauty = await createProgram(await open(browser), "Beauty Points");
  const member = await open(browser);
  const name = unique("Bea ");
  const email = await signUp(member, name);
  await member.getByRole("button", { name: `Join ${PROGRAM}` }).click();
  await member.getByRole("button", { name: `Join ${beauty}` }).click();
  await expect(member.getByRole("region", { name: beauty }).getByTestId("balance")).toHaveText("0");

  const staff = await open(browser);
  await signInAtDesk(staff);
  let found = await findMember(staff, email, name);
  await buy(found, beauty, "12.50", unique("B-"));
  await expect(staff.getByRole("heading", { name: `+12 Beauty Points for ${name} in ${beauty}` })).toBeVisible();
  await expect(programSelect(found).getByRole("option", { name: `${beauty} (EUR)`, selected: true })).toHaveCount(1);
  // The card is drawn again with the new balance (its form too): fill the next purchase
  // only then, or the redraw empties a field already typed.
  await expect(found.getByText("12 Beauty Points", { exact: true })).toBeVisible();

  const receipt = unique("T-");
  await buy(found, PROGRAM, "12.50", receipt);
  await expect(staff.getByRole("heading", { name: `+125 Stars for ${name} in ${PROGRAM}` })).toBeVisible();
  await expect(found.getByText("125 Stars", { exact: true })).toBeVisible();
  // The select stays on the program just used, and the same receipt books nothing more.
  await expect(programSelect(found).getByRole("option", { name: `${PROGRAM} (EUR)`, selected: true })).toHaveCount(1);
  await found.getByLabel("Amount paid").fill("99.00");
  await found.getByLabel("Receipt number (optional)").fill(receipt);
  await found.getByRole("button", { name: "Record purchase" }).click();
  await expect(staff.getByRole("heading", { name: `Receipt ${receipt} was already recorded in ${PROGRAM}` })).toBeVisible();
  await expect(staff.getByText("Nothing was booked again.")).toBeVisible();
  await expect(found.getByText("125 Stars", { exact: true })).toBeVisible();
  await expect(found.getByText("12 Beauty Points", { exact: true })).toBeVisible();

  // Another day, another search: the desk starts in the program staff last used.
  await staff.reload();
  await hydrated(staff);
  found = await findMember(staff, email, name);
  await expect(programSelect(found).getByRole("option", { name: `${PROGRAM} (EUR)`, selected: true })).toHaveCount(1);
});

test("a large adjustment at the desk waits for an admin, who approves it", async ({ browser }) => {
  test.slow();
  const member = await open(browser);
  const name = unique("Big ");
  const email = await signUp(member, name);
  await member.getByRole("button", { name: `Join ${PROGRAM}` }).click();

  const staff = await open(browser);
  await signInAtDesk(staff);
  const found = await findMember(staff, email, name);
  await found.getByText("Adjust the balance by hand").click();
  await found.getByLabel("Points", { exact: true }).fill("6000");
  await found.getByLabel("Reason", { exact: true }).fill("Balance from the old card system");
  await found.getByRole("button", { name: "Adjust" }).click();
  await expect(staff.getByText("An adjustment of 6,000 is over the program's limit: it waits for an admin's approval (balance still 0).")).toBeVisible();
  await expect(found.getByText("0 Stars", { exact: true })).toBeVisible();

  const admin = await open(browser);
  await signIn(admin, demo.admin);
  await expect(admin).toHaveURL(/\/manage$/);
  await admin.getByRole("navigation", { name: "Manage" }).getByRole("link", { name: "Approvals" }).click();
  await expect(admin).toHaveURL(/\/manage\/approvals$/);
  await hydrated(admin);
  const row = admin.getByRole("row").filter({ hasText: name });
  await expect(row.getByRole("cell").nth(2)).toHaveText("+6,000 Stars");
  await row.getByRole("button", { name: `Approve +6,000 Stars for ${name}` }).click();
  await expect(row.getByText("Approved")).toBeVisible();

  const again = await findMember(staff, `${email} `, name);
  await expect(again.getByText("6,000 Stars", { exact: true })).toBeVisible();
});

test("a purchase sent before the desk's code arrived shows its receipt, and the page then hydrates with it", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await signInAtDesk(page);
  await findMember(page, "+49 151 12345678", "Mia Member");
  // The page again, drawn by the server but left without its code, as on a slow phone.
  await page.route("**/pkg/**", (r) => r.abort());
  await page.reload();
  const found = page.getByRole("region", { name: "Member Mia Member", exact: true });
  await expect(found).toBeVisible();
  await expect(page.locator("body[data-hydrated]")).toHaveCount(0);
  await page.unroute("**/pkg/**");
  await found.getByRole("combobox", { name: "Program", exact: true }).selectOption({ label: `${PROGRAM} (EUR)` });
  await found.getByLabel("Amount paid").fill("2.00");
  await found.getByLabel("Receipt number (optional)").fill(unique("H-"));
  await found.getByRole("button", { name: "Record purchase" }).click();

  // A plain post: the server draws the page again with the receipt, and the page hydrates
  // with the same receipt (its value is in the hydration data, not only in the HTML).
  await hydrated(page);
  await expect(page.getByRole("status").getByRole("heading")).toHaveText(
    new RegExp(`^\\+\\d+ Stars for Mia Member in ${PROGRAM}$`),
  );
  // Alive: the next purchase is booked from the browser, without a page load.
  await page.evaluate(() => ((window as unknown as { __stay: boolean }).__stay = true));
  const next = unique("J-");
  await found.getByLabel("Amount paid").fill("1.00");
  await found.getByLabel("Receipt number (optional)").fill(next);
  await found.getByRole("button", { name: "Record purchase" }).click();
  await expect(page.getByText(`receipt ${next}`)).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __stay?: boolean }).__stay)).toBe(true);
  expect(errors.filter((e) => /hydrat|panicked|unreachable/i.test(e))).toEqual([]);
});
