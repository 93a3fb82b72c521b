// Package v1alpha1 contains the API of the gateway.footballtracker.dev group: the
// ApiClient kind, one object per client application of the gateway.
// +kubebuilder:object:generate=true
// +groupName=gateway.footballtracker.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of the objects in this package.
	GroupVersion = schema.GroupVersion{Group: "gateway.footballtracker.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Go types of this package with a scheme. It comes from
	// apimachinery, so importing the API pulls in no controller-runtime.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this group-version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &ApiClient{}, &ApiClientList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
