//! Phone numbers of contacts: their E.164 form and what their country says about the
//! contact's time zone.
//!
//! Numbers are stored in E.164 so that the same person is the same number whatever way
//! the list wrote it (`06 1234 5678`, `0039 06...`, `+39 06...`), and so that carriers
//! get one unambiguous form. Parsing and validity are libphonenumber's rules and data,
//! from the `phonenumber` crate; this module wraps them in the few shapes the dialer
//! needs, so that the crate's types stay out of the dialer's interfaces, and applies
//! most of them itself, for speed (see [`normalise`]).

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use phonenumber::PhoneNumber;
use phonenumber::country::Id;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex::{Regex, RegexBuilder};

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
    region: Option<Region>,
}

impl Normalised {
    /// The country the number belongs to, which may differ from the list's region
    /// (`+33...` in an Italian list); `None` for numbers of no single country
    /// (international services).
    ///
    /// Found as libphonenumber finds it, by the patterns of the countries sharing the
    /// number's code (`+39` is Italy and the Vatican, `+44` Britain and the Channel
    /// Islands), and not with `PhoneNumber::country().id()`, which in `phonenumber`
    /// 0.3 drops the leading zeros of the national number before matching and so gets
    /// `None` for every Italian landline (`+39 06...`).
    pub fn region(&self) -> Option<Region> {
        self.region
    }
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
///
/// For speed, most of the work is done here from libphonenumber's metadata rather than
/// by `phonenumber`, which does it through a global, locked regex cache keyed by
/// pattern text and a parser combinator library: about 7 µs a number, too slow for
/// lists of a million rows. Numbers written with digits and separators only, in
/// countries whose national prefix rules are simple, are read here following
/// `phonenumber`'s rules step by step (see `read_plain`); any other is read by
/// `phonenumber`. Validity, the country and the E.164 text are always worked out here
/// (see `Plan`). Tests check both against `phonenumber` on every country's examples.
pub fn normalise(written: &str, region: Region) -> Result<Normalised, NumberError> {
    let written = written.trim();
    let plain = plain(written);
    let (code, national) = match plain.as_deref().and_then(|p| read_plain(p, region)) {
        Some((code, national)) => (code, Cow::Borrowed(national)),
        None => {
            let text = match plain {
                Some(plain) => Cow::Owned(plain),
                None => match written.strip_prefix("00") {
                    Some(rest) => Cow::Owned(format!("+{rest}")),
                    None => Cow::Borrowed(written),
                },
            };
            let number =
                read(&text, region).map_err(|_| NumberError::Unreadable(written.to_owned()))?;
            let code = number.code().value();
            if plans(code).is_none() {
                // A pattern our regex engine would not take (none does: `phonenumber`
                // builds them with the same engine): ask `phonenumber`, slowly but
                // rightly.
                if !number.is_valid() {
                    return Err(NumberError::Invalid(written.to_owned()));
                }
                return Ok(Normalised {
                    e164: format!("+{code}{}", number.national()),
                    region: number.country().id().map(Region),
                });
            }
            (code, Cow::Owned(number.national().to_string()))
        }
    };
    let region = plans(code)
        .and_then(|plans| find(plans, &national))
        .ok_or_else(|| NumberError::Invalid(written.to_owned()))?;
    Ok(Normalised {
        e164: format!("+{code}{national}"),
        region,
    })
}

/// `phonenumber`'s reading of a number, `+` or national.
///
/// An international number is read without the list's region: given one,
/// `phonenumber` 0.3 strips that region's national prefix from every number, so a
/// French list would turn `+39 06 1234 5678` into the invalid `+39 6 1234 5678`.
fn read(text: &str, region: Region) -> Result<PhoneNumber, phonenumber::ParseError> {
    let country = (!text.starts_with('+')).then_some(region.0);
    phonenumber::parse(country, text)
}

/// A number written with digits and the usual separators only (`+39 (06) 1234-5678`),
/// as `+` and digits, with `00` turned into `+`; `None` for anything else (letters,
/// extensions, `tel:` URIs), which is left to `phonenumber` as written.
///
/// `phonenumber` drops those separators too; dropping them first leaves `read_plain`
/// only digits to deal with, and saves `phonenumber` a third of its time on the rest.
fn plain(written: &str) -> Option<String> {
    let (plus, rest) = match written.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, written),
    };
    let mut plain = String::with_capacity(written.len() + 1);
    if plus {
        plain.push('+');
    }
    for c in rest.chars() {
        match c {
            '0'..='9' => plain.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    if !plus && plain.starts_with("00") {
        plain.replace_range(..2, "+");
    }
    Some(plain)
}

/// What `phonenumber::parse` makes of a plain number (`+` and digits, or digits), as
/// the country code and the national number, where its rules are simple enough to be
/// followed here; `None` where they are not, or where the number is bad, for
/// `phonenumber` to decide.
///
/// The steps are those of `phonenumber` 0.3's `parser::parse_with` and its helpers,
/// called as `read` calls it, quirks included, so that a number is read the same
/// either way.
fn read_plain(plain: &str, region: Region) -> Option<(u16, &str)> {
    if let Some(digits) = plain.strip_prefix('+') {
        // Too short, or an international prefix after the `+`: left to `phonenumber`.
        if digits.len() <= 2 || digits.starts_with('0') {
            return None;
        }
        // Country codes are prefix-free: the first known one is the one.
        let (code, national) = (1..=3).find_map(|len| {
            let code = digits[..len].parse().ok()?;
            plans(code).map(|_| (code, &digits[len..]))
        })?;
        let national = match owner(plans(code)?, national.trim_start_matches('0')) {
            Some(plan) => plan.strip_national_prefix(national)?,
            None => national,
        };
        checked(code, national)
    } else {
        let code = DATABASE.by_id(region.code())?.country_code();
        let plan = plans(code)?.iter().find(|p| p.region == Some(region))?;
        // `phonenumber` then looks for an international prefix (`011` in the US) or
        // the country's own code written without `+`: rare, and left to it.
        if plain.len() < 2
            || plan
                .international_prefix
                .as_ref()
                .is_some_and(|p| p.is_match(plain))
            || plain.starts_with(&plan.code_digits)
        {
            return None;
        }
        checked(code, plan.strip_national_prefix(plain)?)
    }
}

/// The country code and national number as `phonenumber` would return them, when it
/// would: its length limits, and what its `NationalNumber` can hold.
fn checked(code: u16, national: &str) -> Option<(u16, &str)> {
    let value = national.trim_start_matches('0');
    let fits = !value.is_empty() && value.parse::<u64>().is_ok_and(|v| v < 1 << 56);
    ((2..=17).contains(&national.len()) && fits).then_some((code, national))
}

/// How a country's national prefix (the trunk prefix, `0` in most of Europe) is
/// taken off national numbers.
#[derive(Debug)]
enum NationalPrefix {
    /// There is none (Italy, Spain).
    None,
    /// A fixed prefix (`0` in France, `1` in the US).
    Digits(String),
    /// A pattern, and maybe a fixed prefix as well (Britain: `0|180020` and `0`).
    Pattern(Regex, Option<String>),
    /// Patterns that rewrite the number (Argentina, Brazil, Japan...): left to
    /// `phonenumber`.
    Rewritten,
}

/// What libphonenumber knows of one country's numbers, with the patterns compiled once
/// for the process.
#[derive(Debug)]
struct Plan {
    /// `None` for the non-geographic "001" entries (international freephone...).
    region: Option<Region>,
    /// For countries that share a code: the starts of national numbers that are
    /// theirs.
    leading_digits: Option<Regex>,
    general: Pattern,
    /// Lengths of numbers that can only be dialled locally.
    local_lengths: Vec<u16>,
    /// Fixed line, mobile, toll-free...: matching any of them makes a number valid.
    types: Vec<Pattern>,
    /// The country code, as written after `+`.
    code_digits: String,
    /// The prefix for calling abroad (`00`, `011`...), matched at the start.
    international_prefix: Option<Regex>,
    national_prefix: NationalPrefix,
}

/// One of libphonenumber's number descriptions, matched as `phonenumber` matches it
/// (`Descriptor::is_match`): a possible length, then a match of the pattern that
/// starts where the number starts.
#[derive(Debug)]
struct Pattern {
    lengths: Vec<u16>,
    regex: Regex,
}

impl Pattern {
    fn new(descriptor: &Descriptor) -> Option<Pattern> {
        Some(Pattern {
            lengths: descriptor.possible_length().to_vec(),
            regex: anchored(descriptor.national_number().as_str())?,
        })
    }

    fn is_match(&self, national: &str) -> bool {
        let length_ok = self.lengths.is_empty()
            || u16::try_from(national.len()).is_ok_and(|len| self.lengths.contains(&len));
        length_ok && self.regex.is_match(national)
    }
}

/// Compiles a metadata pattern to match only at the start, which is what `phonenumber`
/// asks of its matches, with the flags `phonenumber` compiles it with.
fn anchored(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(&format!("^(?:{pattern})"))
        .ignore_whitespace(true)
        .build()
        .ok()
}

impl Plan {
    fn new(region: Option<Region>, meta: &Metadata) -> Option<Plan> {
        let descriptors = meta.descriptors();
        // The most common types first: only whether one matches matters.
        let types = [
            descriptors.mobile(),
            descriptors.fixed_line(),
            descriptors.toll_free(),
            descriptors.premium_rate(),
            descriptors.shared_cost(),
            descriptors.voip(),
            descriptors.personal_number(),
            descriptors.pager(),
            descriptors.uan(),
            descriptors.voicemail(),
        ];
        let compile = |pattern: Option<&str>| match pattern {
            Some(pattern) => anchored(pattern).map(Some),
            None => Some(None),
        };
        let prefix = meta.national_prefix().map(str::to_owned);
        let national_prefix = match meta.national_prefix_for_parsing() {
            None => prefix.map_or(NationalPrefix::None, NationalPrefix::Digits),
            Some(_) if meta.national_prefix_transform_rule().is_some() => NationalPrefix::Rewritten,
            Some(pattern) => NationalPrefix::Pattern(anchored(pattern.as_str())?, prefix),
        };
        Some(Plan {
            region,
            leading_digits: compile(meta.leading_digits().map(|p| p.as_str()))?,
            general: Pattern::new(descriptors.general())?,
            local_lengths: descriptors.general().possible_local_length().to_vec(),
            types: types
                .into_iter()
                .flatten()
                .map(Pattern::new)
                .collect::<Option<_>>()?,
            code_digits: meta.country_code().to_string(),
            international_prefix: compile(meta.international_prefix().map(|p| p.as_str()))?,
            national_prefix,
        })
    }

    /// `phonenumber`'s national prefix removal: the pattern's match at the start (or
    /// the fixed prefix), then the fixed prefix once more, unless what is left is
    /// shorter than the country's numbers (never, with `phonenumber` 0.3's data, which
    /// gives no lengths to a country's general description); `None` when it takes
    /// rules not followed here.
    fn strip_national_prefix<'a>(&self, national: &'a str) -> Option<&'a str> {
        let (first, then) = match &self.national_prefix {
            NationalPrefix::None => return Some(national),
            NationalPrefix::Rewritten => return None,
            NationalPrefix::Digits(prefix) => {
                (national.strip_prefix(prefix.as_str()), Some(prefix))
            }
            NationalPrefix::Pattern(pattern, prefix) => (
                pattern.find(national).map(|m| &national[m.end()..]),
                prefix.as_ref(),
            ),
        };
        let mut potential = first.unwrap_or(national);
        if let Some(rest) = then.and_then(|prefix| potential.strip_prefix(prefix.as_str())) {
            potential = rest;
        }
        let too_short = |number: &str| {
            let length = u16::try_from(number.len()).unwrap_or(u16::MAX);
            !self.local_lengths.contains(&length)
                && self
                    .general
                    .lengths
                    .first()
                    .is_some_and(|&min| length < min)
        };
        Some(if too_short(potential) {
            national
        } else {
            potential
        })
    }

    /// Whether the number is of a known type (libphonenumber's number type is not
    /// "unknown"), which is what makes it valid.
    fn has_type(&self, national: &str) -> bool {
        self.general.is_match(national) && self.types.iter().any(|t| t.is_match(national))
    }
}

/// The plans of the countries using a country code, in libphonenumber's order; `None`
/// when the code is unknown or one of its patterns does not compile.
///
/// Compiled on the first use of each code (the whole database is some three thousand
/// patterns, most never needed), then read without a lock.
fn plans(code: u16) -> Option<&'static [Plan]> {
    /// Country codes have at most three digits.
    static PLANS: [OnceLock<Option<Vec<Plan>>>; 1000] = [const { OnceLock::new() }; 1000];
    PLANS
        .get(usize::from(code))?
        .get_or_init(|| {
            let ids = DATABASE.region(&code)?;
            if let [only] = ids[..] {
                // "001", the non-geographic entries, is no country and does not parse.
                let meta = DATABASE.by_code(&code)?.into_iter().next()?;
                return Some(vec![Plan::new(only.parse().ok().map(Region), meta)?]);
            }
            ids.into_iter()
                .map(|id| Plan::new(Some(Region(id.parse().ok()?)), DATABASE.by_id(id)?))
                .collect()
        })
        .as_deref()
}

/// The plan whose rules read a national number (without its leading zeros) of a code
/// shared by several countries: libphonenumber's region lookup without the validity
/// check, as `phonenumber` does it to choose the national prefix to strip.
fn owner<'a>(plans: &'a [Plan], national: &str) -> Option<&'a Plan> {
    if let [only] = plans {
        return Some(only);
    }
    plans.iter().find(|plan| match &plan.leading_digits {
        Some(leading) => leading.is_match(national),
        None => plan.has_type(national),
    })
}

/// Whether a national number is valid under its code's plans and, if it is, its
/// country: `phonenumber`'s `is_valid` and libphonenumber's region lookup in one go.
///
/// A code of one country (or of one non-geographic entry) judges its numbers alone.
/// Among countries sharing a code, the first whose leading digits match the number
/// owns it, valid or not; a country without leading digits owns the numbers that are
/// of a known type in it.
fn find(plans: &[Plan], national: &str) -> Option<Option<Region>> {
    if let [only] = plans {
        return only.has_type(national).then_some(only.region);
    }
    for plan in plans {
        match &plan.leading_digits {
            Some(leading) if leading.is_match(national) => {
                return plan.has_type(national).then_some(plan.region);
            }
            Some(_) => {}
            None if plan.has_type(national) => return Some(plan.region),
            None => {}
        }
    }
    None
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
    fn international_numbers_ignore_the_national_prefix_of_the_list() {
        let fr = Region::parse("FR").unwrap();
        for written in ["+39 06 1234 5678", "0039 06 1234 5678", "+39-06-1234-5678 "] {
            assert_eq!(normalise(written, fr).unwrap().e164, "+390612345678");
        }
        // Where the number's own country has one, it is dropped.
        let n = normalise("+33 (0)1 42 68 53 00", it()).unwrap();
        assert_eq!(n.e164, "+33142685300");
        assert_eq!(
            normalise("01 42 68 53 00", fr).unwrap().e164,
            "+33142685300"
        );
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

    /// The checks done here instead of `phonenumber`'s must agree with them: on every
    /// example number of every country in the metadata, and on variants of each that
    /// are a digit longer, a digit shorter or start with another digit.
    #[test]
    fn validity_country_and_e164_agree_with_phonenumber() {
        use phonenumber::Mode;
        let (mut valid, mut invalid) = (0, 0);
        for meta in DATABASE.iter() {
            let d = meta.descriptors();
            let descriptors = [
                Some(d.general()),
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.voip(),
                d.personal_number(),
                d.pager(),
                d.uan(),
                d.voicemail(),
            ];
            for example in descriptors
                .into_iter()
                .flatten()
                .filter_map(|d| d.example())
            {
                let mut variants = vec![
                    example.to_owned(),
                    format!("{example}5"),
                    example[..example.len() - 1].to_owned(),
                ];
                variants.extend([0, 3, 7].map(|first| format!("{first}{}", &example[1..])));
                let code = meta.country_code();
                let written = variants.iter().flat_map(|national| {
                    let (head, tail) = national.split_at(national.len().min(3));
                    [
                        format!("+{code}{national}"),
                        format!("+{code} ({head}) {tail}"),
                        format!("+{code}-{head}.{tail}"),
                        format!("00{code} {head}/{tail}"),
                        format!("{head} {tail}"),
                    ]
                });
                for written in written {
                    // International numbers without a region, as `normalise` reads them.
                    let (country, text) = match written.strip_prefix("00") {
                        Some(rest) => (None, format!("+{rest}")),
                        None if written.starts_with('+') => (None, written.clone()),
                        None => (Some(Id::IT), written.clone()),
                    };
                    let Ok(theirs) = phonenumber::parse(country, &text) else {
                        assert!(normalise(&written, it()).is_err(), "{written}");
                        continue;
                    };
                    let ours = normalise(&written, it());
                    assert_eq!(ours.is_ok(), theirs.is_valid(), "{written}");
                    let Ok(ours) = ours else {
                        invalid += 1;
                        continue;
                    };
                    valid += 1;
                    assert_eq!(ours.e164, theirs.format().mode(Mode::E164).to_string());
                    // `phonenumber` loses the country of numbers with leading zeros.
                    if theirs.national().zeros() == 0 {
                        let country = theirs.country().id().map(Region);
                        assert_eq!(ours.region(), country, "{written}");
                    }
                }
            }
        }
        assert!(
            valid > 5000 && invalid > 5000,
            "{valid} valid, {invalid} invalid"
        );
    }

    /// Where numbers are read here rather than by `phonenumber`, they must be read the
    /// same: national numbers of every country as written there (with and without its
    /// national prefix, a digit short or long), and international numbers of every
    /// country, with and without the national prefix people put in them.
    #[test]
    fn plain_numbers_are_read_as_phonenumber_reads_them() {
        let examples = |meta: &Metadata| -> Vec<String> {
            let d = meta.descriptors();
            [
                Some(d.general()),
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.voip(),
            ]
            .into_iter()
            .flatten()
            .filter_map(|d| d.example().map(str::to_owned))
            .collect()
        };
        let (mut same, mut left) = (0, 0);
        let mut check = |plain: &str, country: Option<Id>, region: Region| {
            let theirs = phonenumber::parse(country, plain)
                .ok()
                .map(|n| (n.code().value(), n.national().to_string()));
            match read_plain(plain, region) {
                Some(ours) => {
                    assert_eq!(
                        Some((ours.0, ours.1.to_owned())),
                        theirs,
                        "{plain} in {region}"
                    );
                    same += 1;
                }
                None => left += 1,
            }
        };
        for meta in DATABASE.iter() {
            let Ok(id) = meta.id().parse::<Id>() else {
                continue;
            };
            let prefix = meta.national_prefix().unwrap_or("");
            for example in examples(meta) {
                let short = &example[..example.len() - 1];
                for national in [
                    example.clone(),
                    format!("{prefix}{example}"),
                    format!("{prefix}{short}"),
                    format!("{prefix}{example}7"),
                ] {
                    check(&national, Some(id), Region(id));
                }
                let code = meta.country_code();
                for international in [
                    format!("+{code}{example}"),
                    format!("+{code}{prefix}{example}"),
                    format!("+{code}0{example}"),
                    format!("+{code}{short}"),
                ] {
                    check(&international, None, it());
                }
            }
        }
        assert!(
            same > 4 * left,
            "{same} read here, {left} left to phonenumber"
        );
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
