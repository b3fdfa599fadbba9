//! The journey form, checked field by field: a name, a trigger (with its days where it takes
//! them), the goal, and one to `MAX_STEPS` steps, each with valid values. Branches go to a
//! later step or out, so a journey cannot loop; a step no path reaches, or a journey that
//! neither messages nor gives anything, is refused. Errors name the row as typed
//! (`steps.2.hours`); nothing is saved until all are right.

use crate::domain::lang::current;
use crate::domain::validate;
use crate::error::{count, AppError, Validator};
use crate::i18n::td_string;
use crate::model::journey::{Goal, JourneyForm, Step, StepKind, StepRow, Target, Test, TriggerKind};
use crate::model::message::{Channel, Topic};

/// Most steps a journey may have.
pub const MAX_STEPS: usize = 30;
/// Longest wait, in hours (a year).
pub const MAX_WAIT_HOURS: i64 = 24 * 366;
/// Most days a trigger or condition may count.
pub const MAX_DAYS: i64 = 3650;
/// Most bonus points one step may give.
pub const MAX_POINTS: i64 = 1_000_000;

/// What the form is checked against: the program's own things.
#[derive(Debug, Default)]
pub struct Known<'a> {
    pub segment_ids: &'a [i64],
    pub tier_ids: &'a [i64],
    /// Active rewards.
    pub reward_ids: &'a [i64],
    /// Templates by name and channel (any language).
    pub templates: &'a [(String, Channel)],
    /// The highest step id the journey ever had (0 for a new one): new steps get higher
    /// ids, so an entry at a removed step never lands on a new one.
    pub last_step_id: u32,
    /// The ids of the steps the journey has now: a row keeps its id only if it is one of
    /// them (a stale or altered form cannot bring a removed step back).
    pub step_ids: &'a [u32],
}

/// A checked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidJourney {
    pub id: Option<i64>,
    pub name: String,
    pub trigger: TriggerKind,
    pub trigger_days: Option<i64>,
    pub reentry: bool,
    pub goal: Goal,
    pub steps: Vec<Step>,
}

/// Where each form row (by its index) stands among the steps (1-based), None for a blank row.
type Positions = [Option<usize>];

/// A branch as typed on row `i`: "next" (or empty), "exit", or a later row's number as the
/// editor shows it (blank rows keep their numbers, so the number means what was seen).
fn target(v: &mut Validator, field: &str, s: &str, i: usize, positions: &Positions) -> Option<Branch> {
    let lang = current();
    let l = lang.locale;
    let row = i + 1;
    match s.trim() {
        "" | "next" => Some(Branch::Next),
        "exit" => Some(Branch::Exit),
        s => match validate::integer(s, 1, positions.len() as i64) {
            Ok(n) if n as usize <= row => {
                let (to, from) = (count(lang, n), count(lang, row as i64));
                v.add(
                    field,
                    td_string!(l, errors.journeys.loop_back, to = to, from = from).to_string(),
                );
                None
            }
            Ok(n) => match (positions[n as usize - 1], positions[i]) {
                (Some(to), Some(mine)) if to == mine + 1 => Some(Branch::Next),
                (Some(to), _) => Some(Branch::To(to)),
                (None, _) => {
                    v.add(
                        field,
                        td_string!(l, errors.journeys.empty_target, n = count(lang, n)).to_string(),
                    );
                    None
                }
            },
            Err(m) => {
                v.add(field, m);
                None
            }
        },
    }
}

/// A branch by step number, before ids are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Branch {
    Next,
    To(usize),
    Exit,
}

/// A step by number, before ids are known.
struct Parsed {
    kind: StepKind,
    /// Where a "no" or a timeout goes.
    branch: Option<Branch>,
}

fn id_of(s: &str) -> Option<u32> {
    s.trim().parse::<u32>().ok().filter(|n| *n > 0)
}

fn step(v: &mut Validator, i: usize, row: &StepRow, positions: &Positions, known: &Known) -> Option<Parsed> {
    let l = current().locale;
    let field = |f: &str| format!("steps.{i}.{f}");
    let hours =
        |v: &mut Validator| v.check(&field("hours"), validate::integer(&row.hours, 1, MAX_WAIT_HOURS));
    fn pick<T>(v: &mut Validator, field: String) -> Option<T> {
        v.add(&field, td_string!(current().locale, errors.forms.choose_option));
        None
    }
    match row.kind.trim() {
        "wait" => Some(Parsed {
            kind: StepKind::Wait { hours: hours(v)? },
            branch: None,
        }),
        "wait_for_purchase" => {
            let h = hours(v);
            let branch = target(v, &field("target"), &row.target, i, positions);
            Some(Parsed {
                kind: StepKind::WaitForPurchase {
                    hours: h?,
                    if_not: Target::Next,
                },
                branch: Some(branch?),
            })
        }
        "condition" => {
            // The editor's one select says "in_segment:7" (a bad choice is the select's);
            // the API may send test and value apart (a bad value is the value's).
            let (name, value, chosen) = match row.test.trim().split_once(':') {
                Some((t, v)) => (t, v.trim(), "test"),
                None => (row.test.trim(), row.value.trim(), "value"),
            };
            let test = match name {
                "in_segment" => match value.parse::<i64>() {
                    Ok(s) if known.segment_ids.contains(&s) => Some(Test::InSegment { segment_id: s }),
                    _ => pick(v, field(chosen)),
                },
                "tier" => match value.parse::<i64>() {
                    Ok(t) if known.tier_ids.contains(&t) => Some(Test::Tier { tier_id: t }),
                    _ => pick(v, field(chosen)),
                },
                "opted_in" => match Channel::parse(value) {
                    Some(channel) => Some(Test::OptedIn { channel }),
                    None => pick(v, field(chosen)),
                },
                // The days are typed in their own input (or sent after the colon).
                "active_within" => {
                    let days = if value.is_empty() { row.value.trim() } else { value };
                    v.check(&field("value"), validate::integer(days, 1, MAX_DAYS))
                        .map(|days| Test::ActiveWithin { days })
                }
                "purchased" => Some(Test::PurchasedSinceEntry),
                _ => pick(v, field("test")),
            };
            let branch = target(v, &field("target"), &row.target, i, positions);
            Some(Parsed {
                kind: StepKind::Condition {
                    test: test?,
                    if_not: Target::Next,
                },
                branch: Some(branch?),
            })
        }
        "points" => v
            .check(&field("points"), validate::integer(&row.points, 1, MAX_POINTS))
            .map(|points| Parsed {
                kind: StepKind::Points { points },
                branch: None,
            }),
        "reward" => match row.reward_id.trim().parse::<i64>() {
            Ok(r) if known.reward_ids.contains(&r) => Some(Parsed {
                kind: StepKind::Reward { reward_id: r },
                branch: None,
            }),
            _ => pick(v, field("reward_id")),
        },
        "message" => {
            let channel = Channel::parse(row.channel.trim());
            if channel.is_none() {
                v.add(&field("channel"), td_string!(l, errors.forms.choose_option));
            }
            // Journeys send what members opt in to: a service message would pass consent,
            // caps and unsubscribe by.
            let topic = Topic::parse(row.topic.trim()).filter(|t| *t != Topic::Service);
            if topic.is_none() {
                let message = if row.topic.trim() == Topic::Service.as_str() {
                    td_string!(l, errors.journeys.no_service)
                } else {
                    td_string!(l, errors.forms.choose_option)
                };
                v.add(&field("topic"), message);
            }
            let name = row.template.trim();
            let template = match channel {
                _ if name.is_empty() => pick(v, field("template")),
                Some(c) if !known.templates.iter().any(|(n, tc)| n == name && *tc == c) => {
                    v.add(
                        &field("template"),
                        td_string!(l, errors.journeys.no_template, name = name, channel = c.as_str())
                            .to_string(),
                    );
                    None
                }
                _ => Some(name.to_string()),
            };
            Some(Parsed {
                kind: StepKind::Message {
                    template: template?,
                    channel: channel?,
                    topic: topic?,
                },
                branch: None,
            })
        }
        "exit" => Some(Parsed {
            kind: StepKind::Exit,
            branch: None,
        }),
        _ => pick(v, field("kind")),
    }
}

/// Which steps (by index) some path from the first reaches.
fn reachable(kinds: &[(StepKind, Option<Branch>)]) -> Vec<bool> {
    let mut seen = vec![false; kinds.len()];
    if let Some(first) = seen.first_mut() {
        *first = true;
    }
    for i in 0..kinds.len() {
        if !seen[i] {
            continue;
        }
        let (kind, branch) = &kinds[i];
        if !matches!(kind, StepKind::Exit) && i + 1 < kinds.len() {
            seen[i + 1] = true;
        }
        if let Some(Branch::To(n)) = branch {
            seen[n - 1] = true;
        }
    }
    seen
}

pub fn parse(form: &JourneyForm, known: &Known) -> Result<ValidJourney, AppError> {
    let lang = current();
    let l = lang.locale;
    let mut v = Validator::new();
    let id = match form.id.trim() {
        "" => None,
        s => v.check("id", validate::integer(s, 1, i64::MAX)),
    };
    let name = match validate::name(&form.name) {
        Ok(n) if n.chars().count() > 80 => {
            v.add("name", validate::at_most_chars(80));
            None
        }
        r => v.check("name", r),
    };
    let trigger = TriggerKind::parse(form.trigger.trim());
    if trigger.is_none() {
        v.add("trigger", td_string!(l, errors.forms.choose_option));
    }
    let trigger_days = match trigger {
        Some(t) if t.takes_days() => v
            .check("trigger_days", validate::integer(&form.trigger_days, 1, MAX_DAYS))
            .map(Some),
        _ => Some(None),
    };
    let goal = match form.goal.trim() {
        "" => Some(Goal::None),
        g => Goal::parse(g),
    };
    if goal.is_none() {
        v.add("goal", td_string!(l, errors.forms.choose_option));
    }
    let rows: Vec<(usize, &StepRow)> = form
        .steps
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.kind.trim().is_empty())
        .collect();
    if rows.is_empty() {
        v.add("steps", td_string!(l, errors.journeys.no_steps));
    } else if rows.len() > MAX_STEPS {
        v.add(
            "steps",
            td_string!(
                l,
                errors.journeys.too_many_steps,
                n = count(lang, MAX_STEPS as i64)
            )
            .to_string(),
        );
    }
    let mut positions = vec![None; form.steps.len()];
    for (position, (i, _)) in rows.iter().enumerate() {
        positions[*i] = Some(position + 1);
    }
    let parsed: Vec<Option<Parsed>> = rows
        .iter()
        .map(|(i, row)| step(&mut v, *i, row, &positions, known))
        .collect();
    let all_parsed = parsed.iter().all(Option::is_some);
    let kinds: Vec<(StepKind, Option<Branch>)> =
        parsed.into_iter().flatten().map(|p| (p.kind, p.branch)).collect();
    if all_parsed && !kinds.is_empty() {
        for ((i, _), seen) in rows.iter().zip(reachable(&kinds)) {
            if !seen {
                v.add(
                    &format!("steps.{i}.kind"),
                    td_string!(l, errors.journeys.unreachable),
                );
            }
        }
        let acts = kinds.iter().any(|(k, _)| {
            matches!(
                k,
                StepKind::Message { .. } | StepKind::Points { .. } | StepKind::Reward { .. }
            )
        });
        if !acts {
            v.add("steps", td_string!(l, errors.journeys.does_nothing));
        }
    }
    v.finish()?;
    // Ids: a saved step keeps its own; new ones count on from the highest ever given.
    let mut next_id = known.step_ids.iter().copied().fold(known.last_step_id, u32::max);
    let mut ids = Vec::with_capacity(rows.len());
    for (_, r) in &rows {
        let kept = id_of(&r.id).filter(|id| known.step_ids.contains(id) && !ids.contains(id));
        ids.push(kept.unwrap_or_else(|| {
            next_id += 1;
            next_id
        }));
    }
    let resolve = |b: Branch| match b {
        Branch::Next => Target::Next,
        Branch::Exit => Target::Exit,
        Branch::To(n) => Target::Step(ids[n - 1]),
    };
    let steps = kinds
        .into_iter()
        .zip(&ids)
        .map(|((kind, branch), id)| {
            let kind = match (kind, branch) {
                (StepKind::WaitForPurchase { hours, .. }, Some(b)) => StepKind::WaitForPurchase {
                    hours,
                    if_not: resolve(b),
                },
                (StepKind::Condition { test, .. }, Some(b)) => StepKind::Condition {
                    test,
                    if_not: resolve(b),
                },
                (k, _) => k,
            };
            Step { id: *id, kind }
        })
        .collect();
    Ok(ValidJourney {
        id,
        name: name.unwrap_or_default(),
        trigger: trigger.unwrap_or(TriggerKind::Enrolled),
        trigger_days: trigger_days.flatten(),
        reentry: !form.reentry.trim().is_empty(),
        goal: goal.unwrap_or(Goal::None),
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str) -> StepRow {
        StepRow {
            kind: kind.into(),
            ..StepRow::default()
        }
    }

    fn message() -> StepRow {
        StepRow {
            template: "welcome".into(),
            channel: "email".into(),
            topic: "offers".into(),
            ..row("message")
        }
    }

    fn templates() -> Vec<(String, Channel)> {
        vec![("welcome".to_string(), Channel::Email)]
    }

    fn form(steps: Vec<StepRow>) -> JourneyForm {
        JourneyForm {
            program_id: 1,
            name: "Win back".into(),
            trigger: "inactive".into(),
            trigger_days: "60".into(),
            goal: "purchase".into(),
            steps,
            ..JourneyForm::default()
        }
    }

    fn fields(e: AppError) -> Vec<String> {
        match e {
            AppError::Validation { fields, .. } => fields.into_iter().map(|f| f.field).collect(),
            e => panic!("not a validation error: {e:?}"),
        }
    }

    #[test]
    fn a_win_back_parses_with_ids_and_branches() {
        let t = templates();
        let known = Known {
            templates: &t,
            segment_ids: &[7],
            ..Known::default()
        };
        let steps = vec![
            message(),
            StepRow {
                hours: "72".into(),
                target: "4".into(),
                ..row("wait_for_purchase")
            },
            StepRow {
                points: "500".into(),
                ..row("points")
            },
            StepRow {
                test: "in_segment:7".into(),
                target: "exit".into(),
                ..row("condition")
            },
            message(),
            row(""),
        ];
        let j = parse(&form(steps), &known).unwrap();
        assert_eq!(j.trigger, TriggerKind::Inactive);
        assert_eq!(j.trigger_days, Some(60));
        assert_eq!(j.goal, Goal::Purchase);
        assert_eq!(
            j.steps.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(
            j.steps[1].kind,
            StepKind::WaitForPurchase {
                hours: 72,
                if_not: Target::Step(4)
            }
        );
        assert_eq!(
            j.steps[3].kind,
            StepKind::Condition {
                test: Test::InSegment { segment_id: 7 },
                if_not: Target::Exit
            }
        );
    }

    #[test]
    fn saved_steps_keep_their_ids_and_new_ones_never_reuse_a_removed_id() {
        let t = templates();
        let known = Known {
            templates: &t,
            last_step_id: 6,
            step_ids: &[4, 6],
            ..Known::default()
        };
        let steps = vec![
            StepRow {
                id: "4".into(),
                ..message()
            },
            message(),
            // An id the journey never gave (typed into the hidden field) is not trusted, nor
            // one of a step removed since (a stale form): the old step's key would be reused.
            StepRow {
                id: "99".into(),
                ..message()
            },
            StepRow {
                id: "2".into(),
                ..message()
            },
        ];
        let j = parse(&form(steps), &known).unwrap();
        assert_eq!(j.steps.iter().map(|s| s.id).collect::<Vec<_>>(), vec![4, 7, 8, 9]);
        // The same saved id twice keeps it once.
        let twice = vec![
            StepRow {
                id: "4".into(),
                ..message()
            },
            StepRow {
                id: "4".into(),
                ..message()
            },
        ];
        let j = parse(&form(twice), &known).unwrap();
        assert_eq!(j.steps.iter().map(|s| s.id).collect::<Vec<_>>(), vec![4, 7]);
    }

    #[test]
    fn a_branch_back_is_a_loop_and_refused() {
        let t = templates();
        let known = Known {
            templates: &t,
            ..Known::default()
        };
        for back in ["1", "2"] {
            let steps = vec![
                message(),
                StepRow {
                    test: "purchased".into(),
                    target: back.into(),
                    ..row("condition")
                },
                message(),
            ];
            let e = parse(&form(steps), &known).unwrap_err();
            assert_eq!(fields(e), vec!["steps.1.target"], "back to {back}");
        }
        // Past the last step is no step at all.
        let steps = vec![
            StepRow {
                test: "purchased".into(),
                target: "5".into(),
                ..row("condition")
            },
            message(),
        ];
        assert_eq!(
            fields(parse(&form(steps), &known).unwrap_err()),
            vec!["steps.0.target"]
        );
    }

    #[test]
    fn a_branch_names_the_row_as_the_editor_numbers_it_blank_rows_included() {
        let t = templates();
        let known = Known {
            templates: &t,
            ..Known::default()
        };
        let steps = |target: &str| {
            vec![
                StepRow {
                    test: "purchased".into(),
                    target: target.into(),
                    ..row("condition")
                },
                row(""),
                message(),
                message(),
            ]
        };
        // Row 4 is the third step: the message after the next one.
        let j = parse(&form(steps("4")), &known).unwrap();
        assert_eq!(
            j.steps[0].kind,
            StepKind::Condition {
                test: Test::PurchasedSinceEntry,
                if_not: Target::Step(j.steps[2].id)
            }
        );
        // Row 3 is the step right after (the blank row is no step): the next one.
        let j = parse(&form(steps("3")), &known).unwrap();
        assert!(matches!(
            j.steps[0].kind,
            StepKind::Condition {
                if_not: Target::Next,
                ..
            }
        ));
        // Row 2 is blank: named, not silently moved.
        assert_eq!(
            fields(parse(&form(steps("2")), &known).unwrap_err()),
            vec!["steps.0.target"]
        );
    }

    #[test]
    fn journeys_do_not_send_service_messages() {
        let t = templates();
        let known = Known {
            templates: &t,
            ..Known::default()
        };
        let service = StepRow {
            topic: "service".into(),
            ..message()
        };
        assert_eq!(
            fields(parse(&form(vec![service]), &known).unwrap_err()),
            vec!["steps.0.topic"]
        );
    }

    #[test]
    fn unreachable_steps_empty_journeys_and_journeys_that_do_nothing_are_named() {
        let t = templates();
        let known = Known {
            templates: &t,
            ..Known::default()
        };
        let steps = vec![message(), row("exit"), message()];
        assert_eq!(
            fields(parse(&form(steps), &known).unwrap_err()),
            vec!["steps.2.kind"]
        );
        // A branch past the exit makes the step after it reachable.
        let steps = vec![
            StepRow {
                test: "purchased".into(),
                target: "4".into(),
                ..row("condition")
            },
            message(),
            row("exit"),
            message(),
        ];
        assert!(parse(&form(steps), &known).is_ok());
        assert_eq!(
            fields(parse(&form(vec![row("")]), &known).unwrap_err()),
            vec!["steps"]
        );
        let waits = vec![StepRow {
            hours: "5".into(),
            ..row("wait")
        }];
        assert_eq!(fields(parse(&form(waits), &known).unwrap_err()), vec!["steps"]);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let t = templates();
        let known = Known {
            templates: &t,
            reward_ids: &[3],
            tier_ids: &[2],
            ..Known::default()
        };
        let mut f = form(vec![
            StepRow {
                hours: "0".into(),
                ..row("wait")
            },
            StepRow {
                template: "welcome".into(),
                channel: "sms".into(),
                topic: "news".into(),
                ..row("message")
            },
            StepRow {
                reward_id: "4".into(),
                ..row("reward")
            },
            StepRow {
                points: "-5".into(),
                ..row("points")
            },
            StepRow {
                test: "tier".into(),
                value: "9".into(),
                ..row("condition")
            },
            StepRow {
                hours: "24".into(),
                ..row("wait_for_purchase")
            },
            row("teleport"),
        ]);
        f.name = " ".into();
        f.trigger = "moon".into();
        f.goal = "fame".into();
        let got = fields(parse(&f, &known).unwrap_err());
        assert_eq!(
            got,
            vec![
                "name",
                "trigger",
                "goal",
                "steps.0.hours",
                "steps.1.topic",
                "steps.1.template",
                "steps.2.reward_id",
                "steps.3.points",
                "steps.4.value",
                "steps.6.kind"
            ]
        );
        // Days are required where the trigger counts them.
        let mut f = form(vec![message()]);
        f.trigger_days = String::new();
        assert_eq!(fields(parse(&f, &known).unwrap_err()), vec!["trigger_days"]);
        f.trigger = "enrolled".into();
        assert_eq!(parse(&f, &known).unwrap().trigger_days, None);
    }
}
