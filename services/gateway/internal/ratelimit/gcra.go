// Package ratelimit enforces the tiered limits: GCRA over any number of windows in one
// Redis round trip, a local in-process fallback behind a circuit breaker when Redis is
// unreachable, and the fiber middleware that writes the RateLimit-* headers.
package ratelimit

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// script is redis_rate's GCRA (allowN) extended to several windows stored as fields of
// one hash: every window is evaluated with the same arithmetic as redis_rate, the
// request is allowed only if every window allows it, and only then are the new
// theoretical arrival times written. One key per subject keeps the script on one Redis
// Cluster slot; one EVALSHA is one round trip for both windows.
//
// KEYS[1] the subject's key. ARGV[1] cost, then per window: field, burst, rate, period
// (seconds). Returns {allowed, retry_after, remaining_1, reset_after_1, ...}.
var script = redis.NewScript(`
redis.replicate_commands()
local key = KEYS[1]
local cost = tonumber(ARGV[1])
local jan_1_2017 = 1483228800
local t = redis.call("TIME")
local now = (t[1] - jan_1_2017) + (t[2] / 1000000)
local n = (#ARGV - 1) / 4
local allowed = 1
local retry_after = -1
local out = {0, "-1"}
local fields = {}
local max_reset = 0
for i = 0, n - 1 do
  local field = ARGV[2 + i * 4]
  local burst = tonumber(ARGV[3 + i * 4])
  local rate = tonumber(ARGV[4 + i * 4])
  local period = tonumber(ARGV[5 + i * 4])
  local emission_interval = period / rate
  local tat = tonumber(redis.call("HGET", key, field)) or now
  tat = math.max(tat, now)
  local new_tat = tat + emission_interval * cost
  local diff = now - (new_tat - emission_interval * burst)
  local remaining = diff / emission_interval
  if remaining < 0 then
    allowed = 0
    retry_after = math.max(retry_after, -diff)
    out[3 + i * 2] = -1
    out[4 + i * 2] = tostring(tat - now)
  else
    -- The epsilon absorbs float noise in the report only; the decision above is
    -- redis_rate's exactly.
    out[3 + i * 2] = math.floor(remaining + 1e-6)
    out[4 + i * 2] = tostring(new_tat - now)
    max_reset = math.max(max_reset, new_tat - now)
  end
  fields[#fields + 1] = field
  fields[#fields + 1] = new_tat
end
if allowed == 1 then
  redis.call("HSET", key, unpack(fields))
  redis.call("PEXPIRE", key, math.ceil(max_reset * 1000))
end
out[1] = allowed
out[2] = tostring(retry_after)
return out
`)

// Window is one limit, in redis_rate's terms (Rate per Period, Burst).
type Window = redis_rate.Limit

// Windows builds the two windows of a tier: per minute and per day, each with a burst
// equal to its rate, as redis_rate.PerMinute does.
func Windows(perMinute, perDay int) []Window {
	return []Window{
		{Rate: perMinute, Burst: perMinute, Period: time.Minute},
		{Rate: perDay, Burst: perDay, Period: 24 * time.Hour},
	}
}

// WindowResult is the outcome of one window.
type WindowResult struct {
	Window     Window
	Remaining  int
	ResetAfter time.Duration
	// Refused is true for a window that refused the request.
	Refused bool
}

// Decision is the outcome of one check over all windows.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration
	Windows    []WindowResult
	// Source says who decided: "redis" or "local" (the fallback).
	Source string
	// Revoked reports that the jti checked in the same round trip is on the denylist.
	Revoked bool
}

// Binding is the window the headers describe: on a refusal the refusing window that
// frees up last, otherwise the one with the fewest requests left (on a tie the shorter
// one, which frees up first).
func (d Decision) Binding() WindowResult {
	var b WindowResult
	found := false
	for _, w := range d.Windows {
		switch {
		case !found:
			b, found = w, true
		case w.Refused != b.Refused:
			if w.Refused {
				b = w
			}
		case w.Refused:
			if w.ResetAfter > b.ResetAfter {
				b = w
			}
		case w.Remaining < b.Remaining:
			b = w
		}
	}
	return b
}

// Policy renders the RateLimit-Policy value, e.g. `100;w=60, 10000;w=86400`.
func Policy(ws []Window) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(w.Rate))
		b.WriteString(";w=")
		b.WriteString(strconv.FormatInt(int64(w.Period/time.Second), 10))
	}
	return b.String()
}

func seconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

var fieldNames = []string{"m", "d", "w2", "w3", "w4", "w5"}

func scriptArgs(ws []Window) []any {
	args := make([]any, 0, 1+4*len(ws))
	args = append(args, 1)
	for i, w := range ws {
		args = append(args, fieldNames[i], w.Burst, w.Rate, int64(w.Period/time.Second))
	}
	return args
}

func parseResult(ws []Window, vals []any) (Decision, bool) {
	if len(vals) != 2+2*len(ws) {
		return Decision{}, false
	}
	allowed, _ := vals[0].(int64)
	retry, _ := vals[1].(string)
	d := Decision{Allowed: allowed == 1, Source: "redis", Windows: make([]WindowResult, len(ws))}
	if !d.Allowed {
		d.RetryAfter = seconds(retry)
	}
	for i, w := range ws {
		rem, _ := vals[2+2*i].(int64)
		reset, _ := vals[3+2*i].(string)
		d.Windows[i] = WindowResult{Window: w, Remaining: int(max(rem, 0)), ResetAfter: seconds(reset), Refused: rem < 0}
	}
	return d, true
}
