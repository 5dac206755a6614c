//! The SQL subset the virtual phone's providers share: a `--where` selection and a `--sort` order parsed
//! against a provider's columns and evaluated over its rows with `SQLite`'s rules (affinity, three-valued
//! logic, NULL < numbers < text < blobs), and the `Row: N col=value, ...` lines `content query` prints.
//!
//! Queries understand comparisons, `LIKE`, `IS [NOT] NULL`, `[NOT] IN (literals)`, `AND`, `OR`, `NOT`,
//! parentheses, string and integer literals; `--sort` takes columns with `ASC`/`DESC` and `LIMIT`/`OFFSET`.
//! Anything else is refused loudly as [`SqlError::Unsupported`].

use std::fmt::Write as _;
use std::io::Write;

/// A column a selection can name: its name as the provider spells it and its `SQLite` affinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Col {
    /// The column's name.
    pub name: &'static str,
    /// Its type affinity.
    pub affinity: Affinity,
}

/// The columns a provider's table or view has (looked up case-insensitively, as `SQLite` does).
pub trait Schema {
    /// The column called `name`, if the table has it.
    fn column(&self, name: &str) -> Option<Col>;
}

/// A list of columns is a schema.
impl Schema for &[Col] {
    fn column(&self, name: &str) -> Option<Col> {
        self.iter().find(|c| c.name.eq_ignore_ascii_case(name)).copied()
    }
}

/// One row of a provider's table: the value of each of its columns.
pub trait Row {
    /// The value of the column called `column` (as [`Schema::column`] spells it).
    fn value(&self, column: &str) -> Value;
}

/// A `SQLite` value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// NULL.
    #[default]
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// A blob (`content query` prints `BLOB`).
    Blob(Vec<u8>),
}

impl Value {
    /// How `content query` prints the value: `NULL`, the number, the text as it is, or `BLOB`.
    #[must_use]
    pub fn render(&self) -> String {
        match self {
            Value::Null => "NULL".to_string(),
            Value::Int(i) => i.to_string(),
            Value::Text(s) => s.clone(),
            Value::Blob(_) => "BLOB".to_string(),
        }
    }
}

/// Prints rows the way `content query` does: `Row: N name=value, name=value` (N from 0), values unescaped,
/// or `No result found.` when there are none.
pub fn print_rows(stdout: &mut dyn Write, columns: &[&str], rows: impl IntoIterator<Item = Vec<Value>>) {
    let mut out = String::new();
    let mut n = 0;
    for values in rows {
        out.clear();
        let _ = write!(out, "Row: {n} ");
        for (i, (name, value)) in columns.iter().zip(&values).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{name}={}", value.render());
        }
        out.push('\n');
        if stdout.write_all(out.as_bytes()).is_err() {
            return;
        }
        n += 1;
    }
    if n == 0 {
        let _ = writeln!(stdout, "No result found.");
    }
}

/// Orders rows by a parsed `--sort` (then by `tiebreak`) and applies its LIMIT and OFFSET.
pub fn sort_rows<R: Row>(
    mut rows: Vec<R>,
    order: &SortOrder,
    tiebreak: impl Fn(&R, &R) -> std::cmp::Ordering,
) -> Vec<R> {
    rows.sort_by(|a, b| {
        for (column, descending) in &order.keys {
            let ord = compare_values(&a.value(column.name), &b.value(column.name));
            let ord = if *descending { ord.reverse() } else { ord };
            if ord.is_ne() {
                return ord;
            }
        }
        tiebreak(a, b)
    });
    rows.into_iter().skip(order.offset).take(order.limit.unwrap_or(usize::MAX)).collect()
}

/// A column's `SQLite` type affinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Integer,
    Text,
}

/// Why a selection or sort order cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlError {
    /// A name that is no column of the table.
    UnknownColumn(String),
    /// Text `SQLite` itself would reject.
    Syntax(String),
    /// Valid SQL the virtual phone does not model.
    Unsupported(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    QuotedIdent(String),
    Int(i64),
    Str(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn tokenize(sql: &str) -> Result<Vec<Token>, SqlError> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '\'' | '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(SqlError::Syntax(format!("unrecognized token: \"{sql}\""))),
                        Some(&q) if q == c && chars.get(i + 1) == Some(&c) => {
                            s.push(c);
                            i += 2;
                        }
                        Some(&q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some(&other) => {
                            s.push(other);
                            i += 1;
                        }
                    }
                }
                out.push(if c == '\'' { Token::Str(s) } else { Token::QuotedIdent(s) });
            }
            c if c.is_ascii_digit() => {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if i < chars.len() && (chars[i] == '.' || chars[i].is_alphabetic()) {
                    return Err(SqlError::Unsupported(format!(
                        "the number {}",
                        chars[start..=i].iter().collect::<String>()
                    )));
                }
                let text: String = chars[start..i].iter().collect();
                let n = text.parse().map_err(|_| SqlError::Unsupported(format!("the number {text}")))?;
                out.push(Token::Int(n));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Token::Ident(chars[start..i].iter().collect()));
            }
            '(' => {
                out.push(Token::LParen);
                i += 1;
            }
            ')' => {
                out.push(Token::RParen);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            _ => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let op = match two.as_str() {
                    "==" => Some(("=", 2)),
                    "!=" | "<>" => Some(("!=", 2)),
                    "<=" => Some(("<=", 2)),
                    ">=" => Some((">=", 2)),
                    _ => match c {
                        '=' => Some(("=", 1)),
                        '<' => Some(("<", 1)),
                        '>' => Some((">", 1)),
                        '-' => Some(("-", 1)),
                        _ => None,
                    },
                };
                match op {
                    Some((op, n)) => {
                        out.push(Token::Op(op));
                        i += n;
                    }
                    None if "+*/%|&~!?:;@$[]`".contains(c) => {
                        return Err(SqlError::Unsupported(format!("the operator {c:?}")));
                    }
                    None => return Err(SqlError::Syntax(format!("unrecognized token: \"{c}\""))),
                }
            }
        }
    }
    Ok(out)
}

/// SQL keywords the virtual phone recognises but does not model.
const UNSUPPORTED_KEYWORDS: [&str; 21] = [
    "BETWEEN", "GLOB", "REGEXP", "MATCH", "ESCAPE", "EXISTS", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "COLLATE",
    "SELECT", "FROM", "UNION", "WHERE", "GROUP", "HAVING", "ORDER", "DISTINCT",
];

/// A parsed selection.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Column(Col),
    Literal(Value),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Cmp(&'static str, Box<Expr>, Box<Expr>),
    Like { negated: bool, value: Box<Expr>, pattern: Box<Expr> },
    IsNull { negated: bool, value: Box<Expr> },
}

/// How deep parentheses and `NOT`s may nest (the parser recurses on them; chains of AND/OR do not nest).
const MAX_NESTING: usize = 100;

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    schema: &'a dyn Schema,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        if self.peek_keyword(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn near(&self) -> SqlError {
        match self.peek() {
            None => SqlError::Syntax("incomplete input".to_string()),
            Some(t) => SqlError::Syntax(format!("near \"{}\": syntax error", token_text(t))),
        }
    }

    fn or(&mut self) -> Result<Expr, SqlError> {
        let mut terms = vec![self.and()?];
        while self.eat_keyword("OR") {
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::Or(terms) })
    }

    fn and(&mut self) -> Result<Expr, SqlError> {
        let mut terms = vec![self.not()?];
        while self.eat_keyword("AND") {
            terms.push(self.not()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::And(terms) })
    }

    /// Enters one level of nesting, refusing absurd depths before they exhaust the stack.
    fn nest(&mut self) -> Result<(), SqlError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(SqlError::Unsupported(format!("more than {MAX_NESTING} nested parentheses or NOTs")));
        }
        Ok(())
    }

    fn not(&mut self) -> Result<Expr, SqlError> {
        if !self.eat_keyword("NOT") {
            return self.comparison();
        }
        self.nest()?;
        let inner = self.not()?;
        self.depth -= 1;
        Ok(Expr::Not(Box::new(inner)))
    }

    fn comparison(&mut self) -> Result<Expr, SqlError> {
        let left = self.primary()?;
        if let Some(Token::Op(op)) = self.peek() {
            let op = *op;
            if op != "-" {
                self.pos += 1;
                let right = self.primary()?;
                return Ok(Expr::Cmp(op, Box::new(left), Box::new(right)));
            }
        }
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            if !self.eat_keyword("NULL") {
                return Err(SqlError::Unsupported("IS with something other than NULL".to_string()));
            }
            return Ok(Expr::IsNull { negated, value: Box::new(left) });
        }
        if self.eat_keyword("NOTNULL") {
            return Ok(Expr::IsNull { negated: true, value: Box::new(left) });
        }
        if self.eat_keyword("ISNULL") {
            return Ok(Expr::IsNull { negated: false, value: Box::new(left) });
        }
        let negated = self.eat_keyword("NOT");
        if self.eat_keyword("IN") {
            // `x IN (a, b, ...)`: true when x equals one of them (as `x = a OR x = b ...`).
            if self.peek() != Some(&Token::LParen) {
                return Err(SqlError::Unsupported("IN without a parenthesised list".to_string()));
            }
            self.pos += 1;
            let mut terms = Vec::new();
            loop {
                let item = self.primary()?;
                if !matches!(item, Expr::Literal(_)) {
                    return Err(SqlError::Unsupported("IN with something other than literals".to_string()));
                }
                terms.push(Expr::Cmp("=", Box::new(left.clone()), Box::new(item)));
                match self.peek() {
                    Some(Token::Comma) => self.pos += 1,
                    Some(Token::RParen) => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.near()),
                }
            }
            let any = Expr::Or(terms);
            return Ok(if negated { Expr::Not(Box::new(any)) } else { any });
        }
        if self.eat_keyword("LIKE") {
            let pattern = self.primary()?;
            if self.peek_keyword("ESCAPE") {
                return Err(SqlError::Unsupported("LIKE ... ESCAPE".to_string()));
            }
            return Ok(Expr::Like { negated, value: Box::new(left), pattern: Box::new(pattern) });
        }
        if negated {
            if let Some(Token::Ident(w)) = self.peek() {
                return Err(SqlError::Unsupported(format!("NOT {}", w.to_ascii_uppercase())));
            }
            return Err(self.near());
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr, SqlError> {
        let Some(token) = self.peek().cloned() else { return Err(self.near()) };
        self.pos += 1;
        match token {
            Token::LParen => {
                self.nest()?;
                let inner = self.or()?;
                self.depth -= 1;
                if self.peek() != Some(&Token::RParen) {
                    return Err(self.near());
                }
                self.pos += 1;
                Ok(inner)
            }
            Token::Int(n) => Ok(Expr::Literal(Value::Int(n))),
            Token::Str(s) => Ok(Expr::Literal(Value::Text(s))),
            Token::Op("-") => match self.peek().cloned() {
                Some(Token::Int(n)) => {
                    self.pos += 1;
                    Ok(Expr::Literal(Value::Int(-n)))
                }
                _ => Err(SqlError::Unsupported("unary minus on something other than a number".to_string())),
            },
            Token::QuotedIdent(name) => Ok(match self.schema.column(&name) {
                Some(c) => Expr::Column(c),
                // SQLite reads a double-quoted word that names no column as a string.
                None => Expr::Literal(Value::Text(name)),
            }),
            Token::Ident(word) => {
                if self.peek() == Some(&Token::LParen) {
                    return Err(SqlError::Unsupported(format!("the function {word}()")));
                }
                if word.eq_ignore_ascii_case("NULL") {
                    return Ok(Expr::Literal(Value::Null));
                }
                if let Some(c) = self.schema.column(&word) {
                    return Ok(Expr::Column(c));
                }
                if UNSUPPORTED_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&word)) {
                    return Err(SqlError::Unsupported(format!("the keyword {}", word.to_ascii_uppercase())));
                }
                if ["AND", "OR", "NOT", "IS", "LIKE"].iter().any(|k| k.eq_ignore_ascii_case(&word)) {
                    self.pos -= 1;
                    return Err(self.near());
                }
                Err(SqlError::UnknownColumn(word))
            }
            other => {
                self.pos -= 1;
                let _ = other;
                Err(self.near())
            }
        }
    }
}

fn token_text(t: &Token) -> String {
    match t {
        Token::Ident(s) => s.clone(),
        Token::QuotedIdent(s) => format!("\"{s}\""),
        Token::Int(n) => n.to_string(),
        Token::Str(s) => format!("'{s}'"),
        Token::Op(op) => (*op).to_string(),
        Token::LParen => "(".to_string(),
        Token::RParen => ")".to_string(),
        Token::Comma => ",".to_string(),
    }
}

pub fn parse_selection(sql: &str, schema: &dyn Schema) -> Result<Expr, SqlError> {
    let tokens = tokenize(sql)?;
    let mut parser = Parser { tokens: &tokens, pos: 0, schema, depth: 0 };
    let expr = parser.or()?;
    if parser.pos < tokens.len() {
        if let Some(Token::Ident(w)) = parser.peek()
            && UNSUPPORTED_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(w))
        {
            return Err(SqlError::Unsupported(format!("the keyword {}", w.to_ascii_uppercase())));
        }
        return Err(parser.near());
    }
    Ok(expr)
}

/// A value with the affinity of the column it came from (literals have none).
fn eval_operand(expr: &Expr, row: &dyn Row) -> (Value, Option<Affinity>) {
    match expr {
        Expr::Column(c) => (row.value(c.name), Some(c.affinity)),
        Expr::Literal(v) => (v.clone(), None),
        other => (truth_value(eval(other, row)), None),
    }
}

fn truth_value(b: Option<bool>) -> Value {
    b.map_or(Value::Null, |b| Value::Int(i64::from(b)))
}

/// `SQLite`'s numeric affinity: text that reads as an integer becomes one.
fn numeric(v: Value) -> Value {
    match v {
        Value::Text(s) => match s.trim().parse::<i64>() {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Text(s),
        },
        other => other,
    }
}

fn textual(v: Value) -> Value {
    match v {
        Value::Int(n) => Value::Text(n.to_string()),
        other => other,
    }
}

/// `SQLite`'s ordering of values: NULL < numbers < text < blobs (BINARY collation).
#[must_use]
pub fn compare_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) | (Value::Int(_), Value::Text(_) | Value::Blob(_)) | (Value::Text(_), Value::Blob(_)) => {
            Ordering::Less
        }
        (_, Value::Null) | (Value::Text(_) | Value::Blob(_), Value::Int(_)) | (Value::Blob(_), Value::Text(_)) => {
            Ordering::Greater
        }
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
    }
}

fn truthy(v: &Value) -> Option<bool> {
    match v {
        Value::Null => None,
        Value::Int(n) => Some(*n != 0),
        Value::Text(s) => Some(s.trim().parse::<f64>().is_ok_and(|f| f != 0.0)),
        Value::Blob(b) => Some(String::from_utf8_lossy(b).trim().parse::<f64>().is_ok_and(|f| f != 0.0)),
    }
}

/// Three-valued evaluation (`None` is SQL NULL).
pub fn eval(expr: &Expr, row: &dyn Row) -> Option<bool> {
    match expr {
        Expr::Column(_) | Expr::Literal(_) => truthy(&eval_operand(expr, row).0),
        Expr::Not(e) => eval(e, row).map(|b| !b),
        Expr::And(terms) => {
            let mut result = Some(true);
            for term in terms {
                match eval(term, row) {
                    Some(false) => return Some(false),
                    None => result = None,
                    Some(true) => {}
                }
            }
            result
        }
        Expr::Or(terms) => {
            let mut result = Some(false);
            for term in terms {
                match eval(term, row) {
                    Some(true) => return Some(true),
                    None => result = None,
                    Some(false) => {}
                }
            }
            result
        }
        Expr::Cmp(op, a, b) => {
            let (mut x, ax) = eval_operand(a, row);
            let (mut y, ay) = eval_operand(b, row);
            if x == Value::Null || y == Value::Null {
                return None;
            }
            // SQLite applies a column's affinity to the other operand.
            match (ax, ay) {
                (Some(Affinity::Integer), Some(Affinity::Text) | None) => y = numeric(y),
                (Some(Affinity::Text) | None, Some(Affinity::Integer)) => x = numeric(x),
                (Some(Affinity::Text), None) => y = textual(y),
                (None, Some(Affinity::Text)) => x = textual(x),
                _ => {}
            }
            let ord = compare_values(&x, &y);
            Some(match *op {
                "=" => ord.is_eq(),
                "!=" => ord.is_ne(),
                "<" => ord.is_lt(),
                "<=" => ord.is_le(),
                ">" => ord.is_gt(),
                _ => ord.is_ge(),
            })
        }
        Expr::Like { negated, value, pattern } => {
            let (v, p) = (eval_operand(value, row).0, eval_operand(pattern, row).0);
            if v == Value::Null || p == Value::Null {
                return None;
            }
            let (v, p) = (textual(v).render(), textual(p).render());
            Some(like(&p.chars().collect::<Vec<_>>(), &v.chars().collect::<Vec<_>>()) != *negated)
        }
        Expr::IsNull { negated, value } => Some((eval_operand(value, row).0 == Value::Null) != *negated),
    }
}

/// `SQLite`'s LIKE: `%` any run, `_` one character, ASCII letters case-insensitive.
#[must_use]
pub fn like(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star_p, mut star_t) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '%' {
            star_p = Some(p);
            star_t = t;
            p += 1;
        } else if p < pattern.len() && (pattern[p] == '_' || pattern[p].eq_ignore_ascii_case(&text[t])) {
            p += 1;
            t += 1;
        } else if let Some(sp) = star_p {
            p = sp + 1;
            star_t += 1;
            t = star_t;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '%')
}

/// A parsed `--sort`: keys and an optional LIMIT/OFFSET.
#[derive(Debug, Default)]
pub struct SortOrder {
    pub keys: Vec<(Col, bool)>,
    pub limit: Option<usize>,
    pub offset: usize,
}

pub fn parse_sort(sql: &str, schema: &dyn Schema) -> Result<SortOrder, SqlError> {
    let tokens = tokenize(sql)?;
    let mut order = SortOrder::default();
    let mut i = 0;
    loop {
        let Some(token) = tokens.get(i) else { return Err(SqlError::Syntax("incomplete input".to_string())) };
        let name = match token {
            Token::Ident(w) if w.eq_ignore_ascii_case("LIMIT") && !order.keys.is_empty() => break,
            Token::Ident(w) | Token::QuotedIdent(w) => w.clone(),
            Token::Int(_) => return Err(SqlError::Unsupported("ORDER BY a column number".to_string())),
            other => return Err(SqlError::Syntax(format!("near \"{}\": syntax error", token_text(other)))),
        };
        if tokens.get(i + 1) == Some(&Token::LParen) {
            return Err(SqlError::Unsupported(format!("the function {name}()")));
        }
        let column = match schema.column(&name) {
            Some(c) => c,
            None if UNSUPPORTED_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&name)) => {
                return Err(SqlError::Unsupported(format!("the keyword {}", name.to_ascii_uppercase())));
            }
            None => return Err(SqlError::UnknownColumn(name)),
        };
        i += 1;
        let mut descending = false;
        match tokens.get(i) {
            Some(Token::Ident(w)) if w.eq_ignore_ascii_case("ASC") => i += 1,
            Some(Token::Ident(w)) if w.eq_ignore_ascii_case("DESC") => {
                descending = true;
                i += 1;
            }
            Some(Token::Ident(w)) if w.eq_ignore_ascii_case("COLLATE") => {
                return Err(SqlError::Unsupported("COLLATE".to_string()));
            }
            _ => {}
        }
        order.keys.push((column, descending));
        match tokens.get(i) {
            None => return Ok(order),
            Some(Token::Comma) => i += 1,
            Some(Token::Ident(w)) if w.eq_ignore_ascii_case("LIMIT") => break,
            Some(other) => return Err(SqlError::Syntax(format!("near \"{}\": syntax error", token_text(other)))),
        }
    }
    // LIMIT n [OFFSET m | , m]
    i += 1;
    let Some(Token::Int(first)) = tokens.get(i) else {
        return Err(SqlError::Unsupported("LIMIT without a number".to_string()));
    };
    i += 1;
    let mut limit = *first;
    let mut offset = 0;
    match tokens.get(i) {
        None => {}
        Some(Token::Ident(w)) if w.eq_ignore_ascii_case("OFFSET") => match tokens.get(i + 1) {
            Some(Token::Int(m)) if i + 2 == tokens.len() => offset = *m,
            _ => return Err(SqlError::Unsupported("OFFSET without a number".to_string())),
        },
        Some(Token::Comma) => match tokens.get(i + 1) {
            Some(Token::Int(m)) if i + 2 == tokens.len() => {
                offset = limit;
                limit = *m;
            }
            _ => return Err(SqlError::Unsupported("LIMIT a, b without numbers".to_string())),
        },
        Some(other) => return Err(SqlError::Syntax(format!("near \"{}\": syntax error", token_text(other)))),
    }
    order.limit = usize::try_from(limit).ok();
    order.offset = usize::try_from(offset).unwrap_or(0);
    Ok(order)
}

// ---------------------------------------------------------------------------------------------------------
// The `content` command.
