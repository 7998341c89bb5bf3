//! The Lua scripts of the Redis store. Every step of the store is one
//! script (`EVALSHA`), so each runs atomically on the server and no lock is
//! held across an `.await`.
//!
//! Every script takes the same keys: `KEYS[1]` the record, `KEYS[2]` the
//! fencing-token counter, `KEYS[3]` the write journal and `KEYS[4]` the
//! clock of the persistence model (used only with `appendfsync everysec`),
//! and starts with `ARGV[1]` the virtual `now` (milliseconds), `ARGV[2]`
//! `1` when the journal is kept, `ARGV[3]` the expiry margin (milliseconds).
//!
//! A record is one string, `P|fp|token|lease_until|expires_at|` while in
//! progress and `C|fp|token|lease_until|expires_at|outcome` once completed
//! (times in virtual milliseconds, the fingerprint compared as text). The
//! answers follow those virtual deadlines; Redis's own expiry (`PX`, the
//! deadline plus the margin) only collects what no case needs any more.

/// Shared by every script: parsing and writing records, the fenced
/// look-up of `complete` and `release` (`owned`: the in-progress record
/// carrying `ARGV[4]`'s token, or the answer to refuse with), the
/// persistence model's journal (each write's before-image) and clock.
const PRELUDE: &str = r#"
local now = tonumber(ARGV[1])
local logging = ARGV[2] == '1'
local margin = tonumber(ARGV[3])
local function tick()
  if logging then
    local c = tonumber(redis.call('GET', KEYS[4]) or '0')
    if now > c then redis.call('SET', KEYS[4], ARGV[1]) end
  end
end
local function wrote(key)
  if logging then
    redis.call('RPUSH', KEYS[3], ARGV[1], key, redis.call('GET', key) or '')
  end
end
local function parse(v)
  if not v then return nil end
  local s, fp, t, l, e, o = string.match(v, '^([PC])|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
  if not s then return redis.error_reply('redis store: not an idempotency record: ' .. v) end
  return {state = s, fp = fp, token = t, lease_s = l, lease = tonumber(l), exp_s = e,
          exp = tonumber(e), outcome = o}
end
local function encode(s, fp, t, l, e, o)
  return s .. '|' .. fp .. '|' .. t .. '|' .. l .. '|' .. e .. '|' .. o
end
local function px(deadline)
  local d = deadline - now
  if d < 0 then d = 0 end
  return string.format('%d', d + margin + 1)
end
local function expired(r)
  return now >= r.exp and (r.state == 'C' or now >= r.lease)
end
local function owned()
  tick()
  local r = parse(redis.call('GET', KEYS[1]))
  if r and r.err then return nil, r end
  if (not r) or r.state ~= 'P' or r.token ~= ARGV[4] then return nil, 0 end
  wrote(KEYS[1])
  return r
end
local function put(fp, l, e)
  wrote(KEYS[2])
  local t = string.format('%d', redis.call('INCR', KEYS[2]))
  wrote(KEYS[1])
  redis.call('SET', KEYS[1], encode('P', fp, t, l, e, ''), 'PX',
             px(math.max(tonumber(l), tonumber(e))))
  return t
end
"#;

/// `begin`, first step: a fresh claim with `SET key record NX PX`, or
/// nothing (`nil`) when the key exists. `ARGV[4]` fingerprint, `ARGV[5]`
/// lease end, `ARGV[6]` expiry (`now + key TTL`). Returns the token.
const CLAIM_FRESH: &str = r#"
tick()
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
wrote(KEYS[2])
local t = string.format('%d', redis.call('INCR', KEYS[2]))
wrote(KEYS[1])
redis.call('SET', KEYS[1], encode('P', ARGV[4], t, ARGV[5], ARGV[6], ''), 'NX', 'PX',
           px(math.max(tonumber(ARGV[5]), tonumber(ARGV[6]))))
return t
"#;

/// `begin`, second step, on the record as it is now: claim a key that is
/// absent or past its virtual expiry, take over one whose lease ended (same
/// fingerprint), or answer. Same arguments as [`CLAIM_FRESH`]. Returns
/// `A<token>`, `P` (in progress), `C<outcome>` or `M` (mismatch).
const CLAIM_OR_ANSWER: &str = r#"
tick()
local r = parse(redis.call('GET', KEYS[1]))
if r and r.err then return r end
if (not r) or expired(r) then return 'A' .. put(ARGV[4], ARGV[5], ARGV[6]) end
if r.fp ~= ARGV[4] then return 'M' end
if r.state == 'C' then return 'C' .. r.outcome end
if now < r.lease then return 'P' end
return 'A' .. put(r.fp, ARGV[5], string.format('%d', math.max(r.exp, tonumber(ARGV[6]))))
"#;

/// `complete`, fenced: `ARGV[4]` token, `ARGV[5]` outcome, `ARGV[6]` the
/// new expiry (`now + key TTL`: the TTL counts from the completion).
/// Returns 1 when accepted, 0 for a stale token.
const COMPLETE: &str = r#"
local r, refused = owned()
if not r then return refused end
redis.call('SET', KEYS[1], encode('C', r.fp, r.token, r.lease_s, ARGV[6], ARGV[5]), 'PX',
           px(tonumber(ARGV[6])))
return 1
"#;

/// `release`, fenced: `ARGV[4]` token. Returns 1 when accepted, 0 for a
/// stale token.
const RELEASE: &str = r#"
local r, refused = owned()
if not r then return refused end
redis.call('DEL', KEYS[1])
return 1
"#;

/// Unconditional write of a claim (the zoo's broken variants): `ARGV[4]`
/// fingerprint, `ARGV[5]` lease end, `ARGV[6]` expiry. Returns the token.
#[cfg_attr(not(feature = "zoo"), allow(dead_code))]
const PUT_CLAIM: &str = r#"
tick()
return put(ARGV[4], ARGV[5], ARGV[6])
"#;

/// The persistence model's restart (`appendfsync everysec`): every write
/// the journal holds from within `ARGV[4]` milliseconds before the clock
/// (the latest `now` the store served) is undone, newest first, from its
/// before-image; the journal is then emptied (what is left is durable).
/// Returns the number of writes lost.
const LOSE_LAST_WRITES: &str = r#"
local clock = tonumber(redis.call('GET', KEYS[4]) or '0')
local cut = clock - tonumber(ARGV[4])
local n = redis.call('LLEN', KEYS[3])
local lost = 0
while n >= 3 do
  local e = redis.call('LRANGE', KEYS[3], n - 3, n - 1)
  if tonumber(e[1]) <= cut then break end
  if e[3] == '' then
    redis.call('DEL', e[2])
  else
    local head = string.sub(e[3], 1, 2)
    local r = nil
    if head == 'P|' or head == 'C|' then r = parse(e[3]) end
    if r and not r.err then
      now = clock
      redis.call('SET', e[2], e[3], 'PX', px(math.max(r.lease, r.exp)))
    else
      redis.call('SET', e[2], e[3])
    end
  end
  n = n - 3
  lost = lost + 1
end
redis.call('DEL', KEYS[3])
return lost
"#;

/// The scripts, compiled once per factory (their SHA1s are computed here;
/// the server loads them on first use).
pub(crate) struct Scripts {
    pub(crate) claim_fresh: redis::Script,
    pub(crate) claim_or_answer: redis::Script,
    pub(crate) complete: redis::Script,
    pub(crate) release: redis::Script,
    #[cfg_attr(not(feature = "zoo"), allow(dead_code))]
    pub(crate) put_claim: redis::Script,
    pub(crate) lose_last_writes: redis::Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        let with = |body: &str| redis::Script::new(&format!("{PRELUDE}{body}"));
        Scripts {
            claim_fresh: with(CLAIM_FRESH),
            claim_or_answer: with(CLAIM_OR_ANSWER),
            complete: with(COMPLETE),
            release: with(RELEASE),
            put_claim: with(PUT_CLAIM),
            lose_last_writes: with(LOSE_LAST_WRITES),
        }
    }

    /// Every script, to load them on a connection.
    pub(crate) fn all(&self) -> [&redis::Script; 6] {
        [
            &self.claim_fresh,
            &self.claim_or_answer,
            &self.complete,
            &self.release,
            &self.put_claim,
            &self.lose_last_writes,
        ]
    }
}
