import { expect, test } from "@playwright/test";
import { demo, hydrated, signIn } from "./helpers";
import { PROGRAM, pagesPerTest, signUpAndJoin } from "./journeys";

const newPage = pagesPerTest();
const count = async (text: Promise<string | null>) => Number((await text)!.replace(/,/g, ""));

test("a manager opens a survey, a member answers it on the portal, and the analyst sees it counted", async ({ browser }) => {
  // The manager opens a monthly survey (it closes the one the demo had open).
  const admin = await newPage(browser);
  await signIn(admin, demo.admin);
  await admin.getByRole("navigation", { name: "Manage" }).getByRole("link", { name: "Surveys" }).click();
  await expect(admin).toHaveURL(/\/manage\/surveys$/);
  await hydrated(admin);
  await admin.getByLabel("Program").selectOption({ label: PROGRAM });
  await admin.getByLabel("Members answer").selectOption({ label: "every month" });
  await admin.getByRole("button", { name: "Open survey" }).click();
  await expect(admin.getByText(`The survey of ${PROGRAM} is open`)).toBeVisible();
  const listed = admin.getByRole("row", { name: new RegExp(`^${PROGRAM} The standard NPS question every month 0 open`) });
  await expect(listed).toBeVisible();

  // The analyst's Satisfaction page for today, before the answer.
  const analyst = await newPage(browser);
  await signIn(analyst, demo.analyst);
  await analyst.getByRole("navigation", { name: "Insights pages" }).getByRole("link", { name: "Satisfaction" }).click();
  await expect(analyst).toHaveURL(/\/insights\/satisfaction/);
  await hydrated(analyst);
  const today = new Date().toISOString().slice(0, 10);
  await analyst.getByLabel("From").fill(today);
  await analyst.getByLabel("To", { exact: true }).fill(today);
  await analyst.getByLabel("Program", { exact: true }).selectOption({ label: PROGRAM });
  await analyst.getByRole("button", { name: "Show" }).click();
  await expect(analyst).toHaveURL(new RegExp(`from=${today}`));
  const answers = analyst.getByTestId("kpi-answers").locator(".kpi-value");
  await expect(answers).toHaveText(/\d/);
  const before = await count(answers.textContent());

  // A member answers on the portal: a 0-10 scale and a comment; the survey then goes away.
  const member = await newPage(browser);
  await signUpAndJoin(member, "Nadia Survey");
  const survey = member.getByTestId("survey");
  const question = survey.getByRole("group", { name: `How likely are you to recommend ${PROGRAM} to a friend or colleague?` });
  await expect(question).toBeVisible();
  await question.getByLabel("3", { exact: true }).check();
  await survey.getByLabel("What is the main reason for your score? (optional)").fill("Too slow at lunchtime");
  await survey.getByRole("button", { name: "Send answer" }).click();
  await expect(member.getByTestId("survey-thanks")).toHaveText("Thank you for your answer: 25 points added.");
  await expect(member.getByTestId("survey")).toHaveCount(0);
  await expect(member.getByRole("region", { name: PROGRAM }).getByTestId("balance")).toHaveText("25");

  // Counted: one more answer, the comment listed, in the table and its CSV.
  await analyst.reload();
  await hydrated(analyst);
  await expect(answers).toHaveText(String(before + 1));
  await expect(analyst.getByTestId("kpi-nps")).toContainText("Promoters (9–10) less detractors (0–6)");
  const comments = analyst.getByTestId("nps-comments");
  await expect(comments.getByRole("row", { name: /Too slow at lunchtime/ })).toContainText("Web shop");
  const href = await comments.getByRole("link", { name: "Download nps-comments.csv" }).getAttribute("href");
  const csv = decodeURIComponent(href!.slice(href!.indexOf(",") + 1));
  expect(csv).toContain(`,${PROGRAM},3,web,Green,Too slow at lunchtime\r\n`);
  const channels = analyst.getByTestId("nps-channels");
  await expect(channels.getByRole("row", { name: /^Web shop / })).toBeVisible();
  const chart = analyst.getByRole("figure", { name: "Net Promoter Score" });
  await expect(chart.locator("svg")).toBeVisible();
});

test("an analyst cannot open the Surveys page of Manage", async ({ page }) => {
  await signIn(page, demo.analyst);
  await page.goto("/manage/surveys");
  await expect(page.getByRole("button", { name: "Open survey" })).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "This page is not for your account" })).toBeVisible();
});
