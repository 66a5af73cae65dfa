/*
 * fuzz_csv_reader.c - src/csv_reader.c on arbitrary bytes.
 *
 * Properties, besides memory safety:
 * - a field's reported length is its strlen (fields hold no NUL), and a
 *   record has at least one field;
 * - record lines never go backwards; errors are sticky;
 * - round trip: the records read, written back with every field quoted,
 *   read again to the same fields.
 */
#include "fuzz.h"

#include "csv_reader.h"

/* Appends field f (length n) to out as a quoted CSV field. */
static size_t
put_quoted(char *out, size_t pos, const char *f, size_t n)
{
	size_t		i;

	out[pos++] = '"';
	for (i = 0; i < n; i++)
	{
		if (f[i] == '"')
			out[pos++] = '"';
		out[pos++] = f[i];
	}
	out[pos++] = '"';
	return pos;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	AlfCsvReader *r = alf_csv_open((const char *) data, size);
	AlfCsvReader *again;
	/* each input byte becomes at most 2 output bytes, plus quotes and
	 * separators per field: 3 bytes per field, a field per input byte + 1 */
	size_t		cap = 2 * size + 3 * (size + 2) + 16;
	char	   *out = malloc(cap);
	size_t		olen = 0;
	long		last_line = 0;
	int			nrecords = 0;
	int			rc;
	int			i;

	FUZZ_CHECK(r != NULL && out != NULL);
	FUZZ_CHECK(alf_csv_nfields(r) == 0);
	while ((rc = alf_csv_next(r)) == 1)
	{
		int			n = alf_csv_nfields(r);

		FUZZ_CHECK(n >= 1);
		FUZZ_CHECK(alf_csv_line(r) >= last_line && alf_csv_line(r) >= 1);
		last_line = alf_csv_line(r);
		for (i = 0; i < n; i++)
		{
			size_t		len;
			const char *f = alf_csv_field(r, i, &len);

			FUZZ_CHECK(f != NULL && strlen(f) == len && len <= size);
			if (i > 0)
				out[olen++] = ',';
			olen = put_quoted(out, olen, f, len);
			FUZZ_CHECK(olen < cap);
		}
		FUZZ_CHECK(alf_csv_field(r, n, NULL) == NULL);
		out[olen++] = '\n';
		nrecords++;
	}
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == -1)
	{
		FUZZ_CHECK(alf_csv_error(r) != NULL);
		FUZZ_CHECK(alf_csv_next(r) == -1);	/* sticky */
		FUZZ_CHECK(alf_csv_nfields(r) == 0);
	}
	else
	{
		FUZZ_CHECK(alf_csv_error(r) == NULL);
		FUZZ_CHECK(alf_csv_next(r) == 0);
	}
	alf_csv_close(r);

	/* Round trip of what was read before any error.  A record that is one
	 * empty field would come back as the line "" -- still one record. */
	again = alf_csv_open(out, olen);
	FUZZ_CHECK(again != NULL);
	r = alf_csv_open((const char *) data, size);
	FUZZ_CHECK(r != NULL);
	for (i = 0; i < nrecords; i++)
	{
		int			j;

		FUZZ_CHECK(alf_csv_next(r) == 1);
		FUZZ_CHECK(alf_csv_next(again) == 1);
		FUZZ_CHECK(alf_csv_nfields(r) == alf_csv_nfields(again));
		for (j = 0; j < alf_csv_nfields(r); j++)
		{
			size_t		a_len,
						b_len;
			const char *a = alf_csv_field(r, j, &a_len);
			const char *b = alf_csv_field(again, j, &b_len);

			FUZZ_CHECK(a_len == b_len && memcmp(a, b, a_len) == 0);
		}
	}
	FUZZ_CHECK(alf_csv_next(again) == 0);
	alf_csv_close(again);
	alf_csv_close(r);
	free(out);

	/* the name normaliser on the raw bytes, into a small and an exact buffer */
	{
		char	   *s = fuzz_strndup(data, size);
		char		small[8];
		char	   *big = malloc(size + 1);
		size_t		k;

		FUZZ_CHECK(big != NULL);
		alf_normalize_name(s, small, sizeof(small));
		FUZZ_CHECK(strlen(small) < sizeof(small));
		alf_normalize_name(s, big, size + 1);
		FUZZ_CHECK(strlen(big) <= strlen(s));
		for (k = 0; big[k]; k++)
			FUZZ_CHECK(big[k] != ' ' && big[k] != '-' && big[k] != '_' && big[k] != '\t' &&
					   !(big[k] >= 'A' && big[k] <= 'Z'));
		FUZZ_CHECK(strncmp(small, big, strlen(small)) == 0);
		free(big);
		free(s);
	}
	return 0;
}
