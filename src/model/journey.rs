//! Journeys: always-on automations. A trigger lets members in (a welcome on enrolment, a
//! win-back after days without activity...); each then goes through the journey's steps
//! (waits, yes/no conditions, incentives, messages) until the steps end, an exit, or the goal.

use serde::{Deserialize, Serialize};

use crate::model::ids::ProgramId;
use crate::model::message::{Channel, Topic};
use crate::model::time::Timestamp;

vocabulary! {
    /// What lets a member into a journey.
    pub enum TriggerKind {
        /// Joining the program (a welcome series).
        Enrolled = "enrolled",
        /// The member's first order in the program.
        FirstPurchase = "first_purchase",
        /// No activity for `days` days (win-back); once per lapse.
        Inactive = "inactive",
        /// Moving up a tier (a VIP welcome).
        TierUp = "tier_up",
        /// Points expiring within `days` days; once per expiry day.
        PointsExpiring = "points_expiring",
        /// The member's birthday, in the program's time zone.
        Birthday = "birthday",
        /// A survey answer of 0 to 6 (a detractor; service recovery).
        Detractor = "detractor",
        /// An order given back (service recovery).
        Return = "return",
        /// A reward issued and not used, `days` days before it expires.
        RewardUnused = "reward_unused",
    }
}

impl TriggerKind {
    /// Whether it takes a number of days.
    pub fn takes_days(self) -> bool {
        matches!(self, Self::Inactive | Self::PointsExpiring | Self::RewardUnused)
    }

    /// Whether it is a state looked at once a day (in the program's time zone) rather than
    /// events looked at as they happen.
    pub fn daily(self) -> bool {
        matches!(
            self,
            Self::Inactive | Self::PointsExpiring | Self::Birthday | Self::RewardUnused
        )
    }
}

vocabulary! {
    /// What counts as a journey having worked: a member who reaches it leaves, converted.
    pub enum Goal {
        None = "none",
        /// An order after entering.
        Purchase = "purchase",
    }
}

vocabulary! {
    /// Whether a journey runs.
    pub enum JourneyStatus {
        /// Being written: nobody enters.
        Draft = "draft",
        Active = "active",
        /// Stopped for now: nobody enters and nobody moves; it may be edited.
        Paused = "paused",
    }
}

vocabulary! {
    /// Where a member's entry is.
    pub enum EntryState {
        /// At a step.
        Active = "active",
        /// Went through every step, or reached an exit.
        Done = "done",
        /// Reached the journey's goal.
        Converted = "converted",
        /// Left early: a step could not run, or the step it was at was removed.
        Exited = "exited",
    }
}

/// Where a branch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The next step (the end after the last).
    Next,
    /// The step with this id (always a later one: journeys do not loop).
    Step(u32),
    /// Leave the journey.
    Exit,
}

/// A yes/no question about the member, now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "test", rename_all = "snake_case")]
pub enum Test {
    InSegment {
        segment_id: i64,
    },
    Tier {
        tier_id: i64,
    },
    OptedIn {
        channel: Channel,
    },
    /// Any activity (an order, a redemption...) in the last `days` days.
    ActiveWithin {
        days: i64,
    },
    /// An order since the member entered the journey.
    PurchasedSinceEntry,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepKind {
    Wait {
        hours: i64,
    },
    /// Waits for an order, at most `hours`: on an order the next step, else `if_not`.
    WaitForPurchase {
        hours: i64,
        if_not: Target,
    },
    /// Yes: the next step; no: `if_not`.
    Condition {
        #[serde(flatten)]
        test: Test,
        if_not: Target,
    },
    /// Bonus points, booked through the ledger once.
    Points {
        points: i64,
    },
    /// A reward from the catalogue, free, once (skipped when none is left).
    Reward {
        reward_id: i64,
    },
    /// The program's template `template` on `channel`, in the member's language.
    Message {
        template: String,
        channel: Channel,
        topic: Topic,
    },
    Exit,
}

/// One step; its id stays when the journey is edited (entries point at it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub id: u32,
    #[serde(flatten)]
    pub kind: StepKind,
}

/// A saved journey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    pub id: i64,
    pub program_id: ProgramId,
    pub name: String,
    pub trigger: TriggerKind,
    /// The trigger's days, where it takes them.
    pub trigger_days: Option<i64>,
    /// A member who left may enter again on a new occasion.
    pub reentry: bool,
    pub goal: Goal,
    pub steps: Vec<Step>,
    pub status: JourneyStatus,
    pub updated_at: Timestamp,
}

/// A journey in the list, with how many members are in it and have been.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyListed {
    pub journey: Journey,
    pub entered: i64,
    pub active: i64,
    pub converted: i64,
}

/// One step row of the Manage form. `kind` empty: no step (blank rows are left out).
/// `target` is "next", "exit" or a later step's number in the form (1-based); `value` is the
/// condition's segment, tier, channel or days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepRow {
    /// The step's id when it was saved before ("" for a new one).
    pub id: String,
    pub kind: String,
    pub hours: String,
    pub test: String,
    pub value: String,
    pub target: String,
    pub points: String,
    pub reward_id: String,
    pub template: String,
    pub channel: String,
    pub topic: String,
}

/// The Manage form: a new journey (`id` empty) or an edit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JourneyForm {
    pub program_id: i64,
    pub id: String,
    pub name: String,
    pub trigger: String,
    pub trigger_days: String,
    /// "on" when re-entry is allowed.
    pub reentry: String,
    pub goal: String,
    pub steps: Vec<StepRow>,
}

impl JourneyForm {
    /// The form for a saved journey; targets become step numbers again.
    pub fn of(j: &Journey) -> Self {
        let position = |id: u32| j.steps.iter().position(|s| s.id == id).map_or(0, |p| p + 1);
        let target = |t: Target| match t {
            Target::Next => "next".to_string(),
            Target::Exit => "exit".to_string(),
            Target::Step(id) => position(id).to_string(),
        };
        let steps = j
            .steps
            .iter()
            .map(|s| {
                let mut row = StepRow {
                    id: s.id.to_string(),
                    ..StepRow::default()
                };
                match &s.kind {
                    StepKind::Wait { hours } => {
                        row.kind = "wait".into();
                        row.hours = hours.to_string();
                    }
                    StepKind::WaitForPurchase { hours, if_not } => {
                        row.kind = "wait_for_purchase".into();
                        row.hours = hours.to_string();
                        row.target = target(*if_not);
                    }
                    StepKind::Condition { test, if_not } => {
                        row.kind = "condition".into();
                        row.target = target(*if_not);
                        let (name, value) = match test {
                            Test::InSegment { segment_id } => ("in_segment", segment_id.to_string()),
                            Test::Tier { tier_id } => ("tier", tier_id.to_string()),
                            Test::OptedIn { channel } => ("opted_in", channel.as_str().to_string()),
                            Test::ActiveWithin { days } => ("active_within", days.to_string()),
                            Test::PurchasedSinceEntry => ("purchased", String::new()),
                        };
                        row.test = name.into();
                        row.value = value;
                    }
                    StepKind::Points { points } => {
                        row.kind = "points".into();
                        row.points = points.to_string();
                    }
                    StepKind::Reward { reward_id } => {
                        row.kind = "reward".into();
                        row.reward_id = reward_id.to_string();
                    }
                    StepKind::Message {
                        template,
                        channel,
                        topic,
                    } => {
                        row.kind = "message".into();
                        row.template = template.clone();
                        row.channel = channel.as_str().into();
                        row.topic = topic.as_str().into();
                    }
                    StepKind::Exit => row.kind = "exit".into(),
                }
                row
            })
            .collect();
        Self {
            program_id: j.program_id.0,
            id: j.id.to_string(),
            name: j.name.clone(),
            trigger: j.trigger.as_str().into(),
            trigger_days: j.trigger_days.map(|d| d.to_string()).unwrap_or_default(),
            reentry: if j.reentry { "on".into() } else { String::new() },
            goal: j.goal.as_str().into(),
            steps,
        }
    }
}

/// One step in a journey's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// 1-based, as the editor numbers it.
    pub number: usize,
    pub step: Step,
    /// Members at this step now (waiting, or about to run it).
    pub here: i64,
    /// Members who passed it, by outcome ("done", "yes", "no", "purchase", "timeout",
    /// "skipped").
    pub outcomes: Vec<(String, i64)>,
}

/// What a journey did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyReport {
    pub journey: Journey,
    /// Entries: a member let in again (re-entry) counts each time.
    pub entered: i64,
    /// Members who entered, each once.
    pub members: i64,
    pub active: i64,
    pub done: i64,
    pub converted: i64,
    pub exited: i64,
    pub steps: Vec<StepReport>,
    /// The journey's messages by status (sent, pending, suppressed, failed).
    pub messages: Vec<(String, i64)>,
    /// Why messages were held back or suppressed, with counts.
    pub message_reasons: Vec<(String, i64)>,
    /// Members who passed each step, as an SVG bar chart (drawn by the server function).
    pub chart_svg: String,
}

/// What the editor offers: the program's segments, tiers, active rewards (id and name) and
/// template names by channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyChoices {
    pub segments: Vec<(i64, String)>,
    pub tiers: Vec<(i64, String)>,
    pub rewards: Vec<(i64, String)>,
    pub templates: Vec<(String, Channel)>,
}
