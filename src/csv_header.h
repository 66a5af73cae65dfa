/*
 * csv_header.h - where a CSV export's table starts and ends.
 *
 * Report exports are not always bare RFC 4180 tables: ZIA writes a title,
 * "Generated: ..." and similar preamble lines before the header, and a
 * "Total: N" line after the last row.  These helpers find the header row by
 * its contents and recognise such footers, so the CSV reader only ever sees
 * the table itself.
 *
 * Pure C99 (no PostgreSQL headers, no allocation, no longjmp), so the unit
 * tests in test/unit can drive it directly.
 */
#ifndef ALF_CSV_HEADER_H
#define ALF_CSV_HEADER_H

#include <stddef.h>

#include "csv_reader.h"

/*
 * Finds the header line of buf[0..len): the first physical line, among the
 * first max_lines lines, that is one complete CSV record by itself (a line
 * whose quotes do not balance is never a header) and has at least
 * min_matches cells whose normalised names (alf_normalize_name) are
 * distinct members of known.  known is a NULL-ended array of names that
 * are already normalised.  A UTF-8 BOM at the very start is skipped.
 *
 * Preamble lines are only looked at, never parsed as records, so a stray
 * quote in a title line does no harm.
 *
 * Returns the byte offset of the header line, or -1 if there is none.
 */
extern long alf_csv_find_header(const char *buf, size_t len, const char *const *known,
								int min_matches, int max_lines);

/*
 * Is the reader's current record a report footer such as "Total: 42" or
 * "End of report"?  True only for a record with exactly one non-blank cell
 * (the others empty or blank) whose text starts with "total" or "end of"
 * (any case), or with a label of letters and spaces followed by ':' (so
 * "Rows: 3" is a footer, while a lone timestamp such as
 * "2026-11-23 10:00:00" is not).
 */
extern int	alf_csv_record_is_footer(const AlfCsvReader *r);

/* A header row larger than this is refused, never processed at length. */
#define ALF_CSV_HEADER_MAX_COLUMNS	1000
#define ALF_CSV_HEADER_MAX_BYTES	(64 * 1024)

/* alf_csv_header_keys results */
#define ALF_HDR_OK					0
#define ALF_HDR_TOO_MANY_COLUMNS	(-1)
#define ALF_HDR_TOO_LONG			(-2)
#define ALF_HDR_NO_MEMORY			(-3)

/*
 * The keys (JSON member names) for the reader's current record, a header
 * row: each cell as written; "column N" for an empty N-th cell; a key
 * already taken gets " (k)" with the least k >= 2 that makes it unique
 * ("column" is the base of an empty cell's copies).  Time and memory are
 * linear in the header's size (a hash table of the keys and, per base
 * name, the next k to try), so a row of thousands of equal names cannot
 * stall a backend; and the row is refused above ALF_CSV_HEADER_MAX_COLUMNS
 * cells or ALF_CSV_HEADER_MAX_BYTES bytes.
 *
 * On ALF_HDR_OK *keys_out is one malloc'd block (the array of the record's
 * alf_csv_nfields pointers, then the strings) for the caller to free();
 * otherwise *keys_out is NULL.  If ops is not NULL it receives the number
 * of hash probes made (the unit tests check that it stays linear).
 */
extern int	alf_csv_header_keys(const AlfCsvReader *r, char ***keys_out, long *ops);

#endif							/* ALF_CSV_HEADER_H */
