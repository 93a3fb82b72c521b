# Football Tracker backend. `make help` lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c

BIN_DIR ?= $(CURDIR)/bin
TOOLS_DIR ?= $(BIN_DIR)/tools
SERVICES := gateway cache provider-adapter controller
HACK_PROGRAMS := devstack providerstub baseline bench

# Pinned tool versions.
CONTROLLER_GEN_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0

CONTROLLER_GEN ?= $(TOOLS_DIR)/controller-gen-$(CONTROLLER_GEN_VERSION)
GOLANGCI_LINT ?= $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)

MODULE_PKGS = $(shell go list -m -f '{{.Dir}}' | sed "s\#^$(CURDIR)\#.\#; s\#\$$\#/...\#")

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: run
run: build ## Start gateway (:8080), cache and provider-adapter; OFFLINE=1 replays recorded provider data.
	@OFFLINE="$(OFFLINE)" BIN_DIR="$(BIN_DIR)" "$(BIN_DIR)/devstack"

.PHONY: fmt
fmt: ## Format the code.
	gofmt -w $(shell git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet on every module.
	go vet $(MODULE_PKGS)

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint on every module.
	$(GOLANGCI_LINT) run $(MODULE_PKGS)

##@ Testing

.PHONY: test
test: ## Run every test with -race against real Redis, a real API server and real processes (installs what is missing).
	hack/test.sh

##@ Code generation

CONTROLLER_DIR := services/controller
APICLIENT_CRD := gateway.footballtracker.dev_apiclients.yaml
# Only generated paths: hand-written work in progress elsewhere never fails the check.
GENERATED := ':(glob)$(CONTROLLER_DIR)/api/**/zz_generated.*.go' manifests/crd manifests/rbac charts/football-tracker/crds

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate the controller's deepcopy code from its API markers.
	cd $(CONTROLLER_DIR) && $(CONTROLLER_GEN) object paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the ApiClient CRD and the controller's RBAC from markers (manifests/ and the chart's crds/).
	cd $(CONTROLLER_DIR) && $(CONTROLLER_GEN) rbac:roleName=football-tracker-controller crd paths=./... \
		output:crd:artifacts:config=$(CURDIR)/manifests/crd output:rbac:artifacts:config=$(CURDIR)/manifests/rbac
	@mkdir -p charts/football-tracker/crds
	cp manifests/crd/$(APICLIENT_CRD) charts/football-tracker/crds/$(APICLIENT_CRD)

.PHONY: verify-generated
verify-generated: generate manifests ## Fail when `make generate manifests` changes or adds files (generated code drifted from its markers).
	@if ! git diff --quiet -- $(GENERATED) || [[ -n "$$(git ls-files --others --exclude-standard -- $(GENERATED))" ]]; then \
		echo "verify-generated: generated files differ from the committed ones; run 'make generate manifests' and commit:" >&2; \
		git status --short -- $(GENERATED) >&2; \
		git diff --stat -- $(GENERATED) >&2; \
		exit 1; \
	fi

##@ Benchmarks

.PHONY: bench
bench: build ## Measure the hot path next to a bare-fiber baseline with wrk and write bench/results/ (BENCH_DURATION per scenario, default 10s). Not part of `make test`.
	hack/ensure-redis.sh
	hack/bench/ensure-wrk.sh
	BIN_DIR="$(BIN_DIR)" "$(BIN_DIR)/bench"

##@ Build

.PHONY: build
build: ## Build the four services (and the dev programs) into bin/.
	@mkdir -p "$(BIN_DIR)"
	CGO_ENABLED=0 go build -trimpath -o "$(BIN_DIR)/" $(foreach s,$(SERVICES),./services/$(s)/cmd/$(s)) $(foreach p,$(HACK_PROGRAMS),./hack/$(p))

.PHONY: clean
clean: ## Remove built binaries and tools.
	rm -rf "$(BIN_DIR)"

##@ Tools

$(GOLANGCI_LINT):
	@mkdir -p "$(TOOLS_DIR)"
	GOBIN="$(TOOLS_DIR)" GOWORK=off go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv "$(TOOLS_DIR)/golangci-lint" "$@"

$(CONTROLLER_GEN):
	@mkdir -p "$(TOOLS_DIR)"
	GOBIN="$(TOOLS_DIR)" GOWORK=off go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)
	mv "$(TOOLS_DIR)/controller-gen" "$@"

.PHONY: envtest
envtest: ## Build (once) the kube-apiserver and etcd the controller and chart tests run against.
	@hack/envtest-assets.sh
