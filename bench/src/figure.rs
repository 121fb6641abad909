//! `Figure`: one row of the results table (our figure, its reference, their ratio and the goal),
//! appended to the results file as tab-separated text for `bench/run` to print.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::args::BenchArgs;
use crate::error::BenchError;
use crate::stats::Paired;

/// One side of a goal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// At least this much.
    AtLeast(f64),
    /// Strictly less than this.
    Below(f64),
    /// At most this much.
    AtMost(f64),
}

impl Bound {
    fn holds(self, measured: f64) -> bool {
        match self {
            Self::AtLeast(limit) => measured >= limit,
            Self::Below(limit) => measured < limit,
            Self::AtMost(limit) => measured <= limit,
        }
    }

    fn describe(self, subject: &str, unit: &str) -> String {
        let (symbol, limit) = match self {
            Self::AtLeast(limit) => (">=", limit),
            Self::Below(limit) => ("<", limit),
            Self::AtMost(limit) => ("<=", limit),
        };
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!(" {unit}")
        };
        format!("{subject} {symbol} {}{unit}", format_limit(limit))
    }
}

/// What a figure must reach: a bound on the ratio, on the value, or both.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Goal {
    /// The bound on value / reference.
    pub ratio: Option<Bound>,
    /// The bound on the value itself, in the figure's unit.
    pub value: Option<Bound>,
}

impl Goal {
    /// A goal on the ratio only.
    pub fn ratio(bound: Bound) -> Self {
        Self {
            ratio: Some(bound),
            value: None,
        }
    }

    /// A goal on the value only.
    pub fn value(bound: Bound) -> Self {
        Self {
            ratio: None,
            value: Some(bound),
        }
    }

    /// A goal on both.
    pub fn both(ratio: Bound, value: Bound) -> Self {
        Self {
            ratio: Some(ratio),
            value: Some(value),
        }
    }
}

/// One measured figure beside its reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// The unit of `value` and `reference_value`.
    pub unit: String,
    /// Our figure (median of the rounds).
    pub value: f64,
    /// What the reference run was.
    pub reference_name: String,
    /// The reference's figure (median of the rounds), in the same unit.
    pub reference_value: f64,
    /// How the ratio is formed, e.g. `value/ref` or `full/incremental`.
    pub ratio_label: String,
    /// The ratio (median of the rounds' own ratios).
    pub ratio: f64,
    /// What the figure must reach.
    pub goal: Goal,
    /// How many rounds the medians are over.
    pub rounds: usize,
}

impl Figure {
    /// A figure from paired rounds: the medians of both sides and the median of the rounds'
    /// value/ref ratios; no goal yet.
    pub fn paired(name: &str, unit: &str, rounds: &Paired, reference_name: &str) -> Self {
        Self {
            name: name.to_owned(),
            unit: unit.to_owned(),
            value: rounds.value(),
            reference_name: reference_name.to_owned(),
            reference_value: rounds.reference(),
            ratio_label: "value/ref".to_owned(),
            ratio: rounds.ratio(),
            goal: Goal::default(),
            rounds: rounds.rounds(),
        }
    }

    /// The same figure with its ratio formed the other way round (ref/value), named `label`.
    pub fn inverted(mut self, label: &str, rounds: &Paired) -> Self {
        self.ratio_label = label.to_owned();
        self.ratio = rounds.inverse_ratio();
        self
    }

    /// The same figure with a goal.
    pub fn with_goal(mut self, goal: Goal) -> Self {
        self.goal = goal;
        self
    }

    /// Whether every bound of the goal holds; `None` when there is no goal.
    pub fn met(&self) -> Option<bool> {
        if self.goal.ratio.is_none() && self.goal.value.is_none() {
            return None;
        }
        let ratio_ok = self.goal.ratio.is_none_or(|bound| bound.holds(self.ratio));
        let value_ok = self.goal.value.is_none_or(|bound| bound.holds(self.value));
        Some(ratio_ok && value_ok)
    }

    /// The goal in words, e.g. `value/ref >= 0.25; value < 5 ms`.
    pub fn goal_text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(bound) = self.goal.ratio {
            parts.push(bound.describe(&self.ratio_label, ""));
        }
        if let Some(bound) = self.goal.value {
            parts.push(bound.describe("value", &self.unit));
        }
        if parts.is_empty() {
            "-".to_owned()
        } else {
            parts.join("; ")
        }
    }

    /// The row as tab-separated fields: figure, unit, value, reference, reference value, ratio,
    /// goal, met, rounds.
    pub fn tsv_row(&self) -> String {
        let met = match self.met() {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        let mut row = String::new();
        let _ = write!(
            row,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.name,
            self.unit,
            format_number(self.value),
            self.reference_name,
            format_number(self.reference_value),
            format_ratio(self.ratio),
            self.goal_text(),
            met,
            self.rounds,
        );
        row
    }

    /// Prints the figure and appends it to the results file, if any.
    pub fn report(&self, args: &BenchArgs) -> Result<(), BenchError> {
        eprintln!("figure: {}", self.tsv_row().replace('\t', " | "));
        let Some(path) = &args.results else {
            return Ok(());
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(BenchError::io(format!("open {}", path.display())))?;
        writeln!(file, "{}", self.tsv_row())
            .map_err(BenchError::io(format!("write {}", path.display())))
    }
}

/// A figure for a person: thousands grouped above 1,000, three significant digits below.
pub fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let magnitude = value.abs();
    if magnitude >= 1000.0 {
        let rounded = value.round() as i64;
        group_thousands(rounded)
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

/// A goal's limit: like [`format_number`], without trailing zeros.
fn format_limit(limit: f64) -> String {
    let text = format_number(limit);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

fn format_ratio(ratio: f64) -> String {
    if ratio.is_finite() && ratio.abs() >= 100.0 {
        format!("{ratio:.0}")
    } else if ratio.is_finite() && ratio.abs() >= 10.0 {
        format!("{ratio:.1}")
    } else {
        format!("{ratio:.2}")
    }
}

fn group_thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if value < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(value: f64, ratio: f64, goal: Goal) -> Figure {
        Figure {
            name: "scan".to_owned(),
            unit: "ms".to_owned(),
            value,
            reference_name: "reference".to_owned(),
            reference_value: 1.0,
            ratio_label: "value/ref".to_owned(),
            ratio,
            goal,
            rounds: 3,
        }
    }

    #[test]
    fn a_goal_holds_only_when_every_bound_holds() {
        let goal = Goal::both(Bound::Below(2.0), Bound::Below(5.0));
        assert_eq!(figure(1.0, 1.5, goal).met(), Some(true));
        assert_eq!(figure(6.0, 1.5, goal).met(), Some(false));
        assert_eq!(figure(1.0, 2.0, goal).met(), Some(false));
        assert_eq!(figure(1.0, 9.0, Goal::default()).met(), None);
        assert_eq!(
            figure(1.0, 0.3, Goal::ratio(Bound::AtLeast(0.25))).met(),
            Some(true)
        );
    }

    #[test]
    fn the_row_names_the_goal_and_its_outcome() {
        let row = figure(1.234, 1.5, Goal::both(Bound::Below(2.0), Bound::Below(5.0))).tsv_row();
        assert_eq!(
            row,
            "scan\tms\t1.23\treference\t1.00\t1.50\tvalue/ref < 2; value < 5 ms\tyes\t3"
        );
    }

    #[test]
    fn numbers_are_grouped_and_rounded_for_reading() {
        assert_eq!(format_number(1_234_567.8), "1,234,568");
        assert_eq!(format_number(5000.0), "5,000");
        assert_eq!(format_number(123.4), "123");
        assert_eq!(format_number(12.34), "12.3");
        assert_eq!(format_number(0.01234), "0.012");
        assert_eq!(format_ratio(0.254), "0.25");
        assert_eq!(format_limit(0.25), "0.25");
        assert_eq!(format_limit(5000.0), "5,000");
        assert_eq!(format_limit(20.0), "20");
        assert_eq!(format_ratio(84.2), "84.2");
    }
}
