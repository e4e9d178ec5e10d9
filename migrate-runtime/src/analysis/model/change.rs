//! How statements change the model.

use super::{Entry, Function, Key, Model, Relation, Table, Type};
use crate::analysis::name::{Name, Qualified};

/// A column as declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ColumnDef {
    pub name: Name,
    /// The type as written.
    pub data_type: String,
    pub nullable: bool,
    /// The default expression as written.
    pub default: Option<String>,
}

/// One change a statement makes.
#[derive(Clone, Debug)]
pub(crate) enum Change {
    /// `CREATE TABLE`; `columns` is `None` when the statement does not say them all
    /// (`AS SELECT`, `LIKE`, `INHERITS`, `PARTITION OF`). `if_not_exists` keeps an existing
    /// table as it is.
    CreateTable {
        name: Qualified,
        columns: Option<Vec<ColumnDef>>,
        if_not_exists: bool,
    },
    CreateView(Qualified),
    CreateSequence(Qualified),
    CreateIndex {
        name: Option<Qualified>,
        table: Qualified,
        /// The plain columns; `None` when some are expressions.
        columns: Option<Vec<Name>>,
    },
    /// Drops a relation of any kind (with its indexes when it is a table).
    DropRelation(Qualified),
    RenameRelation {
        from: Qualified,
        to: Qualified,
    },
    AddColumn {
        table: Qualified,
        column: ColumnDef,
    },
    DropColumn {
        table: Qualified,
        column: Name,
    },
    RenameColumn {
        table: Qualified,
        from: Name,
        to: Name,
    },
    /// A column's type, nullability or default changed.
    AlterColumn {
        table: Qualified,
        column: Name,
        data_type: Option<String>,
        nullable: Option<bool>,
    },
    /// MySQL: an index of a table created or dropped.
    AddTableIndex {
        table: Qualified,
        index: Name,
    },
    DropTableIndex {
        table: Qualified,
        index: Name,
    },
    CreateType {
        name: Qualified,
        values: Option<Vec<String>>,
    },
    AddEnumValue {
        name: Qualified,
        value: String,
    },
    DropType(Qualified),
    CreateSchema(Name),
    DropSchema(Name),
    /// An extension installed in `schema` (`None`: the default schema).
    CreateExtension(Option<Name>),
    CreateFunction {
        name: Qualified,
        body: String,
    },
    DropFunction(Qualified),
    /// The table may have changed in a way the model does not follow.
    TableUnknown(Qualified),
    /// A statement the model did not understand, or a call of a function the migrations
    /// created: every object these words name may have been created, changed or dropped.
    Taint(String),
    /// Every view may have been dropped (`DROP TABLE … CASCADE`).
    ViewsUnknown,
    /// Anything may have changed (a Rust migration, dynamic SQL).
    Open,
    /// `SET search_path`.
    SearchPath,
}

impl Model {
    /// Applies one change.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::CreateTable {
                name,
                columns,
                if_not_exists,
            } => self.create_table(&name, columns, if_not_exists),
            Change::CreateView(name) => self.insert_relation(&name, Relation::View),
            Change::CreateSequence(name) => self.insert_relation(&name, Relation::Sequence),
            Change::CreateIndex {
                name,
                table,
                columns,
            } => {
                if let Some(name) = name {
                    let table = self.key(&table);
                    self.insert_relation(&name, Relation::Index { table, columns });
                }
            }
            Change::DropRelation(name) => self.drop_relation(&name),
            Change::RenameRelation { from, to } => self.rename_relation(&from, &to),
            Change::AddColumn { table, column } => self.with_table(&table, |t| {
                t.columns.retain(|c| c.name != column.name);
                t.columns.push(column);
            }),
            Change::DropColumn { table, column } => self.drop_column(&table, &column),
            Change::RenameColumn { table, from, to } => self.with_table(&table, |t| {
                for column in &mut t.columns {
                    if column.name == from {
                        column.name = to.clone();
                    }
                }
            }),
            Change::AlterColumn {
                table,
                column,
                data_type,
                nullable,
            } => self.with_table(&table, |t| {
                if let Some(c) = t.columns.iter_mut().find(|c| c.name == column) {
                    if let Some(data_type) = data_type {
                        c.data_type = data_type;
                    }
                    if let Some(nullable) = nullable {
                        c.nullable = nullable;
                    }
                }
            }),
            Change::AddTableIndex { table, index } => self.with_table(&table, |t| {
                t.indexes.insert(index);
            }),
            Change::DropTableIndex { table, index } => self.with_table(&table, |t| {
                t.indexes.remove(&index);
            }),
            Change::CreateType { name, values } => {
                let key = self.key(&name);
                self.untaint(&key.1);
                self.types.insert(
                    key,
                    Entry {
                        value: Type { values },
                        certain: true,
                    },
                );
            }
            Change::AddEnumValue { name, value } => {
                let key = self.key(&name);
                if let Some(entry) = self.types.get_mut(&key) {
                    if let Some(values) = &mut entry.value.values {
                        if !values.contains(&value) {
                            values.push(value);
                        }
                    }
                }
            }
            Change::DropType(name) => {
                let key = self.key(&name);
                self.types.remove(&key);
            }
            Change::CreateSchema(name) => {
                self.schemas.insert(name);
            }
            Change::DropSchema(name) => {
                self.schemas.remove(&name);
                self.relations.retain(|(schema, _), _| *schema != name);
                self.types.retain(|(schema, _), _| *schema != name);
                self.functions.retain(|(schema, _), _| *schema != name);
            }
            Change::CreateExtension(schema) => {
                let schema = schema.unwrap_or_else(|| super::default_schema(self.dialect));
                self.extended.insert(schema);
            }
            Change::CreateFunction { name, body } => {
                let key = self.key(&name);
                let body_words = words(&body);
                let dynamic = body_words.iter().any(|w| w == "execute");
                self.functions.insert(
                    key,
                    Function {
                        body_words,
                        dynamic,
                    },
                );
            }
            Change::DropFunction(name) => {
                let key = self.key(&name);
                self.functions.remove(&key);
            }
            Change::TableUnknown(name) => {
                let key = self.key(&name);
                if let Some(entry) = self.relations.get_mut(&key) {
                    if let Relation::Table(table) = &mut entry.value {
                        table.columns_known = false;
                    }
                }
            }
            Change::Taint(text) => self.taint(&text),
            Change::ViewsUnknown => {
                for entry in self.relations.values_mut() {
                    if matches!(entry.value, Relation::View) {
                        entry.certain = false;
                    }
                }
            }
            Change::Open => self.open = true,
            Change::SearchPath => self.search_path_changed = true,
        }
    }

    fn create_table(
        &mut self,
        name: &Qualified,
        columns: Option<Vec<ColumnDef>>,
        if_not_exists: bool,
    ) {
        let key = self.key(name);
        if if_not_exists {
            match self.relations.get(&key) {
                // It was there: the statement did nothing.
                Some(entry) if entry.certain => return,
                // It may have been there, with other columns.
                Some(_) => return,
                None if self.tainted.contains(&key.1 .0.to_lowercase()) || self.open => {
                    self.relations.insert(
                        key,
                        Entry {
                            value: Relation::Table(Table::default()),
                            certain: false,
                        },
                    );
                    return;
                }
                None => {}
            }
        }
        let table = Table {
            columns_known: columns.is_some(),
            columns: columns.unwrap_or_default(),
            indexes: Default::default(),
        };
        self.new_tables.insert(key.clone());
        self.untaint(&key.1);
        self.relations.insert(
            key,
            Entry {
                value: Relation::Table(table),
                certain: true,
            },
        );
    }

    fn insert_relation(&mut self, name: &Qualified, relation: Relation) {
        let key = self.key(name);
        self.untaint(&key.1);
        self.relations.insert(
            key,
            Entry {
                value: relation,
                certain: true,
            },
        );
    }

    fn drop_relation(&mut self, name: &Qualified) {
        let key = self.key(name);
        self.untaint(&key.1);
        self.relations.remove(&key);
        self.new_tables.remove(&key);
        self.relations.retain(
            |_, entry| !matches!(&entry.value, Relation::Index { table, .. } if *table == key),
        );
    }

    fn rename_relation(&mut self, from: &Qualified, to: &Qualified) {
        let from = self.key(from);
        // `ALTER TABLE s.t RENAME TO u` keeps the schema.
        let to: Key = (from.0.clone(), to.name.clone());
        if let Some(entry) = self.relations.remove(&from) {
            self.relations.insert(to.clone(), entry);
        }
        if self.new_tables.remove(&from) {
            self.new_tables.insert(to.clone());
        }
        self.untaint(&to.1);
        for entry in self.relations.values_mut() {
            if let Relation::Index { table, .. } = &mut entry.value {
                if *table == from {
                    *table = to.clone();
                }
            }
        }
    }

    /// Drops a column, and the indexes that use it: PostgreSQL drops them with the column,
    /// MySQL shrinks them (the model then forgets the table's indexes).
    fn drop_column(&mut self, table: &Qualified, column: &Name) {
        let key = self.key(table);
        self.with_table(table, |t| {
            t.columns.retain(|c| c.name != *column);
            t.indexes.clear();
        });
        for entry in self.relations.values_mut() {
            if let Relation::Index {
                table: indexed,
                columns,
            } = &entry.value
            {
                if *indexed == key {
                    match columns {
                        Some(columns) if !columns.contains(column) => {}
                        // It used the column (and is gone), or may have (an expression).
                        Some(_) => entry.certain = false,
                        None => entry.certain = false,
                    }
                }
            }
        }
        self.relations.retain(|_, entry| {
            !matches!(&entry.value, Relation::Index { table: indexed, columns: Some(columns) }
                if *indexed == key && columns.contains(column))
        });
    }

    fn with_table(&mut self, name: &Qualified, change: impl FnOnce(&mut Table)) {
        let key = self.key(name);
        if let Some(Entry {
            value: Relation::Table(table),
            ..
        }) = self.relations.get_mut(&key)
        {
            change(table);
        }
    }

    /// Everything `text` names may have been created, changed or dropped.
    fn taint(&mut self, text: &str) {
        for word in words(text) {
            for ((_, name), entry) in self.relations.iter_mut() {
                if name.0.eq_ignore_ascii_case(&word) {
                    entry.certain = false;
                }
            }
            for ((_, name), entry) in self.types.iter_mut() {
                if name.0.eq_ignore_ascii_case(&word) {
                    entry.certain = false;
                }
            }
            self.tainted.insert(word);
        }
    }

    /// A statement the model understood created or dropped `name`: it is certain again.
    fn untaint(&mut self, name: &Name) {
        self.tainted.remove(&name.0.to_lowercase());
    }
}

/// The lower-case identifier-like words of `text` (quoted identifiers included).
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' || c == '$' {
            current.extend(c.to_lowercase());
        } else if !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words.sort_unstable();
    words.dedup();
    words
}
