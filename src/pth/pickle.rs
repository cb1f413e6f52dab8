//! The subset of Python's pickle machine that `torch.save` state dicts use (protocol 2-5), with
//! no code execution: globals are names, and only the constructors a checkpoint needs
//! (`OrderedDict`, `_rebuild_tensor_v2`, `_rebuild_parameter`) are understood; anything else
//! stays an inert `Call` value.

use crate::weights::WeightsError;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Global { module: String, name: String },
    /// `callable(*args)` left uninterpreted (with any state BUILD gave it).
    Call { callable: Box<Value>, args: Vec<Value>, state: Option<Box<Value>> },
    /// A persistent id: in a torch checkpoint, a storage reference.
    Persistent(Box<Value>),
    Tensor(TensorRef),
}

/// A tensor's view of a storage: what `_rebuild_tensor_v2` would build.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorRef {
    /// The storage's key (its file `data/<key>` in the archive) and element type
    /// (`FloatStorage`, `HalfStorage`, ...).
    pub storage: String,
    pub storage_type: String,
    pub offset: usize,
    pub size: Vec<usize>,
    pub stride: Vec<usize>,
}

fn err(m: String) -> WeightsError {
    WeightsError::Format(format!("torch checkpoint pickle: {m}"))
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WeightsError> {
        let s = self.b.get(self.at..self.at + n).ok_or_else(|| err(format!("truncated at byte {}", self.at)))?;
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, WeightsError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, WeightsError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> Result<u32, WeightsError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn line(&mut self) -> Result<String, WeightsError> {
        let rest = &self.b[self.at..];
        let n = rest.iter().position(|&c| c == b'\n').ok_or_else(|| err("unterminated line".into()))?;
        self.at += n + 1;
        Ok(String::from_utf8_lossy(&rest[..n]).into_owned())
    }
    fn string(&mut self, n: usize) -> Result<String, WeightsError> {
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
}

/// Runs the pickle program in `bytes` and returns the object it builds.
pub fn load(bytes: &[u8]) -> Result<Value, WeightsError> {
    let mut r = Reader { b: bytes, at: 0 };
    let mut stack: Vec<Value> = Vec::new();
    let mut marks: Vec<usize> = Vec::new();
    let mut memo: std::collections::HashMap<u32, Value> = std::collections::HashMap::new();
    let pop = |stack: &mut Vec<Value>| stack.pop().ok_or_else(|| err("stack underflow".into()));
    let pop_mark = |stack: &mut Vec<Value>, marks: &mut Vec<usize>| -> Result<Vec<Value>, WeightsError> {
        let m = marks.pop().ok_or_else(|| err("no mark".into()))?;
        if m > stack.len() {
            return Err(err("mark past the stack".into()));
        }
        Ok(stack.split_off(m))
    };
    loop {
        let op = r.u8()?;
        match op {
            0x80 => {
                r.u8()?; // PROTO
            }
            0x95 => {
                r.take(8)?; // FRAME
            }
            b'.' => return pop(&mut stack), // STOP
            b'(' => marks.push(stack.len()),
            b'}' => stack.push(Value::Dict(Vec::new())),
            b']' => stack.push(Value::List(Vec::new())),
            b')' => stack.push(Value::Tuple(Vec::new())),
            b'N' => stack.push(Value::None),
            0x88 => stack.push(Value::Bool(true)),
            0x89 => stack.push(Value::Bool(false)),
            b'J' => stack.push(Value::Int(r.u32()? as i32 as i64)),
            b'K' => stack.push(Value::Int(r.u8()? as i64)),
            b'M' => stack.push(Value::Int(r.u16()? as i64)),
            0x8a => {
                // LONG1: little-endian two's complement of n bytes
                let n = r.u8()? as usize;
                let b = r.take(n)?;
                if n > 8 {
                    return Err(err(format!("integer of {n} bytes")));
                }
                let mut v: i64 = 0;
                for (i, &x) in b.iter().enumerate() {
                    v |= (x as i64) << (8 * i);
                }
                if n > 0 && n < 8 && b[n - 1] & 0x80 != 0 {
                    v -= 1i64 << (8 * n);
                }
                stack.push(Value::Int(v));
            }
            b'G' => stack.push(Value::Float(f64::from_be_bytes(r.take(8)?.try_into().unwrap()))),
            b'X' => {
                let n = r.u32()? as usize;
                stack.push(Value::Str(r.string(n)?));
            }
            0x8c => {
                let n = r.u8()? as usize;
                stack.push(Value::Str(r.string(n)?));
            }
            b'B' => {
                let n = r.u32()? as usize;
                stack.push(Value::Bytes(r.take(n)?.to_vec()));
            }
            b'C' => {
                let n = r.u8()? as usize;
                stack.push(Value::Bytes(r.take(n)?.to_vec()));
            }
            b'c' => {
                let module = r.line()?;
                let name = r.line()?;
                stack.push(Value::Global { module, name });
            }
            0x93 => {
                // STACK_GLOBAL
                let name = pop(&mut stack)?;
                let module = pop(&mut stack)?;
                match (module, name) {
                    (Value::Str(module), Value::Str(name)) => stack.push(Value::Global { module, name }),
                    _ => return Err(err("STACK_GLOBAL of non-strings".into())),
                }
            }
            b'q' => {
                let i = r.u8()? as u32;
                memo.insert(i, stack.last().cloned().ok_or_else(|| err("BINPUT on empty stack".into()))?);
            }
            b'r' => {
                let i = r.u32()?;
                memo.insert(i, stack.last().cloned().ok_or_else(|| err("LONG_BINPUT on empty stack".into()))?);
            }
            0x94 => {
                let i = memo.len() as u32;
                memo.insert(i, stack.last().cloned().ok_or_else(|| err("MEMOIZE on empty stack".into()))?);
            }
            b'h' => {
                let i = r.u8()? as u32;
                stack.push(memo.get(&i).cloned().ok_or_else(|| err(format!("memo {i} unset")))?);
            }
            b'j' => {
                let i = r.u32()?;
                stack.push(memo.get(&i).cloned().ok_or_else(|| err(format!("memo {i} unset")))?);
            }
            b't' => {
                let items = pop_mark(&mut stack, &mut marks)?;
                stack.push(Value::Tuple(items));
            }
            0x85 => {
                let a = pop(&mut stack)?;
                stack.push(Value::Tuple(vec![a]));
            }
            0x86 => {
                let b = pop(&mut stack)?;
                let a = pop(&mut stack)?;
                stack.push(Value::Tuple(vec![a, b]));
            }
            0x87 => {
                let c = pop(&mut stack)?;
                let b = pop(&mut stack)?;
                let a = pop(&mut stack)?;
                stack.push(Value::Tuple(vec![a, b, c]));
            }
            b'l' => {
                let items = pop_mark(&mut stack, &mut marks)?;
                stack.push(Value::List(items));
            }
            b'd' => {
                let items = pop_mark(&mut stack, &mut marks)?;
                stack.push(Value::Dict(pairs(items)?));
            }
            b'a' => {
                let v = pop(&mut stack)?;
                match stack.last_mut() {
                    Some(Value::List(l)) => l.push(v),
                    _ => return Err(err("APPEND to a non-list".into())),
                }
            }
            b'e' => {
                let items = pop_mark(&mut stack, &mut marks)?;
                match stack.last_mut() {
                    Some(Value::List(l)) => l.extend(items),
                    _ => return Err(err("APPENDS to a non-list".into())),
                }
            }
            b's' => {
                let v = pop(&mut stack)?;
                let k = pop(&mut stack)?;
                set_items(stack.last_mut(), vec![(k, v)])?;
            }
            b'u' => {
                let items = pop_mark(&mut stack, &mut marks)?;
                set_items(stack.last_mut(), pairs(items)?)?;
            }
            b'Q' => {
                let id = pop(&mut stack)?;
                stack.push(Value::Persistent(Box::new(id)));
            }
            b'R' => {
                let args = pop(&mut stack)?;
                let callable = pop(&mut stack)?;
                let args = match args {
                    Value::Tuple(a) => a,
                    other => vec![other],
                };
                stack.push(reduce(callable, args)?);
            }
            0x81 => {
                // NEWOBJ: cls.__new__(cls, *args)
                let args = pop(&mut stack)?;
                let cls = pop(&mut stack)?;
                let args = match args {
                    Value::Tuple(a) => a,
                    other => vec![other],
                };
                stack.push(reduce(cls, args)?);
            }
            b'b' => {
                // BUILD: an OrderedDict's state is its metadata attribute; objects keep theirs.
                let state = pop(&mut stack)?;
                match stack.last_mut() {
                    Some(Value::Call { state: s, .. }) => *s = Some(Box::new(state)),
                    Some(_) => {}
                    None => return Err(err("BUILD on empty stack".into())),
                }
            }
            0x8f => stack.push(Value::List(Vec::new())), // EMPTY_SET (kept as a list)
            0x90 => {
                let items = pop_mark(&mut stack, &mut marks)?;
                if let Some(Value::List(l)) = stack.last_mut() {
                    l.extend(items);
                }
            }
            b'0' => {
                pop(&mut stack)?;
            }
            _ => return Err(err(format!("unsupported opcode 0x{op:02x} at byte {}", r.at - 1))),
        }
    }
}

fn pairs(items: Vec<Value>) -> Result<Vec<(Value, Value)>, WeightsError> {
    if items.len() % 2 != 0 {
        return Err(err("odd number of dict items".into()));
    }
    let mut it = items.into_iter();
    let mut out = Vec::new();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    Ok(out)
}

fn set_items(target: Option<&mut Value>, items: Vec<(Value, Value)>) -> Result<(), WeightsError> {
    match target {
        Some(Value::Dict(d)) => {
            d.extend(items);
            Ok(())
        }
        // Items set on another object (a dict subclass we do not model): ignored.
        Some(Value::Call { .. }) => Ok(()),
        _ => Err(err("SETITEM on a non-dict".into())),
    }
}

fn as_usizes(v: &Value, what: &str) -> Result<Vec<usize>, WeightsError> {
    match v {
        Value::Tuple(items) | Value::List(items) => items
            .iter()
            .map(|x| match x {
                Value::Int(i) if *i >= 0 => Ok(*i as usize),
                _ => Err(err(format!("{what} holds {x:?}"))),
            })
            .collect(),
        _ => Err(err(format!("{what} is {v:?}"))),
    }
}

// The few constructors a state dict is made of; everything else stays a `Call`.
fn reduce(callable: Value, args: Vec<Value>) -> Result<Value, WeightsError> {
    let (module, name) = match &callable {
        Value::Global { module, name } => (module.as_str(), name.as_str()),
        _ => return Ok(Value::Call { callable: Box::new(callable), args, state: None }),
    };
    match (module, name) {
        ("collections", "OrderedDict") => Ok(Value::Dict(Vec::new())),
        ("torch._utils", "_rebuild_tensor_v2") | ("torch._utils", "_rebuild_tensor") => {
            if args.len() < 4 {
                return Err(err(format!("{name} with {} arguments", args.len())));
            }
            let (storage, storage_type) = match &args[0] {
                Value::Persistent(id) => match id.as_ref() {
                    Value::Tuple(t) if t.len() >= 3 => match (&t[1], &t[2]) {
                        (Value::Global { name, .. }, Value::Str(key)) => (key.clone(), name.clone()),
                        _ => return Err(err(format!("storage id {t:?}"))),
                    },
                    other => return Err(err(format!("storage id {other:?}"))),
                },
                other => return Err(err(format!("tensor storage {other:?}"))),
            };
            let offset = match args[1] {
                Value::Int(o) if o >= 0 => o as usize,
                _ => return Err(err("tensor storage offset".into())),
            };
            Ok(Value::Tensor(TensorRef {
                storage,
                storage_type,
                offset,
                size: as_usizes(&args[2], "tensor size")?,
                stride: as_usizes(&args[3], "tensor stride")?,
            }))
        }
        ("torch._utils", "_rebuild_parameter") | ("torch._utils", "_rebuild_parameter_with_state") => {
            args.into_iter().next().ok_or_else(|| err("empty _rebuild_parameter".into()))
        }
        _ => Ok(Value::Call { callable: Box::new(callable), args, state: None }),
    }
}
