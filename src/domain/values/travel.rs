//! Values met at checkpoints: vehicle plates and the list of risk areas.

/// A vehicle registration plate, as read at a checkpoint (e.g. 云A·12345, 粤B12345学):
/// 5 to 12 letters, digits or CJK characters, upper-cased, separators (space, `·`, `-`)
/// removed so that the same plate typed twice compares equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VehiclePlate(String);

impl VehiclePlate {
    pub fn parse(raw: &str) -> Result<Self, crate::i18n::Msg> {
        let plate: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '·' | '•' | '-' | '.'))
            .flat_map(char::to_uppercase)
            .collect();
        let count = plate.chars().count();
        let ok = (5..=12).contains(&count)
            && plate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ('\u{4e00}'..='\u{9fff}').contains(&c));
        if ok {
            Ok(Self(plate))
        } else {
            Err(crate::msg!("expected-travel-number"))
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The areas the health commission currently lists as medium or high risk (中高风险地区),
/// by name. A place of origin names a risk area when it contains one of the names, so
/// "湖北省武汉市洪山区" matches a listed "武汉市".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskAreas(Vec<Area>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Area {
    /// As listed, for messages.
    name: String,
    /// Lower-cased, without white space, for matching.
    key: String,
}

impl RiskAreas {
    /// A comma-separated list (either `,` or `，`); blanks are ignored.
    pub fn parse(list: &str) -> Self {
        Self(
            list.split([',', '，'])
                .map(|name| Area {
                    name: name.trim().to_owned(),
                    key: normalize(name),
                })
                .filter(|area| !area.key.is_empty())
                .collect(),
        )
    }

    /// The listed area a place lies in, if any.
    pub fn area_of(&self, place: &str) -> Option<&str> {
        let place = normalize(place);
        self.0
            .iter()
            .find(|area| place.contains(&area.key))
            .map(|area| area.name.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn normalize(name: &str) -> String {
    name.split_whitespace().collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_are_normalized_and_bounded() {
        assert_eq!(
            VehiclePlate::parse("云a·123 45").map(VehiclePlate::into_inner),
            Ok("云A12345".to_owned())
        );
        assert!(VehiclePlate::parse("A1").is_err());
        assert!(VehiclePlate::parse("云A12345\u{0}").is_err());
        assert!(VehiclePlate::parse("云A1234567890123").is_err());
    }

    #[test]
    fn a_place_matches_the_area_it_lies_in() {
        let areas = RiskAreas::parse(" 临州市, 北川县，Harbour Town ,,");
        assert_eq!(areas.len(), 3);
        assert_eq!(areas.area_of("东陵省临州市江南区"), Some("临州市"));
        assert_eq!(areas.area_of("harbour  town north"), Some("Harbour Town"));
        assert_eq!(areas.area_of("云州市"), None);
        assert_eq!(RiskAreas::parse("").area_of("临州市"), None);
    }
}
