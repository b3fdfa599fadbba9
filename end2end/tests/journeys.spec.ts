import { expect, test, type Page } from "@playwright/test";
import { demo, hydrated, signIn, unique } from "./helpers";
import { pagesPerTest, signUp } from "./journeys";

const newPage = pagesPerTest();

/** A program of its own: a running welcome journey in the demo program would greet the
 * members other tests sign up. Returns its id and name. */
async function ownProgram(admin: Page): Promise<[number, string]> {
  const name = unique("Journey Club");
  const res = await admin.request.post("/api/save_program", {
    headers: { accept: "application/json" },
    form: {
      "input[name]": name,
      "input[currency_name]": "Stars",
      "input[currency_code]": "EUR",
      "input[point_value_minor]": "1",
      "input[points_per_unit]": "10",
    },
  });
  expect(res.ok(), await res.text()).toBeTruthy();
  return [(await res.json()).id as number, name];
}

test("a manager builds a welcome journey, is told of an unreachable step, starts it, and sees a new member go through it", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const admin = await newPage(browser);
  await signIn(admin, demo.admin);
  const [pid, programName] = await ownProgram(admin);

  // The message the journey sends.
  const template = unique("hello");
  await admin.goto(`/manage/programs/${pid}/templates`);
  await hydrated(admin);
  await admin.getByLabel("Name").fill(template);
  await admin.getByLabel("Channel").selectOption({ label: "Inbox" });
  await admin.getByLabel("Subject").fill("Welcome, {{ first_name }}");
  await admin.getByLabel("Message").fill("You have {{ balance }} {{ points_name }}.");
  await admin.getByRole("button", { name: "Save the template" }).click();
  await expect(admin.getByRole("status").filter({ hasText: `Template ${template} saved.` })).toBeVisible();

  // Messages at any hour in this program: a new program is quiet from 21:00 to 09:00 UTC,
  // when CI may well run.
  await admin.goto(`/manage/programs/${pid}/messages`);
  await hydrated(admin);
  await admin.getByLabel("From").fill("");
  await admin.getByLabel("Until").fill("");
  await admin.getByRole("button", { name: "Save settings" }).click();
  await expect(admin.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();

  // The journey, reached from the program's page.
  await admin.goto(`/manage/programs/${pid}`);
  await admin.getByRole("link", { name: "Journeys", exact: true }).click();
  await expect(admin).toHaveURL(new RegExp(`/manage/programs/${pid}/journeys$`));
  await hydrated(admin);
  await expect(admin.getByText("No journeys yet.")).toBeVisible();
  const journey = unique("Welcome");
  await admin.getByLabel("Name").fill(journey);
  await admin.getByLabel("Members enter when").selectOption({ label: "Joins the program" });
  await admin.locator("#step-0-kind").selectOption({ label: "Give points" });
  await admin.locator("#step-0-points").fill("50");
  await admin.locator("#step-1-kind").selectOption({ label: "Send a message" });
  await admin.locator("#step-1-template").selectOption(template);
  await admin.locator("#step-1-channel").selectOption({ label: "Inbox" });
  await admin.locator("#step-1-topic").selectOption({ label: "Offers" });
  // Only the chosen kind's inputs show.
  await expect(admin.locator("#step-1-points")).toBeHidden();
  await admin.getByRole("button", { name: "Add a step" }).click();
  await admin.getByRole("button", { name: "Add a step" }).click();
  await admin.locator("#step-2-kind").selectOption({ label: "Leave the journey" });
  await admin.locator("#step-3-kind").selectOption({ label: "Wait" });
  await admin.locator("#step-3-hours").fill("24");
  await admin.getByRole("button", { name: "Save journey" }).click();
  await expect(admin.getByRole("alert").filter({ hasText: "No member can reach this step" })).toBeVisible();
  await expect(admin.getByText("No journeys yet.")).toBeVisible();
  await admin.locator("#step-3-kind").selectOption({ label: "— no step —" });
  await admin.getByRole("button", { name: "Save journey" }).click();
  await expect(admin.getByRole("status").filter({ hasText: `Journey ${journey} saved.` })).toBeVisible();
  const row = admin.getByRole("row").filter({ hasText: journey });
  await expect(row).toContainText("Draft");
  await row.getByRole("button", { name: "Start" }).click();
  await expect(row).toContainText("Running");

  // A member who takes offers in the inbox joins the program after it started.
  const member = await newPage(browser);
  const email = await signUp(member, "Wren Welcome");
  await hydrated(member);
  const prefs = member.getByRole("region", { name: "Messages from us" });
  await prefs.getByText("Messages from us: where and about what").click();
  await prefs.getByLabel("Offers and promotions").check();
  await prefs.getByRole("button", { name: "Save my choices" }).click();
  await expect(prefs.getByRole("status")).toHaveText("Your choices are saved.");
  await member.getByRole("button", { name: `Join ${programName}` }).click();
  const card = member.getByRole("region", { name: programName });
  await expect(card.getByTestId("balance")).toHaveText("0");

  // The journeys worker runs every 15 seconds; the outbox delivers every 2.
  await admin.goto(`/manage/programs/${pid}/journeys`);
  await row.getByRole("link", { name: "Report" }).click();
  await expect(admin).toHaveURL(new RegExp(`/manage/programs/${pid}/journeys/\\d+$`));
  const summary = admin.getByTestId("journey-summary");
  await expect(async () => {
    await admin.reload();
    await expect(summary.getByText("Finished")).toBeVisible({ timeout: 1_000 });
    await expect(summary.locator(".kpi").filter({ hasText: "Finished" }).locator("dd")).toHaveText("1", {
      timeout: 1_000,
    });
  }).toPass({ timeout: 60_000 });
  await expect(admin.getByRole("figure", { name: "Members at each step" }).locator("svg")).toBeVisible();
  const steps = admin.getByRole("table").first();
  await expect(steps.getByRole("row").nth(1)).toContainText("Give 50 points");
  await expect(steps.getByRole("row").nth(1)).toContainText("done 1");
  await expect(steps.getByRole("row").nth(2)).toContainText(`Send ${template} by Inbox`);
  await expect(admin.getByRole("link", { name: /journey-report\.csv/ })).toHaveAttribute("href", /^data:text\/csv/);

  // The member got the points and the message, which names them.
  await expect(async () => {
    await member.reload();
    await hydrated(member);
    await expect(card.getByTestId("balance")).toHaveText("50", { timeout: 1_000 });
    await expect(member.getByRole("region", { name: /^Inbox/ }).getByTestId("inbox-message")).toContainText(
      "Welcome, Wren",
      { timeout: 1_000 },
    );
  }).toPass({ timeout: 30_000 });
  await member
    .getByRole("region", { name: /^Inbox/ })
    .getByTestId("inbox-message")
    .getByText("Welcome, Wren")
    .click();
  await expect(member.getByText("You have 50 Stars.")).toBeVisible();

  // Manage sees what became of the member's messages.
  await admin.goto(`/manage/programs/${pid}/messages`);
  await hydrated(admin);
  await admin.getByLabel("Member (card number, email or phone)").fill(email);
  await admin.getByRole("button", { name: "Show their messages" }).click();
  const sent = admin.getByTestId("member-message").filter({ hasText: "Welcome, Wren" });
  await expect(sent).toContainText("journey");
  await expect(sent).toContainText("Sent");

  // A running journey is paused before it is edited.
  await admin.goto(`/manage/programs/${pid}/journeys`);
  await hydrated(admin);
  await row.getByRole("button", { name: "Pause" }).click();
  await expect(row).toContainText("Paused");
  await expect(row.getByRole("button", { name: "Delete" })).toHaveCount(0);
});
