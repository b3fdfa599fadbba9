import { expect, test, type Locator, type Page } from "@playwright/test";
import { demo, hydrated, unique } from "./helpers";
import { PROGRAM, findMember, openCards, pagesPerTest, recordPurchase, signInAtDesk, signUpAndJoin, startCard } from "./journeys";

type PrintedCard = { number: string; code: string };

const open = pagesPerTest();

/** "712345678901" as shown on the desk and the portal: "7123 4567 8901". */
function grouped(number: string): string {
  return number.match(/.{1,4}/g)!.join(" ");
}

function luhnValid(digits: string): boolean {
  let sum = 0;
  [...digits].reverse().forEach((c, i) => {
    let d = Number(c);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  });
  return sum % 10 === 0;
}

/** The same code with its last digit changed. */
function wrongCode(code: string): string {
  return code.slice(0, -1) + String((Number(code.slice(-1)) + 1) % 10);
}

/** The "Make a batch" form (the stamp card section further down has a "Program" select too). */
function batchForm(admin: Page): Locator {
  return admin.locator("section", { has: admin.getByRole("heading", { name: "Make a batch" }) });
}

/** Opens the printer file of the batch `label` and reads its cards from the CSV. */
async function readPrinterFile(admin: Page, label: string, size: number): Promise<PrintedCard[]> {
  await admin.getByRole("link", { name: `Numbers for the printer: ${label}` }).click();
  await expect(admin).toHaveURL(/\/manage\/cards\?print=\d+/);
  await expect(admin.getByRole("heading", { name: `Printer file for “${label}”` })).toBeVisible();
  await expect(admin.getByText(`${PROGRAM} · ${size} ${size === 1 ? "card" : "cards"}`)).toBeVisible();
  const file = admin.getByLabel("Printer file (CSV)");
  await expect(file).toHaveValue(/^number,security_code\n/);
  const [header, ...lines] = (await file.inputValue()).trim().split("\n");
  expect(header).toBe("number,security_code");
  expect(lines).toHaveLength(size);
  return lines.map((line) => {
    expect(line).toMatch(/^\d{12},\d{6}$/);
    const [number, code] = line.split(",");
    return { number, code };
  });
}

/** Makes a batch of `size` printed cards in the demo program and returns its cards. */
async function makeBatch(admin: Page, size: number): Promise<PrintedCard[]> {
  await openCards(admin);
  const label = unique("Batch ");
  const form = batchForm(admin);
  await form.getByLabel("Program", { exact: true }).selectOption({ label: PROGRAM });
  await form.getByLabel("Batch name").fill(label);
  await form.getByLabel("Number of cards").fill(String(size));
  await form.getByRole("button", { name: "Make batch" }).click();
  await expect(form.getByRole("status")).toContainText(`Batch “${label}” made: ${size} ${size === 1 ? "card" : "cards"}.`);
  return readPrinterFile(admin, label, size);
}

test("an admin makes a batch of printed cards and gets the printer file", async ({ browser }) => {
  const admin = await open(browser);
  await openCards(admin);
  const label = unique("Batch ");
  const form = batchForm(admin);
  await form.getByLabel("Program", { exact: true }).selectOption({ label: PROGRAM });
  await form.getByLabel("Batch name").fill(label);
  await form.getByLabel("Number of cards").fill("0");
  await form.getByRole("button", { name: "Make batch" }).click();
  await expect(form.getByText("Enter a number of cards from 1 to 10000.")).toBeVisible();

  await form.getByLabel("Number of cards").fill("3");
  await form.getByRole("button", { name: "Make batch" }).click();
  await expect(form.getByRole("status")).toContainText(`Batch “${label}” made: 3 cards.`);
  const row = admin.getByRole("row").filter({ hasText: label });
  await expect(row.getByRole("cell")).toHaveText([label, PROGRAM, "3", "0", /^\d{4}-\d{2}-\d{2}$/, "Numbers for the printer"]);

  const cards = await readPrinterFile(admin, label, 3);
  expect(new Set(cards.map((c) => c.number)).size).toBe(3);
  for (const card of cards) {
    // Printed cards start with 7 (sign-up cards with 6) and carry a Luhn check digit.
    expect(card.number).toMatch(/^7/);
    expect(luhnValid(card.number)).toBe(true);
  }
});

test("staff find an unregistered printed card at the desk and record a purchase on it", async ({ browser }) => {
  const [card] = await makeBatch(await open(browser), 1);
  const holder = `Card ${grouped(card.number)}`;

  const staff = await open(browser);
  await signInAtDesk(staff);
  const found = await startCard(staff, card.number, holder);
  await expect(found.getByText("Unregistered card", { exact: true })).toBeVisible();
  await expect(found.getByText("0 Stars", { exact: true })).toBeVisible();
  // Only registered members get cards linked or duplicates merged into them.
  await expect(found.getByText("Merge a duplicate into this member")).toHaveCount(0);
  await expect(found.getByText("Link a printed card")).toHaveCount(0);

  await recordPurchase(staff, found, holder, "12.50");
  await expect(found.getByText("Unregistered card", { exact: true })).toBeVisible();
});

test("a member registers a printed card with its security code and gets what it collected", async ({ browser }) => {
  test.slow(); // three browser contexts, each signing in and hydrating
  const [card] = await makeBatch(await open(browser), 1);
  const holder = `Card ${grouped(card.number)}`;

  // The card is used at the till before anyone registers it.
  const staff = await open(browser);
  await signInAtDesk(staff);
  const points = await recordPurchase(staff, await startCard(staff, card.number, holder), holder, "8.00");

  const member = await open(browser);
  const name = unique("Reg ");
  await signUpAndJoin(member, name);
  await hydrated(member);
  const balance = member.getByRole("region", { name: PROGRAM }).getByTestId("balance");
  const register = member.getByRole("region", { name: "Register a card" });
  await register.getByText("Have a printed card? Register it").click();
  await register.getByLabel("Printed card number").fill(card.number);
  await register.getByLabel("Security code").fill(wrongCode(card.code));
  await register.getByRole("button", { name: "Register card" }).click();
  await expect(register.getByText("The security code does not match this card.")).toBeVisible();
  await expect(balance).toHaveText("0");

  await register.getByLabel("Security code").fill(card.code);
  await register.getByRole("button", { name: "Register card" }).click();
  await expect(register.getByRole("status")).toHaveText(
    `Card ${grouped(card.number)} registered: ${points} points and 0 stamps added.`,
  );
  await expect(register.getByText("The security code does not match this card.")).toHaveCount(0);
  await expect(balance).toHaveText(String(points));

  // At the desk the card now finds the member, no longer an unregistered card. Typed as
  // printed, with spaces (a new query: the same one would not search again).
  const found = await findMember(staff, grouped(card.number), name);
  await expect(found.getByText("Unregistered card", { exact: true })).toHaveCount(0);
  await expect(found.getByText(`${points} Stars`, { exact: true })).toBeVisible();
});

test("staff merge a duplicate member into another and reverse the merge", async ({ browser }) => {
  test.slow(); // three browser contexts, each signing in and hydrating
  const keep = await open(browser);
  const keepName = unique("Ada ");
  const keepEmail = await signUpAndJoin(keep, keepName);
  const keepBalance = keep.getByRole("region", { name: PROGRAM }).getByTestId("balance");

  const dup = await open(browser);
  const dupName = unique("Ada Dup ");
  const dupEmail = await signUpAndJoin(dup, dupName);

  // The duplicate collects points at the till.
  const staff = await open(browser);
  await signInAtDesk(staff);
  const points = await recordPurchase(staff, await findMember(staff, dupEmail, dupName), dupName, "12.50");

  // Staff find the member to keep and merge the duplicate into it.
  const found = await findMember(staff, keepEmail, keepName);
  await expect(found.getByText("0 Stars", { exact: true })).toBeVisible();
  const merge = found.getByRole("group").filter({ hasText: "Merge a duplicate into this member" });
  await merge.getByText("Merge a duplicate into this member").click();
  await merge.getByLabel("The duplicate's email, phone or card").fill(dupEmail);
  await merge.getByLabel("Reason for the merge").fill("Same person signed up twice");
  await merge.getByRole("button", { name: `Merge into ${keepName}` }).click();
  await expect(staff.getByRole("status").filter({ hasText: `${dupName} merged into ${keepName}:` })).toContainText(
    `${points} points`,
  );
  await expect(found.getByText(`${points} Stars`, { exact: true })).toBeVisible();
  await expect(keepBalance).toHaveText(String(points), { timeout: 15_000 });

  // The merge is listed on the member kept, and can be reversed.
  await expect(found.getByRole("heading", { name: "Merges", exact: true })).toBeVisible();
  await found.getByRole("button", { name: `Reverse the merge of ${dupName}` }).click();
  await expect(staff.getByText(`Merge reversed: ${dupName} stands on its own again.`)).toBeVisible();
  await expect(found.getByText("0 Stars", { exact: true })).toBeVisible();
  await expect(found.getByRole("button", { name: `Reverse the merge of ${dupName}` })).toHaveCount(0);
  await expect(keepBalance).toHaveText("0", { timeout: 15_000 });

  // The duplicate has its points back.
  const back = await findMember(staff, dupEmail, dupName);
  await expect(back.getByText(`${points} Stars`, { exact: true })).toBeVisible();
});
