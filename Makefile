# headend: build, test, install. Objects go to build/; V=1 shows commands.

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= /lib/systemd/system
# Linux-PAM reads only /etc/pam.d and /usr/lib/pam.d, whatever SYSCONFDIR.
PAMDIR ?= /etc/pam.d
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
DESTDIR ?=

CC ?= gcc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
	-Wmissing-prototypes -Wstrict-prototypes -Wformat=2 \
	-D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -MMD -MP -Icommon -Iserver
PKGS := openssl libevent libevent_openssl libevent_pthreads libconfig \
	expat json-c libcrypt libcap-ng libseccomp libsodium libsystemd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS += $(PKG_LIBS) -lpam -lpthread
CFLAGS += $(PKG_CFLAGS) -DHEADEND_SYSCONFDIR='"$(SYSCONFDIR)"'

ifeq ($(V),1)
Q :=
else
Q := @
endif

B := build

# SANITIZE=1 builds a second tree with AddressSanitizer and
# UndefinedBehaviorSanitizer; every report stops the process. The seccomp
# filter stays off there (HEADEND_SANITIZE), because LeakSanitizer uses
# ptrace at exit, and _FORTIFY_SOURCE is off because it hides calls from
# ASan's interceptors.
ifeq ($(SANITIZE),1)
B := build/asan
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -U_FORTIFY_SOURCE -DHEADEND_SANITIZE
endif
# Leaks inside libraries that every sanitizer run ignores.
LSAN_SUPP := $(CURDIR)/tests/fuzz/lsan.supp
# Tests that preload libpam_wrapper need ASan to accept the preload and
# pam_wrapper to dlopen libpam without RTLD_DEEPBIND, which ASan rejects.
# pam_wrapper 1.1.4 (Debian 12) reads the UID_ name, later ones the PAM_.
SANITIZE_ENV := LSAN_OPTIONS=suppressions=$(LSAN_SUPP) \
	ASAN_OPTIONS=verify_asan_link_order=0 \
	UID_WRAPPER_DISABLE_DEEPBIND=1 PAM_WRAPPER_DISABLE_DEEPBIND=1
COMMON_SRC := $(wildcard common/*.c)
SERVER_SRC := $(filter-out server/headend.c server/headendctl.c, \
	$(wildcard server/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tests/%)
LOADGEN_SRC := $(wildcard tests/tools/loadgen/*.c)
LOADGEN_OBJ := $(LOADGEN_SRC:%.c=$(B)/%.o)

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
SERVER_OBJ := $(SERVER_SRC:%.c=$(B)/%.o)

all: $(B)/headend $(B)/headendctl

deps:
	$(Q)scripts/install-deps

# The objects compile SYSCONFDIR in, so they are built again when it
# changes; the stamp changes only then.
$(B)/sysconfdir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SYSCONFDIR)' | cmp -s - $@ || echo '$(SYSCONFDIR)' >$@

$(B)/%.o: %.c $(B)/sysconfdir.stamp
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libcommon.a: $(COMMON_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/libserver.a: $(SERVER_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/headend: $(B)/server/headend.o $(B)/libserver.a $(B)/libcommon.a
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(B)/headendctl: $(B)/server/headendctl.o $(B)/libserver.a $(B)/libcommon.a
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libserver.a $(B)/libcommon.a
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  TEST    $@"
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ \
		$(filter %.c %.a,$^) \
		$(LDFLAGS) $(LDLIBS) -lcmocka

$(B)/tests/%: tests/tools/%.c $(B)/libserver.a $(B)/libcommon.a
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  TOOL    $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $(filter %.c %.a,$^) $(LDFLAGS) $(LDLIBS)

# The load generator is several files, so it has a rule of its own.
$(B)/tests/loadgen: $(LOADGEN_OBJ) $(B)/libcommon.a
	@[ "$(V)" = 1 ] || echo "  TOOL    $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $(filter %.o %.a,$^) $(LDFLAGS) $(LDLIBS)

# The preload library of the benchmark's client ceiling runs.
$(B)/tests/rcvbuf.so: tests/bench/rcvbuf.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  LIB     $@"
	$(Q)$(CC) $(CFLAGS) -shared -fPIC -o $@ $< -ldl

# Side-by-side benchmark of headend and ocserv; writes BENCHMARKS.md.
# Not part of check: it takes many minutes.
bench: all $(B)/tests/loadgen $(B)/tests/udpecho $(B)/tests/rcvbuf.so
	$(Q)HEADEND_BUILD=$(CURDIR)/$(B) bash tests/bench/run.sh

unit: $(UNIT_BIN)
	$(Q)fail=0; for t in $(UNIT_BIN); do \
		echo "== $$t"; $$t || fail=1; done; exit $$fail

# The tests find the binaries through HEADEND_BUILD; HEADEND_SANITIZE
# tells them that the seccomp filter is off in this build. Each test
# has its own namespaces and folder, and most of their time is spent
# waiting for protocol timers, so two run at once. The longest start
# first, so that none of them is left running alone at the end.
INTEG_JOBS ?= 2
INTEG_FIRST := tests/integ/48-guesses.sh tests/integ/67-restart.sh
INTEG_TESTS := $(INTEG_FIRST) \
	$(filter-out $(INTEG_FIRST),$(sort $(wildcard tests/integ/[0-9]*.sh)))

integ: all $(TOOL_BIN)
	$(Q)HEADEND_BUILD=$(CURDIR)/$(B) HEADEND_SANITIZE=$(SANITIZE) \
		prove -j$(INTEG_JOBS) -v --timer -e bash $(INTEG_TESTS)

sanitize:
	$(Q)$(SANITIZE_ENV) $(MAKE) --no-print-directory SANITIZE=1 \
		all unit integ

check: deps
	$(Q)$(MAKE) --no-print-directory all unit integ
	$(Q)$(MAKE) --no-print-directory sanitize
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_TIME=2

# libFuzzer targets, one per parser, built with clang into build/fuzz.
# `make fuzz` runs each for FUZZ_TIME seconds, starting from the seeds in
# tests/fuzz/corpus/<name>; new inputs go to build/fuzz/corpus/<name> and
# crashes to build/fuzz/crashes/. A crash fails the target. clang's
# -Wformat=2 rejects the va_list logger in log.c, which gcc accepts, so
# it is left out here; the gcc build still checks every format.
FUZZ_CC ?= clang
FUZZ_TIME ?= 20
FUZZ_DIR := build/fuzz
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra \
	-Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-D_GNU_SOURCE -MMD -MP -Icommon $(PKG_CFLAGS) \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_COMMON_OBJ := $(COMMON_SRC:%.c=$(FUZZ_DIR)/%.o)

$(FUZZ_DIR)/common/%.o: common/%.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_COMMON_OBJ)
	@[ "$(V)" = 1 ] || echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
		$(filter %.c %.o,$^) $(PKG_LIBS)

# fuzz_dtls_peek also reads server/dtls_wire.c, which needs no other file.
$(FUZZ_DIR)/fuzz_dtls_peek: server/dtls_wire.c
$(FUZZ_DIR)/fuzz_dtls_peek: FUZZ_CFLAGS += -Iserver

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	$(Q)fail=0; for t in $(FUZZ_BIN); do \
		name=$${t##*/fuzz_}; \
		mkdir -p $(FUZZ_DIR)/corpus/$$name $(FUZZ_DIR)/crashes; \
		echo "== $$t for $(FUZZ_TIME) s"; \
		if LSAN_OPTIONS=suppressions=$(LSAN_SUPP) $$t \
			-max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/crashes/$$name- \
			$(FUZZ_DIR)/corpus/$$name tests/fuzz/corpus/$$name \
			2>$(FUZZ_DIR)/$$name.log; then \
			grep -E '^stat::(number_of_executed|peak_rss)' \
				$(FUZZ_DIR)/$$name.log; \
		else \
			fail=1; tail -n 40 $(FUZZ_DIR)/$$name.log; \
		fi; \
	done; exit $$fail

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash tests/demo.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(SYSCONFDIR)/headend $(DESTDIR)$(PAMDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR)
	install -m 755 $(B)/headend $(DESTDIR)$(SBINDIR)/headend
	install -m 755 $(B)/headendctl $(DESTDIR)$(BINDIR)/headendctl
	[ -e $(DESTDIR)$(SYSCONFDIR)/headend/headend.conf ] || \
		install -m 640 etc/headend.conf \
			$(DESTDIR)$(SYSCONFDIR)/headend/headend.conf
	install -m 644 etc/pam.d/headend $(DESTDIR)$(PAMDIR)/headend
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
		-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/headend.service > \
		$(DESTDIR)$(SYSTEMDUNITDIR)/headend.service
	install -m 644 systemd/headend.sysusers \
		$(DESTDIR)$(SYSUSERSDIR)/headend.conf
	install -m 644 systemd/headend.tmpfiles \
		$(DESTDIR)$(TMPFILESDIR)/headend.conf
	[ -n "$(DESTDIR)" ] || getent passwd headend >/dev/null || \
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin headend

clean:
	rm -rf $(B)

.PHONY: all bench deps unit integ sanitize check fuzz fuzz-build demo install \
	clean FORCE
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
