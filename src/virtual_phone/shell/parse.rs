//! mksh's lexer and parser, for the subset of the language the virtual phone runs.
//!
//! Follows mksh R59c's `lex.c` and `syn.c`: words are byte strings whose bytes remember whether they were
//! quoted, backslash-newline is removed everywhere but inside single quotes and comments, and a `-c` script
//! is parsed one line at a time (a line ends at a newline that no `|`, `&&` or `||` continues), so that lines
//! before a syntax error run as they do on the phone.
//!
//! Variables expand (`$NAME`, from the phone shell's environment in `env.rs`; unset ones to nothing). Everything
//! outside the subset (substitutions, `${...}`, assignments, compound commands, functions, here-documents,
//! background jobs, ...) is reported as [`ParseError::Unsupported`] rather than guessed at.

/// One byte of a word, or the `$?` expansion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    /// A byte from the source; `true` when it was quoted (by `\`, `'...'` or `"..."`).
    Byte(u8, bool),
    /// `$?` (quoted or not: its digits never split or glob).
    Status,
    /// `$NAME`: the variable's value (`None`: unset, it expands to nothing), and whether it was quoted.
    Var(Option<&'static [u8]>, bool),
}

/// A word as written: its units, and its source text for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Word {
    /// The word's bytes and expansions.
    pub units: Vec<Unit>,
    /// The source text (quotes included), for error messages.
    pub text: Vec<u8>,
}

impl Word {
    /// The word's text when it is made only of unquoted bytes (a keyword or alias candidate).
    fn plain(&self) -> Option<Vec<u8>> {
        self.units
            .iter()
            .map(|u| match u {
                Unit::Byte(b, false) => Some(*b),
                _ => None,
            })
            .collect()
    }

    /// A word of unquoted bytes, as alias expansion makes them.
    fn from_plain(bytes: &[u8]) -> Self {
        Self { units: bytes.iter().map(|&b| Unit::Byte(b, false)).collect(), text: bytes.to_vec() }
    }
}

/// What a redirection does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RedirKind {
    /// `>` or `>|`: create or truncate.
    Write,
    /// `>>`: append.
    Append,
    /// `<`: read.
    Read,
    /// `>&N` / `<&N`: make this descriptor a copy of N.
    Dup,
}

/// One redirection of a simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Redir {
    /// The descriptor redirected (0, 1 or 2).
    pub fd: u8,
    /// What is done to it.
    pub kind: RedirKind,
    /// The file name or descriptor number.
    pub target: Word,
    /// The operator as mksh prints it in messages (`2>&`, `>`, ...).
    pub op: Vec<u8>,
}

/// A simple command: words and redirections, in source order for the redirections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Simple {
    /// The command name and arguments, unexpanded.
    pub words: Vec<Word>,
    /// Redirections, applied left to right.
    pub redirs: Vec<Redir>,
}

/// `[!] cmd | cmd | ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pipeline {
    /// `!` in front: the status is inverted.
    pub negate: bool,
    /// The commands, left to right.
    pub cmds: Vec<Simple>,
}

/// How a pipeline joins the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Conn {
    /// `&&`.
    And,
    /// `||`.
    Or,
}

/// `pipeline && pipeline || ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AndOr {
    /// The first pipeline.
    pub first: Pipeline,
    /// The others with their connectors.
    pub rest: Vec<(Conn, Pipeline)>,
}

/// One parsed line: and-or lists separated by `;`.
pub(super) type Line = Vec<AndOr>;

/// Why a script cannot be (fully) run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ParseError {
    /// A syntax error: the message mksh prints after `/system/bin/sh: `.
    Syntax(Vec<u8>),
    /// A construct the virtual phone's shell does not implement.
    Unsupported(String),
}

/// Parses a whole `-c` script into lines; stops at the first error, returning the lines before it.
pub(super) fn parse_script(src: &[u8]) -> (Vec<Line>, Option<ParseError>) {
    let mut parser = Parser { lx: Lexer::new(src), pending: None };
    let mut lines = Vec::new();
    loop {
        match parser.line() {
            Ok(Some(line)) => lines.push(line),
            Ok(None) => return (lines, None),
            Err(e) => return (lines, Some(e)),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Lexer

/// A lexical token.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(Word),
    Redir(RedirTok),
    /// An operator: `;` `;;` `;&` `;|` `&` `&&` `|` `||` `|&` `(` `)` `((`.
    Op(&'static str),
    Newline,
    Eof,
}

/// A redirection operator with its optional leading descriptor digit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RedirTok {
    unit: Option<u8>,
    op: &'static str,
}

#[derive(Clone, Copy)]
struct LexState {
    pos: usize,
    /// The previous `getc` returned a backslash: the next byte is taken as it is (mksh's `backslash_skip`).
    skip: bool,
}

struct Lexer<'s> {
    src: &'s [u8],
    st: LexState,
}

const C_LEX1: &[u8] = b"<>\n&();| \t";

fn unsupported<T>(what: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError::Unsupported(what.into()))
}

impl<'s> Lexer<'s> {
    fn new(src: &'s [u8]) -> Self {
        // mksh reads the -c string as a C string: it ends at the first NUL.
        let end = src.iter().position(|&b| b == 0).unwrap_or(src.len());
        Self { src: &src[..end], st: LexState { pos: 0, skip: false } }
    }

    /// The next byte without line-continuation processing.
    fn getc_raw(&mut self) -> Option<u8> {
        let c = self.src.get(self.st.pos).copied();
        if c.is_some() {
            self.st.pos += 1;
        }
        self.st.skip = false;
        c
    }

    /// The next byte, with backslash-newline removed (mksh's `getsc_bn`).
    fn getc(&mut self) -> Option<u8> {
        if self.st.skip {
            return self.getc_raw();
        }
        loop {
            let c = self.getc_raw()?;
            if c == b'\\' {
                if self.src.get(self.st.pos) == Some(&b'\n') {
                    self.st.pos += 1;
                    continue;
                }
                self.st.skip = true;
            }
            return Some(c);
        }
    }

    fn save(&self) -> LexState {
        self.st
    }

    fn restore(&mut self, st: LexState) {
        self.st = st;
    }

    /// Reads one token.
    fn token(&mut self) -> Result<Tok, ParseError> {
        // Skip blanks, then a comment.
        let mut before = self.save();
        let mut c = self.getc();
        while matches!(c, Some(b' ' | b'\t')) {
            before = self.save();
            c = self.getc();
        }
        if c == Some(b'#') {
            loop {
                before = self.save();
                match self.getc_raw() {
                    None | Some(b'\n') => break,
                    Some(_) => {}
                }
            }
        }
        self.restore(before);
        let start = self.st.pos;

        let mut units: Vec<Unit> = Vec::new();
        let mut quoted = false;
        let mut at = self.save();
        let mut term = None;
        while let Some(c) = self.getc() {
            if C_LEX1.contains(&c) {
                term = Some(c);
                break;
            }
            match c {
                b'\\' => {
                    // A trailing backslash is lost.
                    if let Some(q) = self.getc() {
                        units.push(Unit::Byte(q, true));
                        quoted = true;
                    }
                }
                b'\'' => {
                    quoted = true;
                    loop {
                        match self.getc_raw() {
                            None => return Err(ParseError::Syntax(b"no closing quote".to_vec())),
                            Some(b'\'') => break,
                            Some(q) => units.push(Unit::Byte(q, true)),
                        }
                    }
                }
                b'"' => {
                    quoted = true;
                    self.double_quoted(&mut units)?;
                }
                b'$' => {
                    let st = self.save();
                    match self.getc() {
                        Some(b'"') => {
                            quoted = true;
                            self.double_quoted(&mut units)?;
                        }
                        Some(b'\'') => return unsupported("$'...' quoting"),
                        next => {
                            self.restore(st);
                            self.dollar(&mut units, false, next)?;
                        }
                    }
                }
                b'`' => return unsupported("`...` command substitution"),
                b'+' | b'*' | b'?' | b'@' | b'!' if self.peek() == Some(b'(') => {
                    return unsupported(format!("{}(...) pattern", c as char));
                }
                _ => units.push(Unit::Byte(c, false)),
            }
            at = self.save();
        }
        let word_end = at.pos;

        // A redirection operator: an empty word or a single unquoted digit before < > or &>.
        let unit = match units.as_slice() {
            [] if !quoted => Some(None),
            [Unit::Byte(d @ b'0'..=b'9', false)] if !quoted => Some(Some(d - b'0')),
            _ => None,
        };
        if let (Some(unit), Some(c @ (b'<' | b'>' | b'&'))) = (unit, term)
            && let Some(op) = self.redir_op(c)
        {
            return Ok(Tok::Redir(RedirTok { unit, op }));
        }

        if units.is_empty() && !quoted {
            return Ok(match term {
                None => Tok::Eof,
                Some(b'\n') => Tok::Newline,
                Some(c) => Tok::Op(self.operator(c)),
            });
        }
        // Leave the terminator for the next token.
        self.restore(at);
        Ok(Tok::Word(Word { units, text: self.src[start..word_end].to_vec() }))
    }

    fn peek(&mut self) -> Option<u8> {
        let st = self.save();
        let c = self.getc();
        self.restore(st);
        c
    }

    /// After `<`, `>` or `&`: the rest of a redirection operator, or `None` (then nothing is consumed).
    fn redir_op(&mut self, c: u8) -> Option<&'static str> {
        let st = self.save();
        let (c, bash) = if c == b'&' {
            if self.getc() != Some(b'>') {
                self.restore(st);
                return None;
            }
            (b'>', true)
        } else {
            (c, false)
        };
        let st2 = self.save();
        let c2 = self.getc();
        Some(match (c, c2, bash) {
            (b'>', Some(b'>'), false) => ">>",
            (b'>', Some(b'>'), true) => "&>>",
            (b'<', Some(b'<'), _) => {
                let st3 = self.save();
                match self.getc() {
                    Some(b'-') => "<<-",
                    Some(b'<') => "<<<",
                    _ => {
                        self.restore(st3);
                        "<<"
                    }
                }
            }
            (b'<', Some(b'>'), _) => "<>",
            (b'>', Some(b'&'), false) => ">&",
            (b'>', Some(b'&'), true) => "&>&",
            (b'<', Some(b'&'), _) => "<&",
            (b'>', Some(b'|'), false) => ">|",
            (b'>', Some(b'|'), true) => "&>|",
            (b'>', _, true) => {
                self.restore(st2);
                "&>"
            }
            (b'>', _, false) => {
                self.restore(st2);
                ">"
            }
            _ => {
                self.restore(st2);
                "<"
            }
        })
    }

    /// An operator starting with `c` (one of `&();|`).
    fn operator(&mut self, c: u8) -> &'static str {
        let st = self.save();
        let c2 = self.getc();
        match (c, c2) {
            (b'|', Some(b'|')) => "||",
            (b'&', Some(b'&')) => "&&",
            (b';', Some(b';')) => {
                let st3 = self.save();
                if self.getc() == Some(b'&') {
                    ";|"
                } else {
                    self.restore(st3);
                    ";;"
                }
            }
            (b'(', Some(b'(')) => "((",
            (b'|', Some(b'&')) => "|&",
            (b';', Some(b'|')) => ";|",
            (b';', Some(b'&')) => ";&",
            _ => {
                self.restore(st);
                match c {
                    b'|' => "|",
                    b'&' => "&",
                    b';' => ";",
                    b'(' => "(",
                    _ => ")",
                }
            }
        }
    }

    /// The inside of `"..."` (the opening quote is read).
    fn double_quoted(&mut self, units: &mut Vec<Unit>) -> Result<(), ParseError> {
        loop {
            match self.getc() {
                None => return Err(ParseError::Syntax(b"no closing quote".to_vec())),
                Some(b'"') => return Ok(()),
                Some(b'\\') => match self.getc() {
                    Some(q @ (b'"' | b'\\' | b'$' | b'`')) => units.push(Unit::Byte(q, true)),
                    Some(q) => {
                        units.push(Unit::Byte(b'\\', true));
                        units.push(Unit::Byte(q, true));
                    }
                    None => {}
                },
                Some(b'$') => {
                    let next = self.peek();
                    self.dollar(units, true, next)?;
                }
                Some(b'`') => return unsupported("`...` command substitution"),
                Some(c) => units.push(Unit::Byte(c, true)),
            }
        }
    }

    /// After a `$` (not consumed: `next` is what follows): `$?`, a literal `$`, or an unsupported expansion.
    fn dollar(&mut self, units: &mut Vec<Unit>, quoted: bool, next: Option<u8>) -> Result<(), ParseError> {
        match next {
            Some(b'(') => {
                let st = self.save();
                self.getc();
                let what =
                    if self.getc() == Some(b'(') { "$((...)) arithmetic" } else { "$(...) command substitution" };
                self.restore(st);
                unsupported(what)
            }
            Some(b'{') => unsupported("${...} parameter expansion"),
            Some(b'?') => {
                self.getc();
                units.push(Unit::Status);
                Ok(())
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let mut name = Vec::new();
                while let Some(c) = self.peek() {
                    if !(c.is_ascii_alphanumeric() || c == b'_') {
                        break;
                    }
                    self.getc();
                    name.push(c);
                }
                units.push(Unit::Var(super::env::lookup(&name), quoted));
                Ok(())
            }
            Some(c @ (b'!' | b'#' | b'$' | b'*' | b'-' | b'@' | b'0'..=b'9')) => {
                unsupported(format!("parameter ${}", c as char))
            }
            _ => {
                units.push(Unit::Byte(b'$', quoted));
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Parser

struct Parser<'s> {
    lx: Lexer<'s>,
    /// A token read and given back (mksh's REJECT).
    pending: Option<Tok>,
}

/// Reserved words that open a compound command (unsupported) and those that may only close one.
const OPENERS: [&str; 9] = ["if", "case", "for", "select", "while", "until", "function", "time", "[["];
const OPENER_BRACE: &str = "{";
const CLOSERS: [&str; 9] = ["then", "else", "elif", "fi", "esac", "do", "done", "in", "}"];
/// mksh's default aliases other than `type` (which is `\builtin whence -v`) and `nohup` (`nohup `).
const ALIASES: [&str; 9] = ["autoload", "functions", "hash", "history", "integer", "local", "login", "nameref", "r"];

fn syntax_unexpected(tok: &Tok) -> ParseError {
    let mut msg = b"syntax error: ".to_vec();
    match tok {
        Tok::Eof => msg.extend_from_slice(b"unexpected EOF"),
        other => {
            msg.extend_from_slice(b"unexpected '");
            match other {
                Tok::Word(w) => msg.extend_from_slice(&w.text[..w.text.len().min(31)]),
                Tok::Redir(r) => {
                    if let Some(u) = r.unit {
                        msg.push(b'0' + u);
                    }
                    msg.extend_from_slice(r.op.as_bytes());
                }
                Tok::Op(op) => msg.extend_from_slice(op.as_bytes()),
                Tok::Newline => msg.extend_from_slice(b"newline"),
                Tok::Eof => {}
            }
            msg.push(b'\'');
        }
    }
    ParseError::Syntax(msg)
}

impl Parser<'_> {
    /// The next token; with `contin`, newlines are skipped (after `|`, `&&`, `||`).
    fn next(&mut self, contin: bool) -> Result<Tok, ParseError> {
        loop {
            let tok = match self.pending.take() {
                Some(t) => t,
                None => self.lx.token()?,
            };
            if contin && tok == Tok::Newline {
                continue;
            }
            return Ok(tok);
        }
    }

    fn back(&mut self, tok: Tok) {
        self.pending = Some(tok);
    }

    /// One line (mksh's `yyparse` for a `-c` string); `None` at the end of the script.
    fn line(&mut self) -> Result<Option<Line>, ParseError> {
        let mut items = Vec::new();
        loop {
            let item = self.and_or()?;
            let tok = self.next(false)?;
            let Some(item) = item else {
                self.back(tok);
                break;
            };
            items.push(item);
            match tok {
                Tok::Op(";") => {}
                Tok::Op("&") => return unsupported("background job (&)"),
                Tok::Op("|&") => return unsupported("co-process (|&)"),
                other => {
                    self.back(other);
                    break;
                }
            }
        }
        match self.next(false)? {
            Tok::Eof if items.is_empty() => Ok(None),
            Tok::Eof | Tok::Newline => Ok(Some(items)),
            other => Err(syntax_unexpected(&other)),
        }
    }

    fn and_or(&mut self) -> Result<Option<AndOr>, ParseError> {
        let Some(first) = self.pipeline(false)? else { return Ok(None) };
        let mut rest = Vec::new();
        loop {
            let conn = match self.next(false)? {
                Tok::Op("&&") => Conn::And,
                Tok::Op("||") => Conn::Or,
                other => {
                    self.back(other);
                    return Ok(Some(AndOr { first, rest }));
                }
            };
            let Some(p) = self.pipeline(true)? else {
                let tok = self.next(false)?;
                return Err(syntax_unexpected(&tok));
            };
            rest.push((conn, p));
        }
    }

    fn pipeline(&mut self, contin: bool) -> Result<Option<Pipeline>, ParseError> {
        let tok = self.next(contin)?;
        let negate = matches!(&tok, Tok::Word(w) if w.plain().as_deref() == Some(b"!"));
        if negate {
            let Some(mut inner) = self.pipeline(false)? else {
                let tok = self.next(false)?;
                return Err(syntax_unexpected(&tok));
            };
            if inner.negate {
                return unsupported("! ! (double negation)");
            }
            inner.negate = true;
            return Ok(Some(inner));
        }
        self.back(tok);
        let Some(first) = self.command(contin)? else { return Ok(None) };
        let mut cmds = vec![first];
        loop {
            match self.next(false)? {
                Tok::Op("|") => {
                    let Some(c) = self.command(true)? else {
                        let tok = self.next(false)?;
                        if matches!(&tok, Tok::Word(w) if w.plain().as_deref() == Some(b"!")) {
                            return unsupported("! inside a pipeline");
                        }
                        return Err(syntax_unexpected(&tok));
                    };
                    cmds.push(c);
                }
                other => {
                    self.back(other);
                    return Ok(Some(Pipeline { negate: false, cmds }));
                }
            }
        }
    }

    /// A simple command; `None` (with the token given back) when the next token cannot start one.
    fn command(&mut self, contin: bool) -> Result<Option<Simple>, ParseError> {
        let tok = self.next(contin)?;
        match &tok {
            Tok::Word(w) => {
                if let Some(plain) = w.plain() {
                    let name = String::from_utf8_lossy(&plain).into_owned();
                    if OPENERS.contains(&name.as_str()) || name == OPENER_BRACE {
                        return unsupported(format!("'{name}' (compound commands)"));
                    }
                    if CLOSERS.contains(&name.as_str()) || name == "!" {
                        self.back(tok);
                        return Ok(None);
                    }
                }
            }
            Tok::Redir(_) => {}
            Tok::Op("(") => return unsupported("( ) subshell"),
            Tok::Op("((") => return unsupported("(( )) arithmetic"),
            _ => {
                self.back(tok);
                return Ok(None);
            }
        }
        self.back(tok);
        let mut cmd = Simple::default();
        loop {
            match self.next(false)? {
                Tok::Word(w) => {
                    let w = tilde(w)?;
                    if cmd.words.is_empty() {
                        if is_assignment(&w) {
                            return unsupported("variable assignment");
                        }
                        if let Some(plain) = w.plain() {
                            if plain == b"type" {
                                cmd.words.push(Word::from_plain(b"whence"));
                                cmd.words.push(Word::from_plain(b"-v"));
                                continue;
                            }
                            if ALIASES.contains(&String::from_utf8_lossy(&plain).as_ref()) {
                                return unsupported(format!("alias {}", String::from_utf8_lossy(&plain)));
                            }
                        }
                    }
                    cmd.words.push(w);
                }
                Tok::Redir(r) => self.redirection(&r, &mut cmd)?,
                Tok::Op("(") => {
                    if cmd.words.len() == 1 && cmd.redirs.is_empty() {
                        // `name ( )` defines a function; anything else after `name (` is an error.
                        return match self.next(false)? {
                            Tok::Op(")") => unsupported("function definition"),
                            other => Err(syntax_unexpected(&other)),
                        };
                    }
                    return Err(syntax_unexpected(&Tok::Op("(")));
                }
                other => {
                    self.back(other);
                    return Ok(Some(cmd));
                }
            }
        }
    }

    fn redirection(&mut self, r: &RedirTok, cmd: &mut Simple) -> Result<(), ParseError> {
        let (kind, bash) = match r.op {
            ">" | ">|" => (RedirKind::Write, false),
            ">>" => (RedirKind::Append, false),
            "<" => (RedirKind::Read, false),
            ">&" | "<&" => (RedirKind::Dup, false),
            "&>" | "&>|" => (RedirKind::Write, true),
            "&>>" => (RedirKind::Append, true),
            "<<" | "<<-" => return unsupported("here-document (<<)"),
            "<<<" => return unsupported("here-string (<<<)"),
            "<>" => return unsupported("read-write redirection (<>)"),
            _ => return unsupported(format!("redirection {}", r.op)),
        };
        let fd = r.unit.unwrap_or(u8::from(!r.op.starts_with('<')));
        if fd > 2 {
            return unsupported(format!("file descriptor {fd}"));
        }
        if (kind == RedirKind::Read && fd != 0) || (matches!(kind, RedirKind::Write | RedirKind::Append) && fd == 0) {
            return unsupported(format!("redirection {fd}{}", r.op));
        }
        let target = match self.next(false)? {
            Tok::Word(w) => tilde(w)?,
            other => return Err(syntax_unexpected(&other)),
        };
        let mut op = Vec::new();
        if let Some(u) = r.unit {
            op.push(b'0' + u);
        }
        op.extend_from_slice(r.op.as_bytes());
        if bash {
            cmd.redirs.push(Redir { fd: 1, kind, target, op: op.clone() });
            cmd.redirs.push(Redir { fd: 2, kind: RedirKind::Dup, target: Word::from_plain(b"1"), op });
        } else {
            cmd.redirs.push(Redir { fd, kind, target, op });
        }
        Ok(())
    }
}

/// `$HOME` for the shell user: bionic gives `AID_SHELL` the home directory `/`.
const HOME: u8 = b'/';

/// mksh's tilde expansion: an unquoted `~` at the start of a word or after its first unquoted `=`, followed
/// by `/` or the end of the word, is `$HOME`; `~user` is refused.
fn tilde(mut w: Word) -> Result<Word, ParseError> {
    let first_eq = w.units.iter().position(|u| *u == Unit::Byte(b'=', false));
    for at in [Some(0), first_eq.map(|i| i + 1)].into_iter().flatten() {
        if w.units.get(at) != Some(&Unit::Byte(b'~', false)) {
            continue;
        }
        match w.units.get(at + 1) {
            None | Some(Unit::Byte(b'/', _)) => w.units[at] = Unit::Byte(HOME, true),
            Some(Unit::Byte(c, false)) if c.is_ascii_alphanumeric() || *c == b'_' || *c == b'+' || *c == b'-' => {
                return unsupported("~user tilde expansion");
            }
            _ => {}
        }
    }
    Ok(w)
}

/// `NAME=...` with an unquoted name and `=`.
fn is_assignment(w: &Word) -> bool {
    let mut it = w.units.iter();
    match it.next() {
        Some(Unit::Byte(c, false)) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return false,
    }
    for u in it {
        match u {
            Unit::Byte(b'=', false) => return true,
            Unit::Byte(c, false) if c.is_ascii_alphanumeric() || *c == b'_' => {}
            Unit::Byte(b'[', false) => return true,
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<Vec<u8>> {
        let (lines, err) = parse_script(src.as_bytes());
        assert_eq!(err, None, "{src}");
        lines[0][0].first.cmds[0]
            .words
            .iter()
            .map(|w| {
                w.units
                    .iter()
                    .map(|u| match u {
                        Unit::Byte(b, _) => *b,
                        Unit::Status => b'?',
                        Unit::Var(..) => b'$',
                    })
                    .collect()
            })
            .collect()
    }

    fn error(src: &str) -> ParseError {
        parse_script(src.as_bytes()).1.expect("an error")
    }

    #[test]
    fn quoting_removes_quotes_and_keeps_hostile_bytes() {
        assert_eq!(
            words(r#"a 'b c' "d\"e\\f\$g\`h\x" i\ j"#),
            vec![b"a".to_vec(), b"b c".to_vec(), b"d\"e\\f$g`h\\x".to_vec(), b"i j".to_vec()]
        );
        assert_eq!(
            words("ls '$(rm -rf /)' '`x`' \"'\" ''"),
            vec![b"ls".to_vec(), b"$(rm -rf /)".to_vec(), b"`x`".to_vec(), b"'".to_vec(), b"".to_vec()]
        );
        assert_eq!(words("echo 'a\nb' a\\\nb"), vec![b"echo".to_vec(), b"a\nb".to_vec(), b"ab".to_vec()]);
    }

    #[test]
    fn syntax_errors_use_mksh_messages() {
        assert_eq!(error("echo a |"), ParseError::Syntax(b"syntax error: unexpected EOF".to_vec()));
        assert_eq!(error("&& b"), ParseError::Syntax(b"syntax error: unexpected '&&'".to_vec()));
        assert_eq!(error("echo a ;;"), ParseError::Syntax(b"syntax error: unexpected ';;'".to_vec()));
        assert_eq!(error("echo 'abc"), ParseError::Syntax(b"no closing quote".to_vec()));
        assert_eq!(error("echo a )"), ParseError::Syntax(b"syntax error: unexpected ')'".to_vec()));
        assert_eq!(error("fi"), ParseError::Syntax(b"syntax error: unexpected 'fi'".to_vec()));
        assert_eq!(error("echo >\n"), ParseError::Syntax(b"syntax error: unexpected 'newline'".to_vec()));
    }

    #[test]
    fn unsupported_constructs_are_named() {
        for (src, what) in [
            ("echo $(ls)", "$(...)"),
            ("echo `ls`", "`"),
            ("echo $#", "parameter $#"),
            ("echo ${x}", "${"),
            ("if true; then :; fi", "'if'"),
            ("a=1", "assignment"),
            ("sleep 1 &", "background"),
            ("cat <<EOF", "here-document"),
            ("f() { :; }", "function"),
            ("(ls)", "subshell"),
            ("echo 3>x", "descriptor 3"),
            ("echo \"$1\"", "$1"),
        ] {
            match error(src) {
                ParseError::Unsupported(msg) => assert!(msg.contains(what), "{src}: {msg}"),
                other @ ParseError::Syntax(_) => panic!("{src}: {other:?}"),
            }
        }
    }

    #[test]
    fn redirections_take_a_single_digit_unit() {
        let (lines, err) = parse_script(b"echo a 2>/dev/null 12>x >>y 2>&1 &>z");
        assert_eq!(err, None);
        let cmd = &lines[0][0].first.cmds[0];
        assert_eq!(cmd.words.len(), 3);
        let kinds: Vec<(u8, RedirKind)> = cmd.redirs.iter().map(|r| (r.fd, r.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                (2, RedirKind::Write),
                (1, RedirKind::Write),
                (1, RedirKind::Append),
                (2, RedirKind::Dup),
                (1, RedirKind::Write),
                (2, RedirKind::Dup)
            ]
        );
    }

    #[test]
    fn lines_before_a_syntax_error_are_kept() {
        let (lines, err) = parse_script(b"echo a\n\necho b |\n cat\n|cat");
        assert_eq!(lines.len(), 3);
        assert!(lines[1].is_empty());
        assert_eq!(err, Some(ParseError::Syntax(b"syntax error: unexpected '|'".to_vec())));
    }
}
