import { expect, test } from "@playwright/test";
import { demo, hydrated, unique } from "./helpers";
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
  const signInAsAdmin = async () => {
    await mailbox.goto("/login");
    await mailbox.getByLabel("Email").fill(demo.admin);
    await mailbox.getByLabel("Password").fill("omniloyal-demo");
    await mailbox.getByRole("button", { name: "Sign in" }).click();
  };
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
