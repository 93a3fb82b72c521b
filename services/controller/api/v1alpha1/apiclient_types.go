package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Tier is the rate-limit tier a client belongs to; its limits are the defaults the
// client's own limits override.
// +kubebuilder:validation:Enum=anonymous;user;admin
type Tier string

// The tiers of the gateway.
const (
	TierAnonymous Tier = "anonymous"
	TierUser      Tier = "user"
	TierAdmin     Tier = "admin"
)

// Limits override the tier's limits. Either window may be given alone; the other keeps
// the tier's value.
// +kubebuilder:validation:XValidation:rule="has(self.perMinute) || has(self.perDay)",message="limits must set perMinute, perDay or both; omit limits to use the tier's"
// +kubebuilder:validation:XValidation:rule="!has(self.perMinute) || !has(self.perDay) || self.perMinute <= self.perDay",message="perMinute must not exceed perDay"
type Limits struct {
	// PerMinute is the number of requests allowed per minute.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	// +optional
	PerMinute *int32 `json:"perMinute,omitempty"`

	// PerDay is the number of requests allowed per day.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000000
	// +optional
	PerDay *int32 `json:"perDay,omitempty"`
}

// SecretKeyRef names a key of a Secret in the ApiClient's namespace.
type SecretKeyRef struct {
	// Name is the Secret's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Name string `json:"name"`

	// Key is the key of the Secret's data holding the client's password.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +kubebuilder:default=password
	// +optional
	Key string `json:"key,omitempty"`
}

// ApiClientSpec is what the platform engineer declares about a client application.
type ApiClientSpec struct { //nolint:revive // the kind is spelled ApiClient (DESIGN.md) and controller-gen names kinds after types
	// Tier is the client's rate-limit tier: anonymous, user or admin. A client that logs
	// in gets the role admin when its tier is admin, user otherwise.
	// +kubebuilder:default=user
	// +optional
	Tier Tier `json:"tier,omitempty"`

	// Limits override the tier's per-minute and per-day limits.
	// +optional
	Limits *Limits `json:"limits,omitempty"`

	// CredentialsSecretRef names the Secret key holding the client's password. The
	// gateway only ever sees its bcrypt hash. Without it the client cannot log in.
	// +optional
	CredentialsSecretRef *SecretKeyRef `json:"credentialsSecretRef,omitempty"`

	// Suspended keeps the client in the configuration but makes the gateway refuse it.
	// +kubebuilder:default=false
	// +optional
	Suspended bool `json:"suspended,omitempty"`
}

// EffectiveLimits are the limits the gateway enforces for the client: its tier's with
// its overrides applied.
type EffectiveLimits struct {
	PerMinute int32 `json:"perMinute"`
	PerDay    int32 `json:"perDay"`
}

// ConditionReady says whether the client is rendered into the gateway's configuration
// as its spec asks.
const ConditionReady = "Ready"

// Reasons of the Ready condition.
const (
	// ReasonRendered: the client and, when it has a Secret, its password hash are rendered.
	ReasonRendered = "Rendered"
	// ReasonSuspended: the client is rendered marked suspended; the gateway refuses it.
	ReasonSuspended = "Suspended"
	// ReasonSecretNotFound: the referenced Secret does not exist; the client is rendered
	// without credentials, so it cannot log in.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonSecretKeyMissing: the Secret exists but lacks the key, or the value is empty.
	ReasonSecretKeyMissing = "SecretKeyMissing"
	// ReasonPasswordInvalid: the password is too short or too long for bcrypt.
	ReasonPasswordInvalid = "PasswordInvalid"
	// ReasonInvalidSpec: the spec passed the API server's validation but cannot be
	// rendered (for example an override making perMinute exceed the tier's perDay); the
	// client is left out of the configuration and the others are unaffected.
	ReasonInvalidSpec = "InvalidSpec"
)

// ApiClientStatus is what the controller observed and rendered.
type ApiClientStatus struct { //nolint:revive // the kind is spelled ApiClient (DESIGN.md) and controller-gen names kinds after types
	// Conditions holds the Ready condition.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the generation of the spec the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// EffectiveLimits are the limits the gateway enforces for the client.
	// +optional
	EffectiveLimits *EffectiveLimits `json:"effectiveLimits,omitempty"`
}

// ApiClient is a client application of the gateway (the Chrome extension, the mobile
// app…): its rate-limit tier and overrides, and the Secret holding its password. The
// controller renders all ApiClients of a namespace into the gateway's rate-limit
// ConfigMap and client-credentials Secret.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ac,categories=football-tracker
// +kubebuilder:printcolumn:name="Tier",type=string,JSONPath=`.spec.tier`
// +kubebuilder:printcolumn:name="Per-Minute",type=integer,JSONPath=`.status.effectiveLimits.perMinute`
// +kubebuilder:printcolumn:name="Per-Day",type=integer,JSONPath=`.status.effectiveLimits.perDay`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Suspended",type=boolean,JSONPath=`.spec.suspended`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ApiClient struct { //nolint:revive // the kind is spelled ApiClient (DESIGN.md) and controller-gen names kinds after types
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ApiClientSpec `json:"spec"`

	// +optional
	Status ApiClientStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ApiClientList is a list of ApiClients.
type ApiClientList struct { //nolint:revive // the kind is spelled ApiClient (DESIGN.md) and controller-gen names kinds after types
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ApiClient `json:"items"`
}
