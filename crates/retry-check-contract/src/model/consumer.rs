//! `[consumer.NAME]`: a consumer of an at-least-once stream, or a task
//! worker (a consumer of a task queue), and the dedup scheme that makes its
//! handling idempotent (docs/consumers.md).

use retry_check_diagnostics::Span;

use super::{AllowEntry, Durability, SideEffects, Sp, StoreKind};
use crate::Duration;

string_enum!(
    /// The system a consumer reads from: the part of `source` before `:`.
    SourceKind { Kafka = "kafka", Kinesis = "kinesis", Sqs = "sqs", Nats = "nats", Pubsub = "pubsub", Rabbitmq = "rabbitmq", Queue = "queue" }
);
string_enum!(
    /// What the consumer promises about each event: handled at least once
    /// (never lost, maybe seen again) or at most once (never twice, maybe lost).
    Delivery { AtLeastOnce = "at-least-once", AtMostOnce = "at-most-once" }
);
string_enum!(
    /// The order in which events (and their redeliveries) arrive.
    Ordering { PerPartition = "per-partition", None = "none" }
);
string_enum!(
    /// What identifies an event in the seen-set.
    DedupKey { EventId = "event_id", Offset = "offset", TaskId = "task_id" }
);
string_enum!(
    /// Components of the seen-set's key besides the event's own id.
    DedupScope { Partition = "partition", Topic = "topic", Group = "group", Tenant = "tenant", User = "user" }
);
string_enum!(
    /// When the consumer commits its position (offset, ack, delete).
    CommitOrder { AfterEffect = "after_effect", BeforeEffect = "before_effect" }
);

/// Where a default value of a source comes from: a sentence for notes.
pub type Origin = &'static str;

impl SourceKind {
    /// Events carry an offset (Kafka offsets, Kinesis sequence numbers,
    /// JetStream stream sequences) that a consumer can dedup by.
    pub fn has_offsets(self) -> bool {
        matches!(
            self,
            SourceKind::Kafka | SourceKind::Kinesis | SourceKind::Nats
        )
    }

    /// The source is split into partitions (shards) with offsets of their own.
    pub fn partitioned(self) -> bool {
        matches!(self, SourceKind::Kafka | SourceKind::Kinesis)
    }

    /// The order events arrive in when the contract does not say, with why.
    /// `name` is the part of `source` after `:` (an SQS queue whose name
    /// ends in `.fifo` is a FIFO queue, ordered per message group).
    pub fn default_ordering(self, name: &str) -> (Ordering, Origin) {
        match self {
            SourceKind::Kafka => (
                Ordering::PerPartition,
                "Kafka orders records within a partition",
            ),
            SourceKind::Kinesis => (
                Ordering::PerPartition,
                "Kinesis orders records within a shard",
            ),
            SourceKind::Sqs if name.ends_with(".fifo") => (
                Ordering::PerPartition,
                "an SQS FIFO queue orders messages within a message group",
            ),
            SourceKind::Sqs => (
                Ordering::None,
                "a standard SQS queue delivers in no particular order",
            ),
            SourceKind::Nats => (
                Ordering::None,
                "JetStream redelivers an unacknowledged message after newer ones when more than one is pending",
            ),
            SourceKind::Pubsub => (
                Ordering::None,
                "Pub/Sub delivers in no particular order without ordering keys",
            ),
            SourceKind::Rabbitmq => (
                Ordering::None,
                "RabbitMQ requeues a rejected message behind newer ones",
            ),
            SourceKind::Queue => (
                Ordering::None,
                "a task queue promises no order unless it says so",
            ),
        }
    }

    /// How late a redelivery can arrive by the system's default retention,
    /// when the contract does not declare `redelivery_window`; `None` when
    /// the default keeps events without a time limit.
    pub fn default_redelivery_window(self) -> Option<(Duration, Origin)> {
        const DAY: u64 = 24 * 3_600_000;
        match self {
            SourceKind::Kafka => Some((
                Duration(7 * DAY),
                "Kafka's default retention (`log.retention.hours = 168`): a consumer that rewinds can read any record that old",
            )),
            SourceKind::Kinesis => Some((
                Duration(DAY),
                "Kinesis Data Streams' default retention period (24 hours)",
            )),
            SourceKind::Sqs => Some((
                Duration(4 * DAY),
                "SQS's default `MessageRetentionPeriod` (345,600 s = 4 days)",
            )),
            SourceKind::Pubsub => Some((
                Duration(7 * DAY),
                "Pub/Sub's default subscription message retention (7 days)",
            )),
            SourceKind::Nats | SourceKind::Rabbitmq | SourceKind::Queue => None,
        }
    }
}

/// `source = "kafka:payments.events"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    pub kind: SourceKind,
    /// The topic, queue or stream.
    pub name: String,
}

impl std::fmt::Display for SourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind, self.name)
    }
}

/// `dedup.store = { kind, durability }`: where the seen-set lives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DedupStore {
    pub kind: Option<Sp<StoreKind>>,
    pub durability: Option<Sp<Durability>>,
}

impl DedupStore {
    /// Declared volatile, or an in-process store with no durability
    /// declared: the span and a label saying which.
    pub fn volatile(&self) -> Option<(Span, &'static str)> {
        match (&self.durability, &self.kind) {
            (Some(d), _) if d.value == Durability::Volatile => {
                Some((d.span.clone(), "the seen-set does not survive a restart"))
            }
            (None, Some(k)) if k.value == StoreKind::Memory => Some((
                k.span.clone(),
                "an in-process seen-set is empty after every restart",
            )),
            _ => None,
        }
    }
}

/// `dedup = { key, scope, store, window, max_entries, same_txn_as_effect, pending }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dedup {
    pub key: Option<Sp<DedupKey>>,
    pub scope: Option<Sp<Vec<Sp<DedupScope>>>>,
    pub store: Option<Sp<DedupStore>>,
    /// How long a seen entry is kept.
    pub window: Option<Sp<Duration>>,
    /// How many entries the seen-set keeps at most (oldest evicted first).
    pub max_entries: Option<Sp<i64>>,
    /// The seen entry is written in the same transaction as the effect.
    pub same_txn_as_effect: Option<Sp<bool>>,
    /// A pending entry is written before the effect and completed after it;
    /// a redelivery that finds it checks the effect's own record before
    /// running it again.
    pub pending: Option<Sp<bool>>,
}

impl Dedup {
    pub fn has_scope(&self, scope: DedupScope) -> bool {
        self.scope
            .as_ref()
            .is_some_and(|s| s.value.iter().any(|x| x.value == scope))
    }

    pub fn same_txn(&self) -> bool {
        self.same_txn_as_effect.as_ref().is_some_and(|b| b.value)
    }

    pub fn pending(&self) -> bool {
        self.pending.as_ref().is_some_and(|b| b.value)
    }

    pub fn key(&self) -> Option<DedupKey> {
        self.key.as_ref().map(|k| k.value)
    }
}

/// `[consumer.NAME]`: a stream consumer or a task worker.
#[derive(Debug, Clone, PartialEq)]
pub struct Consumer {
    pub name: Sp<String>,
    pub source: Option<Sp<SourceRef>>,
    pub delivery: Option<Sp<Delivery>>,
    /// How late a redelivered event can still arrive.
    pub redelivery_window: Option<Sp<Duration>>,
    pub ordering: Option<Sp<Ordering>>,
    pub partitions: Option<Sp<i64>>,
    /// Events per second the consumer (all its instances) handles at peak.
    pub rate_per_sec: Option<Sp<f64>>,
    pub dedup: Option<Sp<Dedup>>,
    pub commit: Option<Sp<CommitOrder>>,
    pub side_effects: Option<Sp<SideEffects>>,
    /// How long a worker holds an event or task (visibility timeout, task
    /// lease, poll interval) before the source gives it to another.
    pub lease: Option<Sp<Duration>>,
    pub fencing: Option<Sp<bool>>,
    pub handler_timeout: Option<Sp<Duration>>,
    pub allow: Vec<AllowEntry>,
}

impl Consumer {
    pub fn source_kind(&self) -> Option<SourceKind> {
        self.source.as_ref().map(|s| s.value.kind)
    }

    /// At-least-once unless declared at-most-once: redeliveries are the
    /// normal case of every source this format describes.
    pub fn at_least_once(&self) -> bool {
        self.delivery
            .as_ref()
            .is_none_or(|d| d.value == Delivery::AtLeastOnce)
    }

    /// Unknown side effects count as side effects, as for operations.
    pub fn has_side_effects(&self) -> bool {
        self.side_effects
            .as_ref()
            .is_none_or(|s| s.value != SideEffects::None)
    }

    pub fn fencing(&self) -> bool {
        self.fencing.as_ref().is_some_and(|f| f.value)
    }

    pub fn dedup(&self) -> Option<&Dedup> {
        self.dedup.as_ref().map(|d| &d.value)
    }

    /// The declared ordering, else the source's default, with why.
    pub fn ordering(&self) -> Option<(Ordering, Origin)> {
        if let Some(o) = &self.ordering {
            return Some((o.value, "declared `ordering`"));
        }
        let source = self.source.as_ref()?;
        Some(source.value.kind.default_ordering(&source.value.name))
    }

    /// More than one partition: declared, or the source's kind when
    /// `partitions` is not written.
    pub fn partitioned(&self) -> bool {
        match &self.partitions {
            Some(p) => p.value > 1,
            None => self.source_kind().is_some_and(SourceKind::partitioned),
        }
    }

    /// The span that best stands for the consumer's dedup scheme.
    pub fn dedup_span(&self) -> Span {
        self.dedup
            .as_ref()
            .map_or_else(|| self.name.span.clone(), |d| d.span.clone())
    }
}
