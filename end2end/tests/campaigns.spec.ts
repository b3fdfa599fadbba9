import { expect, test, type Page } from "@playwright/test";
import { demo, hydrated, signIn, unique } from "./helpers";
import { findMember, pagesPerTest, signInAtDesk, signUpAndJoin } from "./journeys";

const open = pagesPerTest();
const today = () => new Date().toISOString().slice(0, 10);

/** Saves a segment of the members who joined today (UTC); returns its name. */
async function newcomers(admin: Page): Promise<string> {
  await admin.goto("/manage/programs/1/segments");
  await hydrated(admin);
  const builder = admin.locator("section", { has: admin.getByRole("heading", { name: "New segment" }) });
  const name = unique("Newcomers ");
  await builder.getByLabel("Name", { exact: true }).fill(name);
  const first = builder.locator("li.condition").first();
  await first.getByLabel("Condition", { exact: true }).selectOption({ label: "Joined" });
  await first.getByLabel("From (YYYY-MM-DD)").fill(today());
  await first.getByLabel("To (YYYY-MM-DD)").fill(today());
  await builder.getByRole("button", { name: "Save segment" }).click();
  await expect(builder.getByRole("status").filter({ hasText: `Saved ${name}` })).toBeVisible();
  return name;
}

/** Saves an inbox template naming the offer; returns its name. */
async function offerTemplate(admin: Page): Promise<string> {
  const name = unique("offer");
  await admin.goto("/manage/programs/1/templates");
  await hydrated(admin);
  await admin.getByLabel("Name").fill(name);
  await admin.getByLabel("Channel").selectOption({ label: "Inbox" });
  await admin.getByLabel("Subject").fill("An offer for {{ first_name }}");
  await admin.getByLabel("Message").fill("{{ offer }}");
  await admin.getByRole("button", { name: "Save the template" }).click();
  await expect(admin.getByRole("status").filter({ hasText: `Template ${name} saved.` })).toBeVisible();
  return name;
}

/** Drafts and launches a campaign giving a free filter coffee to the segment, 10 % held out,
 * told by `template` in the inbox. */
async function launch(admin: Page, segment: string, template: string): Promise<string> {
  await admin.goto("/manage/programs/1/campaigns");
  await hydrated(admin);
  const form = admin.locator("section", { has: admin.getByRole("heading", { name: "New campaign" }) });
  const name = unique("Welcome ");
  await form.getByLabel("Name", { exact: true }).fill(name);
  const segmentId = await form.locator("#campaign-segment option", { hasText: segment }).getAttribute("value");
  await form.getByLabel("Segment").selectOption(segmentId!);
  await expect(form.getByLabel("Control group (%)")).toHaveValue("10");
  const variant = form.getByRole("group", { name: "Variant 1" });
  await variant.getByLabel("Incentive").selectOption({ label: "Free reward" });
  const coffee = await form.locator("#campaign-rewards option", { hasText: "Free filter coffee" }).first().getAttribute("value");
  await variant.getByLabel("Points, multiplier, reward or stamps").fill(coffee!);
  const message = form.getByRole("group", { name: "Tell members of their offer" });
  await message.getByLabel("Template", { exact: true }).selectOption(template);
  await message.getByLabel("Inbox").check();
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("status")).toHaveText(`Saved ${name}.`);
  const row = admin.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Draft");
  await expect(row).toContainText("Control 10.0% · A 90.0%");
  await row.getByRole("button", { name: `Launch ${name}` }).click();
  await expect(admin.getByRole("row").filter({ hasText: name })).toContainText("Running");
  return name;
}

test("a manager launches a campaign with a control group, a member takes the offer on the portal, staff use it at the Desk, and the report counts it", async ({ browser }) => {
  test.slow();
  const member = await open(browser);
  const who = unique("Cam ");
  const email = await signUpAndJoin(member, who);
  const admin = await open(browser);
  await signIn(admin, demo.admin);
  const segment = await newcomers(admin);
  const template = await offerTemplate(admin);

  // Bad input is named and saves nothing.
  await admin.goto("/manage/programs/1/campaigns");
  await hydrated(admin);
  const form = admin.locator("section", { has: admin.getByRole("heading", { name: "New campaign" }) });
  const bad = unique("Bad ");
  await form.getByLabel("Name", { exact: true }).fill(bad);
  await form.getByLabel("Control group (%)").fill("60");
  await form.getByLabel("Last day (UTC)").fill("2000-01-01");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByText("Enter a number from 0 to 50.")).toBeVisible();
  await expect(form.getByText("The end is before the start.")).toBeVisible();
  await expect(form.getByText("Choose one of this program's segments.")).toBeVisible();
  await expect(admin.getByRole("row").filter({ hasText: bad })).toHaveCount(0);
  // A message channel without a template is named too.
  await form.getByRole("group", { name: "Tell members of their offer" }).getByLabel("Email").check();
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByText("Choose the template the message uses, or no channel.")).toBeVisible();

  // The split comes from a hash of member and campaign: one member in ten is held out and
  // sees nothing. Until this member is in the variant, stop the campaign and launch another.
  let name = "";
  for (let attempt = 0; attempt < 4 && !name; attempt++) {
    const launched = await launch(admin, segment, template);
    await member.goto("/portal");
    await hydrated(member);
    const offer = member.getByTestId("campaign-offer").filter({ hasText: launched });
    if ((await offer.count()) > 0) {
      name = launched;
    } else {
      await admin.getByRole("row").filter({ hasText: launched }).getByRole("button", { name: `Stop ${launched}` }).click();
      await expect(admin.getByRole("row").filter({ hasText: launched })).toContainText("Ended");
    }
  }
  expect(name).not.toBe("");
  const offer = member.getByTestId("campaign-offer").filter({ hasText: name });
  await expect(offer).toContainText("Free filter coffee, free");
  await offer.getByRole("button", { name: "Get Free filter coffee" }).click();
  const code = (await member.getByTestId("campaign-offer").filter({ hasText: name }).getByTestId("offer-code").textContent())!.trim();
  expect(code).toMatch(/^RW-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  // It joins the member's rewards, with the PIN that proves the member is at the till.
  const held = member.getByRole("row").filter({ hasText: code });
  await expect(held).toContainText("Free filter coffee");
  const cells = await held.locator("td").allTextContents();
  const pin = cells.map((c) => c.trim()).find((c) => /^\d{6}$/.test(c))!;
  expect(pin).toMatch(/^\d{6}$/);

  // At the Desk the offer shows with its code; staff use it once.
  const staff = await open(browser);
  await signInAtDesk(staff);
  const found = await findMember(staff, email, who);
  await expect(found.getByTestId("campaign-offer").filter({ hasText: name })).toContainText(code);
  await staff.getByLabel("Reward code").fill(code);
  await staff.getByLabel("PIN").fill(pin);
  await staff.getByRole("button", { name: "Use code" }).click();
  await expect(staff.getByText(`Used: Free filter coffee (${code}). Hand it over.`)).toBeVisible();

  // The report: the member used it; the split, the figures and a CSV.
  await admin.goto("/manage/programs/1/campaigns");
  await hydrated(admin);
  await admin.getByRole("row").filter({ hasText: name }).getByRole("link", { name: `Report ${name}` }).click();
  await expect(admin).toHaveURL(/\/manage\/programs\/1\/campaigns\/\d+$/);
  await expect(admin.getByTestId("campaign-reach")).toHaveText(/^Reached [\d,]+ members/);
  const arms = admin.getByTestId("campaign-arm");
  await expect(arms).toHaveCount(2);
  await expect(arms.first()).toContainText("Control");
  await expect(arms.nth(1)).toContainText(/^A/);
  const used = Number((await arms.nth(1).locator("td").nth(3).textContent())!.split(" ")[0].replace(/,/g, ""));
  expect(used).toBeGreaterThanOrEqual(1);
  await expect(admin.getByRole("figure", { name: "Revenue per member in each arm" }).locator("svg")).toBeVisible();
  const csv = admin.getByRole("link", { name: /campaign-report\.csv/ });
  await expect(csv).toHaveAttribute("href", /^data:text\/csv/);
  await expect(admin.getByTestId("campaign-edits")).toContainText("launched");
  // The member was told of the offer in the inbox (the campaign worker runs every 15 s; the
  // message is sent, or waits for the program's quiet hours).
  const messages = admin.getByTestId("campaign-messages");
  await expect(messages).toContainText(`Template "${template}" by Inbox.`);
  await expect(async () => {
    await admin.reload();
    await expect(messages.getByRole("row").filter({ hasText: "campaign" })).toContainText("Inbox", { timeout: 1_000 });
  }).toPass({ timeout: 45_000 });
});
