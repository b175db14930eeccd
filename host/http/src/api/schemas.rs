//! The OpenAPI shapes of the dialer's types, which cannot derive `ToSchema` (the
//! dialer knows nothing of HTTP) and which the API takes or answers as they are.
//!
//! Settings are described from their own defaults, serialised: every property is
//! there with its default and type, so the document cannot drift from the code when a
//! setting is added. The answers the dialer builds are mirrored field by field, and a
//! test compares each mirror with the real type's serialisation.

use std::borrow::Cow;

use ringhost_dialer::settings;
use serde_json::Value;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

/// A list's settings: retry policy, default region and zone of its contacts.
pub(crate) struct ListSettingsDoc;

impl PartialSchema for ListSettingsDoc {
    fn schema() -> RefOr<Schema> {
        from_defaults(
            "A contact list's settings: how often and after what wait a contact is tried \
             again, the country of numbers written without an international prefix, the \
             time zone of contacts whose zone nothing else tells. Every property has the \
             default shown; unknown properties are refused.",
            &json(settings::ListSettings::default()),
            &[],
        )
    }
}

impl ToSchema for ListSettingsDoc {
    fn name() -> Cow<'static, str> {
        "ListSettings".into()
    }
}

/// A campaign's settings: the fields of the product's campaign section.
pub(crate) struct CampaignSettingsDoc;

impl PartialSchema for CampaignSettingsDoc {
    fn schema() -> RefOr<Schema> {
        from_defaults(
            "A campaign's settings. Every property has the default shown (a template's \
             value, when the campaign is made from one), so an object names only what it \
             changes; given properties replace the template's or the campaign's whole \
             value. Unknown properties and values of the wrong type are refused with 400.",
            &json(settings::CampaignSettings::default()),
            &[(
                "kind",
                &[
                    json(settings::CampaignKind::Agent),
                    json(settings::CampaignKind::Notification),
                ],
            )],
        )
    }
}

impl ToSchema for CampaignSettingsDoc {
    fn name() -> Cow<'static, str> {
        "CampaignSettings".into()
    }
}

/// An object schema whose properties are those of `defaults` (a serialised default
/// value), each with its default and the type of that default; no other property.
/// `choices` gives the values a property may take, where they are few.
fn from_defaults(
    description: &str,
    defaults: &Value,
    choices: &[(&str, &[Value])],
) -> RefOr<Schema> {
    let Value::Object(fields) = defaults else {
        unreachable!("settings serialise to an object")
    };
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)));
    for (name, value) in fields {
        let mut schema = property(value);
        if let (Some((_, values)), RefOr::T(Schema::Object(property))) =
            (choices.iter().find(|(field, _)| field == name), &mut schema)
        {
            property.enum_values = Some(values.to_vec());
        }
        object = object.property(name, schema);
    }
    object.default(Some(defaults.clone())).build().into()
}

/// A settings value as JSON.
fn json(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("settings serialise to JSON")
}

/// A property's schema from its default: the type of that value, and nested objects
/// described the same way. An optional setting unset by default (`null`) gets no type
/// rather than a guessed one.
fn property(default: &Value) -> RefOr<Schema> {
    let ty = match default {
        Value::Null => None,
        Value::Bool(_) => Some(Type::Boolean),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(Type::Integer),
        Value::Number(_) => Some(Type::Number),
        Value::String(_) => Some(Type::String),
        Value::Array(_) => Some(Type::Array),
        Value::Object(fields) => {
            let mut object = ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)));
            for (name, value) in fields {
                object = object.property(name, property(value));
            }
            return object.default(Some(default.clone())).build().into();
        }
    };
    ObjectBuilder::new()
        .schema_type(ty.map_or(SchemaType::AnyValue, SchemaType::from))
        .default(Some(default.clone()))
        .build()
        .into()
}

/// What an import did (the dialer's `ImportSummary`).
#[derive(ToSchema)]
#[schema(as = ImportSummary)]
#[allow(dead_code, reason = "only describes the dialer's type")]
pub(crate) struct ImportSummaryDoc {
    /// The list imported into.
    list: String,
    /// Rows stored.
    imported: u64,
    /// Rows refused, each with its line and reason: fix them and import them again.
    rejected: Vec<RejectedDoc>,
}

/// A row that was not imported.
#[derive(ToSchema)]
#[schema(as = Rejected)]
#[allow(dead_code, reason = "only describes the dialer's type")]
pub(crate) struct RejectedDoc {
    /// The row's line in the file (the header is line 1).
    line: u64,
    /// What is wrong with it.
    reason: String,
}

/// A campaign's status and counters (the dialer's `CampaignStatus`).
#[derive(ToSchema)]
#[schema(as = CampaignStatus)]
#[allow(dead_code, reason = "only describes the dialer's type")]
pub(crate) struct CampaignStatusDoc {
    /// Its id.
    id: i64,
    /// Its name.
    name: String,
    /// Its lifecycle state.
    state: String,
    /// The current (or last) run.
    run: i64,
    /// Contacts of its lists ready to be called.
    contacts_ready: i64,
    /// Contacts being dialled.
    contacts_dialing: i64,
    /// Contacts finished.
    contacts_done: i64,
    /// This run's ended attempts by disposition status: `[status, count]` pairs.
    attempts_by_status: Vec<(String, i64)>,
    /// This run's ended attempts by raw outcome: `[outcome, count]` pairs.
    attempts_by_outcome: Vec<(String, i64)>,
    /// Confirmed attempts of this run (notification campaigns).
    confirmed: i64,
    /// Calls placed and not ringing yet.
    calls_dialing: u32,
    /// Calls ringing.
    calls_ringing: u32,
    /// Calls answered and not with an agent: a message, an IVR, or the queue.
    calls_answered: u32,
    /// Calls answered and put through to an agent.
    calls_talking: u32,
    /// Answered attempts of those ended, over the campaign's rolling window.
    answer_rate: f64,
    /// Abandoned calls of those answered, over the same window.
    abandon_rate: f64,
}
