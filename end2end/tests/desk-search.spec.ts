import { expect, test, type Page } from "@playwright/test";
import { hydrated, unique } from "./helpers";
import { confirmSignUp } from "./mailbox";
import { PROGRAM, findMember, pagesPerTest, recordPurchase, signInAtDesk, signUpAndJoin } from "./journeys";

// The Desk's search and member view (issue 15): phones typed the national way, names by
// their start, what was not found, redeeming after one question, and receipts that tell
// the stamps a purchase added. The demo's stores are in Paris and Berlin: a national number
// is read as French (and as German).

const open = pagesPerTest();

/** A French mobile number no other run uses: "+33 6 1x xx xx xx" and "061xxxxxxx". */
function frenchMobile(): { international: string; national: string } {
  const digits = String(Math.floor(Math.random() * 1e7)).padStart(7, "0");
  return { international: `+33 6 1${digits}`, national: `061${digits}` };
}

/** A surname no other run uses, of letters only: "Mrt" and eight random letters. */
function surnameLike(start: string): string {
  const letters = Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join("");
  return `${start}${letters}`;
}

/** Signs a member up on the portal with a phone (written internationally). */
async function signUpWithPhone(page: Page, name: string, phone: string): Promise<string> {
  const email = `${unique("s")}@example.com`;
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Phone (optional)").fill(phone);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/signup\?sent=1$/);
  await confirmSignUp(page, email);
  await hydrated(page);
  return email;
}

async function search(staff: Page, query: string) {
  await staff.getByLabel("Find a member").fill(query);
  await staff.getByRole("button", { name: "Find" }).click();
}

test("the desk finds a member by a national phone number and by the start of a name", async ({ browser }) => {
  const member = await open(browser);
  // A surname of its own, so a name search finds this member alone.
  const surname = surnameLike("Mrt");
  const name = `Léa ${surname}`;
  const phone = frenchMobile();
  await signUpWithPhone(member, name, phone.international);

  const staff = await open(browser);
  await signInAtDesk(staff);
  // Typed the national way, without spaces: the same member.
  await search(staff, phone.national);
  const found = staff.getByRole("region", { name: `Member ${name}`, exact: true });
  await expect(found).toBeVisible();
  await expect(found).toContainText(phone.international.replace(/ /g, ""));

  // By the start of the name, in lower case and without its accent: one member opens at once.
  await search(staff, `lea ${surname.slice(0, 8).toLowerCase()}`);
  await expect(found).toBeVisible();
  await expect(staff).toHaveURL(/\?q=lea\+/);
  // By the last name alone.
  await search(staff, surname.toUpperCase());
  await expect(found).toBeVisible();
});

test("several members of a name are listed to choose from, and opened by a link", async ({ browser }) => {
  const surname = surnameLike("Dpl");
  const first = await open(browser);
  await signUpWithPhone(first, `Anna ${surname}`, frenchMobile().international);
  const second = await open(browser);
  await signUpWithPhone(second, `Zoé ${surname}`, frenchMobile().international);

  const staff = await open(browser);
  await signInAtDesk(staff);
  await search(staff, surname.toLowerCase());
  const list = staff.getByRole("region", { name: "Members found" });
  await expect(list.getByRole("heading")).toHaveText(`Members named “${surname.toLowerCase()}…”`);
  await expect(list.getByRole("row")).toHaveCount(3); // a header and two members
  await expect(list.getByRole("link", { name: "Next" })).toHaveCount(0);
  await expect(list.getByRole("link", { name: "Previous" })).toHaveCount(0);
  await list.getByRole("link", { name: `Zoé ${surname}` }).click();
  await expect(staff.getByRole("region", { name: `Member Zoé ${surname}`, exact: true })).toBeVisible();
});

test("the desk says what it searched and did not find, and what it could not read", async ({ browser }) => {
  const staff = await open(browser);
  await signInAtDesk(staff);
  const nobody = frenchMobile();
  await search(staff, nobody.national);
  // Shown in its likeliest reading (the desk's store is in Berlin or Paris).
  await expect(staff.getByTestId("not-found")).toHaveText(/^No member with the phone \+(33|49) [\d ]+\.$/);
  await search(staff, "Zzqx Nobody");
  await expect(staff.getByTestId("not-found")).toHaveText("No member named “Zzqx Nobody…”.");
  await search(staff, "nobody-here@example.com");
  await expect(staff.getByTestId("not-found")).toHaveText("No member with the email nobody-here@example.com.");

  // Neither an email, a phone, a card nor a name: said under the search box itself.
  await search(staff, "12345");
  const error = staff.locator("#q-error");
  await expect(error).toHaveText("That is not an email, a phone number, a valid card number or a name.");
  await expect(staff.getByLabel("Find a member")).toHaveAttribute("aria-describedby", /q-error/);
  await expect(staff.getByText("Please correct the highlighted field.")).toHaveCount(0);
  await search(staff, "L");
  await expect(error).toHaveText("Type at least the first two letters of a first or last name.");
});

test("the member's program shows its balance in its currency; redeeming asks once and shows the code under the reward", async ({
  browser,
}) => {
  const member = await open(browser);
  const name = unique("Rosa ");
  const email = await signUpAndJoin(member, name);

  const staff = await open(browser);
  await signInAtDesk(staff);
  const found = await findMember(staff, email, name);
  expect(await recordPurchase(staff, found, name, "12.50")).toBe(125);
  const program = found.getByRole("region", { name: `${PROGRAM} program` });
  await expect(program.getByRole("heading", { name: PROGRAM })).toBeVisible();
  await expect(program.getByTestId("balance")).toHaveText("125 Stars");

  const offer = program.locator("li.reward", { hasText: "Free filter coffee" });
  await expect(offer).toContainText("100 Stars");
  // The first click only asks.
  await offer.getByText("Redeem", { exact: true }).click();
  await expect(offer.getByText("Spend 100 Stars on Free filter coffee?")).toBeVisible();
  await expect(program.getByTestId("balance")).toHaveText("125 Stars");
  await offer.getByRole("button", { name: "Yes, redeem" }).click();

  // The code and PIN, under the reward, in view.
  const done = program.locator("li.reward", { hasText: "Free filter coffee" }).getByTestId("redeemed");
  await expect(done).toContainText("Free filter coffee redeemed.");
  await expect(done).toHaveAttribute("role", "status");
  await expect(done).toBeInViewport();
  const code = (await done.locator(".code-big").textContent())!.trim();
  expect(code).toMatch(/^RW-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  await expect(done).toContainText(/PIN\s*\d{6}/);
  await expect(done).toContainText("100 Stars spent");
  await expect(program.getByTestId("balance")).toHaveText("25 Stars");
  // The code waits among the program's unused codes.
  await expect(program.locator("li:not(.reward)").filter({ hasText: code })).toContainText("Free filter coffee");
});

test("a purchase's receipt tells the stamp it added", async ({ browser }) => {
  const member = await open(browser);
  const name = unique("Sami ");
  const email = await signUpAndJoin(member, name);

  const staff = await open(browser);
  await signInAtDesk(staff);
  const found = await findMember(staff, email, name);
  await found.getByRole("combobox", { name: "Program", exact: true }).selectOption({ label: `${PROGRAM} (EUR)` });
  await found.getByText("What was bought (optional)").click();
  await found.getByLabel("SKU, line 1").fill("PASTRY");
  await found.getByLabel("Line total, line 1").fill("3.50");
  await found.getByRole("button", { name: "Record purchase" }).click();
  const receipt = staff.getByTestId("receipt");
  await expect(receipt.getByRole("heading")).toHaveText(new RegExp(`^\\+\\d+ Stars for ${name} in ${PROGRAM}$`));
  // The demo's pastry card: one stamp, said with the card and how far it is.
  await expect(receipt).toContainText("+1 stamp on Pastry card: 1 / 6");
  await expect(receipt).not.toContainText("+0");
  const program = found.getByRole("region", { name: `${PROGRAM} program` });
  await expect(program).toContainText("1 / 6 stamps");
});
