// Package controller reconciles ApiClient objects into the gateway's configuration: one
// ConfigMap holding the rate-limit file and one Secret holding the client credentials,
// both rendered from every ApiClient of the watched namespace.
package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/football-tracker/backend/pkg/limitconfig"
	gatewayv1alpha1 "github.com/football-tracker/backend/services/controller/api/v1alpha1"
)

// Keys of the rendered objects' data: the file names the gateway reads.
const (
	RateLimitsKey  = "ratelimits.yaml"
	CredentialsKey = "credentials.yaml"
)

// Labels put on the rendered objects so that people and tools find them
// (`kubectl get cm,secret -l app.kubernetes.io/managed-by=football-tracker-controller`).
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelComponent = "app.kubernetes.io/component"
	ManagedBy      = "football-tracker-controller"
)

// errStale marks a write refused because the cache was behind the API server (a create
// of an object that exists, an update of an old resourceVersion).
var errStale = errors.New("cache behind the API server")

// staleRetry is how soon a render refused as stale is retried; the watch event of the
// write that made it stale usually triggers a render sooner.
const staleRetry = 250 * time.Millisecond

// secretRefIndex indexes ApiClients by the name of the Secret they reference, so a
// Secret event finds its clients without listing them all.
const secretRefIndex = ".spec.credentialsSecretRef.name" //nolint:gosec // a field path, not a credential

// ApiClientReconciler renders the ApiClients of one namespace.
//
// Every reconcile renders the whole namespace, because both rendered objects aggregate
// all clients; the output is deterministic and written only when it changes, so the
// extra renders cost a cache read, not an API write. The status of the requested
// ApiClient is then updated from the same render.
type ApiClientReconciler struct { //nolint:revive // named after the ApiClient kind, as kubebuilder names reconcilers
	client.Client

	// Namespace is the one namespace watched and rendered.
	Namespace string
	// ConfigMapName and SecretName name the rendered objects.
	ConfigMapName string
	SecretName    string
	// Tiers holds the tier defaults (its Clients are ignored).
	Tiers limitconfig.Config
	// BcryptCost is the cost of new password hashes; 0 means bcrypt.DefaultCost.
	BcryptCost int

	hashes hashCache
}

// +kubebuilder:rbac:groups=gateway.footballtracker.dev,resources=apiclients,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.footballtracker.dev,resources=apiclients/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update

// Reconcile renders the namespace's ApiClients and records the outcome in the status of
// the requested one.
func (r *ApiClientReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)

	var list gatewayv1alpha1.ApiClientList
	if err := r.List(ctx, &list, client.InNamespace(r.Namespace)); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing ApiClients: %w", err)
	}
	rendering, err := r.render(ctx, list.Items)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.apply(ctx, rendering); err != nil {
		if errors.Is(err, errStale) {
			// The cache has not seen our own last write yet: not an error, try again soon.
			log.V(1).Info("rendered objects changed since read, retrying", "error", err.Error())
			return ctrl.Result{RequeueAfter: staleRetry}, nil
		}
		return ctrl.Result{}, err
	}

	i := slices.IndexFunc(list.Items, func(ac gatewayv1alpha1.ApiClient) bool { return ac.Name == req.Name })
	if req.Namespace != r.Namespace || i < 0 {
		// Deleted, or a render triggered by a Secret or the rendered objects themselves.
		return ctrl.Result{}, nil
	}
	ac := &list.Items[i]
	if !ac.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	changed, err := r.updateStatus(ctx, ac, rendering.outcomes[ac.Name])
	if err != nil {
		return ctrl.Result{}, err
	}
	if changed {
		out := rendering.outcomes[ac.Name]
		log.Info("ApiClient status updated", "ready", out.status, "reason", out.reason, "message", out.message)
	}
	return ctrl.Result{}, nil
}

// apply writes the rendered ConfigMap and Secret when their content differs.
func (r *ApiClientReconciler) apply(ctx context.Context, rd rendering) error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: r.ConfigMapName, Namespace: r.Namespace}}
	if err := r.write(ctx, cm, "configmap", "rate-limits", func() bool {
		if cm.Data[RateLimitsKey] == string(rd.rateLimits) && len(cm.Data) == 1 && len(cm.BinaryData) == 0 {
			return false
		}
		cm.Data, cm.BinaryData = map[string]string{RateLimitsKey: string(rd.rateLimits)}, nil
		return true
	}); err != nil {
		return err
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: r.SecretName, Namespace: r.Namespace}}
	return r.write(ctx, sec, "secret", "client-credentials", func() bool {
		if string(sec.Data[CredentialsKey]) == string(rd.credentials) && len(sec.Data) == 1 && len(sec.StringData) == 0 {
			return false
		}
		sec.Data, sec.StringData = map[string][]byte{CredentialsKey: rd.credentials}, nil
		return true
	})
}

// write creates obj or updates it when mutate (given the live object) or the labels say
// it differs. An update carries the resourceVersion read, so a concurrent writer makes
// it fail with a conflict and the reconcile is retried instead of overwriting.
func (r *ApiClientReconciler) write(ctx context.Context, obj client.Object, kind, component string, mutate func() bool) error {
	err := r.Get(ctx, client.ObjectKeyFromObject(obj), obj)
	switch {
	case apierrors.IsNotFound(err):
		mutate()
		obj.SetLabels(map[string]string{LabelManagedBy: ManagedBy, LabelComponent: component})
		if err := r.Create(ctx, obj); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("creating %s %s: %w", kind, obj.GetName(), errStale)
			}
			return fmt.Errorf("creating %s %s: %w", kind, obj.GetName(), err)
		}
		renderWrites.WithLabelValues(kind, "created").Inc()
		logf.FromContext(ctx).Info("rendered object created", "kind", kind, "name", obj.GetName())
		return nil
	case err != nil:
		return fmt.Errorf("reading %s %s: %w", kind, obj.GetName(), err)
	}
	changed := mutate()
	labels := obj.GetLabels()
	if labels[LabelManagedBy] != ManagedBy || labels[LabelComponent] != component {
		labels = maps.Clone(labels)
		if labels == nil {
			labels = map[string]string{}
		}
		labels[LabelManagedBy], labels[LabelComponent] = ManagedBy, component
		obj.SetLabels(labels)
		changed = true
	}
	if !changed {
		renderWrites.WithLabelValues(kind, "unchanged").Inc()
		return nil
	}
	if err := r.Update(ctx, obj); err != nil {
		if apierrors.IsConflict(err) {
			return fmt.Errorf("updating %s %s: %w", kind, obj.GetName(), errStale)
		}
		return fmt.Errorf("updating %s %s: %w", kind, obj.GetName(), err)
	}
	renderWrites.WithLabelValues(kind, "updated").Inc()
	logf.FromContext(ctx).Info("rendered object updated", "kind", kind, "name", obj.GetName())
	return nil
}

// updateStatus patches the status when the outcome changes it; an unchanged outcome
// writes nothing, so steady-state reconciles cause no API traffic.
func (r *ApiClientReconciler) updateStatus(ctx context.Context, ac *gatewayv1alpha1.ApiClient, out outcome) (bool, error) {
	want := ac.Status.DeepCopy()
	want.ObservedGeneration = ac.Generation
	want.EffectiveLimits = out.effective
	meta.SetStatusCondition(&want.Conditions, metav1.Condition{
		Type:               gatewayv1alpha1.ConditionReady,
		Status:             out.status,
		Reason:             out.reason,
		Message:            out.message,
		ObservedGeneration: ac.Generation,
	})
	if equality.Semantic.DeepEqual(*want, ac.Status) {
		return false, nil
	}
	patch := client.MergeFrom(ac.DeepCopy())
	ac.Status = *want
	if err := r.Status().Patch(ctx, ac, patch); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("updating status of ApiClient %s: %w", ac.Name, err)
	}
	return true, nil
}

// SetupWithManager registers the controller: ApiClients, the Secrets they reference and
// the rendered objects themselves (a hand-deleted ConfigMap is rendered again).
func (r *ApiClientReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if r.Namespace == "" || r.ConfigMapName == "" || r.SecretName == "" {
		return errors.New("setting up the ApiClient controller: namespace and rendered object names are required")
	}
	if len(r.Tiers.Tiers) == 0 {
		r.Tiers = limitconfig.Defaults()
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &gatewayv1alpha1.ApiClient{}, secretRefIndex, func(o client.Object) []string {
		ac := o.(*gatewayv1alpha1.ApiClient)
		if ac.Spec.CredentialsSecretRef == nil {
			return nil
		}
		return []string{ac.Spec.CredentialsSecretRef.Name}
	}); err != nil {
		return fmt.Errorf("indexing ApiClients by Secret: %w", err)
	}

	// One render at start, so the gateway's ConfigMap exists (with the tier defaults)
	// even before the first ApiClient is created.
	start := make(chan event.TypedGenericEvent[*corev1.ConfigMap], 1)
	start <- event.TypedGenericEvent[*corev1.ConfigMap]{Object: &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: r.ConfigMapName, Namespace: r.Namespace},
	}}

	return ctrl.NewControllerManagedBy(mgr).
		For(&gatewayv1alpha1.ApiClient{}).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.requestsForSecret)).
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.renderRequest),
			builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
				return o.GetNamespace() == r.Namespace && o.GetName() == r.ConfigMapName
			}))).
		WatchesRawSource(source.Channel(start, handler.TypedEnqueueRequestsFromMapFunc(
			func(ctx context.Context, cm *corev1.ConfigMap) []reconcile.Request { return r.renderRequest(ctx, cm) }))).
		Named("apiclient").
		Complete(r)
}

// renderRequest is the request of a render that updates no ApiClient's status.
func (r *ApiClientReconciler) renderRequest(context.Context, client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: r.Namespace, Name: r.ConfigMapName}}}
}

// requestsForSecret maps a Secret event to the ApiClients referencing the Secret, so a
// password rotation (or a Secret created late) re-renders them, and to a render when
// the rendered Secret itself changed under us.
func (r *ApiClientReconciler) requestsForSecret(ctx context.Context, o client.Object) []reconcile.Request {
	if o.GetNamespace() != r.Namespace {
		return nil
	}
	if o.GetName() == r.SecretName {
		return r.renderRequest(ctx, o)
	}
	var list gatewayv1alpha1.ApiClientList
	if err := r.List(ctx, &list, client.InNamespace(r.Namespace), client.MatchingFields{secretRefIndex: o.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "listing the ApiClients of a Secret", "secret", o.GetName())
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, ac := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&ac)})
	}
	return reqs
}
