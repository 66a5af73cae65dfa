# auditlog_fdw: PGXS build.  `make`, `make install`, then `bash test/run-tests.sh`
# (never `make check`: under PGXS it is a silent no-op).
MODULE_big = auditlog_fdw
OBJS = auditlog_fdw.o \
	$(patsubst %.c,%.o,$(sort $(wildcard src/*.c))) \
	$(patsubst %.c,%.o,$(sort $(wildcard src/vendors/*.c)))
PGFILEDESC = "auditlog_fdw - SaaS admin audit logs as foreign tables"

EXTENSION = auditlog_fdw
DATA = auditlog_fdw--0.1.sql auditlog_fdw--0.1--0.2.sql auditlog_fdw--0.2--0.3.sql

# pg_regress against the vendor emulator; test/run-tests.sh sets it all up
REGRESS = setup options vendor_time zendesk_scan zendesk_pushdown zendesk_errors koreai zoho_mail zscaler resolver pushdown_policy robustness security faults pushdown_cost json_style async concurrency budget sync

PKG_CONFIG ?= pkg-config
PG_CPPFLAGS = -I$(srcdir)/src $(shell $(PKG_CONFIG) --cflags libcurl jansson)
SHLIB_LINK = $(shell $(PKG_CONFIG) --libs libcurl jansson)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild everything when a header changes
$(OBJS): $(wildcard src/*.h src/vendors/*.h)
