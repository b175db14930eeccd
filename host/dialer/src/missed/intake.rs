//! A missed call as a PBX reports it: Kalliope's dynamic-routing XML, posted exactly as
//! its documentation writes it, or the same fields as JSON.
//!
//! ```xml
//! <?xml version="1.0"?>
//! <parameters>
//! <unique_id>%UNIQUE_ID%</unique_id>
//! <caller>%CALLER_NUM%</caller>
//! <called>%DNID%</called>
//! <servicecode>%PARAM1%</servicecode>
//! <param1>NOME_DELLA_CODA</param1>
//! <param2>queue</param2>
//! <param3>%PARAM3%</param3>
//! <param4>%PARAM4%</param4>
//! <param5>%PARAM5%</param5>
//! </parameters>
//! ```
//!
//! A placeholder the PBX left unexpanded (`%PARAM4%`) means empty. The XML is read by
//! `roxmltree`, which refuses a document type declaration, and so any entity but the
//! five predefined ones: no entity expansion, no external entity, by construction.

use ringhost_store::missed::{NewMissedCall, Source};
use serde::Deserialize;

use crate::number::{Region, normalise};

/// The fields of a missed call, as the XML's elements or the JSON's keys name them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedCallForm {
    /// The PBX's id of the call; the same id twice counts once.
    #[serde(default)]
    pub unique_id: String,
    /// The caller's number, as the PBX writes it.
    #[serde(default)]
    pub caller: String,
    /// The number the customer called (DNID).
    #[serde(default)]
    pub called: String,
    /// The PBX's service code.
    #[serde(default)]
    pub servicecode: String,
    /// The destination's name (the queue's).
    #[serde(default)]
    pub param1: String,
    /// The destination's kind (`queue`).
    #[serde(default)]
    pub param2: String,
    /// Free parameters, kept in the request's history.
    #[serde(default)]
    pub param3: String,
    /// See `param3`.
    #[serde(default)]
    pub param4: String,
    /// See `param3`.
    #[serde(default)]
    pub param5: String,
    /// The accountcode (not in Kalliope's template; a PBX may add it).
    #[serde(default)]
    pub accountcode: String,
}

/// Why a missed call was refused; nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// The body is no well-formed XML, or has a DTD or entities.
    #[error("the XML cannot be read: {0}")]
    Xml(String),
    /// The body is no JSON object of the fields.
    #[error("the JSON cannot be read: {0}")]
    Json(String),
    /// The XML's root is not `<parameters>`, or an element is not one of the fields.
    #[error("{0}")]
    Shape(String),
    /// No caller number.
    #[error("the caller's number is missing")]
    NoCaller,
    /// A caller that is no phone number.
    #[error("the caller: {0}")]
    Caller(String),
}

/// The elements and keys a missed call may have.
const FIELDS: [&str; 10] = [
    "unique_id",
    "caller",
    "called",
    "servicecode",
    "param1",
    "param2",
    "param3",
    "param4",
    "param5",
    "accountcode",
];

impl MissedCallForm {
    /// Reads Kalliope's XML.
    ///
    /// # Errors
    /// A document that is not well-formed or declares a DTD; a root other than
    /// `<parameters>`; an element that is not a field, or a field twice.
    pub fn from_xml(body: &str) -> Result<MissedCallForm, IntakeError> {
        let document = roxmltree::Document::parse_with_options(
            body,
            roxmltree::ParsingOptions {
                allow_dtd: false,
                ..roxmltree::ParsingOptions::default()
            },
        )
        .map_err(|error| IntakeError::Xml(error.to_string()))?;
        let root = document.root_element();
        if root.tag_name().name() != "parameters" {
            return Err(IntakeError::Shape(format!(
                "the root element is <{}>, not <parameters>",
                root.tag_name().name()
            )));
        }
        let mut form = MissedCallForm::default();
        let mut seen = Vec::new();
        for element in root.children().filter(roxmltree::Node::is_element) {
            let name = element.tag_name().name();
            let Some(field) = FIELDS.iter().find(|f| **f == name) else {
                return Err(IntakeError::Shape(format!(
                    "<{name}> is not a field of a missed call (fields: {})",
                    FIELDS.join(", ")
                )));
            };
            if seen.contains(field) {
                return Err(IntakeError::Shape(format!("<{name}> is given twice")));
            }
            seen.push(*field);
            let text: String = element
                .descendants()
                .filter(roxmltree::Node::is_text)
                .filter_map(|n| n.text())
                .collect();
            *form.field_mut(field) = text;
        }
        Ok(form)
    }

    /// Reads the JSON form.
    ///
    /// # Errors
    /// No JSON object, a key that is not a field, a value that is not a string.
    pub fn from_json(body: &[u8]) -> Result<MissedCallForm, IntakeError> {
        serde_json::from_slice(body).map_err(|error| IntakeError::Json(error.to_string()))
    }

    fn field_mut(&mut self, name: &str) -> &mut String {
        match name {
            "unique_id" => &mut self.unique_id,
            "caller" => &mut self.caller,
            "called" => &mut self.called,
            "servicecode" => &mut self.servicecode,
            "param1" => &mut self.param1,
            "param2" => &mut self.param2,
            "param3" => &mut self.param3,
            "param4" => &mut self.param4,
            "param5" => &mut self.param5,
            _ => &mut self.accountcode,
        }
    }

    /// The call to count: placeholders emptied, the caller read in `region`'s terms
    /// and kept in E.164.
    ///
    /// # Errors
    /// No caller, or a caller that is no phone number.
    pub fn into_call(self, region: Region, at_ms: i64) -> Result<NewMissedCall, IntakeError> {
        let value = |raw: &str| -> String {
            let raw = raw.trim();
            if is_placeholder(raw) {
                String::new()
            } else {
                raw.to_owned()
            }
        };
        let caller = value(&self.caller);
        if caller.is_empty() {
            return Err(IntakeError::NoCaller);
        }
        let caller = normalise(&caller, region)
            .map_err(|error| IntakeError::Caller(error.to_string()))?
            .e164;
        let detail = serde_json::json!({
            "servicecode": value(&self.servicecode),
            "param3": value(&self.param3),
            "param4": value(&self.param4),
            "param5": value(&self.param5),
        });
        Ok(NewMissedCall {
            unique_id: Some(value(&self.unique_id)).filter(|id| !id.is_empty()),
            caller,
            at_ms,
            kind: value(&self.param2),
            name: value(&self.param1),
            source: Source::Pbx,
            called: value(&self.called),
            accountcode: value(&self.accountcode),
            detail: detail.to_string(),
        })
    }
}

/// Whether `value` is a placeholder the PBX did not expand, such as `%PARAM4%`.
fn is_placeholder(value: &str) -> bool {
    value.len() > 2
        && value.starts_with('%')
        && value.ends_with('%')
        && value[1..value.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kalliope's template as its documentation prints it, with the PBX's values.
    const SEED: &str = "<?xml version=\"1.0\"?>\n<parameters>\n\
        <unique_id>1700000000.42</unique_id>\n<caller>0287654321</caller>\n\
        <called>0299999999</called>\n<servicecode>%PARAM1%</servicecode>\n\
        <param1>NOME_DELLA_CODA</param1>\n<param2>queue</param2>\n\
        <param3>%PARAM3%</param3>\n<param4>%PARAM4%</param4>\n<param5>%PARAM5%</param5>\n\
        </parameters>\n";

    fn italy() -> Region {
        Region::parse("IT").unwrap()
    }

    #[test]
    fn the_seed_is_read_with_its_placeholders_empty() {
        let call = MissedCallForm::from_xml(SEED)
            .unwrap()
            .into_call(italy(), 5)
            .unwrap();
        assert_eq!(call.caller, "+390287654321");
        assert_eq!(call.unique_id.as_deref(), Some("1700000000.42"));
        assert_eq!(
            (call.kind.as_str(), call.name.as_str()),
            ("queue", "NOME_DELLA_CODA")
        );
        assert_eq!(call.called, "0299999999");
        let detail: serde_json::Value = serde_json::from_str(&call.detail).unwrap();
        assert_eq!(detail["servicecode"], "");
        assert_eq!(detail["param4"], "");
    }

    #[test]
    fn json_says_the_same() {
        let body = br#"{"unique_id":"1700000000.42","caller":"0287654321","called":"0299999999",
            "servicecode":"%PARAM1%","param1":"NOME_DELLA_CODA","param2":"queue"}"#;
        let json = MissedCallForm::from_json(body).unwrap();
        let xml = MissedCallForm::from_xml(SEED).unwrap();
        assert_eq!(
            json.into_call(italy(), 5).unwrap(),
            xml.into_call(italy(), 5).unwrap()
        );
    }

    #[test]
    fn dtds_entities_and_wrong_shapes_are_refused() {
        let cases = [
            "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x \"y\">]><parameters><caller>&x;</caller></parameters>",
            "<parameters><caller>&x;</caller></parameters>",
            "<?xml version=\"1.0\"?><!DOCTYPE p SYSTEM \"file:///etc/passwd\"><parameters/>",
            "<parameters><caller>02</caller>",
            "<params><caller>0287654321</caller></params>",
            "<parameters><caller>0287654321</caller><who>x</who></parameters>",
            "<parameters><caller>0287654321</caller><caller>0287654322</caller></parameters>",
            "",
        ];
        for body in cases {
            assert!(MissedCallForm::from_xml(body).is_err(), "{body} was read");
        }
        assert!(MissedCallForm::from_json(br#"{"caller":"1","extra":2}"#).is_err());
        assert!(MissedCallForm::from_json(br#"{"caller":5}"#).is_err());
    }

    #[test]
    fn a_caller_must_be_a_number() {
        for caller in ["", "%CALLER_NUM%", "  ", "anonymous", "12"] {
            let form = MissedCallForm {
                caller: caller.into(),
                ..MissedCallForm::default()
            };
            assert!(form.into_call(italy(), 0).is_err(), "{caller:?} was taken");
        }
        // Predefined entities are text.
        let form = MissedCallForm::from_xml(
            "<parameters><caller>+39 02 8765 4321</caller><param1>A &amp; B</param1></parameters>",
        )
        .unwrap();
        assert_eq!(form.param1, "A & B");
        assert_eq!(form.into_call(italy(), 0).unwrap().caller, "+390287654321");
    }
}
