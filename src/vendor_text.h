/*-------------------------------------------------------------------------
 * vendor_text.h
 *	  Vendor text (UTF-8) in and out of the database: repairing poisoned
 *	  bodies, warning about repaired records, and converting between UTF-8
 *	  and the database encoding.
 *-------------------------------------------------------------------------
 */
#ifndef ALF_VENDOR_TEXT_H
#define ALF_VENDOR_TEXT_H

#include "vendors/vendor.h"

/* in vendor_text.c */

/* palloc'd repaired copy (utf8_repair.h), NUL-terminated; *nrepaired may be NULL. */
extern char *alf_utf8_repair_text(const char *s, size_t len, bool json, size_t *outlen,
								  int *nrepaired);

/*
 * Warn, once per record and field, about each string under root that holds
 * U+FFFD, naming the foreign table, the record (id or time) and the field.
 * Called after alf_utf8_repair_text changed a JSON body.
 */
extern void alf_warn_repaired_json(const AlfVendorScan *vs, json_t *root);

/* in record.c */

/* The same for one record (of a page, or a CSV row) of a repaired body. */
extern void alf_warn_repaired_record(const AlfVendorScan *vs, const AlfRecord *record);

/* "id 123" or "time 2026-..." of a record, for messages. */
extern char *alf_record_label(const AlfVendor *vendor, const AlfRecord *record);

/* A CSV row (header names, cell texts) as a record, in the current context. */
extern AlfRecord alf_record_from_strings(int n, char *const *names, const char *const *values);

/* in vendor_text.c */

/*
 * UTF-8 vendor text in the database encoding.  A character the database
 * encoding cannot hold becomes '?', and *nreplaced counts them.  Returns s
 * itself when no conversion is needed.
 */
extern char *alf_vendor_text_to_server(char *s, size_t len, int *nreplaced);

/* Database text as UTF-8, for values sent to a vendor. */
extern char *alf_server_text_to_utf8(char *s);

#endif							/* ALF_VENDOR_TEXT_H */
