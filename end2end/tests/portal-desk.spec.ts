import { expect, test } from "@playwright/test";
import { demo, hydrated, signIn, unique } from "./helpers";
import { confirmSignUp } from "./mailbox";
import { findMember, PROGRAM, recordPurchase, signInAtDesk, signUpAndJoin } from "./journeys";

test("a member signs up and joins; a staff purchase appears on the portal without a reload", async ({ browser }) => {
  // The member, in one browser context.
  const memberCtx = await browser.newContext();
  const member = await memberCtx.newPage();
  await member.goto("/signup");
  await hydrated(member);
  const email = `${unique("jo")}@example.com`;
  await member.getByLabel("Your name").fill("Jo Journey");
  await member.getByLabel("Email").fill(email);
  await member.getByLabel("Password").fill("short");
  await member.getByRole("button", { name: "Create account" }).click();
  await expect(member.getByText("Use at least 10 characters.")).toBeVisible();
  await member.getByLabel("Password").fill("a long enough password");
  await member.getByRole("button", { name: "Create account" }).click();
  await expect(member).toHaveURL(/\/signup\?sent=1$/);
  await confirmSignUp(member, email);
  await hydrated(member);
  await expect(member.getByRole("status").filter({ hasText: "Welcome! Your account is ready." })).toBeVisible();
  await expect(member.getByText("You have not joined a program yet.")).toBeVisible();
  await member.getByRole("button", { name: "Join Café Aurora Rewards" }).click();
  const card = member.getByRole("region", { name: "Café Aurora Rewards" });
  await expect(card.getByTestId("balance")).toHaveText("0");
  await expect(card.getByText("Green")).toBeVisible();
  const cardNumber = (await member.getByLabel("Card number", { exact: true }).textContent())!.trim();

  // Mark the page: a reload would wipe this.
  await member.evaluate(() => ((window as unknown as { __stay: boolean }).__stay = true));

  // Staff, in another context, find the member by card number and record a purchase.
  const staffCtx = await browser.newContext();
  const staff = await staffCtx.newPage();
  await signIn(staff, demo.staff);
  await expect(staff).toHaveURL(/\/desk$/);
  await staff.getByLabel("Find a member").fill(cardNumber);
  await staff.getByRole("button", { name: "Find" }).click();
  const found = staff.getByRole("region", { name: "Member Jo Journey" });
  await expect(found).toBeVisible();
  await found.getByLabel("Amount paid").fill("12,5x");
  await found.getByRole("button", { name: "Record purchase" }).click();
  await expect(found.getByText("Enter an amount like 12.50.")).toBeVisible();
  await found.getByLabel("Amount paid").fill("12.50");
  const receipt = unique("T-");
  await found.getByLabel("Receipt number (optional)").fill(receipt);
  await found.getByRole("button", { name: "Record purchase" }).click();
  await expect(staff.getByRole("heading", { name: "+125 Stars for Jo Journey in Café Aurora Rewards" })).toBeVisible();
  await expect(staff.getByText("€12.50 x 10 Stars per EUR = 125 Stars")).toBeVisible();

  // The member's open page catches up by itself.
  await expect(card.getByTestId("balance")).toHaveText("125", { timeout: 15_000 });
  const history = member.getByRole("table", { name: "History of Café Aurora Rewards" });
  await expect(history.getByRole("row", { name: /Purchase of €12\.50.*In store.*\+125/ })).toBeVisible();
  await expect(history).not.toContainText(receipt);
  expect(await member.evaluate(() => (window as unknown as { __stay?: boolean }).__stay)).toBe(true);

  // Enough for Silver: the tier comes at once, and the demo program's monthly review keeps it.
  await found.getByLabel("Amount paid").fill("100.00");
  await found.getByLabel("Receipt number (optional)").fill(unique("T-"));
  await found.getByRole("button", { name: "Record purchase" }).click();
  await expect(card.getByTestId("balance")).not.toHaveText("125", { timeout: 15_000 });
  await expect(card.getByTestId("tier-review")).toHaveText(
    "You keep Silver at least until the review on the 1st of next month.",
    { timeout: 15_000 },
  );

  await memberCtx.close();
  await staffCtx.close();
});

test("the desk says so when nobody matches, and finds members by email and phone", async ({ page }) => {
  await signIn(page, demo.staff);
  await page.getByLabel("Find a member").fill("nobody-here@example.com");
  await page.getByRole("button", { name: "Find" }).click();
  await expect(page.getByText("No member with the email nobody-here@example.com.")).toBeVisible();
  await page.getByLabel("Find a member").fill("+49 151 12345678");
  await page.getByRole("button", { name: "Find" }).click();
  await expect(page.getByRole("region", { name: "Member Mia Member" })).toBeVisible();
});

test("opened directly, the portal hydrates only its island, fetches no page's code, and keeps itself current", async ({ browser }) => {
  const memberCtx = await browser.newContext();
  const member = await memberCtx.newPage();
  const email = await signUpAndJoin(member, "Ira Island");
  const card = member.getByRole("region", { name: PROGRAM });

  // A first load of the portal (a bookmark, a link in an e-mail) is sent as islands.
  const wasm: string[] = [];
  member.on("request", (r) => {
    if (r.url().endsWith(".wasm")) wasm.push(new URL(r.url()).pathname);
  });
  await member.goto("/portal");
  await hydrated(member);
  await expect(member.locator("body[data-islands]")).toHaveCount(1);
  expect(wasm.length).toBeGreaterThan(0);
  // Neither the Portal page's chunk nor the whole app's (router, shell, pages) came.
  expect(wasm.filter((p) => p.includes("split_"))).toEqual([]);
  await member.evaluate(() => ((window as unknown as { __stay: boolean }).__stay = true));

  const staffCtx = await browser.newContext();
  const staff = await staffCtx.newPage();
  await signInAtDesk(staff);
  const found = await findMember(staff, email, "Ira Island");
  const receipt = unique("T-");
  await found.getByLabel("Receipt number (optional)").fill(receipt);
  expect(await recordPurchase(staff, found, "Ira Island", "3.00")).toBe(30);

  // The island fetched the page again and put the new account in place.
  await expect(card.getByTestId("balance")).toHaveText("30", { timeout: 15_000 });
  const history = member.getByRole("table", { name: "History of Café Aurora Rewards" });
  await expect(history.getByRole("row", { name: /Purchase of €3\.00.*In store.*\+30/ })).toBeVisible();
  await expect(history).not.toContainText(receipt);
  expect(await member.evaluate(() => (window as unknown as { __stay?: boolean }).__stay)).toBe(true);
  expect(wasm.filter((p) => p.includes("split_"))).toEqual([]);

  await memberCtx.close();
  await staffCtx.close();
});

test("opened directly, the portal's forms post without the app and say what they did", async ({ browser }) => {
  const ctx = await browser.newContext();
  const member = await ctx.newPage();
  await signUpAndJoin(member, "Ola Outcome");
  await member.goto("/portal");
  await hydrated(member);
  await expect(member.locator("body[data-islands]")).toHaveCount(1);
  const birthday = member.getByRole("region", { name: "Birthday" });

  // A refused date comes back on the page, the form open with its error.
  await birthday.getByText("Your birthday").click();
  await birthday.getByLabel("Date of birth").fill("2999-01-01");
  await birthday.getByRole("button", { name: "Save birthday" }).click();
  await expect(member.locator("body[data-islands]")).toHaveCount(1);
  await expect(birthday.getByText("A date of birth cannot be in the future.")).toBeVisible();

  // A saved one says so, though the page was drawn again by the server.
  await birthday.getByLabel("Date of birth").fill("1990-02-03");
  await birthday.getByRole("button", { name: "Save birthday" }).click();
  await expect(member).toHaveURL(/\/portal$/);
  await expect(member.locator("body[data-islands]")).toHaveCount(1);
  await expect(birthday.getByRole("status")).toHaveText("Saved: 1990-02-03.");
  await expect(birthday.getByRole("alert")).toHaveCount(0);

  // Said once: the next look at the page no longer has it.
  await member.reload();
  await expect(member.getByRole("region", { name: "Birthday" }).getByRole("status")).toHaveCount(0);
  await ctx.close();
});
