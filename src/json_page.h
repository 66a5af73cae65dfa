/*
 * json_page.h - a JSON scanner for pages of vendor records, without a DOM.
 *
 * A page of 100 audit records is read once to check it is JSON
 * (alf_json_validate), then walked in place: the records are spans of the
 * page text, and a record's members are found by walking its span, so a
 * value the query does not read is skipped, never copied or de-escaped
 * (alf_json_unescape is called only for the strings that become columns).
 * PostgreSQL's own event parser (common/jsonapi.h) was measured first; see
 * bench/README.md "CPU per row and memory" for why this scanner exists.
 *
 * Pure C99, no PostgreSQL headers, no allocation.  The walking functions
 * trust their input: call them only on text alf_json_validate accepted,
 * and followed by a NUL (they search strings with strchr).
 */
#ifndef ALF_JSON_PAGE_H
#define ALF_JSON_PAGE_H

#include <stdbool.h>
#include <stddef.h>

/* deepest nesting alf_json_validate accepts (jansson's limit is 2048) */
#define ALF_JSON_MAX_DEPTH 1000

typedef enum AlfJsonKind
{
	ALF_JSON_NONE = 0,			/* absent */
	ALF_JSON_STRING,
	ALF_JSON_NUMBER,
	ALF_JSON_TRUE,
	ALF_JSON_FALSE,
	ALF_JSON_NULL,
	ALF_JSON_OBJECT,
	ALF_JSON_ARRAY
} AlfJsonKind;

/*
 * A value in validated text.  Strings: the text between the quotes, still
 * escaped when escaped is set.  Other scalars: the token.  Containers: from
 * the opening to the closing bracket.
 */
typedef struct AlfJsonSpan
{
	const char *p;
	size_t		len;
	AlfJsonKind kind;
	bool		escaped;		/* a string holding a backslash escape */
} AlfJsonSpan;

/* A position inside a validated object or array, for the _next functions. */
typedef struct AlfJsonIter
{
	const char *p;
} AlfJsonIter;

/*
 * Is s[0..len) one JSON value (RFC 8259; surrounding whitespace allowed)?
 * Strings may not hold raw control characters; UTF-8 is not checked here
 * (utf8_repair.c does that first).  On failure *erroff is the offset of
 * the offending byte and *errmsg a static description.
 */
extern bool alf_json_validate(const char *s, size_t len, size_t *erroff,
							  const char **errmsg);

/* The value starting at p (after whitespace); returns the end of it. */
extern const char *alf_json_value_at(const char *p, AlfJsonSpan *v);

/* Start walking the container v (an object or an array). */
extern void alf_json_iter_begin(AlfJsonIter *it, const AlfJsonSpan *v);

/* The next member of an object: false after the last one. */
extern bool alf_json_object_next(AlfJsonIter *it, AlfJsonSpan *key, AlfJsonSpan *value);

/* The next element of an array: false after the last one. */
extern bool alf_json_array_next(AlfJsonIter *it, AlfJsonSpan *value);

/* Does the string span s equal the plain text t[0..tlen)? */
extern bool alf_json_key_equals(const AlfJsonSpan *s, const char *t, size_t tlen);

/*
 * The text of string span s, de-escaped into out (at least s->len bytes;
 * de-escaping never lengthens), not terminated.  A lone surrogate becomes
 * U+FFFD.  Returns the length written.
 */
extern size_t alf_json_unescape(const AlfJsonSpan *s, char *out);

/*
 * Validated JSON text without whitespace outside strings, into out (at
 * least len bytes).  Returns the length written.
 */
extern size_t alf_json_compact(const char *p, size_t len, char *out);

#endif							/* ALF_JSON_PAGE_H */
