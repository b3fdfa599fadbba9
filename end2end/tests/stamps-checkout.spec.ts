import { expect, test, type Locator } from "@playwright/test";
import { demo, hydrated, unique } from "./helpers";
import { PROGRAM, findMember, openCards, pagesPerTest, recordPurchase, signInAtDesk, signUp, signUpAndJoin } from "./journeys";

const open = pagesPerTest();

/** Opens a closed <details> on the desk; a member card drawn afresh has them all closed. */
async function openDetails(group: Locator, summary: string, field: Locator) {
  if (!(await field.isVisible())) await group.getByText(summary, { exact: true }).click();
  await expect(field).toBeVisible();
}

test("an admin adds a stamp card, with a field error first", async ({ browser }) => {
  const admin = await open(browser);
  await openCards(admin);

  // The stamp card section shows the first program by name, which other journeys may have
  // added before the demo one: choose the demo program.
  const cards = admin.locator("section", { has: admin.getByRole("heading", { name: "Stamp cards", exact: true }) });
  await cards.getByLabel("Program", { exact: true }).selectOption({ label: PROGRAM });
  await cards.getByRole("button", { name: "Show", exact: true }).click();
  await expect(admin).toHaveURL(/\/manage\/cards\?program=\d+/);
  // A full load of the chosen program: the section is not redrawn under the typing when its
  // client-side reload finishes late.
  await admin.reload();
  await hydrated(admin);
  const form = admin.locator("section", { has: admin.getByRole("heading", { name: "Add a stamp card" }) });
  await expect(form.getByText(`For ${PROGRAM}`, { exact: true })).toBeVisible();

  const name = unique("Coffee card ");
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Stamps required").fill("1");
  await form.getByLabel("Reward for a full card").selectOption({ label: "Free filter coffee" });
  await form.getByRole("button", { name: "Add stamp card" }).click();
  await expect(form.getByText("Enter a number of stamps from 2 to 100.")).toBeVisible();
  await expect(cards.getByRole("row").filter({ hasText: name })).toHaveCount(0);

  // SKU and category left empty: one stamp per order.
  await form.getByLabel("Stamps required").fill("4");
  await form.getByRole("button", { name: "Add stamp card" }).click();
  await expect(form.getByRole("status")).toHaveText("Stamp card added.");
  const row = cards.getByRole("row").filter({ hasText: name });
  await expect(row.getByRole("cell")).toHaveText([name, "4 stamps → Free filter coffee", "1 stamp per order", /active/]);
  await expect(row.getByRole("button", { name: `Stop ${name}` })).toBeVisible();
});

test("staff add stamps from a paper card at the desk; a full card issues its reward, once per paper card", async ({
  browser,
}) => {
  const member = await open(browser);
  const name = unique("Paper ");
  const email = await signUpAndJoin(member, name);

  const staff = await open(browser);
  await signInAtDesk(staff);
  const found = await findMember(staff, email, name);
  const pastry = found.getByRole("listitem").filter({ hasText: "Pastry card" });
  await expect(pastry).toContainText("0 / 6 stamps");

  const paper = found.getByRole("group").filter({ hasText: "Add stamps from a paper card" });
  const serial = unique("P-");
  await openDetails(paper, "Add stamps from a paper card", paper.getByLabel("Paper card number"));
  // Other journeys add stamp cards to the demo program too: choose the pastry card by name.
  await paper.getByLabel("Stamp card", { exact: true }).selectOption({ label: "Pastry card" });
  await paper.getByLabel("Stamps on the paper card").fill("7");
  await paper.getByLabel("Paper card number").fill(serial);
  await paper.getByRole("button", { name: "Add stamps" }).click();

  // Six stamps fill the card and issue the reward; the seventh carries over.
  const notice = staff.getByRole("status").filter({ hasText: "stamps added" });
  await expect(notice).toHaveText(/^7 stamps added; reward issued: RW-[A-Z0-9]{4}-[A-Z0-9]{4}\.$/);
  const code = /RW-[A-Z0-9]{4}-[A-Z0-9]{4}/.exec((await notice.textContent())!)![0];
  await expect(pastry).toContainText("1 / 6 stamps");
  await expect(found.getByRole("heading", { name: "Unused reward codes" })).toBeVisible();
  await expect(found.getByRole("listitem").filter({ hasText: code })).toContainText("Free pastry");

  // The same paper card again: refused, nothing added.
  await openDetails(paper, "Add stamps from a paper card", paper.getByLabel("Paper card number"));
  await paper.getByLabel("Stamp card", { exact: true }).selectOption({ label: "Pastry card" });
  await paper.getByLabel("Stamps on the paper card").fill("7");
  await paper.getByLabel("Paper card number").fill(serial);
  await paper.getByRole("button", { name: "Add stamps" }).click();
  await expect(paper.getByText("This paper card was already counted.")).toBeVisible();
  await expect(notice).toHaveCount(0);
  await expect(pastry).toContainText("1 / 6 stamps");
});

test("staff take points as payment at the desk, at least the reward's minimum", async ({ browser }) => {
  const member = await open(browser);
  const name = unique("Payer ");
  const email = await signUpAndJoin(member, name);

  const staff = await open(browser);
  await signInAtDesk(staff);
  const found = await findMember(staff, email, name);
  const points = await recordPurchase(staff, found, name, "50.00");
  expect(points).toBeGreaterThanOrEqual(500);

  const checkout = found.locator("li.reward", { hasText: "Stars at checkout" });
  await expect(checkout).toContainText("from 100 Stars");
  // Paying asks once: the first button only opens the question.
  await checkout.getByText("Pay", { exact: true }).click();
  const pay = checkout.getByRole("button", { name: "Yes, pay" });
  await expect(pay).toBeEnabled();

  // Below the reward's minimum: refused, nothing spent.
  await checkout.getByLabel("Stars to pay with").fill("50");
  await pay.click();
  await expect(found.getByText("Pay with at least 100 points.")).toBeVisible();
  await expect(found.getByTestId("balance")).toHaveText(`${points} Stars`);

  // 300 Stars at one cent each: 3.00 off this purchase, said under the reward.
  await checkout.getByLabel("Stars to pay with").fill("300");
  await pay.click();
  const paid = found.locator("li.reward", { hasText: "Stars at checkout" }).getByTestId("redeemed");
  await expect(paid).toContainText("Paid with points: 3.00 off this purchase.");
  await expect(paid).toContainText("300 Stars spent");
  await expect(found.getByTestId("balance")).toHaveText(`${points - 300} Stars`);
  await expect(found.getByText("Pay with at least 100 points.")).toHaveCount(0);
});

test("a member gives a date of birth at sign-up and changes it on the portal", async ({ browser }) => {
  const member = await open(browser);
  await signUp(member, unique("Bday "), "1990-04-21");
  await hydrated(member);
  const card = member.getByRole("region", { name: "Digital card", exact: true });
  await expect(card.getByText("Birthday: 04-21", { exact: true })).toBeVisible();

  const birthday = member.getByRole("region", { name: "Birthday", exact: true });
  await birthday.getByText("Your birthday", { exact: true }).click();
  await birthday.getByLabel("Date of birth").fill("2999-01-01");
  await birthday.getByRole("button", { name: "Save birthday" }).click();
  await expect(birthday.getByText("A date of birth cannot be in the future.")).toBeVisible();
  await expect(card.getByText("Birthday: 04-21", { exact: true })).toBeVisible();

  await birthday.getByLabel("Date of birth").fill("1991-12-05");
  await birthday.getByRole("button", { name: "Save birthday" }).click();
  await expect(birthday.getByRole("status")).toHaveText("Saved: 1991-12-05.");
  await expect(birthday.getByText("A date of birth cannot be in the future.")).toHaveCount(0);
  // The overview is not reloaded by the save; its refresh (every 4 s) picks the date up.
  await expect(card.getByText("Birthday: 12-05", { exact: true })).toBeVisible({ timeout: 15_000 });
});
