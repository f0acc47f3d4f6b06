# mach86 — the front door. `make run` boots the default image; `make test` runs every tier.
# Both install npm dependencies on first use (npm ci from package-lock.json).

NODE_STAMP := node_modules/.mach86-installed
SOURCES := $(shell find cli boot emulator kernel bench -name '*.ts' 2>/dev/null)
MACH86 := node dist/mach86.mjs

.PHONY: all build images run test test-unit test-emu test-boot test-fuzz lint typecheck bench clean

all: build images

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: dist/mach86.mjs

dist/mach86.mjs: $(NODE_STAMP) $(SOURCES) build.mjs
	node build.mjs

images:
	$(MAKE) -C images

run: build images
	$(MACH86) boot --kernel build/images/hello.elf

typecheck: $(NODE_STAMP)
	npx tsc --noEmit

lint: $(NODE_STAMP)
	npx eslint .
	npx tsc --noEmit

test: lint build images
	npx vitest run

test-unit test-emu test-boot test-fuzz: build images
	npx vitest run test/$(subst test-,,$@)

bench: build images
	node build/bench/run.mjs

clean:
	rm -rf dist build
	$(MAKE) -C images clean
