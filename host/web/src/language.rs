//! The panel's two languages, Italian and English, and the texts of its pages in
//! each: the frame's and the first pages' in a struct of texts, the others written in
//! place as pairs ([`Language::pick`]). Either way, rather than a message-catalogue
//! crate: the compiler checks that every text exists in both languages.

/// A language of the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// Italiano.
    It,
    /// English.
    En,
}

impl Language {
    /// The language called `code` (`it`, `en`).
    pub fn parse(code: &str) -> Option<Language> {
        match code {
            "it" => Some(Language::It),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// Its code, as the store and the `lang` attribute write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::It => "it",
            Language::En => "en",
        }
    }

    /// The first of `it` and `en` an `Accept-Language` header asks for (by order of
    /// quality), else English.
    pub fn from_accept(header: Option<&str>) -> Language {
        let mut asked: Vec<(f32, Language)> = header
            .unwrap_or("")
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?.to_owned();
                Language::parse(&primary).map(|l| (quality, l))
            })
            .collect();
        asked.sort_by(|a, b| b.0.total_cmp(&a.0));
        asked.first().map_or(Language::En, |(_, l)| *l)
    }

    /// Of a text written in both languages (Italian, English), the one in this
    /// language: how pages write texts in place (`frame.tr("Campagne", "Campaigns")`).
    pub fn pick(self, (it, en): (&'static str, &'static str)) -> &'static str {
        match self {
            Language::It => it,
            Language::En => en,
        }
    }

    /// The texts of the pages in this language.
    pub fn text(self) -> &'static Text {
        match self {
            Language::It => &IT,
            Language::En => &EN,
        }
    }
}

/// Every text of the pages.
#[derive(Debug)]
pub struct Text {
    /// The product's name and tagline, in the title bar.
    pub title: &'static str,
    /// The sign-in page's heading.
    pub sign_in: &'static str,
    /// The user-name field.
    pub user_name: &'static str,
    /// The password field.
    pub password: &'static str,
    /// A failed sign-in (never saying which of the two was wrong).
    pub bad_credentials: &'static str,
    /// Too many failed sign-ins.
    pub throttled: &'static str,
    /// The sign-out button.
    pub sign_out: &'static str,
    /// The greeting on the home page.
    pub welcome: &'static str,
    /// The lists page's heading.
    pub lists: &'static str,
    /// A list's name column and field.
    pub name: &'static str,
    /// The accounting code column and field.
    pub accountcode: &'static str,
    /// Whether a list is dialled.
    pub active: &'static str,
    /// Yes.
    pub yes: &'static str,
    /// No.
    pub no: &'static str,
    /// The create-list form's heading and button.
    pub create_list: &'static str,
    /// No lists yet.
    pub no_lists: &'static str,
    /// A required field left empty.
    pub required: &'static str,
    /// The contacts waiting, being dialled, finished.
    pub ready: &'static str,
    /// Contacts being dialled.
    pub dialing: &'static str,
    /// Contacts finished.
    pub done: &'static str,
    /// The import form's heading and button.
    pub import_csv: &'static str,
    /// What the import form takes.
    pub csv_file: &'static str,
    /// How many rows were imported.
    pub imported: &'static str,
    /// The heading of the rows refused.
    pub rejected: &'static str,
    /// A row's line in the file.
    pub line: &'static str,
    /// Why a row was refused.
    pub reason: &'static str,
    /// An import without a file.
    pub no_file: &'static str,
    /// The users page's heading.
    pub users: &'static str,
    /// A user's display name.
    pub display_name: &'static str,
    /// A user's role.
    pub role: &'static str,
    /// A user's language.
    pub language: &'static str,
    /// A disabled user.
    pub disabled: &'static str,
    /// The button that disables a user.
    pub disable: &'static str,
    /// The create-user form's heading and button.
    pub create_user: &'static str,
    /// A user name that is not one.
    pub bad_user_name: &'static str,
    /// A user name that is taken.
    pub taken: &'static str,
    /// A password that is too short.
    pub short_password: &'static str,
    /// A role or language that is not one of the choices.
    pub bad_choice: &'static str,
    /// The 403 page.
    pub forbidden: &'static str,
    /// The 404 page.
    pub not_found: &'static str,
    /// A form whose anti-forgery token is missing or wrong.
    pub bad_form: &'static str,
}

const IT: Text = Text {
    title: "Ringhost",
    sign_in: "Accedi",
    user_name: "Nome utente",
    password: "Password",
    bad_credentials: "Nome utente o password non validi.",
    throttled: "Troppi tentativi falliti: riprova tra qualche minuto.",
    sign_out: "Esci",
    welcome: "Benvenuto",
    lists: "Liste di contatti",
    name: "Nome",
    accountcode: "Codice di addebito",
    active: "Attiva",
    yes: "sì",
    no: "no",
    create_list: "Crea lista",
    no_lists: "Nessuna lista.",
    required: "Campo obbligatorio.",
    ready: "In attesa",
    dialing: "In chiamata",
    done: "Concluse",
    import_csv: "Importa un CSV",
    csv_file: "File CSV (formato ADS: i numeri nella prima colonna)",
    imported: "Righe importate",
    rejected: "Righe scartate",
    line: "Riga",
    reason: "Motivo",
    no_file: "Scegli un file da importare.",
    users: "Utenti",
    display_name: "Nome visualizzato",
    role: "Ruolo",
    language: "Lingua",
    disabled: "disattivato",
    disable: "Disattiva",
    create_user: "Crea utente",
    bad_user_name: "Da 1 a 64 lettere, cifre, '.', '_', '-' o '@'.",
    taken: "Nome già in uso.",
    short_password: "Almeno 8 caratteri.",
    bad_choice: "Scegli una delle opzioni.",
    forbidden: "Non hai il permesso di vedere questa pagina.",
    not_found: "Pagina non trovata.",
    bad_form: "Modulo scaduto o non valido: ricarica la pagina e riprova.",
};

const EN: Text = Text {
    title: "Ringhost",
    sign_in: "Sign in",
    user_name: "User name",
    password: "Password",
    bad_credentials: "Wrong user name or password.",
    throttled: "Too many failed attempts: try again in a few minutes.",
    sign_out: "Sign out",
    welcome: "Welcome",
    lists: "Contact lists",
    name: "Name",
    accountcode: "Account code",
    active: "Active",
    yes: "yes",
    no: "no",
    create_list: "Create list",
    no_lists: "No lists yet.",
    required: "Required.",
    ready: "Waiting",
    dialing: "Dialling",
    done: "Done",
    import_csv: "Import a CSV",
    csv_file: "CSV file (ADS format: the numbers in the first column)",
    imported: "Rows imported",
    rejected: "Rows refused",
    line: "Line",
    reason: "Reason",
    no_file: "Choose a file to import.",
    users: "Users",
    display_name: "Display name",
    role: "Role",
    language: "Language",
    disabled: "disabled",
    disable: "Disable",
    create_user: "Create user",
    bad_user_name: "1 to 64 letters, digits, '.', '_', '-' or '@'.",
    taken: "That name is taken.",
    short_password: "At least 8 characters.",
    bad_choice: "Choose one of the options.",
    forbidden: "You may not see this page.",
    not_found: "Page not found.",
    bad_form: "This form has expired or is not valid: reload the page and try again.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_known_language() {
        assert_eq!(
            Language::from_accept(Some("it-IT,it;q=0.9,en;q=0.8")),
            Language::It
        );
        assert_eq!(
            Language::from_accept(Some("de-DE, en;q=0.5, it;q=0.7")),
            Language::It
        );
        assert_eq!(Language::from_accept(Some("fr")), Language::En);
        assert_eq!(Language::from_accept(None), Language::En);
    }
}
