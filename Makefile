# Football Tracker backend. `make help` lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c

BIN_DIR ?= $(CURDIR)/bin
TOOLS_DIR ?= $(BIN_DIR)/tools
SERVICES := gateway cache provider-adapter controller
HACK_PROGRAMS := devstack providerstub

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
