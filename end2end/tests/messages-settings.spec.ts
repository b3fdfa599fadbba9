import { expect, test } from "@playwright/test";
import { demo, hydrated, signIn } from "./helpers";

test("a manager sets the program's time zone, quiet hours and caps, with each bad field named", async ({ page }) => {
  await signIn(page, demo.admin);
  await page.goto("/manage/programs/1");
  await hydrated(page);
  await page.getByRole("link", { name: "Messages", exact: true }).click();
  await expect(page).toHaveURL(/\/manage\/programs\/1\/messages$/);
  await expect(page.getByRole("heading", { name: "Messages", level: 1 })).toBeVisible();
  try {
    await page.getByLabel("Program time zone").fill("Mars/Olympus");
    await page.getByLabel("From").fill("22:00");
    await page.getByLabel("Until").fill("");
    await page.getByLabel("A day").fill("4");
    await page.getByLabel("A week").fill("2");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByText("Give both the start and the end of quiet hours, or neither.")).toBeVisible();
    await expect(page.getByText("A week cannot allow fewer messages than a day.")).toBeVisible();
    await page.getByLabel("Program time zone").fill("Asia/Dubai");
    await page.getByLabel("Until").fill("08:00");
    await page.getByLabel("A week").fill("6");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();
    await page.reload();
    await hydrated(page);
    await expect(page.getByLabel("Program time zone")).toHaveValue("Asia/Dubai");
    await expect(page.getByLabel("From")).toHaveValue("22:00");
    await expect(page.getByLabel("A week")).toHaveValue("6");
  } finally {
    // Put the demo's defaults back for other tests, whatever happened above.
    await page.goto("/manage/programs/1/messages");
    await hydrated(page);
    await page.getByLabel("Program time zone").fill("UTC");
    await page.getByLabel("From").fill("21:00");
    await page.getByLabel("Until").fill("09:00");
    await page.getByLabel("A day").fill("1");
    await page.getByLabel("A week").fill("3");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();
  }
});
