# libecai — build, test, install.
#   make            library (lib/), CLI (bin/ecai), examples
#   make demo       install dependencies if missing, build, run the demo
#   make check      every test suite; ends with "N passed, N failed"
#   make sanitize   C tests under AddressSanitizer + UBSan
#   make install PREFIX=/usr/local
#   make install-python / install-php   the bindings for applications (README "Use from ...")
# Dependencies are installed by scripts/setup-deps.sh (called when build/deps.stamp is missing).

VERSION_MAJOR := $(shell sed -n 's/^\#define ECAI_VERSION_MAJOR \([0-9]*\).*/\1/p' include/ecai/common.h)
VERSION_MINOR := $(shell sed -n 's/^\#define ECAI_VERSION_MINOR \([0-9]*\).*/\1/p' include/ecai/common.h)
VERSION_PATCH := $(shell sed -n 's/^\#define ECAI_VERSION_PATCH \([0-9]*\).*/\1/p' include/ecai/common.h)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)
SONAME  := libecai.so.$(VERSION_MAJOR)
SOFILE  := libecai.so.$(VERSION)

PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
BUILD   ?= build
PYTHON  ?= /usr/bin/python3

CC      ?= cc
CXX     ?= c++
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter
CFLAGS_LIB := -std=c11 $(OPT) $(WARN) -fPIC -fvisibility=hidden -D_GNU_SOURCE -DECAI_BUILDING \
              -Iinclude -Isrc $(FAISS_C_INC) $(EXTRA_CFLAGS)

# build/deps.mk (FAISS_C_LIB, FAISS_C_OBJS, FAISS_C_INC) is written by the setup step;
# make builds it first when missing and then restarts with its values.
ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
include $(BUILD)/deps.mk
endif
FAISS_LIBS := $(FAISS_C_LIB) -lfaiss -llapack -lblas -lgomp
DEP_LIBS   := -lxgboost -lcurl -ljansson -lutf8proc -lstemmer -lcsv -lhiredis -lz -lpthread -lm
ALL_LIBS   := $(FAISS_LIBS) $(DEP_LIBS) -lstdc++

SRC  := $(sort $(wildcard src/*/*.c))
OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRC))
HDRS := include/ecai.h $(wildcard include/ecai/*.h)
MAP  := $(BUILD)/libecai.map

CLI_SRC := $(sort $(wildcard examples/ecai/*.c))
EXAMPLES := $(patsubst examples/%.c,bin/%,$(wildcard examples/*.c))
STAMP := $(BUILD)/deps.mk

.PHONY: all shared static cli examples deps demo check check-c sanitize tsan valgrind install uninstall \
        headertest clean distclean
all: shared static cli examples

deps: $(STAMP)
$(STAMP): scripts/setup-deps.sh
	@ECAI_BUILD=$(abspath $(BUILD)) scripts/setup-deps.sh $(if $(wildcard $(STAMP)),--force,)

# ---- library -------------------------------------------------------------
$(BUILD)/obj/%.o: src/%.c $(HDRS) $(wildcard src/*/*.h) | $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_LIB) -c $< -o $@

$(MAP): $(HDRS) scripts/gen-map.sh
	@mkdir -p $(dir $@)
	scripts/gen-map.sh include > $@.tmp && mv $@.tmp $@

shared: lib/$(SOFILE)
lib/$(SOFILE): $(OBJ) $(MAP) $(STAMP)
	@mkdir -p lib
	$(CXX) -shared -o $@ $(OBJ) -Wl,-soname,$(SONAME) -Wl,--version-script=$(MAP) \
	  -Wl,--no-undefined -Wl,--exclude-libs,ALL -Wl,--as-needed -Wl,-z,relro,-z,now $(ALL_LIBS)
	ln -sf $(SOFILE) lib/$(SONAME)
	ln -sf $(SONAME) lib/libecai.so

static: lib/libecai.a
lib/libecai.a: $(OBJ) $(STAMP)
	@mkdir -p lib
	rm -f $@ && ar rcs $@ $(OBJ) $(FAISS_C_OBJS)

# ---- command-line tool and examples (public API only) ------------------------
CFLAGS_APP := -std=c11 $(OPT) $(WARN) -D_GNU_SOURCE -Iinclude
LDFLAGS_APP := -Llib -Wl,-rpath,'$$ORIGIN/../lib' -lecai -lm

cli: bin/ecai
bin/ecai: $(CLI_SRC) $(wildcard examples/ecai/*.h) $(HDRS) lib/$(SOFILE)
	@mkdir -p bin
	$(CC) $(CFLAGS_APP) -Iexamples/ecai $(CLI_SRC) -o $@ $(LDFLAGS_APP) -ljansson -lz

examples: $(EXAMPLES)
bin/%: examples/%.c $(HDRS) lib/$(SOFILE)
	@mkdir -p bin
	$(CC) $(CFLAGS_APP) $< -o $@ $(LDFLAGS_APP)

demo: all
	@bin/demo

# ---- tests -------------------------------------------------------------------
TEST_SRC := $(sort $(wildcard tests/unit/*.c))
TEST_CFLAGS := -std=c11 $(OPT) $(WARN) -D_GNU_SOURCE -Iinclude -Isrc -Itests/unit $(FAISS_C_INC)

$(BUILD)/tests/unit: $(TEST_SRC) $(wildcard tests/unit/*.h) lib/libecai.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $(TEST_SRC) -o $@ lib/libecai.a $(ALL_LIBS)

check: all $(BUILD)/tests/unit
	@BUILD=$(BUILD) PYTHON=$(PYTHON) scripts/check.sh

check-c: $(BUILD)/tests/unit
	@$(BUILD)/tests/unit

headertest:
	@BUILD=$(BUILD) scripts/check.sh headertest

SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_OBJ := $(patsubst src/%.c,$(BUILD)/asan/obj/%.o,$(SRC))
$(BUILD)/asan/obj/%.o: src/%.c $(HDRS) $(wildcard src/*/*.h) | $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(subst $(OPT),-O1 -g $(SAN),$(CFLAGS_LIB)) -c $< -o $@

$(BUILD)/asan/unit: $(ASAN_OBJ) $(TEST_SRC) $(wildcard tests/unit/*.h)
	$(CC) -std=c11 -O1 -g $(SAN) $(WARN) -D_GNU_SOURCE -Iinclude -Isrc -Itests/unit $(FAISS_C_INC) $(TEST_SRC) \
	  $(ASAN_OBJ) -o $@ $(ALL_LIBS)

sanitize: $(BUILD)/asan/unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  ECAI_TEST_SANITIZER=1 $(BUILD)/asan/unit

# ThreadSanitizer over the concurrency cases (names containing "concurrent" and the
# modules' own "concurrent"/"thread" cases); tests/tsan.supp lists third-party frames only.
TSAN := -fsanitize=thread -fno-omit-frame-pointer
TSAN_OBJ := $(patsubst src/%.c,$(BUILD)/tsan/obj/%.o,$(SRC))
TSAN_CASES ?= concurrent thread
$(BUILD)/tsan/obj/%.o: src/%.c $(HDRS) $(wildcard src/*/*.h) | $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(subst $(OPT),-O1 -g $(TSAN),$(CFLAGS_LIB)) -c $< -o $@

$(BUILD)/tsan/unit: $(TSAN_OBJ) $(TEST_SRC) $(wildcard tests/unit/*.h)
	$(CC) -std=c11 -O1 -g $(TSAN) $(WARN) -D_GNU_SOURCE -Iinclude -Isrc -Itests/unit $(FAISS_C_INC) $(TEST_SRC) \
	  $(TSAN_OBJ) -o $@ $(ALL_LIBS)

tsan: $(BUILD)/tsan/unit
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$(abspath tests/tsan.supp)" \
	  OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE ECAI_TEST_SANITIZER=1 $(BUILD)/tsan/unit $(TSAN_CASES)

# valgrind (memcheck) over the C unit tests, in-process (ECAI_TEST_NOFORK=1), one run
# per selected case so a failure names it; VALGRIND_CASES selects (default: every case
# of the modules below). Slow: minutes, not part of `make check`.
VALGRIND_CASES ?=
valgrind: $(BUILD)/tests/unit
	@tests/tools/valgrind.sh $(BUILD)/tests/unit $(VALGRIND_CASES)

# ---- benchmarks and evaluations ---------------------------------------------------
# tests/bench/bench_*.c: one program each (static library + internals allowed), run by
# scripts/bench.sh; each prints its figures as ratios against a peer measured in the same run.
# tests/eval/eval_*.sh: relevance/quality evaluations on ../shared/data, run by `make eval`.
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
# tests/bench/bench_*.sh: scripted benchmarks (bench_fpm.sh: nginx + php-fpm vs pdo_sqlite FTS5)
BENCH_SH := $(wildcard tests/bench/bench_*.sh)
$(BUILD)/bench/%: tests/bench/%.c $(wildcard tests/bench/*.h) lib/libecai.a
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -g $(WARN) -D_GNU_SOURCE -Iinclude -Isrc -Itests/bench $< -o $@ lib/libecai.a $(ALL_LIBS)

.PHONY: bench eval
bench: all $(BENCH_BIN)
	@BUILD=$(BUILD) scripts/bench.sh $(BENCH_BIN) $(BENCH_SH)

eval: all
	@failed=; for e in tests/eval/eval_*.sh; do [ -f "$$e" ] || continue; echo "== $$e"; bash "$$e" || failed="$$failed $$e"; done; \
	  if [ -n "$$failed" ]; then echo "eval: targets missed or errors in:$$failed"; exit 1; fi

# ---- fuzzing -------------------------------------------------------------------------
# tests/fuzz/fuzz_<name>.c: libFuzzer entry points; seeds in tests/fuzz/corpus/<name>/.
# `make check` replays every corpus through the standalone driver (gcc), built with
# ASan+UBSan over the sanitizer objects of `make sanitize`, so an entry that reads out of
# bounds fails; `make fuzz` runs each target under libFuzzer + ASan for FUZZ_SECONDS
# (clang-14, installed on demand).
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/replay_%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60
$(BUILD)/fuzz/replay_%: tests/fuzz/%.c tests/fuzz/standalone_driver.c tests/fuzz/fuzz_util.h $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -g $(SAN) $(WARN) -D_GNU_SOURCE -Iinclude -Isrc $< tests/fuzz/standalone_driver.c -o $@ \
	  $(ASAN_OBJ) $(ALL_LIBS)

.PHONY: fuzz fuzz-replay
fuzz-replay: $(FUZZ_REPLAY)
check: $(FUZZ_REPLAY) # built before scripts/check.sh runs, in parallel under make -j

fuzz: | $(STAMP)
	@scripts/setup-deps.sh --fuzz
	@$(MAKE) -s fuzz-build
	@for src in $(FUZZ_SRC); do n=$$(basename $$src .c); c=$${n#fuzz_}; mkdir -p $(BUILD)/fuzz/corpus/$$c; \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  $(BUILD)/fuzz/bin/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	    $(BUILD)/fuzz/corpus/$$c tests/fuzz/corpus/$$c 2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' || exit 1; done

FUZZ_OBJ := $(patsubst src/%.c,$(BUILD)/fuzz/obj/%.o,$(SRC))
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
$(BUILD)/fuzz/obj/%.o: src/%.c $(HDRS) $(wildcard src/*/*.h) | $(STAMP)
	@mkdir -p $(dir $@)
	clang-14 $(subst $(OPT),-O1 -g $(FUZZ_FLAGS),$(CFLAGS_LIB)) -c $< -o $@
$(BUILD)/fuzz/bin/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	clang-14 -O1 -g -fsanitize=fuzzer,address,undefined -Iinclude -Isrc $< $(FUZZ_OBJ) -o $@ $(ALL_LIBS)
.PHONY: fuzz-build
.SECONDARY: $(FUZZ_OBJ)
fuzz-build: $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/bin/%,$(FUZZ_SRC))

# ---- ABI ------------------------------------------------------------------------
# abi/libecai.so.0.abi is the committed baseline (libabigail). abi-check fails on an
# incompatible change: abidiff exit 0 = same, 4 = compatible additions; bit 8 = breaks.
.PHONY: abi-dump abi-check
abi-dump: shared
	@mkdir -p abi
	abidw --headers-dir include --no-corpus-path --out-file abi/libecai.so.0.abi lib/$(SOFILE)

abi-check: shared
	@abidw --headers-dir include --no-corpus-path --out-file $(BUILD)/current.abi lib/$(SOFILE)
	@abidiff --headers-dir2 include abi/libecai.so.0.abi $(BUILD)/current.abi > $(BUILD)/abidiff.txt; rc=$$?; \
	 cat $(BUILD)/abidiff.txt; \
	 if [ $$rc -eq 0 ]; then echo "abi-check: unchanged"; \
	 elif [ $$rc -eq 4 ] && ! grep -E 'changes summary: ([1-9][0-9]* Removed|[0-9]+ Removed[^,]*, [1-9][0-9]* Changed)' $(BUILD)/abidiff.txt >/dev/null; \
	 then echo "abi-check: compatible additions only"; \
	 else echo "abi-check: INCOMPATIBLE change (abidiff exit $$rc): existing functions changed or removed"; exit 1; fi

# ---- install -----------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(INCDIR)/ecai $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(BINDIR)
	install -m 644 include/ecai.h $(DESTDIR)$(INCDIR)/
	install -m 644 include/ecai/*.h $(DESTDIR)$(INCDIR)/ecai/
	install -m 755 lib/$(SOFILE) $(DESTDIR)$(LIBDIR)/
	ln -sf $(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libecai.so
	install -m 644 lib/libecai.a $(DESTDIR)$(LIBDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' pkgconfig/ecai.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/ecai.pc
	install -m 755 bin/ecai $(DESTDIR)$(BINDIR)/ecai
	@if [ "$(DESTDIR)$(LIBDIR)" = "/usr/local/lib" ] && command -v ldconfig >/dev/null; then ldconfig; fi

# Bindings for applications: both install the library first (the targets above), then
# scripts/install-bindings.sh (its header lists PYTHON_SITE, PHP_CONFIG, PHP_EXTDIR, PHP_ETC,
# PHP_INI_DIR, which redirect the system locations).
BINDINGS_ENV = PREFIX='$(PREFIX)' LIBDIR='$(LIBDIR)' DESTDIR='$(DESTDIR)' BUILD='$(BUILD)' PYTHON='$(PYTHON)'
.PHONY: install-python install-php uninstall-python uninstall-php
install-python: install
	@$(BINDINGS_ENV) scripts/install-bindings.sh python
install-php: install
	@$(BINDINGS_ENV) scripts/install-bindings.sh php
uninstall-python:
	@$(BINDINGS_ENV) scripts/install-bindings.sh uninstall-python
uninstall-php:
	@$(BINDINGS_ENV) scripts/install-bindings.sh uninstall-php

uninstall:
	rm -f $(DESTDIR)$(INCDIR)/ecai.h $(DESTDIR)$(LIBDIR)/libecai.* $(DESTDIR)$(LIBDIR)/pkgconfig/ecai.pc \
	      $(DESTDIR)$(BINDIR)/ecai
	rm -rf $(DESTDIR)$(INCDIR)/ecai

clean:
	rm -rf $(BUILD)/obj $(BUILD)/tests $(BUILD)/asan $(BUILD)/php $(BUILD)/*.map lib/libecai* bin

distclean: clean
	rm -rf $(BUILD)
