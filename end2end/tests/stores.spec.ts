import { expect, test } from "@playwright/test";
import { demo, hydrated, signIn, unique } from "./helpers";
import { PROGRAM, findMember, pagesPerTest, signInAtDesk } from "./journeys";

const open = pagesPerTest();

test("a manager adds a store, and the desk books what was bought there", async ({ browser }) => {
  test.slow(); // two people, each signing in and hydrating
  const admin = await open(browser);
  await signIn(admin, demo.admin);
  await expect(admin).toHaveURL(/\/manage$/);
  await admin.getByRole("navigation", { name: "Manage" }).getByRole("link", { name: "Stores" }).click();
  await expect(admin).toHaveURL(/\/manage\/stores$/);
  await hydrated(admin);
  const code = unique("S-").toUpperCase();
  const name = `Store ${code}`;
  const form = admin.locator("section", { has: admin.getByRole("heading", { name: "Add or change a store" }) });
  await form.getByLabel("Code").fill(code.toLowerCase());
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Time zone").fill("Asia/Atlantis");
  await form.getByRole("button", { name: "Save store" }).click();
  await expect(form.getByText("Use a time zone name such as Europe/Paris or Asia/Riyadh.")).toBeVisible();
  await form.getByLabel("Time zone").fill("Asia/Riyadh");
  await form.getByRole("button", { name: "Save store" }).click();
  await expect(form.getByRole("status")).toHaveText(`Saved ${name} (${code}).`);
  const row = admin.getByRole("row").filter({ hasText: code });
  await expect(row).toContainText("Asia/Riyadh");
  await expect(row).toContainText("open");

  const staff = await open(browser);
  await signInAtDesk(staff);
  const found = await findMember(staff, "+49 151 12345678", "Mia Member");
  await found.getByRole("combobox", { name: "Program", exact: true }).selectOption({ label: `${PROGRAM} (EUR)` });
  await found.getByRole("combobox", { name: "Store" }).selectOption({ label: `${name} (${code})` });
  await found.getByText("What was bought (optional)").click();
  await found.getByLabel("SKU, line 1").fill("LATTE");
  await found.getByLabel("Quantity, line 1").fill("2");
  await found.getByLabel("Line total, line 1").fill("7.00");
  await found.getByLabel("SKU, line 2").fill("CAKE");
  await found.getByLabel("Line total, line 2").fill("3.50");
  await found.getByLabel("Amount paid").fill("11.00");
  await found.getByRole("button", { name: "Record purchase" }).click();
  await expect(found.getByText("The lines add up to €10.50, not €11.00.")).toBeVisible();
  // Without an amount, the lines give it.
  await found.getByLabel("Amount paid").fill("");
  await found.getByRole("button", { name: "Record purchase" }).click();
  await expect(staff.getByRole("heading", { name: new RegExp(`^\\+\\d+ Stars for Mia Member in ${PROGRAM}$`) })).toBeVisible();
  // The store just used is offered first from now on.
  await expect(
    found.getByRole("combobox", { name: "Store" }).getByRole("option", { name: `${name} (${code})`, selected: true }),
  ).toHaveCount(1);

  // Closed, the store is no longer offered at the desk.
  await row.getByRole("button", { name: `Close ${code}` }).click();
  await expect(row).toContainText("closed");
  await staff.reload();
  const again = staff.getByRole("region", { name: "Member Mia Member", exact: true });
  await expect(again.getByRole("combobox", { name: "Store" }).getByRole("option", { name: `${name} (${code})` })).toHaveCount(0);
});
