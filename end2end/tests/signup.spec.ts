import { expect, test } from "@playwright/test";
import { demo, hydrated, signIn, signInPlain, unique } from "./helpers";
import { signUp } from "./journeys";
import { mailedLink } from "./mailbox";

/** Fills and sends the sign-up form; the page then says to check the email. */
async function askToJoin(page: import("@playwright/test").Page, name: string, email: string) {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/signup\?sent=1$/);
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  return (await page.locator("main").textContent()) ?? "";
}

test("joining is confirmed from the email; an address that has an account gets the same answer and an email instead", async ({ browser }) => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const email = `${unique("join")}@example.com`;
  const fresh = await askToJoin(page, "Juno Join", email);
  // The demo member's address already has an account: the page says exactly the same.
  const taken = await askToJoin(page, "Someone Else", demo.member);
  expect(taken).toBe(fresh);

  // The admin reads both emails in the development mailbox (plain HTML).
  const admin = await browser.newContext({ javaScriptEnabled: false });
  const mailbox = await admin.newPage();
  const signInAsAdmin = () => signInPlain(mailbox, demo.admin);
  const link = await mailedLink(mailbox, email, "verify-email", signInAsAdmin);
  await signInAsAdmin();
  await mailbox.goto("/manage/mailbox");
  const told = mailbox.getByTestId("kept-email").filter({ hasText: demo.member }).filter({ hasText: "Someone tried to join with your address" });
  await expect(told.first()).toBeAttached();
  await expect(told.first().locator(".message-body")).toContainText("/forgot-password");
  await admin.close();

  // Opening the link asks first (a mail scanner opening it makes nothing), then signs in.
  await page.goto(link);
  await hydrated(page);
  await expect(page.getByText(`Make the account of Juno Join for ${email}?`)).toBeVisible();
  // The password chosen at sign-up is asked for: a wrong one is a field error, the link kept.
  await page.getByLabel("Password").fill("not the one chosen");
  await page.getByRole("button", { name: "Confirm and sign in" }).click();
  await expect(page.getByText("This is not the password chosen in this sign-up.")).toBeVisible();
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Confirm and sign in" }).click();
  await expect(page).toHaveURL(/\/portal\?welcome=new$/);
  await expect(page.getByRole("status").filter({ hasText: "Welcome! Your account is ready." })).toBeVisible();
  await expect(page.getByText("You have not joined a program yet.")).toBeVisible();

  // The link worked once.
  await ctx.clearCookies();
  await page.goto(link);
  await hydrated(page);
  await expect(page.getByRole("alert")).toContainText("This link has expired or was already used.");
  await expect(page.getByRole("button", { name: "Confirm and sign in" })).toHaveCount(0);
  await ctx.close();
});

test("a member changes the sign-in email from the portal, confirms it from the new address, and the old one is told", async ({ browser }) => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const email = await signUp(page, "Cai Change");
  const account = page.getByRole("region", { name: "Your account" });
  await account.getByText("Your account: sign-in email and password").click();
  const newEmail = `${unique("moved")}@example.com`;
  await account.getByLabel("New email").fill(newEmail);
  await account.getByLabel("Current password").first().fill("not my password");
  await account.getByRole("button", { name: "Send a link to the new address" }).click();
  await expect(account.getByText("That is not your current password.")).toBeVisible();
  await account.getByLabel("Current password").first().fill("a long enough password");
  await account.getByRole("button", { name: "Send a link to the new address" }).click();
  await expect(account.getByRole("status")).toContainText("We have sent a link to the new address.");

  const admin = await browser.newContext({ javaScriptEnabled: false });
  const mailbox = await admin.newPage();
  const signInAsAdmin = () => signInPlain(mailbox, demo.admin);
  const link = await mailedLink(mailbox, newEmail, "confirm-email", signInAsAdmin);
  await page.goto(link);
  await hydrated(page);
  await expect(page.getByText(`Sign in with ${newEmail} from now on?`)).toBeVisible();
  // The account's password too: the link alone proves only the new mailbox.
  await page.getByLabel("Your password").fill("a long enough password");
  await page.getByRole("button", { name: "Confirm the new email" }).click();
  await expect(page).toHaveURL(/\/login\?email=changed$/);
  await expect(page.getByRole("status").filter({ hasText: /\S/ })).toContainText("Your sign-in email is changed.");

  // The old address was told, and the new one signs in.
  await signInAsAdmin();
  await expect(async () => {
    await mailbox.goto("/manage/mailbox");
    const told = mailbox.getByTestId("kept-email").filter({ hasText: email }).filter({ hasText: "Your sign-in email was changed" });
    await expect(told.first()).toBeAttached({ timeout: 1_000 });
    // With a link that gives the address back, should it not have been them.
    await expect(told.first().locator(".message-body")).toContainText("/undo-email?token=", { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await admin.close();
  await signIn(page, newEmail, "a long enough password");
  await expect(page).toHaveURL(/\/portal$/);
  await ctx.close();
});
