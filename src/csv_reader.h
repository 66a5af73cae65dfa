/*
 * csv_reader.h - RFC 4180 CSV reader over an in-memory buffer.
 *
 * Several audit-log APIs hand out exports as CSV.  This reader walks a
 * buffer that is already in memory, one record at a time, unescaping
 * fields into one reusable buffer so that reading a record costs no
 * allocation once the buffers have grown to the widest record.
 *
 * Pure C99 with malloc/realloc/free: no PostgreSQL headers, no longjmp.
 * Errors are reported through return values; the caller turns them into
 * ereport()s.
 *
 * Accepted input: optional UTF-8 BOM; records ended by CRLF, LF or a lone
 * CR; quoted fields with "" escapes and embedded separators or line
 * breaks; blank lines skipped; last record may lack a line break; any
 * number of fields per record.  A quote inside an unquoted field is kept
 * literally.  NUL bytes and text after a closing quote are errors.
 */
#ifndef ALF_CSV_READER_H
#define ALF_CSV_READER_H

#include <stddef.h>

typedef struct AlfCsvReader AlfCsvReader;

/* Starts reading buf[0..len).  The buffer is not copied and must outlive
 * the reader.  Returns NULL only when out of memory. */
extern AlfCsvReader *alf_csv_open(const char *buf, size_t len);

/*
 * Advances to the next record.  Returns 1 if a record is available, 0 at
 * end of input, -1 on error (see alf_csv_error).  Errors are sticky: every
 * later call returns -1 too.
 */
extern int	alf_csv_next(AlfCsvReader *r);

/* Number of fields in the current record (0 before the first record and
 * after end of input or an error). */
extern int	alf_csv_nfields(const AlfCsvReader *r);

/*
 * Field i (0-based) of the current record, unescaped and NUL-terminated
 * (fields never contain NUL: the input may not); *len, if len is not NULL,
 * receives its length.  Valid until the next alf_csv_next or alf_csv_close.
 * Returns NULL (and *len = 0) if i is out of range.
 */
extern const char *alf_csv_field(const AlfCsvReader *r, int i, size_t *len);

/* 1-based physical line where the current record (or, after an error, the
 * record being read) starts; 0 before the first record. */
extern long alf_csv_line(const AlfCsvReader *r);

/* Static description of the error, e.g. "unterminated quoted field";
 * NULL if there was none. */
extern const char *alf_csv_error(const AlfCsvReader *r);

extern void alf_csv_close(AlfCsvReader *r);

/*
 * Normalises a column name for matching: ASCII letters lower-cased,
 * spaces, tabs, hyphens and underscores dropped, other bytes (UTF-8
 * included) kept: "Sub-Category" -> "subcategory", "Admin ID" -> "adminid".
 * Output is truncated to fit and always NUL-terminated when outlen > 0.
 */
extern void alf_normalize_name(const char *in, char *out, size_t outlen);

#endif							/* ALF_CSV_READER_H */
