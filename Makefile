# hostport-guard: the two commands a new user needs are `make demo` and `make test`.
# Everything runs with the Node.js 24 that `npm ci` installs into node_modules/.bin
# (the system Node may be older), and the Kubernetes binaries that hack/ builds from
# their Go modules into $(HPG_CACHE).

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export HPG_CACHE ?= $(HOME)/.cache/hostport-guard

JEST := node --experimental-vm-modules node_modules/jest/bin/jest.js

.PHONY: help deps build lint typecheck test test-unit test-integration test-e2e \
        control-plane cluster-up cluster-down demo e2e-kind image image-local bench clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

node_modules/.package-lock.json: package.json package-lock.json
	npm ci
	@touch $@

deps: node_modules/.package-lock.json ## install the locked npm dependencies (Node 24 included)

build: deps ## compile src/ to dist/
	npm run build

lint: deps ## eslint (type-checked rules) and shellcheck over hack/
	npm run lint
	hack/lint-shell.sh

typecheck: deps ## tsc --noEmit over src and tests
	npm run typecheck

test-unit: deps ## unit tests only (no cluster needed)
	$(JEST) --selectProjects unit

control-plane: ## build etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kubelet, kubectl and helm (cached)
	hack/build-control-plane.sh

cluster-up: deps ## start the local cluster: control plane, fake nodes and real nodes; prints export KUBECONFIG=...
	hack/cluster-up.sh

cluster-down: ## stop the local cluster and check that nothing of it is left on the machine
	hack/cluster-down.sh

test-integration: build ## integration tests against the local kube-apiserver
	hack/with-cluster.sh $(JEST) --selectProjects integration --runInBand

test-e2e: build ## end-to-end tests: real API server, scheduler, controllers, kubectl, helm
	hack/with-cluster.sh $(JEST) --selectProjects e2e --runInBand

# The control plane is built first (cached; about 22 minutes cold on 2 cores) so that a
# cold machine fails early on a build problem rather than after the unit tests.
test: deps ## everything: lint, typecheck, unit, integration and end-to-end tests
	hack/build-control-plane.sh
	$(MAKE) lint typecheck build
	$(JEST) --selectProjects unit
	hack/with-cluster.sh $(JEST) --selectProjects integration e2e --runInBand

demo: deps build ## run the webhook on a local cluster and show a rejection
	hack/demo.sh

e2e-kind: deps build ## the end-to-end suite on a kind cluster (needs Docker and kind)
	hack/e2e-kind.sh

image: ## build the container image hostport-guard:dev (needs Docker)
	docker build -t hostport-guard:dev .

image-local: build ## assemble hostport-guard:dev from the Dockerfile without Docker and load it into the real nodes
	hack/image-local.sh

bench: deps build ## benchmarks; rewrites docs/benchmarks.md
	hack/bench.sh

clean: ## remove build output (the control-plane cache stays)
	rm -rf dist coverage
