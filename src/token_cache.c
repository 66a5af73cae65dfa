/*-------------------------------------------------------------------------
 * token_cache.c
 *	  Backend-lifetime cache of vendor tokens (see token_cache.h).
 *
 * A backend talks to a handful of servers at most, so the cache is a plain
 * list searched linearly.  Invalidation callbacks run inside catalog
 * access, where calling out to a vendor (a release hook's logout) would be
 * unsafe, so they only mark entries stale; stale entries are dropped at the
 * next call from ordinary code.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/ilist.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "token_cache.h"

typedef struct AlfTokenEntry
{
	dlist_node	node;
	Oid			serverid;
	Oid			userid;
	char	   *endpoint;
	char	   *kind;
	char	   *token;
	TimestampTz valid_until;
	uint32		server_hash;	/* syscache hash of the server's oid */
	bool		stale;			/* invalidated: drop at the next call */
	AlfTokenReleaseFn release;
	void	   *release_arg;
} AlfTokenEntry;

static dlist_head alf_tokens = DLIST_STATIC_INIT(alf_tokens);
static bool alf_tokens_initialized = false;

static void
alf_token_server_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	dlist_iter	iter;

	dlist_foreach(iter, &alf_tokens)
	{
		AlfTokenEntry *e = dlist_container(AlfTokenEntry, node, iter.cur);

		if (hashvalue == 0 || e->server_hash == hashvalue)
			e->stale = true;
	}
}

/*
 * A user mapping change may make a user switch from the PUBLIC mapping to
 * their own, whose oid no entry knows; so any change marks every entry.
 */
static void
alf_token_mapping_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	dlist_iter	iter;

	dlist_foreach(iter, &alf_tokens)
		dlist_container(AlfTokenEntry, node, iter.cur)->stale = true;
}

/* Unlink, wipe and free an entry, then call its release hook. */
static void
alf_token_drop(AlfTokenEntry *e, bool call_release)
{
	AlfTokenReleaseFn release = call_release ? e->release : NULL;
	void	   *arg = e->release_arg;
	char	   *token = NULL;

	dlist_delete(&e->node);
	if (release)
	{
		/* the hook gets a copy: the entry is gone before it runs */
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
												  "auditlog_fdw token release",
												  ALLOCSET_SMALL_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);

		token = pstrdup(e->token);
		explicit_bzero(e->token, strlen(e->token));
		pfree(e->token);
		pfree(e->endpoint);
		pfree(e->kind);
		pfree(e);
		PG_TRY();
		{
			release(token, arg);
		}
		PG_FINALLY();
		{
			explicit_bzero(token, strlen(token));
			MemoryContextSwitchTo(old);
			MemoryContextDelete(cxt);
		}
		PG_END_TRY();
		return;
	}
	explicit_bzero(e->token, strlen(e->token));
	pfree(e->token);
	pfree(e->endpoint);
	pfree(e->kind);
	pfree(e);
}

static void
alf_token_sweep(void)
{
	dlist_mutable_iter iter;

	dlist_foreach_modify(iter, &alf_tokens)
	{
		AlfTokenEntry *e = dlist_container(AlfTokenEntry, node, iter.cur);

		if (e->stale)
			alf_token_drop(e, true);
	}
}

/* At exit: release every entry, logging (not raising) what goes wrong. */
static void
alf_token_exit(int code, Datum arg)
{
	HOLD_INTERRUPTS();
	while (!dlist_is_empty(&alf_tokens))
	{
		AlfTokenEntry *e = dlist_head_element(AlfTokenEntry, node, &alf_tokens);
		MemoryContext cxt = CurrentMemoryContext;

		PG_TRY();
		{
			alf_token_drop(e, true);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			EmitErrorReport();
			FlushErrorState();
		}
		PG_END_TRY();
	}
	RESUME_INTERRUPTS();
}

static void
alf_token_init(void)
{
	if (alf_tokens_initialized)
		return;
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, alf_token_server_inval, (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, alf_token_mapping_inval, (Datum) 0);
	before_shmem_exit(alf_token_exit, (Datum) 0);
	alf_tokens_initialized = true;
}

static AlfTokenEntry *
alf_token_find(Oid serverid, Oid userid, const char *endpoint, const char *kind)
{
	dlist_iter	iter;

	dlist_foreach(iter, &alf_tokens)
	{
		AlfTokenEntry *e = dlist_container(AlfTokenEntry, node, iter.cur);

		if (e->serverid == serverid && e->userid == userid &&
			strcmp(e->endpoint, endpoint) == 0 && strcmp(e->kind, kind) == 0)
			return e;
	}
	return NULL;
}

char *
alf_token_cache_get(Oid serverid, Oid userid, const char *endpoint, const char *kind)
{
	AlfTokenEntry *e;

	alf_token_init();
	/* pending invalidations first, so a changed mapping is seen now */
	AcceptInvalidationMessages();
	alf_token_sweep();
	e = alf_token_find(serverid, userid, endpoint, kind);
	if (e == NULL)
		return NULL;
	if (GetCurrentTimestamp() >= e->valid_until)
	{
		alf_token_drop(e, true);
		return NULL;
	}
	return pstrdup(e->token);
}

void
alf_token_cache_put(Oid serverid, Oid userid, const char *endpoint, const char *kind,
					const char *token,
					TimestampTz valid_until, AlfTokenReleaseFn release, void *release_arg)
{
	AlfTokenEntry *e;

	alf_token_init();
	alf_token_sweep();
	e = alf_token_find(serverid, userid, endpoint, kind);
	if (e)
		alf_token_drop(e, true);

	e = MemoryContextAllocZero(TopMemoryContext, sizeof(AlfTokenEntry));
	e->serverid = serverid;
	e->userid = userid;
	e->endpoint = MemoryContextStrdup(TopMemoryContext, endpoint);
	e->kind = MemoryContextStrdup(TopMemoryContext, kind);
	e->token = MemoryContextStrdup(TopMemoryContext, token);
	e->valid_until = valid_until;
	e->server_hash = GetSysCacheHashValue1(FOREIGNSERVEROID, ObjectIdGetDatum(serverid));
	e->release = release;
	e->release_arg = release_arg;
	dlist_push_tail(&alf_tokens, &e->node);
}

void
alf_token_cache_forget(Oid serverid, Oid userid, const char *endpoint, const char *kind,
					   bool call_release)
{
	AlfTokenEntry *e;

	alf_token_init();
	alf_token_sweep();
	e = alf_token_find(serverid, userid, endpoint, kind);
	if (e)
		alf_token_drop(e, call_release);
}
