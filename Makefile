# headend: build, test, install. Objects go to build/; V=1 shows commands.

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= /lib/systemd/system
PAMDIR ?= $(SYSCONFDIR)/pam.d
DESTDIR ?=

CC ?= gcc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
	-Wmissing-prototypes -Wstrict-prototypes -Wformat=2 \
	-D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -MMD -MP -Icommon -Iserver
PKGS := openssl libevent libevent_openssl libevent_pthreads libconfig \
	expat json-c libcrypt libcap-ng libsystemd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS += $(PKG_LIBS) -lpam -lpthread
CFLAGS += $(PKG_CFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

B := build
COMMON_SRC := $(wildcard common/*.c)
SERVER_SRC := $(filter-out server/headend.c server/headendctl.c, \
	$(wildcard server/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tests/%)

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
SERVER_OBJ := $(SERVER_SRC:%.c=$(B)/%.o)

all: $(B)/headend $(B)/headendctl

deps:
	$(Q)scripts/install-deps

$(B)/%.o: %.c
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
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $^ \
		$(LDFLAGS) $(LDLIBS) -lcmocka

$(B)/tests/%: tests/tools/%.c $(B)/libserver.a $(B)/libcommon.a
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  TOOL    $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

unit: $(UNIT_BIN)
	$(Q)fail=0; for t in $(UNIT_BIN); do \
		echo "== $$t"; $$t || fail=1; done; exit $$fail

integ: all $(TOOL_BIN)
	$(Q)prove -v -e bash tests/integ/[0-9]*.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all unit integ

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash tests/demo.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(SYSCONFDIR)/headend $(DESTDIR)$(PAMDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 755 $(B)/headend $(DESTDIR)$(SBINDIR)/headend
	install -m 755 $(B)/headendctl $(DESTDIR)$(BINDIR)/headendctl
	[ -e $(DESTDIR)$(SYSCONFDIR)/headend/headend.conf ] || \
		install -m 640 etc/headend.conf \
			$(DESTDIR)$(SYSCONFDIR)/headend/headend.conf
	install -m 644 etc/pam.d/headend $(DESTDIR)$(PAMDIR)/headend
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/headend.service > \
		$(DESTDIR)$(SYSTEMDUNITDIR)/headend.service
	[ -n "$(DESTDIR)" ] || getent passwd headend >/dev/null || \
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin headend

clean:
	rm -rf $(B)

.PHONY: all deps unit integ check demo install clean
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
