//! The AST walk: every nesting level of the one statement is visited.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArguments, ObjectName, ObjectNamePart, Query, SetExpr, Statement,
    TableFactor, Visit, Visitor,
};

use super::functions::refusal;
use super::{DenyCode, GateOptions, Verdict, is_allowed_function};

const SYSTEM_SCHEMAS: [&str; 4] = ["mysql", "information_schema", "performance_schema", "sys"];

/// Reserved words MariaDB never reads as a bare name. Where sqlparser accepts
/// one as a column or alias (`SELECT INTO ALL`), the two parsers disagree:
/// fail closed and ask for backticks.
const RESERVED: &[&str] = &[
    "all", "alter", "and", "as", "by", "call", "case", "create", "delete", "distinct", "drop",
    "else", "exists", "for", "from", "grant", "group", "having", "in", "insert", "into", "is",
    "join", "kill", "limit", "load", "lock", "not", "null", "on", "or", "order", "outfile",
    "dumpfile", "replace", "select", "set", "table", "then", "union", "update", "use", "values",
    "when", "where", "with",
];

fn reserved(ident: &sqlparser::ast::Ident) -> ControlFlow<Verdict> {
    if ident.quote_style.is_none()
        && RESERVED
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&ident.value))
    {
        return deny(
            DenyCode::ParseError,
            format!(
                "{} is a reserved word; quote a name like it with backticks",
                ident.value.to_uppercase()
            ),
        );
    }
    ControlFlow::Continue(())
}

pub fn check_statement(statement: &Statement, options: &GateOptions) -> Verdict {
    let top = match statement {
        Statement::Query(_) => Ok(()),
        Statement::Explain {
            analyze,
            statement: inner,
            ..
        } => {
            if !options.allow_explain {
                Err(Verdict::deny(
                    DenyCode::ExplainDisabled,
                    "EXPLAIN is not enabled for this database",
                ))
            } else if *analyze {
                Err(Verdict::deny(
                    DenyCode::ExplainAnalyze,
                    "EXPLAIN ANALYZE runs the statement; it is not allowed",
                ))
            } else if !matches!(**inner, Statement::Query(_)) {
                Err(Verdict::deny(
                    DenyCode::NotASelect,
                    "EXPLAIN is allowed only of a SELECT",
                ))
            } else {
                Ok(())
            }
        }
        Statement::ExplainTable { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. } => {
            if options.allow_show {
                Ok(())
            } else {
                Err(Verdict::deny(
                    DenyCode::ShowDisabled,
                    "SHOW and DESCRIBE are not enabled for this database",
                ))
            }
        }
        Statement::Analyze { .. } => Err(Verdict::deny(
            DenyCode::ExplainAnalyze,
            "ANALYZE runs or changes statistics; it is not allowed",
        )),
        Statement::Insert(_)
        | Statement::Update { .. }
        | Statement::Delete(_)
        | Statement::Merge { .. } => Err(Verdict::deny(
            DenyCode::DataModification,
            "only SELECT is allowed; this statement changes data",
        )),
        other => Err(Verdict::deny(
            DenyCode::NotASelect,
            format!("only SELECT is allowed, not {}", statement_kind(other)),
        )),
    };
    if let Err(v) = top {
        return v;
    }
    let mut gate = Gate { options };
    if let Statement::ShowTables { show_options, .. } = statement
        && let Some(db) = show_options
            .show_in
            .as_ref()
            .and_then(|i| i.parent_name.as_ref())
        && let Some(name) = ident_parts(db).last()
        && let ControlFlow::Break(v) = gate.check_qualifier(name)
    {
        return v;
    }
    match statement.visit(&mut gate) {
        ControlFlow::Continue(()) => Verdict::allow(),
        ControlFlow::Break(v) => v,
    }
}

/// The first word or two of a statement, for the reason text.
fn statement_kind(s: &Statement) -> String {
    let text = s.to_string();
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

struct Gate<'a> {
    options: &'a GateOptions,
}

impl Gate<'_> {
    fn check_qualifier(&self, schema: &str) -> ControlFlow<Verdict> {
        if SYSTEM_SCHEMAS
            .iter()
            .any(|s| s.eq_ignore_ascii_case(schema))
        {
            return ControlFlow::Break(Verdict::deny(
                DenyCode::SystemSchema,
                format!(
                    "the system schema {schema} is off limits; the schema browser shows your tables and columns"
                ),
            ));
        }
        match &self.options.schema {
            Some(granted) if !granted.eq_ignore_ascii_case(schema) => {
                ControlFlow::Break(Verdict::deny(
                    DenyCode::OtherDatabase,
                    format!("{schema} is not the granted database {granted}"),
                ))
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

fn ident_parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.clone(),
            ObjectNamePart::Function(f) => f.name.value.clone(),
        })
        .collect()
}

fn deny(code: DenyCode, reason: impl Into<String>) -> ControlFlow<Verdict> {
    ControlFlow::Break(Verdict::deny(code, reason))
}

impl Visitor for Gate<'_> {
    type Break = Verdict;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Verdict> {
        if !query.locks.is_empty() {
            return deny(
                DenyCode::LockingClause,
                "locking clauses (FOR UPDATE, FOR SHARE, …) are not allowed",
            );
        }
        if query.for_clause.is_some()
            || query.settings.is_some()
            || query.format_clause.is_some()
            || !query.pipe_operators.is_empty()
        {
            return deny(DenyCode::NotASelect, "this query form is not MariaDB SQL");
        }
        check_set_expr(&query.body, true)
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<Verdict> {
        for part in &relation.0 {
            if let ObjectNamePart::Identifier(ident) = part {
                reserved(ident)?;
            }
        }
        let parts = ident_parts(relation);
        if parts.len() >= 2 {
            self.check_qualifier(&parts[parts.len() - 2])?;
        }
        if relation
            .0
            .iter()
            .any(|p| matches!(p, ObjectNamePart::Function(_)))
        {
            return deny(
                DenyCode::NotASelect,
                "computed object names are not allowed",
            );
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Verdict> {
        if let TableFactor::Table {
            alias: Some(alias), ..
        }
        | TableFactor::Derived {
            alias: Some(alias), ..
        } = factor
        {
            reserved(&alias.name)?;
        }
        match factor {
            TableFactor::Table {
                args: Some(_),
                name,
                ..
            } => deny(
                DenyCode::Function,
                format!("table functions ({name}(…)) are not allowed"),
            ),
            TableFactor::Table { .. }
            | TableFactor::Derived { .. }
            | TableFactor::NestedJoin { .. } => ControlFlow::Continue(()),
            TableFactor::JsonTable { .. } => ControlFlow::Continue(()),
            _ => deny(
                DenyCode::NotASelect,
                "this kind of table reference is not allowed",
            ),
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<Verdict> {
        match expr {
            Expr::Function(f) => {
                let parts = ident_parts(&f.name);
                if parts.len() > 1 {
                    return deny(
                        DenyCode::Function,
                        format!(
                            "{} is a stored function; only built-in functions are allowed",
                            f.name
                        ),
                    );
                }
                let name = parts.first().map(String::as_str).unwrap_or("");
                if !is_allowed_function(name) {
                    return deny(DenyCode::Function, refusal(name));
                }
                if matches!(f.parameters, FunctionArguments::List(_)) {
                    return deny(
                        DenyCode::Function,
                        "parametric functions are not MariaDB SQL",
                    );
                }
                ControlFlow::Continue(())
            }
            Expr::BinaryOp {
                op: BinaryOperator::Assignment,
                ..
            } => deny(
                DenyCode::VariableAssignment,
                "assigning variables (:=) is not allowed",
            ),
            Expr::Identifier(ident) => reserved(ident),
            Expr::CompoundIdentifier(parts) => {
                for p in parts {
                    reserved(p)?;
                }
                if parts.len() >= 3 {
                    self.check_qualifier(&parts[parts.len() - 3].value)
                } else {
                    ControlFlow::Continue(())
                }
            }
            Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => {
                ControlFlow::Continue(())
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

/// Checks the body of a query: only SELECTs and set operations of them.
fn check_set_expr(body: &SetExpr, top: bool) -> ControlFlow<Verdict> {
    match body {
        SetExpr::Select(select) => {
            for item in &select.projection {
                if let sqlparser::ast::SelectItem::ExprWithAlias { alias, .. } = item {
                    reserved(alias)?;
                }
            }
            if select.into.is_some() {
                return deny(DenyCode::Into, "SELECT … INTO is not allowed");
            }
            if !select.optimizer_hints.is_empty() {
                return deny(DenyCode::OptimizerHint, "optimizer hints are not allowed");
            }
            ControlFlow::Continue(())
        }
        SetExpr::Query(q) => check_set_expr(&q.body, top),
        SetExpr::SetOperation { left, right, .. } => {
            check_set_expr(left, false)?;
            check_set_expr(right, false)
        }
        SetExpr::Values(_) if top => deny(
            DenyCode::TableOrValues,
            "a top-level VALUES statement is not allowed",
        ),
        SetExpr::Values(_) => ControlFlow::Continue(()),
        SetExpr::Table(_) => deny(
            DenyCode::TableOrValues,
            "TABLE statements are not allowed; write SELECT * FROM …",
        ),
        SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => deny(
            DenyCode::DataModification,
            "statements that change data are not allowed, also not inside WITH",
        ),
    }
}
