import { expect, test } from "@playwright/test";
import { demo, hydrated, signIn, unique } from "./helpers";
import { confirmSignUp } from "./mailbox";

test("staff record a purchase and redeem a reward with a code; the member sees both", async ({ browser }) => {
  const memberCtx = await browser.newContext();
  const member = await memberCtx.newPage();
  await member.goto("/signup");
  await hydrated(member);
  const email = `${unique("rw")}@example.com`;
  await member.getByLabel("Your name").fill("Rae Reward");
  await member.getByLabel("Email").fill(email);
  await member.getByLabel("Password").fill("a long enough password");
  await member.getByRole("button", { name: "Create account" }).click();
  await expect(member).toHaveURL(/\/signup\?sent=1$/);
  await confirmSignUp(member, email);
  await hydrated(member);
  await member.getByRole("button", { name: "Join Café Aurora Rewards" }).click();
  const card = member.getByRole("region", { name: "Café Aurora Rewards" });
  await expect(card.getByTestId("balance")).toHaveText("0");

  const staffCtx = await browser.newContext();
  const staff = await staffCtx.newPage();
  await signIn(staff, demo.staff);
  await expect(staff).toHaveURL(/\/desk$/);
  await staff.getByLabel("Find a member").fill(email);
  await staff.getByRole("button", { name: "Find" }).click();
  const found = staff.getByRole("region", { name: "Member Rae Reward" });
  // Nothing affordable yet: the button says so by being disabled.
  await expect(found.getByRole("button", { name: "Redeem Free filter coffee" })).toBeDisabled();
  await found.getByLabel("Amount paid").fill("12.50");
  await found.getByRole("button", { name: "Record purchase" }).click();
  await expect(staff.getByRole("heading", { name: "+125 Stars for Rae Reward in Café Aurora Rewards" })).toBeVisible();

  // Redeem: asked once, then points spent, a code and PIN handed out under the reward.
  const offer = found.locator("li.reward", { hasText: "Free filter coffee" });
  await offer.getByText("Redeem", { exact: true }).click();
  await expect(offer.getByText("Spend 100 Stars on Free filter coffee?")).toBeVisible();
  await offer.getByRole("button", { name: "Yes, redeem" }).click();
  const receipt = offer.getByTestId("redeemed");
  await expect(receipt).toContainText("Free filter coffee redeemed.");
  const text = (await receipt.textContent())!;
  const code = text.match(/RW-[A-Z0-9]{4}-[A-Z0-9]{4}/)![0];
  const pin = text.match(/PIN\s*(\d{6})/)![1];

  // The member shows the code at the till: staff check the PIN and use it, once.
  await staff.getByLabel("Reward code").fill(code);
  await staff.getByLabel("PIN").fill(pin === "000000" ? "111111" : "000000");
  await staff.getByRole("button", { name: "Use code" }).click();
  await expect(staff.getByText("The PIN does not match this code.")).toBeVisible();
  await staff.getByLabel("PIN").fill(pin);
  await staff.getByRole("button", { name: "Use code" }).click();
  await expect(staff.getByText(`Used: Free filter coffee (${code}). Hand it over.`)).toBeVisible();
  await staff.getByRole("button", { name: "Use code" }).click();
  await expect(staff.getByText("This reward code has already been used.")).toBeVisible();

  // A goodwill adjustment needs a reason; it lands in the ledger with it.
  await found.getByText("Adjust the balance by hand").click();
  await found.getByLabel("Points", { exact: true }).fill("10");
  await found.getByRole("button", { name: "Adjust" }).click();
  await expect(found.getByText("Say why you are adjusting the balance.")).toBeVisible();
  await found.getByLabel("Reason", { exact: true }).fill("Coffee was cold");
  await found.getByRole("button", { name: "Adjust" }).click();
  await expect(staff.getByText("Adjusted by 10; balance now 35.")).toBeVisible();

  // The member's portal shows the purchase, the redemption, the adjustment and the used code.
  await expect(card.getByTestId("balance")).toHaveText("35", { timeout: 15_000 });
  // Members read what happened, not the staff's note.
  await expect(member.getByRole("cell", { name: "Added by our team" })).toBeVisible();
  await expect(member.getByText("Coffee was cold")).toHaveCount(0);
  await expect(member.getByRole("cell", { name: /Redeemed Free filter coffee/ })).toBeVisible();
  const mine = member.getByRole("region", { name: "Your rewards" });
  // A used code is folded away below the codes still to use.
  await mine.getByText("Used, cancelled and expired (1)").click();
  await expect(mine.getByRole("row", { name: new RegExp(`${code}.*Used`) })).toBeVisible();

  await memberCtx.close();
  await staffCtx.close();
});

test("a member redeems a reward on the portal and gets a code", async ({ page }) => {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Your name").fill("Pat Portal");
  const email = `${unique("pp")}@example.com`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/signup\?sent=1$/);
  await confirmSignUp(page, email);
  await hydrated(page);
  await page.getByRole("button", { name: "Join Café Aurora Rewards" }).click();
  const offers = page.getByRole("region", { name: "Rewards to redeem" });
  await expect(offers.getByRole("button", { name: "Redeem Free filter coffee" })).toBeDisabled();
  await expect(offers.getByText("Not enough points yet.").first()).toBeVisible();

  // The invite link carries the member's code into a friend's sign-up form.
  const code = (await page.getByTestId("referral-code").textContent())!.trim();
  expect(code).toMatch(/^[A-Z2-9]{8}$/);
  await page.getByRole("link", { name: `/signup?ref=${code}` }).click();
  await expect(page.getByLabel("Referral code (optional)")).toHaveValue(code);
});

test("an admin adds a reward offered from tomorrow; members see it, not yet redeemable", async ({ browser }) => {
  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  await signIn(admin, demo.admin);
  await admin.getByRole("link", { name: "Café Aurora Rewards" }).click();
  await admin.getByRole("link", { name: "Rewards", exact: true }).click();
  await expect(admin).toHaveURL(/\/manage\/programs\/\d+\/rewards$/);
  await hydrated(admin);

  const name = unique("Spring hamper ");
  await admin.getByLabel("Reward name").fill(name);
  await admin.getByLabel("Cost in points").fill("lots");
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  await admin.getByLabel("Offered from").fill(tomorrow);
  await admin.getByLabel("Offered until").fill(yesterday);
  await admin.getByRole("button", { name: "Add reward" }).click();
  await expect(admin.getByText("The last day cannot come before the first.")).toBeVisible();
  await expect(admin.getByLabel("Cost in points")).toHaveAttribute("aria-invalid", "true");
  await expect(admin.getByLabel("Value", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await admin.getByLabel("Cost in points").fill("40");
  await admin.getByLabel("Value", { exact: true }).fill("5.00");
  await admin.getByLabel("Offered until").fill("");
  await admin.getByRole("button", { name: "Add reward" }).click();
  await expect(admin.getByText("Reward added.")).toBeVisible();
  await expect(admin.getByRole("row", { name: new RegExp(name) })).toBeVisible();

  const memberCtx = await browser.newContext();
  const member = await memberCtx.newPage();
  await signIn(member, demo.member);
  await expect(member).toHaveURL(/\/portal$/);
  const offer = member.locator("li.reward", { hasText: name });
  await expect(offer.getByText("This reward is not available yet.")).toBeVisible();
  await expect(offer.getByRole("button")).toBeDisabled();
  await adminCtx.close();
  await memberCtx.close();
});
