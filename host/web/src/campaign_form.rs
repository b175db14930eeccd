//! The campaign form: every setting of a campaign (PRODUCT.md section 3) as one table
//! of fields, each with its label, its explanation in both languages and how it is
//! written in the form. The one table is read both ways: a campaign's settings (JSON,
//! as the dialer keeps them) become the form's values, and the values sent back become
//! settings again, or an error beside each field that is wrong. Nothing reaches the
//! dialer until every field is right.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, TimeZone as _};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use crate::language::Language;

/// How a field is written in the form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    /// Free text; empty means unset.
    Optional,
    /// Free text, which may be empty.
    Plain,
    /// Free text that may not be empty.
    Required,
    /// A whole number within bounds.
    Whole {
        /// The smallest accepted.
        min: i64,
        /// The largest accepted.
        max: i64,
        /// Empty means unset (the list's or the plugin's choice).
        optional: bool,
    },
    /// A decimal number within bounds.
    Decimal {
        /// The smallest accepted.
        min: f64,
        /// The largest accepted.
        max: f64,
    },
    /// A percentage, kept as a share (3 % is 0.03).
    Share,
    /// Yes or no.
    Check,
    /// One of a few words.
    Choice(&'static [&'static str]),
    /// A date and time in the form's time zone, kept as milliseconds since the epoch.
    Moment,
    /// Calling windows, one per line: `mon-fri 09:00-13:00`.
    Windows,
    /// `name=value` pairs, one per line.
    Pairs,
    /// Words or phrases, one per line.
    Lines,
    /// A phone number (digits, an optional leading `+`); empty means unset.
    Number,
}

/// Where a field is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// What the campaign is.
    General,
    /// When it calls.
    Schedule,
    /// How each call is made.
    Calls,
    /// How many calls it starts.
    Pacing,
    /// What an answered call of an agent campaign does.
    Agents,
    /// What an answered call of a notification campaign does.
    Notification,
    /// The plugins that read its results.
    Results,
}

impl Section {
    /// The sections, in the form's order.
    pub const ALL: [Section; 7] = [
        Section::General,
        Section::Schedule,
        Section::Calls,
        Section::Pacing,
        Section::Agents,
        Section::Notification,
        Section::Results,
    ];

    /// Its heading.
    pub fn heading(self, language: Language) -> &'static str {
        language.pick(match self {
            Section::General => ("Generale", "General"),
            Section::Schedule => ("Quando chiama", "When it calls"),
            Section::Calls => ("Chiamate", "Calls"),
            Section::Pacing => ("Ritmo di chiamata", "Pacing"),
            Section::Agents => (
                "Campagne con operatori: le chiamate risposte",
                "Agent campaigns: answered calls",
            ),
            Section::Notification => (
                "Campagne di notifica: il messaggio e la conferma",
                "Notification campaigns: the message and its confirmation",
            ),
            Section::Results => ("Esiti e CRM", "Results and CRM"),
        })
    }
}

/// One field: its key (the form's name, and the setting's path with `.` between
/// levels), how it is written, where it is shown, its label and its explanation.
#[derive(Debug)]
pub struct Field {
    /// The form's name and the setting's path.
    pub key: &'static str,
    /// How it is written.
    pub input: Input,
    /// Where it is shown.
    pub section: Section,
    /// Its label, Italian and English.
    pub label: (&'static str, &'static str),
    /// What it does, Italian and English.
    pub help: (&'static str, &'static str),
}

/// Every setting of a campaign.
pub static FIELDS: &[Field] = &[
    Field {
        key: "kind",
        input: Input::Choice(&["agent", "notification"]),
        section: Section::General,
        label: ("Tipo", "Kind"),
        help: (
            "agent: le chiamate risposte vanno a una coda di operatori (power o predittiva). notification: chi risponde ascolta un messaggio e conferma premendo 1.",
            "agent: answered calls go to a queue of agents (power or predictive). notification: the callee hears a message and confirms by pressing 1.",
        ),
    },
    Field {
        key: "accountcode",
        input: Input::Plain,
        section: Section::General,
        label: ("Codice di addebito", "Account code"),
        help: (
            "Il codice a cui sono addebitate le chiamate; i report filtrano per questo codice.",
            "The code its calls are billed to; reports filter by it.",
        ),
    },
    Field {
        key: "priority",
        input: Input::Whole {
            min: -1000,
            max: 1000,
            optional: false,
        },
        section: Section::General,
        label: ("Priorità", "Priority"),
        help: (
            "Quando i canali non bastano, chiama prima la campagna con priorità più alta.",
            "When channels are short, the campaign with the higher priority calls first.",
        ),
    },
    Field {
        key: "valid_from_ms",
        input: Input::Moment,
        section: Section::Schedule,
        label: ("Valida dal", "Valid from"),
        help: (
            "Nessuna chiamata prima di questo momento (vuoto: da subito).",
            "No call before this moment (empty: at once).",
        ),
    },
    Field {
        key: "valid_until_ms",
        input: Input::Moment,
        section: Section::Schedule,
        label: ("Valida fino al", "Valid until"),
        help: (
            "Nessuna chiamata dopo questo momento; la campagna termina (vuoto: senza scadenza).",
            "No call after this moment; the run ends (empty: no end).",
        ),
    },
    Field {
        key: "calling_hours",
        input: Input::Windows,
        section: Section::Schedule,
        label: ("Orari di chiamata", "Calling hours"),
        help: (
            "Una fascia per riga, nell'ora locale di ogni contatto: «lun-ven 09:00-13:00», «sab 10:00-12:00». Vuoto: a qualsiasi ora.",
            "One window per line, in each contact's local time: \"mon-fri 09:00-13:00\", \"sat 10:00-12:00\". Empty: at any hour.",
        ),
    },
    Field {
        key: "keep_running",
        input: Input::Check,
        section: Section::Schedule,
        label: (
            "Resta attiva senza contatti",
            "Keep running with no contact left",
        ),
        help: (
            "Per campagne alimentate mentre girano (tabella di scambio, DialerNewCall): il run termina solo se annullato o scaduto.",
            "For campaigns fed while they run (the exchange table, DialerNewCall): the run ends only when cancelled or past its validity.",
        ),
    },
    Field {
        key: "caller_id",
        input: Input::Number,
        section: Section::Calls,
        label: ("Numero presentato", "Caller ID"),
        help: (
            "Il numero che vede chi riceve la chiamata (vuoto: quello del trunk).",
            "The number the callee sees (empty: the trunk's).",
        ),
    },
    Field {
        key: "route",
        input: Input::Optional,
        section: Section::Calls,
        label: ("Instradamento", "Route"),
        help: (
            "Il gruppo di trunk che porta le sue chiamate (vuoto: l'instradamento predefinito).",
            "The group of trunks that carries its calls (empty: the default route).",
        ),
    },
    Field {
        key: "ring_timeout_s",
        input: Input::Whole {
            min: 5,
            max: 300,
            optional: false,
        },
        section: Section::Calls,
        label: ("Tempo di squillo (s)", "Ring timeout (s)"),
        help: (
            "Dopo quanti secondi di squillo la chiamata è data per non risposta.",
            "Seconds a call may ring before it counts as not answered.",
        ),
    },
    Field {
        key: "max_attempts",
        input: Input::Whole {
            min: 1,
            max: 100,
            optional: true,
        },
        section: Section::Calls,
        label: ("Tentativi per contatto", "Attempts per contact"),
        help: (
            "Quante volte al massimo è chiamato ogni contatto, il primo compreso (vuoto: quanto dice la lista).",
            "How many times each contact is called at most, the first included (empty: as its list says).",
        ),
    },
    Field {
        key: "max_calls",
        input: Input::Whole {
            min: 0,
            max: 10000,
            optional: false,
        },
        section: Section::Calls,
        label: ("Chiamate simultanee", "Simultaneous calls"),
        help: (
            "Il massimo di chiamate in corso per questa campagna; 0 senza limite (con il ritmo «fixed» è il numero di chiamate da tenere attive).",
            "The most calls in progress for this campaign; 0 for no cap (with the \"fixed\" pacing it is the number of calls to keep going).",
        ),
    },
    Field {
        key: "reserved_percent",
        input: Input::Whole {
            min: 0,
            max: 100,
            optional: false,
        },
        section: Section::Calls,
        label: ("Canali riservati (%)", "Reserved channels (%)"),
        help: (
            "La quota dei canali del dialer tenuta per questa campagna, che le altre non possono usare.",
            "The share of the dialer's channels kept for this campaign, which others cannot use.",
        ),
    },
    Field {
        key: "pacing.strategy",
        input: Input::Required,
        section: Section::Pacing,
        label: ("Strategia", "Strategy"),
        help: (
            "progressive: una chiamata per operatore libero. fixed: sempre «chiamate simultanee» chiamate. Altrimenti il nome di un plugin pacer (power, predictive, ...).",
            "progressive: one call per free agent. fixed: always \"simultaneous calls\" calls. Otherwise a pacer plugin's name (power, predictive, ...).",
        ),
    },
    Field {
        key: "pacing.ratio_percent",
        input: Input::Whole {
            min: 0,
            max: 1000,
            optional: false,
        },
        section: Section::Pacing,
        label: ("Rapporto (%)", "Ratio (%)"),
        help: (
            "Chiamate in più per operatore: 0 vuol dire una chiamata per operatore, 100 due (TVox).",
            "Extra calls per agent: 0 means one call per agent, 100 two (TVox).",
        ),
    },
    Field {
        key: "pacing.ratio_on_present",
        input: Input::Check,
        section: Section::Pacing,
        label: (
            "Rapporto sugli operatori presenti",
            "Ratio on present agents",
        ),
        help: (
            "Conta gli operatori collegati invece di quelli pronti.",
            "Counts the agents logged in rather than those ready.",
        ),
    },
    Field {
        key: "pacing.multiplier",
        input: Input::Decimal {
            min: 0.1,
            max: 100.0,
        },
        section: Section::Pacing,
        label: ("Moltiplicatore", "Multiplier"),
        help: (
            "Chiamate per operatore libero (ADS: 2 operatori liberi × 3 = 6 chiamate).",
            "Calls per free agent (ADS: 2 free agents × 3 = 6 calls).",
        ),
    },
    Field {
        key: "pacing.only_when_agents_free",
        input: Input::Check,
        section: Section::Pacing,
        label: ("Solo con operatori liberi", "Only when agents are free"),
        help: (
            "Non chiama se nessun membro della coda è libero.",
            "Calls nobody while no member of the queue is free.",
        ),
    },
    Field {
        key: "pacing.target_abandon_rate",
        input: Input::Share,
        section: Section::Pacing,
        label: ("Abbandoni massimi (%)", "Abandon rate target (%)"),
        help: (
            "Il tasso di chiamate abbandonate a cui un pacer predittivo si tiene sotto (la regola del 3%).",
            "The rate of abandoned calls a predictive pacer keeps below (the 3% rule).",
        ),
    },
    Field {
        key: "pacing.extra",
        input: Input::Pairs,
        section: Section::Pacing,
        label: ("Parametri del plugin", "Plugin parameters"),
        help: (
            "Parametri propri della strategia, uno per riga: nome=valore.",
            "The strategy's own parameters, one per line: name=value.",
        ),
    },
    Field {
        key: "rate_window_s",
        input: Input::Whole {
            min: 60,
            max: 86400,
            optional: false,
        },
        section: Section::Pacing,
        label: ("Finestra dei tassi (s)", "Rate window (s)"),
        help: (
            "I secondi su cui si calcolano i tassi di risposta e di abbandono che vede il pacer.",
            "The seconds over which the answer and abandon rates the pacer sees are counted.",
        ),
    },
    Field {
        key: "queue",
        input: Input::Optional,
        section: Section::Agents,
        label: ("Coda", "Queue"),
        help: (
            "La coda di operatori che riceve le chiamate risposte.",
            "The queue of agents that takes the answered calls.",
        ),
    },
    Field {
        key: "extension",
        input: Input::Optional,
        section: Section::Agents,
        label: ("Interno", "Extension"),
        help: (
            "Invece di una coda, l'interno a cui è passato chi risponde (ADS).",
            "Instead of a queue, the extension an answered callee is put through to (ADS).",
        ),
    },
    Field {
        key: "abandon_after_ms",
        input: Input::Whole {
            min: 0,
            max: 60000,
            optional: false,
        },
        section: Section::Agents,
        label: ("Abbandono dopo (ms)", "Abandon after (ms)"),
        help: (
            "Quanto attende chi risponde prima che la chiamata sia abbandonata se nessun operatore risponde (Garante e Ofcom: 2000). 0: mai.",
            "How long a callee waits for an agent before the call is abandoned (the Garante's and Ofcom's 2000). 0: never.",
        ),
    },
    Field {
        key: "abandon_message",
        input: Input::Optional,
        section: Section::Agents,
        label: ("Messaggio di abbandono", "Abandon message"),
        help: (
            "Il file WAV che ascolta chi è abbandonato prima che la chiamata termini.",
            "The WAV file an abandoned callee hears before the call ends.",
        ),
    },
    Field {
        key: "abandoned_no_call_days",
        input: Input::Whole {
            min: 0,
            max: 365,
            optional: false,
        },
        section: Section::Agents,
        label: (
            "Giorni senza chiamate dopo un abbandono",
            "Days not called after an abandon",
        ),
        help: (
            "Per quanti giorni non si richiama un numero la cui chiamata è stata abbandonata.",
            "For how many days a number whose call was abandoned is not called again.",
        ),
    },
    Field {
        key: "queue_max_wait_s",
        input: Input::Whole {
            min: 0,
            max: 3600,
            optional: false,
        },
        section: Section::Agents,
        label: (
            "Attesa massima in coda (s)",
            "Longest wait in the queue (s)",
        ),
        help: (
            "Oltre questa attesa la chiamata è chiusa dal sistema (conta se l'abbandono è 0). 0: senza limite.",
            "Past this wait the call is closed by the system (it matters when abandoning is 0). 0: no limit.",
        ),
    },
    Field {
        key: "agent_ring_s",
        input: Input::Whole {
            min: 3,
            max: 120,
            optional: false,
        },
        section: Section::Agents,
        label: ("Squillo all'operatore (s)", "Agent ring time (s)"),
        help: (
            "Quanto squilla il telefono di un operatore prima che sia messo in pausa e si passi al successivo.",
            "How long an agent's phone rings before the agent is paused and the next one is tried.",
        ),
    },
    Field {
        key: "music_on_hold",
        input: Input::Optional,
        section: Section::Agents,
        label: ("Musica d'attesa", "Music on hold"),
        help: (
            "Il file WAV, ripetuto, che ascolta chi attende un operatore (vuoto: rumore di fondo, mai silenzio).",
            "The WAV file, looped, a callee hears while waiting for an agent (empty: comfort noise, never silence).",
        ),
    },
    Field {
        key: "audio",
        input: Input::Optional,
        section: Section::Notification,
        label: ("Messaggio", "Message"),
        help: (
            "Il file WAV che ascolta chi risponde.",
            "The WAV file the callee hears.",
        ),
    },
    Field {
        key: "ivr",
        input: Input::Optional,
        section: Section::Notification,
        label: ("Script IVR", "IVR script"),
        help: (
            "Invece del messaggio, il plugin IVR che conduce la chiamata risposta (le colonne del CSV sono le sue variabili).",
            "Instead of the message, the IVR plugin that runs the answered call (the CSV's columns are its variables).",
        ),
    },
    Field {
        key: "confirm",
        input: Input::Check,
        section: Section::Notification,
        label: ("Conferma richiesta", "Confirmation required"),
        help: (
            "Chi risponde deve premere 1 dopo il messaggio perché la notifica conti come riuscita.",
            "The callee must press 1 after the message for the notification to count as delivered.",
        ),
    },
    Field {
        key: "confirm_wait_s",
        input: Input::Whole {
            min: 1,
            max: 120,
            optional: false,
        },
        section: Section::Notification,
        label: ("Attesa della conferma (s)", "Time to confirm (s)"),
        help: (
            "I secondi che ha chi risponde per premere 1 dopo il messaggio.",
            "The seconds the callee has to press 1 after the message.",
        ),
    },
    Field {
        key: "min_successes",
        input: Input::Whole {
            min: 0,
            max: 10_000_000,
            optional: false,
        },
        section: Section::Notification,
        label: ("Successi minimi", "Minimum successes"),
        help: (
            "Le conferme necessarie perché il run sia Completato; 0 vuol dire tutti i contatti.",
            "The confirmations needed for the run to be Completed; 0 means every contact.",
        ),
    },
    Field {
        key: "mapper",
        input: Input::Optional,
        section: Section::Results,
        label: ("Mappatura degli esiti", "Disposition mapper"),
        help: (
            "Il plugin che decide cosa vuol dire l'esito di un tentativo per il contatto (vuoto: gli stati di ADS).",
            "The plugin that decides what an attempt's result means for the contact (empty: ADS's statuses).",
        ),
    },
    Field {
        key: "connector",
        input: Input::Optional,
        section: Section::Results,
        label: ("Connettore CRM", "CRM connector"),
        help: (
            "Il plugin che riceve l'esito di ogni tentativo.",
            "The plugin that gets each attempt's result.",
        ),
    },
    Field {
        key: "dispositions",
        input: Input::Lines,
        section: Section::Results,
        label: ("Esiti degli operatori", "Agents' dispositions"),
        help: (
            "Gli esiti tra cui l'operatore sceglie alla fine di una chiamata, uno per riga.",
            "The statuses an agent picks from at the end of a call, one per line.",
        ),
    },
    Field {
        key: "crm_url",
        input: Input::Optional,
        section: Section::Results,
        label: ("Indirizzo nel CRM", "CRM address"),
        help: (
            "La pagina del CRM che l'operatore apre durante la chiamata; {colonna} è sostituito dal valore del contatto, ad esempio https://crm.example/clienti?tel={number}&id={codice}.",
            "The CRM page the agent opens during the call; {column} is replaced by the contact's value, e.g. https://crm.example/customers?phone={number}&id={code}.",
        ),
    },
];

/// Whether settings are a campaign's, whole, or a template's part of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    /// A campaign's: it must be able to run.
    Whole,
    /// A template's.
    Part,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// Not a whole number within bounds.
    Whole {
        /// The smallest accepted.
        min: i64,
        /// The largest accepted.
        max: i64,
    },
    /// Not a decimal number within bounds.
    Decimal {
        /// The smallest accepted.
        min: f64,
        /// The largest accepted.
        max: f64,
    },
    /// Not one of the choices.
    Choice,
    /// Not a date and time.
    Moment,
    /// A calling window that is not one, on this line.
    Window(usize),
    /// A pair that is not `name=value`, on this line.
    Pair(usize),
    /// Not a phone number.
    Number,
    /// Empty, and needed.
    Required,
    /// An agent campaign with neither a queue nor an extension.
    NoQueue,
    /// A notification campaign with neither a message nor an IVR script.
    NoMessage,
    /// A validity that ends before it starts.
    EndsBeforeStart,
    /// `fixed` pacing with no number of calls.
    FixedNeedsCalls,
    /// A time zone that is not an IANA zone.
    Zone,
    /// What the dialer said (an unknown list or template, a taken name).
    Refused(String),
}

impl Problem {
    /// What to tell the user, in `language`.
    pub fn message(&self, language: Language) -> String {
        let it = language == Language::It;
        match self {
            Problem::Whole { min, max } if it => format!("Un numero intero da {min} a {max}."),
            Problem::Whole { min, max } => format!("A whole number from {min} to {max}."),
            Problem::Decimal { min, max } if it => format!("Un numero da {min} a {max}."),
            Problem::Decimal { min, max } => format!("A number from {min} to {max}."),
            Problem::Window(line) if it => {
                format!("Riga {line}: scrivi giorni e orari come «lun-ven 09:00-13:00».")
            }
            Problem::Window(line) => {
                format!("Line {line}: write days and hours as \"mon-fri 09:00-13:00\".")
            }
            Problem::Pair(line) if it => format!("Riga {line}: scrivi nome=valore."),
            Problem::Pair(line) => format!("Line {line}: write name=value."),
            Problem::Refused(why) => why.clone(),
            other => language
                .pick(match other {
                    Problem::Choice => ("Scegli una delle opzioni.", "Choose one of the options."),
                    Problem::Moment => (
                        "Una data e un'ora, come 2026-12-31 18:30.",
                        "A date and time, such as 2026-12-31 18:30.",
                    ),
                    Problem::Number => (
                        "Un numero di telefono: cifre, con un + iniziale facoltativo.",
                        "A phone number: digits, with an optional leading +.",
                    ),
                    Problem::Required => ("Campo obbligatorio.", "Required."),
                    Problem::NoQueue => (
                        "Una campagna con operatori ha bisogno di una coda o di un interno.",
                        "An agent campaign needs a queue or an extension.",
                    ),
                    Problem::NoMessage => (
                        "Una campagna di notifica ha bisogno di un messaggio o di uno script IVR.",
                        "A notification campaign needs a message or an IVR script.",
                    ),
                    Problem::EndsBeforeStart => (
                        "La fine viene prima dell'inizio.",
                        "The end comes before the start.",
                    ),
                    Problem::FixedNeedsCalls => (
                        "Con il ritmo «fixed» indica quante chiamate simultanee.",
                        "With \"fixed\" pacing, say how many simultaneous calls.",
                    ),
                    Problem::Zone => (
                        "Un fuso orario IANA, come Europe/Rome.",
                        "An IANA time zone, such as Europe/Rome.",
                    ),
                    _ => ("", ""),
                })
                .to_owned(),
        }
    }
}

/// The form's values by key, as typed.
pub type Values = BTreeMap<String, String>;

/// The days as the form writes them, Monday first, in English and Italian.
const DAYS: [(&str, &str); 7] = [
    ("mon", "lun"),
    ("tue", "mar"),
    ("wed", "mer"),
    ("thu", "gio"),
    ("fri", "ven"),
    ("sat", "sab"),
    ("sun", "dom"),
];

/// The form's values for `settings` (a campaign's or a template's settings JSON, over
/// the defaults), with moments written in `zone`.
pub fn values(settings: &Value, zone: Tz, language: Language) -> Values {
    let defaults = serde_json::to_value(ringhost_dialer::settings::CampaignSettings::default())
        .unwrap_or(Value::Null);
    FIELDS
        .iter()
        .map(|field| {
            let value = lookup(settings, field.key)
                .filter(|v| !v.is_null())
                .or_else(|| lookup(&defaults, field.key))
                .unwrap_or(&Value::Null);
            (
                field.key.to_owned(),
                write(field.input, value, zone, language),
            )
        })
        .collect()
}

/// The settings `values` hold, or the problem of each field that is wrong (by key).
/// `zone` reads the moments. A `Whole` campaign must also be able to run as it is
/// (a queue or extension for agents, a message for notifications); a template's
/// settings (`Part`) need not, since campaigns made from it add what it leaves out.
///
/// # Errors
/// Every field's problem, by key.
pub fn settings(
    values: &Values,
    zone: Tz,
    extent: Extent,
) -> Result<Value, Vec<(&'static str, Problem)>> {
    let mut settings = Map::new();
    let mut problems = Vec::new();
    for field in FIELDS {
        let raw = values.get(field.key).map_or("", |v| v.trim());
        match read(field.input, raw, zone) {
            Ok(value) => put(&mut settings, field.key, value),
            Err(problem) => problems.push((field.key, problem)),
        }
    }
    let settings = Value::Object(settings);
    let text = |key| lookup(&settings, key).and_then(Value::as_str).is_some();
    let kind = lookup(&settings, "kind").and_then(Value::as_str);
    match kind.filter(|_| extent == Extent::Whole) {
        Some("agent") if !text("queue") && !text("extension") => {
            problems.push(("queue", Problem::NoQueue));
        }
        Some("notification") if !text("audio") && !text("ivr") => {
            problems.push(("audio", Problem::NoMessage));
        }
        _ => {}
    }
    let moment = |key| lookup(&settings, key).and_then(Value::as_i64);
    if let (Some(from), Some(until)) = (moment("valid_from_ms"), moment("valid_until_ms"))
        && until <= from
    {
        problems.push(("valid_until_ms", Problem::EndsBeforeStart));
    }
    if lookup(&settings, "pacing.strategy").and_then(Value::as_str) == Some("fixed")
        && lookup(&settings, "max_calls").and_then(Value::as_i64) == Some(0)
    {
        problems.push(("max_calls", Problem::FixedNeedsCalls));
    }
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems)
    }
}

/// The time zone called `name`.
///
/// # Errors
/// [`Problem::Zone`] for a name that is not an IANA zone.
pub fn zone(name: &str) -> Result<Tz, Problem> {
    name.trim().parse::<Tz>().map_err(|_| Problem::Zone)
}

/// A moment as the form writes it (`2026-12-31T18:30`, what `datetime-local` sends),
/// read in `zone`.
///
/// # Errors
/// [`Problem::Moment`].
pub fn read_moment(raw: &str, zone: Tz) -> Result<i64, Problem> {
    let raw = raw.trim().replace(' ', "T");
    let local = NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| Problem::Moment)?;
    zone.from_local_datetime(&local)
        .earliest()
        .map(|at| at.timestamp_millis())
        .ok_or(Problem::Moment)
}

/// `at_ms` as the form writes a moment, in `zone`.
pub fn write_moment(at_ms: i64, zone: Tz) -> String {
    zone.timestamp_millis_opt(at_ms)
        .single()
        .map(|at| at.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

fn lookup<'a>(settings: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(settings, |v, part| v.get(part))
}

fn put(settings: &mut Map<String, Value>, key: &str, value: Value) {
    match key.split_once('.') {
        Some((outer, inner)) => {
            let entry = settings
                .entry(outer.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = entry {
                put(map, inner, value);
            }
        }
        None => {
            settings.insert(key.to_owned(), value);
        }
    }
}

/// A setting's value as the form writes it.
fn write(input: Input, value: &Value, zone: Tz, language: Language) -> String {
    match (input, value) {
        (_, Value::Null) => String::new(),
        (Input::Check, v) => if v.as_bool() == Some(true) { "on" } else { "" }.to_owned(),
        (Input::Share, v) => v
            .as_f64()
            .map(|share| trim_decimal(share * 100.0))
            .unwrap_or_default(),
        (Input::Decimal { .. }, v) => v.as_f64().map(trim_decimal).unwrap_or_default(),
        (Input::Moment, v) => v
            .as_i64()
            .map(|at| write_moment(at, zone))
            .unwrap_or_default(),
        (Input::Windows, Value::Array(windows)) => windows
            .iter()
            .map(|w| write_window(w, language))
            .collect::<Vec<_>>()
            .join("\n"),
        (Input::Lines, Value::Array(lines)) => lines
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n"),
        (Input::Pairs, Value::Array(pairs)) => pairs
            .iter()
            .filter_map(|p| Some(format!("{}={}", p.get(0)?.as_str()?, p.get(1)?.as_str()?)))
            .collect::<Vec<_>>()
            .join("\n"),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

fn trim_decimal(x: f64) -> String {
    let text = format!("{:.4}", x);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn write_window(window: &Value, language: Language) -> String {
    let days: Vec<u8> = window
        .get("days")
        .and_then(Value::as_array)
        .map(|d| {
            d.iter()
                .filter_map(|d| d.as_u64())
                .map(|d| d as u8)
                .collect()
        })
        .unwrap_or_default();
    let name = |d: u8| {
        DAYS.get(usize::from(d))
            .map_or("?", |(en, it)| language.pick((it, en)))
    };
    // Consecutive days are written as a range.
    let mut parts = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}-{}", name(days[i]), name(days[j]))
        } else {
            name(days[i]).to_owned()
        });
        i = j + 1;
    }
    let hour = |k| window.get(k).and_then(Value::as_str).unwrap_or("");
    format!("{} {}-{}", parts.join(","), hour("from"), hour("to"))
}

/// A field's value read from what was typed.
fn read(input: Input, raw: &str, zone: Tz) -> Result<Value, Problem> {
    match input {
        Input::Optional => Ok(if raw.is_empty() {
            Value::Null
        } else {
            json!(raw)
        }),
        Input::Plain => Ok(json!(raw)),
        Input::Required if raw.is_empty() => Err(Problem::Required),
        Input::Required => Ok(json!(raw)),
        Input::Whole { optional: true, .. } if raw.is_empty() => Ok(Value::Null),
        Input::Whole { min, max, .. } => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .map(|n| json!(n))
            .ok_or(Problem::Whole { min, max }),
        Input::Decimal { min, max } => raw
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|x| (min..=max).contains(x))
            .map(|x| json!(x))
            .ok_or(Problem::Decimal { min, max }),
        Input::Share => raw
            .trim_end_matches('%')
            .trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|x| (0.0..=100.0).contains(x))
            .map(|x| json!(x / 100.0))
            .ok_or(Problem::Decimal {
                min: 0.0,
                max: 100.0,
            }),
        Input::Check => Ok(json!(matches!(raw, "on" | "true" | "1" | "yes"))),
        Input::Choice(choices) => choices
            .iter()
            .find(|c| **c == raw)
            .map(|c| json!(c))
            .ok_or(Problem::Choice),
        Input::Moment if raw.is_empty() => Ok(Value::Null),
        Input::Moment => read_moment(raw, zone).map(|at| json!(at)),
        Input::Windows => raw
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| read_window(line).ok_or(Problem::Window(i + 1)))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Input::Lines => Ok(Value::Array(
            raw.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(|line| json!(line))
                .collect(),
        )),
        Input::Pairs => raw
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| {
                line.split_once('=')
                    .map(|(k, v)| (k.trim(), v.trim()))
                    .filter(|(k, _)| !k.is_empty())
                    .map(|(k, v)| json!([k, v]))
                    .ok_or(Problem::Pair(i + 1))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Input::Number if raw.is_empty() => Ok(Value::Null),
        Input::Number => {
            let digits = raw.strip_prefix('+').unwrap_or(raw);
            if (3..=16).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(json!(raw))
            } else {
                Err(Problem::Number)
            }
        }
    }
}

/// One calling window, `mon-fri,sat 09:00-13:00` (English or Italian day names), as
/// the dialer's settings write it.
fn read_window(line: &str) -> Option<Value> {
    let (days, hours) = line.trim().rsplit_once(char::is_whitespace)?;
    let (from, to) = hours.split_once('-')?;
    let clock = |t: &str| {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        ((h < 24 && m < 60) || (h == 24 && m == 0)).then(|| format!("{h:02}:{m:02}"))
    };
    let (from, to) = (clock(from)?, clock(to)?);
    if from >= to {
        return None;
    }
    let day = |name: &str| {
        let name = name.trim().to_lowercase();
        DAYS.iter()
            .position(|(en, it)| name.starts_with(en) || name.starts_with(it))
            .map(|d| d as u8)
    };
    let mut chosen = Vec::new();
    for part in days.split(',').filter(|p| !p.trim().is_empty()) {
        match part.split_once('-') {
            Some((first, last)) => {
                let (first, last) = (day(first)?, day(last)?);
                if first > last {
                    return None;
                }
                chosen.extend(first..=last);
            }
            None => chosen.push(day(part)?),
        }
    }
    chosen.sort_unstable();
    chosen.dedup();
    (!chosen.is_empty()).then(|| json!({"days": chosen, "from": from, "to": to}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rome() -> Tz {
        zone("Europe/Rome").unwrap()
    }

    #[test]
    fn settings_go_through_the_form_and_back_unchanged() {
        let settings = json!({
            "kind": "agent", "queue": "sales", "priority": 3, "ring_timeout_s": 25,
            "calling_hours": [{"days": [0, 1, 2, 3, 4], "from": "09:00", "to": "13:00"},
                              {"days": [5], "from": "10:00", "to": "12:00"}],
            "valid_from_ms": 1_798_758_000_000_i64,
            "pacing": {"strategy": "predictive", "target_abandon_rate": 0.025,
                       "multiplier": 1.5, "extra": [["step", "0.1"]]},
            "caller_id": "+390212345678", "max_attempts": 4,
        });
        for language in [Language::It, Language::En] {
            let values = values(&settings, rome(), language);
            assert_eq!(values["pacing.target_abandon_rate"], "2.5");
            let back = super::settings(&values, rome(), Extent::Whole).unwrap();
            for key in [
                "kind",
                "queue",
                "priority",
                "calling_hours",
                "valid_from_ms",
                "pacing.strategy",
                "pacing.extra",
                "pacing.multiplier",
                "caller_id",
                "max_attempts",
            ] {
                assert_eq!(lookup(&back, key), lookup(&settings, key), "{key}");
            }
            let parsed: ringhost_dialer::settings::CampaignSettings =
                serde_json::from_value(back).unwrap();
            assert!((parsed.pacing.target_abandon_rate - 0.025).abs() < 1e-9);
        }
    }

    #[test]
    fn each_wrong_field_is_named_with_its_problem() {
        let mut values = values(&json!({}), rome(), Language::En);
        values.insert("ring_timeout_s".into(), "2".into());
        values.insert(
            "calling_hours".into(),
            "mon-fri 09:00-13:00\nsometimes".into(),
        );
        values.insert("caller_id".into(), "call me".into());
        values.insert("kind".into(), "agent".into());
        values.insert("valid_from_ms".into(), "2027-01-02T10:00".into());
        values.insert("valid_until_ms".into(), "2027-01-01T10:00".into());
        let problems = settings(&values, rome(), Extent::Whole).unwrap_err();
        let part = settings(&values, rome(), Extent::Part).unwrap_err();
        assert!(
            part.iter().all(|(k, _)| *k != "queue"),
            "a template needs no queue"
        );
        let keys: Vec<&str> = problems.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                "calling_hours",
                "caller_id",
                "ring_timeout_s",
                "queue",
                "valid_until_ms"
            ]
        );
        assert_eq!(problems[0].1, Problem::Window(2));
        assert_eq!(
            problems[2].1.message(Language::En),
            "A whole number from 5 to 300."
        );
    }

    #[test]
    fn windows_take_italian_and_english_days() {
        assert_eq!(
            read_window("lun-mer,ven 08:30-12:00"),
            Some(json!({"days": [0, 1, 2, 4], "from": "08:30", "to": "12:00"}))
        );
        assert_eq!(
            read_window("sat,sun 10:00-24:00"),
            Some(json!({"days": [5, 6], "from": "10:00", "to": "24:00"}))
        );
        assert_eq!(read_window("fri-mon 10:00-12:00"), None);
        assert_eq!(read_window("mon 12:00-10:00"), None);
        assert_eq!(read_window("mon 25:00-26:00"), None);
    }
}
