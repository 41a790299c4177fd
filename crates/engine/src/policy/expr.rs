//! Compiling one CEL condition into typed Rust closures over [`Facts`].
//!
//! The text is parsed by the `cel` crate's parser (the reference implementation's own
//! grammar, so what parses here parses there); then this module type-checks the tree
//! against [`schema`] and turns every node into a closure of a known result
//! type. Field reads are function pointers into [`Facts`], literals are folded, a comparison
//! with a constant captures the constant: evaluating a rule is a handful of indirect calls on
//! plain structs, with no maps and no dynamic values (the interpreter takes ~55× longer).
//!
//! Most payments are *quiet*: nothing of crypto in the memo, and two accounts that no list
//! holds. A condition is compiled three more times with those facts as constants
//! ([`Quiet`]): `memo.hits(..)` is 0, `memo.listed(..)` false, a side's `listed(..)` false.
//! Folding then turns the memo and list rules into `false`, which the engine does not run
//! at all on such a payment, and shortens the rest (`Condition::eval_quiet`). The values
//! are the same as the full condition's on those payments: debug builds check every rule
//! on every payment, and the differential test checks random conditions.
//!
//! A side's `kind` and the payment's `channel` have closed vocabularies: compared with
//! literals (`==`, `!=`, `in`), they compile to a test of the value's index instead of
//! string comparisons, and a literal outside the vocabulary is a warning (it never matches).
//!
//! Semantics follow CEL where the two overlap: 64-bit integer arithmetic that errors on
//! overflow and on division or modulo by zero; `&&` and `||` that absorb an error when the
//! other side decides (`false && error` is `false`), `!error` and `error ? a : b` that are
//! errors; no implicit conversion between `int` and `double` (write `1.0`, or `double(x)`).
//! A condition that ends in an error does not fire; the engine counts it.

use super::facts::{CATEGORIES, Facts, Role, category_index};
use super::schema::{self, PartyField, TxField, Ty, WindowField};
use crate::lists::{ListId, ListStore};
use crate::windows::Direction;
use cel::IdedExpr;
use cel::common::ast::{CallExpr, Expr, LiteralValue};
use cel::parser::Parser;
use std::sync::Arc;

/// Why a condition could not be evaluated on one payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// Integer overflow.
    #[error("integer overflow")]
    Overflow,
    /// Division by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// Modulo by zero.
    #[error("modulo by zero")]
    ModuloByZero,
    /// A conversion out of range or of unparsable text.
    #[error("conversion out of range")]
    Conversion,
}

/// The result of evaluating a node.
pub type R<T> = Result<T, EvalError>;

/// What is known to be constant on a payment, for [`Condition::eval_quiet`]: bit 0, the
/// memo is quiet (no lexicon hit, wallet address or host: every memo fact is 0 or false);
/// bit 1, the sides are quiet (both are platform accounts that no list holds, by id or
/// website: every side `listed()` is false).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quiet(pub u8);

impl Quiet {
    /// Nothing known.
    pub const NONE: Quiet = Quiet(0);
    /// The memo is quiet.
    pub const MEMO: Quiet = Quiet(1);
    /// The sides are quiet.
    pub const SIDES: Quiet = Quiet(2);
    /// Both.
    pub const BOTH: Quiet = Quiet(3);
    /// Every value, [`NONE`](Self::NONE) first.
    pub const ALL: [Quiet; 4] = [Quiet::NONE, Quiet::MEMO, Quiet::SIDES, Quiet::BOTH];
}

/// Prints a leaf's value on a payment.
pub type Printer = Box<dyn Fn(&Facts<'_>) -> String + Send + Sync>;

type DynFn<T> = Box<dyn Fn(&Facts<'_>) -> R<T> + Send + Sync>;
type StrFn = Box<dyn for<'a> Fn(&'a Facts<'a>) -> R<Str<'a>> + Send + Sync>;

/// A string value: borrowed from the facts, a shared constant, or built.
pub enum Str<'a> {
    /// Borrowed from the payment's facts.
    Borrowed(&'a str),
    /// A constant of the condition.
    Shared(Arc<str>),
    /// Built while evaluating (concatenation, conversion).
    Owned(String),
}

impl std::fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Str::Borrowed(s) => s,
            Str::Shared(s) => s,
            Str::Owned(s) => s,
        }
    }
}

/// A compiled node of scalar type `T`: a folded constant or a closure.
pub enum Code<T> {
    /// Known at compile time.
    Const(T),
    /// Read from the facts.
    Dyn(DynFn<T>),
}

impl<T: Copy + Send + Sync + 'static> Code<T> {
    /// Evaluates the node.
    #[inline]
    pub fn eval(&self, f: &Facts<'_>) -> R<T> {
        match self {
            Code::Const(v) => Ok(*v),
            Code::Dyn(g) => g(f),
        }
    }

    fn from_result(r: R<T>) -> Code<T> {
        match r {
            Ok(v) => Code::Const(v),
            Err(e) => Code::Dyn(Box::new(move |_| Err(e))),
        }
    }

    fn map<U: Copy + Send + Sync + 'static>(self, op: impl Fn(T) -> R<U> + Send + Sync + 'static) -> Code<U> {
        match self {
            Code::Const(a) => Code::from_result(op(a)),
            Code::Dyn(g) => Code::Dyn(Box::new(move |f| op(g(f)?))),
        }
    }

    fn zip<U: Copy + Send + Sync + 'static, V: Copy + Send + Sync + 'static>(
        self,
        rhs: Code<U>,
        op: impl Fn(T, U) -> R<V> + Send + Sync + 'static,
    ) -> Code<V> {
        match (self, rhs) {
            (Code::Const(a), Code::Const(b)) => Code::from_result(op(a, b)),
            (Code::Const(a), Code::Dyn(g)) => Code::Dyn(Box::new(move |f| op(a, g(f)?))),
            (Code::Dyn(g), Code::Const(b)) => Code::Dyn(Box::new(move |f| op(g(f)?, b))),
            (Code::Dyn(g), Code::Dyn(h)) => Code::Dyn(Box::new(move |f| {
                let a = g(f);
                let b = h(f);
                op(a?, b?)
            })),
        }
    }
}

/// A compiled string node.
pub enum SCode {
    /// Known at compile time.
    Const(Arc<str>),
    /// Read from the facts.
    Dyn(StrFn),
}

impl SCode {
    /// Evaluates the node.
    #[inline]
    pub fn eval<'a>(&self, f: &'a Facts<'a>) -> R<Str<'a>> {
        match self {
            SCode::Const(s) => Ok(Str::Shared(Arc::clone(s))),
            SCode::Dyn(g) => g(f),
        }
    }

    /// Folds a string predicate or measure into a scalar node.
    fn to<T: Copy + Send + Sync + 'static>(
        self,
        op: impl Fn(&str) -> R<T> + Send + Sync + 'static,
    ) -> Code<T> {
        match self {
            SCode::Const(s) => Code::from_result(op(&s)),
            SCode::Dyn(g) => Code::Dyn(Box::new(move |f| op(&g(f)?))),
        }
    }

    fn zip_to<T: Copy + Send + Sync + 'static>(
        self,
        rhs: SCode,
        op: impl Fn(&str, &str) -> R<T> + Send + Sync + 'static,
    ) -> Code<T> {
        match (self, rhs) {
            (SCode::Const(a), SCode::Const(b)) => Code::from_result(op(&a, &b)),
            (SCode::Const(a), SCode::Dyn(g)) => Code::Dyn(Box::new(move |f| op(&a, &g(f)?))),
            (SCode::Dyn(g), SCode::Const(b)) => Code::Dyn(Box::new(move |f| op(&g(f)?, &b))),
            (SCode::Dyn(g), SCode::Dyn(h)) => Code::Dyn(Box::new(move |f| {
                let a = g(f);
                let b = h(f);
                op(&a?, &b?)
            })),
        }
    }
}

/// A literal value of a list or a folded constant.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(Arc<str>),
}

/// A compiled node of any type.
enum Node {
    Bool(Code<bool>),
    Int(Code<i64>),
    Double(Code<f64>),
    Str(SCode),
    List(Ty, Vec<Lit>),
    Tx,
    Memo,
    Party(Role),
    Window(Role, usize, Direction),
}

impl Node {
    fn ty(&self) -> Ty {
        match self {
            Node::Bool(_) => Ty::Bool,
            Node::Int(_) => Ty::Int,
            Node::Double(_) => Ty::Double,
            Node::Str(_) => Ty::String,
            Node::List(t, _) => Ty::List(Box::new(t.clone())),
            Node::Tx => Ty::Tx,
            Node::Memo => Ty::Memo,
            Node::Party(_) => Ty::Party,
            Node::Window(..) => Ty::Window,
        }
    }
}

/// A compile error in a condition: where (byte offsets into the condition) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Start byte in the condition text.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when we can tell.
    pub help: Option<String>,
}

/// A part of a condition whose value explains a firing: a field read or a function call,
/// with its source text and a way to print its value on a payment.
pub struct Leaf {
    /// The source text, e.g. `payer.in_24h.count`.
    pub text: String,
    /// Prints the value on a payment.
    pub show: Printer,
}

/// A compiled condition.
pub struct Condition {
    code: Code<bool>,
    /// The same condition compiled for quiet payments (most of them), indexed by
    /// [`Quiet`] bits less one: where the memo's facts, the sides' list membership, or both
    /// are constants, so that the rules reading them fold away.
    quiet: [Code<bool>; 3],
    /// The parts whose values explain a firing, in source order.
    pub leaves: Vec<Leaf>,
    /// Lists the condition reads.
    pub lists: Vec<String>,
    /// Lists a side's `listed()` reads.
    pub listed: Vec<ListId>,
    /// Whether the condition folded to a constant (and which).
    pub constant: Option<bool>,
    /// Things worth a warning (an optional list that is not loaded).
    pub warnings: Vec<ExprError>,
    /// Whether the condition reads a side's `restriction`: then its value depends on the
    /// decisions before the payment, not only on the payments, and a parallel decider must
    /// evaluate it in input order (see `crate::decide::lanes`).
    pub reads_restrictions: bool,
}

impl Condition {
    /// Evaluates the condition on one payment.
    #[inline]
    pub fn eval(&self, f: &Facts<'_>) -> R<bool> {
        self.code.eval(f)
    }

    /// [`eval`](Self::eval) for a payment that is `quiet` as [`Quiet`] says: the same
    /// value, without reading the facts that are constant there.
    #[inline]
    pub fn eval_quiet(&self, f: &Facts<'_>, quiet: Quiet) -> R<bool> {
        match self.quiet.get(usize::from(quiet.0).wrapping_sub(1)) {
            Some(code) => code.eval(f),
            None => self.code.eval(f),
        }
    }

    /// Whether the condition is `false` on every payment that is `quiet`, so that those
    /// payments need not evaluate it.
    pub fn false_when(&self, quiet: Quiet) -> bool {
        let code = self.quiet.get(usize::from(quiet.0).wrapping_sub(1)).unwrap_or(&self.code);
        matches!(code, Code::Const(false))
    }

    /// `text = value` for every leaf, for a reason's detail.
    pub fn explain(&self, f: &Facts<'_>) -> String {
        let mut out = String::new();
        for (i, l) in self.leaves.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&l.text);
            out.push('=');
            out.push_str(&(l.show)(f));
        }
        out
    }
}

/// Parses, checks and compiles `src` against the schema and the lists in `lists`.
/// `optional` names lists that may be absent: a read of one that is not loaded is false (0
/// for a score) with a warning, instead of an error.
pub fn compile(src: &str, lists: &ListStore, optional: &[String]) -> Result<Condition, Vec<ExprError>> {
    let (ast, info) = match Parser::new().parse_with_source_info(src) {
        Ok(x) => x,
        Err(errs) => return Err(errs.errors.iter().map(|e| parse_error(src, e)).collect()),
    };
    let mut cx = Cx {
        src,
        info: &info,
        lists,
        optional,
        leaves: Vec::new(),
        list_names: Vec::new(),
        warnings: Vec::new(),
        quiet: false,
        reads_restrictions: false,
        memo_quiet: false,
        sides_quiet: false,
        listed: Vec::new(),
    };
    let node = cx.node(&ast).map_err(|e| vec![e])?;
    match node {
        Node::Bool(code) => {
            let constant = match &code {
                Code::Const(b) => Some(*b),
                Code::Dyn(_) => None,
            };
            // The same tree again for each kind of quiet payment: it compiled once, so it
            // compiles again (leaves and warnings were recorded the first time).
            cx.quiet = true;
            let mut quiet = Vec::with_capacity(3);
            for q in &Quiet::ALL[1..] {
                (cx.memo_quiet, cx.sides_quiet) = (q.0 & 1 != 0, q.0 & 2 != 0);
                match cx.node(&ast) {
                    Ok(Node::Bool(c)) => quiet.push(c),
                    // Not reached: the same tree has the same type.
                    Ok(_) | Err(_) => {
                        let (start, end) = cx.span(&ast);
                        return Err(vec![type_error(
                            start,
                            end,
                            "internal: the condition compiled only once",
                            None,
                        )]);
                    }
                }
            }
            let Ok(quiet) = <[Code<bool>; 3]>::try_from(quiet) else {
                return Err(vec![type_error(
                    0,
                    src.len(),
                    "internal: three quiet compilations expected",
                    None,
                )]);
            };
            Ok(Condition {
                code,
                quiet,
                listed: cx.listed,
                leaves: cx.leaves,
                lists: cx.list_names,
                constant,
                warnings: cx.warnings,
                reads_restrictions: cx.reads_restrictions,
            })
        }
        other => {
            let (start, end) = cx.span(&ast);
            Err(vec![ExprError {
                start,
                end,
                message: format!("a condition must be a bool, this is {}", other.ty()),
                help: Some("compare it with something, e.g. `x > 0` or `x == \"...\"`".into()),
            }])
        }
    }
}

fn parse_error(src: &str, e: &cel::ParseError) -> ExprError {
    // The parser reports 1-based (line, column in characters); turn that into a byte offset.
    let (line, col) =
        (usize::try_from(e.pos.0).unwrap_or(1).max(1), usize::try_from(e.pos.1).unwrap_or(1).max(1));
    let line_start: usize = src.split_inclusive('\n').take(line - 1).map(str::len).sum();
    let rest = src.get(line_start..).unwrap_or("");
    let start = line_start + rest.char_indices().nth(col - 1).map_or(rest.len(), |(i, _)| i);
    let end = src.get(start..).and_then(|s| s.chars().next()).map_or(start, |c| start + c.len_utf8());
    let msg = e.msg.strip_prefix("Syntax error: ").unwrap_or(&e.msg);
    ExprError { start, end, message: format!("syntax error: {msg}"), help: None }
}

struct Cx<'s> {
    src: &'s str,
    info: &'s cel::common::ast::SourceInfo,
    lists: &'s ListStore,
    optional: &'s [String],
    leaves: Vec<Leaf>,
    list_names: Vec<String>,
    warnings: Vec<ExprError>,
    /// Set while compiling a leaf's printer, which must not record leaves itself.
    quiet: bool,
    /// A side's `restriction` was read.
    reads_restrictions: bool,
    /// Compiling for a memo without lexicon hits, wallet addresses or hosts: the memo's
    /// facts are constants (0, false), so that folding removes what depends on them.
    memo_quiet: bool,
    /// Compiling for sides that no list holds: a side's `listed()` is `false`. (Not
    /// `screen()`: a name is screened against a list only when a rule first asks, so most
    /// accounts have no known score for most lists.)
    sides_quiet: bool,
    /// The lists a side's `listed()` reads.
    listed: Vec<ListId>,
}

fn type_error(start: usize, end: usize, message: impl Into<String>, help: Option<String>) -> ExprError {
    ExprError { start, end, message: message.into(), help }
}

fn checked(v: Option<i64>) -> R<i64> {
    v.ok_or(EvalError::Overflow)
}

impl Cx<'_> {
    /// The byte span of a node and everything under it.
    fn span(&self, e: &IdedExpr) -> (usize, usize) {
        let mut lo = usize::MAX;
        let mut hi = 0;
        self.walk_span(e, &mut lo, &mut hi);
        if lo == usize::MAX { (0, self.src.len()) } else { (lo, hi.min(self.src.len())) }
    }

    fn walk_span(&self, e: &IdedExpr, lo: &mut usize, hi: &mut usize) {
        let own = self.info.offset_for(e.id).map(|(s, _)| s as usize);
        if let Some((s, t)) = self.info.offset_for(e.id) {
            *lo = (*lo).min(s as usize);
            // `stop` is inclusive and may point inside a multi-byte character.
            let mut end = (t as usize + 1).min(self.src.len());
            while end < self.src.len() && !self.src.is_char_boundary(end) {
                end += 1;
            }
            *hi = (*hi).max(end);
        }
        match &e.expr {
            Expr::Call(c) => {
                if let Some(t) = &c.target {
                    self.walk_span(t, lo, hi);
                }
                for a in &c.args {
                    self.walk_span(a, lo, hi);
                }
                // The parser places a call at its `(`: take in the closing parenthesis.
                let is_fn =
                    !c.func_name.starts_with('_') && !c.func_name.starts_with('@') && c.func_name != "!_";
                if is_fn && let Some(rest) = self.src.get(*hi..) {
                    let trimmed = rest.trim_start();
                    if trimmed.starts_with(')') {
                        *hi += rest.len() - trimmed.len() + 1;
                    }
                }
            }
            Expr::Select(sel) => {
                self.walk_span(&sel.operand, lo, hi);
                // The parser places a selection at its `.`: take in the field name.
                if let Some(dot) = own {
                    *hi = (*hi).max((dot + 1 + sel.field.len()).min(self.src.len()));
                }
            }
            Expr::List(l) => {
                for x in &l.elements {
                    self.walk_span(x, lo, hi);
                }
                if let Some(rest) = self.src.get(*hi..) {
                    let trimmed = rest.trim_start();
                    if trimmed.starts_with(']') {
                        *hi += rest.len() - trimmed.len() + 1;
                    }
                }
            }
            _ => {}
        }
    }

    fn text(&self, e: &IdedExpr) -> String {
        let (s, t) = self.span(e);
        self.src.get(s..t).unwrap_or("").trim().to_string()
    }

    fn err(&self, e: &IdedExpr, message: impl Into<String>, help: Option<String>) -> ExprError {
        let (s, t) = self.span(e);
        type_error(s, t, message, help)
    }

    fn leaf(&mut self, e: &IdedExpr, show: Printer) {
        if self.quiet {
            return;
        }
        let text = self.text(e);
        if !self.leaves.iter().any(|l| l.text == text) {
            self.leaves.push(Leaf { text, show });
        }
    }

    fn node(&mut self, e: &IdedExpr) -> Result<Node, ExprError> {
        match &e.expr {
            Expr::Literal(l) => self.literal(e, l),
            Expr::Ident(name) => self.ident(e, name),
            Expr::Select(s) => {
                if s.test {
                    return Err(self.err(
                        e,
                        "`has()` is not supported: every field always has a value",
                        None,
                    ));
                }
                let operand = self.node(&s.operand)?;
                self.select(e, operand, &s.field)
            }
            Expr::Call(c) => self.call(e, c),
            Expr::List(l) => {
                let mut lits = Vec::with_capacity(l.elements.len());
                let mut ty: Option<Ty> = None;
                for x in &l.elements {
                    let lit = match self.node(x)? {
                        Node::Bool(Code::Const(b)) => Lit::Bool(b),
                        Node::Int(Code::Const(i)) => Lit::Int(i),
                        Node::Double(Code::Const(d)) => Lit::Double(d),
                        Node::Str(SCode::Const(s)) => Lit::Str(s),
                        _ => return Err(self.err(x, "list elements must be constants", None)),
                    };
                    let t = lit_ty(&lit);
                    match &ty {
                        Some(t0) if *t0 != t => {
                            return Err(self.err(x, format!("a list of {t0} cannot hold a {t}"), None));
                        }
                        _ => ty = Some(t),
                    }
                    lits.push(lit);
                }
                Ok(Node::List(ty.unwrap_or(Ty::String), lits))
            }
            Expr::Map(_) | Expr::Struct(_) => {
                Err(self.err(e, "maps and messages are not supported in conditions", None))
            }
            Expr::Comprehension(_) => Err(self.err(
                e,
                "macros (all, exists, map, filter) are not supported in conditions",
                Some("use memo.hits(category) or the window features instead".into()),
            )),
            Expr::Unspecified => Err(self.err(e, "empty expression", None)),
        }
    }

    fn literal(&mut self, e: &IdedExpr, l: &LiteralValue) -> Result<Node, ExprError> {
        Ok(match l {
            LiteralValue::Boolean(b) => Node::Bool(Code::Const(**b)),
            LiteralValue::Int(i) => Node::Int(Code::Const(**i)),
            LiteralValue::Double(d) => Node::Double(Code::Const(**d)),
            LiteralValue::String(s) => Node::Str(SCode::Const(Arc::from(s.as_ref()))),
            LiteralValue::UInt(_) => {
                return Err(self.err(
                    e,
                    "unsigned integers are not supported",
                    Some("drop the `u` suffix".into()),
                ));
            }
            LiteralValue::Bytes(_) => return Err(self.err(e, "bytes are not supported", None)),
            LiteralValue::Null => {
                return Err(self.err(e, "null is not supported: every field always has a value", None));
            }
        })
    }

    fn ident(&mut self, e: &IdedExpr, name: &str) -> Result<Node, ExprError> {
        match name {
            "tx" => Ok(Node::Tx),
            "memo" => Ok(Node::Memo),
            "payer" => Ok(Node::Party(Role::Payer)),
            "payee" => Ok(Node::Party(Role::Payee)),
            _ => {
                let roots: Vec<&str> = schema::ROOTS.iter().map(|(n, _)| *n).collect();
                Err(self.err(e, format!("unknown variable `{name}`"), suggest(name, &roots)))
            }
        }
    }

    fn select(&mut self, e: &IdedExpr, operand: Node, field: &str) -> Result<Node, ExprError> {
        let unknown = |cx: &Self, on: Ty| {
            let members = schema::members_of(&on);
            cx.err(e, format!("unknown field `{field}` of {on}"), suggest(field, &members))
        };
        let node = match operand {
            Node::Tx => match schema::tx_field(field).ok_or_else(|| unknown(self, Ty::Tx))? {
                TxField::Int(g) => Node::Int(Code::Dyn(Box::new(move |f| Ok(g(f))))),
                TxField::Bool(g) => Node::Bool(Code::Dyn(Box::new(move |f| Ok(g(f))))),
                TxField::Str(g) => Node::Str(SCode::Dyn(Box::new(move |f| Ok(Str::Borrowed(g(f)))))),
            },
            Node::Party(role) => {
                if let Some((w, d)) = schema::window(field) {
                    return Ok(Node::Window(role, w, d));
                }
                if field == "restriction" {
                    self.reads_restrictions = true;
                }
                match schema::party_field(field).ok_or_else(|| unknown(self, Ty::Party))? {
                    PartyField::Int(g) => Node::Int(Code::Dyn(Box::new(move |f| Ok(g(f.side(role)))))),
                    PartyField::Double(g) => Node::Double(Code::Dyn(Box::new(move |f| Ok(g(f.side(role)))))),
                    PartyField::Bool(g) => Node::Bool(Code::Dyn(Box::new(move |f| Ok(g(f.side(role)))))),
                    PartyField::Str(g) => {
                        Node::Str(SCode::Dyn(Box::new(move |f| Ok(Str::Borrowed(g(f.side(role)))))))
                    }
                }
            }
            Node::Window(role, w, d) => {
                let wf = schema::window_field(field).ok_or_else(|| unknown(self, Ty::Window))?;
                if wf == WindowField::Distinct && w == 0 {
                    return Err(self.err(
                        e,
                        "distinct counterparties are kept for the 24h and 7d windows only",
                        Some("use in_24h / out_24h / in_7d / out_7d".into()),
                    ));
                }
                if wf.is_double() {
                    Node::Double(Code::Dyn(Box::new(move |f| {
                        Ok(match schema::read_window(f.side(role), w, d, wf) {
                            schema::Value::Double(v) => v,
                            schema::Value::Int(v) => v as f64,
                        })
                    })))
                } else {
                    Node::Int(Code::Dyn(Box::new(move |f| {
                        Ok(match schema::read_window(f.side(role), w, d, wf) {
                            schema::Value::Int(v) => v,
                            schema::Value::Double(v) => v as i64,
                        })
                    })))
                }
            }
            Node::Memo if self.memo_quiet => match field {
                "addresses" | "hosts" => Node::Int(Code::Const(0)),
                _ => return Err(unknown(self, Ty::Memo)),
            },
            Node::Memo => match field {
                "addresses" => Node::Int(Code::Dyn(Box::new(|f| Ok(f.memo.refs.addresses.len() as i64)))),
                "hosts" => Node::Int(Code::Dyn(Box::new(|f| Ok(f.memo.refs.hosts.len() as i64)))),
                _ => return Err(unknown(self, Ty::Memo)),
            },
            other => return Err(self.err(e, format!("a {} has no fields", other.ty()), None)),
        };
        self.leaf_for(e, &node);
        Ok(node)
    }

    /// Records a scalar node as an explaining leaf.
    fn leaf_for(&mut self, e: &IdedExpr, node: &Node) {
        if self.quiet {
            return;
        }
        let show: Printer = match node {
            Node::Int(Code::Dyn(_))
            | Node::Bool(Code::Dyn(_))
            | Node::Double(Code::Dyn(_))
            | Node::Str(SCode::Dyn(_)) => {
                // Re-compile the same path into a printer: nodes are not Clone (boxed closures).
                match self.printer(e) {
                    Some(p) => p,
                    None => return,
                }
            }
            _ => return,
        };
        self.leaf(e, show);
    }

    /// A printer for a field path (no function calls), compiled afresh.
    fn printer(&mut self, e: &IdedExpr) -> Option<Printer> {
        let was = std::mem::replace(&mut self.quiet, true);
        let node = self.node(e).ok();
        self.quiet = was;
        Some(match node? {
            Node::Int(c) => Box::new(move |f| c.eval(f).map_or_else(|e| e.to_string(), |v| v.to_string())),
            Node::Bool(c) => Box::new(move |f| c.eval(f).map_or_else(|e| e.to_string(), |v| v.to_string())),
            Node::Double(c) => {
                Box::new(move |f| c.eval(f).map_or_else(|e| e.to_string(), |v| format!("{v:.4}")))
            }
            Node::Str(c) => {
                Box::new(move |f| c.eval(f).map_or_else(|e| e.to_string(), |v| format!("{:?}", &*v)))
            }
            _ => return None,
        })
    }

    /// The list named by argument `idx`: `None` for an optional list that is not loaded.
    fn list_arg(
        &mut self,
        call: &IdedExpr,
        args: &[IdedExpr],
        idx: usize,
    ) -> Result<(Option<ListId>, String), ExprError> {
        let Some(arg) = args.get(idx) else {
            return Err(self.err(call, "missing the list name", Some("e.g. \"exchanges\"".into())));
        };
        let Expr::Literal(LiteralValue::String(name)) = &arg.expr else {
            return Err(self.err(arg, "a list name must be a string literal", None));
        };
        let name: &str = name.as_ref();
        match self.lists.list(name) {
            Some(id) => {
                if !self.list_names.iter().any(|n| n == name) {
                    self.list_names.push(name.to_string());
                }
                Ok((Some(id), name.to_string()))
            }
            None if self.optional.iter().any(|o| o == name) => {
                let w = self.err(
                    arg,
                    format!("optional list `{name}` is not loaded: this reads as false until it is"),
                    None,
                );
                if !self.quiet {
                    self.warnings.push(w);
                }
                Ok((None, name.to_string()))
            }
            None => {
                let known: Vec<&str> = self.lists.list_names().collect();
                let help =
                    suggest(name, &known).or_else(|| Some(format!("known lists: {}", known.join(", "))));
                Err(self.err(arg, format!("unknown list `{name}`"), help))
            }
        }
    }

    fn arity(&self, e: &IdedExpr, c: &CallExpr, n: usize) -> Result<(), ExprError> {
        if c.args.len() == n {
            Ok(())
        } else {
            Err(self.err(e, format!("`{}` takes {n} argument(s), got {}", c.func_name, c.args.len()), None))
        }
    }

    fn call(&mut self, e: &IdedExpr, c: &CallExpr) -> Result<Node, ExprError> {
        let f = c.func_name.as_str();
        if let Some(target) = &c.target {
            return self.method(e, target, c);
        }
        match f {
            "_&&_" | "_||_" => {
                self.arity(e, c, 2)?;
                let a = self.bool_arg(&c.args[0])?;
                let b = self.bool_arg(&c.args[1])?;
                Ok(Node::Bool(logical(f == "_&&_", a, b)))
            }
            "!_" => {
                self.arity(e, c, 1)?;
                Ok(Node::Bool(self.bool_arg(&c.args[0])?.map(|v| Ok(!v))))
            }
            "_?_:_" => {
                self.arity(e, c, 3)?;
                let cond = self.bool_arg(&c.args[0])?;
                let a = self.node(&c.args[1])?;
                let b = self.node(&c.args[2])?;
                self.ternary(e, cond, a, b)
            }
            "-_" => {
                self.arity(e, c, 1)?;
                match self.node(&c.args[0])? {
                    Node::Int(x) => Ok(Node::Int(x.map(|v| checked(v.checked_neg())))),
                    Node::Double(x) => Ok(Node::Double(x.map(|v| Ok(-v)))),
                    other => Err(self.err(e, format!("cannot negate a {}", other.ty()), None)),
                }
            }
            "_==_" | "_!=_" | "_<_" | "_<=_" | "_>_" | "_>=_" => {
                self.arity(e, c, 2)?;
                if matches!(f, "_==_" | "_!=_")
                    && let Some(node) = self.symbol_test(&c.args[0], &c.args[1], f == "_!=_")?
                {
                    return Ok(node);
                }
                let a = self.node(&c.args[0])?;
                let b = self.node(&c.args[1])?;
                self.compare(e, f, a, b)
            }
            "_+_" | "_-_" | "_*_" | "_/_" | "_%_" => {
                self.arity(e, c, 2)?;
                let a = self.node(&c.args[0])?;
                let b = self.node(&c.args[1])?;
                self.arith(e, f, a, b)
            }
            "@in" => {
                self.arity(e, c, 2)?;
                if let Some(node) = self.symbol_test(&c.args[0], &c.args[1], false)? {
                    return Ok(node);
                }
                let a = self.node(&c.args[0])?;
                let b = self.node(&c.args[1])?;
                self.member(e, a, b)
            }
            "size" => {
                self.arity(e, c, 1)?;
                let s = self.str_arg(&c.args[0])?;
                Ok(Node::Int(s.to(|s| Ok(s.chars().count() as i64))))
            }
            "int" | "double" | "string" => {
                self.arity(e, c, 1)?;
                let a = self.node(&c.args[0])?;
                self.convert(e, f, a)
            }
            "screen" => {
                self.arity(e, c, 2)?;
                let name = self.str_arg(&c.args[0])?;
                let (_, list) = self.list_arg(e, &c.args, 1)?;
                let node = Node::Double(match name {
                    SCode::Const(s) => {
                        let list = list.clone();
                        Code::Dyn(Box::new(move |f| Ok(f.screener.best(&s, &list))))
                    }
                    SCode::Dyn(g) => {
                        let list = list.clone();
                        Code::Dyn(Box::new(move |f| Ok(f.screener.best(&g(f)?, &list))))
                    }
                });
                self.call_leaf(e, &c.args[0], Some(list));
                Ok(node)
            }
            "has" => Err(self.err(e, "`has()` is not supported: every field always has a value", None)),
            _ if f.starts_with('_') || f.starts_with('@') => {
                Err(self.err(e, format!("operator `{f}` is not supported"), None))
            }
            _ => {
                let known = ["size", "int", "double", "string", "screen"];
                Err(self.err(e, format!("unknown function `{f}`"), suggest(f, &known)))
            }
        }
    }

    /// A leaf for `screen(name, list)`: prints the score.
    fn call_leaf(&mut self, e: &IdedExpr, name: &IdedExpr, list: Option<String>) {
        let was = std::mem::replace(&mut self.quiet, true);
        let name = self.str_arg(name).ok();
        self.quiet = was;
        if let (Some(name), Some(list)) = (name, list) {
            self.leaf(
                e,
                Box::new(move |f| match name.eval(f) {
                    Ok(n) => format!("{:.4}", f.screener.best(&n, &list)),
                    Err(err) => err.to_string(),
                }),
            );
        }
    }

    fn method(&mut self, e: &IdedExpr, target: &IdedExpr, c: &CallExpr) -> Result<Node, ExprError> {
        let recv = self.node(target)?;
        let f = c.func_name.as_str();
        match (recv, f) {
            (Node::Party(role), "listed") => {
                self.arity(e, c, 1)?;
                let (Some(list), _) = self.list_arg(e, &c.args, 0)? else {
                    return Ok(Node::Bool(Code::Dyn(Box::new(|_| Ok(false)))));
                };
                if !self.listed.contains(&list) {
                    self.listed.push(list);
                }
                if self.sides_quiet {
                    return Ok(Node::Bool(Code::Const(false)));
                }
                self.leaf(
                    e,
                    Box::new(move |f| match f.side_listed(role, list) {
                        Some(en) => show_entry(en),
                        None => "false".into(),
                    }),
                );
                Ok(Node::Bool(Code::Dyn(Box::new(move |f| Ok(f.side_listed(role, list).is_some())))))
            }
            (Node::Party(role), "screen") => {
                self.arity(e, c, 1)?;
                let (Some(id), list) = self.list_arg(e, &c.args, 0)? else {
                    return Ok(Node::Double(Code::Dyn(Box::new(|_| Ok(0.0)))));
                };

                let l2 = list.clone();
                self.leaf(e, Box::new(move |f| format!("{:.4}", f.screen_side(role, id, &l2))));
                Ok(Node::Double(Code::Dyn(Box::new(move |f| Ok(f.screen_side(role, id, &list))))))
            }
            (Node::Memo, "hits" | "strong") => {
                self.arity(e, c, 1)?;
                let Expr::Literal(LiteralValue::String(cat)) = &c.args[0].expr else {
                    return Err(self.err(&c.args[0], "a category must be a string literal", None));
                };
                let cat: &str = cat.as_ref();
                let idx = if cat == "any" {
                    None
                } else {
                    match CATEGORIES.iter().find(|k| k.as_str() == cat) {
                        Some(k) => Some(category_index(*k)),
                        None => {
                            let mut names: Vec<&str> = CATEGORIES.iter().map(|k| k.as_str()).collect();
                            names.push("any");
                            return Err(self.err(
                                &c.args[0],
                                format!("unknown category `{cat}`"),
                                suggest(cat, &names)
                                    .or_else(|| Some(format!("categories: {}", names.join(", ")))),
                            ));
                        }
                    }
                };
                if self.memo_quiet {
                    return Ok(Node::Int(Code::Const(0)));
                }
                let strong = f == "strong";
                let read = move |fa: &Facts<'_>| -> i64 {
                    let counts = if strong { &fa.memo.strong_per_category } else { &fa.memo.per_category };
                    match idx {
                        Some(i) => i64::from(counts[i]),
                        None => counts.iter().map(|&n| i64::from(n)).sum(),
                    }
                };
                // Each hit term with its category, `2 [出U (otc), USDT (coin)]`: only run for
                // the rules that fired, so the allocations stay off the hot path.
                self.leaf(
                    e,
                    Box::new(move |fa| {
                        let terms: Vec<String> = fa
                            .memo
                            .hits
                            .iter()
                            .filter(|h| idx.is_none_or(|i| category_index(h.category) == i))
                            .filter(|h| !strong || h.weight == crate::lexicon::Weight::Strong)
                            .map(|h| format!("{} ({})", h.term, h.category.as_str()))
                            .collect();
                        if terms.is_empty() {
                            "0".into()
                        } else {
                            format!("{} [{}]", terms.len(), terms.join(", "))
                        }
                    }),
                );
                Ok(Node::Int(Code::Dyn(Box::new(move |fa| Ok(read(fa))))))
            }
            (Node::Memo, "listed") => {
                self.arity(e, c, 1)?;
                let (Some(list), _) = self.list_arg(e, &c.args, 0)? else {
                    return Ok(Node::Bool(Code::Dyn(Box::new(|_| Ok(false)))));
                };
                if self.memo_quiet {
                    return Ok(Node::Bool(Code::Const(false)));
                }
                self.leaf(
                    e,
                    Box::new(move |f| match f.memo_listed(list) {
                        Some(en) => show_entry(en),
                        None => "false".into(),
                    }),
                );
                Ok(Node::Bool(Code::Dyn(Box::new(move |f| Ok(f.memo_listed(list).is_some())))))
            }
            (Node::Str(s), "size") => {
                self.arity(e, c, 0)?;
                Ok(Node::Int(s.to(|s| Ok(s.chars().count() as i64))))
            }
            (Node::Str(s), "contains" | "startsWith" | "endsWith") => {
                self.arity(e, c, 1)?;
                let t = self.str_arg(&c.args[0])?;
                let op: fn(&str, &str) -> bool = match f {
                    "contains" => |a, b| a.contains(b),
                    "startsWith" => |a, b| a.starts_with(b),
                    _ => |a, b| a.ends_with(b),
                };
                Ok(Node::Bool(s.zip_to(t, move |a, b| Ok(op(a, b)))))
            }
            (recv, _) => {
                let ty = recv.ty();
                let members = match ty {
                    Ty::String => vec!["size", "contains", "startsWith", "endsWith"],
                    ref t => schema::members_of(t),
                };
                Err(self.err(e, format!("{ty} has no function `{f}`"), suggest(f, &members)))
            }
        }
    }

    /// `field == "v"`, `field != "v"` or `field in ["v", ...]` for a field with a closed
    /// vocabulary (a side's `kind`, the payment's `channel`): compiled to a test of the
    /// value's index in the vocabulary instead of string comparisons. A literal outside the
    /// vocabulary can never match, which is worth a warning (a typo, most likely).
    /// `None` when the test is of another shape.
    fn symbol_test(
        &mut self,
        field: &IdedExpr,
        value: &IdedExpr,
        negate: bool,
    ) -> Result<Option<Node>, ExprError> {
        let Expr::Select(sel) = &field.expr else { return Ok(None) };
        let Expr::Ident(root) = &sel.operand.expr else { return Ok(None) };
        let (vocab, read): (&'static [&'static str], SymRead) = match (root.as_str(), sel.field.as_str()) {
            ("payer" | "payee", "kind") => {
                let role = if root == "payer" { Role::Payer } else { Role::Payee };
                (&KINDS, Box::new(move |f: &Facts<'_>| kind_index(f.side(role))))
            }
            ("tx", "channel") => (&CHANNELS, Box::new(|f: &Facts<'_>| f.tx.channel as u8)),
            _ => return Ok(None),
        };
        let literals: Vec<&str> = match &value.expr {
            Expr::Literal(LiteralValue::String(v)) => vec![v.as_ref()],
            Expr::List(l) if !negate && !l.elements.is_empty() => {
                let mut out = Vec::with_capacity(l.elements.len());
                for x in &l.elements {
                    let Expr::Literal(LiteralValue::String(v)) = &x.expr else { return Ok(None) };
                    out.push(v.as_ref());
                }
                out
            }
            _ => return Ok(None),
        };
        // The field as usual, for its leaf in the explanations (its code is not used).
        self.node(field)?;
        let mut mask = 0u32;
        for lit in literals {
            match vocab.iter().position(|v| *v == lit) {
                Some(i) => mask |= 1 << i,
                None => {
                    let w = self.err(
                        value,
                        format!(
                            "`{lit}` is never the value of `{}`: it is one of {}",
                            self.text(field),
                            vocab.join(", ")
                        ),
                        suggest(lit, vocab),
                    );
                    if !self.quiet {
                        self.warnings.push(w);
                    }
                }
            }
        }
        Ok(Some(Node::Bool(if mask == 0 {
            Code::Const(negate)
        } else {
            Code::Dyn(Box::new(move |f| Ok((mask >> read(f) & 1 == 1) != negate)))
        })))
    }

    fn bool_arg(&mut self, e: &IdedExpr) -> Result<Code<bool>, ExprError> {
        match self.node(e)? {
            Node::Bool(b) => Ok(b),
            other => Err(self.err(e, format!("expected a bool, found {}", other.ty()), None)),
        }
    }

    fn str_arg(&mut self, e: &IdedExpr) -> Result<SCode, ExprError> {
        match self.node(e)? {
            Node::Str(s) => Ok(s),
            other => Err(self.err(e, format!("expected a string, found {}", other.ty()), None)),
        }
    }

    fn ternary(&self, e: &IdedExpr, cond: Code<bool>, a: Node, b: Node) -> Result<Node, ExprError> {
        fn pick<T: Copy + Send + Sync + 'static>(c: Code<bool>, a: Code<T>, b: Code<T>) -> Code<T> {
            match c {
                Code::Const(true) => a,
                Code::Const(false) => b,
                Code::Dyn(g) => Code::Dyn(Box::new(move |f| if g(f)? { a.eval(f) } else { b.eval(f) })),
            }
        }
        Ok(match (a, b) {
            (Node::Bool(a), Node::Bool(b)) => Node::Bool(pick(cond, a, b)),
            (Node::Int(a), Node::Int(b)) => Node::Int(pick(cond, a, b)),
            (Node::Double(a), Node::Double(b)) => Node::Double(pick(cond, a, b)),
            (Node::Str(a), Node::Str(b)) => Node::Str(match cond {
                Code::Const(true) => a,
                Code::Const(false) => b,
                Code::Dyn(g) => SCode::Dyn(Box::new(move |f| if g(f)? { a.eval(f) } else { b.eval(f) })),
            }),
            (a, b) => {
                return Err(self.err(
                    e,
                    format!("both branches must have one type, found {} and {}", a.ty(), b.ty()),
                    None,
                ));
            }
        })
    }

    fn compare(&self, e: &IdedExpr, op: &str, a: Node, b: Node) -> Result<Node, ExprError> {
        use std::cmp::Ordering;
        let test: fn(Ordering) -> bool = match op {
            "_==_" => Ordering::is_eq,
            "_!=_" => Ordering::is_ne,
            "_<_" => Ordering::is_lt,
            "_<=_" => Ordering::is_le,
            "_>_" => Ordering::is_gt,
            _ => Ordering::is_ge,
        };
        let ordered = !matches!(op, "_==_" | "_!=_");
        Ok(Node::Bool(match (a, b) {
            (Node::Int(a), Node::Int(b)) => a.zip(b, move |x, y| Ok(test(x.cmp(&y)))),
            (Node::Bool(a), Node::Bool(b)) => a.zip(b, move |x, y| Ok(test(x.cmp(&y)))),
            // IEEE: NaN compares false with everything, and `!=` is true.
            (Node::Double(a), Node::Double(b)) => a.zip(b, move |x, y| {
                Ok(match x.partial_cmp(&y) {
                    Some(o) => test(o),
                    None => !ordered && test(Ordering::Less),
                })
            }),
            (Node::Str(a), Node::Str(b)) => a.zip_to(b, move |x, y| Ok(test(x.cmp(y)))),
            (a, b) => {
                let (ta, tb) = (a.ty(), b.ty());
                let help = matches!((&ta, &tb), (Ty::Int, Ty::Double) | (Ty::Double, Ty::Int)).then(|| {
                    "CEL does not mix int and double: write `1.0` for a double, or convert with double(x)"
                        .to_string()
                });
                return Err(self.err(e, format!("cannot compare {ta} with {tb}"), help));
            }
        }))
    }

    fn arith(&self, e: &IdedExpr, op: &str, a: Node, b: Node) -> Result<Node, ExprError> {
        Ok(match (a, b) {
            (Node::Int(a), Node::Int(b)) => {
                Node::Int(match op {
                    "_+_" => a.zip(b, |x, y| checked(x.checked_add(y))),
                    "_-_" => a.zip(b, |x, y| checked(x.checked_sub(y))),
                    "_*_" => a.zip(b, |x, y| checked(x.checked_mul(y))),
                    "_/_" => a.zip(b, |x, y| {
                        if y == 0 { Err(EvalError::DivisionByZero) } else { checked(x.checked_div(y)) }
                    }),
                    _ => a.zip(b, |x, y| {
                        if y == 0 { Err(EvalError::ModuloByZero) } else { checked(x.checked_rem(y)) }
                    }),
                })
            }
            (Node::Double(a), Node::Double(b)) => Node::Double(match op {
                "_+_" => a.zip(b, |x, y| Ok(x + y)),
                "_-_" => a.zip(b, |x, y| Ok(x - y)),
                "_*_" => a.zip(b, |x, y| Ok(x * y)),
                "_/_" => a.zip(b, |x, y| Ok(x / y)),
                _ => {
                    return Err(self.err(
                        e,
                        "CEL has no `%` on doubles",
                        Some("amounts are ints of minor units: use ints".into()),
                    ));
                }
            }),
            (Node::Str(a), Node::Str(b)) if op == "_+_" => Node::Str(match (a, b) {
                (SCode::Const(x), SCode::Const(y)) => SCode::Const(Arc::from(format!("{x}{y}"))),
                (a, b) => SCode::Dyn(Box::new(move |f| {
                    let x = a.eval(f);
                    let y = b.eval(f);
                    Ok(Str::Owned(format!("{}{}", x?, y?)))
                })),
            }),
            (a, b) => {
                let (ta, tb) = (a.ty(), b.ty());
                let sym = op.trim_matches('_');
                let help = matches!((&ta, &tb), (Ty::Int, Ty::Double) | (Ty::Double, Ty::Int)).then(|| {
                    "CEL does not mix int and double: write `1.0` for a double, or convert with double(x)"
                        .to_string()
                });
                return Err(self.err(e, format!("no `{sym}` for {ta} and {tb}"), help));
            }
        })
    }

    fn member(&self, e: &IdedExpr, a: Node, b: Node) -> Result<Node, ExprError> {
        let Node::List(elem, lits) = b else {
            return Err(self.err(
                e,
                format!("the right side of `in` must be a list literal, found {}", b.ty()),
                None,
            ));
        };
        if lits.is_empty() {
            // Nothing is in an empty list, but CEL is strict in `x`: its error stays an error.
            return Ok(Node::Bool(match a {
                Node::Int(x) => x.map(|_| Ok(false)),
                Node::Double(x) => x.map(|_| Ok(false)),
                Node::Bool(x) => x.map(|_| Ok(false)),
                Node::Str(x) => x.to(|_| Ok(false)),
                other => {
                    return Err(self.err(e, format!("cannot look for a {} in a list", other.ty()), None));
                }
            }));
        }
        Ok(Node::Bool(match (a, elem) {
            (Node::Int(x), Ty::Int) => {
                let set: Vec<i64> =
                    lits.iter().filter_map(|l| if let Lit::Int(i) = l { Some(*i) } else { None }).collect();
                x.map(move |v| Ok(set.contains(&v)))
            }
            (Node::Double(x), Ty::Double) => {
                let set: Vec<f64> = lits
                    .iter()
                    .filter_map(|l| if let Lit::Double(d) = l { Some(*d) } else { None })
                    .collect();
                x.map(move |v| Ok(set.contains(&v)))
            }
            (Node::Bool(x), Ty::Bool) => {
                let set: Vec<bool> =
                    lits.iter().filter_map(|l| if let Lit::Bool(b) = l { Some(*b) } else { None }).collect();
                x.map(move |v| Ok(set.contains(&v)))
            }
            (Node::Str(x), Ty::String) => {
                let set: Vec<Arc<str>> = lits
                    .iter()
                    .filter_map(|l| if let Lit::Str(s) = l { Some(s.clone()) } else { None })
                    .collect();
                x.to(move |v| Ok(set.iter().any(|s| &**s == v)))
            }
            (a, t) => {
                return Err(self.err(e, format!("cannot look for a {} in a list of {t}", a.ty()), None));
            }
        }))
    }

    fn convert(&self, e: &IdedExpr, to: &str, a: Node) -> Result<Node, ExprError> {
        Ok(match (to, a) {
            ("int", Node::Int(x)) => Node::Int(x),
            ("int", Node::Double(x)) => Node::Int(x.map(double_to_int)),
            ("int", Node::Str(s)) => Node::Int(s.to(|s| s.parse::<i64>().map_err(|_| EvalError::Conversion))),
            ("double", Node::Double(x)) => Node::Double(x),
            ("double", Node::Int(x)) => Node::Double(x.map(|v| Ok(v as f64))),
            ("double", Node::Str(s)) => Node::Double(s.to(parse_double)),
            ("string", Node::Str(s)) => Node::Str(s),
            ("string", Node::Int(x)) => Node::Str(match x {
                Code::Const(v) => SCode::Const(Arc::from(v.to_string())),
                Code::Dyn(g) => SCode::Dyn(Box::new(move |f| Ok(Str::Owned(g(f)?.to_string())))),
            }),
            ("string", Node::Bool(x)) => Node::Str(match x {
                Code::Const(v) => SCode::Const(Arc::from(v.to_string())),
                Code::Dyn(g) => {
                    SCode::Dyn(Box::new(move |f| Ok(Str::Borrowed(if g(f)? { "true" } else { "false" }))))
                }
            }),
            (to, a) => return Err(self.err(e, format!("no conversion {to}({})", a.ty()), None)),
        })
    }
}

/// CEL's `int(double)`: truncation toward zero, an error outside the int range.
fn double_to_int(v: f64) -> R<i64> {
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if v.is_nan() || v >= LIMIT || v <= -LIMIT {
        return Err(EvalError::Conversion);
    }
    Ok(v.trunc() as i64)
}

fn parse_double(s: &str) -> R<f64> {
    s.parse::<f64>().map_err(|_| EvalError::Conversion)
}

fn lit_ty(l: &Lit) -> Ty {
    match l {
        Lit::Bool(_) => Ty::Bool,
        Lit::Int(_) => Ty::Int,
        Lit::Double(_) => Ty::Double,
        Lit::Str(_) => Ty::String,
    }
}

/// CEL's commutative `&&` / `||`: a side that decides the result wins over an error on the
/// other side.
fn logical(and: bool, a: Code<bool>, b: Code<bool>) -> Code<bool> {
    // The value that decides: false for &&, true for ||.
    let decisive = !and;
    match (a, b) {
        (Code::Const(x), other) | (other, Code::Const(x)) => {
            if x == decisive {
                Code::Const(decisive)
            } else {
                other
            }
        }
        (Code::Dyn(g), Code::Dyn(h)) => Code::Dyn(Box::new(move |f| match g(f) {
            Ok(x) if x == decisive => Ok(decisive),
            first => match h(f) {
                Ok(y) if y == decisive => Ok(decisive),
                second => {
                    first?;
                    second
                }
            },
        })),
    }
}

/// Reads a closed-vocabulary field as its index in the vocabulary.
type SymRead = Box<dyn Fn(&Facts<'_>) -> u8 + Send + Sync>;

/// The values of a side's `kind`, in the order of [`kind_index`].
const KINDS: [&str; 4] = ["personal", "merchant", "enterprise", "external"];

/// The values of `tx.channel`, in the order of [`sluice_core::Channel`]'s variants.
const CHANNELS: [&str; 5] = ["p2p", "red_packet", "merchant", "top_up", "withdrawal"];

/// A side's `kind` as its index in [`KINDS`].
fn kind_index(s: &super::facts::Side<'_>) -> u8 {
    match s.account.map(|a| a.kind) {
        Some(sluice_core::AccountKind::Personal) => 0,
        Some(sluice_core::AccountKind::Merchant) => 1,
        Some(sluice_core::AccountKind::Enterprise) => 2,
        None => 3,
    }
}

fn show_entry(e: &sluice_core::ListEntry) -> String {
    match &e.source {
        Some(src) => format!("{:?} ({src})", e.entry.as_str()),
        None => format!("{:?}", e.entry.as_str()),
    }
}

/// The closest known name, if close enough to be a likely typo.
fn suggest(name: &str, known: &[&str]) -> Option<String> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| format!("did you mean `{k}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vocabularies name the values as the fields print them, in the order read.
    #[test]
    fn vocabularies_are_the_fields_values() {
        for c in sluice_core::Channel::ALL {
            assert_eq!(CHANNELS[c as usize], c.as_str());
        }
        for k in sluice_core::AccountKind::ALL {
            let code = match k {
                sluice_core::AccountKind::Personal => 0,
                sluice_core::AccountKind::Merchant => 1,
                sluice_core::AccountKind::Enterprise => 2,
            };
            assert_eq!(KINDS[code], k.as_str());
        }
        assert_eq!(KINDS[3], "external");
    }

    /// A value outside the vocabulary never matches, and says so.
    #[test]
    fn unknown_values_warn() {
        let lists = ListStore::empty();
        let c = compile(r#"payee.kind == "merchnat""#, &lists, &[]).unwrap();
        assert_eq!(c.constant, Some(false));
        assert!(
            c.warnings.iter().any(|w| w.help.as_deref() == Some("did you mean `merchant`?")),
            "{:?}",
            c.warnings
        );
        let c = compile(r#"tx.channel != "P2P""#, &lists, &[]).unwrap();
        assert_eq!(c.constant, Some(true));
        let c = compile(r#"payer.kind in ["merchant", "bank"]"#, &lists, &[]).unwrap();
        assert_eq!(c.constant, None);
        assert_eq!(c.warnings.len(), 1);
    }
}
