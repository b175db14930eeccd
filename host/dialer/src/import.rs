//! Contact lists in the InstantVoice ADS CSV format, read into contacts ready to store.
//!
//! Lists come from customers' CRMs and spreadsheets, so a few bad rows are normal: a
//! bad row is reported by its line number and skipped, and the rest of the list is
//! still imported, so that the operator fixes only those lines. Only a header that
//! cannot be understood fails the whole file, since then no row can be read.
//!
//! The format:
//! - the first row is a header; fields are separated by `,` or `;` (whichever the
//!   header uses more), and every field is trimmed;
//! - the first column holds the contact's numbers separated by `|`, called one per
//!   attempt in turn: they are normalised to E.164 and kept in that order, once each;
//! - a `*Schedule*` column holds `UNIX_TIMESTAMP:EXTENSION`, a call-back promised to
//!   a contact by an agent, or nothing;
//! - a `timezone` (or `time_zone`, `tz`) column holds an IANA zone name, or nothing;
//! - every other column is a variable that IVR scripts and the agent's screen pop read
//!   by its header name.
//!
//! Nothing here touches the database: [`parse`] only reads, and the caller stores.

use std::io::{self, Read};

use serde::Serialize;

use crate::number::{self, Region};

/// The header of the column that holds scheduled call-backs (any case).
pub const SCHEDULE_HEADER: &str = "*Schedule*";

/// The headers accepted for the column that holds a contact's time zone (any case).
pub const ZONE_HEADERS: [&str; 3] = ["timezone", "time_zone", "tz"];

/// What the list itself does not say, given by whoever imports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// ISO 3166 alpha-2 code (`IT`) of the country whose numbering plan reads numbers
    /// written without `+` or `00`, since lists mostly hold national numbers.
    pub default_region: String,
    /// IANA zone (`Europe/Rome`) of contacts whose zone neither their row nor their
    /// number tells, so that every contact has a zone to check calling hours against.
    pub default_zone: String,
}

/// A contact read from one row, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    /// The row's line in the file (the header is line 1), so that what is stored can be
    /// traced back to what the customer sent.
    pub line: u64,
    /// E.164 numbers in the order the dialer rotates through them, each once.
    pub numbers: Vec<String>,
    /// Header name and value of every variable column, in column order, so that
    /// scripts and the screen pop find them by the names the customer used. The
    /// schedule and time-zone columns are not variables.
    pub variables: Vec<(String, String)>,
    /// IANA zone name, always set: calling-hour rules need one for every contact.
    pub time_zone: String,
    /// The call-back an agent promised, if any.
    pub schedule: Option<Schedule>,
}

/// A call-back an agent promised: the dialer calls the contact at that time and puts
/// the call through to that agent rather than to whoever is free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// When, in milliseconds since the Unix epoch, the unit the dialer's clocks use.
    pub at_ms: i64,
    /// The agent's extension.
    pub extension: String,
}

/// A row that was not imported, and why, for the operator to fix and import again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// What is wrong with it, in words an operator can act on.
    pub reason: String,
}

/// What a list yields: bad rows do not stop the good ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// The good rows, in file order.
    pub contacts: Vec<NewContact>,
    /// The bad rows, in file order.
    pub rejected: Vec<Rejected>,
}

/// Why no row of a list can be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The caller's default region is not a country libphonenumber knows.
    #[error("unknown default region {0:?}: expected an ISO 3166 alpha-2 code such as IT")]
    UnknownRegion(String),
    /// The caller's default zone is not an IANA zone name.
    #[error("unknown default time zone {0:?}: expected an IANA name such as Europe/Rome")]
    UnknownZone(String),
    /// The file could not be read.
    #[error("reading the contact list: {0}")]
    Read(#[from] io::Error),
    /// The file has no header row (nothing, or only empty lines).
    #[error("the contact list is empty: it has no header row")]
    Empty,
    /// The header row names no column.
    #[error("the header row names no column")]
    NoColumns,
    /// The header row is not UTF-8, so its names cannot be matched by scripts.
    #[error("the header row is not UTF-8 text")]
    HeaderNotUtf8,
    /// A column other than the first has no name, so nothing could read its values.
    #[error("column {column} of the header has no name")]
    UnnamedColumn {
        /// 1-based.
        column: usize,
    },
    /// Two columns mean the same thing: two variables of one name, two schedule or two
    /// time-zone columns. Which one to believe cannot be guessed.
    #[error("column {column} ({name:?}) repeats column {first} of the header")]
    DuplicateHeader {
        /// The later column's header.
        name: String,
        /// 1-based.
        first: usize,
        /// 1-based.
        column: usize,
    },
}

/// What a column holds, decided once from the header.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Numbers,
    Schedule,
    Zone,
    Variable(String),
}

impl Column {
    fn from_header(index: usize, name: &str) -> Column {
        if index == 0 {
            Column::Numbers
        } else if name.eq_ignore_ascii_case(SCHEDULE_HEADER) {
            Column::Schedule
        } else if ZONE_HEADERS.iter().any(|z| name.eq_ignore_ascii_case(z)) {
            Column::Zone
        } else {
            Column::Variable(name.to_owned())
        }
    }
}

/// Everything a row is read against.
struct Layout {
    columns: Vec<Column>,
    variables: usize,
    region: Region,
    default_zone: &'static str,
}

/// Reads a contact list in the InstantVoice ADS format.
///
/// `input` is read to its end first: line numbers of rows that follow empty lines are
/// only right when the raw text can be looked at (the CSV reader skips empty lines
/// without counting them), and a list of a million rows is some tens of megabytes.
/// UTF-8 with or without a byte order mark is accepted.
///
/// All the work is done on the calling thread: rows are read fast enough (over half a
/// million a second on the two-core machines Ringhost is sized for) that a second
/// thread would mostly take a core from the database the contacts go to.
///
/// # Errors
///
/// Only for what spoils the whole file: bad options, an unreadable stream or an
/// unusable header. A bad row is in [`Parsed::rejected`] instead.
pub fn parse(mut input: impl Read, options: &ImportOptions) -> Result<Parsed, ImportError> {
    let region = Region::parse(&options.default_region)
        .ok_or_else(|| ImportError::UnknownRegion(options.default_region.clone()))?;
    let default_zone = options
        .default_zone
        .trim()
        .parse::<chrono_tz::Tz>()
        .map_err(|_| ImportError::UnknownZone(options.default_zone.clone()))?
        .name();

    let mut text = Vec::new();
    input.read_to_end(&mut text)?;
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text);

    let mut record = csv::ByteRecord::new();
    if !reader
        .read_byte_record(&mut record)
        .map_err(io::Error::from)?
    {
        return Err(ImportError::Empty);
    }
    let layout = Layout::from_header(&record, region, default_zone)?;

    let mut parsed = Parsed::default();
    while reader
        .read_byte_record(&mut record)
        .map_err(io::Error::from)?
    {
        if record.iter().all(|field| field.trim_ascii().is_empty()) {
            continue;
        }
        let line = line_of(text, &record);
        match layout.contact(&record, line) {
            Ok(contact) => parsed.contacts.push(contact),
            Err(reason) => parsed.rejected.push(Rejected { line, reason }),
        }
    }
    Ok(parsed)
}

/// `;` when the header line has more of them than `,`: spreadsheets in countries that
/// write decimals with a comma export CSV with semicolons.
fn delimiter(text: &[u8]) -> u8 {
    let header = text
        .split(|&b| b == b'\n')
        .find(|line| !line.trim_ascii().is_empty())
        .unwrap_or_default();
    let count = |delimiter: u8| header.iter().filter(|&&b| b == delimiter).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// The 1-based line a record starts on.
///
/// The reader gives the position where it started looking for the record, which is
/// before any empty lines it skipped on the way, so those are counted here.
fn line_of(text: &[u8], record: &csv::ByteRecord) -> u64 {
    let Some(position) = record.position() else {
        return 0;
    };
    let start = usize::try_from(position.byte()).map_or(text.len(), |b| b.min(text.len()));
    let skipped = text[start..]
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .filter(|&&b| b == b'\n')
        .count();
    position.line() + skipped as u64
}

impl Layout {
    fn from_header(
        header: &csv::ByteRecord,
        region: Region,
        default_zone: &'static str,
    ) -> Result<Layout, ImportError> {
        let mut names = Vec::with_capacity(header.len());
        for field in header {
            let name = std::str::from_utf8(field).map_err(|_| ImportError::HeaderNotUtf8)?;
            names.push(name.trim());
        }
        if names.iter().all(|name| name.is_empty()) {
            return Err(ImportError::NoColumns);
        }
        let mut columns: Vec<Column> = Vec::with_capacity(names.len());
        for (index, name) in names.iter().enumerate() {
            if index > 0 && name.is_empty() {
                return Err(ImportError::UnnamedColumn { column: index + 1 });
            }
            let column = Column::from_header(index, name);
            let same = |other: &Column| match (&column, other) {
                (Column::Schedule, Column::Schedule) | (Column::Zone, Column::Zone) => true,
                (Column::Variable(a), Column::Variable(b)) => a == b,
                _ => false,
            };
            if let Some(first) = columns.iter().position(same) {
                return Err(ImportError::DuplicateHeader {
                    name: (*name).to_owned(),
                    first: first + 1,
                    column: index + 1,
                });
            }
            columns.push(column);
        }
        let variables = columns
            .iter()
            .filter(|c| matches!(c, Column::Variable(_)))
            .count();
        Ok(Layout {
            columns,
            variables,
            region,
            default_zone,
        })
    }

    /// Reads one non-empty row; the error is the reason it is rejected.
    fn contact(&self, record: &csv::ByteRecord, line: u64) -> Result<NewContact, String> {
        if record.len() != self.columns.len() {
            return Err(format!(
                "{} fields where the header has {}",
                record.len(),
                self.columns.len()
            ));
        }
        let mut contact = NewContact {
            line,
            numbers: Vec::new(),
            variables: Vec::with_capacity(self.variables),
            time_zone: String::new(),
            schedule: None,
        };
        let mut first = None;
        let mut zone = None;
        for (index, (column, field)) in self.columns.iter().zip(record).enumerate() {
            let value = std::str::from_utf8(field)
                .map_err(|_| format!("column {} is not UTF-8 text", index + 1))?
                .trim();
            match column {
                Column::Numbers => {
                    (contact.numbers, first) = self.numbers(value)?;
                }
                Column::Schedule if value.is_empty() => {}
                Column::Schedule => contact.schedule = Some(schedule(value)?),
                Column::Zone if value.is_empty() => {}
                Column::Zone => {
                    let tz = value.parse::<chrono_tz::Tz>().map_err(|_| {
                        format!(
                            "time zone {value:?} is not an IANA zone name (such as Europe/Rome)"
                        )
                    })?;
                    zone = Some(tz.name());
                }
                Column::Variable(name) => contact.variables.push((name.clone(), value.to_owned())),
            }
        }
        contact.time_zone = zone
            .or_else(|| first.and_then(|region: Region| region.zone()))
            .unwrap_or(self.default_zone)
            .to_owned();
        Ok(contact)
    }

    /// The row's numbers in E.164, in order and each once, and the country of the
    /// first, the contact's main number, which may tell the contact's zone.
    fn numbers(&self, value: &str) -> Result<(Vec<String>, Option<Region>), String> {
        let mut numbers: Vec<String> = Vec::with_capacity(value.split('|').count());
        let mut first = None;
        for written in value.split('|').map(str::trim).filter(|w| !w.is_empty()) {
            let number = number::normalise(written, self.region).map_err(|e| e.to_string())?;
            if numbers.is_empty() {
                first = number.region();
            }
            if !numbers.contains(&number.e164) {
                numbers.push(number.e164);
            }
        }
        if numbers.is_empty() {
            return Err("no phone number in the first column".to_owned());
        }
        Ok((numbers, first))
    }
}

/// Reads `UNIX_TIMESTAMP:EXTENSION`.
fn schedule(value: &str) -> Result<Schedule, String> {
    /// 9999-12-31T23:59:59Z: anything later is a mistake, most often milliseconds.
    const LATEST: i64 = 253_402_300_799;
    let malformed = || format!("schedule {value:?} is not UNIX_TIMESTAMP:EXTENSION");
    let (at, extension) = value.split_once(':').ok_or_else(malformed)?;
    let (at, extension) = (at.trim(), extension.trim());
    if at.is_empty() || !at.bytes().all(|b| b.is_ascii_digit()) || extension.is_empty() {
        return Err(malformed());
    }
    let at = at
        .parse::<i64>()
        .ok()
        .filter(|&at| at <= LATEST)
        .ok_or_else(|| {
            format!("schedule {value:?}: the timestamp must be in seconds since 1970")
        })?;
    Ok(Schedule {
        at_ms: at * 1000,
        extension: extension.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ImportOptions {
        ImportOptions {
            default_region: "IT".into(),
            default_zone: "Europe/Rome".into(),
        }
    }

    fn read(text: &str) -> Parsed {
        parse(text.as_bytes(), &options()).unwrap()
    }

    fn lines(parsed: &Parsed) -> (Vec<u64>, Vec<u64>) {
        (
            parsed.contacts.iter().map(|c| c.line).collect(),
            parsed.rejected.iter().map(|r| r.line).collect(),
        )
    }

    #[test]
    fn numbers_are_normalised_and_kept_in_rotation_order() {
        let parsed = read(
            "phone,name\n\
             06 1234 5678|0039 333 123 4567|+39 02 1234 5678,Mario\n",
        );
        assert_eq!(parsed.rejected, []);
        assert_eq!(
            parsed.contacts[0].numbers,
            ["+390612345678", "+393331234567", "+390212345678"]
        );
    }

    #[test]
    fn a_number_written_twice_in_a_row_is_kept_once() {
        let parsed = read("phone\n+39 333 1234567|3331234567|0612345678|0039 333 1234567\n");
        assert_eq!(
            parsed.contacts[0].numbers,
            ["+393331234567", "+390612345678"]
        );
    }

    #[test]
    fn variables_are_named_by_their_headers_in_column_order() {
        let parsed = read(" phone , First Name ,Last,note\n3331234567, Mario ,Rossi,\n");
        assert_eq!(parsed.rejected, []);
        assert_eq!(
            parsed.contacts[0].variables,
            [
                ("First Name".to_owned(), "Mario".to_owned()),
                ("Last".to_owned(), "Rossi".to_owned()),
                ("note".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn schedule_is_read_and_is_not_a_variable() {
        let parsed = read(
            "phone,*schedule*,name\n\
             3331234567,1767261600:201,Mario\n\
             3331234568,,Luigi\n\
             3331234569,1767261600,Anna\n\
             3331234560,1767261600000:201,Anna\n\
             3331234561,-5:201,Anna\n",
        );
        assert_eq!(
            parsed.contacts[0].schedule,
            Some(Schedule {
                at_ms: 1_767_261_600_000,
                extension: "201".into()
            })
        );
        assert_eq!(
            parsed.contacts[0].variables,
            [("name".to_owned(), "Mario".to_owned())]
        );
        assert_eq!(parsed.contacts[1].schedule, None);
        assert_eq!(lines(&parsed), (vec![2, 3], vec![4, 5, 6]));
        assert!(
            parsed.rejected[0].reason.contains("1767261600"),
            "{:?}",
            parsed.rejected
        );
    }

    #[test]
    fn a_bad_number_rejects_its_row_only() {
        let parsed = read(
            "phone,name\n\
             3331234567,Mario\n\
             3331234567|06 12,Luigi\n\
             0612345678,Anna\n",
        );
        assert_eq!(lines(&parsed), (vec![2, 4], vec![3]));
        assert!(
            parsed.rejected[0].reason.contains("06 12"),
            "{:?}",
            parsed.rejected
        );
    }

    #[test]
    fn wrong_field_counts_and_missing_numbers_are_rejected() {
        let parsed = read(
            "phone,name,note\n\
             3331234567,Mario\n\
             3331234567,Mario,x,y\n\
             ,Mario,x\n\
             | ,Mario,x\n\
             3331234567,Mario,x\n",
        );
        assert_eq!(lines(&parsed), (vec![6], vec![2, 3, 4, 5]));
        assert_eq!(parsed.rejected[0].reason, "2 fields where the header has 3");
    }

    #[test]
    fn empty_lines_are_skipped_and_do_not_shift_line_numbers() {
        let parsed =
            read("\n\nphone,name\n\n3331234567,Mario\n   \n,\n\r\n0612,Luigi\n0612345678,Anna");
        assert_eq!(lines(&parsed), (vec![5, 10], vec![9]));
    }

    #[test]
    fn quoted_newlines_keep_later_line_numbers_right() {
        let parsed = read(
            "phone,note\n\
             3331234567,\"first line\nsecond line\"\n\
             bad,x\n\
             0612345678,\"a, \"\"quoted\"\" note\"\n",
        );
        assert_eq!(lines(&parsed), (vec![2, 5], vec![4]));
        assert_eq!(parsed.contacts[0].variables[0].1, "first line\nsecond line");
        assert_eq!(parsed.contacts[1].variables[0].1, "a, \"quoted\" note");
    }

    #[test]
    fn semicolons_and_a_byte_order_mark_are_accepted() {
        let parsed = read("\u{feff}phone;name;note\r\n3331234567;Rossi, Mario;x\r\n");
        assert_eq!(parsed.rejected, []);
        assert_eq!(
            parsed.contacts[0].variables,
            [
                ("name".to_owned(), "Rossi, Mario".to_owned()),
                ("note".to_owned(), "x".to_owned())
            ]
        );
        // Without the mark being dropped, the first header would not be the numbers'.
        let parsed = read("\u{feff}phone,tz\n3331234567,Europe/Paris\n");
        assert_eq!(parsed.contacts[0].variables, []);
    }

    #[test]
    fn the_zone_column_wins_and_is_checked() {
        let parsed = read(
            "phone,TimeZone,name\n\
             3331234567,America/New_York,Mario\n\
             3331234567,,Luigi\n\
             3331234567,Europe/Nowhere,Anna\n",
        );
        assert_eq!(parsed.contacts[0].time_zone, "America/New_York");
        assert_eq!(
            parsed.contacts[0].variables,
            [("name".to_owned(), "Mario".to_owned())]
        );
        assert_eq!(parsed.contacts[1].time_zone, "Europe/Rome");
        assert_eq!(lines(&parsed), (vec![2, 3], vec![4]));
        assert!(parsed.rejected[0].reason.contains("Europe/Nowhere"));
    }

    #[test]
    fn the_zone_otherwise_comes_from_the_first_number_then_the_list() {
        let text = "phone\n+33 1 42 68 53 00|3331234567\n+1 212 555 0123\n3331234567\n";
        let zones = |default_zone: &str| {
            let options = ImportOptions {
                default_region: "IT".into(),
                default_zone: default_zone.into(),
            };
            let parsed = parse(text.as_bytes(), &options).unwrap();
            assert_eq!(parsed.rejected, []);
            parsed
                .contacts
                .into_iter()
                .map(|c| c.time_zone)
                .collect::<Vec<_>>()
        };
        // France has one zone; the United States have several, so the list's is used.
        assert_eq!(
            zones("Europe/Rome"),
            ["Europe/Paris", "Europe/Rome", "Europe/Rome"]
        );
        // The Italian number's zone is Italy's, not the list's.
        assert_eq!(
            zones("Europe/Lisbon"),
            ["Europe/Paris", "Europe/Lisbon", "Europe/Rome"]
        );
    }

    #[test]
    fn header_problems_fail_the_whole_file() {
        let fail = |text: &str| parse(text.as_bytes(), &options()).unwrap_err();
        assert!(matches!(fail(""), ImportError::Empty));
        assert!(matches!(fail("\u{feff}\n\n"), ImportError::Empty));
        assert!(matches!(fail(",,\n1,2,3\n"), ImportError::NoColumns));
        assert!(matches!(
            fail("phone,,name\n"),
            ImportError::UnnamedColumn { column: 2 }
        ));
        assert!(matches!(
            fail("phone,name,x,name\n"),
            ImportError::DuplicateHeader {
                first: 2,
                column: 4,
                ..
            }
        ));
        assert!(matches!(
            fail("phone,tz,TimeZone\n"),
            ImportError::DuplicateHeader {
                first: 2,
                column: 3,
                ..
            }
        ));
        assert!(matches!(
            fail("phone,*Schedule*,*SCHEDULE*\n"),
            ImportError::DuplicateHeader {
                first: 2,
                column: 3,
                ..
            }
        ));
    }

    #[test]
    fn bad_options_fail_the_whole_file() {
        let text = "phone\n3331234567\n";
        let mut bad = options();
        bad.default_region = "XX".into();
        assert!(matches!(
            parse(text.as_bytes(), &bad),
            Err(ImportError::UnknownRegion(_))
        ));
        let mut bad = options();
        bad.default_zone = "Rome".into();
        assert!(matches!(
            parse(text.as_bytes(), &bad),
            Err(ImportError::UnknownZone(_))
        ));
    }

    #[test]
    fn rows_that_are_not_utf8_are_rejected() {
        let parsed = parse(
            &b"phone,name\n3331234567,Mar\xEDo\n0612345678,Anna\n"[..],
            &options(),
        )
        .unwrap();
        assert_eq!(lines(&parsed), (vec![3], vec![2]));
    }

    /// Many rows, some bad, with empty lines here and there: contacts and rejections
    /// still come in file order with their own line numbers.
    #[test]
    fn long_lists_keep_order_and_line_numbers() {
        use std::fmt::Write;
        let mut text = String::from("phone,n\n");
        let (mut line, mut good, mut bad) = (1, Vec::new(), Vec::new());
        for i in 0..3000 {
            if i % 100 == 99 {
                text.push('\n');
                line += 1;
            }
            line += 1;
            if i % 77 == 0 {
                writeln!(text, "12,{i}").unwrap();
                bad.push(line);
            } else {
                writeln!(text, "333{i:07},{i}").unwrap();
                good.push((line, i.to_string()));
            }
        }
        let parsed = read(&text);
        let got: Vec<_> = parsed
            .contacts
            .iter()
            .map(|c| (c.line, c.variables[0].1.clone()))
            .collect();
        assert_eq!(got, good);
        assert_eq!(lines(&parsed).1, bad);
    }

    /// `cargo test -p ringhost-dialer --release -- --ignored --nocapture parse_rate`
    #[test]
    #[ignore = "a measurement, meaningful in release mode only"]
    fn parse_rate() {
        use std::fmt::Write;
        const ROWS: u64 = 200_000;
        let mut text = String::from("phone,first,last,note\n");
        for i in 0..ROWS {
            writeln!(
                text,
                "+39 06 {:04} {:04}|333{:07},Mario,Rossi,note {i}",
                1000 + i % 9000,
                i % 10_000,
                i
            )
            .unwrap();
        }
        let start = std::time::Instant::now();
        let parsed = read(&text);
        let elapsed = start.elapsed();
        assert_eq!(parsed.rejected, []);
        assert_eq!(parsed.contacts.len() as u64, ROWS);
        println!(
            "parsed {ROWS} rows in {elapsed:?}: {:.0} rows/s",
            ROWS as f64 / elapsed.as_secs_f64()
        );
    }
}
