//! Bounds on one message's rendering: a template cannot make a preview or a
//! send take minutes or gigabytes.
//!
//! tera 2 has no instruction budget, so relance bounds what makes time and
//! memory: the numbers `range` hands out (per call and per message), the
//! bytes each part writes, and the time a message may take (checked at
//! every write and every `range`, `money` and `date` call). Past a bound
//! the message fails with a [`RenderError`](crate::RenderError) that says
//! which bound; the run goes on with the next message.

use std::cell::Cell;
use std::io::Write;
use std::time::{Duration, Instant};

/// Most numbers one `range(...)` call may produce.
pub const MAX_RANGE: usize = 10_000;

/// Most numbers all `range(...)` calls of one message may produce together:
/// two nested `range` loops of 10,000 are refused, not run.
pub const MAX_RANGE_TOTAL: usize = 100_000;

/// Most bytes one part of a message (subject, reply-to, text, HTML) may
/// render to. A statement of 5,000 items is about 2 MiB of HTML.
pub const MAX_OUTPUT: usize = 8 * 1024 * 1024;

/// Longest one message may take to render.
pub const MAX_TIME: Duration = Duration::from_secs(10);

/// What the message being rendered on this thread may still spend.
#[derive(Clone, Copy)]
struct Budget {
    /// Numbers `range` may still produce.
    range_left: usize,
    /// When rendering must have stopped.
    deadline: Instant,
}

thread_local! {
    /// Set when a bound of this module refused something during the
    /// current message: its error is then a `RenderError::Bounded`.
    static TRIPPED: Cell<bool> = const { Cell::new(false) };
    /// The budget of the message rendering on this thread; `None` outside
    /// [`Templates::render`](crate::Templates::render) (a check, a test).
    static BUDGET: Cell<Option<Budget>> = const { Cell::new(None) };
}

/// Sets this thread's budget for one message; the budget ends when the
/// guard is dropped (rendering is synchronous, on one thread).
pub(crate) struct MessageBudget {
    /// The budget this guard replaced (a message rendered inside another).
    before: Option<Budget>,
}

impl MessageBudget {
    /// A fresh budget: [`MAX_RANGE_TOTAL`] numbers, [`MAX_TIME`].
    pub(crate) fn start() -> Self {
        TRIPPED.with(|t| t.set(false));
        let before = BUDGET.with(|b| {
            b.replace(Some(Budget {
                range_left: MAX_RANGE_TOTAL,
                deadline: Instant::now() + MAX_TIME,
            }))
        });
        MessageBudget { before }
    }
}

impl Drop for MessageBudget {
    fn drop(&mut self) {
        BUDGET.with(|b| b.set(self.before));
    }
}

/// The message for a message over its time.
fn too_slow() -> String {
    format!(
        "rendering took longer than {} s (a loop over too much?)",
        MAX_TIME.as_secs()
    )
}

/// Whether a bound refused something since the message started.
pub(crate) fn tripped() -> bool {
    TRIPPED.with(Cell::get)
}

/// A refusal by a bound, remembered for [`tripped`].
fn refuse(message: String) -> tera::TeraResult<()> {
    TRIPPED.with(|t| t.set(true));
    Err(tera::Error::message(message))
}

/// Fails once the message has run over [`MAX_TIME`].
pub(crate) fn check_time() -> tera::TeraResult<()> {
    match BUDGET.with(Cell::get) {
        Some(b) if Instant::now() > b.deadline => refuse(too_slow()),
        _ => Ok(()),
    }
}

/// Takes `n` numbers from the message's `range` budget.
fn take_range(n: usize) -> tera::TeraResult<()> {
    BUDGET.with(|cell| match cell.get() {
        None => Ok(()),
        Some(b) if Instant::now() > b.deadline => refuse(too_slow()),
        Some(b) if n > b.range_left => refuse(format!(
            "range: this message's range() calls would produce more than {MAX_RANGE_TOTAL} numbers in all (nested loops over range?)"
        )),
        Some(b) => {
            cell.set(Some(Budget {
                range_left: b.range_left - n,
                ..b
            }));
            Ok(())
        }
    })
}

/// `range(end=N)`, `range(start=A, end=B, step_by=S)` as tera's, with at
/// most [`MAX_RANGE`] numbers a call and [`MAX_RANGE_TOTAL`] a message.
pub(crate) fn range(kwargs: tera::Kwargs, _: &tera::State) -> tera::TeraResult<Vec<i64>> {
    let start = kwargs.get::<i64>("start")?.unwrap_or_default();
    let end = kwargs.must_get::<i64>("end")?;
    let step = kwargs.get::<i64>("step_by")?.unwrap_or(1);
    if step == 0 {
        return Err(tera::Error::message("range: step_by cannot be 0"));
    }
    let (start, end, step) = (i128::from(start), i128::from(end), i128::from(step));
    let len = if step > 0 && end > start {
        (end - start + step - 1) / step
    } else if step < 0 && start > end {
        (start - end - step - 1) / -step
    } else {
        0
    };
    if len > MAX_RANGE as i128 {
        refuse(format!(
            "range: {len} numbers asked, at most {MAX_RANGE} a call"
        ))?;
    }
    // `len` is at most MAX_RANGE here.
    let len = usize::try_from(len).unwrap_or(MAX_RANGE);
    take_range(len)?;
    let mut out = Vec::with_capacity(len);
    let mut at = start;
    for _ in 0..len {
        // Every value lies between start and end, both i64.
        out.push(i64::try_from(at).unwrap_or_default());
        at += step;
    }
    Ok(out)
}

/// Why a [`Bounded`] writer refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Over {
    /// Past [`MAX_OUTPUT`] bytes.
    Size,
    /// Past [`MAX_TIME`].
    Time,
}

impl Over {
    /// The message a user reads.
    pub(crate) fn message(self) -> String {
        match self {
            Over::Size => format!(
                "the rendered text passed {} MiB: a loop writes too much",
                MAX_OUTPUT / (1024 * 1024)
            ),
            Over::Time => too_slow(),
        }
    }
}

/// A buffer that refuses to grow past [`MAX_OUTPUT`] and to be written
/// after the message's deadline; tera's `render_to` stops at the refusal.
pub(crate) struct Bounded {
    /// What was rendered so far.
    pub(crate) bytes: Vec<u8>,
    /// The bound it refused on, if it did: tera keeps only the error kind.
    pub(crate) over: Option<Over>,
    /// Most bytes it takes (a field so that tests can lower it).
    limit: usize,
    /// Writes since the clock was last read.
    unclocked: u32,
}

/// Writes between two readings of the clock: tera writes a message in
/// many small pieces, and reading the clock at each was 2% of rendering.
const WRITES_PER_CLOCK: u32 = 64;

impl Bounded {
    /// An empty buffer bounded by [`MAX_OUTPUT`].
    pub(crate) fn new() -> Self {
        Self::with_limit(MAX_OUTPUT)
    }

    /// An empty buffer bounded by `limit` bytes.
    pub(crate) fn with_limit(limit: usize) -> Self {
        Bounded {
            bytes: Vec::new(),
            over: None,
            limit,
            unclocked: 0,
        }
    }
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            self.over = Some(Over::Size);
            return Err(std::io::Error::other("output too large"));
        }
        self.unclocked += 1;
        if self.unclocked >= WRITES_PER_CLOCK {
            self.unclocked = 0;
            if check_time().is_err() {
                self.over = Some(Over::Time);
                return Err(std::io::Error::other("too slow"));
            }
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_refuses_past_its_limit() {
        let mut b = Bounded::with_limit(4);
        assert!(b.write_all(b"abcd").is_ok());
        assert!(b.write_all(b"e").is_err());
        assert_eq!(b.over, Some(Over::Size));
        assert_eq!(b.bytes, b"abcd");
    }

    #[test]
    fn the_range_budget_is_per_message() {
        let _m = MessageBudget::start();
        assert!(take_range(MAX_RANGE_TOTAL - 1).is_ok());
        assert!(take_range(2).is_err());
        drop(_m);
        let _m = MessageBudget::start();
        assert!(take_range(MAX_RANGE_TOTAL).is_ok());
    }
}
