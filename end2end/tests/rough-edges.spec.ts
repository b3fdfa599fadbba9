import { expect, test, type Locator, type Page } from "@playwright/test";
import { demo, hydrated, signIn, unique } from "./helpers";
import { pagesPerTest } from "./journeys";

// What a new brand tripped over (issue 15), checked where people see it.

const page = pagesPerTest();
const CAFE = "Café Aurora Rewards";
const BAKERY = "Aurora Bakery Club";

/** Opens a table row's tools (a disclosure) unless they are open already. */
async function openTools(row: Locator) {
  const tools = row.locator("details");
  if ((await tools.getAttribute("open")) === null) await row.locator("summary").click();
}

async function noSidewaysScroll(p: Page) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, "the page does not scroll sideways").toBeLessThanOrEqual(0);
}

test("a member of two programs sees each with what it has, and a history per program in plain words", async ({ browser }) => {
  const member = await page(browser);
  await signIn(member, demo.member);
  await expect(member).toHaveURL(/\/portal$/);
  const cafe = member.getByRole("region", { name: CAFE });
  const bakery = member.getByRole("region", { name: BAKERY });
  // Points with thousands separators, a tier, and progress in the café.
  await expect(cafe.getByTestId("balance")).toHaveText(/^\d{1,3}(,\d{3})*$/);
  await expect(cafe.locator(".badge")).toBeVisible();
  // The bakery club gives no points and has no tiers: its stamp card, nothing else.
  await expect(bakery.getByTestId("balance")).toHaveCount(0);
  await expect(bakery.locator(".badge")).toHaveCount(0);
  await expect(bakery.locator("progress")).toHaveCount(0);
  await expect(bakery.getByText("Bread card")).toBeVisible();
  await expect(bakery.getByText("3 / 5 stamps")).toBeVisible();

  // One history table per program, with its own unit and balance, and where it happened.
  const history = member.getByRole("region", { name: "History" });
  const cafeHistory = history.getByRole("table", { name: `History of ${CAFE}` });
  await expect(cafeHistory.getByRole("columnheader", { name: "Stars" })).toBeVisible();
  await expect(cafeHistory.getByRole("cell", { name: /^Demo purchase|^Purchase of €/ }).first()).toBeVisible();
  const bakeryHistory = history.getByRole("table", { name: `History of ${BAKERY}` });
  await expect(bakeryHistory).toHaveCount(0); // no points ever moved there
  await expect(history).not.toContainText("ref ");
  await expect(history).not.toContainText(" x ");

  // A free perk for Gold; the bakery's free loaf is the stamp card's, not in the catalogue.
  const offers = member.getByRole("region", { name: "Rewards to redeem" });
  const perk = offers.locator("li.reward", { hasText: "Gold tasting morning" });
  await expect(perk).toContainText("Free");
  await expect(perk).toContainText("This reward is for a higher tier.");
  await expect(offers).not.toContainText("Free sourdough loaf");
  await expect(offers).not.toContainText("1 points");
});

test("redeeming on the portal asks once and shows the code under the reward", async ({ browser }) => {
  const member = await page(browser);
  await signIn(member, demo.member);
  await expect(member).toHaveURL(/\/portal$/);
  await hydrated(member);
  const cafe = member.getByRole("region", { name: CAFE });
  const before = Number((await cafe.getByTestId("balance").textContent())!.replace(/,/g, ""));
  const offer = member.locator("li.reward", { hasText: "Free filter coffee" });
  await offer.getByText("Redeem", { exact: true }).click();
  await expect(offer.getByText("Spend 100 Stars on Free filter coffee?")).toBeVisible();
  await offer.getByRole("button", { name: "Yes, redeem" }).click();
  const done = offer.getByTestId("redeemed");
  await expect(done).toContainText("Free filter coffee is yours.");
  await expect(done).toBeInViewport();
  const code = (await done.locator(".code-big").textContent())!.trim();
  expect(code).toMatch(/^RW-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  await expect(cafe.getByTestId("balance")).toHaveText((before - 100).toLocaleString("en-US"));
  // Codes to use come first, in a table.
  const mine = member.getByRole("region", { name: "Your rewards" });
  await expect(mine.getByRole("table", { name: "Rewards to use" }).getByRole("cell", { name: code })).toBeVisible();
});

test("Manage names tiers and programs, wraps a new key's secret with a copy button and empties the form", async ({ browser }) => {
  const admin = await page(browser);
  await admin.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await signIn(admin, demo.admin);
  await expect(admin).toHaveURL(/\/manage$/);
  await admin.goto("/manage/keys");
  await hydrated(admin);
  const name = unique("Till ");
  await admin.getByLabel("Name", { exact: true }).fill(name);
  await admin.getByLabel("Program").selectOption({ label: CAFE });
  // Checkbox and label on one line.
  const box = await admin.getByLabel("Look up members, balances and rewards").boundingBox();
  const label = await admin.getByText("Look up members, balances and rewards").boundingBox();
  expect(Math.abs(box!.y + box!.height / 2 - (label!.y + label!.height / 2))).toBeLessThan(8);
  await admin.getByLabel("Look up members, balances and rewards").check();
  await admin.getByRole("button", { name: "Create key" }).click();
  const secret = admin.getByTestId("secret");
  await expect(secret).toBeVisible();
  await noSidewaysScroll(admin);
  await admin.getByRole("button", { name: "Copy the key" }).click();
  await expect(admin.getByText("Copied")).toBeVisible();
  expect(await admin.evaluate(() => navigator.clipboard.readText())).toBe((await secret.textContent())!.trim());
  await expect(admin.getByLabel("Name", { exact: true })).toHaveValue("");
  await expect(admin.getByLabel("Look up members, balances and rewards")).not.toBeChecked();
  const listed = admin.locator("li", { hasText: name });
  await expect(listed).toContainText(`· ${CAFE}`);
  await expect(listed).not.toContainText("program #");

  // A rule for one tier names the tier.
  await admin.goto("/manage");
  await admin.getByRole("link", { name: CAFE }).click();
  await admin.getByRole("link", { name: "Earning rules" }).click();
  await hydrated(admin);
  const rule = unique("Gold bonus ");
  // The rows' own forms are folded away: the new rule's form is the one on show.
  await admin.getByRole("textbox", { name: "Rule name" }).fill(rule);
  await admin.getByRole("textbox", { name: "Amount", exact: true }).fill("10");
  await admin.getByRole("checkbox", { name: "Gold", exact: true }).check();
  await admin.getByRole("button", { name: "Add rule" }).click();
  const row = admin.locator("li", { hasText: rule });
  await expect(row).toContainText("tier Gold");
  await expect(row).not.toContainText("tier #");
});

test("a spend-based, calendar-year program says so in its tiers", async ({ browser }) => {
  const admin = await page(browser);
  await signIn(admin, demo.admin);
  await expect(admin).toHaveURL(/\/manage$/);
  const name = unique("Beauty ");
  const form = admin.locator("section", { has: admin.getByRole("heading", { name: "New program" }) });
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Point currency name").fill("Beauty Points");
  await form.getByLabel("Value of one point (minor units)").fill("1");
  await form.getByLabel("Points per currency unit").fill("1");
  await form.getByRole("button", { name: "Create program" }).click();
  await expect(admin.getByRole("heading", { name })).toBeVisible();
  await hydrated(admin);
  await admin.getByLabel("Tiers count").selectOption("spend");
  await admin.getByLabel("Tiers qualify over").selectOption("calendar_year");
  await admin.getByRole("button", { name: "Save changes" }).click();
  await expect(admin.getByText("Saved.")).toBeVisible();
  await admin.reload();
  await hydrated(admin);
  await expect(admin.getByTestId("tier-basis")).toContainText("spend in EUR this calendar year");
  const add = admin.locator("form.tier-form").last();
  await add.getByLabel("Tier name").fill("VIB");
  await add.getByLabel("Qualifying threshold (spend in EUR this calendar year)").fill("350");
  await add.getByLabel("Earn multiplier").fill("1");
  await add.getByRole("button", { name: "Add tier" }).click();
  await expect(admin.getByText("VIB · from €350.00 spent · earns x1")).toBeVisible();
});

test("Manage is for admins: others get a 403 page without forms, a missing program a 404", async ({ browser }) => {
  const staff = await page(browser);
  await signIn(staff, demo.staff);
  await expect(staff).toHaveURL(/\/desk$/);
  for (const path of ["/manage", "/manage/keys", "/manage/programs/1/rules"]) {
    const res = await staff.goto(path);
    expect(res!.status(), path).toBe(403);
    await expect(staff.getByRole("heading", { name: "This page is not for your account" })).toBeVisible();
    await expect(staff.getByRole("navigation", { name: "Manage" })).toHaveCount(0);
    await expect(staff.locator("main form")).toHaveCount(0);
  }
  const admin = await page(browser);
  await signIn(admin, demo.admin);
  await expect(admin).toHaveURL(/\/manage$/);
  const res = await admin.goto("/manage/programs/999999");
  expect(res!.status()).toBe(404);
  await expect(admin.getByText("Program was not found.")).toBeVisible();
});

test("an admin off-boards a leaver: disabled (signed out at once), enabled, new password, new role", async ({ browser }) => {
  const admin = await page(browser);
  await signIn(admin, demo.admin);
  await expect(admin).toHaveURL(/\/manage$/);
  await admin.goto("/manage/users");
  await hydrated(admin);
  const email = `${unique("leaver")}@example.com`;
  const create = admin.locator("section", { has: admin.getByRole("heading", { name: "New account" }) });
  await create.getByLabel("Name", { exact: true }).fill("Lee Leaver");
  await create.getByLabel("Email").fill(email);
  await create.getByLabel("Role").selectOption("staff");
  await create.getByLabel("Initial password").fill("a long enough password");
  await create.getByRole("button", { name: "Create account" }).click();
  await expect(admin.getByRole("cell", { name: email })).toBeVisible();

  const leaver = await page(browser);
  await signIn(leaver, email, "a long enough password");
  await expect(leaver).toHaveURL(/\/desk$/);

  const row = admin.getByRole("row", { name: new RegExp(email) });
  await openTools(row);
  await row.getByRole("button", { name: "Disable Lee Leaver" }).click();
  await expect(admin.getByText("Lee Leaver is disabled and signed out.")).toBeVisible();
  await expect(admin.getByRole("row", { name: new RegExp(email) })).toContainText("Disabled");
  const res = await leaver.goto("/desk");
  expect(res!.status()).toBe(401);
  await signIn(leaver, email, "a long enough password");
  await expect(leaver.getByText("That email and password do not match an account.").or(leaver.getByText(/disabled/))).toBeVisible();

  const again = admin.getByRole("row", { name: new RegExp(email) });
  await openTools(again);
  await again.getByRole("button", { name: "Enable Lee Leaver" }).click();
  await expect(admin.getByText("Lee Leaver is enabled.")).toBeVisible();

  const third = admin.getByRole("row", { name: new RegExp(email) });
  await openTools(third);
  await third.getByLabel("New password").fill("another long password");
  await third.getByRole("button", { name: "Reset password" }).click();
  await expect(admin.getByText("Lee Leaver has a new password and was signed out everywhere.")).toBeVisible();
  const fourth = admin.getByRole("row", { name: new RegExp(email) });
  await openTools(fourth);
  await fourth.getByLabel("Role").selectOption("analyst");
  await fourth.getByRole("button", { name: "Change role" }).click();
  await expect(admin.getByText("Lee Leaver is now Analyst.")).toBeVisible();

  await signIn(leaver, email, "another long password");
  await expect(leaver).toHaveURL(/\/insights$/);
});

test("on a 390 px phone the Manage tabs scroll inside themselves and the header keeps one line", async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const admin = await ctx.newPage();
  await signIn(admin, demo.admin);
  await expect(admin).toHaveURL(/\/manage$/);
  for (const path of ["/manage", "/manage/programs/1", "/manage/keys", "/manage/users"]) {
    await admin.goto(path);
    await hydrated(admin);
    await noSidewaysScroll(admin);
    const header = await admin.locator(".site-header").boundingBox();
    expect(header!.height, `${path}: one header line`).toBeLessThan(70);
  }
  await ctx.close();
});

test("every page hydrates when opened directly, and refused pages hydrate too", async ({ browser }) => {
  test.setTimeout(180_000); // seventeen full page loads, each waiting for its code
  const cases: [string, RegExp, string[]][] = [
    [demo.admin, /\/manage$/, ["/manage", "/manage/programs/1", "/manage/programs/1/rules", "/manage/programs/1/rewards",
      "/manage/programs/1/segments", "/manage/programs/1/campaigns", "/manage/stores", "/manage/cards", "/manage/approvals", "/manage/users", "/manage/keys", "/manage/webhooks", "/desk", "/insights"]],
    [demo.staff, /\/desk$/, ["/desk", "/manage", "/manage/users"]],
    [demo.member, /\/portal$/, ["/desk", "/insights"]],
  ];
  for (const [email, home, paths] of cases) {
    const p = await page(browser);
    await signIn(p, email);
    await expect(p).toHaveURL(home);
    for (const path of paths) {
      await p.goto(path);
      await hydrated(p);
    }
  }
});
