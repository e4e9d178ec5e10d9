//! Names as the database compares them: PostgreSQL folds unquoted identifiers to lower case,
//! SQLite and MySQL compare table and column names without regard to ASCII case (MySQL table
//! names follow the file system; the analysis treats them the same, which only makes it
//! find fewer errors).

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

use super::Dialect;

/// One identifier, normalized for comparison.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Name(pub String);

/// A possibly schema-qualified object name, normalized.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Qualified {
    /// The schema, when the statement names one.
    pub schema: Option<Name>,
    /// The object.
    pub name: Name,
}

impl Name {
    /// `ident` as `dialect` compares it.
    pub fn of(ident: &Ident, dialect: Dialect) -> Self {
        Name::from_text(&ident.value, ident.quote_style.is_some(), dialect)
    }

    /// A name from its text, quoted or not.
    pub fn from_text(text: &str, quoted: bool, dialect: Dialect) -> Self {
        match dialect {
            Dialect::Postgres if quoted => Name(text.to_owned()),
            _ => Name(text.to_lowercase()),
        }
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Qualified {
    /// `name` as `dialect` compares it; `None` for names with more than two parts (a
    /// database-qualified name) or computed parts.
    pub fn of(name: &ObjectName, dialect: Dialect) -> Option<Self> {
        let parts: Vec<Name> = name
            .0
            .iter()
            .map(|part| match part {
                ObjectNamePart::Identifier(ident) => Some(Name::of(ident, dialect)),
                _ => None,
            })
            .collect::<Option<_>>()?;
        match <[Name; 1]>::try_from(parts.clone()) {
            Ok([name]) => Some(Qualified { schema: None, name }),
            Err(_) => match <[Name; 2]>::try_from(parts) {
                Ok([schema, name]) => Some(Qualified {
                    schema: Some(schema),
                    name,
                }),
                Err(_) => None,
            },
        }
    }
}

impl std::fmt::Display for Qualified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}
