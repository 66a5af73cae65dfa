/*-------------------------------------------------------------------------
 * import.c
 *	  IMPORT FOREIGN SCHEMA audit: the vendor's table, from its catalogue.
 *
 * The generated DDL carries no options at all, so no secret or URL can
 * leak into it; LIMIT TO / EXCEPT are applied by PostgreSQL on the table
 * name.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "auditlog_fdw.h"

#define ALF_REMOTE_SCHEMA "audit"

List *
alf_import_schema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	AlfOptions *opts = alf_get_server_options(serverOid);
	const AlfVendor *vendor = opts->vendor;
	ForeignServer *server = GetForeignServer(serverOid);
	StringInfoData sql;
	int			i;

	if (strcmp(stmt->remote_schema, ALF_REMOTE_SCHEMA) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" does not exist on server \"%s\"",
						stmt->remote_schema, server->servername),
				 errhint("auditlog_fdw offers one schema, \"%s\".", ALF_REMOTE_SCHEMA)));

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE FOREIGN TABLE %s (\n",
					 quote_qualified_identifier(stmt->local_schema, vendor->table_name));
	for (i = 0; i < vendor->ncolumns; i++)
		appendStringInfo(&sql, "  %s %s%s\n", quote_identifier(vendor->columns[i].name),
						 vendor->columns[i].type_name, i + 1 < vendor->ncolumns ? "," : "");
	appendStringInfo(&sql, ") SERVER %s", quote_identifier(server->servername));
	return list_make1(sql.data);
}
