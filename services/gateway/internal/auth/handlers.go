package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/football-tracker/backend/pkg/envelope"
	"github.com/football-tracker/backend/pkg/httpserver"

	"github.com/football-tracker/backend/services/gateway/internal/policy"
	"github.com/football-tracker/backend/services/gateway/internal/ratelimit"
	"github.com/football-tracker/backend/services/gateway/internal/token"
	"github.com/football-tracker/backend/services/gateway/internal/validate"
)

// TokenPair is the data of login and refresh answers.
type TokenPair struct {
	Token            string `json:"token"`
	TokenType        string `json:"tokenType"`
	ExpiresIn        int64  `json:"expiresIn"`
	RefreshToken     string `json:"refreshToken"`
	RefreshExpiresIn int64  `json:"refreshExpiresIn"`
}

// Revoked is the data of the logout answer.
type Revoked struct {
	Revoked bool `json:"revoked"`
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,252}$`)

// LoginRequest is the login body.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Validate implements validate.Body.
func (r *LoginRequest) Validate() []envelope.FieldError {
	var d []envelope.FieldError
	if !usernamePattern.MatchString(r.Username) {
		d = append(d, envelope.FieldError{Field: "username", Message: "is required: 1 to 253 letters, digits or . _ @ -"})
	}
	if r.Password == "" || len(r.Password) > 256 {
		d = append(d, envelope.FieldError{Field: "password", Message: "is required (at most 256 bytes)"})
	}
	return d
}

// RefreshRequest is the refresh body and the optional logout body.
type RefreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// Validate implements validate.Body.
func (r *RefreshRequest) Validate() []envelope.FieldError {
	if !token.ValidRefreshFormat(r.RefreshToken) {
		return []envelope.FieldError{{Field: "refreshToken", Message: "must be a refresh token issued by login or refresh"}}
	}
	return nil
}

// Handlers serve /api/v1/auth/*.
type Handlers struct {
	tokens    *token.Manager
	sessions  *token.Sessions
	policy    *policy.Policy
	limiter   *ratelimit.Limiter
	adminHash [sha256.Size]byte
	dummies   sync.Map // bcrypt cost → dummy hash of that cost
	opts      HandlerOptions
}

// HandlerOptions configure the auth handlers.
type HandlerOptions struct {
	AdminPass string
	KeyPrefix string
	// LoginPerIP and LoginPerUser bound login attempts per client IP and per username.
	LoginPerIP   ratelimit.Plan
	LoginPerUser ratelimit.Plan
	ClientIP     func(c *fiber.Ctx) string
	OnFailure    func(reason string)
	Logger       *slog.Logger
}

// NewHandlers builds the handlers.
func NewHandlers(tm *token.Manager, s *token.Sessions, p *policy.Policy, l *ratelimit.Limiter, opts HandlerOptions) (*Handlers, error) {
	if opts.OnFailure == nil {
		opts.OnFailure = func(string) {}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Handlers{tokens: tm, sessions: s, policy: p, limiter: l, adminHash: sha256.Sum256([]byte(opts.AdminPass)), opts: opts}, nil
}

// burn spends what a client login costs, so that an unknown username (or the admin's)
// takes as long as a known client's and the timing tells nothing. The dummy hash has
// the cost of the hashes in force, which the controller chooses.
func (h *Handlers) burn(pass string) {
	cost := h.policy.HashCost()
	d, ok := h.dummies.Load(cost)
	if !ok {
		var pw [16]byte
		_, _ = rand.Read(pw[:])
		hash, err := bcrypt.GenerateFromPassword(pw[:], cost)
		if err != nil {
			return
		}
		d, _ = h.dummies.LoadOrStore(cost, hash)
	}
	_ = bcrypt.CompareHashAndPassword(d.([]byte), []byte(pass))
}

// Login answers POST /api/v1/auth/login.
func (h *Handlers) Login(c *fiber.Ctx) error {
	var req LoginRequest
	if err := validate.JSON(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	for _, lim := range []struct {
		key, kind string
		plan      ratelimit.Plan
	}{
		{h.opts.KeyPrefix + "rl:login:ip:" + h.opts.ClientIP(c), "ip", h.opts.LoginPerIP},
		{h.opts.KeyPrefix + "rl:login:user:" + req.Username, "user", h.opts.LoginPerUser},
	} {
		d, err := h.limiter.Allow(ctx, lim.key, lim.plan.Windows, "")
		if err != nil {
			return envelope.New(envelope.CodeServiceUnavailable, "")
		}
		if !d.Allowed {
			h.opts.OnFailure("login_rate_limited")
			httpserver.AddLogAttrs(c, slog.String("login_limit", lim.kind))
			return envelope.RateLimited(d.RetryAfter)
		}
	}
	if !h.checkPassword(req.Username, req.Password) {
		h.opts.OnFailure("bad_credentials")
		return envelope.New(envelope.CodeInvalidCredentials, "")
	}
	subj := h.policy.Lookup(req.Username)
	httpserver.AddLogAttrs(c, slog.String("sub", req.Username))
	if subj.Suspended {
		h.opts.OnFailure("suspended")
		return envelope.New(envelope.CodeForbidden, "This client is suspended.")
	}
	sid, jti := token.NewID(), token.NewID()
	signed, claims, err := h.tokens.Issue(req.Username, subj.Role, sid, jti)
	if err != nil {
		return err
	}
	refresh, err := h.sessions.Create(ctx, sid, req.Username, jti, claims.Expiry)
	if err != nil {
		h.opts.Logger.ErrorContext(ctx, "storing refresh token failed", slog.Any("error", err))
		return envelope.New(envelope.CodeServiceUnavailable, "")
	}
	return envelope.OK(c, h.pair(signed, refresh), false)
}

func (h *Handlers) checkPassword(user, pass string) bool {
	if subtle.ConstantTimeCompare([]byte(user), []byte(h.policy.AdminUser())) == 1 {
		// Pay the same bcrypt as a client login, so the admin's name does not show in
		// the timing.
		h.burn(pass)
		got := sha256.Sum256([]byte(pass))
		return subtle.ConstantTimeCompare(got[:], h.adminHash[:]) == 1
	}
	hash, ok := h.policy.PasswordHash(user)
	if !ok {
		h.burn(pass)
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pass)) == nil
}

func (h *Handlers) pair(access, refresh string) TokenPair {
	return TokenPair{
		Token:            access,
		TokenType:        "Bearer",
		ExpiresIn:        int64(h.tokens.TTL() / time.Second),
		RefreshToken:     refresh,
		RefreshExpiresIn: int64(h.sessions.TTL() / time.Second),
	}
}

// Refresh answers POST /api/v1/auth/refresh: a new pair for a current refresh token.
func (h *Handlers) Refresh(c *fiber.Ctx) error {
	var req RefreshRequest
	if err := validate.JSON(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	jti := token.NewID()
	rot, err := h.sessions.Rotate(ctx, req.RefreshToken, jti, time.Now().Add(h.tokens.TTL()))
	switch {
	case errors.Is(err, token.ErrRefreshReused):
		h.opts.OnFailure("refresh_reused")
		httpserver.AddLogAttrs(c, slog.String("sub", rot.Subject))
		h.opts.Logger.WarnContext(ctx, "refresh token reused: session revoked", slog.String("sub", rot.Subject))
		return envelope.New(envelope.CodeUnauthorized, "")
	case errors.Is(err, token.ErrRefreshInvalid), errors.Is(err, token.ErrRefreshRevoked):
		h.opts.OnFailure("refresh_invalid")
		return envelope.New(envelope.CodeUnauthorized, "")
	case err != nil:
		h.opts.Logger.ErrorContext(ctx, "rotating refresh token failed", slog.Any("error", err))
		return envelope.New(envelope.CodeServiceUnavailable, "")
	}
	httpserver.AddLogAttrs(c, slog.String("sub", rot.Subject))
	subj := h.policy.Lookup(rot.Subject)
	if !subj.Known || subj.Suspended {
		if err := h.sessions.RevokeSession(ctx, rot.Session); err != nil {
			h.opts.Logger.ErrorContext(ctx, "revoking session failed", slog.Any("error", err))
		}
		if !subj.Known {
			h.opts.OnFailure("unknown_subject")
			return envelope.New(envelope.CodeUnauthorized, "")
		}
		h.opts.OnFailure("suspended")
		return envelope.New(envelope.CodeForbidden, "This client is suspended.")
	}
	signed, _, err := h.tokens.Issue(rot.Subject, subj.Role, rot.Session, jti)
	if err != nil {
		return err
	}
	return envelope.OK(c, h.pair(signed, rot.Refresh), false)
}

// Logout answers POST /api/v1/auth/logout: the bearer token and its session's refresh
// token are revoked, and so is a refresh token given in the body.
func (h *Handlers) Logout(c *fiber.Ctx) error {
	p, ok := PrincipalOf(c)
	if !ok {
		return envelope.New(envelope.CodeUnauthorized, "")
	}
	var req RefreshRequest
	if len(c.Body()) > 0 {
		if err := validate.JSON(c, &req); err != nil {
			return err
		}
	}
	ctx := c.UserContext()
	err := errors.Join(
		h.sessions.RevokeJTI(ctx, p.Claims.JTI, p.Claims.Expiry),
		h.sessions.RevokeSession(ctx, p.Claims.Session),
	)
	if req.RefreshToken != "" {
		err = errors.Join(err, h.sessions.RevokeRefresh(ctx, req.RefreshToken))
	}
	if err != nil {
		h.opts.Logger.ErrorContext(ctx, "logout failed", slog.Any("error", err))
		return envelope.New(envelope.CodeServiceUnavailable, "")
	}
	return envelope.OK(c, Revoked{Revoked: true}, false)
}
