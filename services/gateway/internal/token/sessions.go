package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Refresh failures.
var (
	// ErrRefreshInvalid is an unknown, expired or malformed refresh token.
	ErrRefreshInvalid = errors.New("refresh token invalid")
	// ErrRefreshReused is a refresh token that was already rotated: its family has just
	// been revoked.
	ErrRefreshReused = errors.New("refresh token reused")
	// ErrRefreshRevoked is a token of a family revoked by logout or an earlier reuse.
	ErrRefreshRevoked = errors.New("refresh token family revoked")
)

// Sessions keeps refresh-token families and the jti denylist in Redis.
//
// A family is one Redis hash, jwt:refresh:{sid}: the subject, the hash of the current
// refresh token, one field per rotated (used) token hash, the current access token's
// jti and expiry, and a revoked flag. One key per family keeps every rotation a single
// atomic script on one Redis Cluster slot. The refresh token the client holds is
// "<sid>.<secret>"; only SHA-256(secret) is stored.
type Sessions struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
	now    func() time.Time
	// budget bounds every operation, dial retries included, so login, refresh and
	// logout answer 503 promptly while Redis is away.
	budget time.Duration
}

// NewSessions returns the store; ttl is the refresh-token lifetime, renewed on rotation.
func NewSessions(rdb redis.UniversalClient, keyPrefix string, ttl time.Duration) *Sessions {
	return &Sessions{rdb: rdb, prefix: keyPrefix, ttl: ttl, now: time.Now, budget: time.Second}
}

// WithBudget sets how long one operation may take.
func (s *Sessions) WithBudget(d time.Duration) *Sessions {
	if d > 0 {
		s.budget = d
	}
	return s
}

func (s *Sessions) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.budget)
}

// TTL is the refresh-token lifetime.
func (s *Sessions) TTL() time.Duration { return s.ttl }

// RevokedKey is the denylist key of a jti.
func (s *Sessions) RevokedKey(jti string) string { return s.prefix + "jwt:revoked:" + jti }

func (s *Sessions) familyKey(sid string) string { return s.prefix + "jwt:refresh:" + sid }

func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// splitRefresh parses "<sid>.<secret>" strictly (22 and 43 base64url characters).
func splitRefresh(tok string) (sid, secret string, ok bool) {
	sid, secret, found := strings.Cut(tok, ".")
	if !found || len(sid) != 22 || len(secret) != 43 || !b64url(sid) || !b64url(secret) {
		return "", "", false
	}
	return sid, secret, true
}

func b64url(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ValidRefreshFormat reports whether tok could be a refresh token, for input validation.
func ValidRefreshFormat(tok string) bool { _, _, ok := splitRefresh(tok); return ok }

// Create starts a family for sub whose first access token is (jti, exp).
func (s *Sessions) Create(ctx context.Context, sid, sub, jti string, exp time.Time) (string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	secret := newSecret()
	key := s.familyKey(sid)
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, key, "cur", hashSecret(secret), "sub", sub, "ajti", jti, "aexp", strconv.FormatInt(exp.Unix(), 10))
	pipe.PExpire(ctx, key, s.ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", fmt.Errorf("storing refresh family: %w", err)
	}
	return sid + "." + secret, nil
}

// rotate swaps the current token of a family for a new one in one atomic step. A token
// that was current once but is no longer (a replay) revokes the family.
var rotate = redis.NewScript(`
local st = redis.call("HMGET", KEYS[1], "cur", "sub", "revoked", "ajti", "aexp")
if not st[1] then return {"invalid"} end
if st[3] == "1" then return {"revoked"} end
if st[1] == ARGV[1] then
  redis.call("HSET", KEYS[1], "cur", ARGV[2], "u:" .. ARGV[1], "1", "ajti", ARGV[3], "aexp", ARGV[4])
  redis.call("PEXPIRE", KEYS[1], ARGV[5])
  return {"ok", st[2], st[4] or "", st[5] or ""}
end
if redis.call("HEXISTS", KEYS[1], "u:" .. ARGV[1]) == 1 then
  redis.call("HSET", KEYS[1], "revoked", "1")
  return {"reused", st[2], st[4] or "", st[5] or ""}
end
return {"invalid"}
`)

// Rotated is the result of a successful rotation.
type Rotated struct {
	Session string
	Subject string
	Refresh string
}

// Rotate exchanges a refresh token for a new one in the same family, recording (jti,
// exp) as the family's current access token. The previous access token of the family is
// revoked, so a family has one live access token at a time.
func (s *Sessions) Rotate(ctx context.Context, refresh, jti string, exp time.Time) (Rotated, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	sid, secret, ok := splitRefresh(refresh)
	if !ok {
		return Rotated{}, ErrRefreshInvalid
	}
	next := newSecret()
	res, err := rotate.Run(ctx, s.rdb, []string{s.familyKey(sid)},
		hashSecret(secret), hashSecret(next), jti, strconv.FormatInt(exp.Unix(), 10), s.ttl.Milliseconds()).StringSlice()
	if err != nil {
		return Rotated{}, fmt.Errorf("rotating refresh token: %w", err)
	}
	switch res[0] {
	case "ok":
		if err := s.revokeAccess(ctx, res[2], res[3]); err != nil {
			return Rotated{}, err
		}
		return Rotated{Session: sid, Subject: res[1], Refresh: sid + "." + next}, nil
	case "reused":
		if err := s.revokeAccess(ctx, res[2], res[3]); err != nil {
			return Rotated{}, err
		}
		return Rotated{Session: sid, Subject: res[1]}, ErrRefreshReused
	case "revoked":
		return Rotated{}, ErrRefreshRevoked
	default:
		return Rotated{}, ErrRefreshInvalid
	}
}

var revokeFamily = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 0 then return {"", ""} end
redis.call("HSET", KEYS[1], "revoked", "1")
local st = redis.call("HMGET", KEYS[1], "ajti", "aexp")
return {st[1] or "", st[2] or ""}
`)

// RevokeSession revokes a family and its current access token.
func (s *Sessions) RevokeSession(ctx context.Context, sid string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if sid == "" {
		return nil
	}
	res, err := revokeFamily.Run(ctx, s.rdb, []string{s.familyKey(sid)}).StringSlice()
	if err != nil {
		return fmt.Errorf("revoking refresh family: %w", err)
	}
	return s.revokeAccess(ctx, res[0], res[1])
}

// RevokeRefresh revokes the family of a refresh token the client presents.
func (s *Sessions) RevokeRefresh(ctx context.Context, refresh string) error {
	sid, _, ok := splitRefresh(refresh)
	if !ok {
		return ErrRefreshInvalid
	}
	return s.RevokeSession(ctx, sid)
}

func (s *Sessions) revokeAccess(ctx context.Context, jti, exp string) error {
	if jti == "" {
		return nil
	}
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return nil
	}
	return s.RevokeJTI(ctx, jti, time.Unix(sec, 0))
}

// RevokeJTI puts a jti on the denylist until its token expires (plus a minute of skew).
func (s *Sessions) RevokeJTI(ctx context.Context, jti string, exp time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	ttl := exp.Sub(s.now()) + time.Minute
	if ttl <= time.Minute {
		return nil
	}
	if err := s.rdb.Set(ctx, s.RevokedKey(jti), "1", ttl).Err(); err != nil {
		return fmt.Errorf("revoking token: %w", err)
	}
	return nil
}

// IsRevoked reports whether a jti is on the denylist.
func (s *Sessions) IsRevoked(ctx context.Context, jti string) (bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n, err := s.rdb.Exists(ctx, s.RevokedKey(jti)).Result()
	if err != nil {
		return false, fmt.Errorf("checking revocation: %w", err)
	}
	return n > 0, nil
}
