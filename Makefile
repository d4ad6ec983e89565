# Two commands set everything up on a fresh Debian/Ubuntu machine:
#   make demo   installs what is missing, builds, runs `etcdlens demo`
#   make test   installs what is missing, checks formatting and lints, runs every test
.PHONY: demo test build lint bench

CARGO ?= cargo

demo:
	@scripts/ensure-deps.sh demo
	@echo "Building etcdlens (release)…"
	$(CARGO) build --release --locked --bin etcdlens
	./target/release/etcdlens demo

test:
	@scripts/ensure-deps.sh test
	@echo "Checking formatting and lints…"
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	@echo "Running the tests (they start their own etcd processes on free loopback ports)…"
	$(CARGO) test --locked

build:
	$(CARGO) build --release --locked

bench:
	@scripts/ensure-deps.sh test
	bash benches/bench.sh
	$(CARGO) bench --bench frame
