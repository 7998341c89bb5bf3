//! Resolving literal values and same-file consts.

use std::collections::HashMap;

use syn::{BinOp, Expr, Lit, UnOp};

use crate::policy::Dur;

/// A value the scanner could compute.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i128),
    Float(f64),
    Dur(Dur),
    Bool(bool),
    None,
    Some(Box<Value>),
    /// A path such as `Jitter::Full`: its last segment.
    Path(String),
}

impl Value {
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Int(i) => u64::try_from(*i).ok(),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
    pub fn as_dur(&self) -> Option<Dur> {
        match self {
            Value::Dur(d) => Some(*d),
            _ => None,
        }
    }
    /// `Some(d)` → `Some(Some(d))`, `None` → `Some(None)`.
    pub fn as_opt_dur(&self) -> Option<Option<Dur>> {
        match self {
            Value::None => Some(None),
            Value::Some(v) => v.as_dur().map(Some),
            _ => None,
        }
    }
}

const MAX_DEPTH: usize = 16;

/// Same-file consts and statics by name.
#[derive(Default)]
pub struct Consts<'a> {
    pub map: HashMap<String, &'a Expr>,
}

impl Consts<'_> {
    pub fn eval(&self, e: &Expr) -> Option<Value> {
        self.eval_depth(e, 0)
    }

    fn eval_depth(&self, e: &Expr, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let d = depth + 1;
        match e {
            Expr::Lit(l) => match &l.lit {
                Lit::Int(i) => i.base10_parse::<i128>().ok().map(Value::Int),
                Lit::Float(f) => f.base10_parse::<f64>().ok().map(Value::Float),
                Lit::Bool(b) => Some(Value::Bool(b.value)),
                _ => None,
            },
            Expr::Paren(p) => self.eval_depth(&p.expr, d),
            Expr::Group(g) => self.eval_depth(&g.expr, d),
            Expr::Reference(r) => self.eval_depth(&r.expr, d),
            Expr::Cast(c) => {
                let float = matches!(type_name(&c.ty).as_str(), "f32" | "f64");
                match self.eval_depth(&c.expr, d)? {
                    Value::Int(i) if float => Some(Value::Float(i as f64)),
                    Value::Int(i) => Some(Value::Int(i)),
                    Value::Float(f) if float => Some(Value::Float(f)),
                    Value::Float(f) => Some(Value::Int(f.trunc() as i128)),
                    _ => None,
                }
            }
            Expr::Unary(u) => match (&u.op, self.eval_depth(&u.expr, d)?) {
                (UnOp::Neg(_), Value::Int(i)) => Some(Value::Int(i.checked_neg()?)),
                (UnOp::Neg(_), Value::Float(f)) => Some(Value::Float(-f)),
                _ => None,
            },
            Expr::Binary(b) => {
                let l = self.eval_depth(&b.left, d)?;
                let r = self.eval_depth(&b.right, d)?;
                binary(&b.op, l, r)
            }
            Expr::Path(p) => self.path(p, d),
            Expr::Call(c) => self.call(c, d),
            Expr::MethodCall(m) => {
                // `d.mul_f64(..)`, `x.min(y)`, `x.max(y)`
                let recv = self.eval_depth(&m.receiver, d)?;
                let arg = m.args.first().and_then(|a| self.eval_depth(a, d));
                match (m.method.to_string().as_str(), recv, arg) {
                    ("min", Value::Int(a), Some(Value::Int(b))) => Some(Value::Int(a.min(b))),
                    ("max", Value::Int(a), Some(Value::Int(b))) => Some(Value::Int(a.max(b))),
                    ("min", Value::Dur(a), Some(Value::Dur(b))) => Some(Value::Dur(a.min(b))),
                    ("max", Value::Dur(a), Some(Value::Dur(b))) => Some(Value::Dur(a.max(b))),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A const of the file, `None`, `Duration::ZERO`, `u32::MAX`, an enum
    /// variant.
    fn path(&self, p: &syn::ExprPath, d: usize) -> Option<Value> {
        let segs: Vec<String> = p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let last = segs.last()?.clone();
        if segs.len() == 1 {
            if last == "None" {
                return Some(Value::None);
            }
            if let Some(c) = self.map.get(&last) {
                return self.eval_depth(c, d);
            }
            return None;
        }
        let ty = &segs[segs.len() - 2];
        match (ty.as_str(), last.as_str()) {
            ("Duration", "ZERO") => Some(Value::Dur(Dur(0))),
            ("Duration", "SECOND") => Some(Value::Dur(Dur::secs(1))),
            ("Duration", "MILLISECOND") => Some(Value::Dur(Dur::ms(1))),
            ("Self", c) => self.map.get(c).and_then(|e| self.eval_depth(e, d)),
            ("u32", "MAX") => Some(Value::Int(u32::MAX as i128)),
            ("usize", "MAX") | ("u64", "MAX") => Some(Value::Int(u64::MAX as i128)),
            _ => {
                // A const in a module or impl of this file, or an enum variant.
                if let Some(c) = self.map.get(&last) {
                    return self.eval_depth(c, d);
                }
                Some(Value::Path(last))
            }
        }
    }

    /// `Some(x)` and the `Duration` constructors.
    fn call(&self, c: &syn::ExprCall, d: usize) -> Option<Value> {
        let Expr::Path(f) = &*c.func else { return None };
        let segs: Vec<String> = f
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let last = segs.last()?.as_str();
        let args: Vec<&Expr> = c.args.iter().collect();
        if last == "Some" && args.len() == 1 {
            return Some(Value::Some(Box::new(self.eval_depth(args[0], d)?)));
        }
        let is_duration = segs.len() >= 2 && segs[segs.len() - 2] == "Duration";
        if !is_duration {
            return None;
        }
        let arg = |i: usize| args.get(i).and_then(|a| self.eval_depth(a, d));
        match last {
            "from_secs" | "from_secs_f64" | "from_secs_f32" => nanos(arg(0)?, 1_000_000_000),
            "from_millis" => nanos(arg(0)?, 1_000_000),
            "from_micros" => nanos(arg(0)?, 1_000),
            "from_nanos" => nanos(arg(0)?, 1),
            "from_mins" => nanos(arg(0)?, 60_000_000_000),
            "from_hours" => nanos(arg(0)?, 3_600_000_000_000),
            "new" => {
                let Value::Dur(s) = nanos(arg(0)?, 1_000_000_000)? else {
                    return None;
                };
                let n = u128::from(arg(1)?.as_u64()?);
                Some(Value::Dur(Dur(s.0.checked_add(n)?)))
            }
            _ => None,
        }
    }
}

/// `v` units of `mul` nanoseconds, overflow- and sign-checked.
fn nanos(v: Value, mul: u128) -> Option<Value> {
    match v {
        Value::Int(i) => {
            let i = u128::try_from(i).ok()?;
            Some(Value::Dur(Dur(i.checked_mul(mul)?)))
        }
        Value::Float(f) if f >= 0.0 && f.is_finite() && f < 1e20 => {
            Some(Value::Dur(Dur((f * mul as f64).round() as u128)))
        }
        _ => None,
    }
}

fn binary(op: &BinOp, l: Value, r: Value) -> Option<Value> {
    use Value::{Float, Int};
    let v = match (op, l, r) {
        (BinOp::Add(_), Int(a), Int(b)) => Int(a.checked_add(b)?),
        (BinOp::Sub(_), Int(a), Int(b)) => Int(a.checked_sub(b)?),
        (BinOp::Mul(_), Int(a), Int(b)) => Int(a.checked_mul(b)?),
        (BinOp::Div(_), Int(a), Int(b)) => Int(a.checked_div(b)?),
        (BinOp::Add(_), Float(a), Float(b)) => Float(a + b),
        (BinOp::Mul(_), Float(a), Float(b)) => Float(a * b),
        (BinOp::Add(_), Value::Dur(a), Value::Dur(b)) => Value::Dur(Dur(a.0.checked_add(b.0)?)),
        (BinOp::Mul(_), Value::Dur(a), Int(b)) | (BinOp::Mul(_), Int(b), Value::Dur(a)) => {
            Value::Dur(Dur(a.0.checked_mul(u128::try_from(b).ok()?)?))
        }
        _ => return None,
    };
    Some(v)
}

fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}
