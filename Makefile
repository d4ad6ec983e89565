# Two commands set everything up on a fresh Debian/Ubuntu machine:
#   make demo   installs what is missing, builds, runs `etcdlens demo`
#   make test   installs what is missing, checks formatting and lints, runs every test
#               against etcd 3.4.23 (Debian) and the etcd-facing ones again on
#               3.5 latest, 3.6.16 and 3.7.3 (scripts/fetch-etcd.sh)
.PHONY: demo test build lint bench

CARGO ?= cargo

demo:
	@scripts/ensure-deps.sh demo
	@echo "Building etcdlens (release)…"
	$(CARGO) build --release --locked --bin etcdlens
	./target/release/etcdlens demo

test:
	@scripts/ensure-deps.sh test
	@CARGO=$(CARGO) scripts/test.sh

build:
	$(CARGO) build --release --locked

bench:
	@scripts/ensure-deps.sh test
	bash benches/bench.sh
	$(CARGO) bench --bench frame
