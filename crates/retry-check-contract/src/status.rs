//! Status codes as contracts write them: gRPC names (`"UNAVAILABLE"`), HTTP
//! numbers (`503`) and classes (`"5xx"`), and transport failure classes
//! (`"connect-failure"`, `"reset"`, `"timeout"`, `"refused-stream"`).

use std::fmt;

macro_rules! grpc_codes {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// The 17 gRPC status codes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum GrpcCode { $($variant),* }

        impl GrpcCode {
            pub const ALL: &'static [GrpcCode] = &[$(GrpcCode::$variant),*];
            pub fn name(self) -> &'static str {
                match self { $(GrpcCode::$variant => $name),* }
            }
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($name => Some(GrpcCode::$variant),)* _ => None }
            }
        }
    };
}

grpc_codes! {
    Ok = "OK",
    Cancelled = "CANCELLED",
    Unknown = "UNKNOWN",
    InvalidArgument = "INVALID_ARGUMENT",
    DeadlineExceeded = "DEADLINE_EXCEEDED",
    NotFound = "NOT_FOUND",
    AlreadyExists = "ALREADY_EXISTS",
    PermissionDenied = "PERMISSION_DENIED",
    ResourceExhausted = "RESOURCE_EXHAUSTED",
    FailedPrecondition = "FAILED_PRECONDITION",
    Aborted = "ABORTED",
    OutOfRange = "OUT_OF_RANGE",
    Unimplemented = "UNIMPLEMENTED",
    Internal = "INTERNAL",
    Unavailable = "UNAVAILABLE",
    DataLoss = "DATA_LOSS",
    Unauthenticated = "UNAUTHENTICATED",
}

/// Failures below HTTP/gRPC: nothing, or nothing usable, came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transport {
    /// The connection was never established: the request was not sent.
    ConnectFailure,
    /// HTTP/2 REFUSED_STREAM: the server says it did not process the request.
    RefusedStream,
    /// The connection dropped mid-request: the request may have executed.
    Reset,
    /// No answer in time: the request may have executed.
    Timeout,
}

impl Transport {
    pub const ALL: &'static [Transport] = &[
        Transport::ConnectFailure,
        Transport::RefusedStream,
        Transport::Reset,
        Transport::Timeout,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Transport::ConnectFailure => "connect-failure",
            Transport::RefusedStream => "refused-stream",
            Transport::Reset => "reset",
            Transport::Timeout => "timeout",
        }
    }
    /// True when the failure proves the server never saw the request.
    pub fn never_executed(self) -> bool {
        matches!(self, Transport::ConnectFailure | Transport::RefusedStream)
    }
}

/// One entry of a `retry_on` set or a server's status field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Grpc(GrpcCode),
    /// An HTTP status code, 100..=599.
    Http(u16),
    /// `"4xx"`, `"5xx"`: the digit is the class.
    HttpClass(u8),
    Transport(Transport),
}

impl Status {
    /// HTTP codes this entry covers, if it is an HTTP code or class.
    pub fn http_codes(self) -> Option<std::ops::RangeInclusive<u16>> {
        match self {
            Status::Http(c) => Some(c..=c),
            Status::HttpClass(k) => Some(u16::from(k) * 100..=u16::from(k) * 100 + 99),
            _ => None,
        }
    }

    /// Does this entry match the given status (an HTTP class matches its codes)?
    pub fn covers(self, other: Status) -> bool {
        if self == other {
            return true;
        }
        match (self.http_codes(), other) {
            (Some(range), Status::Http(c)) => range.contains(&c),
            _ => false,
        }
    }

    /// Parse the string form. Numbers in strings (`"503"`) are HTTP codes.
    pub fn parse_str(s: &str) -> Result<Status, String> {
        if let Some(code) = GrpcCode::from_name(s) {
            return Ok(Status::Grpc(code));
        }
        if let Some(t) = Transport::ALL.iter().find(|t| t.name() == s) {
            return Ok(Status::Transport(*t));
        }
        let lower = s.to_ascii_lowercase();
        if lower.len() == 3 && lower.ends_with("xx") {
            if let Some(d @ b'1'..=b'5') = lower.bytes().next() {
                return Ok(Status::HttpClass(d - b'0'));
            }
        }
        if let Ok(n) = s.parse::<i64>() {
            return Status::from_http(n);
        }
        Err(format!("unknown status `{s}`"))
    }

    pub fn from_http(n: i64) -> Result<Status, String> {
        if (100..=599).contains(&n) {
            Ok(Status::Http(n as u16))
        } else {
            Err(format!("`{n}` is not an HTTP status code (100-599)"))
        }
    }

    /// Every spelling we accept, for "did you mean" suggestions.
    pub fn known_names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = GrpcCode::ALL.iter().map(|c| c.name()).collect();
        names.extend(Transport::ALL.iter().map(|t| t.name()));
        names.extend(["1xx", "2xx", "3xx", "4xx", "5xx"]);
        names
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Grpc(c) => f.write_str(c.name()),
            Status::Http(c) => write!(f, "{c}"),
            Status::HttpClass(k) => write!(f, "{k}xx"),
            Status::Transport(t) => f.write_str(t.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            Status::parse_str("UNAVAILABLE"),
            Ok(Status::Grpc(GrpcCode::Unavailable))
        );
        assert_eq!(Status::parse_str("503"), Ok(Status::Http(503)));
        assert_eq!(Status::parse_str("5xx"), Ok(Status::HttpClass(5)));
        assert_eq!(Status::parse_str("5XX"), Ok(Status::HttpClass(5)));
        assert_eq!(
            Status::parse_str("connect-failure"),
            Ok(Status::Transport(Transport::ConnectFailure))
        );
        assert!(Status::parse_str("UNAVAILBLE").is_err());
        assert!(Status::parse_str("6xx").is_err());
        assert!(Status::from_http(600).is_err());
    }

    #[test]
    fn classes_cover_codes() {
        assert!(Status::HttpClass(4).covers(Status::Http(422)));
        assert!(!Status::HttpClass(5).covers(Status::Http(422)));
    }

    fn any_status() -> impl Strategy<Value = Status> {
        prop_oneof![
            proptest::sample::select(GrpcCode::ALL).prop_map(Status::Grpc),
            (100u16..=599).prop_map(Status::Http),
            (1u8..=5).prop_map(Status::HttpClass),
            proptest::sample::select(Transport::ALL).prop_map(Status::Transport),
        ]
    }

    proptest! {
        #[test]
        fn display_round_trips(s in any_status()) {
            prop_assert_eq!(Status::parse_str(&s.to_string()), Ok(s));
        }
    }
}
