/*-------------------------------------------------------------------------
 * vendor.h
 *	  The interface every vendor module implements, and the services the
 *	  core offers to vendor modules.
 *
 * A vendor is a static AlfVendor: its column catalogue, the qual shapes it
 * can send, how to describe and build its requests, and a batch iterator
 * that runs the vendor's paging or report flow.  The core (planner, HTTP,
 * tuple building, executor glue) never looks inside a vendor, so adding a
 * vendor means adding one file here and one line to registry.c.
 *-------------------------------------------------------------------------
 */
#ifndef ALF_VENDOR_H
#define ALF_VENDOR_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/timestamp.h"

#include "json_page.h"

/*
 * jansson's json_t, declared here without <jansson.h>: that header clashes
 * with utils/builtins.h (both declare json_object), so only files that call
 * jansson include it, and those must not include builtins.h.
 */
typedef struct json_t json_t;

struct AlfOptions;
struct AlfHttpClient;
struct AlfHttpResponse;
struct AlfVendorScan;
struct AlfHttpPending;

/* How a vendor field's value becomes a column value. */
typedef enum AlfValueKind
{
	ALF_VALUE_PLAIN,			/* through the column type's input function */
	ALF_VALUE_EPOCH_MS,			/* integer milliseconds since 1970 */
	ALF_VALUE_TIMESTAMP,		/* text timestamp, any format timeparse.c reads */
	ALF_VALUE_JSON_TEXT,		/* a string holding a JSON document */
	ALF_VALUE_RECORD			/* the whole record */
} AlfValueKind;

/* Qual shapes a vendor can send for one column. */
#define ALF_PUSH_EQ		0x01	/* column = value */
#define ALF_PUSH_IN		0x02	/* column IN (...) / = ANY (array) */
#define ALF_PUSH_RANGE	0x04	/* <, <=, >, >=, = on the time column */
/*
 * The vendor's spelling of this filter (its key or its values) is not
 * confirmed by the vendor's documents ([I]/[U] in vendors.md).  A wrong
 * guess could make the vendor drop rows that match in SQL, so such a
 * condition stays local unless the option push_unconfirmed_filters is on.
 */
#define ALF_PUSH_UNCONFIRMED 0x08

#define ALF_MAX_FIELD_NAMES 4

typedef struct AlfColumnDef
{
	const char *name;			/* SQL column name (IMPORT FOREIGN SCHEMA) */
	const char *type_name;		/* SQL type as written in the generated DDL */
	AlfValueKind kind;
	const char *fields[ALF_MAX_FIELD_NAMES];	/* vendor field names, NULL-ended;
												 * matched ignoring case, spaces,
												 * hyphens, underscores */
	uint8		push;			/* ALF_PUSH_* */
} AlfColumnDef;

typedef enum AlfSortDir
{
	ALF_SORT_NONE = 0,
	ALF_SORT_ASC,
	ALF_SORT_DESC
} AlfSortDir;

/* One bound of the time range the scan asks for. */
typedef struct AlfTimeBound
{
	TimestampTz value;			/* the bound (pinned when not from the query) */
	bool		inclusive;
	bool		from_query;		/* false: pinned "now", retention or epoch */
	const char *display;		/* EXPLAIN only: how to show a non-constant bound */
} AlfTimeBound;

/* One pushed condition on a non-time column, evaluated to text values. */
typedef struct AlfColumnFilter
{
	int			column;			/* index into the vendor's catalogue */
	bool		is_in;			/* came from IN / = ANY */
	int			nvalues;		/* >= 1 */
	char	  **values;			/* output-function text (EXPLAIN: display text) */
} AlfColumnFilter;

/* Everything a scan asks of the vendor, with values evaluated. */
typedef struct AlfScanRequest
{
	bool		explain_only;	/* values are display strings, not data */
	AlfTimeBound lower;
	AlfTimeBound upper;
	List	   *filters;		/* of AlfColumnFilter * */
	AlfSortDir	sort;			/* order of the time column to ask for */
	int			page_size;		/* records per request (paging vendors) */
	double		limit_hint;		/* rows the query needs at most, or -1 */
	const struct AlfOptions *options;	/* merged table and server options
										 * (alf_option_value) */
} AlfScanRequest;

/*
 * A described HTTP request: method, path below base_url, query parameters
 * in order, optional JSON body.  Used both to build the real request and to
 * show it in EXPLAIN, so the two can never disagree.
 */
typedef struct AlfRequestSpec
{
	const char *method;
	StringInfoData path;		/* below base_url, starting with '/' */
	List	   *param_names;	/* of char * */
	List	   *param_values;	/* of char * (not yet URL-encoded) */
	json_t	   *body;			/* owned; NULL for none */
	const char *accept;			/* Accept header; NULL: application/json */
} AlfRequestSpec;

/*
 * One vendor record: its JSON text, valid UTF-8 and valid JSON (a page's
 * record is a span of the page; a CSV row is written as an object of
 * strings).  Fields are found by walking it (tuple.c, alf_record_member),
 * so no DOM is built per row.
 */
typedef struct AlfRecord
{
	const char *json;
	size_t		len;
} AlfRecord;

/* A batch of records handed from a vendor to the core. */
typedef struct AlfBatch
{
	int			nrecords;
	AlfRecord  *records;		/* text kept alive by the batch context */
} AlfBatch;

/* An option a vendor (or the core) accepts; validated by option.c. */
typedef enum AlfOptionKind
{
	ALF_OPTKIND_STRING,
	ALF_OPTKIND_INT,			/* min..max */
	ALF_OPTKIND_ENUM,			/* one of choices */
	ALF_OPTKIND_URL,			/* https:// (http:// on loopback, superuser) */
	ALF_OPTKIND_CREDENTIAL_URL, /* a URL credentials are sent to: a URL, server
								 * level only, and on base_url's host unless a
								 * superuser sets it */
	ALF_OPTKIND_TIMEZONE,		/* a name PostgreSQL's time zone database knows */
	ALF_OPTKIND_DIGITS,			/* an unsigned decimal id */
	ALF_OPTKIND_BOOL,			/* on/off, true/false, ... (parse_bool) */
	ALF_OPTKIND_FILE			/* X_file for user-mapping option X: an
								 * absolute path the server reads X from */
} AlfOptionKind;

/* where an option may appear: bits of AlfOptionContext in auditlog_fdw.h */
#define ALF_WHERE_SERVER	0x01
#define ALF_WHERE_TABLE		0x02
#define ALF_WHERE_USER		0x04
#define ALF_WHERE_COLUMN	0x08

typedef struct AlfOptionDef
{
	const char *name;
	int			where;			/* ALF_WHERE_* bits */
	AlfOptionKind kind;
	int			min;
	int			max;
	const char *const *choices;
	bool		superuser_only;
	bool		required;		/* server level, for the vendors that list it */
} AlfOptionDef;

typedef enum AlfFlowKind
{
	ALF_FLOW_PAGING,			/* synchronous pages of JSON */
	ALF_FLOW_REPORT				/* asynchronous report/job, CSV download */
} AlfFlowKind;

typedef struct AlfVendor
{
	const char *name;			/* server option vendor */
	const char *display_name;	/* in messages: "Zendesk" */
	const char *table_name;		/* IMPORT FOREIGN SCHEMA creates this */
	const AlfColumnDef *columns;
	int			ncolumns;
	int			time_column;	/* catalogue index of the event time */
	const char *id_column;		/* catalogue name of a unique record id, or
								 * NULL: rows are a multiset (sync) */
	AlfFlowKind flow;
	const char *flow_description;	/* EXPLAIN: "cursor paging" */
	int			max_page_size;	/* 0: not a paging vendor */
	int			default_concurrency;
	int			min_request_interval_ms;	/* pacing: least time between the
											 * starts of two requests of one
											 * scan (0: none); option
											 * min_request_interval_ms */
	int			default_requests_per_minute;	/* the vendor's documented limit:
												 * option max_requests_per_minute
												 * (0: no budget) */
	int			retention_days; /* 0: kept indefinitely */
	bool		can_sort;		/* can return rows ordered by time column */
	bool		split_windows;	/* a scan's time range may run as concurrent
								 * sub-windows, each its own flow (chains.c);
								 * such a flow starts its first page in
								 * begin_scan and exposes next_pending */
	const AlfOptionDef *options;	/* vendor-only options, incl. user mapping */
	int			noptions;
	const char *auth_hint;		/* errhint on 401/403 */

	/*
	 * Plan time: candidate quals are those the catalogue marks pushable; the
	 * vendor may refuse some by clearing their flag (e.g. Zendesk source_id
	 * needs source_type).  May be NULL.
	 */
	void		(*choose_pushdown) (List *candidates);

	/* Describe the first request of a scan.  Must not throw for valid input. */
	void		(*describe_request) (const AlfScanRequest *req, AlfRequestSpec *spec);

	/* Execution: start, produce batches until false, stop (all may throw). */
	void		(*begin_scan) (struct AlfVendorScan *vs);
	bool		(*next_batch) (struct AlfVendorScan *vs, AlfBatch *batch);
	void		(*end_scan) (struct AlfVendorScan *vs);		/* may be NULL */

	/* The vendor's own error text from an error response, or NULL. */
	char	   *(*error_message) (const struct AlfHttpResponse *resp);

	/* True if a response (of any status) means "slow down".  May be NULL. */
	bool		(*is_throttled) (const struct AlfHttpResponse *resp);
} AlfVendor;

/* A candidate qual at plan time, as shown to choose_pushdown. */
typedef struct AlfPushCandidate
{
	int			column;			/* catalogue index */
	int			op;				/* AlfQualOp (quals.c) */
	bool		pushed;			/* vendor clears this to keep it local */
	const char *const_text;		/* value text when a constant, else NULL */
	List	   *const_values;	/* IN with a constant array: its non-NULL
								 * elements as text (char *), else NIL */
} AlfPushCandidate;

/* The state of one running scan, as a vendor sees it. */
typedef struct AlfVendorScan
{
	const AlfVendor *vendor;
	const struct AlfOptions *options;
	List	   *credentials;	/* user mapping DefElems (secrets) */
	const AlfScanRequest *request;
	struct AlfHttpClient *http;
	TimestampTz now;			/* pinned at scan start */
	int			concurrency;
	MemoryContext scan_cxt;		/* lives until the scan ends or rescans */
	MemoryContext batch_cxt;	/* reset before each next_batch call */
	void	   *state;			/* the vendor's own */
	Oid			serverid;
	Oid			userid;
	const char *relname;		/* foreign table, for messages */
	List	   *secrets;		/* of char *: more to scrub (alf_add_secret) */
	bool		time_unfiltered;	/* the vendor set this: its requests carry no
									 * time filter (e.g. a lookup by id), so a
									 * record far outside the range is no
									 * evidence of anything (scan.c) */
	struct AlfHttpPending *next_pending;	/* the vendor sets this: the started
											 * request its next next_batch call
											 * waits on, NULL if none (chains.c
											 * takes pages that are ready first) */
	bool		probe;			/* set by the core: the first page decides
								 * whether the range is split, so do not
								 * prefetch the second */
} AlfVendorScan;

/* in vendors/registry.c */
extern const AlfVendor *alf_vendor_lookup(const char *name);
extern const AlfVendor *const *alf_vendor_all(int *count);

/* in request.c: helpers for vendors */
extern void alf_spec_init(AlfRequestSpec *spec, const char *method);
extern void alf_spec_param(AlfRequestSpec *spec, const char *name, const char *value);
extern char *alf_spec_display(const AlfRequestSpec *spec);
extern char *alf_spec_url(const char *base_url, const AlfRequestSpec *spec);
extern void alf_spec_free_body(AlfRequestSpec *spec);
extern const AlfColumnFilter *alf_request_filter(const AlfScanRequest *req, int column);
extern bool alf_inet_spelling_certain(const char *text);

typedef enum AlfTimeFormat
{
	ALF_TIME_ISO_SECONDS,		/* 2026-11-23T10:00:00Z */
	ALF_TIME_ISO_MILLIS,		/* 2026-11-23T10:00:00.000Z */
	ALF_TIME_EPOCH_MS,			/* 1795428000000 */
	ALF_TIME_EPOCH_S			/* 1795428000 */
} AlfTimeFormat;

/*
 * A time bound as a request parameter: widened outward by widen_usec (so a
 * vendor bound of unknown inclusivity still covers the SQL range; the core
 * drops the extra rows) and rounded outward to the format's precision.  In
 * EXPLAIN mode a non-constant bound is shown by its expression.
 */
extern char *alf_time_param(const AlfScanRequest *req, bool upper,
							AlfTimeFormat fmt, int64 widen_usec);
extern TimestampTz alf_time_widened(const AlfScanRequest *req, bool upper,
									AlfTimeFormat fmt, int64 widen_usec);
extern char *alf_format_time(TimestampTz t, AlfTimeFormat fmt);
/* (core) bounds no format can write: open, or an empty range (false) */
extern bool alf_clamp_time_bounds(const AlfVendor *vendor, AlfScanRequest *req);

/* in vscan.c: services for running vendor flows */
extern const char *alf_credential(const AlfVendorScan *vs, const char *name);
extern void alf_require_credentials(const AlfVendorScan *vs, const char *const *any_of_sets[]);
extern void alf_add_secret(AlfVendorScan *vs, const char *secret);
extern struct AlfHttpResponse *alf_vendor_request(AlfVendorScan *vs, const AlfRequestSpec *spec,
												  List *headers);
extern struct AlfHttpPending *alf_vendor_start(AlfVendorScan *vs, const AlfRequestSpec *spec,
											   List *headers);
extern struct AlfHttpResponse *alf_vendor_finish(AlfVendorScan *vs,
												 struct AlfHttpPending *pending);
extern json_t *alf_parse_json_response(AlfVendorScan *vs, const struct AlfHttpResponse *resp,
									   const char *what);
extern json_t *alf_parse_record_page(AlfVendorScan *vs, const struct AlfHttpResponse *resp,
									 const char *what, const char *const *path, AlfBatch *batch);
extern void alf_raise_vendor_error(AlfVendorScan *vs, const struct AlfHttpResponse *resp,
								   const char *what) pg_attribute_noreturn();
extern void alf_raise_protocol_error(AlfVendorScan *vs, const char *what,
									 const char *detail) pg_attribute_noreturn();
extern void alf_raise_auth_error(AlfVendorScan *vs,
								 const struct AlfHttpResponse *resp) pg_attribute_noreturn();
extern char *alf_scrub_secrets(const AlfVendorScan *vs, const char *text);
extern json_t *alf_json_keep(MemoryContext cxt, json_t *json);
extern const char *alf_json_string_member(json_t *obj, const char *key);

/* in encode.c */
extern char *alf_base64(const char *data, size_t len);
extern char *alf_base64url(const char *data, size_t len);

/* in record.c */
extern bool alf_record_member(const AlfRecord *rec, const char *key, AlfJsonSpan *value);
extern char *alf_json_span_text(const AlfJsonSpan *v);
extern bool alf_json_span_int64(const AlfJsonSpan *v, int64 *result);

#endif							/* ALF_VENDOR_H */
