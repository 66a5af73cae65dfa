/*-------------------------------------------------------------------------
 * quals.c
 *	  Plan-time classification: which WHERE conditions can go to the vendor.
 *
 * Accepted shapes: column op value, value op column, and column = ANY
 * (array) for IN lists, where the column is declared with the catalogue's
 * type, the operator is that type's default btree comparison, and value
 * contains no column of this table and nothing volatile (constants,
 * parameters and stable expressions such as now() - interval '1 day',
 * evaluated once when the scan starts).  The vendor's catalogue says which
 * columns take which shapes, and the vendor may refuse more.  Every pushed
 * condition is still rechecked locally, so a vendor filter that is looser
 * than SQL (case, bound inclusivity) never changes a result; only a filter
 * that could be stricter must never be pushed.  Hence: no other declared
 * type (citext, numeric, timestamp without time zone compare differently
 * from what the vendor is sent), no nondeterministic collation, and no
 * filter whose spelling at the vendor is a guess (ALF_PUSH_UNCONFIRMED)
 * unless the user turned on push_unconfirmed_filters.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "parser/parse_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "auditlog_fdw.h"
#include "csv_reader.h"

/* Does a vendor field name match name, ignoring case, spaces, -, _? */
static bool
alf_names_match(const char *a, const char *b)
{
	char		na[256];
	char		nb[256];

	alf_normalize_name(a, na, sizeof(na));
	alf_normalize_name(b, nb, sizeof(nb));
	return strcmp(na, nb) == 0;
}

static char *
alf_catalogue_names(const AlfVendor *vendor)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < vendor->ncolumns; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", vendor->columns[i].name);
	return buf.data;
}

/*
 * Catalogue index for attribute attno of rel: by the column option
 * column_name (a vendor field or catalogue name), else by the column's own
 * name.  Unknown names raise HV005 listing the valid ones.
 */
int
alf_column_for_attribute(const AlfVendor *vendor, Relation rel, int attno, bool missing_ok)
{
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attno - 1);
	const char *name = NameStr(att->attname);
	List	   *colopts = GetForeignColumnOptions(RelationGetRelid(rel), attno);
	ListCell   *lc;
	int			i;
	int			j;

	foreach(lc, colopts)
	{
		DefElem    *d = (DefElem *) lfirst(lc);

		if (strcmp(d->defname, "column_name") == 0)
			name = defGetString(d);
	}
	/* an exact catalogue name wins, then vendor field names */
	for (i = 0; i < vendor->ncolumns; i++)
		if (strcmp(vendor->columns[i].name, name) == 0)
			return i;
	for (i = 0; i < vendor->ncolumns; i++)
	{
		if (alf_names_match(vendor->columns[i].name, name))
			return i;
		for (j = 0; j < ALF_MAX_FIELD_NAMES && vendor->columns[i].fields[j]; j++)
			if (alf_names_match(vendor->columns[i].fields[j], name))
				return i;
	}
	if (missing_ok)
		return -1;
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
			 errmsg("column \"%s\" of foreign table \"%s\" does not match any %s field",
					NameStr(att->attname), RelationGetRelationName(rel),
					vendor->display_name),
			 errhint("Valid column names are: %s.  Map another name with the column option column_name.",
					 alf_catalogue_names(vendor))));
	return -1;					/* keep compiler quiet */
}

/* Strip binary-compatible casts, which do not change comparison semantics. */
static Node *
alf_strip(Node *node)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node;
}

static bool
alf_is_our_var(Node *node, Index relid)
{
	Var		   *var = (Var *) node;

	return node && IsA(node, Var) && var->varno == relid && var->varlevelsup == 0 &&
		var->varattno > 0;
}

static bool
alf_contains_rel_var_walker(Node *node, Index *relid)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return ((Var *) node)->varno == *relid && ((Var *) node)->varlevelsup == 0;
	return expression_tree_walker(node, alf_contains_rel_var_walker, (void *) relid);
}

/*
 * A value the executor can compute once at scan start.  With allow_outer,
 * columns of other tables of a join are allowed too: they become nestloop
 * parameters, and a parameterized scan starts again for each outer row.
 */
static bool
alf_is_scan_value(Node *node, Index relid, bool allow_outer)
{
	if (node == NULL || alf_contains_rel_var_walker(node, &relid))
		return false;
	return (allow_outer || !contain_var_clause(node)) &&
		!contain_volatile_functions(node) &&
		!contain_subplans(node) &&
		!contain_agg_clause(node) &&
		!contain_window_function(node);
}

/* Strategy of opno as the default btree ordering of lefttype, or 0. */
static int
alf_btree_strategy(Oid opno, Oid lefttype)
{
	Oid			opclass = GetDefaultOpClass(lefttype, BTREE_AM_OID);
	Oid			family;
	List	   *interps;
	ListCell   *lc;

	if (!OidIsValid(opclass))
		return 0;
	family = get_opclass_family(opclass);
	interps = get_op_btree_interpretation(opno);
	foreach(lc, interps)
	{
		OpBtreeInterpretation *bi = (OpBtreeInterpretation *) lfirst(lc);

		if (bi->opfamily_id == family && bi->oplefttype == lefttype)
			return bi->strategy;
	}
	return 0;
}

/* The collation of a comparison must treat equal strings as SQL does. */
static bool
alf_collation_ok(Oid inputcollid)
{
	return !OidIsValid(inputcollid) || get_collation_isdeterministic(inputcollid);
}

static bool
alf_op_pushable(uint8 push, bool is_time, AlfQualOp op, Oid value_type)
{
	if (is_time && op != ALF_OP_IN)
		return (push & ALF_PUSH_RANGE) &&
			(value_type == TIMESTAMPTZOID || value_type == TIMESTAMPOID ||
			 value_type == DATEOID);
	if (op == ALF_OP_EQ)
		return (push & ALF_PUSH_EQ) != 0;
	if (op == ALF_OP_IN)
		return (push & ALF_PUSH_IN) != 0;
	return false;
}

/* The SQL type the catalogue declares for a column. */
static Oid
alf_catalogue_type(const AlfColumnDef *col)
{
	Oid			typid;
	int32		typmod;

	parseTypeString(col->type_name, &typid, &typmod, false);
	return typid;
}

/*
 * Does a column declared as type compare as the catalogue's type does?
 * Only the same type (or a domain over it) does; and varchar where the
 * catalogue says text: varchar values are text, compared by text's own
 * operators (text_ops) under the same collation rules.  Anything else
 * (citext, numeric for bigint, timestamp for timestamptz, char(n), cidr)
 * has other equality or ordering, so its conditions stay local.
 */
static bool
alf_type_agrees(Oid declared, const AlfColumnDef *col)
{
	Oid			catalogue = alf_catalogue_type(col);
	Oid			base = getBaseType(declared);

	return base == catalogue || (catalogue == TEXTOID && base == VARCHAROID);
}

/* Try to read clause as a pushable condition on our table. */
static bool
alf_match_clause(Expr *clause, Index relid, const AlfRelInfo *info, bool allow_outer,
				 AlfQual *out)
{
	const AlfVendor *vendor = info->opts->vendor;
	Var		   *var;
	Node	   *value;
	Oid			opno;
	Oid			inputcollid;
	AlfQualOp	op;
	int			column;
	Oid			value_type;
	bool		is_array;

	if (IsA(clause, OpExpr))
	{
		OpExpr	   *oe = (OpExpr *) clause;
		Node	   *left;
		Node	   *right;

		if (list_length(oe->args) != 2)
			return false;
		left = alf_strip(linitial(oe->args));
		right = alf_strip(lsecond(oe->args));
		opno = oe->opno;
		if (alf_is_our_var(left, relid) && alf_is_scan_value(right, relid, allow_outer))
		{
			var = (Var *) left;
			value = (Node *) lsecond(oe->args);
		}
		else if (alf_is_our_var(right, relid) && alf_is_scan_value(left, relid, allow_outer))
		{
			var = (Var *) right;
			value = (Node *) linitial(oe->args);
			opno = get_commutator(opno);
			if (!OidIsValid(opno))
				return false;
		}
		else
			return false;
		inputcollid = oe->inputcollid;
		value_type = exprType(value);
		is_array = false;
	}
	else if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) clause;
		Node	   *left;

		if (!sa->useOr || list_length(sa->args) != 2)
			return false;
		left = alf_strip(linitial(sa->args));
		value = (Node *) lsecond(sa->args);
		if (!alf_is_our_var(left, relid) || !alf_is_scan_value(value, relid, allow_outer))
			return false;
		var = (Var *) left;
		inputcollid = sa->inputcollid;
		value_type = get_element_type(exprType(value));
		if (!OidIsValid(value_type))
			return false;
		opno = sa->opno;
		is_array = true;
	}
	else
		return false;

	if (var->varattno > info->natts)
		return false;
	column = info->att_column[var->varattno - 1];
	if (column < 0 || info->att_push[var->varattno - 1] == 0)
		return false;
	if (!alf_collation_ok(inputcollid))
		return false;
	/* the catalogue's type's own comparison (the column's type agrees) */
	switch (alf_btree_strategy(opno, alf_catalogue_type(&vendor->columns[column])))
	{
		case BTEqualStrategyNumber:
			op = is_array ? ALF_OP_IN : ALF_OP_EQ;
			break;
		case BTLessStrategyNumber:
			op = ALF_OP_LT;
			break;
		case BTLessEqualStrategyNumber:
			op = ALF_OP_LE;
			break;
		case BTGreaterStrategyNumber:
			op = ALF_OP_GT;
			break;
		case BTGreaterEqualStrategyNumber:
			op = ALF_OP_GE;
			break;
		default:
			return false;
	}
	if (is_array && op != ALF_OP_IN)
		return false;
	if (!alf_op_pushable(info->att_push[var->varattno - 1], column == vendor->time_column, op,
						 value_type))
		return false;

	out->column = column;
	out->op = op;
	out->value = (Expr *) value;
	out->value_type = value_type;
	out->unconfirmed = (vendor->columns[column].push & ALF_PUSH_UNCONFIRMED) != 0;
	return true;
}

static const char *
alf_const_text(Expr *value)
{
	Const	   *c = (Const *) alf_strip((Node *) value);
	Oid			outfunc;
	bool		isvarlena;

	if (!IsA(c, Const) || c->constisnull)
		return NULL;
	getTypeOutputInfo(c->consttype, &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, c->constvalue);
}

/* The non-NULL elements of a constant array as text; NIL if not a Const. */
static List *
alf_const_array_texts(Expr *value)
{
	Const	   *c = (Const *) alf_strip((Node *) value);

	if (!IsA(c, Const) || c->constisnull)
		return NIL;
	return alf_array_texts(c->constvalue, ARR_ELEMTYPE(DatumGetArrayTypeP(c->constvalue)));
}

/*
 * The columns the query reads: output and local conditions.  Converting
 * only those saves most of the work of SELECT count(*) and narrow queries.
 */
static List *
alf_attrs_used(RelOptInfo *baserel)
{
	Bitmapset  *attrs = NULL;
	List	   *result = NIL;
	ListCell   *lc;
	int			i = -1;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, baserel->baserestrictinfo)
		pull_varattnos((Node *) ((RestrictInfo *) lfirst(lc))->clause, baserel->relid, &attrs);
	while ((i = bms_next_member(attrs, i)) >= 0)
	{
		AttrNumber	attno = i + FirstLowInvalidHeapAttributeNumber;

		if (attno == InvalidAttrNumber)
			return list_make1_int(0);	/* whole row: every column */
		if (attno > 0)
			result = lappend_int(result, attno);
	}
	return result;
}

/*
 * Hold back the matched quals whose vendor spelling is unconfirmed (unless
 * push_unconfirmed_filters is on), then let the vendor refuse some of the
 * rest (e.g. Zendesk source_id needs source_type, which must then be one
 * that is really sent).  Append what goes out to *pushed, the held back to
 * *held, and both the held back and the refused to *local (NULL: not
 * wanted).
 */
static void
alf_choose_pushdown(const AlfRelInfo *info, List *matched, List **pushed, List **local,
					List **held)
{
	const AlfVendor *vendor = info->opts->vendor;
	List	   *offered = NIL;
	List	   *candidates = NIL;
	ListCell   *lc;
	ListCell   *lc2;

	foreach(lc, matched)
	{
		AlfQual    *q = (AlfQual *) lfirst(lc);
		AlfPushCandidate *cand;

		if (q->unconfirmed && !info->push_unconfirmed)
		{
			if (held)
				*held = lappend(*held, q->rinfo);
			if (local)
				*local = lappend(*local, q->rinfo);
			continue;
		}
		cand = palloc0(sizeof(AlfPushCandidate));
		cand->column = q->column;
		cand->op = q->op;
		cand->pushed = true;
		cand->const_text = q->op == ALF_OP_IN ? NULL : alf_const_text(q->value);
		cand->const_values = q->op == ALF_OP_IN ? alf_const_array_texts(q->value) : NIL;
		candidates = lappend(candidates, cand);
		offered = lappend(offered, q);
	}
	if (vendor->choose_pushdown && candidates != NIL)
		vendor->choose_pushdown(candidates);
	forboth(lc, offered, lc2, candidates)
	{
		if (((AlfPushCandidate *) lfirst(lc2))->pushed)
			*pushed = lappend(*pushed, lfirst(lc));
		else if (local)
			*local = lappend(*local, ((AlfQual *) lfirst(lc))->rinfo);
	}
}

AlfRelInfo *
alf_classify_quals(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	AlfRelInfo *info = palloc0(sizeof(AlfRelInfo));
	const AlfVendor *vendor;
	Relation	rel;
	ListCell   *lc;
	int			i;

	const char *push_unconfirmed;

	info->opts = alf_get_options(foreigntableid);
	vendor = info->opts->vendor;
	info->limit_hint = -1;
	info->attrs_used = alf_attrs_used(baserel);
	push_unconfirmed = alf_option_value(info->opts, "push_unconfirmed_filters");
	if (push_unconfirmed && !parse_bool(push_unconfirmed, &info->push_unconfirmed))
		info->push_unconfirmed = false;

	rel = table_open(foreigntableid, NoLock);
	info->natts = RelationGetDescr(rel)->natts;
	info->att_column = palloc(sizeof(int) * Max(info->natts, 1));
	info->att_push = palloc0(sizeof(uint8) * Max(info->natts, 1));
	for (i = 1; i <= info->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), i - 1);
		int			column = att->attisdropped ? -1 :
			alf_column_for_attribute(vendor, rel, i, false);

		info->att_column[i - 1] = column;
		/* a column of another type than the catalogue's takes no pushdown */
		if (column >= 0 && vendor->columns[column].push != 0 &&
			alf_type_agrees(att->atttypid, &vendor->columns[column]))
			info->att_push[i - 1] = vendor->columns[column].push;
	}
	table_close(rel, NoLock);

	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *ri = (RestrictInfo *) lfirst(lc);
		AlfQual		q;

		if (alf_match_clause(ri->clause, baserel->relid, info, false, &q))
		{
			AlfQual    *copy = palloc(sizeof(AlfQual));

			*copy = q;
			copy->rinfo = ri;
			info->matched = lappend(info->matched, copy);
		}
		else
			info->local_only = lappend(info->local_only, ri);
	}
	alf_choose_pushdown(info, info->matched, &info->pushed, &info->local_only, &info->held);
	return info;
}

/*
 * If the query wants rows ordered by the time column (and the vendor can
 * sort), the pathkeys a sorted scan provides, with *dir set; else NIL.
 */
List *
alf_time_pathkeys(PlannerInfo *root, RelOptInfo *baserel, AlfRelInfo *info, AlfSortDir *dir)
{
	PathKey    *pk;
	ListCell   *lc;
	Oid			family;

	*dir = ALF_SORT_NONE;
	if (!info->opts->vendor->can_sort || root->query_pathkeys == NIL)
		return NIL;
	pk = (PathKey *) linitial(root->query_pathkeys);
	if (pk->pk_eclass->ec_has_volatile)
		return NIL;
	family = get_opclass_family(GetDefaultOpClass(TIMESTAMPTZOID, BTREE_AM_OID));
	if (pk->pk_opfamily != family)
		return NIL;
	/* vendors cannot place NULLs, so only the default NULL placement */
	if (pk->pk_strategy == BTLessStrategyNumber && pk->pk_nulls_first)
		return NIL;
	if (pk->pk_strategy == BTGreaterStrategyNumber && !pk->pk_nulls_first)
		return NIL;

	foreach(lc, pk->pk_eclass->ec_members)
	{
		EquivalenceMember *em = (EquivalenceMember *) lfirst(lc);
		Node	   *expr = alf_strip((Node *) em->em_expr);

		if (alf_is_our_var(expr, baserel->relid) &&
			((Var *) expr)->vartype == TIMESTAMPTZOID &&
			((Var *) expr)->varattno <= info->natts &&
			info->att_column[((Var *) expr)->varattno - 1] == info->opts->vendor->time_column)
		{
			*dir = pk->pk_strategy == BTLessStrategyNumber ? ALF_SORT_ASC : ALF_SORT_DESC;
			return list_make1(pk);
		}
	}
	return NIL;
}

typedef struct AlfEcArg
{
	Index		relid;
	AttrNumber	attno;
} AlfEcArg;

static bool
alf_ec_member_is_column(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
						EquivalenceMember *em, void *arg)
{
	AlfEcArg   *a = (AlfEcArg *) arg;
	Node	   *expr = alf_strip((Node *) em->em_expr);

	return alf_is_our_var(expr, a->relid) && ((Var *) expr)->varattno == a->attno;
}

/*
 * Join clauses "column = other table's value" on a column the vendor
 * filters by equality: each one allows a parameterized scan, one vendor
 * request per outer row (see GetForeignPaths).  Only paging vendors, where
 * a request is cheap; a report job per outer row never is.
 */
List *
alf_join_clauses(PlannerInfo *root, RelOptInfo *baserel, AlfRelInfo *info)
{
	const AlfVendor *vendor = info->opts->vendor;
	List	   *result = NIL;
	ListCell   *lc;
	int			attno;

	if (vendor->flow != ALF_FLOW_PAGING)
		return NIL;
	for (attno = 1; attno <= info->natts; attno++)
	{
		int			column = info->att_column[attno - 1];
		AlfEcArg	arg;

		if (column < 0 || column == vendor->time_column ||
			!(info->att_push[attno - 1] & ALF_PUSH_EQ) ||
			((info->att_push[attno - 1] & ALF_PUSH_UNCONFIRMED) && !info->push_unconfirmed))
			continue;
		arg.relid = baserel->relid;
		arg.attno = attno;
		result = list_concat(result,
							 generate_implied_equalities_for_column(root, baserel,
																	alf_ec_member_is_column,
																	&arg,
																	baserel->lateral_referencers));
	}
	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *ri = (RestrictInfo *) lfirst(lc);
		AlfQual		q;

		if (alf_match_clause(ri->clause, baserel->relid, info, true, &q) && q.op == ALF_OP_EQ &&
			q.column != vendor->time_column)
			result = lappend(result, ri);
	}
	return result;
}

/*
 * The quals pushed for a parameterized scan: the base ones plus those of
 * the join clauses (ppi_clauses) the vendor accepts.  With local, also the
 * conditions (RestrictInfo *) only checked here: base or join.
 */
List *
alf_param_pushdown(RelOptInfo *baserel, AlfRelInfo *info, List *ppi_clauses, List **local)
{
	List	   *matched = list_copy(info->matched);
	List	   *pushed = NIL;
	ListCell   *lc;

	foreach(lc, ppi_clauses)
	{
		RestrictInfo *ri = (RestrictInfo *) lfirst(lc);
		AlfQual		q;

		if (alf_match_clause(ri->clause, baserel->relid, info, true, &q) && q.op == ALF_OP_EQ &&
			q.column != info->opts->vendor->time_column)
		{
			AlfQual    *copy = palloc(sizeof(AlfQual));

			*copy = q;
			copy->rinfo = ri;
			matched = lappend(matched, copy);
		}
	}
	alf_choose_pushdown(info, matched, &pushed, NULL, NULL);
	if (local)
	{
		List	   *sent = NIL;

		foreach(lc, pushed)
			sent = lappend(sent, ((AlfQual *) lfirst(lc))->rinfo);
		*local = list_difference_ptr(list_concat_copy(baserel->baserestrictinfo, ppi_clauses),
									 sent);
	}
	return pushed;
}
