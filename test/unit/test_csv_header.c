/*
 * test_csv_header.c - unit tests for src/csv_header.c: finding a report's
 * header row behind preamble lines, and recognising footers.
 */
#include "csv_header.h"
#include "unit.h"

#include <string.h>

/* normalised names, as a vendor catalogue gives them */
static const char *const known[] = {
	"time", "timestamp", "action", "category", "subcategory", "adminid", "user",
	"clientip", "result", NULL
};

static long
find(const char *text)
{
	return alf_csv_find_header(text, strlen(text), known, 2, 50);
}

static void
test_find_header(void)
{
	/* header on the first line */
	UNIT_CHECK_INT(find("Time,Action,Result\n1,2,3\n"), 0);
	/* spellings differ only in case, spaces, hyphens, underscores */
	UNIT_CHECK_INT(find("TIME,sub-category\n"), 0);
	UNIT_CHECK_INT(find("admin_id , Client IP\n"), 0);
	/* quoted header cells, with "" inside a cell */
	UNIT_CHECK_INT(find("\"Time\",\"Action\",\"a \"\"b\"\"\"\r\n"), 0);
	/* preamble lines, CRLF */
	UNIT_CHECK_INT(find("Admin Audit Logs Report\r\nGenerated: 2026-11-23 10:00:00\r\n"
						"\r\nTime,Action,Category\r\nx,y,z\r\n"), 59);
	/* ZIA's downloaded report, as a public SDK's test fixture shows it */
	UNIT_CHECK_INT(find("Administrator,admin@test.example.com\n"
						"Report Created,\"31 Dec 2021 23:59:59, AEDT\"\n"
						"Start Time,\"31 Dec 2021 23:59:59, AEST\"\n"
						"End Time,\"31 Dec 2021 23:59:59, AEST\"\n"
						"Time,User,Action,AA in Cloud,Result,Client IP,Interface,Category,"
						"Subcategory,Resource,Pre Action,Post Action\n"
						"\"31 Dec 2021 23:59:59, AEST\",admin@test.example.com,Sign In,"
						"zscaler.net,Successful,203.0.113.1,UI,Login,Login,,,,\n"), 159);
	/* a stray quote in a preamble line does no harm */
	UNIT_CHECK_INT(find("Report \"Q4\nTime,Action\n"), 11);
	UNIT_CHECK_INT(find("\"unterminated, Time, Action\nTime,Action\n"), 28);
	/* a quoted multi-line preamble is lines like any other */
	UNIT_CHECK_INT(find("\"a\nb\"\nTime,Result\n"), 6);
	/* one known name is not enough, and a name counts once */
	UNIT_CHECK_INT(find("Time Range: 1 - 2\nTime,foo\nTime,Time\nAction,Result\n"), 37);
	/* lone CR line ends */
	UNIT_CHECK_INT(find("title\rTime,Action\r1,2\r"), 6);
	/* a BOM before the header */
	UNIT_CHECK_INT(find("\xEF\xBB\xBFTime,Action\n"), 3);
	UNIT_CHECK_INT(find("\xEF\xBB\xBFTitle\nTime,Action\n"), 9);
	/* no header */
	UNIT_CHECK_INT(find(""), -1);
	UNIT_CHECK_INT(find("a,b,c\n1,2,3\n"), -1);
	UNIT_CHECK_INT(find("Time\nAction\n"), -1);
	/* text after a closing quote: not one record */
	UNIT_CHECK_INT(find("\"Time\"x,Action\n"), -1);
	/* only the first max_lines lines are searched */
	UNIT_CHECK_INT(alf_csv_find_header("a\nb\nTime,Action\n", 16, known, 2, 2), -1);
	UNIT_CHECK_INT(alf_csv_find_header("a\nb\nTime,Action\n", 16, known, 2, 3), 4);
	/* a NUL byte disqualifies a line */
	UNIT_CHECK_INT(alf_csv_find_header("Ti\0me,Action\nTime,Action\n", 25, known, 2, 9), 13);
	/* an over-long cell never matches but does not stop the search */
	{
		char		text[1200];

		memset(text, 'x', 600);
		strcpy(text + 600, ",Time,Action\n");
		UNIT_CHECK_INT(find(text), 0);
	}
	UNIT_CHECK_INT(alf_csv_find_header(NULL, 0, known, 2, 9), -1);
}

/* Is the only record of text a footer? */
static int
footer(const char *text)
{
	AlfCsvReader *r = alf_csv_open(text, strlen(text));
	int			result;

	UNIT_CHECK_INT(alf_csv_next(r), 1);
	result = alf_csv_record_is_footer(r);
	alf_csv_close(r);
	return result;
}

static void
test_footer(void)
{
	UNIT_CHECK_INT(footer("Total: 42\n"), 1);
	UNIT_CHECK_INT(footer("TOTAL 42\n"), 1);
	UNIT_CHECK_INT(footer("\"Total: 1,234\"\n"), 1);
	UNIT_CHECK_INT(footer("Total: 42,,,\n"), 1);	/* padded with empty cells */
	UNIT_CHECK_INT(footer(",  Rows: 3 , \n"), 1);
	UNIT_CHECK_INT(footer("End of report\n"), 1);
	UNIT_CHECK_INT(footer("Records Returned: 7\n"), 1);
	/* data, not footers */
	UNIT_CHECK_INT(footer("2026-11-23 10:00:00\n"), 0);
	UNIT_CHECK_INT(footer("2026-11-23 10:00:00,Update\n"), 0);
	UNIT_CHECK_INT(footer("Total: 42,x\n"), 0);
	UNIT_CHECK_INT(footer("admin@example.com\n"), 0);
	UNIT_CHECK_INT(footer("Sign In\n"), 0);
	UNIT_CHECK_INT(footer(": 3\n"), 0);
	UNIT_CHECK_INT(footer(",,\n"), 0);
}

int
main(void)
{
	test_find_header();
	test_footer();
	return UNIT_FINISH("test_csv_header");
}
