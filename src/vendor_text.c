/*-------------------------------------------------------------------------
 * vendor_text.c
 *	  Vendor text in and out of the database (see vendor_text.h).
 *
 * Vendors speak UTF-8.  A record holding a NUL, invalid UTF-8 or \u0000 is
 * read with those spots replaced by U+FFFD and a WARNING naming it, never
 * by failing the page (which would hide every other record of its time
 * window).  In a database of another encoding, text is converted both
 * ways; a character the database cannot hold becomes '?' with a WARNING,
 * for the same reason.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <jansson.h>

#include "catalog/namespace.h"
#include "common/string.h"
#include "mb/pg_wchar.h"

#include "csv_reader.h"
#include "utf8_repair.h"
#include "vendor_text.h"

#define ALF_REPLACEMENT_CHAR "\xEF\xBF\xBD"

char *
alf_utf8_repair_text(const char *s, size_t len, bool json, size_t *outlen, int *nrepaired)
{
	int			n;
	size_t		size = alf_utf8_repair(s, len, NULL, json ? 1 : 0, &n);
	char	   *out;

	if (nrepaired)
		*nrepaired = n;
	if (outlen)
		*outlen = size;
	out = palloc_extended(size + 1, MCXT_ALLOC_HUGE);
	if (n == 0)
		memcpy(out, s, size);
	else
		alf_utf8_repair(s, len, out, json ? 1 : 0, NULL);
	out[size] = '\0';
	return out;
}

/* Is obj a record: an object holding the vendor's time field? */
static bool
alf_is_record(const AlfVendor *vendor, json_t *obj)
{
	const AlfColumnDef *time = &vendor->columns[vendor->time_column];
	int			j;

	for (j = 0; j < ALF_MAX_FIELD_NAMES && time->fields[j]; j++)
		if (json_object_get(obj, time->fields[j]))
			return true;
	return false;
}

/* A record inside a jansson document: warn as for a page's record. */
static void
alf_warn_repaired_object(const AlfVendorScan *vs, json_t *obj)
{
	char	   *dumped = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	AlfRecord	rec;

	if (dumped == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	rec.json = pstrdup(dumped);
	rec.len = strlen(dumped);
	free(dumped);
	alf_warn_repaired_record(vs, &rec);
}

static void
alf_warn_walk(const AlfVendorScan *vs, json_t *v)
{
	const char *key;
	json_t	   *member;
	size_t		i;

	if (json_is_array(v))
	{
		json_array_foreach(v, i, member)
			alf_warn_walk(vs, member);
		return;
	}
	if (!json_is_object(v))
		return;
	if (alf_is_record(vs->vendor, v))
	{
		alf_warn_repaired_object(vs, v);
		return;
	}
	json_object_foreach(v, key, member)
		alf_warn_walk(vs, member);
}

void
alf_warn_repaired_json(const AlfVendorScan *vs, json_t *root)
{
	alf_warn_walk(vs, root);
}

/* The conversion from UTF-8 to the database encoding, InvalidOid if none needed. */
static Oid
alf_from_utf8_proc(void)
{
	static Oid	proc = InvalidOid;
	static int	for_encoding = -1;
	int			db = GetDatabaseEncoding();

	if (db == PG_UTF8 || db == PG_SQL_ASCII)
		return InvalidOid;
	if (for_encoding != db)
	{
		proc = FindDefaultConversionProc(PG_UTF8, db);
		if (!OidIsValid(proc))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("default conversion function for encoding \"%s\" to \"%s\" does not exist",
							pg_encoding_to_char(PG_UTF8), pg_encoding_to_char(db))));
		for_encoding = db;
	}
	return proc;
}

char *
alf_vendor_text_to_server(char *s, size_t len, int *nreplaced)
{
	Oid			proc = alf_from_utf8_proc();
	StringInfoData buf;
	unsigned char *dest;
	size_t		done = 0;

	*nreplaced = 0;
	if (!OidIsValid(proc) || pg_is_ascii(s))
		return s;
	initStringInfo(&buf);
	dest = palloc((size_t) MAX_CONVERSION_GROWTH * len + 1);
	while (done < len)
	{
		int			n = pg_do_encoding_conversion_buf(proc, PG_UTF8, GetDatabaseEncoding(),
													  (unsigned char *) s + done, (int) (len - done),
													  dest, (int) (MAX_CONVERSION_GROWTH * len + 1),
													  true);

		appendStringInfoString(&buf, (char *) dest);
		done += n;
		if (done < len)
		{
			/* the text is valid UTF-8 here: skip one whole character */
			appendStringInfoChar(&buf, '?');
			done += Max(pg_utf_mblen((unsigned char *) s + done), 1);
			(*nreplaced)++;
		}
	}
	pfree(dest);
	return buf.data;
}

char *
alf_server_text_to_utf8(char *s)
{
	return pg_server_to_any(s, strlen(s), PG_UTF8);
}
