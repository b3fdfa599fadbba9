import { expect, test, type Browser, type BrowserContext, type Locator, type Page } from "@playwright/test";
import { demo, hydrated, signIn, unique } from "./helpers";
import { confirmSignUp } from "./mailbox";

/** Steps shared by the journeys that use several people at once (admin, staff, members) in
 * the demo program. */

export const PROGRAM = "Café Aurora Rewards";

/** Opens a fresh browser context per person; the file's contexts are closed after each test.
 * Call once at the top of a spec file. */
export function pagesPerTest(): (browser: Browser) => Promise<Page> {
  let contexts: BrowserContext[] = [];
  test.afterEach(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    contexts = [];
  });
  return async (browser: Browser) => {
    const ctx = await browser.newContext();
    contexts.push(ctx);
    return ctx.newPage();
  };
}

/** Signs in as the admin and opens Manage → Cards. */
export async function openCards(admin: Page) {
  await signIn(admin, demo.admin);
  await expect(admin).toHaveURL(/\/manage$/);
  await admin.getByRole("navigation", { name: "Manage" }).getByRole("link", { name: "Cards" }).click();
  await expect(admin).toHaveURL(/\/manage\/cards$/);
  await hydrated(admin);
}

export async function signInAtDesk(staff: Page) {
  await signIn(staff, demo.staff);
  await expect(staff).toHaveURL(/\/desk$/);
  await hydrated(staff);
}

/** Searches the desk and returns the one member card shown for `name`. */
export async function findMember(staff: Page, query: string, name: string): Promise<Locator> {
  await staff.getByLabel("Find a member").fill(query);
  await staff.getByRole("button", { name: "Find" }).click();
  const found = staff.getByRole("region", { name: `Member ${name}`, exact: true });
  await expect(found).toBeVisible();
  return found;
}

/** Searches the desk for a printed card nobody has used yet: the search only says so (a read
 * never opens an account), and staff open its account on purpose. Returns its member card. */
export async function startCard(staff: Page, number: string, holder: string): Promise<Locator> {
  await staff.getByLabel("Find a member").fill(number);
  await staff.getByRole("button", { name: "Find" }).click();
  const unused = staff.getByRole("region", { name: "Unused printed card" });
  await expect(unused).toContainText("has not been used yet");
  await unused.getByRole("button", { name: "Open the card's account" }).click();
  const found = staff.getByRole("region", { name: `Member ${holder}`, exact: true });
  await expect(found).toBeVisible();
  return found;
}

/** Records a purchase in the demo program on the member card `found`; returns the points earned. */
export async function recordPurchase(staff: Page, found: Locator, name: string, amount: string): Promise<number> {
  // Role, not label: the hand adjustment (closed, so hidden) has a "Program" select too.
  await found.getByRole("combobox", { name: "Program", exact: true }).selectOption({ label: `${PROGRAM} (EUR)` });
  await found.getByLabel("Amount paid").fill(amount);
  await found.getByRole("button", { name: "Record purchase" }).click();
  const receipt = staff.getByRole("heading", { name: new RegExp(`^\\+\\d+ Stars for ${name} in ${PROGRAM}$`) });
  await expect(receipt).toBeVisible();
  const points = Number(/^\+(\d+)/.exec((await receipt.textContent())!.trim())![1]);
  expect(points).toBeGreaterThan(0);
  await expect(staff.getByText(`${PROGRAM} balance: ${points} Stars`)).toBeVisible();
  // The member card is drawn afresh with the new balance: safe to type into it now.
  await expect(found.getByText(`${points} Stars`, { exact: true })).toBeVisible();
  return points;
}

/** Signs a fresh member up (with a date of birth if given); returns the email. */
export async function signUp(page: Page, name: string, birthDate?: string): Promise<string> {
  const email = `${unique("m")}@example.com`;
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Email").fill(email);
  if (birthDate) await page.getByLabel("Date of birth (optional)").fill(birthDate);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/signup\?sent=1$/);
  await confirmSignUp(page, email);
  await hydrated(page);
  return email;
}

/** Signs a fresh member up and joins the demo program; returns the email. */
export async function signUpAndJoin(page: Page, name: string): Promise<string> {
  const email = await signUp(page, name);
  await page.getByRole("button", { name: `Join ${PROGRAM}` }).click();
  await expect(page.getByRole("region", { name: PROGRAM }).getByTestId("balance")).toHaveText("0");
  return email;
}
