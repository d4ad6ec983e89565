# Two commands set everything up on a fresh Debian/Ubuntu machine:
#   make demo   installs what is missing, builds, runs `etcdlens demo`
#               (make demo ETCD=3.7.3: on another etcd release, fetched or built
#               once by scripts/fetch-etcd.sh: 3.4.23, 3.5, 3.6.16, 3.7.3)
#   make test   installs what is missing, checks formatting and lints, runs the tests
#               on etcd 3.4.23, 3.5 latest, 3.6.16 and 3.7.3 (scripts/test.sh)
.PHONY: demo test build lint bench

CARGO ?= cargo
ETCD ?=

demo:
	@scripts/ensure-deps.sh demo
	@echo "Building etcdlens (release)…"
	$(CARGO) build --release --locked --bin etcdlens
	@if [ -n "$(ETCD)" ]; then \
	  dir="$$(scripts/fetch-etcd.sh $(ETCD))" || exit 1; \
	  echo "Demo on etcd $(ETCD) ($$dir)"; \
	  ETCDLENS_ETCD="$$dir/etcd" ./target/release/etcdlens demo; \
	else \
	  ./target/release/etcdlens demo; \
	fi

test:
	@scripts/ensure-deps.sh test
	@CARGO=$(CARGO) scripts/test.sh

build:
	$(CARGO) build --release --locked

bench:
	@scripts/ensure-deps.sh test
	bash benches/bench.sh
	$(CARGO) bench --bench frame
