/*-------------------------------------------------------------------------
 * sql_functions.c
 *	  SQL-callable helpers of schema auditlog_fdw: the library version, and
 *	  how a foreign table's columns map to its vendor's catalogue (which the
 *	  SQL of sync() and create_unified_view() builds on).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_class.h"
#include "fmgr.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "auditlog_fdw.h"

/* the version of the loaded library (the extension's SQL may be older) */
#define ALF_LIBRARY_VERSION "0.3"

extern Datum auditlog_fdw_handler(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(auditlog_fdw_version);
PG_FUNCTION_INFO_V1(auditlog_fdw_column_map);

Datum
auditlog_fdw_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(ALF_LIBRARY_VERSION));
}

/* Raise unless relid is a foreign table served by this wrapper. */
static void
alf_check_own_table(Oid relid)
{
	ForeignTable *table;
	ForeignDataWrapper *fdw;
	FmgrInfo	handler;

	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table", get_rel_name(relid)),
				 errhint("Give a foreign table of the auditlog_fdw wrapper.")));
	table = GetForeignTable(relid);
	fdw = GetForeignDataWrapper(GetForeignServer(table->serverid)->fdwid);
	if (OidIsValid(fdw->fdwhandler))
		fmgr_info(fdw->fdwhandler, &handler);
	if (!OidIsValid(fdw->fdwhandler) || handler.fn_addr != auditlog_fdw_handler)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("foreign table \"%s\" does not belong to auditlog_fdw",
						get_rel_name(relid))));
}

/*
 * column_map(regclass): one row per column of the foreign table: its name,
 * the vendor catalogue column it reads, and whether that is the vendor's
 * event time or unique id.  Unknown column names raise HV005 as a scan would.
 */
Datum
auditlog_fdw_column_map(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = PG_GETARG_OID(0);
	AlfOptions *opts;
	const AlfVendor *vendor;
	Relation	rel;
	TupleDesc	tupdesc;
	int			attno;

	alf_check_own_table(relid);
	InitMaterializedSRF(fcinfo, 0);
	opts = alf_get_options(relid);
	vendor = opts->vendor;
	rel = table_open(relid, AccessShareLock);
	tupdesc = RelationGetDescr(rel);
	for (attno = 1; attno <= tupdesc->natts; attno++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, attno - 1);
		int			col;
		Datum		values[6];
		bool		nulls[6] = {0};

		if (att->attisdropped)
			continue;
		col = alf_column_for_attribute(vendor, rel, attno, false);
		values[0] = CStringGetTextDatum(vendor->name);
		values[1] = Int16GetDatum(attno);
		values[2] = CStringGetDatum(NameStr(att->attname));
		values[3] = CStringGetTextDatum(vendor->columns[col].name);
		values[4] = BoolGetDatum(col == vendor->time_column);
		values[5] = BoolGetDatum(vendor->id_column != NULL &&
								 strcmp(vendor->columns[col].name, vendor->id_column) == 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	table_close(rel, AccessShareLock);
	PG_RETURN_VOID();
}
