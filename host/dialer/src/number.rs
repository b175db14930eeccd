//! Phone numbers of contacts: their E.164 form and what their country says about the
//! contact's time zone.
//!
//! Numbers are stored in E.164 so that the same person is the same number whatever way
//! the list wrote it (`06 1234 5678`, `0039 06...`, `+39 06...`), and so that carriers
//! get one unambiguous form. Parsing and validity are libphonenumber's rules, through
//! the `phonenumber` crate; this module only wraps them in the few shapes the import
//! needs, so that the crate's types stay out of the dialer's interfaces.

use std::fmt;

use phonenumber::country::Id;
use phonenumber::metadata::{DATABASE, Descriptors};
use phonenumber::{Mode, PhoneNumber};

/// A country (ISO 3166 alpha-2, as libphonenumber knows it) whose numbering plan is
/// used to read numbers written without an international prefix, and which a number
/// turns out to belong to.
///
/// A type rather than a string so that an unknown code is caught once, when a list's
/// options are read, instead of failing every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region(Id);

impl Region {
    /// Reads an ISO 3166 alpha-2 code, in either case; `None` when libphonenumber has
    /// no numbering plan for it.
    pub fn parse(code: &str) -> Option<Region> {
        let code = code.trim();
        if code.len() != 2 || !code.is_ascii() {
            return None;
        }
        code.to_ascii_uppercase().parse().ok().map(Region)
    }

    /// The upper-case ISO 3166 alpha-2 code.
    pub fn code(&self) -> &str {
        self.0.as_ref()
    }

    /// The time zone of the whole country, when it has only one: see [`zone_for_region`].
    pub fn zone(&self) -> Option<&'static str> {
        zone_for_region(self.code())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A number as it is stored and dialled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    /// `+` and digits, e.g. `+390612345678`.
    pub e164: String,
    number: PhoneNumber,
}

impl Normalised {
    /// The country the number belongs to, which may differ from the list's region
    /// (`+33...` in an Italian list); `None` for numbers of no single country
    /// (international services).
    ///
    /// A method, not a field, because for country codes that several countries share
    /// (`+39` is Italy and the Vatican, `+44` Britain and the Channel Islands) it costs
    /// a pattern match, which the import only pays when it needs the country.
    ///
    /// Done here rather than with `PhoneNumber::country().id()`, which in `phonenumber`
    /// 0.3 drops the leading zeros of the national number before matching and so gets
    /// `None` for every Italian landline (`+39 06...`).
    pub fn region(&self) -> Option<Region> {
        let regions = DATABASE.region(&self.number.code().value())?;
        if let [only] = regions[..] {
            // "001" (international services) is no country and does not parse.
            return only.parse().ok().map(Region);
        }
        let national = self.number.national().to_string();
        regions.into_iter().find_map(|id| {
            let meta = DATABASE.by_id(id)?;
            let belongs = match meta.leading_digits() {
                Some(pattern) => pattern.find(&national).is_some_and(|m| m.start() == 0),
                None => has_type(meta.descriptors(), &national),
            };
            belongs.then(|| id.parse().ok().map(Region)).flatten()
        })
    }
}

/// Whether a national number is of a known type (fixed line, mobile...) in a country,
/// which is how libphonenumber picks among the countries sharing a code: the general
/// pattern alone is too broad (Britain's covers Guernsey's numbers).
fn has_type(descriptors: &Descriptors, national: &str) -> bool {
    descriptors.general().is_match(national)
        && [
            descriptors.premium_rate(),
            descriptors.toll_free(),
            descriptors.shared_cost(),
            descriptors.voip(),
            descriptors.personal_number(),
            descriptors.pager(),
            descriptors.uan(),
            descriptors.voicemail(),
            descriptors.fixed_line(),
            descriptors.mobile(),
        ]
        .into_iter()
        .flatten()
        .any(|descriptor| descriptor.is_match(national))
}

/// Why a written number cannot be called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Not a phone number at all (letters, too few digits...).
    #[error("{0:?} is not a phone number")]
    Unreadable(String),
    /// Readable, but no such number exists in its country's numbering plan (wrong
    /// length, unassigned range): dialling it would only waste a channel.
    #[error("{0:?} is not a valid phone number")]
    Invalid(String),
}

/// Reads a number as a person wrote it and gives its E.164 form.
///
/// `+` and `00` both introduce an international number; `00` is taken as such
/// whatever `region`'s own international prefix is, because lists are written by
/// people in many countries and `00` is by far the most common. Any other number is
/// read as a national number of `region`.
pub fn normalise(written: &str, region: Region) -> Result<Normalised, NumberError> {
    let written = written.trim();
    let number = match written.strip_prefix("00") {
        Some(rest) => phonenumber::parse(Some(region.0), format!("+{rest}")),
        None => phonenumber::parse(Some(region.0), written),
    }
    .map_err(|_| NumberError::Unreadable(written.to_owned()))?;
    if !number.is_valid() {
        return Err(NumberError::Invalid(written.to_owned()));
    }
    Ok(Normalised {
        e164: number.format().mode(Mode::E164).to_string(),
        number,
    })
}

/// The time zone of a country that has only one (IANA name), by its ISO 3166 alpha-2
/// code in upper case; `None` for a country spread over several zones or not listed.
///
/// Written by hand because no maintained crate maps a phone number or a country to its
/// time zones: libphonenumber's time-zone mapper is not part of its Rust port, and
/// `chrono-tz` knows zones, not countries. Only countries with a single zone are here:
/// for the others (US, CA, BR, RU, AU, MX, ID...) a number does not say where the
/// person is, so their contacts get the list's `timezone` column or the list's zone.
/// Spain is listed as `Europe/Madrid` although the Canary Islands are an hour behind:
/// calling them an hour "late" within the calling window was judged acceptable.
pub fn zone_for_region(region: &str) -> Option<&'static str> {
    let zone = match region {
        // European Union and the rest of Europe.
        "AT" => "Europe/Vienna",
        "BE" => "Europe/Brussels",
        "BG" => "Europe/Sofia",
        "CH" => "Europe/Zurich",
        "CY" => "Asia/Nicosia",
        "CZ" => "Europe/Prague",
        "DE" => "Europe/Berlin",
        "DK" => "Europe/Copenhagen",
        "EE" => "Europe/Tallinn",
        "ES" => "Europe/Madrid",
        "FI" => "Europe/Helsinki",
        "FR" => "Europe/Paris",
        "GB" => "Europe/London",
        "GR" => "Europe/Athens",
        "HR" => "Europe/Zagreb",
        "HU" => "Europe/Budapest",
        "IE" => "Europe/Dublin",
        "IS" => "Atlantic/Reykjavik",
        "IT" => "Europe/Rome",
        "LI" => "Europe/Vaduz",
        "LT" => "Europe/Vilnius",
        "LU" => "Europe/Luxembourg",
        "LV" => "Europe/Riga",
        "MC" => "Europe/Monaco",
        "MT" => "Europe/Malta",
        "NL" => "Europe/Amsterdam",
        "NO" => "Europe/Oslo",
        "PL" => "Europe/Warsaw",
        "RO" => "Europe/Bucharest",
        "RS" => "Europe/Belgrade",
        "SE" => "Europe/Stockholm",
        "SI" => "Europe/Ljubljana",
        "SK" => "Europe/Bratislava",
        "SM" => "Europe/San_Marino",
        "VA" => "Europe/Vatican",
        // Elsewhere.
        "AE" => "Asia/Dubai",
        "AR" => "America/Argentina/Buenos_Aires",
        "EG" => "Africa/Cairo",
        "HK" => "Asia/Hong_Kong",
        "IL" => "Asia/Jerusalem",
        "IN" => "Asia/Kolkata",
        "JP" => "Asia/Tokyo",
        "KR" => "Asia/Seoul",
        "NZ" => "Pacific/Auckland",
        "PH" => "Asia/Manila",
        "SG" => "Asia/Singapore",
        "TR" => "Europe/Istanbul",
        "ZA" => "Africa/Johannesburg",
        _ => return None,
    };
    Some(zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn it() -> Region {
        Region::parse("IT").unwrap()
    }

    #[test]
    fn national_and_international_forms_give_the_same_e164() {
        for written in [
            "06 1234 5678",
            "+39 06 1234 5678",
            "0039 06 1234 5678",
            "0612345678",
        ] {
            let n = normalise(written, it()).unwrap();
            assert_eq!(n.e164, "+390612345678", "{written}");
            assert_eq!(n.region(), Region::parse("it"), "{written}");
        }
    }

    #[test]
    fn a_foreign_number_keeps_its_own_country() {
        let n = normalise("+33 1 42 68 53 00", it()).unwrap();
        assert_eq!(n.e164, "+33142685300");
        assert_eq!(n.region().unwrap().code(), "FR");
        assert_eq!(n.region().unwrap().zone(), Some("Europe/Paris"));
    }

    #[test]
    fn invalid_and_unreadable_numbers_are_told_apart() {
        assert_eq!(
            normalise("06 12", it()),
            Err(NumberError::Invalid("06 12".into()))
        );
        assert_eq!(
            normalise("hello", it()),
            Err(NumberError::Unreadable("hello".into()))
        );
        // Italy's mobile numbers have ten digits.
        assert!(matches!(
            normalise("+39 333 123", it()),
            Err(NumberError::Invalid(_))
        ));
    }

    #[test]
    fn shared_country_codes_are_told_apart() {
        let region = |written| normalise(written, it()).unwrap().region().unwrap();
        assert_eq!(region("+39 333 123 4567").code(), "IT");
        assert_eq!(region("+44 20 7946 0000").code(), "GB");
        assert_eq!(region("+44 1481 256 789").code(), "GG");
        assert_eq!(region("+1 212 555 0123").code(), "US");
        assert_eq!(region("+1 416 555 0123").code(), "CA");
    }

    #[test]
    fn unknown_regions_are_refused() {
        assert_eq!(Region::parse("XX"), None);
        assert_eq!(Region::parse("ITA"), None);
        assert_eq!(Region::parse(""), None);
    }

    #[test]
    fn every_listed_zone_is_a_real_iana_zone() {
        for code in [
            "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR",
            "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL", "NO", "PL",
            "RO", "RS", "SE", "SI", "SK", "SM", "VA", "AE", "AR", "EG", "HK", "IL", "IN", "JP",
            "KR", "NZ", "PH", "SG", "TR", "ZA",
        ] {
            let zone = zone_for_region(code).unwrap_or_else(|| panic!("{code} is not listed"));
            assert!(zone.parse::<chrono_tz::Tz>().is_ok(), "{code}: {zone}");
            assert!(
                Region::parse(code).is_some(),
                "{code} is unknown to libphonenumber"
            );
        }
        for multi in ["US", "CA", "BR", "RU", "AU", "MX", "CL", "ID"] {
            assert_eq!(zone_for_region(multi), None, "{multi}");
        }
    }
}
