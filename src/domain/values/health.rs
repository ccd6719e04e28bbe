//! Values of a health check: temperature, symptoms, and the client's idempotency key.

/// A body temperature in tenths of a degree Celsius, between 30.0 and 45.0 °C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Temperature(i32);

/// 37.3 °C and above is a fever (发热), the threshold of the national protocol.
pub const FEVER_THRESHOLD: Temperature = Temperature(373);

impl Temperature {
    /// Accepts 30.0 to 45.0 with at most one decimal (`36.8`, not `36.85`).
    pub fn parse(celsius: f64) -> Result<Self, String> {
        if !celsius.is_finite() {
            return Err("must be a number".into());
        }
        let tenths = (celsius * 10.0).round();
        if (celsius * 10.0 - tenths).abs() > 1e-6 {
            return Err("must have at most one decimal, e.g. 36.8".into());
        }
        if !(300.0..=450.0).contains(&tenths) {
            return Err("must be between 30.0 and 45.0 °C".into());
        }
        // In range, so the cast is exact.
        Ok(Self(tenths as i32))
    }

    pub fn from_tenths(tenths: i32) -> Self {
        Self(tenths)
    }

    pub fn tenths(self) -> i32 {
        self.0
    }

    pub fn celsius(self) -> f64 {
        f64::from(self.0) / 10.0
    }

    pub fn is_fever(self) -> bool {
        self >= FEVER_THRESHOLD
    }
}

impl std::fmt::Display for Temperature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{} °C", self.0 / 10, self.0 % 10)
    }
}

/// A symptom a grid worker can tick; stored as a bit in `health_check.symptoms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symptom {
    Cough,
    SoreThroat,
    ShortnessOfBreath,
    LossOfTasteOrSmell,
    RunnyNose,
    Fatigue,
    MuscleAche,
    Diarrhea,
}

impl Symptom {
    pub const ALL: [Symptom; 8] = [
        Self::Cough,
        Self::SoreThroat,
        Self::ShortnessOfBreath,
        Self::LossOfTasteOrSmell,
        Self::RunnyNose,
        Self::Fatigue,
        Self::MuscleAche,
        Self::Diarrhea,
    ];

    /// The listed respiratory symptoms that raise a fever alert even without a fever.
    pub const ALERTING: [Symptom; 4] = [
        Self::Cough,
        Self::SoreThroat,
        Self::ShortnessOfBreath,
        Self::LossOfTasteOrSmell,
    ];

    pub fn bit(self) -> i32 {
        1 << (Self::ALL.iter().position(|s| *s == self).unwrap_or(0))
    }

    pub fn to_bits(symptoms: &[Symptom]) -> i32 {
        symptoms.iter().fold(0, |bits, s| bits | s.bit())
    }

    pub fn from_bits(bits: i32) -> Vec<Symptom> {
        Self::ALL
            .into_iter()
            .filter(|s| bits & s.bit() != 0)
            .collect()
    }

    pub fn any_alerting(bits: i32) -> bool {
        Self::ALERTING.iter().any(|s| bits & s.bit() != 0)
    }
}

/// A client-generated key that makes a submission idempotent: 1 to 64 characters of
/// letters, digits and `-_.:`; a UUID fits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 1 to 64 letters, digits or -_.: (a UUID fits)".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperatures_have_one_decimal_and_a_range() {
        assert_eq!(Temperature::parse(36.8).unwrap().tenths(), 368);
        assert_eq!(Temperature::parse(37.0).unwrap().tenths(), 370);
        assert!(Temperature::parse(36.85).is_err());
        assert!(Temperature::parse(29.9).is_err());
        assert!(Temperature::parse(45.1).is_err());
        assert!(Temperature::parse(f64::NAN).is_err());
        assert!(Temperature::parse(30.0).is_ok() && Temperature::parse(45.0).is_ok());
    }

    #[test]
    fn a_fever_starts_at_thirty_seven_point_three() {
        assert!(!Temperature::parse(37.2).unwrap().is_fever());
        assert!(Temperature::parse(37.3).unwrap().is_fever());
        assert_eq!(Temperature::parse(38.5).unwrap().to_string(), "38.5 °C");
    }

    #[test]
    fn only_respiratory_symptoms_alert() {
        assert!(Symptom::any_alerting(Symptom::to_bits(&[
            Symptom::Fatigue,
            Symptom::Cough
        ])));
        assert!(!Symptom::any_alerting(Symptom::to_bits(&[
            Symptom::Fatigue,
            Symptom::Diarrhea
        ])));
        let all = Symptom::to_bits(&Symptom::ALL);
        assert_eq!(Symptom::from_bits(all), Symptom::ALL.to_vec());
    }

    #[test]
    fn idempotency_keys_are_short_and_plain() {
        assert!(IdempotencyKey::parse("5f0c6a3e-9d2b-4c1e-8f7a-2b3c4d5e6f70").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_err());
        assert!(IdempotencyKey::parse("a b").is_err());
    }
}
