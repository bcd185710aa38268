//! `$filter` (DSP0266): comparisons `eq ne gt ge lt le` between property paths (`Status/Health`)
//! and literals (`'text'`, numbers, `true`, `false`, `null`), combined with `and`, `or`, `not` and
//! parentheses. Precedence, loosest first: `or`, `and`, `not`, comparison.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Operand, Op, Operand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Property(Vec<String>),
    Literal(Value),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError;

/// Bounds recursion on hostile input such as thousands of `(` or `not`.
const MAX_DEPTH: usize = 32;
/// The most comparisons one expression may hold. A chain of `and`/`or` parses to a tree as deep
/// as the chain, and evaluating or dropping it recurses that deep: a request line of some hundred
/// kilobytes would otherwise overflow the stack.
pub const MAX_TERMS: usize = 256;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
    Str(String),
    Number(f64),
}

fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        // OData: a quote inside a string literal is written twice.
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            s.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => s.push(c),
                        None => return Err(ParseError),
                    }
                }
                tokens.push(Token::Str(s));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
                        s.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let n: f64 = s.parse().map_err(|_| ParseError)?;
                if !n.is_finite() {
                    return Err(ParseError);
                }
                tokens.push(Token::Number(n));
            }
            c if is_word_char(c) => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if is_word_char(c) || c == '/' {
                        s.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Word(s));
            }
            _ => return Err(ParseError),
        }
    }
    Ok(tokens)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '.' | '#')
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// Comparisons read so far (see [`MAX_TERMS`]).
    terms: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<&str> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut left = self.and(depth)?;
        while self.peek_word() == Some("or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and(depth)?));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut left = self.unary(depth)?;
        while self.peek_word() == Some("and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary(depth)?));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        if depth > MAX_DEPTH {
            return Err(ParseError);
        }
        if self.peek_word() == Some("not") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.tokens.get(self.at) == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or(depth + 1)?;
            return match self.next() {
                Some(Token::Close) => Ok(inner),
                _ => Err(ParseError),
            };
        }
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(ParseError);
        }
        let left = self.operand()?;
        let op = match self.next() {
            Some(Token::Word(w)) => match w.as_str() {
                "eq" => Op::Eq,
                "ne" => Op::Ne,
                "gt" => Op::Gt,
                "ge" => Op::Ge,
                "lt" => Op::Lt,
                "le" => Op::Le,
                _ => return Err(ParseError),
            },
            _ => return Err(ParseError),
        };
        let right = self.operand()?;
        Ok(Expr::Compare(left, op, right))
    }

    fn operand(&mut self) -> Result<Operand, ParseError> {
        Ok(match self.next() {
            Some(Token::Str(s)) => Operand::Literal(Value::String(s)),
            Some(Token::Number(n)) => Operand::Literal(number(n)),
            Some(Token::Word(w)) => match w.as_str() {
                "true" => Operand::Literal(Value::Bool(true)),
                "false" => Operand::Literal(Value::Bool(false)),
                "null" => Operand::Literal(Value::Null),
                "eq" | "ne" | "gt" | "ge" | "lt" | "le" | "and" | "or" | "not" => {
                    return Err(ParseError);
                }
                path => {
                    let segments: Vec<String> = path.split('/').map(str::to_owned).collect();
                    if segments.iter().any(String::is_empty) {
                        return Err(ParseError);
                    }
                    Operand::Property(segments)
                }
            },
            _ => return Err(ParseError),
        })
    }
}

fn number(n: f64) -> Value {
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut parser = Parser {
        tokens: tokenize(text)?,
        at: 0,
        terms: 0,
    };
    let expr = parser.or(0)?;
    if parser.at != parser.tokens.len() {
        return Err(ParseError);
    }
    Ok(expr)
}

/// Whether a member body satisfies the expression. A missing property compares as `null`; values
/// of different types are never ordered.
pub fn matches(expr: &Expr, body: &Value) -> bool {
    match expr {
        Expr::Or(a, b) => matches(a, body) || matches(b, body),
        Expr::And(a, b) => matches(a, body) && matches(b, body),
        Expr::Not(a) => !matches(a, body),
        Expr::Compare(l, op, r) => compare(&resolve(l, body), *op, &resolve(r, body)),
    }
}

fn resolve(operand: &Operand, body: &Value) -> Value {
    match operand {
        Operand::Literal(v) => v.clone(),
        Operand::Property(path) => path
            .iter()
            .try_fold(body, |v, seg| v.get(seg))
            .cloned()
            .unwrap_or(Value::Null),
    }
}

fn compare(l: &Value, op: Op, r: &Value) -> bool {
    use std::cmp::Ordering;
    let order = match (l, r) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ => None,
    };
    match op {
        Op::Eq => order == Some(Ordering::Equal) || (order.is_none() && l == r),
        Op::Ne => !(order == Some(Ordering::Equal) || (order.is_none() && l == r)),
        Op::Gt => order == Some(Ordering::Greater),
        Op::Ge => matches!(order, Some(Ordering::Greater | Ordering::Equal)),
        Op::Lt => order == Some(Ordering::Less),
        Op::Le => matches!(order, Some(Ordering::Less | Ordering::Equal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body() -> Value {
        json!({
            "Id": "Admin",
            "PowerState": "On",
            "Status": {"Health": "OK", "State": "Enabled"},
            "MemorySummary": {"TotalSystemMemoryGiB": 64},
            "IsPredefined": true,
            "Empty": null,
            "Name": "O'Brien",
        })
    }

    #[test]
    fn evaluates_expressions() {
        let rows = [
            ("Id eq 'Admin'", true),
            ("Id eq 'admin'", false),
            ("Id ne 'Operator'", true),
            ("not (Id eq 'Admin')", false),
            ("not Id eq 'Admin'", false),
            ("Id eq 'Admin' or Id eq 'ReadOnly'", true),
            ("Id eq 'ReadOnly' or Id eq 'Operator'", false),
            ("PowerState eq 'On' and Status/Health eq 'OK'", true),
            (
                "PowerState eq 'On' and (Status/Health eq 'Warning' or IsPredefined eq true)",
                true,
            ),
            ("MemorySummary/TotalSystemMemoryGiB ge 64", true),
            ("MemorySummary/TotalSystemMemoryGiB gt 64", false),
            ("MemorySummary/TotalSystemMemoryGiB lt 128.5", true),
            ("MemorySummary/TotalSystemMemoryGiB le 63", false),
            ("MemorySummary/TotalSystemMemoryGiB eq 64.0", true),
            ("Missing eq null", true),
            ("Empty eq null", true),
            ("Id eq null", false),
            ("Id gt 3", false),
            ("Id gt 'Aaa'", true),
            ("IsPredefined eq false", false),
            ("Name eq 'O''Brien'", true),
            ("'Admin' eq Id", true),
            ("Id eq 'Admin' and Id eq 'x' or Id eq 'Admin'", true),
        ];
        for (text, want) in rows {
            let expr = parse(text).unwrap_or_else(|_| panic!("parse {text}"));
            assert_eq!(matches(&expr, &body()), want, "{text}");
        }
    }

    #[test]
    fn refuses_malformed_expressions() {
        for text in [
            "",
            "Id",
            "Id eq",
            "eq 'x'",
            "Id like 'x'",
            "Id eq 'x",
            "(Id eq 'x'",
            "Id eq 'x')",
            "Id eq 'x' and",
            "Id eq 'x' Id eq 'y'",
            "Status//Health eq 'OK'",
            "Id eq 1e999",
            "Id eq $x",
            "not",
        ] {
            assert_eq!(parse(text), Err(ParseError), "{text}");
        }
        let deep = format!("{}Id eq 'x'{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(parse(&deep), Err(ParseError));
        let nots = format!("{}Id eq 'x'", "not ".repeat(100));
        assert_eq!(parse(&nots), Err(ParseError));
    }
}
