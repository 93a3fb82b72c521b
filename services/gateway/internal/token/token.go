// Package token issues and verifies the gateway's access tokens (HS256 JWTs, jwx) and
// keeps the refresh-token families and the jti denylist in Redis.
//
// Verification is pinned: the header must say HS256 (and at most typ JWT), so alg none,
// RS*/ES* headers, embedded keys (jwk, jku, x5u) and key ids are refused before any
// cryptography runs. A verified token's claims are remembered in a bounded LRU keyed by
// the SHA-256 of the token until the token expires, so the hot path does one hash and a
// map lookup instead of an HMAC and a JSON parse; revocation is checked separately on
// every request (see the rate limiter, which does it in the same Redis round trip).
package token

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Roles carried in the role claim.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// Verification failures; Reason names them for metrics.
var (
	ErrMalformed = errors.New("token: malformed")
	ErrAlgorithm = errors.New("token: algorithm not allowed")
	ErrSignature = errors.New("token: signature invalid")
	ErrExpired   = errors.New("token: expired")
	ErrClaims    = errors.New("token: claims invalid")
)

// Reason is a short label of a verification error for metrics and logs.
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrAlgorithm):
		return "algorithm"
	case errors.Is(err, ErrSignature):
		return "signature"
	case errors.Is(err, ErrExpired):
		return "expired"
	case errors.Is(err, ErrClaims):
		return "claims"
	default:
		return "other"
	}
}

// MaxLen bounds a token before anything parses it.
const MaxLen = 2048

// Claims are what the gateway reads from a verified access token.
type Claims struct {
	Subject string
	Role    string
	JTI     string
	// Session is the refresh-token family the token was issued in (claim sid), so that
	// logout can revoke the family with the access token alone.
	Session  string
	IssuedAt time.Time
	Expiry   time.Time
}

// Options configure a Manager.
type Options struct {
	Secret   []byte
	Issuer   string
	Audience string
	TTL      time.Duration
	// Leeway is the clock skew tolerated on exp, iat and nbf.
	Leeway time.Duration
	// CacheSize bounds the verified-claims LRU; 0 disables it.
	CacheSize int
	// Now is the clock; tests inject one.
	Now func() time.Time
}

// Manager signs and verifies access tokens.
type Manager struct {
	opts  Options
	cache *lru.Cache[[sha256.Size]byte, Claims]
}

// NewManager checks the options and returns a Manager.
func NewManager(opts Options) (*Manager, error) {
	if len(opts.Secret) < 32 {
		return nil, errors.New("token: the secret must be at least 32 bytes")
	}
	if opts.Issuer == "" || opts.Audience == "" || opts.TTL <= 0 {
		return nil, errors.New("token: issuer, audience and a positive TTL are required")
	}
	if opts.Leeway <= 0 {
		opts.Leeway = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Manager{opts: opts}
	if opts.CacheSize > 0 {
		c, err := lru.New[[sha256.Size]byte, Claims](opts.CacheSize)
		if err != nil {
			return nil, fmt.Errorf("token: creating claims cache: %w", err)
		}
		m.cache = c
	}
	return m, nil
}

// TTL is the lifetime of the tokens this manager issues.
func (m *Manager) TTL() time.Duration { return m.opts.TTL }

// NewID returns a random identifier (128 bits, base64url) for a jti or a session.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Issue signs a token for sub with role in session sid under the given jti.
func (m *Manager) Issue(sub, role, sid, jti string) (string, Claims, error) {
	now := m.opts.Now().UTC().Truncate(time.Second)
	c := Claims{Subject: sub, Role: role, JTI: jti, Session: sid, IssuedAt: now, Expiry: now.Add(m.opts.TTL)}
	tok, err := jwt.NewBuilder().
		Issuer(m.opts.Issuer).
		Audience([]string{m.opts.Audience}).
		Subject(sub).
		IssuedAt(c.IssuedAt).
		Expiration(c.Expiry).
		JwtID(jti).
		Claim("role", role).
		Claim("sid", sid).
		Build()
	if err != nil {
		return "", Claims{}, fmt.Errorf("building token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256, m.opts.Secret))
	if err != nil {
		return "", Claims{}, fmt.Errorf("signing token: %w", err)
	}
	return string(signed), c, nil
}

// Verify checks a compact token and returns its claims.
func (m *Manager) Verify(raw string) (Claims, error) {
	if len(raw) == 0 || len(raw) > MaxLen {
		return Claims{}, ErrMalformed
	}
	var key [sha256.Size]byte
	if m.cache != nil {
		key = sha256.Sum256([]byte(raw))
		if c, ok := m.cache.Get(key); ok {
			if m.opts.Now().Before(c.Expiry.Add(m.opts.Leeway)) {
				return c, nil
			}
			m.cache.Remove(key)
			return Claims{}, ErrExpired
		}
	}
	c, err := m.verify([]byte(raw))
	if err != nil {
		return Claims{}, err
	}
	if m.cache != nil {
		m.cache.Add(key, c)
	}
	return c, nil
}

func (m *Manager) verify(raw []byte) (Claims, error) {
	if err := checkHeader(raw); err != nil {
		return Claims{}, err
	}
	tok, err := jwt.Parse(raw,
		jwt.WithKey(jwa.HS256, m.opts.Secret),
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(m.opts.Now)),
		jwt.WithAcceptableSkew(m.opts.Leeway),
		jwt.WithIssuer(m.opts.Issuer),
		jwt.WithAudience(m.opts.Audience),
		jwt.WithRequiredClaim(jwt.SubjectKey),
		jwt.WithRequiredClaim(jwt.JwtIDKey),
		jwt.WithRequiredClaim(jwt.IssuedAtKey),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim("role"),
	)
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenExpired()):
			return Claims{}, ErrExpired
		case jwt.IsValidationError(err):
			return Claims{}, ErrClaims
		default:
			return Claims{}, ErrSignature
		}
	}
	c := Claims{
		Subject:  tok.Subject(),
		JTI:      tok.JwtID(),
		IssuedAt: tok.IssuedAt(),
		Expiry:   tok.Expiration(),
	}
	if v, ok := tok.Get("role"); ok {
		c.Role, _ = v.(string)
	}
	if v, ok := tok.Get("sid"); ok {
		c.Session, _ = v.(string)
	}
	if c.Role != RoleUser && c.Role != RoleAdmin {
		return Claims{}, ErrClaims
	}
	if c.Subject == "" || len(c.Subject) > 253 || len(c.JTI) < 16 || len(c.JTI) > 64 {
		return Claims{}, ErrClaims
	}
	return c, nil
}

// header is the only protected header the gateway accepts.
type header struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
}

// checkHeader pins the algorithm and refuses any header member the gateway does not
// use (kid, jku, jwk, x5u, crit, b64…): a verifier that honours them can be steered
// to another key.
func checkHeader(raw []byte) error {
	dot := bytes.IndexByte(raw, '.')
	if dot <= 0 || bytes.Count(raw, []byte{'.'}) != 2 {
		return ErrMalformed
	}
	hb := make([]byte, base64.RawURLEncoding.DecodedLen(dot))
	n, err := base64.RawURLEncoding.Decode(hb, raw[:dot])
	if err != nil {
		return ErrMalformed
	}
	dec := json.NewDecoder(bytes.NewReader(hb[:n]))
	dec.DisallowUnknownFields()
	var h header
	if err := dec.Decode(&h); err != nil {
		return ErrAlgorithm
	}
	if h.Alg != "HS256" || (h.Typ != "" && h.Typ != "JWT") {
		return ErrAlgorithm
	}
	return nil
}
