/*-------------------------------------------------------------------------
 * auditlog_fdw.h
 *	  Private declarations shared by the core files of auditlog_fdw.
 *
 * Grouped by the file that owns them, so this header alone shows who does
 * what.  Vendor modules include vendors/vendor.h instead.
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_FDW_H
#define AUDITLOG_FDW_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "commands/explain.h"
#include "fmgr.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"

#include "vendors/vendor.h"

/* Hard limit on one response body (decoded), so a huge body is an error. */
#define ALF_MAX_BODY_BYTES		((size_t) 256 * 1024 * 1024)

/* in option.c */
typedef struct AlfOptions
{
	const AlfVendor *vendor;
	char	   *base_url;
	bool		base_url_http;	/* http:// (loopback only) */
	char	   *ca_file;
	char	   *proxy;
	int			timeout_ms;
	int			max_retries;
	int			max_scan_retries;	/* retries per scan; 0: none at all */
	int			scan_timeout_ms;	/* 0: no deadline */
	int			page_size;		/* 0: vendor maximum */
	int			concurrency;	/* 0: vendor default */
	int			min_request_interval_ms;	/* -1: vendor default */
	List	   *all;			/* merged DefElems (table over server) */
	Oid			serverid;
	Oid			tableid;
} AlfOptions;

extern AlfOptions *alf_get_options(Oid foreigntableid);
extern AlfOptions *alf_get_server_options(Oid serverid);
extern List *alf_get_credentials(const AlfOptions *opts, Oid userid);
extern const char *alf_option_value(const AlfOptions *opts, const char *name);
extern void alf_validate_options(List *options, Oid catalog);
extern bool alf_is_loopback_http(const char *url);
extern bool alf_url_allowed(const AlfOptions *opts, const char *url);

/* in rate_budget.c: max_requests_per_minute, else the vendor's default */
extern int	alf_budget_limit(const AlfOptions *opts);

/* in quals.c */
typedef enum AlfQualOp
{
	ALF_OP_EQ,
	ALF_OP_LT,
	ALF_OP_LE,
	ALF_OP_GT,
	ALF_OP_GE,
	ALF_OP_IN
} AlfQualOp;

typedef struct AlfQual
{
	int			column;			/* catalogue index */
	AlfQualOp	op;
	Expr	   *value;			/* the compared expression (array for IN) */
	Oid			value_type;		/* type of value (element type for IN) */
	bool		unconfirmed;	/* the column is ALF_PUSH_UNCONFIRMED */
	RestrictInfo *rinfo;
} AlfQual;

/* in cost.c: estimates of one path */
typedef struct AlfCostEstimate
{
	double		days;			/* length of the pushed time range */
	double		range_rows;		/* records in that range */
	double		fetched;		/* records the vendor returns */
	double		rows;			/* rows after the local conditions */
	double		requests;		/* vendor requests (per outer row when
								 * parameterized) */
	Cost		startup;
	Cost		total;
} AlfCostEstimate;

typedef struct AlfRelInfo
{
	AlfOptions *opts;
	int		   *att_column;		/* attno-1 -> catalogue index, -1 unknown */
	uint8	   *att_push;		/* attno-1 -> ALF_PUSH_* usable (0 when the
								 * declared type is not the catalogue's) */
	int			natts;
	bool		push_unconfirmed;	/* option push_unconfirmed_filters */
	List	   *matched;		/* AlfQual * the vendor could take (base quals) */
	List	   *pushed;			/* AlfQual * sent to the vendor */
	List	   *local_only;		/* RestrictInfo * the vendor never sees */
	List	   *held;			/* RestrictInfo * of local_only kept back
								 * only for an unconfirmed spelling */
	double		limit_hint;
	List	   *attrs_used;		/* attnums the query reads (all if whole row) */
	AlfCostEstimate estimate;	/* of the unparameterized scan */
} AlfRelInfo;

extern int	alf_column_for_attribute(const AlfVendor *vendor, Relation rel, int attno,
									 bool missing_ok);
extern AlfRelInfo *alf_classify_quals(PlannerInfo *root, RelOptInfo *baserel,
									  Oid foreigntableid);
extern List *alf_join_clauses(PlannerInfo *root, RelOptInfo *baserel, AlfRelInfo *info);
extern List *alf_param_pushdown(RelOptInfo *baserel, AlfRelInfo *info, List *ppi_clauses,
								List **local);
extern List *alf_time_pathkeys(PlannerInfo *root, RelOptInfo *baserel, AlfRelInfo *info,
							   AlfSortDir *dir);

/* in explain.c: the conditions EXPLAIN VERBOSE lists, as SQL text ("" if none) */
typedef struct AlfExplainTexts
{
	char	   *pushed;			/* sent, on a confirmed spelling */
	char	   *pushed_unconfirmed; /* sent, on an unconfirmed spelling */
	char	   *held;			/* not sent: unconfirmed spelling */
	char	   *local;			/* the vendor cannot take them */
} AlfExplainTexts;

/* in plan_private.c */
typedef struct AlfPlanPrivate
{
	List	   *quals;			/* AlfQual *, value replaced by fdw_exprs index */
	AlfSortDir	sort;
	double		limit_hint;
	AlfExplainTexts texts;
	List	   *attrs_used;		/* IntList of attnums the query reads */
} AlfPlanPrivate;

extern List *alf_pack_plan_private(List *pushed, AlfSortDir sort, double limit_hint,
								   const AlfExplainTexts *texts, List *attrs_used,
								   List **fdw_exprs);
extern AlfPlanPrivate *alf_unpack_plan_private(List *fdw_private);

/* in scan_request.c */
extern AlfScanRequest *alf_build_scan_request(const AlfVendor *vendor, const AlfOptions *opts,
											  AlfPlanPrivate *pp, Datum *values, bool *nulls,
											  TimestampTz now, bool *empty);
extern AlfScanRequest *alf_build_explain_request(const AlfVendor *vendor,
												 const AlfOptions *opts,
												 AlfPlanPrivate *pp, List *fdw_exprs,
												 List *deparse_cxt);
extern List *alf_array_texts(Datum array, Oid elemtype);
extern int	alf_effective_page_size(const AlfVendor *vendor, const AlfOptions *opts,
									double limit_hint);
extern TimestampTz alf_datum_to_timestamptz(Datum value, Oid type);

/* in cost.c */
extern void alf_estimate_scan(PlannerInfo *root, RelOptInfo *baserel, const AlfRelInfo *info,
							  List *pushed, List *local, AlfCostEstimate *est);

/* in tuple.c */
typedef struct AlfTupleBuilder AlfTupleBuilder;
extern AlfTupleBuilder *alf_tuple_builder_create(Relation rel, List *attrs_used,
												 const AlfVendor *vendor,
												 const AlfOptions *opts);
extern void alf_tuple_build(AlfTupleBuilder *b, const AlfRecord *record, Datum *values, bool *nulls,
							TimestampTz *event_time, bool *event_time_null);

/* in timeconv.c */
extern bool alf_text_to_timestamptz(const char *text, const char *default_zone,
									TimestampTz *result);
extern bool alf_ms_text_to_timestamptz(const char *text, const char *default_zone,
									   TimestampTz *result, bool *as_ms);
extern TimestampTz alf_epoch_ms_to_timestamptz(int64 ms);
extern bool alf_epoch_ms_to_timestamptz_checked(int64 ms, TimestampTz *result);
extern TimestampTz alf_timestamptz_typmod(TimestampTz t, int32 typmod);
extern int64 alf_timestamptz_to_epoch_usec(TimestampTz t);
extern TimestampTz alf_epoch_usec_to_timestamptz(int64 usec);

/* in scan.c */
typedef struct AlfScanState AlfScanState;
extern AlfScanState *alf_scan_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *alf_scan_next(AlfScanState *ss, TupleTableSlot *slot);
extern void alf_scan_rescan(AlfScanState *ss);
extern void alf_scan_end(AlfScanState *ss);
extern void alf_scan_failed(AlfScanState *ss, int sqlerrcode);
extern void alf_scan_explain_analyze(AlfScanState *ss, ExplainState *es);
extern bool alf_scan_ready(AlfScanState *ss);
extern bool alf_scan_finished(AlfScanState *ss);
extern int	alf_scan_wait_fd(AlfScanState *ss);

/* in explain.c */
extern void alf_explain_scan(ForeignScanState *node, AlfScanState *ss, ExplainState *es);

/* in import.c */
extern List *alf_import_schema(ImportForeignSchemaStmt *stmt, Oid serverOid);

/* in explain.c */
extern char *alf_deparse_clauses(List *clauses, Index relid, Oid foreigntableid);
extern void alf_explain_texts(List *pushed, List *held, List *local_only, Index relid,
							  Oid foreigntableid, AlfExplainTexts *texts);

#endif							/* AUDITLOG_FDW_H */
