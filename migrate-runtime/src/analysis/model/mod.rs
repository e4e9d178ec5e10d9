//! The schema model: what the migrations have certainly created, folded over them in version
//! order, and what they may have touched without the analysis understanding how.
//!
//! Every question has three answers ([`Knowledge`]): present, absent, or unknown. Only a
//! certain answer becomes an error. An object becomes unknown when an opaque statement
//! mentions its name, when a statement the model does not follow changes it, or when the
//! world is *open*: after a migration written in Rust or dynamic SQL, anything may exist.

mod change;

use std::collections::{BTreeMap, BTreeSet};

pub(crate) use change::{words, Change, ColumnDef};

use super::name::{Name, Qualified};
use super::Dialect;

/// An answer of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Knowledge {
    /// Certainly exists.
    Present,
    /// Certainly does not exist.
    Absent,
    /// May or may not exist.
    Unknown,
}

/// Something a statement refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Object {
    /// A table (or, where the statement accepts one, a view).
    Table(Qualified),
    /// Any relation (table, view, index, sequence): the namespace `CREATE` collides in.
    Relation(Qualified),
    /// A column of a table.
    Column(Qualified, Name),
    /// An index (PostgreSQL and SQLite: in the schema's namespace; MySQL: of its table).
    Index(Qualified),
    /// A MySQL index of a table.
    TableIndex(Qualified, Name),
    /// A user-defined type.
    Type(Qualified),
    /// A value of an enum type.
    EnumValue(Qualified, String),
    /// A schema.
    Schema(Name),
    /// A function, by name.
    Function(Qualified),
}

/// What kind of relation a name is.
#[derive(Clone, Debug)]
pub(crate) enum Relation {
    Table(Table),
    View,
    /// An index on a table, with its plain columns (`None` when it indexes expressions).
    Index {
        table: Key,
        columns: Option<Vec<Name>>,
    },
    Sequence,
}

/// A table: its columns, in order, and whether the model knows all of them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    pub columns: Vec<ColumnDef>,
    /// False when a statement the model does not follow may have changed the columns.
    pub columns_known: bool,
    /// MySQL: the table's indexes.
    pub indexes: BTreeSet<Name>,
}

/// A name resolved to its schema: `(schema, name)`.
pub(crate) type Key = (Name, Name);

/// One object of the model, with whether it is certain.
#[derive(Clone, Debug)]
struct Entry<T> {
    value: T,
    /// False when something the model does not follow may have dropped or changed it.
    certain: bool,
}

/// A user-defined type: the values of an enum, `None` for other types.
#[derive(Clone, Debug)]
pub(crate) struct Type {
    pub values: Option<Vec<String>>,
}

/// The schema model.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    dialect: Dialect,
    /// Schemas the migrations own: objects missing there are certainly missing.
    schemas: BTreeSet<Name>,
    /// Schemas where an extension was installed: its own types, functions and (for some)
    /// tables may be there, so names missing from the model are unknown.
    extended: BTreeSet<Name>,
    relations: BTreeMap<Key, Entry<Relation>>,
    types: BTreeMap<Key, Entry<Type>>,
    functions: BTreeMap<Key, Function>,
    /// Lower-case words of statements the model did not understand: a missing object with
    /// such a name may exist.
    tainted: BTreeSet<String>,
    /// After a Rust migration or dynamic SQL: nothing is certainly missing or present.
    open: bool,
    /// `SET search_path` was run: unqualified names may resolve elsewhere.
    search_path_changed: bool,
    /// Tables created by the current migration.
    new_tables: BTreeSet<Key>,
}

/// A function the migrations created: the words of its body, for when it is called.
#[derive(Clone, Debug)]
pub(crate) struct Function {
    pub body_words: Vec<String>,
    /// The body builds SQL at run time (`EXECUTE`): calling it may do anything.
    pub dynamic: bool,
}

impl Model {
    /// An empty database of `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        Model {
            dialect,
            schemas: BTreeSet::from([default_schema(dialect)]),
            extended: BTreeSet::new(),
            relations: BTreeMap::new(),
            types: BTreeMap::new(),
            functions: BTreeMap::new(),
            tainted: BTreeSet::new(),
            open: false,
            search_path_changed: false,
            new_tables: BTreeSet::new(),
        }
    }

    /// The dialect the model follows.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Starts a migration: tables created from now on are new.
    pub fn begin_migration(&mut self) {
        self.new_tables.clear();
    }

    /// Whether `table` was created by the current migration.
    pub fn is_new(&self, table: &Qualified) -> bool {
        self.new_tables.contains(&self.key(table))
    }

    /// Whether `index` is an index of a table created by the current migration.
    pub fn is_index_on_new_table(&self, index: &Qualified) -> bool {
        match self.relations.get(&self.key(index)) {
            Some(Entry {
                value: Relation::Index { table, .. },
                ..
            }) => self.new_tables.contains(table),
            _ => false,
        }
    }

    /// The schema and name `name` resolves to.
    pub fn key(&self, name: &Qualified) -> Key {
        let default = default_schema(self.dialect);
        let schema = match &name.schema {
            Some(schema) if self.is_default_alias(schema) => default,
            Some(schema) => schema.clone(),
            None => default,
        };
        (schema, name.name.clone())
    }

    /// SQLite's `main` and PostgreSQL's `public` name the default schema.
    fn is_default_alias(&self, schema: &Name) -> bool {
        *schema == default_schema(self.dialect)
    }

    /// What the model knows about `object`.
    pub fn knows(&self, object: &Object) -> Knowledge {
        match object {
            Object::Table(name) => match self.relation(name) {
                Some(Some(Relation::Table(_) | Relation::View)) => Knowledge::Present,
                Some(Some(_)) => Knowledge::Absent,
                Some(None) => self.missing(name, Implicit::No),
                None => Knowledge::Unknown,
            },
            Object::Relation(name) => match self.relation(name) {
                Some(Some(_)) => Knowledge::Present,
                Some(None) => self.missing(name, Implicit::Maybe),
                None => Knowledge::Unknown,
            },
            Object::Index(name) => match self.relation(name) {
                Some(Some(Relation::Index { .. })) => Knowledge::Present,
                Some(Some(_)) => Knowledge::Absent,
                Some(None) => self.missing(name, Implicit::Maybe),
                None => Knowledge::Unknown,
            },
            Object::Column(table, column) => self.column(table, column),
            Object::TableIndex(table, index) => match self.relation(table) {
                Some(Some(Relation::Table(t))) if t.columns_known => {
                    if t.indexes.contains(index) {
                        Knowledge::Present
                    } else {
                        self.missing_word(&index.0)
                    }
                }
                _ => Knowledge::Unknown,
            },
            Object::Type(name) => self.type_(name).map_or(Knowledge::Unknown, |t| {
                if t.is_some() {
                    Knowledge::Present
                } else {
                    self.missing_extensible(name)
                }
            }),
            Object::EnumValue(name, value) => match self.type_(name) {
                Some(Some(Type {
                    values: Some(values),
                })) => {
                    if values.contains(value) {
                        Knowledge::Present
                    } else {
                        self.closed()
                    }
                }
                _ => Knowledge::Unknown,
            },
            Object::Schema(name) => {
                if self.schemas.contains(name) {
                    Knowledge::Present
                } else {
                    // Schemas the migrations do not create may exist (extensions, the
                    // platform's own, the database's owner).
                    Knowledge::Unknown
                }
            }
            Object::Function(name) => {
                let key = self.key(name);
                if self.functions.contains_key(&key) {
                    Knowledge::Present
                } else if self.schemas.contains(&key.0) {
                    self.missing_extensible(name)
                } else {
                    Knowledge::Unknown
                }
            }
        }
    }

    /// The relation `name`: `None` when unknown, `Some(None)` when certainly absent from an
    /// owned schema (the caller still asks [`Self::missing`]), `Some(Some(_))` when certain.
    fn relation(&self, name: &Qualified) -> Option<Option<&Relation>> {
        let key = self.key(name);
        match self.relations.get(&key) {
            Some(entry) if entry.certain && !self.open => Some(Some(&entry.value)),
            Some(_) => None,
            None if self.schemas.contains(&key.0) => Some(None),
            None => None,
        }
    }

    fn type_(&self, name: &Qualified) -> Option<Option<&Type>> {
        let key = self.key(name);
        match self.types.get(&key) {
            Some(entry) if entry.certain && !self.open => Some(Some(&entry.value)),
            Some(_) => None,
            None if self.schemas.contains(&key.0) => Some(None),
            None => None,
        }
    }

    fn column(&self, table: &Qualified, column: &Name) -> Knowledge {
        match self.relation(table) {
            Some(Some(Relation::Table(t))) if t.columns_known => {
                if t.columns.iter().any(|c| c.name == *column) {
                    Knowledge::Present
                } else if is_system_column(self.dialect, column) {
                    Knowledge::Unknown
                } else {
                    self.closed()
                }
            }
            _ => Knowledge::Unknown,
        }
    }

    /// Absent, unless the world is open.
    fn closed(&self) -> Knowledge {
        if self.open {
            Knowledge::Unknown
        } else {
            Knowledge::Absent
        }
    }

    /// A relation that is not in the model: absent, unless something may have created it.
    fn missing(&self, name: &Qualified, implicit: Implicit) -> Knowledge {
        let catalog = match self.dialect {
            Dialect::Postgres => name.name.0.starts_with("pg_"),
            Dialect::Sqlite => name.name.0.starts_with("sqlite_"),
            _ => false,
        };
        let elsewhere = name.schema.is_none() && self.search_path_changed;
        let key = self.key(name);
        let extension = self.extended.contains(&key.0);
        let implicit = implicit == Implicit::Maybe && self.may_be_implicit(&key);
        if catalog || elsewhere || extension || implicit {
            return Knowledge::Unknown;
        }
        self.missing_word(&name.name.0)
    }

    /// Whether `key` may name a relation the database created on its own for a table:
    /// PostgreSQL names the index of a constraint or of `CREATE INDEX ON t (c)` and the
    /// sequence of a serial column `<table>_…`; the model does not follow those names.
    fn may_be_implicit(&self, key: &Key) -> bool {
        // Each `_` may end the table's name: a lookup per `_`, not a scan of every relation.
        let name = &key.1 .0;
        name.match_indices('_').any(|(at, _)| {
            let table = (key.0.clone(), Name(name[..at].to_owned()));
            matches!(
                self.relations.get(&table),
                Some(Entry {
                    value: Relation::Table(_),
                    ..
                })
            )
        })
    }

    /// A type or function that is not in the model: extensions bring their own.
    fn missing_extensible(&self, name: &Qualified) -> Knowledge {
        if self.extended.contains(&self.key(name).0) {
            return Knowledge::Unknown;
        }
        self.missing(name, Implicit::No)
    }

    fn missing_word(&self, word: &str) -> Knowledge {
        if self.tainted.contains(&word.to_lowercase()) {
            Knowledge::Unknown
        } else {
            self.closed()
        }
    }

    /// The type of a column as its statement wrote it, when the model is certain of it.
    pub fn column_type(&self, table: &Qualified, column: &Name) -> Option<String> {
        match self.relation(table) {
            Some(Some(Relation::Table(t))) if t.columns_known => t
                .columns
                .iter()
                .find(|c| c.name == *column)
                .map(|c| c.data_type.clone()),
            _ => None,
        }
    }

    /// The columns of `table` as the model knows them, for messages.
    pub fn columns_of(&self, table: &Qualified) -> Vec<String> {
        match self.relations.get(&self.key(table)) {
            Some(Entry {
                value: Relation::Table(t),
                ..
            }) => t.columns.iter().map(|c| format!("`{}`", c.name)).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the migrations created any function so far.
    pub fn has_functions(&self) -> bool {
        !self.functions.is_empty()
    }

    /// A function the migrations created, by its name as written in a statement.
    pub fn function_named(&self, word: &str) -> Option<&Function> {
        self.functions
            .iter()
            .find(|((_, name), _)| name.0.eq_ignore_ascii_case(word))
            .map(|(_, function)| function)
    }
}

/// Whether a missing relation may be one the database named on its own (an index or a
/// sequence; never a table).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Implicit {
    No,
    Maybe,
}

/// `public` on PostgreSQL, `main` on SQLite; MySQL's current database has no name here.
fn default_schema(dialect: Dialect) -> Name {
    Name(
        match dialect {
            Dialect::Postgres => "public",
            Dialect::Sqlite => "main",
            _ => "",
        }
        .to_owned(),
    )
}

/// Columns every table has without declaring them.
fn is_system_column(dialect: Dialect, column: &Name) -> bool {
    match dialect {
        Dialect::Postgres => matches!(
            column.0.as_str(),
            "ctid" | "xmin" | "xmax" | "cmin" | "cmax" | "tableoid" | "oid"
        ),
        Dialect::Sqlite => matches!(column.0.as_str(), "rowid" | "oid" | "_rowid_"),
        _ => false,
    }
}
