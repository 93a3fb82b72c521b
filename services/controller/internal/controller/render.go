package controller

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/football-tracker/backend/pkg/limitconfig"
	gatewayv1alpha1 "github.com/football-tracker/backend/services/controller/api/v1alpha1"
)

// Password bounds: the gateway's own admin password needs 12 characters, and bcrypt
// reads at most 72 bytes (a longer password would be silently truncated by others and
// is refused by x/crypto/bcrypt).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 72
)

// outcome is what the render decided about one ApiClient: its Ready condition and the
// limits it got.
type outcome struct {
	status    metav1.ConditionStatus
	reason    string
	message   string
	effective *gatewayv1alpha1.EffectiveLimits
}

// rendering is the content of both rendered objects and the outcome per client.
type rendering struct {
	rateLimits  []byte
	credentials []byte
	outcomes    map[string]outcome
}

// render turns the ApiClients into the two files. A client that cannot be rendered
// fully gets its reason in its outcome and never fails the render of the others.
func (r *ApiClientReconciler) render(ctx context.Context, items []gatewayv1alpha1.ApiClient) (rendering, error) {
	cfg := limitconfig.Config{Tiers: r.Tiers.Tiers, Clients: map[string]limitconfig.Client{}}
	creds := limitconfig.Credentials{}
	outcomes := make(map[string]outcome, len(items))

	current, err := r.currentCredentials(ctx)
	if err != nil {
		return rendering{}, err
	}

	for i := range items {
		ac := &items[i]
		if !ac.DeletionTimestamp.IsZero() {
			continue
		}
		entry, effective, problem := r.entry(ac)
		if problem != "" {
			outcomes[ac.Name] = outcome{status: metav1.ConditionFalse, reason: gatewayv1alpha1.ReasonInvalidSpec, message: problem}
			continue
		}
		cfg.Clients[ac.Name] = entry
		out := outcome{
			status: metav1.ConditionTrue, reason: gatewayv1alpha1.ReasonRendered, effective: effective,
			message: fmt.Sprintf("rendered with %d requests per minute and %d per day", effective.PerMinute, effective.PerDay),
		}
		if ac.Spec.Suspended {
			out.reason, out.message = gatewayv1alpha1.ReasonSuspended, "rendered as suspended: the gateway refuses the client"
		}
		if ref := ac.Spec.CredentialsSecretRef; ref != nil {
			hash, reason, message, err := r.credential(ctx, ac, current[ac.Name])
			if err != nil {
				return rendering{}, err
			}
			if reason != "" {
				out.status, out.reason, out.message = metav1.ConditionFalse, reason, message+"; the client is rendered without credentials and cannot log in"
			} else {
				creds[ac.Name] = hash
			}
		} else if !ac.Spec.Suspended {
			out.message += "; no credentialsSecretRef, so the client cannot log in"
		}
		outcomes[ac.Name] = out
	}
	r.hashes.keep(creds)

	if err := cfg.Validate(); err != nil {
		// Unreachable while entry() checks every client; refusing beats writing a file
		// every gateway would reject.
		return rendering{}, fmt.Errorf("rendering: %w", err)
	}
	rl, err := cfg.Render()
	if err != nil {
		return rendering{}, err
	}
	cr, err := creds.Render()
	if err != nil {
		return rendering{}, err
	}
	return rendering{rateLimits: rl, credentials: cr, outcomes: outcomes}, nil
}

// entry is the rate-limit entry of a client, or the reason it cannot have one. The API
// server's validation already refuses most bad specs; what it cannot see is the tier
// defaults an override combines with.
func (r *ApiClientReconciler) entry(ac *gatewayv1alpha1.ApiClient) (limitconfig.Client, *gatewayv1alpha1.EffectiveLimits, string) {
	tier := limitconfig.Tier(ac.Spec.Tier)
	if tier == "" {
		tier = limitconfig.TierUser
	}
	e := limitconfig.Client{Tier: tier, Suspended: ac.Spec.Suspended}
	if l := ac.Spec.Limits; l != nil {
		if l.PerMinute != nil {
			e.PerMinute = int(*l.PerMinute)
		}
		if l.PerDay != nil {
			e.PerDay = int(*l.PerDay)
		}
	}
	one := limitconfig.Config{Tiers: r.Tiers.Tiers, Clients: map[string]limitconfig.Client{ac.Name: e}}
	if err := one.Validate(); err != nil {
		return e, nil, err.Error()
	}
	eff := one.Effective(e)
	if eff.PerMinute > eff.PerDay {
		return e, nil, fmt.Sprintf("the effective perMinute (%d) exceeds the effective perDay (%d) of tier %s with its overrides", eff.PerMinute, eff.PerDay, tier)
	}
	// Validate bounds both windows to limitconfig.MaxPerDay, far below the int32 range.
	return e, &gatewayv1alpha1.EffectiveLimits{PerMinute: int32(eff.PerMinute), PerDay: int32(eff.PerDay)}, "" //nolint:gosec // bounded above
}

// credential reads the client's password and returns its bcrypt hash, or a reason and
// message when it cannot. Only API errors other than NotFound are returned as err.
func (r *ApiClientReconciler) credential(ctx context.Context, ac *gatewayv1alpha1.ApiClient, current string) (hash, reason, message string, err error) {
	ref := ac.Spec.CredentialsSecretRef
	key := ref.Key
	if key == "" {
		key = "password"
	}
	var sec corev1.Secret
	if err := r.Get(ctx, types.NamespacedName{Namespace: ac.Namespace, Name: ref.Name}, &sec); err != nil {
		if apierrors.IsNotFound(err) {
			return "", gatewayv1alpha1.ReasonSecretNotFound, fmt.Sprintf("Secret %q not found", ref.Name), nil
		}
		return "", "", "", fmt.Errorf("reading Secret %s of ApiClient %s: %w", ref.Name, ac.Name, err)
	}
	password, ok := sec.Data[key]
	if !ok || len(password) == 0 {
		return "", gatewayv1alpha1.ReasonSecretKeyMissing, fmt.Sprintf("Secret %q has no key %q or it is empty", ref.Name, key), nil
	}
	if len(password) < MinPasswordLength || len(password) > MaxPasswordLength {
		return "", gatewayv1alpha1.ReasonPasswordInvalid, fmt.Sprintf("the password in Secret %q key %q must be %d to %d bytes long, got %d",
			ref.Name, key, MinPasswordLength, MaxPasswordLength, len(password)), nil
	}
	hash, err = r.hashes.hash(ac.Name, password, current, r.BcryptCost)
	if err != nil {
		return "", "", "", fmt.Errorf("hashing the password of ApiClient %s: %w", ac.Name, err)
	}
	return hash, "", "", nil
}

// currentCredentials reads the hashes already rendered, so that an unchanged password
// keeps its hash (bcrypt salts every hash differently: re-hashing would rewrite the
// Secret and reload every gateway on each reconcile).
func (r *ApiClientReconciler) currentCredentials(ctx context.Context) (limitconfig.Credentials, error) {
	var sec corev1.Secret
	err := r.Get(ctx, types.NamespacedName{Namespace: r.Namespace, Name: r.SecretName}, &sec)
	if apierrors.IsNotFound(err) {
		return limitconfig.Credentials{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Secret %s: %w", r.SecretName, err)
	}
	c, err := limitconfig.ParseCredentials(sec.Data[CredentialsKey])
	if err != nil {
		// A hand-edited, broken file is replaced by a fresh render.
		return limitconfig.Credentials{}, nil
	}
	return c, nil
}

// hashCache remembers, per client, the SHA-256 of the password last hashed and its
// bcrypt hash, in memory only. It spares a bcrypt comparison (tens of milliseconds) on
// every reconcile; after a restart the rendered hash is checked once with bcrypt.
type hashCache struct {
	mu      sync.Mutex
	entries map[string]hashEntry
}

type hashEntry struct {
	sum  [sha256.Size]byte
	hash string
}

func (c *hashCache) hash(name string, password []byte, current string, cost int) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]hashEntry{}
	}
	sum := sha256.Sum256(password)
	e, known := c.entries[name]
	switch {
	case known && e.sum == sum && (current == "" || current == e.hash):
		return e.hash, nil
	case current != "" && bcrypt.CompareHashAndPassword([]byte(current), password) == nil:
		c.entries[name] = hashEntry{sum: sum, hash: current}
		return current, nil
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword(password, cost)
	if err != nil {
		return "", err
	}
	passwordHashes.Inc()
	c.entries[name] = hashEntry{sum: sum, hash: string(h)}
	return string(h), nil
}

// keep forgets the clients that are no longer rendered with credentials.
func (c *hashCache) keep(creds limitconfig.Credentials) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.entries {
		if _, ok := creds[name]; !ok {
			delete(c.entries, name)
		}
	}
}
